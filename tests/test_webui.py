"""The web UI in a real browser: Debian's Chromium driven by Playwright against a real
``chmgraph serve`` on loopback (tests/serving.py), one browser and one server for the module.

Every page is loaded in English, and the main ones in Arabic, with every request recorded: no
console error, no failed request, no request to any host but the server; a screenshot of each
goes to ``var/artifacts/``. Without Chromium the module is skipped with a loud reason
(pytest's summary lists it as not run, never as passed).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from serving import Served

from chmgraph.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "var" / "artifacts"
AXE = PROJECT_ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
EXAMPLE = PROJECT_ROOT / "data" / "examples" / "national-chm-example.ttl"
PAGES = {
    "home": "/",
    "query": "/query",
    "named-query": "/queries/workshops-per-year",
    "dashboard": "/dashboard",
    "validation": "/validate?pick=seed",
    "rules": "/rules",
    "steward": "/steward",
    "country": "/id/country/CM",
    "workshop": "/id/event/2014-buea-chm-workshop",
    "organization": "/id/org/cbd-secretariat",
    "toolkit": "/id/toolkit/chm-toolkit",
    "vocabulary": "/vocab",
    "graph": "/graph/cbd",
}

if not CHROMIUM.exists():
    pytest.skip(
        "NOT RUN: the browser tests need Debian's Chromium at /usr/bin/chromium "
        "(apt-get install chromium; .ci/run installs it when run as root)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="NOT RUN: playwright is missing")
pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    server = Served(tmp_path_factory.mktemp("webui"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


class Visit:
    """A page of a fresh browser context with everything it asked for and said recorded."""

    def __init__(self, browser, served: Served, **context) -> None:
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.host = urlparse(served.url).netloc
        self.url = served.url
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.elsewhere: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.page.on("response", self._response)
        self.page.on("request", self._request)
        self.page.on("dialog", self._dialog)

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.url} {response.status}")

    def _request(self, request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != self.host:
            self.elsewhere.append(request.url)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path: str) -> object:
        self.page.goto(self.url + path, wait_until="networkidle")
        return self.page

    def clean(self, what: str = "") -> None:
        """Nothing went wrong and nothing was asked of another host."""
        assert self.errors == [], (what, self.failed)
        assert self.failed == [], what
        assert self.elsewhere == [], what
        assert self.dialogs == [], what

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, served) -> Iterator[Visit]:
    opened = Visit(browser, served)
    yield opened
    opened.close()


def open_example(page, name: str) -> None:
    """Open the library's theme holding query ``name`` and put the query in the editor."""
    button = page.locator(f"button[data-example='{name}']")
    if not button.is_visible():
        page.locator(f"details:has(button[data-example='{name}']) > summary").click()
    button.click()


def sparql_rows(served: Served, query: str) -> list[dict[str, str]]:
    answer = served.http.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


# Arabic (right to left) on the pages the issue names; every page in English.
IN_ARABIC = ("home", "query", "country", "dashboard", "validation", "steward")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_page_loads_clean_asking_only_the_server(browser, served, lang):
    for name, path in PAGES.items():
        if lang == "ar" and name not in IN_ARABIC:
            continue
        opened = Visit(browser, served, locale=lang, extra_http_headers={"Accept-Language": lang})
        try:
            page = opened.open(path)
            assert page.locator("html").get_attribute("lang") == lang, name
            assert page.locator("h1").count() == 1, name
            opened.shot(f"{name}-{lang}")
            opened.clean(name)
        finally:
            opened.close()


