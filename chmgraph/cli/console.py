r"""Where the commands print: standard output for answers, standard error for progress and errors.

Rich markup is for the commands' own words: a value from data or from a user goes through
``escape`` (in a message) or ``plain`` (in a table cell) before it is printed, so brackets in a
label can never be read as markup and control characters never reach the terminal.

>>> plain("[link=x]CM[/link] \x1b[31m").plain
'[link=x]CM[/link] \\x1b[31m'
"""

from __future__ import annotations

import os
import re
import textwrap

from rich.cells import cell_len
from rich.console import Console, RenderableType
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


def table(*headers: str, whole: tuple[str, ...] = (), caption: str | None = None) -> Table:
    """A table whose cells are never cut: the ``whole`` columns (names, IRIs: what a reader
    copies) never wrap, the others wrap at spaces only (``show`` lays them out)."""
    found = Table(caption=caption)
    for header in headers:
        found.add_column(header, overflow="fold", no_wrap=header in whole)
    return found


def show(found: Table, *, wide: bool = False) -> None:
    """Print ``found`` on standard output, every cell whole.

    - At a terminal (or with ``$COLUMNS`` set), the table is fitted to that width, wrapping
      words at spaces; one that cannot fit without breaking a word or a ``whole`` column is
      printed as records instead (``records``), so that names and IRIs stay on one line.
    - In a pipe or a file without ``$COLUMNS``, or with ``wide``, the table is printed at its
      natural width: one line per row, nothing wrapped, as ``grep`` and logs want.
    - At a terminal, output longer than the screen goes through the pager (``$PAGER``, else
      ``less``).
    """
    lowest, natural = _widths(found)
    fitted = (console.is_terminal or "COLUMNS" in os.environ) and not wide
    border = 3 * len(lowest) + 1
    width = console.width if fitted else max(sum(natural) + border, len(str(found.caption or "")))
    renderable: RenderableType = found
    if sum(lowest) + border > width:
        renderable = records(found, width)
    else:
        for column, size in zip(found.columns, _fit(lowest, natural, width - border), strict=True):
            column.width = size
    _print_paged(renderable, width)


def _print_paged(renderable: RenderableType, width: int) -> None:
    # Console.print never prints wider than its console: a wide table gets a console of its own.
    out = Console(width=width)
    lines = len(out.render_lines(renderable, out.options))
    if out.is_terminal and lines > out.height:
        with out.pager(styles=True):
            out.print(renderable, crop=False)
    else:
        out.print(renderable, crop=False)


def _widths(found: Table) -> tuple[list[int], list[int]]:
    """Each column's narrowest width (its longest word; a ``whole`` column's longest value) and
    its natural width (its longest value), headers included."""
    lowest, natural = [], []
    for column in found.columns:
        texts = [str(column.header)] + [
            c.plain if isinstance(c, Text) else str(c) for c in column.cells
        ]
        lines = [line for text in texts for line in text.splitlines() or [""]]
        longest = max(cell_len(line) for line in lines)
        words = [w for line in lines for w in line.split()] or [""]
        natural.append(longest)
        lowest.append(longest if column.no_wrap else max(cell_len(w) for w in words))
    return lowest, natural


def _fit(lowest: list[int], natural: list[int], room: int) -> list[int]:
    """Column widths within ``room``: the widest columns give way first (each column at most a
    common cap, never below its lowest), and what is left of ``room`` goes to them in turn.

    >>> _fit([10, 5, 5], [10, 40, 20], 30)
    [10, 10, 10]
    >>> _fit([10, 5, 5], [10, 40, 8], 30)
    [10, 12, 8]
    """
    if sum(natural) <= room:
        return list(natural)

    def capped(cap: int) -> list[int]:
        return [min(n, max(low, cap)) for low, n in zip(lowest, natural, strict=True)]

    cap = max(c for c in range(max(natural) + 1) if sum(capped(c)) <= room)
    widths = capped(cap)
    for i in sorted(range(len(widths)), key=lambda i: -natural[i]):
        if sum(widths) < room and widths[i] < natural[i]:
            widths[i] += 1
    return widths


def records(found: Table, width: int) -> Text:
    """``found`` as records: a ``column  value`` line per cell, values wrapped at spaces under
    themselves, a blank line between rows, the caption last.

    >>> t = table("name", "title", caption="2 queries")
    >>> t.add_row("a-long-name", "A title that is long enough to wrap")
    >>> print(records(t, 24).plain)
    name   a-long-name
    title  A title that is long
           enough to wrap
    <BLANKLINE>
    2 queries
    """
    headers = [str(c.header) for c in found.columns]
    indent = max(map(len, headers)) + 2
    cells = [list(c.cells) for c in found.columns]
    out = Text()
    for row in range(found.row_count):
        if row:
            out.append("\n")
        for header, column in zip(headers, cells, strict=True):
            value = column[row]
            text = value.plain if isinstance(value, Text) else str(value)
            out.append(f"{header:<{indent}}", style="bold")
            out.append(_wrapped(text, width - indent, indent) + "\n")
    if found.caption:
        out.append("\n" + str(found.caption))
    return out


def _wrapped(value: str, width: int, indent: int) -> str:
    lines = textwrap.wrap(
        value, max(width, 20), break_long_words=False, break_on_hyphens=False
    ) or [""]
    return ("\n" + " " * indent).join(lines)


__all__ = ["add_row", "console", "err_console", "escape", "plain", "records", "show", "table"]
