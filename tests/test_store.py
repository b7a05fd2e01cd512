"""The store contract, run on every backend, and what is particular to the embedded one.

``StoreContract`` holds the tests every backend must pass; each backend is one subclass that
says how to open an empty store (the pattern of pyoxigraph's own store tests). The remote
backends add their subclasses beside these.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from servers import Virtuoso, oxigraph_server

from chmgraph.errors import ChmgraphError, QueryTimeout, StoreError, SyntaxGateError
from chmgraph.query.remote import run_remote
from chmgraph.store import (
    Credentials,
    GraphStore,
    Guard,
    OxigraphStore,
    RemoteStore,
    open_store,
    replacement_update,
)
from chmgraph.store.remote import CHUNK_QUADS, STAGING, STALE_STAGING_S

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


class StoreContract:
    """What every backend of ``GraphStore`` does; a subclass provides ``open_empty``."""

    def open_empty(self, tmp_path: Path) -> GraphStore:
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path: Path) -> GraphStore:
        with self.open_empty(tmp_path) as opened:
            yield opened

    def test_replace_graphs_makes_each_graph_exactly_its_triples(self, store: GraphStore) -> None:
        store.add(quads_in(G1, triples(5, "old")) + quads_in(G2, triples(3, "kept")))
        record = quads_in(G3, triples(1, "record"))
        store.replace_graphs({G1: triples(2, "new")}, add=record)
        assert {q.triple for q in store.quads(G1)} == set(triples(2, "new"))
        assert {q.triple for q in store.quads(G2)} == set(triples(3, "kept"))
        assert list(store.quads(G3)) == record
        assert store.graphs() == [G1, G2, G3]
        assert (store.count(G1), store.count()) == (2, 6)

    def test_the_graphs_listed_follow_every_write(self, store: GraphStore) -> None:
        # Listed again after each kind of write (the embedded store keeps the list between).
        store.add(quads_in(G1, triples(2, "a")))
        assert store.graphs() == [G1]
        store.bulk_load(quads_in(G2, triples(1, "b")))
        assert store.graphs() == [G1, G2]
        store.update(f"DELETE WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
        assert store.graphs() == [G2]
        store.replace_graphs({G2: [], G3: triples(1, "c")})
        assert store.graphs() == [G3]

    def test_replace_graphs_with_a_bad_extra_quad_changes_nothing(self, store: GraphStore) -> None:
        store.add(quads_in(G1, triples(5, "old")))
        before = set(store.quads())
        outside = ox.Quad(
            ox.NamedNode("https://example.org/chmgraph/synthetic/x"), P, ox.Literal("x")
        )
        with pytest.raises(ValueError, match="outside a named graph"):
            store.replace_graphs({G1: triples(2, "new")}, add=[outside])
        assert set(store.quads()) == before

    def test_a_replacement_whose_last_part_fails_in_the_engine_writes_nothing(
        self, store: GraphStore
    ) -> None:
        """The atomicity a backend declares is the engine's: a replacement of two graphs whose
        last part fails while the engine runs it (after the deletes) leaves both graphs whole.
        With ``atomic_update``, the last operation of the request fails (a graph that does not
        exist dropped); with ``atomic_operation``, the last solution of the single DELETE/INSERT
        makes a literal the engine cannot hold."""
        store.add(quads_in(G1, triples(3, "old")) + quads_in(G2, triples(2, "old")))
        before = set(store.quads())
        missing = "https://example.org/chmgraph/synthetic/missing"
        if store.capabilities.atomic_update:
            failing = replacement_update({G1: triples(2, "new"), G2: triples(2, "new")})
            failing += f" ;\nDROP GRAPH <{missing}>"
        elif store.capabilities.atomic_operation:
            store.add(quads_in(G3, triples(2, "12") + triples(1, "not a number")))
            failing = (
                "DELETE { GRAPH ?old { ?s ?p ?o } } INSERT { GRAPH ?new { ?s ?p ?n } } WHERE { "
                f"{{ VALUES ?old {{ <{G1}> <{G2}> }} GRAPH ?old {{ ?s ?p ?o }} }} UNION "
                f"{{ VALUES ?new {{ <{G1}> }} GRAPH <{G3}> {{ ?s ?p ?o }} "
                "BIND(STRDT(?o, <http://www.w3.org/2001/XMLSchema#integer>) AS ?n) } }"
            )
            before = set(store.quads())
        else:
            pytest.skip("the backend declares no atomic replacement")
        with pytest.raises((StoreError, ChmgraphError, OSError, RuntimeError)):
            store.update(failing)
        assert set(store.quads()) == before

    def test_query_sees_the_given_default_graph(self, store: GraphStore) -> None:
        store.add(quads_in(G1, triples(2, "one")) + quads_in(G2, triples(3, "two")))
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        assert int(next(iter(store.query(count, default_graph=[G1, G2])))["n"].value) == 5
        assert int(next(iter(store.query(count, default_graph=[G2])))["n"].value) == 3
        if not store.capabilities.default_graph_is_union:
            assert int(next(iter(store.query(count)))["n"].value) == 0  # the store's own default
        if store.capabilities.union_default_graph:
            assert int(next(iter(store.query(count, union=True)))["n"].value) == 5
            with pytest.raises(ValueError, match="not both"):
                store.query(count, default_graph=[G1], union=True)
        by_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        rows = store.query(by_graph, named_graphs=[G2])
        assert [(r["g"].value, int(r["n"].value)) for r in rows] == [(G2, 3)]

    def test_a_guarded_write_happens_only_while_its_condition_holds(
        self, store: GraphStore
    ) -> None:
        marker = "https://example.org/chmgraph/synthetic/v2"
        pattern = f"{{ FILTER NOT EXISTS {{ GRAPH <{G3}> {{ <{marker}> ?p ?o }} }} }}"

        def guard(tag: str) -> Guard:
            return Guard(pattern, f'ASK {{ GRAPH <{G1}> {{ ?s ?p "{tag}" }} }}')

        store.add(quads_in(G1, triples(4, "old")))
        record = quads_in(G3, [ox.Triple(ox.NamedNode(marker), P, ox.Literal("x"))])
        assert store.replace_graphs({G1: triples(2, "first")}, add=record, guard=guard("first"))
        before = set(store.quads())
        second = {G1: triples(3, "second")}
        assert not store.replace_graphs(second, add=record, guard=guard("second"))
        assert set(store.quads()) == before  # neither the deletes nor the inserts happened

    def test_of_racing_guarded_writers_exactly_one_wins(self, store: GraphStore) -> None:
        marker = ox.NamedNode("https://example.org/chmgraph/synthetic/version/2")
        pattern = f"{{ FILTER NOT EXISTS {{ GRAPH <{G3}> {{ {marker} ?p ?o }} }} }}"
        barrier = threading.Barrier(4)
        won: list[str] = []

        def write(tag: str) -> None:
            record = quads_in(G3, [ox.Triple(marker, P, ox.Literal(tag))])
            guard = Guard(pattern, f'ASK {{ GRAPH <{G3}> {{ {marker} ?p "{tag}" }} }}')
            barrier.wait()
            if store.replace_graphs({G1: triples(50, tag)}, add=record, guard=guard):
                won.append(tag)

        writers = [threading.Thread(target=write, args=(f"w{i}",)) for i in range(4)]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        assert len(won) == 1
        assert [q.object for q in store.quads(G3)] == [ox.Literal(won[0])]
        assert {q.triple for q in store.quads(G1)} == set(triples(50, won[0]))

    def test_as_stored_shows_the_backends_canonical_literals(self, store: GraphStore) -> None:
        xsd = "http://www.w3.org/2001/XMLSchema#"
        given = [
            ox.Triple(ox.NamedNode(f"{G1}/s"), P, ox.Literal(v, datatype=ox.NamedNode(xsd + d)))
            for v, d in [("016", "integer"), ("1.50", "decimal"), ("true", "boolean")]
        ]
        shown = store.as_stored([*given, given[0]])
        store.replace_graphs({G1: given})
        assert sorted(map(str, shown)) == sorted(str(q.triple) for q in store.quads(G1))

    def test_every_backend_holds_literals_as_the_embedded_store_does(
        self, store: GraphStore
    ) -> None:
        """A network holds the same terms wherever it is stored, so its queries see the same
        values: a derived integer type, a time at +00:00 and a boolean written as 1 are kept in
        pyoxigraph's forms, whichever way they are written (Virtuoso keeps them as given)."""
        xsd = "http://www.w3.org/2001/XMLSchema#"
        given = [
            ox.Triple(ox.NamedNode(f"{G1}/s{i}"), P, ox.Literal(v, datatype=ox.NamedNode(xsd + d)))
            for i, (v, d) in enumerate(
                [("016", "positiveInteger"), ("7", "nonNegativeInteger"), ("1", "boolean"),
                 ("2013-03-11T09:00:00+00:00", "dateTime")]
            )
        ]  # fmt: skip
        embedded = ox.Store()
        embedded.extend(ox.Quad(t.subject, t.predicate, t.object) for t in given)
        expected = {q.triple for q in embedded}
        assert expected != set(given)  # the embedded store changes each of them
        store.replace_graphs({G1: given}, add=quads_in(G2, given))
        store.add(quads_in(G3, given))
        for graph in (G1, G2, G3):
            assert {q.triple for q in store.quads(graph)} == expected, graph

    def test_bulk_load_reports_progress_and_dump_round_trips(
        self, store: GraphStore, tmp_path: Path
    ) -> None:
        source = tmp_path / "big.nt"
        source.write_bytes(ox.serialize(triples(20_000, "bulk"), format=ox.RdfFormat.N_TRIPLES))
        seen: list[tuple[int, int]] = []
        store.bulk_load(
            source, to_graph=G1, progress=lambda done, total: seen.append((done, total))
        )
        assert store.count(G1) == 20_000
        assert seen[-1] == (source.stat().st_size, source.stat().st_size)
        assert [done for done, _ in seen] == sorted(done for done, _ in seen)
        out = tmp_path / "out.nt"
        store.dump(out, ox.RdfFormat.N_TRIPLES, graph=G1)
        assert {q.triple for q in ox.parse(path=out)} == set(triples(20_000, "bulk"))

    def test_bulk_load_keeps_blank_nodes_whole_in_every_graph(
        self, store: GraphStore, tmp_path: Path
    ) -> None:
        """Lists of blank nodes in two graphs (as the vocabulary's and the query library's are),
        more of them than one request holds on Virtuoso: each list still one list of nodes."""
        lists = [
            f"GRAPH <{graph}> {{ <{graph}/s{i}> <{P.value}> ( {' '.join(['1'] * 6)} ) . }}"
            for graph in (G1, G2)
            for i in range(150)
        ]
        source = tmp_path / "lists.trig"
        source.write_text("\n".join(lists))
        store.bulk_load(source)
        # Each list: its head and five more nodes, each with rdf:first and rdf:rest.
        assert store.count(G1) == store.count(G2) == 150 * (1 + 6 * 2)
        rest = "/".join(["<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>"] * 6)
        ends = store.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{P.value}> ?head . "
            f"?head {rest} <http://www.w3.org/1999/02/22-rdf-syntax-ns#nil> }} }}",
            named_graphs=[G1, G2],
        )
        assert int(next(iter(ends))["n"].value) == 300

    @pytest.mark.slow
    def test_a_reader_sees_a_replacement_whole_or_not_at_all(self, store: GraphStore) -> None:
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
        if store.capabilities.atomic_update:
            store.update(request)
        else:  # staged, then moved in by one operation
            store.replace_graphs({G1: new, G2: new}, add=[*quads_in(G3, triples(1, "v2")), record])
        end = time.monotonic()
        done.set()
        reader.join()
        # The records graph keeps v1's triple and gains v2's two (one its archive).
        assert {counts for _, counts in seen} <= {(1_000, 1_000, 1), (size, size, 3)}
        assert any(start < moment < end for moment, _ in seen), "no read during the commit"

    def test_replace_graphs_keeps_every_kind_of_term(self, store: GraphStore) -> None:
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


