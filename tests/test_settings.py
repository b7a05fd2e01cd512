"""Settings have documented defaults, and the environment overrides them."""

from dataclasses import fields
from pathlib import Path

from chmgraph.settings import PROJECT_ROOT, Settings, default_store_path, env_var

SETTINGS_DOC = PROJECT_ROOT / "docs" / "settings.md"


def test_every_setting_is_documented_with_its_variable():
    doc = SETTINGS_DOC.read_text(encoding="utf-8")
    missing = [
        f.name
        for f in fields(Settings)
        if f"`{f.name}`" not in doc or f"`{env_var(f.name)}`" not in doc
    ]
    assert missing == [], f"settings not documented in docs/settings.md: {missing}"


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("CHMGRAPH_QUERY_TIMEOUT_S", "2.5")
    monkeypatch.setenv("CHMGRAPH_MAX_ROWS", "7")
    monkeypatch.setenv("CHMGRAPH_SERVICE_ALLOWLIST", "https://a.example/sparql https://b.example/q")
    settings = Settings.from_env()
    assert settings.query_timeout_s == 2.5
    assert settings.max_rows == 7
    assert settings.service_allowlist == ("https://a.example/sparql", "https://b.example/q")


def test_explicit_values_win_over_environment(monkeypatch):
    monkeypatch.setenv("CHMGRAPH_MAX_ROWS", "7")
    assert Settings.from_env(max_rows=3).max_rows == 3


def test_store_path_comes_from_environment_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("CHMGRAPH_STORE", str(tmp_path / "s"))
    assert default_store_path() == tmp_path / "s"
    monkeypatch.delenv("CHMGRAPH_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_path() == Path(tmp_path / "xdg" / "chmgraph" / "store")
