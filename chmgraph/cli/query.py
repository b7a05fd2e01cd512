"""The query commands: ``queries`` lists the library, ``query`` runs one of its queries (or a
file, or text) on the network or on a remote SPARQL endpoint, and prints the answer."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pyoxigraph as ox
from rich.table import Table

from chmgraph import iris
from chmgraph.cli.console import add_row, console, err_console, escape, show, table
from chmgraph.cli.store import store_option, wide_option
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
from chmgraph.query.library import NamedQuery, Parameter, QueryLibrary
from chmgraph.query.remote import run_remote
from chmgraph.query.run import save_answers
from chmgraph.query.saved import SavedAnswers
from chmgraph.rdfio import FORMAT_NAMES
from chmgraph.settings import Settings

# The six languages of the United Nations, in which the vocabulary and reference data are labelled.
LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")


def register(group: click.Group) -> None:
    group.add_command(queries)
    group.add_command(query)
    group.add_command(entail)
    group.add_command(answers)


@click.command()
@click.option(
    "--format",
    "format_",
    type=click.Choice(["table", "turtle", "jsonld", "ntriples"]),
    default="table",
    help="table (default), or the library described as RDF.",
)
@click.option(
    "--search",
    metavar="WORD",
    help="Only the queries that mention WORD (name, title, description, keywords, parameters).",
)
@wide_option
def queries(format_: str, search: str | None, wide: bool) -> None:
    """List the query library: name, title and parameters of each query."""

    library = QueryLibrary.load()
    if format_ != "table":
        sys.stdout.write(library.serialize(FORMAT_NAMES[format_]).decode("utf-8"))
        return
    chosen = library.search(search) if search else list(library)
    if search and not chosen:
        raise InputError(f"no query mentions {search!r}; `chmgraph queries` lists them all")
    found = table(
        "name",
        "title",
        "parameters (type = default)",
        whole=("name",),
        caption=_caption(len(chosen), len(library)),
    )
    for named in chosen:
        add_row(found, named.name, named.title, _parameters(named))
    show(found, wide=wide)


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
    "--offset", type=click.IntRange(min=0), default=0, help="Skip this many rows first (paging)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds (default: setting query_timeout_s).",
)
@click.option("--endpoint", metavar="URL", help="Run at a remote SPARQL 1.1 endpoint instead.")
@click.option("--no-entailment", is_flag=True, help="Only asserted triples, no inferred ones.")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help="The language of labels, English where a label has none in it (the query's `lang`).",
)
@click.option(
    "--show",
    "describe",
    is_flag=True,
    help="Describe the query (title, parameters, text); run nothing.",
)
@click.option(
    "--print",
    "print_",
    is_flag=True,
    help="Print the self-contained query (prefixes, parameters bound, its graphs in FROM "
    "clauses) to run on any SPARQL engine holding the dump, instead of running it.",
)
@wide_option
def query(
    store_path: Path | None,
    name: str | None,
    expression: str | None,
    params: tuple[str, ...],
    graphs: tuple[str, ...],
    format_: str,
    limit: int | None,
    offset: int,
    timeout: float | None,
    endpoint: str | None,
    no_entailment: bool,
    lang: str | None,
    describe: bool,
    print_: bool,
    wide: bool,
) -> None:
    """Run a query of the library (NAME), a FILE.rq, or -e TEXT, and print its answer."""

    named = _chosen_query(name, expression)
    values = dict(_pair(p) for p in params)
    if lang and any(p.name == "lang" for p in named.parameters):
        values.setdefault("lang", lang)
    elif lang:
        err_console.print(
            f"[yellow]warning:[/] {escape(named.name)} picks no labels; --lang changes nothing",
            highlight=False,
        )
    if describe:
        _describe(named)
        return
    settings = Settings.from_env(query_timeout_s=timeout)
    if print_:
        with Network.open(store_path, read_only=True, settings=settings) as network:
            text = self_contained(
                network, named, params=values, graphs=graphs, entailment=not no_entailment
            )
        click.echo(text.rstrip("\n"))
        return
    if endpoint:
        result = run_remote(
            endpoint,
            named,
            params=values,
            graphs=graphs,
            limit=limit,
            offset=offset,
            settings=settings,
        )
    else:
        with Network.open(store_path, read_only=True, settings=settings) as network:
            result = network.query(
                named,
                params=values,
                graphs=graphs,
                entailment=not no_entailment,
                limit=limit,
                offset=offset,
            )
    _print(result, format_, wide=wide)
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


@click.command()
@store_option
@click.option("--clear", is_flag=True, help="Remove every saved answer instead.")
def answers(store_path: Path | None, clear: bool) -> None:
    """Compute and save the library's answers for the network's present state (each query with
    its default parameters), so every reader of that state gets them at once; those saved
    already are kept. `chmgraph serve` does this itself after each change."""
    settings = Settings.from_env()
    with Network.open(store_path, read_only=True) as network:
        saved = SavedAnswers.of(network.store)
        if saved is None:
            raise InputError(f"{network.store.location}: only a store on disk keeps saved answers")
        if clear:
            saved.clear()
            console.print(f"removed the saved answers of {network.store.location}", markup=False)
            return
        if not settings.saved_answers:
            raise InputError(
                "saved answers are off (setting saved_answers, CHMGRAPH_SAVED_ANSWERS)"
            )

        def progress(name: str, seconds: float) -> None:
            err_console.print(f"saved {name} ({seconds:.2f} s)", markup=False, highlight=False)

        done = save_answers(network, settings=settings, progress=progress)
    computed = [n for n, s in done.seconds.items() if s is not None]
    console.print(
        f"{len(done.seconds)} answers saved for state {done.state} ({len(computed)} computed now, "
        f"{sum(s or 0 for s in done.seconds.values()):.1f} s)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for name, reason in done.skipped.items():
        err_console.print(f"not saved: {name}: {escape(reason)}", highlight=False)


def _describe(named: NamedQuery) -> None:
    """A query's header and text, as a reader choosing a query wants them."""
    lines = [f"{named.name}: {named.title}" if named.title else named.name]
    for label, value in (("question", named.question), ("description", named.description)):
        if value:
            lines.append(f"{label}: {value}")
    if named.keywords:
        lines.append("keywords: " + ", ".join(named.keywords))
    for parameter in named.parameters:
        default = f"default {_default(parameter)}" if parameter.default is not None else "optional"
        about = f": {parameter.description}" if parameter.description else ""
        lines.append(f"  -p {parameter.name}={parameter.type.upper()} ({default}){about}")
    if not named.parameters:
        lines.append("no parameters")
    lines += ["", named.text.rstrip("\n")]
    console.print(escape("\n".join(lines)), highlight=False, soft_wrap=True)


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