class TestMemoryStore(StoreContract):
    def open_empty(self, tmp_path: Path) -> GraphStore:
        return open_store(None)


class TestDiskStore(StoreContract):
    def open_empty(self, tmp_path: Path) -> GraphStore:
        return open_store(tmp_path / "store", create=True)


@pytest.fixture(scope="class")
def oxigraph_url() -> str:
    with oxigraph_server() as url:
        yield url


class TestOxigraphServerStore(StoreContract):
    """The contract over HTTP, on a real Oxigraph server emptied before each test."""

    @pytest.fixture
    def store(self, oxigraph_url: str) -> GraphStore:
        with open_store(f"oxigraph+{oxigraph_url}") as opened:
            opened.update("DROP ALL")
            yield opened


class TestVirtuosoStore(StoreContract):
    """The contract on a real Virtuoso server, its graphs (not its own) dropped before each test:
    replacements staged and moved in by one operation, the dataset in the query's text, its
    system graphs out of sight."""

    @pytest.fixture
    def store(self, virtuoso: Virtuoso) -> GraphStore:
        credentials = Credentials(user=virtuoso.user, password=virtuoso.password)
        # A loaded machine makes Virtuoso slow to answer: a long limit per request.
        with open_store(virtuoso.location, credentials=credentials, timeout_s=600) as opened:
            clear(opened)
            yield opened

    def test_its_own_graphs_stay_out_of_sight(self, store: GraphStore) -> None:
        raw = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert any("openlinksw" in row["g"].value for row in raw)  # they are there
        assert store.graphs() == [] and store.count() == 0 and list(store.quads()) == []
        store.add(quads_in(G1, triples(2, "mine")))
        assert store.graphs() == [G1] and store.count() == 2

    def test_a_staged_replacement_refused_in_its_last_request_writes_nothing(
        self, store: GraphStore
    ) -> None:
        """Larger than one request, its last request refused by the engine (an integer that is
        not one): the requests before it were stored in staging graphs only, now gone."""
        store.add(quads_in(G1, triples(5, "old")))
        before = set(store.quads())
        bad = ox.Literal("x", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        record = [ox.Quad(ox.NamedNode(G3 + "/v1"), P, bad, ox.NamedNode(G3))]
        big = triples(CHUNK_QUADS + 10, "new")
        with pytest.raises((StoreError, ChmgraphError, SyntaxError)):
            store.replace_graphs({G1: big, G2: triples(3, "new")}, add=record)
        assert set(store.quads()) == before
        raw = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert not [r for r in raw if r["g"].value.startswith(STAGING)]

    def test_the_next_replacement_drops_staging_graphs_a_stopped_writer_left(
        self, store: GraphStore
    ) -> None:
        """A writer killed between staging and moving in leaves its staging graph; the next
        staged replacement drops it once it is old, and leaves a writer's still at work."""
        now = int(time.time())
        crashed = f"{STAGING}{now - STALE_STAGING_S - 60}-{'a' * 32}/0"
        unnamed = f"{STAGING}{'b' * 32}/0"  # named as before staging graphs kept their time
        running = f"{STAGING}{now}-{'c' * 32}/0"
        for graph in (crashed, unnamed, running):
            store.add(quads_in(graph, triples(3, "staged")))
        try:
            store.replace_graphs({G1: triples(2, "new")})
            raw = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
            staging = {r["g"].value for r in raw if r["g"].value.startswith(STAGING)}
            assert staging == {running}
            assert store.graphs() == [G1] and store.count() == 2
        finally:
            store.update(f"DROP SILENT GRAPH <{running}>")

    def test_a_result_the_engine_cuts_is_an_error(
        self, store: GraphStore, virtuoso: Virtuoso
    ) -> None:
        """Virtuoso answers a query beyond its row cap with status 200 and the first rows; only
        a header says so. Its stock cap (10,000 rows), lowered to 10 for the test, shows it."""
        store.add(quads_in(G1, triples(11, "many")))
        with virtuoso.row_cap(10), pytest.raises(StoreError, match="cut the result at 10 rows"):
            list(store.query(f"SELECT * WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}"))
        assert len(list(store.query(f"SELECT * WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}"))) == 11

    def test_an_endpoint_answer_the_engine_cuts_is_an_error(
        self, store: GraphStore, virtuoso: Virtuoso
    ) -> None:
        """``--endpoint`` at Virtuoso's own query URL: the same cut, the same error."""
        store.add(quads_in(G1, triples(11, "many")))
        query = f"SELECT * WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}"
        with virtuoso.row_cap(10), pytest.raises(StoreError, match="cut the result at 10 rows"):
            run_remote(virtuoso.url + "/sparql", query)
        assert len(run_remote(virtuoso.url + "/sparql", query)) == 11

    def test_an_answer_cut_at_the_time_limit_is_an_error(
        self, store: GraphStore, virtuoso: Virtuoso
    ) -> None:
        """Virtuoso takes the query's time limit (``timeout``) and, past it, answers status 200
        with the rows found so far (none here); only its SQL state header says so."""
        store.add(quads_in(G1, triples(2_000, "slow")))
        join = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{G1}> {{ ?a ?p ?b . ?c ?p ?d . ?e ?p ?f }} }}"
        limited = RemoteStore(virtuoso.location, query_timeout_s=1)
        with limited, pytest.raises(QueryTimeout, match="time limit of 1 s"):
            list(limited.query(join))

    def test_a_netrc_entry_is_sent_by_digest(
        self, store: GraphStore, virtuoso: Virtuoso, tmp_path: Path, monkeypatch
    ) -> None:
        """Virtuoso takes its writers' passwords by digest authentication only: a netrc entry
        for its host is sent that way (sent as basic authentication it is refused, 401)."""
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine 127.0.0.1 login {virtuoso.user} password {virtuoso.password}\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        with RemoteStore(virtuoso.location) as through_netrc:
            through_netrc.add(quads_in(G1, triples(3, "netrc")))
        assert store.count(G1) == 3
        basic = RemoteStore(virtuoso.location, credentials=Credentials(scheme="basic"))
        with basic, pytest.raises(StoreError) as refused:
            basic.add(quads_in(G2, triples(1, "basic")))
        assert "refused the credentials (401)" in str(refused.value)
        assert virtuoso.password not in str(refused.value)


def clear(store: GraphStore) -> None:
    """Drop every graph of the network's in ``store`` (an engine's own stay)."""
    graphs = store.graphs()
    if graphs:
        store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs))


def test_bulk_load_of_a_malformed_file_names_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.ttl"
    source.write_text("<http://e/s> <http://e/p> <http://e/o> .\n<http://e/s> <http://e/p> .\n")
    with OxigraphStore(None) as store, pytest.raises(SyntaxGateError) as raised:
        store.bulk_load(source, to_graph=G1)
    assert (raised.value.path, raised.value.line) == (str(source), 2)


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
