"""Harvesting another network's data into national graphs, the careful way.

A source is an RDF dump (Turtle, TriG, N-Triples or N-Quads, a file or an http(s) URL, gzipped or
not), a VoID description whose ``void:dataDump`` links are followed, or a SPARQL endpoint read by
a CONSTRUCT query or a Graph Store Protocol GET. ``Harvester.harvest`` takes one national graph
from a source; ``Harvester.harvest_network`` takes every national graph a VoID description lists,
withdraws the ones it no longer lists, and skips the ones whose listed SHA-256 did not change.

A harvest runs in three steps, and holds the store only in the first and the last, briefly:
read what submissions are checked against; download (``chmgraph.harvest.download``: bounded in
time, size, hops and hosts) and check every source with the store released; then commit each
conforming graph as a numbered version whose PROV-O record names the URL actually read and, where
the upstream network states them, its version, time and steward
(``chmgraph.network.history.Upstream``). A source that fails (unreachable, too slow, too large,
malformed, not conforming) changes nothing: the previous version stays, and the result says why.

Harvests are polite and cheap: requests are conditional (``If-None-Match`` /
``If-Modified-Since`` from the last harvest, ``chmgraph.harvest.state``), a source whose bytes or
listed checksum did not change is never parsed, and an unchanged network costs one request.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.errors import InputError
from chmgraph.harvest.download import (
    Downloader,
    Fetched,
    HarvestError,
    Request,
    allowed_hosts,
    check_link,
    gather_bounded,
    gunzip,
    is_http,
    read_local,
    run,
)
from chmgraph.harvest.state import HarvestState
from chmgraph.harvest.upstream import ListedDump, Listing, UpstreamVersion, is_void, latest_versions
from chmgraph.harvest.upstream import deletions as listed_deletions
from chmgraph.network import CheckedSubmission, Network, Upstream, check_submission
from chmgraph.network.submission import as_source
from chmgraph.rdfio import detect_format, parse_bytes
from chmgraph.settings import Settings
from chmgraph.validation import Context

__all__ = [
    "HarvestError",
    "HarvestResult",
    "HarvestState",
    "Harvester",
    "NetworkHarvest",
    "parse_interval",
]

Protocol = Literal["dump", "sparql", "gsp"]
PROTOCOLS: tuple[Protocol, ...] = ("dump", "sparql", "gsp")
BY = "chmgraph harvest"
_ACCEPT = {
    "dump": "text/turtle, application/n-triples, application/trig, application/n-quads, */*;q=0.1",
    "sparql": "application/n-triples, text/turtle;q=0.9",
    "gsp": "text/turtle, application/n-triples;q=0.9",
}
#: Called with (what is being done, steps done, steps in all).
Progress = Callable[[str, int, int], None]
Opener = Callable[[], AbstractContextManager[Network]]
Action = Literal["added", "updated", "removed", "unchanged", "rejected", "failed"]


@dataclass(frozen=True)
class HarvestResult:
    """What became of one harvest of one source."""

    source: str  # what was read (after following a VoID description and redirects: the dump)
    graph: str  # the local graph written (or kept)
    # failed: the source could not be read or parsed; rejected: it does not conform
    status: Literal["accepted", "unchanged", "failed", "rejected"]
    version: int | None = None
    triples: int = 0
    reason: str = ""  # why a harvest changed nothing, or what it did
    action: Action = "unchanged"

    @property
    def ok(self) -> bool:
        return self.status in ("accepted", "unchanged")


@dataclass
class NetworkHarvest:
    """What a whole-network harvest did: one result per national graph, and the requests made."""

    void_url: str
    results: list[HarvestResult] = field(default_factory=list)
    requests: int = 0

    def count(self, action: Action) -> int:
        return sum(1 for r in self.results if r.action == action)

    @property
    def ok(self) -> bool:
        return not any(r.action in ("failed", "rejected") for r in self.results)

    def summary(self) -> str:
        """One line: how many graphs were added, updated, removed, unchanged, rejected, failed."""
        counts = ", ".join(
            f"{self.count(a)} {a}"
            for a in ("added", "updated", "removed", "unchanged", "rejected", "failed")
        )
        return f"{self.void_url}: {counts} ({self.requests} requests)"


@dataclass
class _Candidate:
    """A national graph on its way in: where from, what came, and what the check said."""

    graph: str  # the local graph IRI
    country: str
    request: Request
    remote_graph: str
    listed: ListedDump | None = None
    description: str = ""  # the VoID description that listed it
    fetched: Fetched | None = None
    checked: CheckedSubmission | None = None
    result: HarvestResult | None = None


class Harvester:
    """Harvests sources into the national graphs of a network.

    ``network`` is an open ``Network``, or a function that opens one (a context manager): then
    the store is held only while reading what submissions are checked against and while
    committing, never while a source is downloaded or checked.
    """

    def __init__(
        self,
        network: Network | Opener,
        *,
        settings: Settings | None = None,
        state: HarvestState | None = None,
    ) -> None:
        if isinstance(network, Network):
            opened = network
            self._open: Opener = lambda: nullcontext(opened)
        else:
            self._open = network
        self.settings = settings or Settings.from_env()
        self.state = state

    # One graph

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
        with self._store() as network:
            country = network.country_code(iris.country_of_graph(graph) or graph)
        local = iris.national_graph(country)
        wanted = remote_graph or local
        url = _request_url(source, protocol, wanted)
        known = self._state_now().get(local, url)
        candidate = _Candidate(
            local,
            country,
            Request(url, _ACCEPT[protocol], known.get("etag"), known.get("last_modified")),
            wanted,
        )
        try:
            run(self._fetch_one(candidate, protocol))
            context = None
            if candidate.fetched is not None and candidate.fetched.data is not None:
                with self._store() as network:  # something came: what to check it against
                    context = network.validation_context()
            self._check(candidate, context)
        except InputError as exc:  # unreachable, too large, too slow, malformed...
            candidate.result = _failed(candidate, str(exc))
        if candidate.result is None:
            with self._store() as network:
                self._commit(network, candidate, _upstream_of(candidate, {}, None))
        self._state_now().save()
        assert candidate.result is not None
        return candidate.result

    async def _fetch_one(self, candidate: _Candidate, protocol: Protocol) -> None:
        url = candidate.request.url
        hosts = allowed_hosts(self.settings, url)
        async with Downloader(self.settings, hosts) as downloader:
            fetched = self._unchanged_bytes(
                candidate.graph, await self._get(downloader, candidate.request)
            )
            candidate.fetched = fetched
            if fetched.data is None or protocol != "dump":
                return
            quads = _parse(fetched, self.settings.harvest_max_bytes)
            if not is_void(quads):
                candidate.listed = None
                return
            listing = Listing.of(quads, fetched.url)
            listed = _dataset_dump(listing, candidate.remote_graph)
            link = _link(listed.url, fetched, hosts)
            candidate.listed = ListedDump(listed.dataset, link, listed.sha256, listed.modified)
            known = self._state_now().get(candidate.graph, link)
            if listed.sha256 and known.get("sha256") == listed.sha256:
                candidate.fetched = Fetched(link, None, asked=link)
                return
            request = Request(link, _ACCEPT["dump"], known.get("etag"), known.get("last_modified"))
            candidate.request = request
            dump = await self._get(downloader, request)
            candidate.fetched = self._unchanged_bytes(candidate.graph, dump)
            candidate.description = fetched.url
            _check_listed_checksum(candidate)

    async def _get(self, downloader: Downloader, request: Request) -> Fetched:
        if is_http(request.url):
            return await downloader.fetch(request)
        return read_local(Path(request.url), self.settings.harvest_max_bytes)

    def _unchanged_bytes(self, graph: str, fetched: Fetched) -> Fetched:
        """``fetched`` as not modified when its bytes are those of the last harvest."""
        known = self._state_now().get(graph, fetched.url)
        if fetched.data is not None and known.get("sha256") == fetched.sha256:
            return Fetched(
                fetched.url, None, fetched.etag, fetched.last_modified, asked=fetched.asked
            )
        return fetched

    # A whole network

    def harvest_network(self, void_url: str, *, progress: Progress | None = None) -> NetworkHarvest:
        """Harvest every national graph the VoID description at ``void_url`` lists.

        Graphs whose listed SHA-256 equals the last harvest's are not downloaded; graphs it
        listed at the last harvest and lists no more are withdrawn (an empty version, whose
        provenance names the change set that deleted them when ``changes.ttl`` says so); an
        unchanged description (a ``304``) ends the run after one request.
        """
        report = progress or (lambda *_: None)
        if self.state is None:  # where the state is kept is learnt from the store
            with self._store():
                pass
        state = self._state_now()
        outcome = NetworkHarvest(void_url)
        before = state.network(void_url)
        previous_graphs: dict[str, str] = dict(before.get("graphs", {}))  # type: ignore[call-overload]
        known = before if before.get("complete") else {}
        request = Request(
            void_url,
            _ACCEPT["dump"],
            known.get("etag"),  # type: ignore[arg-type]
            known.get("last_modified"),  # type: ignore[arg-type]
        )
        report("reading the VoID description", 0, 1)
        try:
            description, candidates, upstream, change_sets, context = run(
                self._download_network(request, previous_graphs, outcome, report)
            )
        except InputError as exc:
            outcome.results.append(
                HarvestResult(void_url, "", "failed", reason=str(exc), action="failed")
            )
            return outcome
        if description is None:  # nothing changed upstream
            outcome.results += [
                HarvestResult(url, graph, "unchanged", reason="the VoID description is unchanged")
                for graph, url in sorted(previous_graphs.items())
            ]
            return outcome
        listed = {c.graph: c.request.url for c in candidates}
        for done, candidate in enumerate(candidates, 1):
            report(f"checking {candidate.country}", done, len(candidates))
            if candidate.result is None and context is not None:
                try:
                    self._check(candidate, context)
                except InputError as exc:
                    candidate.result = _failed(candidate, str(exc))
        removed = sorted(g for g in previous_graphs if g not in listed)
        # Each graph is its own transaction; other processes' readers (the embedded store's
        # snapshots) see the run's commits as one change, published once at the end.
        with self._store() as network, network.store.one_change():
            for done, candidate in enumerate(candidates, 1):
                if candidate.result is None:
                    report(f"committing {candidate.country}", done, len(candidates))
                    self._commit(network, candidate, _upstream_of(candidate, upstream, void_url))
            for graph in removed:
                outcome.results.append(
                    self._withdraw(network, graph, void_url, change_sets.get(graph))
                )
        outcome.results += [c.result for c in candidates if c.result is not None]
        outcome.results.sort(key=lambda r: (r.graph, r.source))
        complete = all(r.action != "failed" for r in outcome.results)
        state.put_network(void_url, description, listed, complete)
        state.save()
        return outcome

    async def _download_network(
        self,
        request: Request,
        previous: dict[str, str],
        outcome: NetworkHarvest,
        report: Progress,
    ) -> tuple[
        Fetched | None,
        list[_Candidate],
        dict[str, UpstreamVersion],
        dict[str, str],
        Context | None,
    ]:
        hosts = allowed_hosts(self.settings, request.url)
        async with Downloader(self.settings, hosts) as downloader:
            outcome.requests += 1
            void = await self._get(downloader, request)
            known = self.state_network_sha(request.url)
            if void.data is None or (known and void.sha256 == known):
                return None, [], {}, {}, None  # the store is not even opened
            listing = Listing.of(_parse(void, self.settings.harvest_max_bytes), void.url)
            # Something changed: what submissions are checked against, read now (briefly).
            with self._store() as network:
                context = network.validation_context()
                countries = set(network.countries())
            candidates = [
                self._candidate(graph, dump, void, hosts, countries)
                for graph, dump in sorted(listing.national.items())
            ]
            to_fetch = [c for c in candidates if c.result is None and c.fetched is None]
            gone = [g for g in previous if g not in listing.national]
            # The change log says which change set deleted a graph; the upstream submissions
            # graph, who made each version and when. Neither is needed for an unchanged graph.
            extras: list[Request] = []
            provenance = listing.dumps.get(iris.SUBMISSIONS_GRAPH)
            for wanted, link in (
                (to_fetch or gone, listing.change_log),
                (to_fetch, provenance.url if provenance else None),
            ):
                try:
                    if wanted and link:
                        extras.append(Request(_link(link, void, hosts), _ACCEPT["dump"]))
                except HarvestError:
                    continue  # provenance from a host not allowed is left out, not read
            total, done = len(to_fetch) + len(extras), 0

            def one_more() -> None:
                nonlocal done
                done += 1
                report("downloading", done, total)

            jobs = [lambda c=c: self._download(downloader, c) for c in to_fetch]
            jobs += [lambda r=r: self._get(downloader, r) for r in extras]
            outcome.requests += len(jobs)
            answers = await gather_bounded(jobs, one_more)
        for candidate, answer in zip(to_fetch, answers, strict=False):
            if isinstance(answer, BaseException):
                candidate.result = _failed(candidate, str(answer))
        upstream: dict[str, UpstreamVersion] = {}
        change_sets: dict[str, str] = {}
        for extra, answer in zip(extras, answers[len(to_fetch) :], strict=True):
            if isinstance(answer, Fetched) and answer.data is not None:
                quads = _parse(answer, self.settings.harvest_max_bytes)
                if extra.url.endswith("changes.ttl"):
                    change_sets = listed_deletions(quads)
                else:
                    upstream = latest_versions(quads)
        return void, candidates, upstream, change_sets, context

    def state_network_sha(self, void_url: str) -> str | None:
        entry = self._state_now().network(void_url)
        sha = entry.get("sha256") if entry.get("complete") else None
        return sha if isinstance(sha, str) else None

    def _candidate(
        self,
        graph: str,
        dump: ListedDump,
        void: Fetched,
        hosts: frozenset[str],
        countries: set[str],
    ) -> _Candidate:
        country = iris.country_of_graph(graph) or ""
        candidate = _Candidate(
            graph, country, Request(dump.url, _ACCEPT["dump"]), graph, dump, void.url
        )
        if country not in countries:
            candidate.result = _rejected(
                candidate, f"{graph}: no country {country!r} in this network's reference data"
            )
            return candidate
        try:
            link = _link(dump.url, void, hosts)
        except HarvestError as exc:
            candidate.result = _failed(candidate, str(exc))
            return candidate
        known = self._state_now().get(graph, link)
        candidate.request = Request(
            link, _ACCEPT["dump"], known.get("etag"), known.get("last_modified")
        )
        if dump.sha256 and known.get("sha256") == dump.sha256:
            candidate.fetched = Fetched(link, None, asked=link)
            candidate.result = HarvestResult(
                link, graph, "unchanged", reason="the listed SHA-256 is unchanged"
            )
        return candidate

    async def _download(self, downloader: Downloader, candidate: _Candidate) -> None:
        fetched = await self._get(downloader, candidate.request)
        candidate.fetched = self._unchanged_bytes(candidate.graph, fetched)
        _check_listed_checksum(candidate)

    # Checking and committing

    def _check(self, candidate: _Candidate, context: Context | None) -> None:
        """Parse and validate what came, with the store released."""
        fetched = candidate.fetched
        if fetched is None or fetched.data is None or context is None:
            source = fetched.url if fetched else candidate.request.url
            candidate.result = HarvestResult(
                source, candidate.graph, "unchanged", reason="source not modified"
            )
            return
        data = gunzip(fetched.data, fetched.url, self.settings.harvest_max_bytes)
        rdf_format = _format(fetched)
        quads = parse_bytes(data, name=fetched.url, format=rdf_format, base_iri=_base(fetched))
        name = _public(fetched)
        if any(isinstance(q.graph_name, ox.NamedNode) for q in quads):
            # One graph of a dataset: what is validated is that graph, named after its source.
            triples = _graph_triples(quads, candidate.remote_graph, fetched.url)
            data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            name = f"{name} (graph <{candidate.remote_graph}>)"
            rdf_format = ox.RdfFormat.N_TRIPLES
        source = as_source(data, name=name, format=rdf_format)
        candidate.checked = check_submission(source, candidate.country, context=context)
        if not candidate.checked.conforms:
            summary = candidate.checked.summary
            candidate.result = _rejected(candidate, f"{summary}\n{candidate.checked.render()}")

    def _commit(self, network: Network, candidate: _Candidate, upstream: Upstream | None) -> None:
        fetched, checked = candidate.fetched, candidate.checked
        assert fetched is not None and fetched.data is not None and checked is not None
        existed = network.store.count(candidate.graph) > 0
        result = network.accept(
            checked,
            candidate.country,
            by=BY,
            message=f"harvested from {_public(fetched)}",
            sha256=fetched.sha256,
            upstream=upstream,
        )
        state = self._state_now()
        state.put(candidate.graph, fetched.url, fetched, fetched.sha256)
        if fetched.asked and fetched.asked != fetched.url:
            state.put(candidate.graph, fetched.asked, fetched, fetched.sha256)
        action: Action = "unchanged"
        if result.accepted:
            action = "updated" if existed else "added"
        candidate.result = HarvestResult(
            fetched.url, candidate.graph, result.status, result.version, result.triples,
            action=action,
        )  # fmt: skip

    def _withdraw(
        self, network: Network, graph: str, void_url: str, change_set: str | None
    ) -> HarvestResult:
        country = iris.country_of_graph(graph) or ""
        why = f"the change set {change_set} deleted it" if change_set else "it is no longer listed"
        upstream = Upstream(url=change_set or void_url, dataset=graph, listed_in=void_url)
        result = network.withdraw(
            country, by=BY, message=f"withdrawn upstream: {why} ({void_url})", upstream=upstream
        )
        self._state_now().forget(graph)
        action: Action = "removed" if result.accepted else "unchanged"
        return HarvestResult(
            upstream.url, graph, result.status, result.version, 0, reason=why, action=action
        )

    @contextmanager
    def _store(self) -> Iterator[Network]:
        with self._open() as network:
            if self.state is None:
                self.state = HarvestState.beside(network.store)
            yield network

    def _state_now(self) -> HarvestState:
        assert self.state is not None, "the state is read when the store is first opened"
        return self.state


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


def _failed(candidate: _Candidate, reason: str) -> HarvestResult:
    return HarvestResult(
        candidate.request.url, candidate.graph, "failed", reason=reason, action="failed"
    )


def _rejected(candidate: _Candidate, reason: str) -> HarvestResult:
    triples = len(candidate.checked.quads) if candidate.checked else 0
    return HarvestResult(
        candidate.request.url, candidate.graph, "rejected", None, triples, reason, "rejected"
    )


def _upstream_of(
    candidate: _Candidate, versions: dict[str, UpstreamVersion], void_url: str | None
) -> Upstream | None:
    """Where a candidate came from, for its version's record (None for a local file)."""
    fetched = candidate.fetched
    if fetched is None or not fetched.remote:
        return None
    stated = versions.get(candidate.remote_graph)
    listed = candidate.listed
    return Upstream(
        url=fetched.url,
        dataset=candidate.remote_graph,
        version=stated.number if stated else None,
        when=(stated.when if stated else None) or (listed.modified if listed else None),
        steward=stated.steward if stated else None,
        listed_in=void_url,
    )


