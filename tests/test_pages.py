"""The web UI's pages over plain HTTP (a real ``chmgraph serve``): languages chosen by
``?lang=``, the cookie and Accept-Language with English as the fallback, the pages' security
headers, downloads of answers and reports, and the Linked Data formats beside the HTML."""

from __future__ import annotations

import json
import re

import pytest
from serving import Served

from chmgraph.server import i18n
from chmgraph.settings import DATA_DIR

EXAMPLE = DATA_DIR / "examples" / "national-chm-example.ttl"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served(tmp_path_factory.mktemp("pages"))
    yield server
    server.stop()


def lang_of(html: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', html)
    assert found, html[:200]
    return found.group(1), found.group(2)


def test_every_catalogue_has_every_key_of_the_english_one():
    english = json.loads((i18n.LOCALES / "en.json").read_text(encoding="utf-8"))
    for lang in i18n.LANGUAGES:
        entries = json.loads((i18n.LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
        assert set(entries) == set(english), lang
        for key, text in entries.items():
            assert sorted(re.findall(r"\{\w+\}", text)) == sorted(
                re.findall(r"\{\w+\}", english[key])
            ), (lang, key)


def test_the_language_comes_from_lang_then_the_cookie_then_accept_language(served):
    http = served.http
    assert lang_of(http.get("/", headers={"Accept-Language": "de, ru;q=0.5"}).text) == ("ru", "ltr")
    assert lang_of(http.get("/", headers={"Accept-Language": "de"}).text) == ("en", "ltr")
    chosen = http.get("/dashboard?lang=ar")
    assert lang_of(chosen.text) == ("ar", "rtl")
    assert "lang=ar" in chosen.headers["set-cookie"]
    again = http.get("/dashboard", headers={"Accept-Language": "zh", "Cookie": "lang=ar"})
    assert lang_of(again.text) == ("ar", "rtl")
    http.cookies.clear()
    assert lang_of(http.get("/?lang=xx", headers={"Accept-Language": "es"}).text)[0] == "es"


def test_pages_carry_a_policy_that_admits_the_server_only(served):
    answer = served.http.get("/query")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script>" not in answer.text.replace('<script type="application/json"', "")


def test_a_browse_page_is_html_for_browsers_and_turtle_for_others(served):
    html = served.http.get("/id/country/CM", headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "喀麦隆" in html.text and "الكاميرون" in html.text
    turtle = served.http.get("/id/country/CM")
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "skos:prefLabel" in turtle.text


def test_a_named_query_downloads_in_its_formats(served):
    csv = served.http.get("/queries/workshops-in-year", params={"year": "2013", "format": "csv"})
    assert csv.status_code == 200
    assert "attachment" in csv.headers["content-disposition"]
    assert len(csv.text.strip().splitlines()) == 1 + 3
    bad = served.http.get("/queries/workshops-in-year", params={"year": "soon"})
    assert bad.status_code == 400
    assert "soon" in bad.text
    assert served.http.get("/queries/no-such-query").status_code == 404


def test_the_validation_report_downloads_as_json_sarif_and_turtle(served):
    found = served.http.get("/validate", params={"pick": "seed", "format": "json"}).json()
    w001 = [r for r in found["results"] if r["code"] == "CHM-W001"]
    assert [(r["source"], r["line"]) for r in w001] == [("data/cbd/toolkits.ttl", 36)]
    sarif = served.http.get("/validate", params={"pick": "seed", "format": "sarif"}).json()
    assert sarif["version"] == "2.1.0"
    turtle = served.http.get("/validate", params={"pick": "seed", "format": "turtle"})
    assert "sh:ValidationReport" in turtle.text
    french = served.http.get("/validate", params={"pick": "seed", "format": "json", "lang": "fr"})
    assert french.json()["lang"] == "fr"
    assert served.http.get("/validate", params={"pick": "../etc"}).status_code == 400


def test_an_upload_past_the_limit_is_refused_with_a_4xx_not_a_traceback(served):
    limit = 8 * 1024 * 1024
    big = b"# " + b"x" * limit + b"\n"
    answer = served.http.post(
        "/validate", files={"file": ("big.ttl", big, "text/turtle")}, data={"country": "CM"}
    )
    assert answer.status_code == 413
    assert "limit" in answer.text and "Traceback" not in answer.text
    broken = served.http.post(
        "/validate",
        content=b"--x\r\nbroken",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert broken.status_code < 500
    assert "Traceback" not in broken.text


def test_a_hostile_query_text_is_escaped_in_the_page(served):
    hostile = "SELECT * WHERE { ?s ?p '</textarea><script>alert(1)</script>' }"
    page = served.http.get("/query", params={"query": hostile})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;/textarea&gt;&lt;script&gt;" in page.text
    answer = served.http.get("/results", params={"query": hostile})
    assert answer.status_code == 200
    assert "<script>alert(1)</script>" not in answer.text


def test_the_dashboard_shows_each_countrys_status_and_open_warnings_in_the_readers_language(
    served,
):
    # The example without the source of its statements: accepted with a warning (CHM-W001).
    unsourced = EXAMPLE.read_text(encoding="utf-8").replace(
        " ;\n    # Where these statements come from: the source record above.\n"
        "    dcterms:source <https://example.org/chmgraph/example/source/national-chm-CM> .",
        " .",
    )
    answer = served.http.post(
        "/api/submissions/CM",
        content=unsourced.encode("utf-8"),
        headers={"Content-Type": "text/turtle"} | served.bearer(served.cm),
    )
    assert answer.status_code in (200, 201), answer.text
    record = served.http.get("/api/submissions/CM").json()[-1]
    assert record["warnings"] >= 1
    served.http.cookies.clear()
    page = served.http.get("/dashboard?lang=fr").text
    served.http.cookies.clear()
    cells = {
        code: re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        for code, row in re.findall(r'<tr data-country="(\w\w)"[^>]*>(.*?)</tr>', page, re.S)
    }
    assert cells["CM"][-2:] == ["conforme", str(record["warnings"])]
    assert cells["FR"][-2:] == ["", ""]  # never submitted
    assert "Avertissements ouverts" in page