def test_the_arabic_pages_are_right_to_left_and_the_switcher_remembers(visit):
    page = visit.open("/?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("nav a[href='/query']").inner_text() == "الاستعلامات"
    page.click("a[href='/dashboard']")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.click("nav.languages a[lang='fr']")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("html").get_attribute("lang") == "fr"
    visit.clean()


def test_a_library_query_runs_in_the_editor_and_shows_its_rows(visit, served):
    page = visit.open("/query")
    open_example(page, "workshops-per-year")
    text = page.evaluate("document.getElementById('query-text').value")
    page.locator(".yasqe_queryButton").click()
    page.wait_for_selector(".yasr table tbody tr")
    expected = sparql_rows(served, text)
    assert expected
    cells = page.locator(".yasr table tbody tr").all_inner_texts()
    assert len(cells) == len(expected)
    for row, shown in zip(expected, cells, strict=True):
        for value in row.values():
            assert value in shown
    visit.shot("query-run")
    visit.clean()


def test_a_shared_url_reproduces_the_query(visit, served):
    page = visit.open("/query")
    open_example(page, "workshops-by-region")
    shared = page.locator("#share").get_attribute("href")
    assert "workshops-by-region" not in shared and "query=" in shared
    again = Visit(visit.context.browser, served)
    try:
        other = again.open(shared)
        other.wait_for_selector(".yasr table tbody tr")
        shown = other.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
        original = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
        assert shown == original
        assert "targetRegion" in shown
        again.clean()
    finally:
        again.close()


def test_a_named_query_form_draws_its_chart_and_its_map(visit, served):
    page = visit.open("/queries/workshops-per-year")
    page.wait_for_selector("canvas#chart[data-drawn='true']")
    drawn = page.evaluate(
        "(() => { const c = document.getElementById('chart'); const x = c.getContext('2d');"
        " const d = x.getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; })()"
    )
    assert drawn > 1000
    visit.shot("chart")
    page = visit.open("/queries/workshops-by-host-country")
    bound = page.locator("details pre code").text_content()
    hosts = {r["country"] for r in sparql_rows(served, bound)}
    assert hosts
    assert page.locator("svg[data-map] path.on").count() == len(hosts)
    # A typed parameter: the country select narrows the answer to one host.
    page.select_option("#p-country", "CM")
    page.click("form.parameters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "country=CM" in page.url
    assert page.locator("table.results tbody tr").count() == 1
    assert page.locator("svg[data-map] path.on").count() == 1
    visit.shot("map")
    visit.clean()


def test_the_validation_page_shows_chm_w001_under_line_36_of_the_toolkits(visit):
    page = visit.open("/validate?pick=seed#toolkits.ttl-L36")
    line = page.locator("li[id='toolkits.ttl-L36']")
    assert "CHM-W001" in line.inner_text()
    assert "<toolkit/chm-toolkit>" in line.locator("code").first.inner_text()
    # The rule's documentation is one click away.
    line.locator("a.code").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/rules#CHM-W001")
    assert page.locator("[id='CHM-W001']").is_visible()
    page.go_back()
    page.wait_for_load_state("networkidle")
    # The severity filter hides the warnings.
    page.uncheck("input[data-filter='Warning']")
    assert not page.locator(".finding[data-severity='Warning']").first.is_visible()
    visit.shot("validation-line-36")
    visit.clean()


def test_a_file_dropped_onto_the_upload_form_is_the_one_validated(visit):
    page = visit.open("/validate")
    # A drop as the browser makes one: a DataTransfer holding a File, dispatched on the form.
    dropped = page.evaluate_handle(
        """text => { const d = new DataTransfer();
                     d.items.add(new File([text], "dropped.ttl", {type: "text/turtle"}));
                     return d; }""",
        EXAMPLE.read_text().replace('chm:launchDate "2012"^^xsd:gYear', 'chm:launchDate "soon"'),
    )
    page.dispatch_event("form.upload", "dragover", {"dataTransfer": dropped})
    assert "dragging" in (page.get_attribute("form.upload", "class") or "")
    page.dispatch_event("form.upload", "drop", {"dataTransfer": dropped})
    assert page.locator("#dropped").inner_text() == "dropped.ttl"
    assert page.evaluate("document.getElementById('file').files[0].name") == "dropped.ttl"
    page.fill("#country", "CM")
    page.click("form.upload button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "dropped.ttl" in page.locator(".report").inner_text()
    assert page.locator(".finding[data-severity='Violation']").count() >= 1
    visit.shot("validation-dropped")
    visit.clean()


def test_an_uploaded_file_is_validated_in_the_readers_language(browser, served, tmp_path):
    broken = tmp_path / "cm.ttl"
    broken.write_text(
        EXAMPLE.read_text().replace('chm:launchDate "2012"^^xsd:gYear', 'chm:launchDate "soon"')
    )
    opened = Visit(browser, served)
    try:
        page = opened.open("/validate?lang=fr")
        page.set_input_files("#file", str(broken))
        page.fill("#country", "CM")
        page.click("form.upload button[type=submit]")
        page.wait_for_load_state("networkidle")
        report = served.http.post(
            "/api/validate",
            params={"country": "CM", "lang": "fr", "name": "cm.ttl"},
            content=broken.read_bytes(),
            headers={"Content-Type": "text/turtle"},
        ).json()
        assert report["results"]
        assert page.locator("html").get_attribute("lang") == "fr"
        shown = page.locator(".finding .message").all_inner_texts()
        assert shown == [r["message"] for r in report["results"] if r["line"]]
        assert page.locator(".finding").first.locator(".severity").inner_text() in (
            "Violation",
            "Avertissement",
            "Information",
        )
        opened.shot("validation-upload-fr")
        opened.clean()
    finally:
        opened.close()


def test_a_steward_submits_with_a_token_and_sees_the_new_version(visit, served, tmp_path):
    before = served.http.get("/api/submissions/CM").json()
    page = visit.open("/steward")
    page.select_option("#s-country", "CM")
    page.fill("#s-token", served.cm)
    page.set_input_files("#s-file", str(EXAMPLE))
    page.fill("#s-message", "from the browser")
    page.click("#s-submit")
    page.wait_for_selector("#s-versions tbody tr")
    version = len(before) + 1
    assert str(version) in page.locator("#s-outcome").inner_text()
    first = page.locator("#s-versions tbody tr").first
    assert first.get_attribute("data-version") == str(version)
    assert "from the browser" in first.inner_text()
    after = served.http.get("/api/submissions/CM").json()
    assert after[-1]["version"] == version
    dashboard = visit.open("/dashboard")
    row = dashboard.locator("tr[data-country='CM']")
    assert row.locator("td").nth(3).inner_text() == str(version)
    visit.shot("steward-submitted")
    visit.clean()


def test_a_steward_sees_the_changes_between_versions_and_rolls_back(visit, served, tmp_path):
    edited = tmp_path / "cm.ttl"
    edited.write_text(EXAMPLE.read_text().replace('"2012"^^xsd:gYear', '"2013"^^xsd:gYear'))
    page = visit.open("/steward")
    page.fill("#s-token", served.cm)
    for source in (EXAMPLE, edited):
        page.set_input_files("#s-file", str(source))
        with page.expect_response(re.compile(r"/api/submissions/CM$")):
            page.click("#s-submit")
    versions = served.http.get("/api/submissions/CM").json()
    newest = versions[-1]["version"]
    latest = page.locator(f"#s-versions tbody tr[data-version='{newest}']")
    latest.locator("button").first.click()
    page.wait_for_selector("#s-diff:not([hidden])")
    shown = page.locator("#s-diff").inner_text()
    assert "+ <https://example.org/chmgraph/example/chm/CM>" in shown and '"2013"' in shown
    assert "- <https://example.org/chmgraph/example/chm/CM>" in shown and '"2012"' in shown
    previous = page.locator(f"#s-versions tbody tr[data-version='{newest - 1}']")
    with page.expect_response(re.compile(r"/api/submissions/CM$")):
        previous.locator("button", has_text=str(newest - 1)).last.click()
    page.wait_for_selector(f"#s-versions tbody tr[data-version='{newest + 1}']")
    after = served.http.get("/api/submissions/CM").json()
    assert after[-1]["version"] == newest + 1
    assert after[-1]["restored_from"] == newest - 1
    visit.shot("steward-rollback")
    visit.clean()


def test_a_wrong_token_submits_nothing(visit, served):
    before = served.http.get("/api/submissions/CM").json()
    page = visit.open("/steward")
    page.fill("#s-token", served.fr)
    page.set_input_files("#s-file", str(EXAMPLE))
    with page.expect_response(re.compile(r"/api/submissions/CM\?")) as answered:
        page.click("#s-submit")
    assert answered.value.status == 403
    page.wait_for_function("document.getElementById('s-outcome').textContent.length > 0")
    assert served.http.get("/api/submissions/CM").json() == before
    # The refusal itself is the page's only failed request.
    visit.failed = [f for f in visit.failed if "/api/submissions/CM?" not in f]
    visit.errors = [e for e in visit.errors if "403" not in e]
    visit.clean()


def test_a_hostile_label_is_shown_as_text(visit, served):
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    data = EXAMPLE.read_text().replace(
        '"Example national CHM (Cameroon)"@en', '"' + hostile.replace('"', '\\"') + '"@en'
    )
    answer = served.http.post(
        "/api/submissions/CM",
        content=data.encode(),
        headers={**served.bearer(served.cm), "Content-Type": "text/turtle"},
    )
    assert answer.status_code == 200, answer.text
    page = visit.open("/id/country/CM")
    assert hostile in page.locator("main").inner_text()
    assert page.locator("main img").count() == 0
    assert page.locator("main script").count() == 0
    visit.clean()


def test_no_critical_accessibility_findings(browser, served):
    opened = Visit(browser, served, bypass_csp=True)
    try:
        for name in (
            "home",
            "query",
            "named-query",
            "dashboard",
            "validation",
            "country",
            "steward",
        ):
            page = opened.open(PAGES[name])
            page.add_script_tag(path=str(AXE))
            found = page.evaluate(
                "axe.run(document, {resultTypes: ['violations']})"
                ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact})))"
            )
            critical = [v for v in found if v["impact"] == "critical"]
            assert critical == [], (name, critical)
    finally:
        opened.close()


