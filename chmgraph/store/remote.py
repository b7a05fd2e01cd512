"""Remote SPARQL engines as the store: the store contract over the SPARQL 1.1 Protocol (query,
update) and the Graph Store Protocol, through one httpx client.

An engine is reached through a profile (``PROFILES``) that says where its endpoints are and what
it can do: ``oxigraph`` (the Oxigraph server: ``/query``, ``/update``, ``/store``; a multi-operation
update is one transaction; the union default graph on request), ``virtuoso`` (Virtuoso 7: reads on
``/sparql``, writes on the digest-authenticated ``/sparql-auth``; one operation is one
transaction, a request of several is not; system graphs of its own, hidden) and ``generic`` (any
SPARQL 1.1 engine given its three URLs, assuming nothing beyond the standards). A store location
names the profile in its scheme: ``oxigraph+http://127.0.0.1:7878``,
``virtuoso+http://127.0.0.1:8890``, or ``sparql+https://host/path?query=URL&update=URL&store=URL``
for the generic one. ``RemoteStore.endpoint(URL)`` is the read-only profile ``endpoint`` on one
SPARQL 1.1 Protocol query URL, whatever the engine (``chmgraph query --endpoint``).

On an engine whose single operations are atomic but whose requests are not (``atomic_operation``),
a replacement is staged: the new triples are loaded, in bounded requests, into staging graphs
no listing shows, and one DELETE/INSERT operation (carrying the guard) moves them over the old
graphs, so readers see the old graphs or the new ones and a failure anywhere leaves the old ones.

Results are parsed by pyoxigraph (``parse_query_results`` for solutions and booleans, ``parse``
for triples), so callers see the same objects as from the embedded store. Reads are retried with
backoff on connection failures (they are idempotent); updates never are. An engine that cuts a
result without failing (a row cap announced only in a header) is reported as an error, never
returned as a partial answer. A query's time limit is passed to an engine that takes one (Virtuoso's
``timeout``), and an answer the engine cut at it is an error too. Credentials come from the
settings (``store_token`` for a bearer token, ``store_user``/``store_password`` for basic or digest
authentication) or, for each host, from a netrc file, sent as the profile's scheme asks (digest on
Virtuoso); they are never part of a message.
"""

from __future__ import annotations

import netrc
import os
import random
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from chmgraph.errors import ChmgraphError, QueryTimeout, StoreError, SyntaxGateError
from chmgraph.rdfio import detect_format
from chmgraph.store.base import (
    Capabilities,
    GraphStore,
    Guard,
    LoadProgress,
    QueryResult,
    check_dataset,
)

#: Quads sent per request when loading in chunks: bounded memory whatever the source's size.
CHUNK_QUADS = 20_000
_READ_ATTEMPTS = 3
# Attempts at a request the engine rolled back for a deadlock with a concurrent one, waiting
# longer each time (at most _BACKOFF_MAX_S): six were not always enough for three processes
# submitting at once to Virtuoso on a loaded 2-core machine.
_CONFLICT_ATTEMPTS = 10
_BACKOFF_S = 0.2
_BACKOFF_MAX_S = 5.0
_RESULTS = "application/sparql-results+json"
_ACCEPT = f"{_RESULTS}, application/n-triples;q=0.9"
# The graph that stands for none: the protocol cannot say "an empty list of graphs".
_NO_GRAPH = "urn:chmgraph:no-graph"
# The SQL state of a transaction rolled back for a deadlock (Virtuoso's SR172).
_DEADLOCK = "40001"
# Headers by which engines say they cut a result they still answer with status 200.
_TRUNCATION_HEADERS = ("x-sparql-maxrows",)
# Virtuoso's SQL state for an answer cut at the query's timeout ("anytime" results), status 200.
_CUT_AT_TIMEOUT = "S1TAT"
#: Graphs a replacement stages its triples in before one operation moves them into place; hidden
#: from every listing, count and dump, and dropped once the replacement is over.
STAGING = "urn:chmgraph:staging:"
#: Age after which a staging graph is a leftover of a writer that stopped before dropping it (a
#: crash, a killed process), dropped by the next staged replacement: far longer than any
#: replacement runs, so no writer still at work loses its staged triples.
STALE_STAGING_S = 6 * 3600
# A query's prologue (comments, BASE, PREFIX, Virtuoso's DEFINE), then its form's keyword.
_FORM = re.compile(
    r"""(?:\s+|\#[^\n]*|BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>
         |DEFINE\s+\S+\s+(?:<[^>]*>|"[^"]*"|'[^']*'|\S+))*
       (SELECT|ASK|CONSTRUCT|DESCRIBE)\b""",
    re.IGNORECASE | re.VERBOSE,
)
# Virtuoso's own graphs (its schemas, the LDP vocabulary, its host's SPARQL and DAV
# descriptions), present in every Virtuoso database: never part of the network.
VIRTUOSO_SYSTEM_GRAPHS = re.compile(
    r"^(?:http://www\.openlinksw\.com/schemas/|http://www\.w3\.org/ns/ldp#"
    r"|http://localuriqaserver/|https?://[^/]+/(?:sparql|DAV/))"
)


