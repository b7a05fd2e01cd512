"""The README's commands are real: each `$ chmgraph ...` line names a command and options the CLI
accepts, and the two set-up commands are Makefile targets."""

from __future__ import annotations

import re
import shlex

import click
import pytest

from chmgraph.cli import cli
from chmgraph.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
COMMAND_LINES = [
    line[2:].split("#", 1)[0].split(">", 1)[0].strip()
    for line in README.splitlines()
    if line.startswith("$ chmgraph ")
]


def test_the_readme_shows_the_cli():
    assert len(COMMAND_LINES) >= 10


@pytest.mark.parametrize("line", COMMAND_LINES)
def test_a_readme_command_parses(line):
    words = shlex.split(line.replace("[", "").replace("]", ""))
    assert words[0] == "chmgraph"
    command = cli.commands.get(words[1])
    assert command is not None, f"README shows an unknown command: {line}"
    try:
        command.make_context(words[1], words[2:], resilient_parsing=False)
    except click.UsageError as exc:
        pytest.fail(f"README command does not parse: {line}: {exc}")


def test_the_two_setup_commands_are_makefile_targets():
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
