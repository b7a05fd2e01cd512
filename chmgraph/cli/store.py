"""The store commands: ``init``, ``status``, ``submit``, ``history``, ``diff``, ``rollback``,
``graphs``. Each opens the network, calls one method of ``chmgraph.network.Network`` and prints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import click
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from chmgraph.cli.console import add_row, console, err_console, show, table
from chmgraph.errors import EXIT_INVALID
from chmgraph.iris import GRAPH
from chmgraph.network import BASE_GRAPHS, GraphInfo, Network, SubmissionResult, VersionRecord
from chmgraph.network.submission import STDIN_NAME
from chmgraph.rdfio import FORMAT_NAMES
from chmgraph.synth import parse_size

F = TypeVar("F", bound=Callable[..., object])
_GRAPH_COLUMNS = ("graph", "kind", "country", "triples", "version", "modified (UTC)")


def register(group: click.Group) -> None:
    for command in (init, status, submit, history, diff, rollback, graphs):
        group.add_command(command)


def store_option(command: F) -> F:
    """``--store PATH|URL``: the store to use (else ``$CHMGRAPH_STORE``, else the default)."""
    return click.option(
        "--store",
        "store_path",
        type=str,
        default=None,
        metavar="PATH|URL",
        help="The store directory, or a remote engine (oxigraph+http://HOST:PORT) "
        "(default: $CHMGRAPH_STORE, else ~/.local/share/chmgraph/store).",
    )(command)


def wide_option(command: F) -> F:
    """``--wide``: tables at their full width, one line per row."""
    return click.option(
        "--wide", is_flag=True, help="Print tables at their full width, one line per row."
    )(command)


@contextmanager
def _network(store_path: Path | None, **options: bool) -> Iterator[Network]:
    with Network.open(store_path, **options) as network:
        yield network


@click.command()
@store_option
@click.option("--force", is_flag=True, help="Reload the ontology, reference and CBD graphs.")
@click.option(
    "--with-example", is_flag=True, help="Submit the example national CHM as CM's first version."
)
@click.option(
    "--with-synthetic",
    "synthetic",
    metavar="SIZE",
    help="Fill the countries without a version with a synthetic network of about SIZE triples "
    "(100k, 1m or a number), for demos.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the synthetic network.")
def init(
    store_path: Path | None, force: bool, with_example: bool, synthetic: str | None, seed: int
) -> None:
    """Build the store from ontology/ and data/ (national graphs and history are kept)."""

    size = parse_size(synthetic) if synthetic else None
    with _network(store_path, create=True) as network:
        with _progress_bar() as progress:
            network.init(force=force, progress=progress)
        loaded = ", ".join(f"{_short(g)} {network.store.count(g):,}" for g in BASE_GRAPHS)
        console.print(
            f"built the network store at {network.store.location} (triples: {loaded})",
            highlight=False,
            soft_wrap=True,
        )
        if with_example:
            _print_result(network.submit_example(), "the example submission")
        if size:
            with _progress_bar() as progress:
                countries = network.load_synthetic(size, seed=seed, progress=progress)
            console.print(f"synthetic national graphs: {len(countries)} countries")


@click.command()
@store_option
@wide_option
def status(store_path: Path | None, wide: bool) -> None:
    """What the network holds: graphs, triples, workshops, countries, national graphs."""

    with _network(store_path, read_only=True) as network:
        summary = network.status()
    found = _graph_table(f"graphs under {GRAPH}; every graph: chmgraph graphs")
    grouped = ("national", "inferred")  # one row each: there may be hundreds
    for info in summary.graph_list:
        if info.kind not in grouped:
            add_row(found, *_graph_row(info))
    for kind in grouped:
        infos = [g for g in summary.graph_list if g.kind == kind]
        if infos:
            latest = max((g.modified for g in infos if g.modified), default=None)
            total = sum(g.triples for g in infos)
            add_row(found, f"{kind}/* ({len(infos)})", kind, "", f"{total:,}", "", _when(latest))
    show(found, wide=wide)
    facts = Table(show_header=False, title=f"store at {summary.location}")
    for label, value in (
        ("graphs", summary.graphs),
        ("triples", summary.triples),
        ("capacity-building workshops", summary.capacity_building_workshops),
        ("workshops of any kind (parallel ones too)", summary.workshops),
        ("countries", summary.countries),
        ("national graphs with data", summary.national_graphs),
    ):
        add_row(facts, label, f"{value:,}")
    console.print(facts)


@click.command()
@store_option
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code of the national CHM.")
@click.option("--by", help="Who submits: a name or an IRI (ORCID, web ID).")
@click.option("--message", help="What changed, in a sentence.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(sorted(FORMAT_NAMES)),
    help="The RDF format (default: from the file name; turtle for standard input).",
)
@click.option("--name", help="The name reports give FILE read from standard input (-).")
def submit(
    store_path: Path | None,
    file: Path,
    country: str,
    by: str | None,
    message: str | None,
    format_: str | None,
    name: str | None,
) -> None:
    """Validate FILE (- for standard input) and, if it conforms, make it the country's national
    graph."""
    rdf_format = FORMAT_NAMES[format_] if format_ else None
    # Standard input is read before the store is opened: the store is never held while waiting.
    source: Path | bytes = click.get_binary_stream("stdin").read() if str(file) == "-" else file
    with _network(store_path) as network:
        result = network.submit(
            source, country, by=by, message=message, name=name, format=rdf_format
        )
    _print_result(result, name or (STDIN_NAME if isinstance(source, bytes) else file))
    if result.status == "rejected":
        raise SystemExit(EXIT_INVALID)


@click.command()
@store_option
@click.argument("country")
@wide_option
def history(store_path: Path | None, country: str, wide: bool) -> None:
    """Every accepted version of COUNTRY's national graph."""

    with _network(store_path, read_only=True) as network:
        records = network.history(country)
    if not records:
        console.print(f"{country.upper()} has no accepted version yet")
        return
    found = table(
        "version",
        "when",
        "by",
        "triples",
        "sha256",
        "validation",
        "message",
        whole=("version", "when", "triples", "sha256"),
    )
    for r in records:
        note = r.message or ""
        if r.restored_from is not None:
            note = f"rollback to {r.restored_from}" + (f": {note}" if note else "")
        upstream = _upstream(r)
        if upstream:
            note += f" (upstream: {upstream})"
        add_row(
            found,
            str(r.number),
            _when(r.when),
            r.by or "",
            f"{r.triples:,}",
            r.sha256[:12],
            r.validation or "",
            note,
        )
    show(found, wide=wide)