@dataclass(frozen=True)
class Profile:
    """Where an engine's endpoints are, relative to its base URL, and what it can do."""

    name: str
    query: str
    update: str
    store: str
    capabilities: Capabilities
    #: The query parameter that asks for the union of every named graph as the default graph.
    union_parameter: str | None = None
    #: The query listing the named graphs (the standard one reads every quad).
    graphs_query: str = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    #: How a user and password are sent unless the settings say (``store_auth``).
    auth: str = "basic"
    #: The dataset is written in the query's text (Virtuoso's ``DEFINE input:default-graph-uri``)
    #: rather than sent as protocol parameters, which Virtuoso echoes back as one response
    #: header each: a few hundred graphs make headers no HTTP client reads.
    dataset_in_text: bool = False
    #: Graphs of the engine's own, left out of listings, counts, dumps and statistics.
    system_graphs: re.Pattern[str] | None = None
    #: The most triples in one ``GRAPH`` block of an ``INSERT DATA``: Virtuoso's parser runs out
    #: of stack a little above 4,000.
    block_triples: int = CHUNK_QUADS
    #: Whether INSERT DATA may hold blank nodes (Virtuoso refuses them: they go in an INSERT
    #: template, one solution, so that a label is one node throughout the request).
    blank_nodes_in_data: bool = True
    #: What the engine puts before a blank node's label in JSON results (Virtuoso: ``nodeID://``),
    #: taken off so that the label is one pyoxigraph reads.
    blank_node_prefix: str = ""
    #: Whether the engine keeps literals as pyoxigraph does (``as_stored`` computes the form
    #: here), or in forms of its own: then every write is given pyoxigraph's forms first (see
    #: ``_canonical``), and a round trip through a staging graph shows what the engine made.
    pyoxigraph_literals: bool = False
    #: Whether the result format must be asked for by the query's form: an engine that ignores
    #: the weights of an Accept header (Virtuoso) answers a SELECT in N-Triples if that is
    #: listed first, and a CONSTRUCT in JSON if that is.
    accept_by_form: bool = False
    #: The query parameter that takes a query's time limit, in milliseconds (Virtuoso's
    #: ``timeout``); None: the engine takes none, and chmgraph stops waiting at the deadline.
    timeout_parameter: str | None = None
    #: Whether the profile only reads (``endpoint``): every write is refused before it is sent.
    read_only: bool = False


PROFILES = {
    "oxigraph": Profile(
        "oxigraph",
        query="/query",
        update="/update",
        store="/store",
        capabilities=Capabilities(union_default_graph=True, atomic_update=True),
        union_parameter="union-default-graph",
        # Each named graph once, with one lookup for a triple in it (a listing, not a scan): a
        # graph emptied by an update stays named in Oxigraph, and the contract lists graphs that
        # hold a triple.
        graphs_query="SELECT ?g WHERE { GRAPH ?g { FILTER EXISTS { ?s ?p ?o } } }",
        pyoxigraph_literals=True,
    ),
    "virtuoso": Profile(
        "virtuoso",
        query="/sparql",
        update="/sparql-auth",
        # Graphs are only read through the Graph Store Protocol, which Virtuoso serves publicly
        # here (and with digest authentication at /sparql-graph-crud-auth).
        store="/sparql-graph-crud",
        capabilities=Capabilities(
            atomic_operation=True, default_graph_is_union=True, server_timeout=True
        ),
        # Grouped, not DISTINCT: Virtuoso answers this in a fraction of a second where the
        # standard DISTINCT takes seconds (50 times longer on 25,000 quads), and every submission
        # lists the graphs several times.
        graphs_query="SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        auth="digest",
        dataset_in_text=True,
        system_graphs=VIRTUOSO_SYSTEM_GRAPHS,
        block_triples=1_000,
        blank_nodes_in_data=False,
        blank_node_prefix="nodeID://",
        accept_by_form=True,
        timeout_parameter="timeout",
    ),
    "sparql": Profile(
        "sparql",
        query="",
        update="",
        store="",
        capabilities=Capabilities(atomic_update=False),
    ),
}
#: One SPARQL 1.1 Protocol query URL of any engine, read only (``chmgraph query --endpoint``): no
#: update or Graph Store URL, nothing assumed beyond the standard. Not a store location.
ENDPOINT = Profile("endpoint", query="", update="", store="", capabilities=Capabilities(),
                   read_only=True)  # fmt: skip


