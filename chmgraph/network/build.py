"""Building the network: the ontology, reference and CBD graphs from files, the query library,
their entailments, and national graphs in bulk for demo networks."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.entailment import Rules, materialize, with_inferences
from chmgraph.errors import ChmgraphError, InputError
from chmgraph.network.catalogue import BASE_GRAPHS, graph_kind
from chmgraph.network.history import archive, now, record_quads, versions
from chmgraph.query.library import QueryLibrary
from chmgraph.rdfio import graphs_in_file, read_quads
from chmgraph.settings import DATA_DIR, ONTOLOGY_DIR
from chmgraph.store import GraphStore
from chmgraph.synth import SyntheticNetwork

# Called with (what is loading, amount done, total) while ``init`` loads files.
InitProgress = Callable[[str, int, int], None]

_MODIFIED = iris.PREFIXES["dcterms"] + "modified"
# Quads added at once to a store without a bulk loader (a remote engine): a few national graphs
# of a large network per request, in a bounded memory. A store with a bulk loader is handed one
# stream of every country's quads instead: Oxigraph's loader writes its files compressed at the
# bottom level of its store, but a second load overlapping the first is compacted into the upper
# levels, which are not compressed (1M triples in four loads: 285 bytes a quad; in one: 170).
BULK_BATCH_QUADS = 500_000


def build(
    store: GraphStore,
    *,
    data_dir: Path | None = None,
    progress: InitProgress | None = None,
    force: bool = False,
) -> None:
    """Load the ontology, reference and CBD graphs and the query library, then recompute every
    inferred graph (``chmgraph.network.Network.init`` says what is kept)."""
    data_dir = data_dir or DATA_DIR
    present = [g for g in BASE_GRAPHS if g in store.graphs()]
    if present and not force:
        raise ChmgraphError(
            f"store at {store.location} is already built; use --force to reload the "
            "ontology, reference and CBD graphs (national graphs and history are kept)"
        )
    sources = {
        iris.ONTOLOGY_GRAPH: sorted(ONTOLOGY_DIR.glob("*.ttl")),
        iris.REFERENCE_GRAPH: sorted((data_dir / "reference").glob("*.ttl")),
        iris.CBD_GRAPH: sorted((data_dir / "cbd").glob("*.ttl")),
    }
    loaded = {g: _read_graph(files, g, progress) for g, files in sources.items()}
    loaded[iris.QUERIES_GRAPH] = _query_library()
    store.update("".join(f"DROP SILENT GRAPH <{g}> ;\n" for g in loaded) + _stamp(loaded))
    for graph, quads in loaded.items():
        if progress:
            progress(f"loading {graph_kind(graph)[0]} graph", 0, len(quads))
        _load(store, quads)
    if progress:
        progress("materializing entailments", 0, 1)
    materialize(store)


def load_synthetic(
    store: GraphStore, triples: int, *, seed: int = 0, progress: InitProgress | None = None
) -> list[str]:
    """Fill the national graphs of countries without a version with a synthetic network of
    about ``triples`` triples (``chmgraph.synth``); returns the countries filled."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"synthetic-{triples}-seed{seed}.trig"
        if progress:
            progress("generating the synthetic network", 0, 1)
        SyntheticNetwork(target_triples=triples, seed=seed).write_file(path)
        return load_national_graphs(
            store,
            path,
            by="chmgraph init",
            message=f"Synthetic data (chmgraph.synth, seed {seed}): not real facts.",
            progress=progress,
        )


def load_national_graphs(
    store: GraphStore,
    path: Path,
    *,
    by: str,
    message: str,
    progress: InitProgress | None = None,
) -> list[str]:
    """Bulk-load the national graphs of a TriG file (a synthetic network for demos) as
    version 1 of each country that has no version yet; returns the countries loaded.

    This is the bulk path for building a demo network: the graphs are parsed strictly but
    not validated (the history says so), and countries that already have versions are left
    as they are. Each country's graph, inferred graph and record are loaded together, the file
    read one graph at a time (``chmgraph.rdfio.graphs_in_file``) and streamed to the bulk loader
    in one load (``BULK_BATCH_QUADS`` at a time to a store without one), so the memory needed is
    bounded whatever the file's size.
    """
    digest = _sha256(path)
    rules = Rules.of(store)
    when = now()
    loaded: list[str] = []

    def read(done: int, total: int) -> None:
        if progress:
            progress(f"loading national graphs from {path.name}", done, total)

    def countries() -> Iterator[list[ox.Quad]]:
        """Each new country's graph, inferred graph and record, one country at a time."""
        for graph, triples in graphs_in_file(path, progress=read):
            code = iris.country_of_graph(graph)
            if code is None:
                raise InputError(f"{path}: <{graph}> is not a national graph")
            if versions(store, code):
                continue
            record = record_quads(
                country=code,
                number=1,
                triples=len(triples),
                sha256=digest,
                when=when,
                by=by,
                message=message,
                validation="not validated",
                content=archive(triples),
            )
            national = list(_in_graph(iris.national_graph(code), triples))
            loaded.append(code)
            yield with_inferences(rules, [*national, *record])

    if store.capabilities.bulk_load:
        store.bulk_load(quad for quads in countries() for quad in quads)
    else:
        batch: list[ox.Quad] = []
        for quads in countries():
            batch += quads
            if len(batch) >= BULK_BATCH_QUADS:
                store.add(batch)
                batch = []
        if batch:
            store.add(batch)
    return sorted(loaded)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from None
    return digest.hexdigest()


def _load(store: GraphStore, quads: list[ox.Quad]) -> None:
    if store.capabilities.bulk_load:
        store.bulk_load(quads)
    else:
        store.add(quads)


def _query_library() -> list[ox.Quad]:
    graph = ox.NamedNode(iris.QUERIES_GRAPH)
    return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in QueryLibrary.load().triples()]


def _read_graph(files: Iterable[Path], graph: str, progress: InitProgress | None) -> list[ox.Quad]:
    files = list(files)
    quads: list[ox.Quad] = []
    for done, path in enumerate(files):
        if progress:
            progress(f"reading {path.name}", done, len(files))
        quads += read_quads(path, default_graph=ox.NamedNode(graph))
    return quads


def _stamp(graphs: Iterable[str]) -> str:
    when = now().isoformat()
    deletes = "".join(
        f"DELETE WHERE {{ GRAPH <{iris.SUBMISSIONS_GRAPH}> {{ <{g}> <{_MODIFIED}> ?t }} }} ;\n"
        for g in graphs
    )
    stamps = "".join(
        f'<{g}> <{_MODIFIED}> "{when}"^^<{iris.PREFIXES["xsd"]}dateTime> .\n' for g in graphs
    )
    return deletes + f"INSERT DATA {{ GRAPH <{iris.SUBMISSIONS_GRAPH}> {{\n{stamps}}} }}"


def _in_graph(graph: str, triples: Iterable[ox.Triple]) -> Iterator[ox.Quad]:
    name = ox.NamedNode(graph)
    return (ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
