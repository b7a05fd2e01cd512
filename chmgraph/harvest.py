"""Harvesting another network's data into a national graph, the careful way.

A source is an RDF dump (Turtle, TriG, N-Triples or N-Quads, a file or an http(s) URL, gzipped or
not), a VoID description whose ``void:dataDump`` links are followed, or a SPARQL endpoint read by
a CONSTRUCT query or a Graph Store Protocol GET. What is harvested is parsed strictly (the syntax
gate) and submitted through ``Network.submit``, so it passes the same validation as a steward's
submission and becomes a numbered version with its PROV-O record, whose message names the source.
A source that fails (unreachable, too slow, too large, malformed, not conforming) changes nothing:
the previous version stays, and the result says why.

Harvests are polite and cheap: requests are conditional (``If-None-Match`` / ``If-Modified-Since``
from the last successful harvest) and a source whose bytes did not change is skipped without being
parsed. What each source last answered is kept in a small JSON state file next to the store
(``<store>.harvest.json``; in memory for an in-memory store).
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.errors import InputError
from chmgraph.network import Network
from chmgraph.publish.dump import write_atomic
from chmgraph.query.text import bind
from chmgraph.rdfio import detect_format, parse_bytes
from chmgraph.settings import Settings
from chmgraph.version import __version__

Protocol = Literal["dump", "sparql", "gsp"]
PROTOCOLS: tuple[Protocol, ...] = ("dump", "sparql", "gsp")

VOID_DATA_DUMP = ox.NamedNode(iris.PREFIXES["void"] + "dataDump")
_CHECKSUM_QUERY = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX spdx: <http://spdx.org/rdf/terms#>
SELECT ?url ?sha WHERE { ?file dcat:downloadURL ?url ; spdx:checksum/spdx:checksumValue ?sha }
"""
# Which of a VoID dataset's dumps to take: the smallest to fetch of the formats that hold one
# graph, then the quad formats.
_DUMP_PREFERENCE = (".ttl.gz", ".nt.gz", ".ttl", ".nt", ".trig.gz", ".nq.gz", ".trig", ".nq")
_ACCEPT = {
    "dump": "text/turtle, application/n-triples, application/trig, application/n-quads, */*;q=0.1",
    "sparql": "application/n-triples, text/turtle;q=0.9",
    "gsp": "text/turtle, application/n-triples;q=0.9",
}
_CHUNK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"


class HarvestError(InputError):
    """A source that cannot be harvested: unreachable, too slow, too large or unusable."""


@dataclass(frozen=True)
class HarvestResult:
    """What became of one harvest of one source."""

    source: str  # what was read (after following a VoID description: the dump)
    graph: str  # the local graph written (or kept)
    # failed: the source could not be read or parsed; rejected: it does not conform
    status: Literal["accepted", "unchanged", "failed", "rejected"]
    version: int | None = None
    triples: int = 0
    reason: str = ""  # why a harvest changed nothing

    @property
    def ok(self) -> bool:
        return self.status in ("accepted", "unchanged")


@dataclass(frozen=True)
class Fetched:
    """A source's answer: its bytes, or None when it said it had not changed."""

    url: str
    data: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None


class HarvestState:
    """What each source answered at its last successful harvest (a JSON file, or memory)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, str]] = {}
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))["sources"]
            except (ValueError, KeyError) as exc:
                raise InputError(f"{path}: not a harvest state file ({exc}); remove it") from None

    @classmethod
    def beside(cls, network: Network) -> HarvestState:
        """The state file next to the network's store (in memory for an in-memory store)."""
        location = network.store.location
        if location == "memory":
            return cls(None)
        store = Path(location)
        return cls(store.with_name(store.name + ".harvest.json"))

    def get(self, graph: str, url: str) -> dict[str, str]:
        return self.entries.get(f"{graph} {url}", {})

    def put(self, graph: str, url: str, fetched: Fetched, sha256: str) -> None:
        entry = {"sha256": sha256}
        if fetched.etag:
            entry["etag"] = fetched.etag
        if fetched.last_modified:
            entry["last_modified"] = fetched.last_modified
        self.entries[f"{graph} {url}"] = entry
        if self.path is not None:
            text = json.dumps({"sources": self.entries}, indent=1, sort_keys=True) + "\n"
            write_atomic(self.path, text.encode())


