"""Remote SPARQL engines as the store: the store contract over the SPARQL 1.1 Protocol (query,
update) and the Graph Store Protocol, through one httpx client.

An engine is reached through a profile (``PROFILES``) that says where its endpoints are and what
it can do: ``oxigraph`` (the Oxigraph server: ``/query``, ``/update``, ``/store``; a multi-operation
update is one transaction; the union default graph on request) and ``generic`` (any SPARQL 1.1
engine given its three URLs, assuming nothing beyond the standards). A store location names the
profile in its scheme: ``oxigraph+http://127.0.0.1:7878``, or
``sparql+https://host/path?query=URL&update=URL&store=URL`` for the generic one.

Results are parsed by pyoxigraph (``parse_query_results`` for solutions and booleans, ``parse``
for triples), so callers see the same objects as from the embedded store. Reads are retried with
backoff on connection failures (they are idempotent); updates never are. An engine that cuts a
result without failing (a row cap announced only in a header) is reported as an error, never
returned as a partial answer. Credentials come from the settings (``store_token`` for a bearer
token, ``store_user``/``store_password`` for basic or digest authentication) or, for the host,
from a netrc file; they are never part of a message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from chmgraph.errors import ChmgraphError, StoreError, SyntaxGateError
from chmgraph.rdfio import detect_format
from chmgraph.store.base import (
    Capabilities,
    GraphStore,
    LoadProgress,
    QueryResult,
    check_dataset,
)

#: Quads sent per request when loading in chunks: bounded memory whatever the source's size.
CHUNK_QUADS = 20_000
_READ_ATTEMPTS = 3
_BACKOFF_S = 0.2
_RESULTS = "application/sparql-results+json"
_ACCEPT = f"{_RESULTS}, application/n-triples;q=0.9"
# Headers by which engines say they cut a result they still answer with status 200.
_TRUNCATION_HEADERS = ("x-sparql-maxrows",)


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


PROFILES = {
    "oxigraph": Profile(
        "oxigraph",
        query="/query",
        update="/update",
        store="/store",
        capabilities=Capabilities(union_default_graph=True, atomic_update=True),
        union_parameter="union-default-graph",
        # An empty group in GRAPH ?g matches each named graph once: a listing, not a scan.
        graphs_query="SELECT ?g WHERE { GRAPH ?g { } }",
    ),
    "sparql": Profile(
        "sparql",
        query="",
        update="",
        store="",
        capabilities=Capabilities(atomic_update=False),
    ),
}


@dataclass(frozen=True)
class Credentials:
    """How to authenticate to the engine: a bearer token, or a user and password."""

    token: str | None = None
    user: str | None = None
    password: str | None = None
    scheme: str = "basic"  # or "digest", for user and password

    def auth(self) -> httpx.Auth | None:
        if self.token:
            return _Bearer(self.token)
        if self.user is not None:
            if self.scheme == "digest":
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
    """

    def __init__(
        self,
        location: str,
        *,
        credentials: Credentials | None = None,
        timeout_s: float = 60.0,
        client: httpx.Client | None = None,
    ) -> None:
        scheme, _, rest = location.partition("+")
        if scheme not in PROFILES or not rest.startswith(("http://", "https://")):
            known = ", ".join(f"{p}+http://..." for p in PROFILES)
            raise StoreError(f"store {location!r}: not a remote store location (use {known})")
        self.profile = PROFILES[scheme]
        self.capabilities = self.profile.capabilities
        self._endpoints = _endpoints(self.profile, rest)
        parts = urlsplit(rest)
        # Messages name the engine without any credentials a URL may carry.
        self.location = f"{scheme}+{parts.scheme}://{parts.hostname}" + (
            f":{parts.port}" if parts.port else ""
        )
        auth = (credentials or Credentials()).auth() or _netrc()
        self._client = client or httpx.Client(
            auth=auth, timeout=httpx.Timeout(timeout_s), follow_redirects=False
        )

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
        form: dict[str, object] = {"query": sparql}
        if default_graph is not None:
            # An empty list is the empty default graph, which the protocol cannot say.
            form["default-graph-uri"] = list(default_graph) or ["urn:chmgraph:no-graph"]
        if named_graphs is not None:
            form["named-graph-uri"] = list(named_graphs) or ["urn:chmgraph:no-graph"]
        params = {self.profile.union_parameter: ""} if union else None
        response = self._read(
            "POST", self._endpoints["query"], data=form, params=params, accept=_ACCEPT
        )
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        if kind == "application/n-triples":
            return _Triples(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
        return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)

    def optimize(self) -> None:
        """Nothing: the remote engine keeps its own files."""

    def graphs(self) -> list[str]:
        rows = self.query(self.profile.graphs_query)
        return sorted(row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode))

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            text = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
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
        rows = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return (ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows)  # type: ignore[arg-type]

    def dump(self, output: BinaryIO | Path, format: ox.RdfFormat, graph: str | None = None) -> None:
        quads = list(self.quads(graph))
        data = ox.serialize([q.triple for q in quads] if graph else quads, format=format) or b""
        if isinstance(output, Path):
            output.write_bytes(data)
        else:
            output.write(data)

    def as_stored(self, triples: Iterable[ox.Triple]) -> list[ox.Triple]:
        # The Oxigraph server keeps literals as pyoxigraph does: the same engine shows the form.
        # Other engines keep what they are given, as far as the standards say.
        if self.profile.name == "oxigraph":
            scratch = ox.Store()
            scratch.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
            return [q.triple for q in scratch]
        return list(dict.fromkeys(triples))

    # Writing

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        # The protocol has no parameter for the base: a BASE declaration ahead of the request's
        # own prologue gives it (a BASE the request declares still wins).
        text = f"BASE <{ox.NamedNode(base_iri).value}>\n{sparql}" if base_iri else sparql
        self._send(
            "POST",
            self._endpoints["update"],
            content=text.encode("utf-8"),
            headers={"content-type": "application/sparql-update"},
        )

    def add(self, quads: Iterable[ox.Quad]) -> None:
        for chunk in _chunks(quads, CHUNK_QUADS):
            self.update(_insert_data(chunk))

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
                parsed = ox.parse(path=str(source), format=detect_format(source))
                quads: Iterable[ox.Quad] = (
                    ox.Quad(q.subject, q.predicate, q.object, graph)
                    if graph is not None and isinstance(q.graph_name, ox.DefaultGraph)
                    else q
                    for q in parsed
                )
                for chunk in _chunks(quads, CHUNK_QUADS):
                    self.update(_insert_data(chunk))
            except SyntaxError as exc:
                raise SyntaxGateError(str(source), exc.lineno, exc.offset, exc.msg) from None
            if progress:
                progress(total, total)
            return
        self.add(source)

    def close(self) -> None:
        self._client.close()

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
                if attempt + 1 == _READ_ATTEMPTS:
                    raise StoreError(f"store at {self.location} cannot be reached: {exc}") from None
                time.sleep(_BACKOFF_S * 2**attempt)
                continue
            except httpx.TimeoutException:
                raise StoreError(f"store at {self.location} did not answer in time") from None
            if missing_ok and response.status_code == 404:
                return httpx.Response(200, content=b"")
            self._check(response)
            return response
        raise AssertionError("unreachable")

    def _send(self, method: str, url: str, **request: object) -> httpx.Response:
        try:
            response = self._client.request(method, url, **request)  # type: ignore[arg-type]
        except httpx.TimeoutException:
            raise StoreError(f"store at {self.location} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise StoreError(f"store at {self.location} cannot be reached: {exc}") from None
        self._check(response)
        return response

    def _check(self, response: httpx.Response) -> None:
        status = response.status_code
        if status in (401, 403):
            raise StoreError(
                f"store at {self.location} refused the credentials ({status}): set store_token, "
                "or store_user and store_password"
            )
        if status == 400:
            # The engine's own words: a query or update it could not parse.
            raise SyntaxError(response.text.strip() or "the engine refused the request")
        if status >= 300:
            raise ChmgraphError(
                f"store at {self.location} answered {status}: {response.text.strip()[:500]}",
                exit_code=3,
            )
        for header in _TRUNCATION_HEADERS:
            if header in response.headers:
                raise StoreError(
                    f"store at {self.location} cut the result at {response.headers[header]} rows "
                    "(its own limit): raise the engine's row limit or narrow the query"
                )


def _netrc() -> httpx.Auth | None:
    """The netrc file's credentials for the engine's host, when there is such a file."""
    path = Path(os.environ.get("NETRC") or Path.home() / ".netrc")
    return httpx.NetRCAuth(str(path)) if path.is_file() else None


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


def _chunks(quads: Iterable[ox.Quad], size: int) -> Iterator[list[ox.Quad]]:
    chunk: list[ox.Quad] = []
    for quad in quads:
        chunk.append(quad)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert_data(quads: Sequence[ox.Quad]) -> str:
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        if not isinstance(q.graph_name, ox.NamedNode):
            raise ValueError(f"quad outside a named graph: {q}")
        by_graph.setdefault(q.graph_name.value, []).append(
            f"{q.subject} {q.predicate} {q.object} ."
        )
    blocks = "".join(
        f"GRAPH <{g}> {{\n" + "\n".join(lines) + "\n}\n" for g, lines in by_graph.items()
    )
    return "INSERT DATA {\n" + blocks + "}"