def _print(result: QueryResult, format_: str, *, wide: bool = False) -> None:
    if format_ != "table":
        sys.stdout.write(serialize(result, format_))
    elif result.form == "ASK":
        console.print("yes" if result.boolean else "no")
    else:
        show(_table(result), wide=wide)


def _table(result: QueryResult) -> Table:
    rows = as_rows(result)
    count = len(rows.rows)
    caption = f"{count:,} row{'' if count == 1 else 's'} in {result.elapsed_s * 1000:.0f} ms"
    # A column of IRIs is what a reader copies back into a query: it never wraps.
    whole = tuple(v for i, v in enumerate(rows.variables) if any(_is_iri(r[i]) for r in rows.rows))
    found = table(*rows.variables, whole=whole, caption=caption)
    for row in rows.rows:
        add_row(found, *("" if t is None else _short(t) for t in row))
    return found


def _is_iri(term: object) -> bool:
    return isinstance(term, ox.NamedNode)


def _short(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """A term as a table shows it: an IRI in a form SPARQL reads back, a literal's text."""
    if isinstance(term, ox.NamedNode):
        return iris.compact(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _parameters(named: NamedQuery) -> str:
    return ", ".join(
        f"{p.name}: {p.type}" + (f" = {_default(p)}" if p.default is not None else "")
        for p in named.parameters
    )


def _default(parameter: Parameter) -> str:
    """A parameter's default as ``-p`` and query text both read it (IRIs compacted)."""
    if parameter.type == "iri" and parameter.default is not None:
        return iris.compact(parameter.term(parameter.default).value)
    return parameter.default or ""


def _caption(shown: int, total: int) -> str:
    count = f"{total} queries" if shown == total else f"{shown} of {total} queries"
    return f"{count}; run one with: chmgraph query NAME -p name=value"
