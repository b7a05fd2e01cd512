"""``chmgraph serve`` (the network over HTTP, ``chmgraph.server``) and ``chmgraph token``
(write credentials, ``chmgraph.credentials``)."""

from __future__ import annotations

import click
import uvicorn
from rich.table import Table

from chmgraph.cli.console import add_row, console
from chmgraph.cli.store import store_option
from chmgraph.credentials import WriteCredentials
from chmgraph.network import Network
from chmgraph.server.app import create_app
from chmgraph.server.limits import HeaderDeadline
from chmgraph.settings import Settings, store_location


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(token)


@click.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="The port to listen on.")
@click.option(
    "--base-url",
    default=None,
    help="The URL clients reach the server under (default: http://HOST:PORT), for the IRIs "
    "it makes and the dump's links.",
)
def serve(store_path: str | None, host: str, port: int, base_url: str | None) -> None:
    """Serve the network over HTTP: SPARQL, Graph Store, submissions, Linked Data, dumps."""
    settings = Settings.from_env(store_path=store_location(store_path) if store_path else None)
    base = base_url or f"http://{host}:{port}"
    with Network.open(settings.store_path, settings=settings) as network:
        app = create_app(network, settings, base_url=base)
        uvicorn.run(
            app,
            host=host,
            port=port,
            access_log=False,
            timeout_graceful_shutdown=int(settings.server_shutdown_timeout_s),
            http=HeaderDeadline.within(settings.server_header_timeout_s),
            log_config=_LOG_CONFIG,
        )


# Uvicorn's own messages and chmgraph's access log, one line each, on standard error.
_LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO"},
        "chmgraph.server": {"handlers": ["stderr"], "level": "INFO"},
    },
}


@click.group()
def token() -> None:
    """Write credentials: one bearer token per country's steward, admin tokens for the
    Secretariat. Stored hashed (scrypt) in a file beside the store."""


def _credentials(store_path: str | None) -> WriteCredentials:
    where = store_location(store_path) if store_path else None
    return WriteCredentials(Settings.from_env(store_path=where).credentials_file())


@token.command("create")
@store_option
@click.argument("country", required=False)
@click.option("--admin", is_flag=True, help="An admin token (the Secretariat's graphs, updates).")
@click.option("--note", default="", help="Whose it is, for `token list`.")
def create(store_path: str | None, country: str | None, admin: bool, note: str) -> None:
    """Make a token for COUNTRY's steward (or --admin) and print it, once."""
    if admin == bool(country):
        raise click.UsageError("give a COUNTRY or --admin")
    code = None
    if country:
        with Network.open(store_path, read_only=True) as network:
            code = network.country_code(country)
    secret = _credentials(store_path).create(code, note=note)
    # The token itself goes alone to standard output, for a script to capture.
    click.echo(secret)
    click.echo("keep it: it is shown only now (the store keeps its hash)", err=True)


@token.command("list")
@store_option
def list_tokens(store_path: str | None) -> None:
    """Every credential: its id, whose it is, its note, when it was made (never the token)."""
    table = Table("id", "country", "note", "created")
    for found in _credentials(store_path).list():
        described = found.describe()
        add_row(table, *(str(described[c]) for c in ("id", "country", "note", "created")))
    console.print(table)


@token.command("revoke")
@store_option
@click.argument("ident")
def revoke(store_path: str | None, ident: str) -> None:
    """Revoke credential IDENT (from `token list`): its token stops working at once."""
    gone = _credentials(store_path).revoke(ident)
    console.print(f"revoked {gone.id} ({gone.country or 'admin'})", highlight=False)
