"""The docs' console sessions are real: every ```console block of README.md and docs/*.md runs,
in order, in a fresh directory with a store of its own, and prints what the document shows
(tests/console_session.py states the conventions). A block that cannot run here says why."""

from __future__ import annotations

import doctest
import re
import shlex

import click
import console_session as session
import pytest
from click.testing import CliRunner

from chmgraph.cli import cli
from chmgraph.settings import PROJECT_ROOT

DOCUMENTS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
BLOCKS = {
    doc.relative_to(PROJECT_ROOT).as_posix(): session.blocks(doc.read_text(encoding="utf-8"))
    for doc in DOCUMENTS
}
RUN = {name: [b for b in found if not b.not_run] for name, found in BLOCKS.items()}
CHMGRAPH_LINES = [
    (name, command)
    for name, found in BLOCKS.items()
    for block in found
    for command in block.commands
    if command.shell.startswith("chmgraph ")
]


# ```pycon blocks: Python sessions (a notebook's cells), run as doctests.
PYCON = re.compile(r"^```pycon\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
PYTHON_SESSIONS = [
    (doc.relative_to(PROJECT_ROOT).as_posix(), index, match.group("body"))
    for doc in DOCUMENTS
    for index, match in enumerate(PYCON.finditer(doc.read_text(encoding="utf-8")))
]


@pytest.mark.parametrize(
    ("name", "index", "body"), PYTHON_SESSIONS, ids=[f"{n}#{i}" for n, i, _ in PYTHON_SESSIONS]
)
def test_a_python_session_prints_what_it_shows(name, index, body, tmp_path, monkeypatch):
    """In a fresh directory with the store `chmgraph init` builds, as a researcher starts."""
    store = tmp_path / "store"
    assert CliRunner().invoke(cli, ["init", "--store", str(store)]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHMGRAPH_STORE", str(store))
    test = doctest.DocTestParser().get_doctest(body, {}, f"{name}#{index}", name, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"{name}: python session {index} printed otherwise"


def test_the_docs_have_sessions_that_run():
    assert sum(len(b) for b in RUN.values()) >= 10
    assert RUN["README.md"]
    assert any(name == "docs/queries.md" for name, _, _ in PYTHON_SESSIONS)


@pytest.mark.parametrize("name", [n for n, found in RUN.items() if found])
def test_a_document_prints_what_it_shows(name, tmp_path):
    commands = [c for block in RUN[name] for c in block.commands]
    steps = session.run_session(commands, tmp_path, PROJECT_ROOT)
    found = session.problems(name, steps)
    assert not found, "\n\n".join(found)


@pytest.mark.parametrize("name", BLOCKS)
def test_every_block_is_a_session(name):
    for block in BLOCKS[name]:
        assert block.commands, f"{name}:{block.line}: a console block without a `$ ` command"
        assert not block.unowned, f"{name}:{block.unowned}: output before the first command"


@pytest.mark.parametrize("name", BLOCKS)
def test_not_run_markers_stand_before_a_block(name):
    text = (PROJECT_ROOT / name).read_text(encoding="utf-8")
    assert session.stray_markers(text) == []


@pytest.mark.parametrize(
    ("name", "command"), CHMGRAPH_LINES, ids=[f"{n}:{c.line}" for n, c in CHMGRAPH_LINES]
)
def test_a_shown_command_parses(name, command):
    """Also for the blocks that do not run: their commands are at least ones the CLI accepts."""
    words = shlex.split(command.shell.split(" > ")[0].replace("[", "").replace("]", ""))
    if words[-1] == "&":
        words.pop()
    sub = cli.commands.get(words[1])
    assert sub is not None, f"{name}:{command.line} shows an unknown command"
    try:
        sub.make_context(words[1], words[2:], resilient_parsing=False)
    except click.UsageError as exc:
        pytest.fail(f"{name}:{command.line}: does not parse: {exc}")


# The harness itself: each rule can fail.


def test_a_comment_is_not_part_of_the_command():
    assert session.strip_comment("echo '# kept' # dropped") == "echo '# kept'"


def test_the_wildcards():
    assert session.matches(["a", "…", "z"], ["a", "b", "c", "z"])
    assert session.matches(["a", "…"], ["a"])
    assert session.matches(["took … in total"], ["took 3 s in total"])
    assert not session.matches(["took … in total"], ["took 3 s"])
    assert not session.matches(["a", "z"], ["a", "b", "z"])
    assert not session.matches([], ["something"])


def test_times_compare_as_placeholders_and_nothing_else_does():
    assert session.matches(["at 2026-11-25 12:55:15Z"], ["at 2031-01-02 03:04:05Z"])
    assert session.matches(["7 rows in 12 ms"], ["7 rows in 480 ms"])
    assert not session.matches(["7 rows in 12 ms"], ["8 rows in 12 ms"])


def test_a_session_reports_wrong_output_and_unshown_failures(tmp_path):
    markdown = "\n".join(
        [
            "```console",
            "$ echo one   # a comment",
            "two",
            "$ false",
            "$ sh -c 'exit 3'",
            "$ echo $?",
            "3",
            "```",
            "<!-- not run: for the test -->",
            "```console",
            "$ never",
            "```",
        ]
    )
    found = session.blocks(markdown)
    assert [b.not_run for b in found] == [None, "for the test"]
    assert session.blocks("```console\nno command\n$ true\n```")[0].unowned == [2]
    (tmp_path / "project" / "data").mkdir(parents=True)
    steps = session.run_session(found[0].commands, tmp_path / "run", tmp_path / "project")
    assert [s.status for s in steps] == [0, 1, 3, 0]
    messages = session.problems("doc.md", steps)
    assert len(messages) == 2
    assert "doc.md:2" in messages[0] and "+one" in messages[0]
    assert "doc.md:4" in messages[1] and "exited 1" in messages[1]


def test_a_stray_marker_is_found():
    assert session.stray_markers("<!-- not run: gone -->\n\ntext\n```console\n```") == [1]
