"""``chmgraph serve`` on loopback for the server tests: a fresh store built by ``chmgraph init``,
an admin token and a CM token made by ``chmgraph token create``, and a real uvicorn server in a
subprocess, reached over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from servers import free_port

CHMGRAPH = Path(sys.executable).parent / "chmgraph"


class Served:
    """A running ``chmgraph serve``: its URL, its tokens, its log, and how to stop it."""

    def __init__(
        self,
        folder: Path,
        *,
        env: dict[str, str] | None = None,
        synthetic: str = "",
        start_s: float = 60,
        wait_for_dump: bool = True,
    ) -> None:
        """``start_s``: how long the server may take to answer at first, and (unless not
        ``wait_for_dump``) to have its dump written: the server answers at once and writes its
        dump in the background, minutes for a network of a million triples."""
        self.folder = folder
        self.start_s = start_s
        self.wait_for_dump = wait_for_dump
        self.store = folder / "store"
        # The dump is written at the server's own priority: on a machine busy with other tests,
        # a lower one could starve it past the test's patience.
        self.env = {
            **os.environ,
            "CHMGRAPH_STORE": str(self.store),
            "CHMGRAPH_SERVER_DUMP_NICENESS": "0",
            **(env or {}),
        }
        self.run("init", *(("--with-synthetic", synthetic) if synthetic else ()))
        self.admin = self.run("token", "create", "--admin", "--note", "tests").strip()
        self.cm = self.run("token", "create", "CM", "--note", "CM steward").strip()
        self.fr = self.run("token", "create", "FR").strip()
        self.log = folder / "serve.log"
        self._start()

    def _start(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [CHMGRAPH, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )
        self._wait(self.start_s)
        # A large network's submissions validate against it: as long as a start may take.
        self.http = httpx.Client(base_url=self.url, timeout=max(60, min(self.start_s, 600)))

    def restart(self) -> None:
        """Start the server again on the same store and tokens, after it stopped or was killed."""
        self.http.close()
        self._start()

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [CHMGRAPH, *args], env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def _wait(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chmgraph serve exited: {self.log.read_text()}")
            try:
                health = httpx.get(f"{self.url}/healthz", timeout=1)
                if health.status_code == 200 and (
                    not self.wait_for_dump or health.json()["dump"] == "current"
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.process.kill()  # not left behind once the test has failed
        self.process.wait()
        raise RuntimeError(f"chmgraph serve did not answer (and dump) within {seconds:g} s")

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def stop(self) -> int:
        self.http.close()
        self.process.terminate()
        return self.process.wait(120)