@dataclass(frozen=True)
class Credentials:
    """How to authenticate to the engine: a bearer token, or a user and password."""

    token: str | None = None
    user: str | None = None
    password: str | None = None
    scheme: str = ""  # "basic" or "digest", for user and password; empty: the profile's own

    def auth(self, default_scheme: str = "basic") -> httpx.Auth | None:
        """How to send them (None: there are none); a user and password by ``scheme``, else
        ``default_scheme`` (the profile's own)."""
        if self.token:
            return _Bearer(self.token)
        if self.user is not None:
            if (self.scheme or default_scheme) == "digest":
                return httpx.DigestAuth(self.user, self.password or "")
            return httpx.BasicAuth(self.user, self.password or "")
        return None


def is_remote(location: str) -> bool:
    """Whether a store location names a remote engine (``PROFILE+http(s)://...``).

    >>> is_remote("oxigraph+http://127.0.0.1:7878"), is_remote("var/store")
    (True, False)
    """
    scheme = location.split("://", 1)[0] if "://" in location else ""
    return "+" in scheme and scheme.split("+", 1)[0] in PROFILES


class RemoteStore(GraphStore):
    """The store contract over a remote engine's SPARQL 1.1 endpoints.

    ``location`` is ``PROFILE+http(s)://host:port[/path]``; for the generic ``sparql`` profile
    its query string gives the three endpoint URLs (``query``, ``update``, ``store``).
    ``timeout_s`` bounds each request; an engine that takes a time limit
    (``Profile.timeout_parameter``) is given ``query_timeout_s`` with each query, by default
    ``timeout_s``, so that it stops working when chmgraph stops waiting.

    The engine's list of graphs, which most queries need to name their dataset, is kept for
    ``graphs_ttl_s`` seconds and dropped by every write made through this store: a graph that
    another process creates is seen at most that late (the old state, never a mix: a
    replacement writes a country's graphs in one operation). Listing the graphs means reading
    every quad on some engines (Virtuoso: 0.4-1.9 s at 100k triples), once or twice a query.
    """

    def __init__(
        self,
        location: str,
        *,
        credentials: Credentials | None = None,
        timeout_s: float = 60.0,
        query_timeout_s: float | None = None,
        graphs_ttl_s: float = 0.0,
        client: httpx.Client | None = None,
    ) -> None:
        scheme, _, rest = location.partition("+")
        profile = ENDPOINT if scheme == ENDPOINT.name else PROFILES.get(scheme)
        if profile is None or not rest.startswith(("http://", "https://")):
            known = ", ".join(f"{p}+http://..." for p in PROFILES)
            raise StoreError(f"store {location!r}: not a remote store location (use {known})")
        self.profile = profile
        self.capabilities = self.profile.capabilities
        self._endpoints = _endpoints(self.profile, rest)
        self._query_timeout_s = query_timeout_s or timeout_s
        self._graphs_ttl_s = graphs_ttl_s
        self._listed: tuple[float, list[str]] | None = None  # when, and the graphs then
        parts = urlsplit(rest)
        # Messages name the engine without any credentials a URL may carry.
        where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        if profile.read_only:
            self.location = where + parts.path
            self._name = f"the SPARQL endpoint {self.location}"
        else:
            self.location = f"{scheme}+{where}"
            self._name = f"store at {self.location}"
        auth = _auth(credentials or Credentials(), self.profile, self._endpoints.values())
        self._client = client or httpx.Client(
            auth=auth, timeout=httpx.Timeout(timeout_s), follow_redirects=False
        )

    @classmethod
    def endpoint(
        cls,
        url: str,
        *,
        credentials: Credentials | None = None,
        timeout_s: float = 60.0,
        client: httpx.Client | None = None,
    ) -> RemoteStore:
        """A read-only store on the SPARQL 1.1 Protocol query URL ``url`` of any engine: queries
        only, each with the dataset it is given or else the endpoint's own."""
        if not url.startswith(("http://", "https://")):
            raise StoreError(f"endpoint {url!r}: not an http:// or https:// URL")
        return cls(f"{ENDPOINT.name}+{url}", credentials=credentials, timeout_s=timeout_s,
                   client=client)  # fmt: skip

    # Reading

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[str] | None = None,
        union: bool = False,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        check_dataset(default_graph, union)
        if union and not self.capabilities.union_default_graph:
            raise ValueError(f"{self.location} has no union default graph: name the graphs")
        if union and named_graphs is not None:
            # The protocol has no union default graph beside a named-graph list: name them all.
            union, default_graph = False, self.graphs()
        form: dict[str, object] = {}
        # An empty list is the empty default graph, which the protocol cannot say.
        default = None if default_graph is None else list(default_graph) or [_NO_GRAPH]
        named = None if named_graphs is None else list(named_graphs) or [_NO_GRAPH]
        if self.profile.dataset_in_text:
            if default is not None and named is None:
                # Given a default graph, Virtuoso's GRAPH reaches only the named graphs given.
                named = self.graphs() or [_NO_GRAPH]
            elif named is not None and default is None:
                default = [_NO_GRAPH]
            sparql = _defines(default, named) + sparql
        else:
            if default is not None:
                form["default-graph-uri"] = default
            if named is not None:
                form["named-graph-uri"] = named
        form["query"] = sparql
        if self.profile.timeout_parameter and self._query_timeout_s:
            form[self.profile.timeout_parameter] = str(max(1, round(self._query_timeout_s * 1000)))
        params = {self.profile.union_parameter: ""} if union else None
        response = self._read(
            "POST", self._endpoints["query"], data=form, params=params, accept=self._accept(sparql)
        )
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        if kind == "application/n-triples":
            parsed = ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)
            try:
                return _Triples(quad.triple for quad in parsed)
            except SyntaxError as exc:
                raise StoreError(
                    f"the answer of {self._name} cannot be read (cut short or malformed): {exc.msg}"
                ) from None
        content = response.content
        if self.profile.blank_node_prefix:
            # A JSON string opening with the prefix is a blank node's value; a literal's value
            # with it is rare enough to be left as a known limit.
            content = content.replace(f'"{self.profile.blank_node_prefix}'.encode(), b'"')
        return ox.parse_query_results(content, format=ox.QueryResultsFormat.JSON)

    def optimize(self) -> None:
        """Nothing: the remote engine keeps its own files."""

    def graphs(self) -> list[str]:
        return [g for g in self._all_graphs() if not self._hidden(g)]

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._shown()} }}"
        else:
            text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        return int(next(iter(self.query(text)))["n"].value)

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        if graph is not None:
            response = self._read(
                "GET",
                self._endpoints["store"],
                params={"graph": graph},
                accept="application/n-triples",
                missing_ok=True,
            )
            name = ox.NamedNode(graph)
            return (
                ox.Quad(t.subject, t.predicate, t.object, name)
                for t in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)
            )
        rows = self.query(f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._shown()} }}")
        return (ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows)  # type: ignore[arg-type]

    def dump(self, output: BinaryIO | Path, format: ox.RdfFormat, graph: str | None = None) -> None:
        quads = list(self.quads(graph))
        data = ox.serialize([q.triple for q in quads] if graph else quads, format=format) or b""
        if isinstance(output, Path):
            output.write_bytes(data)
        else:
            output.write(data)

    def as_stored(self, triples: Iterable[ox.Triple]) -> list[ox.Triple]:
        if self.profile.pyoxigraph_literals:
            # The Oxigraph server keeps literals as pyoxigraph does: the same engine shows them.
            scratch = ox.Store()
            scratch.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
            return [q.triple for q in scratch]
        # Other engines keep literals in forms of their own ("016"^^xsd:integer as "16"):
        # the engine itself shows them, through a staging graph.
        graph = f"{_staging()}as-stored"
        name = ox.NamedNode(graph)
        try:
            self.add(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
            return [q.triple for q in self.quads(graph)]
        finally:
            self.update(f"DROP SILENT GRAPH <{graph}>")

    # Writing

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        self._writable()
        # The protocol has no parameter for the base: a BASE declaration ahead of the request's
        # own prologue gives it (a BASE the request declares still wins).
        text = f"BASE <{ox.NamedNode(base_iri).value}>\n{sparql}" if base_iri else sparql
        try:
            self._send(
                "POST",
                self._endpoints["update"],
                content=text.encode("utf-8"),
                headers={"content-type": "application/sparql-update"},
            )
        finally:
            self._listed = None  # written, or perhaps written: the graphs are listed again

    def replace_graphs(
        self,
        new_contents: Mapping[str, Iterable[ox.Triple]],
        *,
        add: Iterable[ox.Quad] = (),
        guard: Guard | None = None,
    ) -> bool:
        if self.capabilities.atomic_update or not self.capabilities.atomic_operation:
            if not self.profile.pyoxigraph_literals:
                new_contents = {g: _held(triples) for g, triples in new_contents.items()}
                add = _canonical(list(add))
            return super().replace_graphs(new_contents, add=add, guard=guard)
        # Staged: the triples go to staging graphs (as many requests as their size needs), then
        # one operation, under the guard, empties the old graphs and moves the staged ones in.
        extra = _by_graph(add)
        self._drop_staging([g for g in self._all_graphs() if _stale(g, time.time())])
        staging = _staging()
        targets = {f"{staging}{i}": g for i, g in enumerate([*new_contents, *extra])}
        stage_of = {g: s for s, g in targets.items()}
        staged = (
            ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(stage_of[g]))
            for g, triples in [*new_contents.items(), *extra.items()]
            for t in triples
        )
        try:
            self.add(staged)
            try:
                self.update(_move_update(list(new_contents), targets, guard))
            except WriteConflict:
                if guard is None:
                    raise
                return False  # another guarded writer took the same rows first: rolled back
        finally:
            self._drop_staging(targets)
        return guard is None or bool(self.query(guard.written))

    def _drop_staging(self, graphs: Iterable[str]) -> None:
        drop = "".join(f"DROP SILENT GRAPH <{s}> ;\n" for s in graphs).rstrip(" ;\n")
        if not drop:
            return
        for attempt in range(_READ_ATTEMPTS):
            try:
                self.update(drop)
                return
            except WriteConflict:
                # A reader held the rows; staging graphs are hidden, so a leftover harms no one.
                time.sleep(_BACKOFF_S * 2**attempt)

    def add(self, quads: Iterable[ox.Quad]) -> None:
        self._writable()
        for chunk in _chunks(quads, CHUNK_QUADS, self._blank_chunk()):
            self.update(self._insert(chunk))

    def _blank_chunk(self) -> int:
        """The most triples with blank nodes in one request: in an INSERT template where the
        engine refuses them in INSERT DATA (Virtuoso's compiler fails on large templates)."""
        return CHUNK_QUADS if self.profile.blank_nodes_in_data else self.profile.block_triples

    def bulk_load(
        self,
        source: Iterable[ox.Quad] | Path,
        *,
        to_graph: str | None = None,
        progress: LoadProgress | None = None,
    ) -> None:
        if isinstance(source, Path):
            graph = ox.NamedNode(to_graph) if to_graph else None
            total = source.stat().st_size
            try:
                self.add(_parsed(source, graph))
            except SyntaxError as exc:
                # The engine's refusal of one request (the source's own errors are raised as
                # SyntaxGateError while it is read).
                refused = f"{self._name} refused a request loading {source}: {exc.msg}"
                raise StoreError(refused) from None
            if progress:
                progress(total, total)
            return
        self.add(source)

    def close(self) -> None:
        self._client.close()

    def _writable(self) -> None:
        if self.profile.read_only:
            raise StoreError(f"{self._name} is read only: a store location writes (see --store)")

    def _insert(self, quads: Sequence[ox.Quad]) -> str:
        if not self.profile.pyoxigraph_literals:
            quads = _canonical(quads)
        if self.profile.blank_nodes_in_data:
            return _insert_data(quads, self.profile.block_triples)
        plain = [q for q in quads if not _has_blank_node(q)]
        blank = [q for q in quads if _has_blank_node(q)]
        request = _insert_data(plain, self.profile.block_triples) if plain else ""
        if blank:
            template = _insert_data(blank, self.profile.block_triples)
            template = template.replace("INSERT DATA", "INSERT", 1) + " WHERE {}"
            request += " ;\n" + template if request else template
        return request

    # Graphs and formats

    def _all_graphs(self) -> list[str]:
        listed = self._listed
        if listed is not None and time.monotonic() - listed[0] < self._graphs_ttl_s:
            return list(listed[1])
        started = time.monotonic()
        rows = self.query(self.profile.graphs_query)
        graphs = sorted(row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode))
        if self._graphs_ttl_s > 0:
            self._listed = (started, graphs)
        return list(graphs)

    def _hidden(self, graph: str) -> bool:
        system = self.profile.system_graphs
        return graph.startswith(STAGING) or bool(system and system.match(graph))

    def _shown(self) -> str:
        """A FILTER leaving out the hidden graphs the engine holds (``?g`` names the graph)."""
        hidden = [g for g in self._all_graphs() if self._hidden(g)]
        return f"FILTER(?g NOT IN ({', '.join(f'<{g}>' for g in hidden)}))" if hidden else ""

    def _accept(self, sparql: str) -> str:
        if not self.profile.accept_by_form:
            return _ACCEPT
        form = _FORM.match(sparql)
        if form and form.group(1).upper() in ("CONSTRUCT", "DESCRIBE"):
            return "application/n-triples"
        return _RESULTS

    # HTTP

    def _read(
        self,
        method: str,
        url: str,
        *,
        accept: str,
        missing_ok: bool = False,
        **request: object,
    ) -> httpx.Response:
        for attempt in range(_READ_ATTEMPTS):
            try:
                response = self._client.request(
                    method,
                    url,
                    headers={"accept": accept},
                    **request,  # type: ignore[arg-type]
                )
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                # Idempotent: sent again, with backoff. A connection that broke mid-answer (a
                # body shorter than its length) is a cut answer, never read as a partial one.
                if attempt + 1 == _READ_ATTEMPTS:
                    if isinstance(exc, httpx.ConnectError):
                        raise StoreError(f"cannot reach {self._name}: {exc}") from None
                    raise StoreError(f"{self._name} broke off its answer: {exc}") from None
                time.sleep(_BACKOFF_S * 2**attempt)
                continue
            except httpx.TimeoutException:
                raise StoreError(f"{self._name} did not answer in time") from None
            if missing_ok and response.status_code == 404:
                return httpx.Response(200, content=b"")
            self._check(response)
            return response
        raise AssertionError("unreachable")

    def _send(self, method: str, url: str, **request: object) -> httpx.Response:
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                response = self._client.request(method, url, **request)  # type: ignore[arg-type]
            except httpx.TimeoutException:
                raise StoreError(f"{self._name} did not answer in time") from None
            except httpx.HTTPError as exc:
                raise StoreError(f"cannot reach {self._name}: {exc}") from None
            try:
                self._check(response)
            except WriteConflict:
                # Rolled back whole by the engine, so sending it again is safe.
                if attempt + 1 == _CONFLICT_ATTEMPTS:
                    raise
                time.sleep(min(_BACKOFF_MAX_S, _BACKOFF_S * 2**attempt) * (1 + random.random()))
                continue
            return response
        raise AssertionError("unreachable")

    def _check(self, response: httpx.Response) -> None:
        status = response.status_code
        if status in (401, 403):
            settings = "endpoint" if self.profile.read_only else "store"
            raise StoreError(
                f"{self._name} refused the credentials ({status}): set {settings}_token, or "
                f"{settings}_user and {settings}_password, or a netrc entry for its host"
            )
        if status == 400:
            # The engine's own words: a query or update it could not parse, without the request
            # it may quote back (Virtuoso does, whole).
            words = response.text.split("\nSPARQL query:", 1)[0].strip()
            raise SyntaxError(_shortened(words) or "the engine refused the request")
        if status >= 500 and _DEADLOCK in response.text:
            raise WriteConflict(
                f"{self._name}: a concurrent write took the same data first; "
                "this one was rolled back"
            )
        if status >= 300:
            raise ChmgraphError(
                f"{self._name} answered {status}: {response.text.strip()[:500]}",
                exit_code=3,
            )
        for header in _TRUNCATION_HEADERS:
            if header in response.headers:
                raise StoreError(
                    f"{self._name} cut the result at {response.headers[header]} rows "
                    "(its own limit): raise the engine's row limit or narrow the query"
                )
        if response.headers.get("x-sql-state") == _CUT_AT_TIMEOUT:
            raise QueryTimeout(
                f"{self._name} cut the answer at the query's time limit of "
                f"{self._query_timeout_s:g} s: narrow the query"
            )


