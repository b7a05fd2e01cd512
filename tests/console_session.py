"""Runs the console sessions of a Markdown document and compares what they print.

Why a harness of our own rather than Sybil or cog: a document's ```console blocks are one shell
session (later blocks use the store and files earlier ones made, `echo $?` reads the previous
command's status, `export` carries over), which neither tool models. Sybil would need a custom
parser and evaluator as long as this file, and cog regenerates text instead of checking it. This
file is the whole of it, with nothing to install.

The conventions a document's author follows:

- A ```console block holds `$ command` lines, each followed by the output it prints (stdout and
  stderr, as a terminal shows them). A command with no lines under it prints nothing.
- Text after an unquoted ` #` in a command line is a comment for the reader, not run.
- `…` alone on a line stands for any number of lines (none included); `…` inside a line stands
  for any text within that line. Times of day (`2026-11-25 12:55:15Z`, ISO 8601 timestamps) and
  durations in milliseconds (`12 ms`) are compared as placeholders, since they change run to run.
  Blank lines at the end of a command's output are not compared: a document cannot show them.
- A command that exits non-zero must be followed by `$ echo $?`, so a failure is always shown.
- `<!-- not run: REASON -->` on the line before a block says it is not executed and why (a remote
  URL, a command that never ends, one that takes minutes). Every other block runs.
- The loopback port 8000 is replaced, in commands and output alike, by a port free at test time;
  a command ending in `&` runs in the background, silenced, and the next command waits until
  that port accepts connections.

Each document runs in a fresh directory holding a copy of `data/`, with `CHMGRAPH_STORE=store`
(a store of its own, named relatively so output does not show a temporary path), `COLUMNS=120`
(the width of the tables shown) and no other `CHMGRAPH_` variable.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ELLIPSIS = "…"
NOT_RUN = re.compile(r"^<!--\s*not run:\s*(?P<reason>\S.*?)\s*-->$")
FENCE = "```console"
LOOPBACK_PORT = "8000"
# What changes from run to run, with the placeholder both sides are compared as.
VARYING = [
    (re.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"), "<time>"),
    (re.compile(r"\b\d+ ms\b"), "<n> ms"),
]
STEP_MARK = "@@console-session-step"


@dataclass
class Command:
    """One `$ ` line of a document and the output shown under it."""

    line: int
    text: str
    expected: list[str] = field(default_factory=list)

    @property
    def shell(self) -> str:
        """The command without its trailing comment."""
        return strip_comment(self.text)


@dataclass
class Block:
    """One ```console block: its first line, its commands, and why it does not run (if so)."""

    line: int
    commands: list[Command]
    not_run: str | None = None
    # Lines before the first command: output no command printed, which no test could check.
    unowned: list[int] = field(default_factory=list)


def strip_comment(text: str) -> str:
    """``text`` up to its first `#` that is outside quotes and starts a word.

    >>> strip_comment("chmgraph init   # build the store")
    'chmgraph init'
    >>> strip_comment("sed -i 's/#x/y/' f # edit")
    "sed -i 's/#x/y/' f"
    """
    quote = None
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i].rstrip()
    return text.rstrip()


def blocks(markdown: str) -> list[Block]:
    """The console blocks of a document, in order."""
    found: list[Block] = []
    lines = markdown.splitlines()
    previous = ""
    i = 0
    while i < len(lines):
        if lines[i].strip() != FENCE:
            if lines[i].strip():
                previous = lines[i].strip()
            i += 1
            continue
        marker = NOT_RUN.match(previous)
        block = Block(line=i + 1, commands=[], not_run=marker["reason"] if marker else None)
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            if lines[i].startswith("$ "):
                block.commands.append(Command(line=i + 1, text=lines[i][2:]))
            elif block.commands:
                block.commands[-1].expected.append(lines[i])
            elif lines[i].strip():
                block.unowned.append(i + 1)
            i += 1
        found.append(block)
        previous = ""
        i += 1
    return found


def stray_markers(markdown: str) -> list[int]:
    """Lines of `not run` markers that are not directly before a console block."""
    lines = markdown.splitlines()
    stray = []
    for number, line in enumerate(lines, 1):
        if NOT_RUN.match(line.strip()):
            following = next((x.strip() for x in lines[number:] if x.strip()), "")
            if following != FENCE:
                stray.append(number)
    return stray


def normalise(line: str) -> str:
    for pattern, placeholder in VARYING:
        line = pattern.sub(placeholder, line)
    return line.rstrip()


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` lines fit ``expected``, with `…` as the wildcard described above."""
    want = _trimmed([normalise(x) for x in expected])
    got = _trimmed([normalise(x) for x in actual])

    # fits[i][j]: want[i:] fits got[j:]; filled from the end, without recursion, so that a `…`
    # standing for a long output (the library as Turtle: hundreds of lines) needs no deep stack.
    fits = [[False] * (len(got) + 1) for _ in range(len(want) + 1)]
    fits[len(want)][len(got)] = True
    for i in range(len(want) - 1, -1, -1):
        for j in range(len(got), -1, -1):
            if want[i].strip() == ELLIPSIS:
                fits[i][j] = fits[i + 1][j] or (j < len(got) and fits[i][j + 1])
            else:
                fits[i][j] = j < len(got) and _line_fits(want[i], got[j]) and fits[i + 1][j + 1]
    return fits[0][0]