def test_the_keyboard_reaches_the_content_and_the_library(visit):
    page = visit.open("/query")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.locator("details:has(button[data-example='workshops-by-region']) > summary").focus()
    page.keyboard.press("Enter")
    page.focus("button[data-example='workshops-by-region']")
    page.keyboard.press("Enter")
    value = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert "targetRegion" in value
    visit.clean()


def test_the_query_page_weighs_at_most_600_kb_gzipped(served):
    page = served.http.get("/query")
    assert page.status_code == 200
    parts = [page.content]
    # The editor's script and style are fetched by the page's script once it has loaded.
    for asset in re.findall(r'(?:src|href|data-script|data-style)="(/static/[^"]+)"', page.text):
        fetched = httpx.get(served.url + asset)
        assert fetched.status_code == 200, asset
        parts.append(fetched.content)
    gzipped = sum(len(gzip.compress(part, 9)) for part in parts)
    assert len(parts) >= 6
    assert gzipped <= 600 * 1024, gzipped


def test_the_query_form_works_before_the_editor_has_loaded(browser, served):
    opened = Visit(browser, served)
    try:
        page = opened.page
        # The editor's script, as if it had not arrived yet: the page's own form is the editor.
        page.route(
            "**/yasgui.min.js*",
            lambda route: route.fulfill(body="", content_type="text/javascript"),
        )
        page.goto(served.url + "/query", wait_until="load")
        assert page.get_attribute("#yasgui", "data-ready") is None
        open_example(page, "workshops-by-region")
        text = page.input_value("#query-text")
        assert "targetRegion" in text
        shared = urlparse(page.locator("#share").get_attribute("href"))
        assert shared.path == "/query" and parse_qs(shared.query)["query"] == [text]
        page.click("#query-form button[type=submit]")
        page.wait_for_load_state("load")
        assert urlparse(page.url).path == "/results"
        expected = sparql_rows(served, text)
        assert expected
        assert page.locator("table.results tbody tr").count() == len(expected)
        opened.clean()
    finally:
        opened.close()


