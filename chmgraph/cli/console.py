r"""Where the commands print: standard output for answers, standard error for progress and errors.

Rich markup is for the commands' own words: a value from data or from a user goes through
``escape`` (in a message) or ``plain`` (in a table cell) before it is printed, so brackets in a
label can never be read as markup and control characters never reach the terminal.

>>> plain("[link=x]CM[/link] \x1b[31m").plain
'[link=x]CM[/link] \\x1b[31m'
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.table import Table
from rich.text import Text

console = Console()
err_console = Console(stderr=True)

# C0 and C1 control characters but tab and line feed, which tables and messages may hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def escape(value: str) -> str:
    """``value`` for a message printed with markup: brackets escaped, control characters shown
    as escapes."""
    return _escape_markup(_CONTROL.sub(_visible, value))


def plain(value: str) -> Text:
    """``value`` as a table cell: never read as markup, control characters shown as escapes."""
    return Text(_CONTROL.sub(_visible, value))


def add_row(table: Table, *cells: str) -> None:
    """Add a row of values from data or users to ``table``, each cell ``plain``."""
    table.add_row(*(plain(cell) for cell in cells))


__all__ = ["add_row", "console", "err_console", "escape", "plain"]
