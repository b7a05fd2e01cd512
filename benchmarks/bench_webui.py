"""The web UI's first load in a real browser, on a network of the workload's size: each page
opened in a fresh Chromium context (nothing cached) against ``chmgraph serve`` on loopback,
timed from navigation to the load event with every asset, beside the page's HTML alone fetched
with httpx (the server's share). The query page's editor (YASGUI) is fetched after the load
event, the page's own form usable meanwhile: its row "editor ready" times navigation to the
editor in place. Each row's notes give the median first contentful paint.

Not in the default run (it starts a server and a browser): ``make bench BENCH_ARGS="--only
webui"``. Needs /usr/bin/chromium. The goal (issue 13): first load < 1 s with a 100k network.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import harness
import httpx
from bench_server import _build, _chmgraph_command, _server
from playwright.sync_api import sync_playwright

IN_DEFAULT_RUN = False
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
PAGES = {
    "home": "/",
    "query": "/query",
    "named query": "/queries/workshops-by-host-country",
    "dashboard": "/dashboard",
    "country": "/id/country/CM",
    "validation": "/validate?pick=seed",
}
# Pages timed to a later moment than their load event, by the selector that marks it; and
# again in a context that has visited the page once (its scripts in the browser's cache, kept
# for good under their digest URLs, so neither fetched nor asked about again).
READY = {"query editor ready": ("/query", "#yasgui[data-ready='true']")}
AGAIN = {"query editor ready, second visit": ("/query", "#yasgui[data-ready='true']")}
PAINT = "(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0"


def run(size: str, repeats: int) -> list[dict[str, Any]]:
    workload = harness.network(size)
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store"
        _build(store, workload.path)
        with _server(_chmgraph_command(store), "/healthz") as url, sync_playwright() as pw:
            harness.settled(url)
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                rows = [
                    _row(workload, name, path, *_measure(browser, url + path, repeats))
                    for name, path in PAGES.items()
                ]
                for name, (path, ready) in READY.items():
                    rows.append(
                        _row(workload, name, path, *_measure(browser, url + path, repeats, ready))
                    )
                for name, (path, ready) in AGAIN.items():
                    measured = _measure(browser, url + path, repeats, ready, again=True)
                    rows.append(_row(workload, name, path, *measured))
                return rows
            finally:
                browser.close()


def _measure(
    browser, url: str, repeats: int, ready: str | None = None, again: bool = False
) -> tuple[list[float], list[float], int, list[float]]:
    # The first visit warms the server's own caches (the query library, templates) only.
    loads, html, paints = [], [], []
    for attempt in range(repeats + 1):
        context = browser.new_context()
        page = context.new_page()
        if again:
            page.goto(url, wait_until="load")
            if ready:
                page.wait_for_selector(ready, state="attached", timeout=60_000)
            page.goto("about:blank")
        started = time.perf_counter()
        page.goto(url, wait_until="load")
        if ready:
            page.wait_for_selector(ready, state="attached", timeout=60_000)
        took = time.perf_counter() - started
        paint = page.evaluate(PAINT) / 1000
        size = page.evaluate(
            "performance.getEntriesByType('resource').reduce((n, e) => n + e.transferSize, 0)"
            " + performance.getEntriesByType('navigation')[0].transferSize"
        )
        context.close()
        started = time.perf_counter()
        httpx.get(url, headers={"Accept": "text/html"}, timeout=60).raise_for_status()
        alone = time.perf_counter() - started
        if attempt:
            loads.append(took)
            html.append(alone)
            paints.append(paint)
    return loads, html, size, paints


def _row(
    workload, name: str, path: str, loads: list, html: list, size: int, paints: list
) -> dict[str, Any]:
    reported = sorted(p for p in paints if p)
    paint = f"{reported[len(reported) // 2]:.2f} s" if reported else "not reported"
    return {
        "name": f"first load {name} ({path})",
        "size": workload.size,
        "triples": workload.triples,
        "chmgraph_name": "Chromium: navigation to the load event, fresh context",
        "chmgraph_s": loads,
        "baseline_name": "the page's HTML alone (httpx)",
        "baseline_s": html,
        "goal": "< 1 s",
        "notes": f"{size / 1024:.0f} KiB transferred (gzipped where the server compresses); "
        f"first contentful paint {paint}",
    }