def test_static_files_are_gzipped_and_kept_for_good_under_their_digest(served):
    page = served.http.get("/query")
    linked = re.findall(r'data-script="(/static/[^"]+)"', page.text)
    assert len(linked) == 1 and "?v=" in linked[0]
    versioned = served.url + linked[0]
    whole = (PROJECT_ROOT / "chmgraph/server/static/vendor/yasgui/yasgui.min.js").read_bytes()
    got = httpx.get(versioned, headers={"Accept-Encoding": "gzip"})
    assert got.status_code == 200
    assert got.headers["content-encoding"] == "gzip"
    assert got.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert got.content == whole  # decoded by httpx
    assert int(got.headers["content-length"]) < len(whole) / 2
    again = httpx.get(
        versioned, headers={"Accept-Encoding": "gzip", "If-None-Match": got.headers["etag"]}
    )
    assert again.status_code == 304
    # Without the current digest (an old page, a typed URL): the file, to be asked for again.
    for url in (versioned.split("?")[0], versioned.split("?")[0] + "?v=0"):
        plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200
        assert "content-encoding" not in plain.headers
        assert plain.headers["cache-control"] == "no-cache"
        assert plain.content == whole


def test_a_long_value_is_cut_on_the_page_and_whole_in_the_downloads(served):
    long = "-".join(["synthetic"] * 60)  # 599 characters
    query = f'SELECT ?long WHERE {{ BIND("{long}" AS ?long) }}'
    page = served.http.get("/results", params={"query": query, "lang": "en"})
    assert page.status_code == 200
    cells = re.findall(r"<td>(.*?)</td>", page.text)
    assert cells == [long[:300] + '<span class="cell-cut" title="599 characters in all">…</span>']
    assert "the downloads have them whole" in page.text
    download = served.http.get("/results", params={"query": query, "format": "csv"})
    assert download.text.splitlines() == ["long", long]