@click.command()
@store_option
@click.argument("country")
@click.argument("v1", type=click.IntRange(min=0))
@click.argument("v2", type=click.IntRange(min=0))
def diff(store_path: Path | None, country: str, v1: int, v2: int) -> None:
    """The triples version V2 of COUNTRY's graph adds (+) to version V1, and removes (-).

    Version 0 is the empty graph before the first submission.
    """
    with _network(store_path, read_only=True) as network:
        added, removed = network.diff(country, v1, v2)
    for triple in removed:
        click.echo(f"- {triple} .")
    for triple in added:
        click.echo(f"+ {triple} .")
    click.echo(f"# {len(added)} added, {len(removed)} removed", err=True)


@click.command()
@store_option
@click.argument("country")
@click.option("--to", "to", required=True, type=click.IntRange(min=1), help="The version.")
@click.option("--by", help="Who rolls back: a name or an IRI.")
@click.option("--message", help="Why.")
def rollback(
    store_path: Path | None, country: str, to: int, by: str | None, message: str | None
) -> None:
    """Make version TO of COUNTRY's graph current again, as a new version."""
    with _network(store_path) as network:
        result = network.rollback(country, to, by=by, message=message)
    _print_result(result, f"version {to}")


@click.command()
@store_option
@wide_option
def graphs(store_path: Path | None, wide: bool) -> None:
    """Every graph of the store: kind, country, triples, version, last modified."""

    with _network(store_path, read_only=True) as network:
        infos = network.graphs()
    found = _graph_table(f"graphs under {GRAPH}")
    for info in infos:
        add_row(found, *_graph_row(info))
    show(found, wide=wide)


def _upstream(record: VersionRecord) -> str:
    """What a harvested version's upstream network stated about it: version, time, steward."""
    parts = []
    if record.upstream_version is not None:
        parts.append(f"version {record.upstream_version}")
    if record.upstream_when is not None:
        parts.append(_when(record.upstream_when))
    if record.upstream_steward:
        parts.append(f"by {record.upstream_steward}")
    return ", ".join(parts)


def _graph_table(caption: str) -> Table:
    return table(*_GRAPH_COLUMNS, whole=("graph", "modified (UTC)"), caption=caption)


def _graph_row(info: GraphInfo) -> list[str]:
    return [
        _short(info.iri),
        info.kind,
        info.country or "",
        f"{info.triples:,}",
        str(info.version) if info.version is not None else "",
        _when(info.modified),
    ]


def _short(iri: str) -> str:
    """A graph IRI without the network's graph base, which every table states once."""
    return iri.removeprefix(GRAPH)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment else ""


def _print_result(result: SubmissionResult, what: str | Path | None = None) -> None:

    what = str(what or result.country)
    if result.status == "accepted":
        console.print(
            f"accepted: {result.country} version {result.version} ({result.triples:,} triples)",
            highlight=False,
            soft_wrap=True,
        )
    elif result.status == "unchanged":
        console.print(
            f"unchanged: {what} is identical to {result.country} version {result.version}; "
            "nothing stored",
            highlight=False,
            soft_wrap=True,
        )
    else:
        err_console.print(
            f"[bold red]rejected:[/] {what} does not conform; nothing stored", soft_wrap=True
        )
    if result.status == "rejected" and result.checked is not None:
        err_console.print(result.checked.render(), highlight=False, markup=False, soft_wrap=True)


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int], None]]:

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    # A bar is for a person at a terminal: in a pipe or a log it would only leave an empty line.
    quiet = not err_console.is_terminal
    with Progress(*columns, console=err_console, transient=True, disable=quiet) as bar:
        task = bar.add_task("loading", total=None)

        def report(description: str, done: int, total: int) -> None:
            bar.update(task, description=description, completed=done, total=total or None)

        yield report
