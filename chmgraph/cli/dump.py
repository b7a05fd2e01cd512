"""The ``dump`` and ``harvest`` commands: thin faces over ``chmgraph.publish.dump`` and
``chmgraph.harvest``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chmgraph.cli.console import console, err_console, escape
from chmgraph.cli.store import store_option
from chmgraph.errors import EXIT_INVALID, EXIT_USAGE, InputError
from chmgraph.harvest import Harvester, HarvestResult, HarvestState, NetworkHarvest, parse_interval
from chmgraph.network import Network
from chmgraph.publish.dump import dump_if_stale, dump_network
from chmgraph.settings import Settings, default_store_path, store_location


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
@click.option(
    "--state-file",
    "state_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Dump only if this file does not record the store's present state as the one the dump "
    "in --out was made from (then write nothing); after dumping, record it there.",
)
def dump(store_path: Path | None, out: Path, base_url: str | None, state_file: Path | None) -> None:
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

        if state_file is None:
            result = dump_network(network.store, out, settings=settings, progress=progress)
        else:
            result = dump_if_stale(
                network.store, out, record=state_file, settings=settings, progress=progress
            )
    if result is None:
        console.print(
            f"{out} is current: the store has not changed since it was dumped ({state_file})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
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
    default=None,
    help="The national graph to write: a country code (CM) or its graph IRI (default: every "
    "national graph the VoID description SOURCE lists).",
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
    graph: str | None,
    protocol: str,
    remote_graph: str | None,
    every: str | None,
    times: int | None,
    store_path: Path | None,
) -> None:
    """Harvest SOURCE (a file or http(s) URL) into a national graph, or every national graph of
    a VoID description, as validated, versioned submissions whose provenance names the source.

    The store is held only to read what submissions are checked against and to commit, never
    while downloading, checking or waiting for the next run (--every)."""
    if graph is None and protocol != "dump":
        raise InputError("--protocol sparql or gsp harvests one graph: give --graph")
    interval = parse_interval(every) if every else None
    rounds = times if interval is not None else 1
    settings = Settings.from_env()
    # Read once, without opening the store: an unchanged network is one request, no more.
    state = HarvestState.at(store_location(store_path) if store_path else default_store_path())

    def opened() -> Network:
        return Network.open(store_path)

    done = 0
    while True:
        harvester = Harvester(opened, settings=settings, state=state)
        if graph is None:
            code = _report_network(_harvest_network(harvester, source))
        else:
            result = harvester.harvest(
                source,
                graph,
                protocol=protocol,  # type: ignore[arg-type]
                remote_graph=remote_graph,
            )
            code = _report(result)
        done += 1
        if interval is None or (rounds is not None and done >= rounds):
            break
        time.sleep(interval)  # the store is closed: other commands may use it meanwhile
    if code:
        raise SystemExit(code)


def _harvest_network(harvester: Harvester, void_url: str) -> NetworkHarvest:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    # A bar is for a person at a terminal; in a pipe or a log, each step is a plain line.
    if not err_console.is_terminal:
        return harvester.harvest_network(void_url, progress=_plain_progress())
    with Progress(*columns, TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task("harvesting", total=None)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total or None)

        return harvester.harvest_network(void_url, progress=progress)


def _plain_progress() -> Callable[[str, int, int], None]:
    def progress(what: str, done: int, total: int) -> None:
        # One line as each step ends: a log, not a stream of counters.
        if total and done == total:
            step = what.split(" ", 1)[0]
            err_console.print(f"{step} {done}/{total}", highlight=False, markup=False)

    return progress


def _report_network(outcome: NetworkHarvest) -> int:
    """Print what changed and the summary; the exit code."""
    for result in outcome.results:
        if result.action in ("added", "updated", "removed"):
            detail = f"version {result.version}, {result.triples} triples"
            if result.action == "removed":
                detail = f"version {result.version}, empty ({result.reason})"
            console.print(
                f"{result.action}: {result.graph} from {result.source}: {detail}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        elif result.action in ("rejected", "failed"):
            err_console.print(
                f"[bold red]{result.action}:[/] {escape(result.graph or result.source)}: "
                f"{escape(_why(result.reason))} (the previous version is kept)",
                highlight=False,
                soft_wrap=True,
            )
    console.print(outcome.summary(), highlight=False, markup=False, soft_wrap=True)
    if outcome.count("failed"):
        return EXIT_USAGE
    return EXIT_INVALID if outcome.count("rejected") else 0


def _why(reason: str) -> str:
    """The first line of why, and for a rejected graph its first violation too."""
    lines = [line.strip() for line in reason.strip().splitlines() if line.strip()]
    first = next((line for line in lines[1:] if line.startswith("Violation")), None)
    return "; ".join([*lines[:1], first] if first else lines[:1])


def _report(result: object) -> int:
    """Print one harvest's outcome; the exit code."""
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
    if result.ok:
        return 0
    return EXIT_INVALID if result.status == "rejected" else EXIT_USAGE