def _auth(given: Credentials, profile: Profile, urls: Iterable[str]) -> httpx.Auth | None:
    """How requests authenticate: the credentials given, else each host's netrc entry, sent by
    the scheme asked for or the profile's own (a netrc entry for Virtuoso goes by digest)."""
    chosen = given.auth(profile.auth)
    if chosen is not None:
        return chosen
    by_host = {}
    for host in {urlsplit(url).hostname or "" for url in urls}:
        entry = _netrc_entry(host)
        if entry is not None:
            user, password = entry
            by_host[host] = Credentials(user=user, password=password, scheme=given.scheme)
    return _PerHost({h: c.auth(profile.auth) for h, c in by_host.items()}) if by_host else None


def _netrc_entry(host: str) -> tuple[str, str] | None:
    """The user and password of the netrc file (``$NETRC``, else ``~/.netrc``) for ``host``."""
    path = Path(os.environ.get("NETRC") or Path.home() / ".netrc")
    if not path.is_file():
        return None
    try:
        entry = netrc.netrc(str(path)).authenticators(host)
    except netrc.NetrcParseError as exc:
        raise StoreError(f"{path}:{exc.lineno}: cannot read the netrc file: {exc.msg}") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the netrc file: {exc.strerror or exc}") from None
    if entry is None:
        return None
    login, _, password = entry
    return login, password or ""


