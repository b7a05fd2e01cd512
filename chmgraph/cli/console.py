"""Where the commands print: standard output for answers, standard error for progress and errors.

Rich markup is for the commands' own words: a value from data or from a user goes through
``escape`` before it is printed, so brackets in a label can never be read as markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)

__all__ = ["console", "err_console", "escape"]