class Harvester:
    """Harvests sources into the national graphs of ``network``."""

    def __init__(
        self,
        network: Network,
        *,
        settings: Settings | None = None,
        state: HarvestState | None = None,
    ) -> None:
        self.network = network
        self.settings = settings or Settings.from_env()
        self.state = state if state is not None else HarvestState.beside(network)

    def harvest(
        self,
        source: str,
        graph: str,
        *,
        protocol: Protocol = "dump",
        remote_graph: str | None = None,
    ) -> HarvestResult:
        """Harvest ``source`` into the national graph named ``graph`` (a country code or its
        graph IRI); ``remote_graph`` is the graph to take from a multi-graph source or endpoint
        (default: the same national graph IRI)."""
        country = self.network.country_code(iris.country_of_graph(graph) or graph)
        local = iris.national_graph(country)
        wanted = remote_graph or local
        url = _request_url(source, protocol, wanted)
        try:
            fetched = self._fetch(url, local, protocol)
            if fetched.data is not None and protocol == "dump":
                fetched = self._follow_void(fetched, local, wanted)
            return self._submit(fetched, country, wanted)
        except InputError as exc:  # unreachable, too large, too slow, malformed...
            return HarvestResult(url, local, "failed", reason=str(exc))

    def _fetch(self, url: str, local: str, protocol: Protocol) -> Fetched:
        known = self.state.get(local, url)
        fetched = fetch(url, settings=self.settings, known=known, accept=_ACCEPT[protocol])
        if fetched.data is not None and known.get("sha256") == _sha256(fetched.data):
            return Fetched(url, None, fetched.etag, fetched.last_modified)
        return fetched

    def _follow_void(self, fetched: Fetched, local: str, wanted: str) -> Fetched:
        """If ``fetched`` is a VoID description, the dump it lists for ``wanted``."""
        assert fetched.data is not None
        quads = _parse(fetched, *_unpacked(fetched, self.settings.harvest_max_bytes))
        if not any(q.predicate == VOID_DATA_DUMP for q in quads):
            return fetched
        description = ox.Store()
        description.extend(quads)
        dump_url = _chosen_dump(description, wanted, fetched.url)
        expected = _listed_checksum(description, dump_url)
        known = self.state.get(local, dump_url)
        if expected and known.get("sha256") == expected:
            return Fetched(dump_url, None)
        dump = self._fetch(dump_url, local, "dump")
        if dump.data is not None and expected and _sha256(dump.data) != expected:
            raise HarvestError(
                f"{dump_url}: SHA-256 differs from the one {fetched.url} lists for it "
                "(a file changed during publication?)"
            )
        return dump

    def _submit(self, fetched: Fetched, country: str, wanted: str) -> HarvestResult:
        local = iris.national_graph(country)
        if fetched.data is None:
            return HarvestResult(fetched.url, local, "unchanged", reason="source not modified")
        data, rdf_format = _unpacked(fetched, self.settings.harvest_max_bytes)
        quads = _parse(fetched, data, rdf_format)
        name = _public(fetched)
        if any(isinstance(q.graph_name, ox.NamedNode) for q in quads):
            # One graph of a dataset: what is validated is that graph, named after its source.
            triples = _graph_triples(quads, wanted, fetched.url)
            data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            name, rdf_format = f"{name} (graph <{wanted}>)", ox.RdfFormat.N_TRIPLES
        result = self.network.submit(
            data,
            country,
            by="chmgraph harvest",
            message=f"harvested from {_public(fetched)}",
            name=name,
            format=rdf_format,
            sha256=_sha256(fetched.data),
        )
        if not result.accepted and result.status != "unchanged":
            reason = result.checked.render() if result.checked else "rejected"
            summary = result.checked.summary if result.checked else "rejected"
            return HarvestResult(
                fetched.url, local, "rejected", None, result.triples, f"{summary}\n{reason}"
            )
        if result.accepted and result.version is not None and "://" in fetched.url:
            self.network.record_source(country, result.version, fetched.url)
        self.state.put(local, fetched.url, fetched, _sha256(fetched.data))
        return HarvestResult(fetched.url, local, result.status, result.version, result.triples)


