"""The store interface and its embedded Oxigraph backend."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from chmgraph.errors import StoreError, SyntaxGateError
from chmgraph.store import GraphStore, OxigraphStore, open_store, replacement_update

G1, G2, G3 = (
    "https://example.org/chmgraph/synthetic/g1",
    "https://example.org/chmgraph/synthetic/g2",
    "https://example.org/chmgraph/synthetic/g3",
)
P = ox.NamedNode("https://example.org/chmgraph/synthetic/p")


def triples(n: int, tag: str) -> list[ox.Triple]:
    """``n`` synthetic triples whose objects all carry ``tag``."""
    return [
        ox.Triple(ox.NamedNode(f"https://example.org/chmgraph/synthetic/s{i}"), P, ox.Literal(tag))
        for i in range(n)
    ]


def quads_in(graph: str, items: list[ox.Triple]) -> list[ox.Quad]:
    return [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in items]


@pytest.fixture(params=["memory", "disk"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> GraphStore:
    path = None if request.param == "memory" else tmp_path / "store"
    with open_store(path, create=True) as opened:
        yield opened


def test_replace_graphs_makes_each_graph_exactly_its_triples(store: GraphStore) -> None:
    store.add(quads_in(G1, triples(5, "old")) + quads_in(G2, triples(3, "kept")))
    record = quads_in(G3, triples(1, "record"))
    store.replace_graphs({G1: triples(2, "new")}, add=record)
    assert {q.triple for q in store.quads(G1)} == set(triples(2, "new"))
    assert {q.triple for q in store.quads(G2)} == set(triples(3, "kept"))
    assert list(store.quads(G3)) == record
    assert store.graphs() == [G1, G2, G3]
    assert (store.count(G1), store.count()) == (2, 6)


def test_replace_graphs_with_a_bad_extra_quad_changes_nothing(store: GraphStore) -> None:
    store.add(quads_in(G1, triples(5, "old")))
    before = set(store.quads())
    outside = ox.Quad(ox.NamedNode("https://example.org/chmgraph/synthetic/x"), P, ox.Literal("x"))
    with pytest.raises(ValueError, match="outside a named graph"):
        store.replace_graphs({G1: triples(2, "new")}, add=[outside])
    assert set(store.quads()) == before


def test_query_sees_the_given_default_graph_and_substitutions(store: GraphStore) -> None:
    store.add(quads_in(G1, triples(2, "one")) + quads_in(G2, triples(3, "two")))
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(next(iter(store.query(count, default_graph=[G1, G2])))["n"].value) == 5
    assert int(next(iter(store.query(count, default_graph=[G2])))["n"].value) == 3
    assert int(next(iter(store.query(count, union=True)))["n"].value) == 5
    assert int(next(iter(store.query(count)))["n"].value) == 0  # the store's own default graph
    with pytest.raises(ValueError, match="not both"):
        store.query(count, default_graph=[G1], union=True)
    subject = ox.NamedNode("https://example.org/chmgraph/synthetic/s1")
    rows = store.query(
        "SELECT ?s ?o WHERE { ?s ?p ?o }", default_graph=[G1], substitutions={"s": subject}
    )
    assert [row["o"] for row in rows] == [ox.Literal("one")]


def test_bulk_load_reports_progress_and_dump_round_trips(store: GraphStore, tmp_path: Path) -> None:
    source = tmp_path / "big.nt"
    source.write_bytes(ox.serialize(triples(20_000, "bulk"), format=ox.RdfFormat.N_TRIPLES))
    seen: list[tuple[int, int]] = []
    store.bulk_load(source, to_graph=G1, progress=lambda done, total: seen.append((done, total)))
    assert store.count(G1) == 20_000
    assert seen[-1] == (source.stat().st_size, source.stat().st_size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    out = tmp_path / "out.nt"
    store.dump(out, ox.RdfFormat.N_TRIPLES, graph=G1)
    assert {q.triple for q in ox.parse(path=out)} == set(triples(20_000, "bulk"))


def test_bulk_load_of_a_malformed_file_names_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.ttl"
    source.write_text("<http://e/s> <http://e/p> <http://e/o> .\n<http://e/s> <http://e/p> .\n")
    with OxigraphStore(None) as store, pytest.raises(SyntaxGateError) as raised:
        store.bulk_load(source, to_graph=G1)
    assert (raised.value.path, raised.value.line) == (str(source), 2)


@pytest.mark.slow
def test_a_reader_sees_a_replacement_whole_or_not_at_all(store: GraphStore) -> None:
    """A reader querying while a large replacement commits sees the old graphs or the new ones
    (a submission's national graph, its inferred graph and its record archiving the statements,
    together), never a mix."""
    # On disk a commit is slower, so fewer triples keep the window as long.
    size = 60_000 if store.location == "memory" else 8_000
    old, new = triples(1_000, "old"), triples(size, "new")
    archive = ox.Literal(ox.serialize(new, format=ox.RdfFormat.N_TRIPLES).decode())
    record = ox.Quad(ox.NamedNode(G3 + "/v2"), P, archive, ox.NamedNode(G3))
    store.replace_graphs({G1: old, G2: old}, add=quads_in(G3, triples(1, "v1")))
    request = replacement_update({G1: new, G2: new}, [*quads_in(G3, triples(1, "v2")), record])
    snapshot = f"""SELECT ?current ?inferred ?records WHERE {{
      {{ SELECT (COUNT(*) AS ?current) WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }} }}
      {{ SELECT (COUNT(*) AS ?inferred) WHERE {{ GRAPH <{G2}> {{ ?s ?p ?o }} }} }}
      {{ SELECT (COUNT(*) AS ?records) WHERE {{ GRAPH <{G3}> {{ ?s ?p ?o }} }} }}
    }}"""
    seen: list[tuple[float, tuple[int, ...]]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            row = next(iter(store.query(snapshot)))
            counts = tuple(int(row[name].value) for name in ("current", "inferred", "records"))
            seen.append((time.monotonic(), counts))

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.05)
    start = time.monotonic()
    store.update(request)
    end = time.monotonic()
    done.set()
    reader.join()
    # The records graph keeps v1's triple and gains v2's two (one its archive).
    assert {counts for _, counts in seen} <= {(1_000, 1_000, 1), (size, size, 3)}
    assert any(start < moment < end for moment, _ in seen), "no read during the commit"


def test_missing_store_is_an_error_not_a_new_empty_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at") as raised:
        open_store(tmp_path / "missing")
    assert raised.value.exit_code == 3
    assert not (tmp_path / "missing").exists()


def test_unwritable_store_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="not writable"):
        open_store(blocker / "store", create=True)


def test_store_locked_by_another_process_says_so(tmp_path: Path, hold_store) -> None:
    path = tmp_path / "store"
    open_store(path, create=True).close()
    hold_store(path)
    with pytest.raises(StoreError, match=f"store at {path} is in use by another process"):
        open_store(path)


def test_replace_graphs_keeps_every_kind_of_term(store: GraphStore) -> None:
    """Quotes, backslashes, line breaks, scripts, language tags, datatypes and blank nodes
    come back from the store as they went in."""
    s = ox.NamedNode("https://example.org/chmgraph/synthetic/s")
    node = ox.BlankNode()
    objects = [
        ox.Literal('He said "yes"\\ then\nleft\t.'),
        ox.Literal("Объединённые Нации", language="ru"),
        ox.Literal("联合国", language="zh"),
        ox.Literal("الأمم المتحدة", language="ar"),
        ox.Literal("x y", datatype=ox.NamedNode("https://example.org/chmgraph/synthetic/type")),
        ox.NamedNode("https://example.org/chmgraph/synthetic/o?q=1&r=%20#frag"),
        node,
    ]
    given = [ox.Triple(s, P, o) for o in objects] + [ox.Triple(node, P, ox.Literal("inner"))]
    store.replace_graphs({G1: given})
    stored = [q.triple for q in store.quads(G1)]
    assert {t for t in stored if not isinstance(t.object, ox.BlankNode)} - {
        t for t in stored if isinstance(t.subject, ox.BlankNode)
    } == set(given[:-2])
    [blank] = [t.object for t in stored if isinstance(t.object, ox.BlankNode)]
    assert [t.object for t in stored if t.subject == blank] == [ox.Literal("inner")]
