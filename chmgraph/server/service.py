"""The one object a running server holds: the network, its settings, a bounded worker pool, the
write credentials, the network's state and the query results cached for it."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TypeVar

from chmgraph.credentials import WriteCredentials
from chmgraph.errors import ChmgraphError
from chmgraph.network import Network
from chmgraph.publish.dump import dump_if_stale
from chmgraph.query.library import NamedQuery, QueryLibrary
from chmgraph.query.policy import QueryTimeout
from chmgraph.query.results import QueryResult
from chmgraph.query.run import ProtocolDataset, QueryPlan, plan_query
from chmgraph.query.stream import Chunks, Stopped, write_answer
from chmgraph.server.negotiation import Format, answer_format, with_charset
from chmgraph.settings import Settings
from chmgraph.store import OxigraphStore

T = TypeVar("T")
log = logging.getLogger("chmgraph.server")

# How often the wait for the saved answers' child looks whether the server is stopping.
_ANSWERS_POLL_S = 0.5
# Answers larger than this are not kept by the pre-warming after a write (nor computed again
# for later states): a large answer is a download, not a page a reader waits for.
PREWARM_MAX_BYTES = 1 << 20
# A library answer a page shows is kept for the current state only up to this many rows (a page
# shows at most a thousand; a larger answer is a download).
PAGE_ANSWER_MAX_ROWS = 5000


# What a client asking for a query with no Accept header or ``format`` sends: nothing, or the
# */* most HTTP clients send by default.
_DEFAULT: tuple[tuple[str, str | None], ...] = (("", None), ("*/*", None))


class Busy(Exception):
    """Every query slot is taken: the client should come back shortly."""


class ClientGone(Exception):
    """The client closed the connection before its answer began (nothing can be sent)."""


class AnswerStream:
    """An answer's chunks on their way from the worker writing it to the response sending it.

    At most ``_CHUNKS_IN_FLIGHT`` chunks wait between the two, so a slow reader slows the
    writer rather than filling memory; ``cancel`` (the reader has gone) makes the writer's next
    chunk raise ``Stopped``, which is where a query that cannot be cancelled stops."""

    def __init__(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        self._loop = loop
        self._deadline = deadline
        self._items: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        self._room = threading.Semaphore(_CHUNKS_IN_FLIGHT)
        self.cancelled = threading.Event()

    # The worker's side.

    def put(self, kind: str, payload: object) -> None:
        """Hand on ``("chunk", bytes)`` or ``("whole", bytes)``, waiting while the reader is
        behind (``Stopped`` once it has gone, ``QueryTimeout`` past the deadline), or the last
        item, ``("end", None)`` or ``("error", exception)``, at once."""
        if kind in ("chunk", "whole"):
            while not self._room.acquire(timeout=0.1):
                if self.cancelled.is_set():
                    raise Stopped("the client went away")
                if time.monotonic() > self._deadline:
                    raise QueryTimeout(
                        "the client did not take the answer within the query_timeout_s setting"
                    )
        if self.cancelled.is_set():
            raise Stopped("the client went away")
        self._loop.call_soon_threadsafe(self._items.put_nowait, (kind, payload))

    # The response's side.

    async def get(self) -> tuple[str, object]:
        kind, payload = await self._items.get()
        if kind in ("chunk", "whole"):
            self._room.release()
        return kind, payload

    def cancel(self) -> None:
        self.cancelled.set()


_CHUNKS_IN_FLIGHT = 4


class QueryJob:
    """One ``/sparql`` query in the workers: ``write`` writing its answer to ``stream``."""

    def __init__(self, write: Callable[[AnswerStream], None], stream: AnswerStream) -> None:
        self.write = write
        self.stream = stream
        self.state = "queued"  # then "running", then "done"
        #: Its client has gone (or waited past the timeout) before the answer's first chunk,
        #: and its request slot went back: the query runs on, as an abandoned one.
        self.abandoned = False


class QueryWorkers:
    """The threads that run ``/sparql`` queries, each writing its answer where it ran it, and
    the ``server_max_concurrent_queries`` request slots they are given in.

    The engine cannot stop a query before its first row: a client that gives up on a long
    query (it disconnects, or the query timeout passes) would hold its slot and its worker until
    the query ends, and the clients after it would get 503. So a query given up before its first
    chunk is *abandoned* (``abandon``): its request slot goes back at once, its thread runs it
    to its end (the answer, if complete, still fills the result cache) and then retires, and a
    new thread takes its place among the ``server_workers``. At most ``abandoned`` queries run
    abandoned at once (the ``server_max_abandoned_queries`` setting): past that, a query given up
    keeps its slot until it ends, as before, so giving up is not a way to make the machine run
    ever more queries: at most ``server_workers`` + ``abandoned`` run at once.

    Daemon threads, unlike a ``ThreadPoolExecutor``'s: an abandoned query must not hold up the
    server's exit."""

    def __init__(self, count: int, slots: threading.BoundedSemaphore, abandoned: int) -> None:
        self._work: queue.SimpleQueue[QueryJob] = queue.SimpleQueue()
        self._slots = slots
        self._max_abandoned = abandoned
        self._lock = threading.Lock()
        self._threads = 0
        self.abandoned_running = 0
        for _ in range(count):
            self._spawn()

    def _spawn(self) -> None:
        self._threads += 1
        name = f"chmgraph-query-{self._threads}"
        threading.Thread(target=self._serve, name=name, daemon=True).start()

    def submit(self, write: Callable[[AnswerStream], None], stream: AnswerStream) -> QueryJob:
        """Queue ``write`` in one of the request slots (``Busy`` if none is free)."""
        if not self._slots.acquire(blocking=False):
            raise Busy
        job = QueryJob(write, stream)
        self._work.put(job)
        return job

    def abandon(self, job: QueryJob) -> None:
        """The client of ``job`` has given up before its first chunk: its slot goes back now if
        the job has not started, or if it runs and there is room for one more abandoned query."""
        job.stream.cancel()
        with self._lock:
            if job.abandoned or job.state == "done":
                return
            if job.state == "running":
                if self.abandoned_running >= self._max_abandoned:
                    return  # it keeps its slot until it ends
                self.abandoned_running += 1
                self._spawn()  # this thread retires after the job: another takes its place
            job.abandoned = True
        self._slots.release()

    def _serve(self) -> None:
        while True:
            job = self._work.get()
            with self._lock:
                if job.abandoned:  # given up while it waited: its slot went back then
                    continue
                job.state = "running"
            try:
                job.write(job.stream)
            except Exception:  # a bug: logged, and the thread goes on serving
                log.exception("a query worker failed")
            with self._lock:
                job.state = "done"
                abandoned = job.abandoned
                if abandoned:
                    self.abandoned_running -= 1
            if abandoned:
                return  # its place was taken when the job was abandoned
            self._slots.release()