class WriteConflict(StoreError):
    """The engine rolled a write back because a concurrent one held the same data (Virtuoso,
    running serializable, reports a deadlock): nothing of it was written."""


class _PerHost(httpx.Auth):
    """Each host's own authentication, and none for a host without one."""

    def __init__(self, by_host: Mapping[str, httpx.Auth | None]) -> None:
        self._by_host = dict(by_host)

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        auth = self._by_host.get(request.url.host)
        if auth is None:
            yield request
        else:
            yield from auth.auth_flow(request)


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["authorization"] = f"Bearer {self._token}"
        yield request


class _Triples(list):
    """A CONSTRUCT or DESCRIBE answer read from an engine: its triples, in order."""


def _endpoints(profile: Profile, base: str) -> dict[str, str]:
    parts = urlsplit(base)
    if profile.read_only:
        return {"query": base}
    if profile.name == "sparql":
        given = {k: v[0] for k, v in parse_qs(parts.query).items()}
        missing = [k for k in ("query", "update", "store") if k not in given]
        if missing:
            raise StoreError(
                f"a generic SPARQL store needs its {', '.join(missing)} URL(s): "
                "sparql+https://host/?query=URL&update=URL&store=URL"
            )
        return given
    root = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return {"query": root + profile.query, "update": root + profile.update,
            "store": root + profile.store}  # fmt: skip