def _check_listed_checksum(candidate: _Candidate) -> None:
    fetched, listed = candidate.fetched, candidate.listed
    if fetched is None or fetched.data is None or listed is None or not listed.sha256:
        return
    if fetched.sha256 != listed.sha256:
        raise HarvestError(
            f"{fetched.url}: SHA-256 differs from the one {candidate.description} lists for it "
            "(a file changed during publication?)"
        )


def _dataset_dump(listing: Listing, graph: str) -> ListedDump:
    """The dump of ``graph`` a VoID description lists (or of its only dataset)."""
    dumps = listing.dumps
    if graph in dumps:
        return dumps[graph]
    if len(dumps) == 1:
        return next(iter(dumps.values()))
    raise HarvestError(
        f"{listing.url}: describes no dataset <{graph}> with a void:dataDump "
        f"(it describes: {', '.join(sorted(dumps)) or 'none'})"
    )


def _link(url: str, found_in: Fetched, hosts: frozenset[str]) -> str:
    """A link a source gave, as a URL to fetch: from a remote source, only http(s) on an
    allowed host; from a local file, a file beside it (or below) or an allowed http(s) URL."""
    if found_in.remote or is_http(url):
        check_link(url, hosts, found_in.url)
        return url
    parsed = urllib.parse.urlsplit(url)
    path = Path(urllib.parse.unquote(parsed.path)) if parsed.scheme == "file" else Path(url)
    folder = Path(found_in.url).resolve().parent
    if parsed.scheme not in ("", "file") or not path.resolve().is_relative_to(folder):
        raise HarvestError(
            f"{found_in.url}: links to {url!r}, outside the folder of the description; only "
            "files beside it, or http(s) URLs on allowed hosts, are read"
        )
    return str(path)


