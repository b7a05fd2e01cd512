"""Downloads from sources nobody here controls: bounded in time, size, hops and hosts.

Every download runs under one total deadline (``harvest_timeout_s``) covering the connection,
the headers and the whole body, so a server that sends its headers or its body a byte at a time
is cut off like one that never answers. Redirects are followed by hand, at most
``harvest_max_redirects`` of them, each to an http(s) URL on an allowed host: the hosts of
``harvest_allowed_hosts``, else the host of the source the user named. A gzip body is unpacked
member by member (``cat a.gz b.gz`` is one valid gzip file), within ``harvest_max_bytes``.

HTTP goes through httpx, the project's one HTTP client; downloads run concurrently on one
``httpx.AsyncClient``, at most ``harvest_parallel`` at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import urllib.parse
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from chmgraph.errors import InputError
from chmgraph.settings import Settings
from chmgraph.version import __version__

_GZIP_MAGIC = b"\x1f\x8b"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"chmgraph/{__version__} (harvest)"
T = TypeVar("T")


class HarvestError(InputError):
    """A source that cannot be harvested: unreachable, too slow, too large or unusable."""


@dataclass(frozen=True)
class Request:
    """One download: the URL, what to accept, and what the last answer said (for a
    conditional request)."""

    url: str
    accept: str = "*/*"
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A source's answer: its bytes, or None when it said it had not changed.

    ``url`` is the URL actually read, after redirects; ``asked`` the one requested."""

    url: str
    data: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    asked: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data or b"").hexdigest()

    @property
    def remote(self) -> bool:
        return is_http(self.url)


def is_http(url: str) -> bool:
    """Whether ``url`` is an http(s) URL (anything else is never fetched from a remote source).

    >>> is_http("https://example.org/void.ttl"), is_http("file:///etc/passwd")
    (True, False)
    """
    return urllib.parse.urlsplit(url).scheme.lower() in ("http", "https")


def host_of(url: str) -> str:
    """The host of an http(s) URL, lower case, without port.

    >>> host_of("http://Example.ORG:8000/void.ttl")
    'example.org'
    """
    return (urllib.parse.urlsplit(url).hostname or "").lower()


def allowed_hosts(settings: Settings, source: str) -> frozenset[str]:
    """The hosts a harvest of ``source`` may read from: the ``harvest_allowed_hosts`` setting,
    else the host of ``source`` itself (none for a local file)."""
    if settings.harvest_allowed_hosts:
        return frozenset(h.lower() for h in settings.harvest_allowed_hosts)
    return frozenset({host_of(source)}) if is_http(source) else frozenset()


def check_link(url: str, hosts: frozenset[str], found_in: str) -> None:
    """Refuse a link that a remote source gave unless it is http(s) on an allowed host."""
    if not is_http(url):
        raise HarvestError(
            f"{found_in}: links to {url!r}, which is not an http(s) URL; a remote source's links "
            "are never opened as local files"
        )
    if host_of(url) not in hosts:
        raise HarvestError(
            f"{found_in}: links to {url}, on host {host_of(url)!r}, which is not one the harvest "
            f"may read from ({', '.join(sorted(hosts)) or 'none'}; setting harvest_allowed_hosts)"
        )


