"""The ``dump`` and ``harvest`` commands: thin faces over ``chmgraph.publish.dump`` and
``chmgraph.harvest``."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chmgraph.cli.console import console, err_console, escape
from chmgraph.cli.store import store_option
from chmgraph.errors import EXIT_INVALID, EXIT_USAGE
from chmgraph.harvest import Harvester, HarvestResult, parse_interval
from chmgraph.network import Network
from chmgraph.publish.dump import dump_network
from chmgraph.settings import Settings


def register(group: click.Group) -> None:
    group.add_command(dump)
    group.add_command(harvest)


@click.command()
@store_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The dump directory (a previous dump there is compared and updated in place).",
)
@click.option(
    "--base-url",
    default=None,
    help="The URL the dump will be served under, ending with '/' (required, unless the setting "
    "dump_base_url is set): void.ttl's download links start with it.",
)
def dump(store_path: Path | None, out: Path, base_url: str | None) -> None:
    """Dump every graph as Turtle, the network as TriG and N-Quads (each also .gz), with
    void.ttl (VoID + DCAT-AP) and changes.ttl."""
    settings = Settings.from_env(dump_base_url=base_url)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    # A bar is for a person at a terminal: in a pipe or a log it would only leave an empty line.
    quiet = not err_console.is_terminal
    with (
        Network.open(store_path, read_only=True) as network,
        Progress(
            *columns, TimeElapsedColumn(), console=err_console, transient=True, disable=quiet
        ) as bar,
    ):
        task = bar.add_task("dumping", total=None)

        def progress(path: str, done: int, total: int) -> None:
            bar.update(task, description=f"wrote {path}", completed=done, total=total)

        result = dump_network(network.store, out, settings=settings, progress=progress)
    console.print(
        f"dumped {len(result.graphs)} graphs to {out} (void.ttl links under "
        f"{settings.dump_base_url}): {len(result.files)} files, "
        f"{len(result.rewritten)} changed, {len(result.removed)} removed",
        highlight=False,
        soft_wrap=True,
    )


@click.command()
@click.argument("source")
@click.option(
    "--graph",
    "graph",
    required=True,
    help="The national graph to write: a country code (CM) or its graph IRI.",
)
@click.option(
    "--protocol",
    type=click.Choice(["dump", "sparql", "gsp"]),
    default="dump",
    show_default=True,
    help="SOURCE is a dump or VoID description, a SPARQL endpoint (CONSTRUCT), or a Graph Store "
    "Protocol endpoint (GET).",
)
@click.option(
    "--remote-graph",
    default=None,
    help="The graph to take from a multi-graph source or endpoint (default: the national "
    "graph's IRI).",
)
@click.option("--every", default=None, help="Harvest again at this interval (e.g. 30m, 6h, 1d).")
@click.option(
    "--times",
    type=click.IntRange(min=1),
    default=None,
    help="With --every: stop after this many harvests (default: until interrupted).",
)
@store_option
def harvest(
    source: str,
    graph: str,
    protocol: str,
    remote_graph: str | None,
    every: str | None,
    times: int | None,
    store_path: Path | None,
) -> None:
    """Harvest SOURCE (a file or http(s) URL) into a national graph, as a validated, versioned
    submission whose provenance names the source."""
    interval = parse_interval(every) if every else None
    rounds = times if interval is not None else 1
    done = 0
    failed = False
    with Network.open(store_path) as network:
        harvester = Harvester(network)
        while True:
            result = harvester.harvest(
                source,
                graph,
                protocol=protocol,  # type: ignore[arg-type]
                remote_graph=remote_graph,
            )
            failed = _report(result)
            done += 1
            if interval is None or (rounds is not None and done >= rounds):
                break
            time.sleep(interval)
    if failed:
        raise SystemExit(EXIT_INVALID if result.status == "rejected" else EXIT_USAGE)


def _report(result: object) -> bool:
    """Print one harvest's outcome; True when it failed."""
    assert isinstance(result, HarvestResult)
    if result.status == "accepted":
        console.print(
            f"harvested {result.source} into {result.graph}: version {result.version}, "
            f"{result.triples} triples",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    elif result.status == "unchanged":
        console.print(
            f"{result.source}: unchanged, {result.graph} kept ({result.reason or 'same content'})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    else:
        err_console.print(
            f"[bold red]harvest failed:[/] {escape(result.reason or '')}\n"
            f"{escape(result.graph)} keeps its previous version",
            highlight=False,
            soft_wrap=True,
        )
    return not result.ok