def _parsed(source: Path, graph: ox.NamedNode | None) -> Iterator[ox.Quad]:
    """The quads of the file ``source``, read as they are needed, its default graph's into
    ``graph``; a syntax error of the file is raised as ``SyntaxGateError``."""
    try:
        for quad in ox.parse(path=str(source), format=detect_format(source)):
            if graph is not None and isinstance(quad.graph_name, ox.DefaultGraph):
                quad = ox.Quad(quad.subject, quad.predicate, quad.object, graph)
            yield quad
    except SyntaxError as exc:
        raise SyntaxGateError(str(source), exc.lineno, exc.offset, exc.msg) from None


def _chunks(quads: Iterable[ox.Quad], size: int, blank_size: int) -> Iterator[list[ox.Quad]]:
    """``quads`` in lists of ``size``, read as they come; those with a blank node kept until
    the end, since a blank node label means one node only within one request, then sent by
    groups of linked blank nodes (each group in one request), graph by graph, in lists of about
    ``blank_size``.

    Memory is bounded by a chunk and the source's triples with blank nodes (a network's are the
    vocabulary's lists and the query library's parameters: a few thousand).

    >>> p, g = ox.NamedNode("http://e/p"), ox.NamedNode("http://e/g")
    >>> b = [ox.Quad(ox.BlankNode(f"b{i}"), p, ox.Literal("x"), g) for i in range(3)]
    >>> linked = ox.Quad(ox.BlankNode("b0"), p, ox.BlankNode("b1"), g)
    >>> [len(c) for c in _chunks([*b, linked], 2, 2)]  # b0 and b1 linked: one group of 3
    [3, 1]
    """
    chunk: list[ox.Quad] = []
    blank: list[ox.Quad] = []
    for quad in quads:
        if _has_blank_node(quad):
            blank.append(quad)
            continue
        chunk.append(quad)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
    by_graph: dict[str, list[list[ox.Quad]]] = {}
    for group in _linked_groups(blank):
        by_graph.setdefault(str(group[0].graph_name), []).append(group)
    # One graph to a request: Virtuoso fails (SR002) on a template of blank nodes in two graphs.
    for groups in by_graph.values():
        yield from _packed(groups, blank_size)


