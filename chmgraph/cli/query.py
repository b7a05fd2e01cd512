"""The query commands: ``queries`` lists the library, ``query`` runs one of its queries (or a
file, or text) on the network or on a remote SPARQL endpoint, and prints the answer."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pyoxigraph as ox
from rich.table import Table

from chmgraph.cli.console import add_row, console, err_console, escape
from chmgraph.cli.store import store_option
from chmgraph.entailment import materialize
from chmgraph.errors import InputError
from chmgraph.network import Network
from chmgraph.query import (
    RESULT_FORMATS,
    QueryResult,
    as_rows,
    resolve_graph,
    self_contained,
    serialize,
)
from chmgraph.query.library import NamedQuery, QueryLibrary
from chmgraph.query.remote import run_remote
from chmgraph.rdfio import FORMAT_NAMES
from chmgraph.settings import Settings
from chmgraph.vocabulary import curie


def register(group: click.Group) -> None:
    group.add_command(queries)
    group.add_command(query)
    group.add_command(entail)


@click.command()
@click.option(
    "--format",
    "format_",
    type=click.Choice(["table", "turtle", "jsonld", "ntriples"]),
    default="table",
    help="table (default), or the library described as RDF.",
)
def queries(format_: str) -> None:
    """List the query library: name, title and parameters of each query."""

    library = QueryLibrary.load()
    if format_ != "table":
        sys.stdout.write(library.serialize(FORMAT_NAMES[format_]).decode("utf-8"))
        return
    table = Table("name", "title", "parameters (type = default)", caption=_caption(library))
    for named in library:
        add_row(table, named.name, named.title, _parameters(named))
    console.print(table)


@click.command()
@store_option
@click.argument("name", required=False)
@click.option("-e", "--expression", help="SPARQL text to run instead of a NAME or FILE.rq.")
@click.option(
    "-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="A parameter (repeat)."
)
@click.option(
    "--graph",
    "graphs",
    multiple=True,
    metavar="GRAPH",
    help="Restrict to a graph: a country code, ontology, reference, cbd, submissions or an IRI.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(RESULT_FORMATS),
    default="table",
    help="table (default); csv, tsv, json, xml (W3C SPARQL results); turtle, jsonld, ntriples.",
)
@click.option("--limit", type=click.IntRange(min=0), help="At most this many rows.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds (default: setting query_timeout_s).",
)
@click.option("--endpoint", metavar="URL", help="Run at a remote SPARQL 1.1 endpoint instead.")
@click.option("--no-entailment", is_flag=True, help="Only asserted triples, no inferred ones.")
@click.option(
    "--print",
    "print_",
    is_flag=True,
    help="Print the self-contained query (prefixes, parameters bound, its graphs in FROM "
    "clauses) to run on any SPARQL engine holding the dump, instead of running it.",
)
def query(
    store_path: Path | None,
    name: str | None,
    expression: str | None,
    params: tuple[str, ...],
    graphs: tuple[str, ...],
    format_: str,
    limit: int | None,
    timeout: float | None,
    endpoint: str | None,
    no_entailment: bool,
    print_: bool,
) -> None:
    """Run a query of the library (NAME), a FILE.rq, or -e TEXT, and print its answer."""

    named = _chosen_query(name, expression)
    values = dict(_pair(p) for p in params)
    settings = Settings.from_env(query_timeout_s=timeout)
    if print_:
        with Network.open(store_path, settings=settings) as network:
            text = self_contained(
                network, named, params=values, graphs=graphs, entailment=not no_entailment
            )
        click.echo(text.rstrip("\n"))
        return
    if endpoint:
        result = run_remote(
            endpoint, named, params=values, graphs=graphs, limit=limit, settings=settings
        )
    else:
        with Network.open(store_path, settings=settings) as network:
            result = network.query(
                named, params=values, graphs=graphs, entailment=not no_entailment, limit=limit
            )
    _print(result, format_)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


@click.command()
@store_option
@click.option("--graph", "graphs", multiple=True, metavar="GRAPH", help="Only this graph (repeat).")
def entail(store_path: Path | None, graphs: tuple[str, ...]) -> None:
    """Recompute the inferred graphs (what the vocabulary's axioms entail) of the current graphs."""

    with Network.open(store_path) as network:
        chosen = [resolve_graph(g) for g in graphs] or None
        written = materialize(network, chosen)
    console.print(f"{written:,} inferred triples written", highlight=False)


def _chosen_query(name: str | None, expression: str | None) -> NamedQuery:
    if bool(name) == bool(expression):
        raise InputError("give a query NAME (see `chmgraph queries`), a FILE.rq, or -e TEXT")
    if expression:
        return NamedQuery.from_text(expression)
    return QueryLibrary.load().resolve(name or "")


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--param {text!r}: expected NAME=VALUE")
    return key.strip(), value


def _print(result: QueryResult, format_: str) -> None:
    if format_ == "table":
        console.print(_table(result))
    else:
        sys.stdout.write(serialize(result, format_))


def _table(result: QueryResult) -> Table | str:
    if result.form == "ASK":
        return "yes" if result.boolean else "no"
    rows = as_rows(result)
    count = len(rows.rows)
    caption = f"{count:,} row{'' if count == 1 else 's'} in {result.elapsed_s * 1000:.0f} ms"
    table = Table(*rows.variables, caption=caption)
    for row in rows.rows:
        add_row(table, *("" if t is None else _short(t) for t in row))
    return table


def _short(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    if isinstance(term, ox.NamedNode):
        return curie(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _parameters(named: NamedQuery) -> str:
    return ", ".join(
        f"{p.name}: {p.type}" + (f" = {p.default}" if p.default is not None else "")
        for p in named.parameters
    )


def _caption(library: QueryLibrary) -> str:
    return f"{len(library)} queries; run one with: chmgraph query NAME -p name=value"