class Downloader:
    """Downloads under the settings' limits; use as ``async with Downloader(...) as d``."""

    def __init__(self, settings: Settings, hosts: frozenset[str]) -> None:
        self.settings, self.hosts = settings, hosts
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.harvest_parallel)

    async def __aenter__(self) -> Downloader:
        timeout = httpx.Timeout(self.settings.harvest_timeout_s)
        limits = httpx.Limits(max_connections=self.settings.harvest_parallel)
        headers = {"User-Agent": USER_AGENT}
        self._client = httpx.AsyncClient(
            timeout=timeout, limits=limits, headers=headers, follow_redirects=False
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def fetch(self, request: Request) -> Fetched:
        """The answer to ``request``, within the total deadline; ``HarvestError`` otherwise."""
        limit = self.settings.harvest_timeout_s
        async with self._slots:
            try:
                async with asyncio.timeout(limit):
                    return await self._follow(request)
            except TimeoutError:
                raise HarvestError(
                    f"{request.url}: no complete answer within {limit:g} s (harvest_timeout_s: "
                    "connection, headers and body together)"
                ) from None

    async def _follow(self, request: Request) -> Fetched:
        assert self._client is not None
        headers = {"Accept": request.accept}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        url, seen = request.url, [request.url]
        for _ in range(self.settings.harvest_max_redirects + 1):
            try:
                async with self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        url = self._next_hop(url, response.headers["location"], seen)
                        continue
                    return await self._answer(request, url, response)
            except httpx.TimeoutException:
                raise HarvestError(
                    f"{url}: no answer within {self.settings.harvest_timeout_s:g} s "
                    "(harvest_timeout_s)"
                ) from None
            except httpx.HTTPError as exc:
                raise HarvestError(f"{url}: cannot reach the source: {exc}") from None
        raise HarvestError(
            f"{request.url}: more than {self.settings.harvest_max_redirects} redirects "
            f"(harvest_max_redirects): {' -> '.join(seen)}"
        )

    def _next_hop(self, url: str, location: str, seen: list[str]) -> str:
        target = urllib.parse.urljoin(url, location)
        check_link(target, self.hosts, f"{url} (a redirect)")
        if target in seen:
            raise HarvestError(f"{seen[0]}: a redirect loop: {' -> '.join([*seen, target])}")
        seen.append(target)
        return target

    async def _answer(self, request: Request, url: str, response: httpx.Response) -> Fetched:
        if response.status_code == 304:
            return Fetched(url, None, request.etag, request.last_modified, asked=request.url)
        if response.status_code != 200:
            raise HarvestError(
                f"{url}: the server answered HTTP {response.status_code} {response.reason_phrase}"
            )
        limit = self.settings.harvest_max_bytes
        announced = response.headers.get("content-length", "")
        if announced.isdigit() and int(announced) > limit:
            raise HarvestError(
                f"{url}: announces {announced} bytes, more than harvest_max_bytes ({limit}); "
                "nothing was downloaded"
            )
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > limit:
                raise HarvestError(
                    f"{url}: more than harvest_max_bytes ({limit}) bytes; the download was stopped"
                )
        content_type = response.headers.get("content-type", "").split(";")[0].strip() or None
        return Fetched(
            url,
            bytes(body),
            response.headers.get("etag"),
            response.headers.get("last-modified"),
            content_type,
            asked=request.url,
        )


def read_local(path: Path, limit: int) -> Fetched:
    """A local file as a source, within ``harvest_max_bytes``."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise HarvestError(f"{path}: {size} bytes, more than harvest_max_bytes ({limit})")
        return Fetched(str(path), path.read_bytes(), asked=str(path))
    except OSError as exc:
        raise HarvestError(f"{path}: cannot read the source: {exc.strerror or exc}") from None


async def gather_bounded(
    jobs: Iterable[Callable[[], Awaitable[T]]], done: Callable[[], None] | None = None
) -> list[T | BaseException]:
    """Run ``jobs`` concurrently (the downloader bounds how many fetch at once); each result or
    the exception it raised, in order. ``done`` is called as each job ends."""

    async def run(job: Callable[[], Awaitable[T]]) -> T | BaseException:
        try:
            return await job()
        except Exception as exc:  # every failure is one source's result, not the run's
            return exc
        finally:
            if done is not None:
                done()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


def gunzip(data: bytes, name: str, limit: int) -> bytes:
    """``data`` unpacked if it is gzip (every member of it), else as it is; at most ``limit``
    bytes unpacked.

    >>> import gzip
    >>> gunzip(gzip.compress(b"a ") + gzip.compress(b"b"), "x.gz", 10)
    b'a b'
    """
    if not data.startswith(_GZIP_MAGIC):
        return data
    out: list[bytes] = []
    size, rest = 0, data
    while rest:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            part = inflater.decompress(rest, limit + 1 - size)
        except zlib.error as exc:
            raise HarvestError(f"{name}: not a valid gzip file: {exc}") from None
        size += len(part)
        out.append(part)
        if size > limit:
            raise HarvestError(f"{name}: unpacks to more than harvest_max_bytes ({limit}) bytes")
        if not inflater.eof:
            raise HarvestError(f"{name}: a gzip file cut short (its last member is incomplete)")
        rest = inflater.unused_data.lstrip(b"\0")  # some writers pad between members
        if rest and not rest.startswith(_GZIP_MAGIC):
            raise HarvestError(f"{name}: bytes after the gzip data that are not a gzip member")
    return b"".join(out)


def run(coroutine: Awaitable[T]) -> T:
    """Run a harvest's downloads to completion from synchronous code."""
    return asyncio.run(coroutine)  # type: ignore[arg-type]