def _linked_groups(quads: list[ox.Quad]) -> list[list[ox.Quad]]:
    """``quads`` grouped so that quads sharing a blank node, directly or through others, are in
    one group (union-find over the blank nodes)."""
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    for quad in quads:
        labels = [t.value for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        for other in labels[1:]:
            parent[root(other)] = root(labels[0])
    groups: dict[str, list[ox.Quad]] = {}
    for quad in quads:
        term = quad.subject if isinstance(quad.subject, ox.BlankNode) else quad.object
        groups.setdefault(root(term.value), []).append(quad)
    return list(groups.values())


def _packed(groups: list[list[ox.Quad]], size: int) -> Iterator[list[ox.Quad]]:
    """The groups in lists of at most ``size`` quads (a larger group alone), none split."""
    chunk: list[ox.Quad] = []
    for group in groups:
        if chunk and len(chunk) + len(group) > size:
            yield chunk
            chunk = []
        chunk += group
    if chunk:
        yield chunk


def _shortened(text: str, limit: int = 1_000) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _staging() -> str:
    """The prefix of a new replacement's staging graphs: when it began, and a name of its own."""
    return f"{STAGING}{int(time.time())}-{uuid.uuid4().hex}/"


def _stale(graph: str, now: float) -> bool:
    """Whether ``graph`` is a staging graph left behind: begun more than ``STALE_STAGING_S``
    ago, or named without a time (as chmgraph named them before it kept one).

    >>> _stale(f"{STAGING}{10**9}-ab/0", now=10**9 + 60), _stale(f"{STAGING}ab/0", now=0)
    (False, True)
    >>> _stale("https://w3id.org/chmgraph/graph/cbd", now=0)
    False
    """
    if not graph.startswith(STAGING):
        return False
    begun = graph[len(STAGING) :].split("-", 1)[0]
    return not begun.isdigit() or now - int(begun) > STALE_STAGING_S


def _canonical(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """``quads`` with their literals in the forms the embedded store (pyoxigraph) keeps, without
    duplicates: ``"016"^^xsd:positiveInteger`` as ``"16"^^xsd:integer``, a time at ``+00:00``
    at ``Z``. Written so to every engine, a network holds the same terms wherever it is stored,
    and its queries give the same answers (Virtuoso keeps the datatype as written, and a sum or a
    DISTINCT then sees other terms than the embedded store does).

    >>> xsd = "http://www.w3.org/2001/XMLSchema#"
    >>> n, g = ox.NamedNode("http://e/n"), ox.NamedNode("http://e/g")
    >>> odd = ox.Literal("016", datatype=ox.NamedNode(xsd + "positiveInteger"))
    >>> [str(q.object) for q in _canonical([ox.Quad(n, n, odd, g)])]
    ['"16"^^<http://www.w3.org/2001/XMLSchema#integer>']
    """
    scratch = ox.Store()
    scratch.extend(quads)
    return list(scratch)


def _held(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """``triples`` in the forms the embedded store keeps (see ``_canonical``)."""
    return [
        q.triple for q in _canonical(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    ]


def _has_blank_node(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _insert_data(quads: Sequence[ox.Quad], block: int) -> str:
    """An INSERT DATA of ``quads``, at most ``block`` triples to a ``GRAPH`` block."""
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        if not isinstance(q.graph_name, ox.NamedNode):
            raise ValueError(f"quad outside a named graph: {q}")
        by_graph.setdefault(q.graph_name.value, []).append(
            f"{q.subject} {q.predicate} {q.object} ."
        )
    blocks = "".join(
        f"GRAPH <{g}> {{\n" + "\n".join(lines[i : i + block]) + "\n}\n"
        for g, lines in by_graph.items()
        for i in range(0, len(lines), block)
    )
    return "INSERT DATA {\n" + blocks + "}"


def _by_graph(quads: Iterable[ox.Quad]) -> dict[str, list[ox.Triple]]:
    found: dict[str, list[ox.Triple]] = {}
    for quad in quads:
        if not isinstance(quad.graph_name, ox.NamedNode):
            raise ValueError(f"quad outside a named graph: {quad}")
        found.setdefault(quad.graph_name.value, []).append(quad.triple)
    return found


def _move_update(replaced: Sequence[str], targets: Mapping[str, str], guard: Guard | None) -> str:
    """One DELETE/INSERT operation: under ``guard``, empty the ``replaced`` graphs and copy each
    staging graph of ``targets`` into its target graph.

    Its variables have names of their own: Virtuoso lets a variable of the guard's ``NOT
    EXISTS`` stand for the same-named one outside it, which would change what the guard asks.

    >>> print(_move_update(["http://e/g"], {"urn:s/0": "http://e/g"}, None))
    ... # doctest: +NORMALIZE_WHITESPACE
    DELETE { GRAPH ?old_ { ?s_ ?p_ ?o_ } } INSERT { GRAPH ?new_ { ?s_ ?p_ ?o_ } }
    WHERE { { VALUES ?old_ { <http://e/g> } GRAPH ?old_ { ?s_ ?p_ ?o_ } }
    UNION { VALUES (?stage_ ?new_) { (<urn:s/0> <http://e/g>) } GRAPH ?stage_ { ?s_ ?p_ ?o_ } } }
    """
    old = " ".join(f"<{g}>" for g in replaced) or f"<{_NO_GRAPH}>"
    moves = " ".join(f"(<{s}> <{g}>)" for s, g in targets.items())
    condition = f"{guard.pattern} " if guard else ""
    return (
        "DELETE { GRAPH ?old_ { ?s_ ?p_ ?o_ } } INSERT { GRAPH ?new_ { ?s_ ?p_ ?o_ } }\n"
        f"WHERE {{ {condition}{{ VALUES ?old_ {{ {old} }} GRAPH ?old_ {{ ?s_ ?p_ ?o_ }} }}\n"
        f"UNION {{ VALUES (?stage_ ?new_) {{ {moves} }} GRAPH ?stage_ {{ ?s_ ?p_ ?o_ }} }} }}"
    )


def _defines(default: Sequence[str] | None, named: Sequence[str] | None) -> str:
    """Virtuoso's pragmas naming a query's dataset, ahead of its text."""
    lines = [f"DEFINE input:default-graph-uri <{g}>\n" for g in default or ()]
    lines += [f"DEFINE input:named-graph-uri <{g}>\n" for g in named or ()]
    return "".join(lines)
