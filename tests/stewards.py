"""Stewards at their own terminals: processes that each run ``chmgraph submit`` on a list of
files, one after the other, all at the same time, for the tests of concurrent writers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_SUBMITTER = """
import sys
from chmgraph.cli import main
store, country, *paths = sys.argv[1:]
for path in paths:
    sys.argv = ["chmgraph", "submit", path, "--country", country, "--store", store]
    try:
        main()
    except SystemExit as exit:
        assert exit.code == 0, exit.code
"""


def submit_at_once(store: str | Path, country: str, groups: list[list[Path]]) -> list[str]:
    """Start one process per group of files, all at once, each submitting its files in turn;
    wait for all and return what each printed. Fails the test if one of them failed."""
    env = {**os.environ, "CHMGRAPH_STORE_WAIT_S": "120"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _SUBMITTER, str(store), country, *map(str, group)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for group in groups
    ]
    printed = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        printed.append(out)
    return printed
