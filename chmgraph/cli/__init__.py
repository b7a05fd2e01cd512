"""The ``chmgraph`` command: a thin face over the Python API.

Each module in this package that defines ``register(group)`` adds its commands; the commands call
the API and print. No logic lives only here.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from chmgraph.cli.console import err_console, escape
from chmgraph.errors import ChmgraphError
from chmgraph.version import __version__


class _Group(click.Group):
    """Turns a ``ChmgraphError`` into its message and exit code, without a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ChmgraphError as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chmgraph")
def cli() -> None:
    """chmgraph: the linked-data backbone of the CBD Clearing-House Mechanism network."""


def _register_commands() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{__name__}.{module.name}")
        register = getattr(mod, "register", None)
        if register is not None:
            register(cli)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="chmgraph", standalone_mode=True))