def _trimmed(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines = lines[:-1]
    return lines


def _line_fits(want: str, got: str) -> bool:
    if ELLIPSIS not in want:
        return want == got
    pattern = ".*".join(re.escape(part) for part in want.split(ELLIPSIS))
    return re.fullmatch(pattern, got) is not None


@dataclass
class Step:
    """A command as run: its exit status and what it printed."""

    command: Command
    status: int
    output: list[str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def script(commands: list[Command], port: str) -> str:
    """One bash script running ``commands`` in order, printing a mark with each one's status."""
    lines = ["exec 2>&1", "trap 'kill $(jobs -p) 2>/dev/null' EXIT"]
    waiting = False
    for command in commands:
        shell = re.sub(rf"\b{LOOPBACK_PORT}\b", port, command.shell)
        if waiting:
            lines.append(
                f"for _ in $(seq 200); do (: >/dev/tcp/127.0.0.1/{port}) 2>/dev/null && break;"
                " sleep 0.05; done"
            )
            waiting = False
        if shell.endswith("&") and not shell.endswith("&&"):
            # exec: the job is the command itself, so the EXIT trap's kill stops it rather than
            # a subshell whose child would outlive the session.
            lines.append(f"{{ exec {shell[:-1].rstrip()} ; }} >/dev/null 2>&1 &")
            waiting = True
        else:
            lines.append(shell)
        # The mark restores the status, so a following `echo $?` reads the command's own.
        lines.append(f"__status=$?; printf '\\n{STEP_MARK} %s\\n' $__status; (exit $__status)")
    return "\n".join(lines) + "\n"


def run_session(
    commands: list[Command],
    workdir: Path,
    project: Path,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> list[Step]:
    """Run ``commands`` as one shell session in ``workdir`` (a copy of ``project``'s data), in
    the environment described above, updated with ``env``."""
    shutil.copytree(project / "data", workdir / "data")
    env = session_env({"CHMGRAPH_STORE": "store"} if env is None else env)
    port = str(free_port())
    done = subprocess.run(
        ["bash", "--noprofile", "--norc"],
        input=script(commands, port),
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return _steps(commands, done.stdout, port)


def session_env(overrides: dict[str, str]) -> dict[str, str]:
    """This process's environment without ``CHMGRAPH_`` variables, with the interpreter's
    scripts first on ``PATH`` (as an activated virtual environment has them), then ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHMGRAPH_")}
    bin_dir = str(Path(sys.executable).parent)
    env.update(
        PATH=bin_dir + os.pathsep + env.get("PATH", ""),
        COLUMNS="120",
        LC_ALL="C.UTF-8",
        PYTHONIOENCODING="utf-8",
        PYTHONUNBUFFERED="1",
        TERM="dumb",
    )
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    env.update(overrides)
    return env


def _steps(commands: list[Command], printed: str, port: str) -> list[Step]:
    steps: list[Step] = []
    pending: list[str] = []
    for line in printed.splitlines():
        if line.startswith(STEP_MARK):
            if pending and pending[-1] == "":
                pending.pop()  # the newline the mark adds
            command = commands[len(steps)]
            output = [x.replace(f"127.0.0.1:{port}", f"127.0.0.1:{LOOPBACK_PORT}") for x in pending]
            steps.append(Step(command, int(line.split()[-1]), output))
            pending = []
        else:
            pending.append(line)
    if len(steps) < len(commands):
        missing = commands[len(steps)]
        raise AssertionError(
            f"the session stopped before line {missing.line} ({missing.text!r}):\n"
            + "\n".join(pending)
        )
    return steps


def problems(document: str, steps: list[Step]) -> list[str]:
    """What differs between the document and the session: one message per command."""
    found = []
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        command = step.command
        where = f"{document}:{command.line}: $ {command.text}"
        if not matches(command.expected, step.output):
            diff = difflib.unified_diff(
                command.expected, step.output, "shown", "printed", lineterm="", n=2
            )
            found.append(where + "\n" + "\n".join(diff))
        shown = following is not None and following.command.shell == "echo $?"
        if step.status != 0 and not shown:
            found.append(f"{where}\nexited {step.status} and no `$ echo $?` shows it")
    return found