def _request_url(source: str, protocol: Protocol, graph: str) -> str:
    if protocol == "dump":
        return source
    if protocol == "sparql":
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        parameters = urllib.parse.urlencode({"query": query})
    else:
        parameters = urllib.parse.urlencode({"graph": graph})
    return source + ("&" if "?" in source else "?") + parameters


def _parse(fetched: Fetched, limit: int) -> list[ox.Quad]:
    """The statements of a fetched source (gunzipped), through the syntax gate."""
    assert fetched.data is not None
    data = gunzip(fetched.data, fetched.url, limit)
    return parse_bytes(data, name=fetched.url, format=_format(fetched), base_iri=_base(fetched))


def _base(fetched: Fetched) -> str:
    return fetched.url if fetched.remote else Path(fetched.url).resolve().as_uri()


def _format(fetched: Fetched) -> ox.RdfFormat:
    path = urllib.parse.urlparse(fetched.url).path if fetched.remote else fetched.url
    try:
        return detect_format(path.removesuffix(".gz"))
    except InputError:
        pass
    by_type = ox.RdfFormat.from_media_type(fetched.content_type or "")
    if by_type is None:
        raise HarvestError(
            f"{fetched.url}: cannot tell the RDF format from the name or the media type "
            f"({fetched.content_type or 'none'})"
        )
    return by_type


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
    return fetched.url if fetched.remote else Path(fetched.url).name