@dataclass
class _Running:
    """An answer being computed: set when done, with its value or that it failed."""

    done: threading.Event = field(default_factory=threading.Event)
    value: object = None
    failed: bool = False


class Service:
    """The network as the server shares it between requests."""

    def __init__(self, network: Network, settings: Settings, *, base_url: str) -> None:
        self.network = network
        self.settings = settings
        self.base_url = base_url.rstrip("/")
        self.credentials = WriteCredentials(settings.credentials_file())
        self.dump_dir = settings.server_dump_directory()
        # pyoxigraph calls release the GIL, so threads run queries side by side; the pool bounds
        # how many run, and the semaphore how many may wait for it.
        self.pool = ThreadPoolExecutor(settings.server_workers, thread_name_prefix="chmgraph-http")
        self._query_slots = threading.BoundedSemaphore(settings.server_max_concurrent_queries)
        self.query_workers = QueryWorkers(
            settings.server_workers, self._query_slots, settings.server_max_abandoned_queries
        )
        # One write at a time, so the state number and the dump follow the writes in order.
        self._writing = threading.Lock()
        # The dump is rewritten by one thread of its own, after the write that changed the
        # network has answered; writes that come in meanwhile are covered by one more refresh.
        self._dumper = ThreadPoolExecutor(1, thread_name_prefix="chmgraph-dump")
        self._dump_pending = threading.Event()
        self._dump_lock = threading.Lock()
        self._dump_process: subprocess.Popen[bytes] | None = None
        self._answers_process: subprocess.Popen[bytes] | None = None
        #: "saving" (the library's saved answers are being computed for the present state),
        #: "current", "failed" (the log says why) or "off" (a store that keeps none).
        self.answers_status = "saving"
        self._closing = False
        #: "writing" (the dump may be stale), "current", or "failed" (the log says why).
        self.dump_status = "writing"
        # The state the dump was made from, beside it (not served).
        self.dump_record = self.dump_dir.with_name(self.dump_dir.name + ".state.json")
        self.state = 0
        # The state counts this server's writes: it stands for the network's only when no one
        # else can write, which the embedded store's process lock ensures and a remote engine
        # does not. Over a remote engine, answers are not cached.
        self.caching = isinstance(network.store, OxigraphStore)
        self._cache: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._too_large: set[str] = set()
        # The library's answers as pages show them (a named query's page, a country's page),
        # for the current state only, like the result cache.
        self._answers: OrderedDict[str, object] = OrderedDict()
        # Whether the warming at start (``start``) is still under way (``/healthz`` says so).
        self.warming = False
        # The answers being computed, by key, for the requests that ask for one meanwhile.
        self._running: dict[str, _Running] = {}

    async def run(self, function: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run ``function`` in the worker pool and wait for it without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, partial(function, *args, **kwargs))

    async def run_query(self, function: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Like ``run``, in one of the ``server_max_concurrent_queries`` slots; ``Busy`` if none
        is free (the answer is 503 with Retry-After rather than an ever longer queue)."""
        if not self._query_slots.acquire(blocking=False):
            raise Busy
        try:
            return await self.run(function, *args, **kwargs)
        finally:
            self._query_slots.release()

    def stream_query(self, write: Callable[[AnswerStream], None], *, deadline: float) -> QueryJob:
        """Start ``write`` in a worker, in one of the ``server_max_concurrent_queries`` slots
        (``Busy`` if none is free: the answer is 503 with Retry-After rather than an ever longer
        queue); the job's ``stream`` is what it writes to. The slot is freed when ``write``
        returns, which a cancelled stream makes it do at its next chunk, as does a reader that
        has not taken the answer by ``deadline`` (``time.monotonic``), or when the query is
        given up before its first chunk (``abandon``)."""
        stream = AnswerStream(asyncio.get_running_loop(), deadline)
        return self.query_workers.submit(write, stream)

    def abandon(self, job: QueryJob) -> None:
        """``job``'s client has gone before its answer's first chunk (``QueryWorkers.abandon``)."""
        self.query_workers.abandon(job)

    def write(self, function: Callable[[], T], changed: Callable[[T], bool]) -> T:
        """Run a write (in a worker); when ``changed`` says it changed the network, start a new
        state (dropping cached answers) and refresh the dump."""
        with self._writing:
            outcome = function()
            if changed(outcome):
                self.state += 1
                with self._cache_lock:
                    self._cache.clear()
                    self._answers.clear()
                self._schedule_dump()
            return outcome

    @contextmanager
    def writing(self) -> Iterator[Network]:
        """The network, under the write lock, for a writer that commits more than one change
        (a harvest); afterwards a new state begins and the dump is refreshed."""
        with self._writing:
            try:
                yield self.network
            finally:
                self.state += 1
                with self._cache_lock:
                    self._cache.clear()
                    self._answers.clear()
                self._schedule_dump()

    def _schedule_dump(
        self, *, prewarm: bool = True, first: tuple[Callable[[], object], ...] = ()
    ) -> None:
        self.dump_status = "writing"
        if self.answers_status != "off":
            self.answers_status = "saving"
        if self._dump_pending.is_set():
            return
        self._dump_pending.set()
        self._dumper.submit(self._dump_when_due, prewarm, first)

    def _dump_when_due(self, prewarm: bool, first: tuple[Callable[[], object], ...]) -> None:
        """The dump begun (in a child process over an embedded store), then, beside it, the
        warming ``first`` and the pre-warming, what readers wait for; then the dump's end."""
        self._dump_pending.clear()
        if self._closing:
            return
        failed: ChmgraphError | None = None
        try:
            finish = self._begin_dump()
        except ChmgraphError as exc:
            failed = exc
        for work in (*first, self.save_answers, self.prewarm) if prewarm else first:
            try:
                work()
            except Exception:  # a bug: logged; the dump is still waited for
                log.exception("the warming failed")
        self.warming = False
        try:
            if failed is not None:
                raise failed
            finish()
        except ChmgraphError as exc:
            self.dump_status = "failed"
            log.warning("the dump was not refreshed: %s", exc)
            return
        if not self._dump_pending.is_set():
            self.dump_status = "current"

    def start(self, *first: Callable[[], object]) -> None:
        """Before the first request: nothing. On the dump's thread, while requests are served:
        the dump brought up to date (``refresh_dump``, only if the store changed since it was
        written) and, beside it, ``first`` (the pages' own warming: templates, the map) and the
        pre-warming a write is followed by, so that the first readers after a start find the
        pages' answers kept (at 100k a library page took 2.5 s for its first reader, 40 ms for
        the next). (The store is not compacted either: ``GraphStore.optimize`` took 52 s on a
        1M network and left it larger on disk, so a server would start minutes late for a gain
        of about 15% measured on a loaded machine.)"""
        self.warming = True
        # There at once, so a file the first dump has not written yet is a 404, not a 500.
        with suppress(OSError):  # the dump says why it cannot write there
            self.dump_dir.mkdir(parents=True, exist_ok=True)
        self._schedule_dump(prewarm=True, first=first)

    def refresh_dump(self) -> None:
        """Bring the dump served at ``/dump/`` up to date if it is stale (``dump_if_stale``:
        only changed files are rewritten, each atomically, so the old one is served, with its
        ETag, until the new one is whole; ``void.ttl`` last).

        Over an embedded store on disk it is written by ``chmgraph dump`` in a child process,
        at a lower CPU priority (``server_dump_niceness``), from the store's newest snapshot: no
        reader waits for it, and the canonicalization (Python, holding its interpreter's lock)
        is not this process's. Over another store it is written in this thread."""
        self._begin_dump()()

    def _begin_dump(self) -> Callable[[], None]:
        """Start ``refresh_dump``'s work; what waits for its end (raising ``ChmgraphError``)."""
        settings = self.settings
        if not settings.dump_base_url:
            settings = replace(settings, dump_base_url=f"{self.base_url}/dump/")
        store = self.network.store
        if isinstance(store, OxigraphStore) and store.path is not None:
            return self._dump_in_child(store.path, settings.dump_base_url)
        return partial(self._dump_here, settings)

    def save_answers(self) -> None:
        """Compute the library's saved answers for the store's present state (``chmgraph
        answers``), before the pre-warming reads them: over an embedded store on disk, in a
        child process at ``server_dump_niceness`` over the store's newest snapshot. A write that
        comes in meanwhile does not stop it: the answers that read only the network's content
        are shared by every state holding the same (a rollback's undoing finds them), and the
        next state's are computed after it, like the dump. Elsewhere there are none."""
        store = self.network.store
        if not (self.settings.saved_answers and isinstance(store, OxigraphStore) and store.path):
            self.answers_status = "off"
            return
        self.answers_status = "saving"
        command = [sys.executable, "-m", "chmgraph", "answers", "--store", str(store.path)]
        with self._dump_lock:
            if self._closing:
                return
            process = self._child(command, subprocess.DEVNULL)
            self._answers_process = process
        try:
            while True:
                try:
                    err = process.communicate(timeout=_ANSWERS_POLL_S)[1]
                    break
                except subprocess.TimeoutExpired:
                    if self._closing:
                        process.terminate()
                        process.wait()
                        return
        finally:
            with self._dump_lock:
                self._answers_process = None
        if process.returncode:
            lines = err.decode("utf-8", "replace").strip().splitlines() or ["no message"]
            self.answers_status = "failed"
            log.warning("chmgraph answers exited with %s: %s", process.returncode, lines[-1])
            return
        if not self._dump_pending.is_set():
            self.answers_status = "current"

    def _dump_here(self, settings: Settings) -> None:
        with suppress(OSError):  # Linux: a thread's own priority
            niceness = os.getpriority(os.PRIO_PROCESS, 0) + settings.server_dump_niceness
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(niceness, 19))
        store = self.network.store
        dump = dump_if_stale(store, self.dump_dir, record=self.dump_record, settings=settings)
        log.info("dump: %s", "current" if dump is None else f"{len(dump.rewritten)} files changed")

    def _child(self, command: list[str], stdout: int) -> subprocess.Popen[bytes]:
        """``command`` started at ``server_dump_niceness``, its standard error kept."""
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE,
            # One system call, safe beside threads.
            preexec_fn=partial(os.nice, self.settings.server_dump_niceness),
        )

    def _dump_in_child(self, store_path: Path, base_url: str) -> Callable[[], None]:
        command = [
            *(sys.executable, "-m", "chmgraph", "dump", "--store", str(store_path)),
            *("--out", str(self.dump_dir), "--base-url", base_url),
            *("--state-file", str(self.dump_record)),
        ]
        with self._dump_lock:
            if self._closing:
                return lambda: None
            process = self._child(command, subprocess.PIPE)
            self._dump_process = process

        def finish() -> None:
            out, err = process.communicate()
            with self._dump_lock:
                self._dump_process = None
            if process.returncode and not self._closing:
                lines = err.decode("utf-8", "replace").strip().splitlines() or ["no message"]
                raise ChmgraphError(f"chmgraph dump exited with {process.returncode}: {lines[-1]}")
            if out.strip():  # what it did: "dumped N graphs ... M changed", or "... is current"
                log.info("dump: %s", out.decode("utf-8", "replace").strip())

        return finish

    # The result cache: answers by request, for the current state only.

    def cache_key(self, *parts: object) -> str | None:
        """The key, and the ETag, of an answer to the request made of ``parts`` in this state
        (None: answers are not cached)."""
        if not self.caching:
            return None
        text = "\x00".join(repr(p) for p in (self.state, *parts))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def cached(self, key: str) -> tuple[bytes, str] | None:
        with self._cache_lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
            return found

    def remember(self, key: str, state: int, body: bytes, media_type: str) -> None:
        """Keep an answer computed in ``state``, unless a write came in meanwhile or it is
        larger than the ``server_result_cache_answer_bytes`` setting."""
        if len(body) > self.settings.server_result_cache_answer_bytes:
            return
        with self._cache_lock:
            if state != self.state:
                return
            self._cache[key] = (body, media_type)
            while len(self._cache) > self.settings.server_result_cache_entries:
                self._cache.popitem(last=False)

    def answer(self, query: NamedQuery, params: Mapping[str, str]) -> QueryResult:
        """The answer of a library ``query`` with ``params`` (as a form gives them), kept for
        the current state when it has at most ``PAGE_ANSWER_MAX_ROWS`` rows, so that a page
        asking again (another reader, the same country's page) does not wait for it."""
        found = self.kept_answer(query, params)
        if found is not None:
            return found
        key, state = self._answer_key(query, params), self.state

        def compute() -> QueryResult:
            result = self.network.query(query, params=dict(params), settings=self.settings)
            self._keep_answer(key, state, result)
            return result

        return self._once(key, compute)

    def kept(self, compute: Callable[..., T], **kwargs: str) -> T:
        """``compute(**kwargs)`` (a read of the network a page shows: the home page's figures,
        the dashboard's standings, the country list), kept for the current state like a library
        answer."""
        key = self.cache_key("kept", compute.__qualname__, tuple(sorted(kwargs.items())))
        if key is not None:
            with self._cache_lock:
                if key in self._answers:
                    return self._answers[key]  # type: ignore[return-value]
        state = self.state

        def computed() -> T:
            value = compute(**kwargs)
            if key is not None:
                with self._cache_lock:
                    if state == self.state:
                        self._answers[key] = value  # type: ignore[assignment]
            return value

        return self._once(key, computed)

    def _once(self, key: str | None, compute: Callable[[], T]) -> T:
        """``compute()``; or, while another thread computes the answer of the same ``key`` (the
        pre-warming at start, a reader before), that thread's answer when it has one: a page
        asked for while it is being computed waits for it rather than computing it again."""
        if key is None:
            return compute()
        with self._cache_lock:
            running = self._running.get(key)
            mine = running is None
            if running is None:
                running = self._running[key] = _Running()
        if not mine:
            running.done.wait()
            if running.failed:
                return compute()  # its failure was its own (a timeout, a write meanwhile)
            return running.value  # type: ignore[return-value]
        try:
            running.value = compute()
            return running.value  # type: ignore[return-value]
        except BaseException:
            running.failed = True
            raise
        finally:
            with self._cache_lock:
                self._running.pop(key, None)
            running.done.set()

    def kept_answer(self, query: NamedQuery, params: Mapping[str, str]) -> QueryResult | None:
        """The answer ``answer`` keeps for the current state, if any."""
        key = self._answer_key(query, params)
        if key is None:
            return None
        with self._cache_lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
            return found if isinstance(found, QueryResult) else None

    def _answer_key(self, query: NamedQuery, params: Mapping[str, str]) -> str | None:
        return self.cache_key("page", query.name, query.text, tuple(sorted(params.items())))

    def _keep_answer(self, key: str | None, state: int, result: QueryResult) -> None:
        if key is None or len(result) > PAGE_ANSWER_MAX_ROWS:
            return
        with self._cache_lock:
            if state != self.state:
                return
            self._answers[key] = result
            while len(self._answers) > self.settings.server_result_cache_entries:
                self._answers.popitem(last=False)

    def plan_answer(
        self, query: str, dataset: ProtocolDataset | None, wanted: tuple[str, str | None]
    ) -> tuple[QueryPlan, Format]:
        """``query`` (SPARQL text) planned as ``/sparql`` runs it, and the format of its answer
        for a request whose Accept header and ``format`` parameter are ``wanted``: the one way
        an answer is made, whether a client or the pre-warming asks for it."""
        plan = plan_query(
            self.network,
            query,
            settings=self.settings,
            protocol_dataset=dataset,
            base_iri=f"{self.base_url}/sparql",
        )
        return plan, answer_format(plan.prepared.form, *wanted)

    def prewarm(self) -> int:
        """Answer every library query with its default parameters, as a client sending the
        query's file with no Accept header or ``format`` asks for it, and keep the answers for
        the current state, so that the first readers after a write find them cached: the same
        bytes ``/sparql`` writes, by the same writer; and the pages' answers (``answer``,
        ``kept``). Runs on the dump's thread after each write; stops when another write comes
        in. Returns the number of library queries whose answers are kept (already or now)."""
        if not self.caching:
            return 0
        state, kept = self.state, 0
        for query in QueryLibrary.load():
            if state != self.state or self._closing:
                break
            if query.name not in self._too_large:
                # The same answer as the query's page shows it in English (its default
                # parameters), as a QueryResult.
                english = {"lang": "en"} if any(p.name == "lang" for p in query.parameters) else {}
                with suppress(ChmgraphError):
                    self.answer(query, english)
            keys = {
                wanted: self.cache_key("query", query.text, None, wanted) for wanted in _DEFAULT
            }
            missing = [w for w, key in keys.items() if key and self.cached(key) is None]
            if query.name in self._too_large:
                continue
            if not missing:  # kept already (by the pre-warming at start, or a reader)
                kept += 1
                continue
            written: dict[str, tuple[bytes, str] | None] = {}  # by format: one run for both
            try:
                for wanted in missing:
                    plan, chosen = self.plan_answer(query.text, None, wanted)
                    if chosen.name not in written:
                        written[chosen.name] = self._write_whole(plan, chosen)
                    found = written[chosen.name]
                    if found is None:
                        self._too_large.add(query.name)
                        break
                    self.remember(keys[wanted], state, *found)  # type: ignore[arg-type]
            except ChmgraphError:
                continue
            kept += query.name not in self._too_large
        # What the home page and the dashboard show, in English.
        for compute, kwargs in (
            (self.network.status, {}),
            (self.network.standings, {"lang": "en"}),
            (self.network.country_directory, {"lang": "en"}),
        ):
            if state != self.state:
                break
            self.kept(compute, **kwargs)
        return kept

    def _write_whole(self, plan: QueryPlan, chosen: Format) -> tuple[bytes, str] | None:
        """``plan``'s answer in ``chosen``, whole, as ``/sparql`` writes it: its bytes and media
        type (None: larger than ``PREWARM_MAX_BYTES``). Raises ``ChmgraphError`` if it fails."""
        chunks: list[bytes] = []
        size = 0

        def keep(chunk: bytes) -> None:
            nonlocal size
            size += len(chunk)
            if size > PREWARM_MAX_BYTES:
                raise Stopped("larger than the pre-warming keeps")
            chunks.append(chunk)

        try:
            write_answer(plan, chosen.name, Chunks(keep, settings=self.settings), self.settings)
        except Stopped:
            return None
        return b"".join(chunks), with_charset(chosen.media_type)

    def settle(self, timeout: float | None = None) -> None:
        """Wait until the dump and warming scheduled so far have run (they run one after the
        other on the dump's thread): what a drain before a planned stop, or a test, waits for.
        ``close`` does not wait for them."""
        self._dumper.submit(lambda: None).result(timeout)

    def close(self) -> None:
        """Finish the work under way (a submission's commit) and stop; a dump being written is
        interrupted (its files are each whole, old or new, and the next start finishes it)."""
        with self._dump_lock:
            self._closing = True  # no dump or pre-warming starts now
        self.pool.shutdown(wait=True)
        with self._dump_lock:
            process, answers = self._dump_process, self._answers_process
        if answers is not None:
            answers.terminate()
        if process is not None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        self._dumper.shutdown(wait=True)
