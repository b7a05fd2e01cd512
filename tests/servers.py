"""Real SPARQL engines started on loopback for the tests: the Oxigraph server (PyPI ``oxigraph``)
and Virtuoso 7 (Debian's ``virtuoso-opensource``).

Each server is a process of its own on free loopback ports, stopped when its fixture ends.
"""

from __future__ import annotations

import fcntl
import json
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

OXIGRAPH = Path(sys.executable).parent / "oxigraph"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


@contextmanager
def oxigraph_server(location: Path | None = None, *extra: str) -> Iterator[str]:
    """An Oxigraph server (in memory, or on disk at ``location``); yields its base URL."""
    port = free_port()
    where = ["--location", str(location)] if location else []
    process = subprocess.Popen(
        [OXIGRAPH, "serve", *where, "--bind", f"127.0.0.1:{port}", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
NOT_INSTALLED = (
    "Virtuoso is NOT installed (no virtuoso-t and isql-vt on PATH): the Virtuoso tests were NOT "
    "run. Install Debian's virtuoso-opensource (.ci/run does, as root) to run them."
)
# The test configuration: its own database and temporary database files (the stock ini points
# both at /var/lib), loopback ports of its own, a row cap far above any test's answers, bulk
# loads from its folder, a checkpoint only when asked (tests never restart from it), and
# serializable transactions (concurrent guarded writers must not both win; chmgraph's docs ask
# the same of a production server).
_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
MaxClientConnections = 8
DirsAllowed = ., {folder}
CaseMode = 2
DefaultIsolation = 8
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerThreads = 8
MaxClientConnections = 8
[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 300
MaxQueryCostEstimationTime = 0
"""


@dataclass(frozen=True)
class Virtuoso:
    """A Virtuoso server on loopback: its HTTP base URL, a writer (SPARQL_UPDATE) and its
    password, and ``folder``, from which it may bulk load files."""

    url: str
    user: str
    password: str
    folder: Path
    sql_port: int
    dba_password: str

    @property
    def location(self) -> str:
        return f"virtuoso+{self.url}"

    def sql(self, *statements: str) -> str:
        """Run SQL statements as the database administrator, through isql; what it printed."""
        return _isql(self.sql_port, self.dba_password, statements)

    @contextmanager
    def row_cap(self, rows: int) -> Iterator[None]:
        """The server's SPARQL row cap (``ResultSetMaxRows``) set to ``rows`` for a while."""
        setting = "cfg_write (virtuoso_ini_path (), 'SPARQL', 'ResultSetMaxRows', '{}')"
        before = self.sql("select virtuoso_ini_item_value ('SPARQL', 'ResultSetMaxRows')")
        self.sql(setting.format(rows))
        try:
            yield
        finally:
            self.sql(setting.format(before.split()[-1]))


def _isql(port: int, password: str, statements: Sequence[str]) -> str:
    done = subprocess.run(
        [ISQL, f"127.0.0.1:{port}", "dba", password, "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF",
         "ERRORS=STDOUT", "exec=" + " ".join(s.rstrip(";") + ";" for s in statements)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0 or "*** Error" in done.stdout:
        raise RuntimeError(f"isql-vt: {done.stdout.strip()} {done.stderr.strip()}")
    return done.stdout


def _start_virtuoso(folder: Path, max_rows: int) -> tuple[subprocess.Popen, int, int]:
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        _VIRTUOSO_INI.format(
            folder=folder, sql_port=sql_port, http_port=http_port, max_rows=max_rows
        )
    )
    process = subprocess.Popen(
        [VIRTUOSO, "+foreground", "+configfile", ini],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_sparql(http_port, process)
    except BaseException:
        _stop(process)
        raise
    return process, sql_port, http_port


def _wait_for_sparql(port: int, process: subprocess.Popen, seconds: float = 180) -> None:
    # The HTTP port opens when the server is ready; a first query tells.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("Virtuoso did not start")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _virtuoso_template(cache: Path) -> dict[str, str]:
    """A database made once per machine (a new one takes Virtuoso half a minute; a copy starts
    in a few seconds), with a writer allowed SPARQL updates and passwords of its own, made
    under a lock so that parallel test processes build it once."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        accounts = cache / "accounts.json"
        if (cache / "virtuoso.db").is_file() and accounts.is_file():
            return json.loads(accounts.read_text())
        build = Path(tempfile.mkdtemp(prefix="virtuoso-template-", dir=cache))
        made = {
            "user": "chmgraph-writer",
            "password": secrets.token_urlsafe(16),
            "dba": secrets.token_urlsafe(16),
        }
        process, sql_port, _ = _start_virtuoso(build, 10)
        try:
            _isql(sql_port, "dba", [
                f"DB.DBA.USER_CREATE ('{made['user']}', '{made['password']}')",
                f'GRANT SPARQL_UPDATE TO "{made["user"]}"',
                f"USER_SET_PASSWORD ('dba', '{made['dba']}')",
                "checkpoint",
            ])  # fmt: skip
        finally:
            _stop(process)
        (build / "virtuoso.db").replace(cache / "virtuoso.db")
        shutil.rmtree(build)
        accounts.write_text(json.dumps(made))
        return made


@contextmanager
def virtuoso_server(folder: Path, cache: Path, *, max_rows: int = 10_000_000) -> Iterator[Virtuoso]:
    """A Virtuoso server on loopback with its database in ``folder`` (a copy of the template
    kept in ``cache``), stopped when the block ends. Skips the test, saying so, when Virtuoso is
    not installed."""
    if not (VIRTUOSO and ISQL):
        pytest.skip(NOT_INSTALLED)
    made = _virtuoso_template(cache)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cache / "virtuoso.db", folder / "virtuoso.db")
    process, sql_port, http_port = _start_virtuoso(folder, max_rows)
    try:
        yield Virtuoso(
            f"http://127.0.0.1:{http_port}",
            made["user"],
            made["password"],
            folder,
            sql_port,
            made["dba"],
        )
    finally:
        _stop(process)