def fetch(
    url: str, *, settings: Settings, known: dict[str, str] | None = None, accept: str = "*/*"
) -> Fetched:
    """The bytes at ``url`` (http, https or a local path), within the size and time limits;
    a conditional request when ``known`` holds the last ``etag`` / ``last_modified``."""
    if not url.startswith(("http://", "https://")):
        return _read_local(Path(url), settings.harvest_max_bytes)
    headers = {"Accept": accept, "User-Agent": f"chmgraph/{__version__} (harvest)"}
    known = known or {}
    if known.get("etag"):
        headers["If-None-Match"] = known["etag"]
    if known.get("last_modified"):
        headers["If-Modified-Since"] = known["last_modified"]
    request = urllib.request.Request(url, headers=headers)
    timeout = settings.harvest_timeout_s
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            _check_length(url, response.headers.get("Content-Length"), settings.harvest_max_bytes)
            data = b"".join(_chunks(response, url, settings))
            return Fetched(
                url,
                data,
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
                response.headers.get_content_type(),
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(url, None, known.get("etag"), known.get("last_modified"))
        raise HarvestError(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from None
    except TimeoutError:
        raise HarvestError(f"{url}: no answer within {timeout:g} s (harvest_timeout_s)") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise HarvestError(
                f"{url}: no answer within {timeout:g} s (harvest_timeout_s)"
            ) from None
        raise HarvestError(f"{url}: cannot reach the source: {exc.reason}") from None
    except OSError as exc:
        raise HarvestError(f"{url}: the download failed: {exc}") from None


def parse_interval(text: str) -> float:
    """Seconds in an interval such as ``90s``, ``30m``, ``6h`` or ``1d``.

    >>> parse_interval("30m"), parse_interval("1d")
    (1800.0, 86400.0)
    """
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = text.strip()[:-1], text.strip()[-1:].lower()
    try:
        seconds = float(number) * units[unit]
    except (KeyError, ValueError):
        raise InputError(f"not an interval: {text!r} (use e.g. 90s, 30m, 6h, 1d)") from None
    if seconds <= 0:
        raise InputError(f"not an interval: {text!r} (it must be more than zero)")
    return seconds


def _request_url(source: str, protocol: Protocol, graph: str) -> str:
    if protocol == "dump":
        return source
    if protocol == "sparql":
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        parameters = urllib.parse.urlencode({"query": query})
    else:
        parameters = urllib.parse.urlencode({"graph": graph})
    return source + ("&" if "?" in source else "?") + parameters


def _read_local(path: Path, limit: int) -> Fetched:
    try:
        size = path.stat().st_size
        if size > limit:
            raise HarvestError(f"{path}: {size} bytes, more than harvest_max_bytes ({limit})")
        return Fetched(str(path), path.read_bytes())
    except OSError as exc:
        raise HarvestError(f"{path}: cannot read the source: {exc.strerror or exc}") from None


def _check_length(url: str, header: str | None, limit: int) -> None:
    if header and header.isdigit() and int(header) > limit:
        raise HarvestError(
            f"{url}: announces {header} bytes, more than harvest_max_bytes ({limit}); "
            "nothing was downloaded"
        )


def _chunks(response: object, url: str, settings: Settings) -> Iterator[bytes]:
    """The body in chunks, stopped as soon as it passes the size or the time limit."""
    deadline = time.monotonic() + settings.harvest_timeout_s
    received = 0
    while chunk := response.read(_CHUNK):  # type: ignore[attr-defined]
        received += len(chunk)
        if received > settings.harvest_max_bytes:
            raise HarvestError(
                f"{url}: more than harvest_max_bytes ({settings.harvest_max_bytes}) bytes; "
                "the download was stopped"
            )
        if time.monotonic() > deadline:
            raise HarvestError(
                f"{url}: the download took more than {settings.harvest_timeout_s:g} s "
                "(harvest_timeout_s)"
            )
        yield chunk


def _unpacked(fetched: Fetched, limit: int) -> tuple[bytes, ox.RdfFormat]:
    """A fetched source's bytes, gunzipped if they are gzip, and their RDF format."""
    assert fetched.data is not None
    data = fetched.data
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data, fetched.url, limit)
    return data, _format(fetched)


def _parse(fetched: Fetched, data: bytes, rdf_format: ox.RdfFormat) -> list[ox.Quad]:
    """The statements of a fetched source, through the syntax gate."""
    base = fetched.url if "://" in fetched.url else Path(fetched.url).resolve().as_uri()
    return parse_bytes(data, name=fetched.url, format=rdf_format, base_iri=base)


def _gunzip(data: bytes, url: str, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise HarvestError(f"{url}: not a valid gzip file: {exc}") from None
    if len(out) > limit:
        raise HarvestError(f"{url}: unpacks to more than harvest_max_bytes ({limit}) bytes")
    return out


def _format(fetched: Fetched) -> ox.RdfFormat:
    path = urllib.parse.urlparse(fetched.url).path if "://" in fetched.url else fetched.url
    try:
        return detect_format(path)
    except InputError:
        pass
    by_type = ox.RdfFormat.from_media_type(fetched.content_type or "")
    if by_type is None:
        raise HarvestError(
            f"{fetched.url}: cannot tell the RDF format from the name or the media type "
            f"({fetched.content_type or 'none'})"
        )
    return by_type


def _chosen_dump(description: ox.Store, graph: str, void_url: str) -> str:
    """The dump of ``graph`` a VoID description lists (or of its only dataset), best first."""
    datasets: dict[str, list[str]] = {}
    for quad in description.quads_for_pattern(None, VOID_DATA_DUMP, None):
        datasets.setdefault(quad.subject.value, []).append(quad.object.value)
    dumps = datasets.get(graph)
    if dumps is None and len(datasets) == 1:
        dumps = next(iter(datasets.values()))
    if not dumps:
        raise HarvestError(
            f"{void_url}: describes no dataset <{graph}> with a void:dataDump "
            f"(it describes: {', '.join(sorted(datasets)) or 'none'})"
        )
    ranked = sorted(dumps, key=_preference)
    return urllib.parse.urljoin(void_url, ranked[0])


def _preference(url: str) -> tuple[int, str]:
    path = urllib.parse.urlparse(url).path
    for rank, suffix in enumerate(_DUMP_PREFERENCE):
        if path.endswith(suffix):
            return rank, url
    return len(_DUMP_PREFERENCE), url


def _listed_checksum(description: ox.Store, url: str) -> str | None:
    rows = description.query(bind(_CHECKSUM_QUERY, {"url": ox.NamedNode(url)}))
    values = [row["sha"].value.lower() for row in rows]
    return values[0] if len(values) == 1 else None


def _graph_triples(quads: list[ox.Quad], graph: str, name: str) -> list[ox.Triple]:
    """The triples of ``graph`` in a quad source, or every triple of a triple source."""
    named = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    if not named:
        return [q.triple for q in quads]
    if graph not in named:
        raise HarvestError(
            f"{name}: holds no graph <{graph}> (it holds {len(named)} others; "
            "name one with --remote-graph)"
        )
    node = ox.NamedNode(graph)
    return [q.triple for q in quads if q.graph_name == node]


def _public(fetched: Fetched) -> str:
    """The source as the public history names it: a URL, or a local file by its name only (the
    history is dumped, and a path on this machine is nobody else's business)."""
    return fetched.url if "://" in fetched.url else Path(fetched.url).name


def _file_name(url: str) -> str:
    name = Path(urllib.parse.urlparse(url).path).name or "source"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
