"""The README's set-up is real: its two commands are Makefile targets that CI runs. (Its console
sessions run in tests/test_docs.py, with those of docs/.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import console_session as session

from chmgraph.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_the_two_setup_commands_are_makefile_targets():
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_researchers_commands_work_after_make_run(tmp_path):
    """`make run`, then the README's researcher session as written: no `--store`, no
    `CHMGRAPH_STORE`, only the virtual environment's `chmgraph` on the PATH."""
    home = {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    env = session.session_env(home)
    # The recipe of `make run` itself, with this interpreter's scripts standing for .venv/bin
    # and the install step taken as done (-o), so the test needs no network and no new venv.
    stamp = PROJECT_ROOT / ".venv" / ".installed"
    made = subprocess.run(
        ["make", "-s", "-C", str(PROJECT_ROOT), "-o", str(stamp), "-o", ".venv/.installed",
         f"BIN={Path(sys.executable).parent}", "run"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    assert (tmp_path / "xdg" / "chmgraph" / "store").is_dir()
    researcher = next(
        b for b in session.blocks(README) if b.commands[0].shell == "chmgraph queries"
    )
    steps = session.run_session(researcher.commands, tmp_path / "work", PROJECT_ROOT, env=home)
    found = session.problems("README.md", steps)
    assert not found, "\n\n".join(found)
