"""Errors a user can act on.

Every failure caused by input (a file, a country code, a store path, a query) is raised as a
``ChmgraphError`` carrying a message that names the file, line and what is wrong, and the exit code
the CLI returns. The CLI prints the message and exits; it never shows a traceback for these.
"""

from __future__ import annotations

# Exit codes, documented in the README.
EXIT_OK = 0
EXIT_INVALID = 1  # the input was read but does not conform (validation violations)
EXIT_USAGE = 2  # unreadable input, syntax error, usage error, unknown country...
EXIT_STORE = 3  # the store cannot be opened (locked, not writable, missing)


_ONE_LINE = {code: f"\\x{code:02x}" for code in range(32)} | {10: "\\n", 13: "\\r", 9: "\\t"}


class ChmgraphError(Exception):
    """A failure the user can fix; ``exit_code`` is what the CLI exits with."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class InputError(ChmgraphError):
    """Input that cannot be read or parsed: a missing file, bad syntax, an unknown format."""


class SyntaxGateError(InputError):
    """A file rejected by the strict parser, with the place of the error."""

    def __init__(self, path: str, line: int | None, column: int | None, reason: str) -> None:
        # A parser quotes the text it stopped at, line breaks included: the message stays one
        # line, with them written as escapes.
        reason = reason.translate(_ONE_LINE)
        self.path, self.line, self.column, self.reason = path, line, column, reason
        place = path
        if line is not None:
            place += f":{line}"
            if column is not None:
                place += f":{column}"
        super().__init__(f"{place}: syntax error: {reason}")


class QueryTimeout(ChmgraphError):
    """The query ran longer than the ``query_timeout_s`` setting (here or at a remote engine)."""


class StoreError(ChmgraphError):
    """The store cannot be opened or written (locked by another process, not writable...)."""

    exit_code = EXIT_STORE


class StoreInUse(StoreError):
    """The store on disk is held by another process."""


class VersionConflict(StoreError):
    """Another writer made a new version of the same graph meanwhile; nothing was written."""
