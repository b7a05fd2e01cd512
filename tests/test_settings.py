"""Settings have documented defaults, and the environment overrides them."""

import re
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from chmgraph.cli import cli
from chmgraph.errors import EXIT_USAGE, InputError
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


def test_a_wait_of_zero_means_do_not_wait_but_a_negative_one_is_refused(monkeypatch):
    monkeypatch.setenv("CHMGRAPH_STORE_WAIT_S", "0")
    assert Settings.from_env().store_wait_s == 0
    monkeypatch.setenv("CHMGRAPH_STORE_WAIT_S", "-1")
    with pytest.raises(
        InputError, match=r"^CHMGRAPH_STORE_WAIT_S='-1': expected a number of seconds, 0 or more"
    ):
        Settings.from_env()


@pytest.mark.parametrize("variable", ["CHMGRAPH_STORE_AUTH", "CHMGRAPH_ENDPOINT_AUTH"])
def test_an_unknown_authentication_scheme_is_refused(monkeypatch, variable):
    # "Digest" would otherwise send the password by basic authentication, unasked.
    monkeypatch.setenv(variable, "Digest")
    with pytest.raises(InputError, match=rf"^{variable}='Digest': expected one of basic, digest"):
        Settings.from_env()
    monkeypatch.setenv(variable, "digest")
    assert "digest" in (Settings.from_env().store_auth, Settings.from_env().endpoint_auth)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CHMGRAPH_MAX_ROWS", "abc"),
        ("CHMGRAPH_MAX_ROWS", "-1"),
        ("CHMGRAPH_MAX_ROWS", "2.5"),
        ("CHMGRAPH_QUERY_TIMEOUT_S", "abc"),
        ("CHMGRAPH_QUERY_TIMEOUT_S", "-1"),
        ("CHMGRAPH_QUERY_TIMEOUT_S", "0"),
        ("CHMGRAPH_QUERY_TIMEOUT_S", "nan"),
    ],
)
def test_a_bad_number_is_one_line_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(InputError, match=rf"^{variable}='{re.escape(value)}': expected a positive"):
        Settings.from_env()
    result = CliRunner().invoke(cli, ["query", "-e", "ASK {}", "--store", "/nonexistent"])
    assert result.exit_code == EXIT_USAGE
    assert result.output.strip().splitlines() == [
        f"error: {variable}='{value}': expected a positive "
        + ("whole number" if "ROWS" in variable else "number of seconds")
        + f" (setting {variable.removeprefix('CHMGRAPH_').lower()}, see docs/settings.md)"
    ]
