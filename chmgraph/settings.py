"""Named settings with documented defaults.

Every limit and default chmgraph uses lives here, with its environment variable;
``docs/settings.md``
documents each one and a test fails when a setting is undocumented.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from chmgraph.errors import InputError
from chmgraph.resources import CHECKOUT_DIR, DATA_DIR, ONTOLOGY_DIR, QUERIES_DIR, SHAPES_DIR

# The folders are named here too, beside the other paths and defaults.
__all__ = [
    "DATA_DIR",
    "ONTOLOGY_DIR",
    "PROJECT_ROOT",
    "QUERIES_DIR",
    "SHAPES_DIR",
    "Settings",
    "default_store_path",
    "env_var",
]

# The checkout, for the tests, scripts and benchmarks that read its other files (docs, README);
# the package itself reads only the folders above, which an installed wheel carries.
PROJECT_ROOT = CHECKOUT_DIR


def default_store_path() -> Path | str:
    """``$CHMGRAPH_STORE``, else ``$XDG_DATA_HOME/chmgraph/store``, else ``~/.local/share/...``.

    A remote engine's location (``oxigraph+http://host:port``) is kept as given: a URL is not a
    path (``Path`` would fold its ``//``)."""
    if os.environ.get("CHMGRAPH_STORE"):
        return store_location(os.environ["CHMGRAPH_STORE"])
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "chmgraph" / "store"


def store_location(given: str | Path) -> Path | str:
    """A store's location as given on the command line or in the environment: a directory, or a
    remote engine's URL kept as text.

    >>> store_location("oxigraph+http://127.0.0.1:7878"), store_location("var/store")
    ('oxigraph+http://127.0.0.1:7878', PosixPath('var/store'))
    """
    text = str(given)
    return text if "://" in text else Path(text)


# How a remote engine's user and password are sent; empty: as its profile says.
_AUTH_SCHEMES = ("", "basic", "digest")


@dataclass(frozen=True)
class Settings:
    """chmgraph's settings; each field is documented in ``docs/settings.md``."""

    store_path: Path | str = field(
        default_factory=default_store_path, metadata={"env": "CHMGRAPH_STORE"}
    )
    # Credentials of a remote store (never printed: kept out of the settings' repr).
    store_token: str = field(default="", repr=False)
    store_user: str = field(default="", repr=False)
    store_password: str = field(default="", repr=False)
    store_auth: str = field(default="", metadata={"choices": _AUTH_SCHEMES})
    store_timeout_s: float = 60.0
    # How long a remote store's list of graphs is kept (its own writes drop it at once).
    store_graphs_ttl_s: float = field(default=5.0, metadata={"zero": True})
    # Credentials of the endpoint `chmgraph query --endpoint` reads (never printed either).
    endpoint_token: str = field(default="", repr=False)
    endpoint_user: str = field(default="", repr=False)
    endpoint_password: str = field(default="", repr=False)
    endpoint_auth: str = field(default="", metadata={"choices": _AUTH_SCHEMES})
    # How long a command waits for another process to release the store on disk; 0: not at all.
    store_wait_s: float = field(default=30.0, metadata={"zero": True})
    query_timeout_s: float = 30.0
    max_rows: int = 10_000
    # Library answers computed once per state of a store on disk and read from there.
    saved_answers: bool = True
    service_allowlist: tuple[str, ...] = ()
    # Blank nodes linked to one another in one input; their canonical labelling grows steeply.
    max_linked_blank_nodes: int = 128
    harvest_max_bytes: int = 512 * 1024 * 1024
    # The whole of one download (connection, headers, body), not one socket read.
    harvest_timeout_s: float = 60.0
    # Hosts a harvest may read from; empty: the host of the source named (a VoID's own host).
    harvest_allowed_hosts: tuple[str, ...] = ()
    harvest_max_redirects: int = field(default=5, metadata={"zero": True})
    harvest_parallel: int = 4
    # Where a deployment serves its dumps, and who publishes them under which licence (void.ttl).
    # No default URL: void.ttl's download links start with it, and a guessed one would send the
    # next harvester to files that are not there.
    dump_base_url: str = ""
    dump_license: str = "https://creativecommons.org/licenses/by/4.0/"
    dump_publisher: str = "https://w3id.org/chmgraph/id/org/network-operator"
    dump_publisher_name: str = "Operator of this chmgraph network"
    dump_contact_email: str = ""
    default_lang: str = "en"
    # The write credentials (chmgraph.credentials); empty: a file beside the store.
    credentials_path: str = ""
    # chmgraph serve: its dump directory (empty: beside the store), worker threads, limits.
    server_dump_dir: str = ""
    server_workers: int = 4
    server_max_concurrent_queries: int = 32
    server_max_abandoned_queries: int = field(default=4, metadata={"zero": True})
    server_dump_niceness: int = field(default=10, metadata={"zero": True})
    server_max_body_bytes: int = 64 * 1024 * 1024
    server_validate_max_bytes: int = 8 * 1024 * 1024
    server_rate_limit_per_minute: int = 600
    server_result_cache_entries: int = 512
    server_result_cache_answer_bytes: int = 1024 * 1024
    server_shutdown_timeout_s: float = 30.0
    server_header_timeout_s: float = 20.0
    server_body_timeout_s: float = 60.0
    # Bounds on what any RDF input may hold, checked before and right after parsing.
    max_input_bytes: int = 512 * 1024 * 1024
    max_literal_bytes: int = 4 * 1024 * 1024
    # Remote JSON-LD contexts are never fetched: URL=PATH pairs name the local copies to use.
    jsonld_contexts: tuple[str, ...] = ()
    jsonld_context_max_bytes: int = 1024 * 1024
    # JSON-LD API options (chmgraph.jsonld.JsonLdOptions): checked when a JSON-LD file is read.
    jsonld_processing_mode: str = "json-ld-1.1"
    jsonld_expand_context: str = ""
    jsonld_rdf_direction: str = ""

    def credentials_file(self) -> Path:
        """Where the write credentials live: ``credentials_path``, else beside the store."""
        return self._beside_store(self.credentials_path, ".credentials.json", "credentials_path")

    def server_dump_directory(self) -> Path:
        """Where ``chmgraph serve`` keeps the dump it serves: ``server_dump_dir``, else beside
        the store."""
        return self._beside_store(self.server_dump_dir, ".dump", "server_dump_dir")

    def _beside_store(self, given: str, suffix: str, setting: str) -> Path:
        if given:
            return Path(given)
        if not isinstance(self.store_path, Path):
            raise InputError(
                f"a remote store has no folder to keep files beside: set {setting} "
                f"({env_var(setting)})"
            )
        return self.store_path.with_name(self.store_path.name + suffix)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from ``CHMGRAPH_<NAME>`` environment variables, then ``overrides``.

        Raises ``InputError`` (exit 2) naming the variable when its value is not one the setting
        takes, rather than failing later with a traceback.
        """
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(env_var(f.name))
            if raw is None:
                continue
            values[f.name] = _parse(f.name, raw, f.type, zero=f.metadata.get("zero", False))
            choices = f.metadata.get("choices")
            if choices and raw not in choices:
                listed = ", ".join(c for c in choices if c)
                raise InputError(
                    f"{env_var(f.name)}={raw!r}: expected one of {listed} (setting {f.name}, "
                    "see docs/settings.md)"
                )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def env_var(name: str) -> str:
    """The environment variable of setting ``name``.

    >>> env_var("store_path"), env_var("max_rows")
    ('CHMGRAPH_STORE', 'CHMGRAPH_MAX_ROWS')
    """
    return _declared_variables().get(name) or "CHMGRAPH_" + name.upper()


@lru_cache(maxsize=1)
def _declared_variables() -> dict[str, str | None]:
    """The variables settings declare for themselves, gathered once: ``from_env`` asks for
    every setting's variable, and gathering them for each made reading settings a thousand
    field lookups (three times per file validated)."""
    return {f.name: f.metadata.get("env") for f in fields(Settings)}


def _parse(name: str, raw: str, type_: object, *, zero: bool = False) -> object:
    """The value of setting ``name`` from its variable's text. Numbers are limits (a timeout, a
    row cap, a size), so only positive ones mean something, and 0 only where ``zero`` says so."""
    text = str(type_)
    if "bool" in text:
        return _flag(name, raw)
    if "tuple" in text:
        return tuple(item for item in raw.split() if item)
    if "float" in text:
        return _number(name, raw, float, "number of seconds", zero)
    if "int" in text:
        return _number(name, raw, int, "whole number", zero)
    if "Path" in text:
        return store_location(raw)
    return raw


_FLAGS = {"1": True, "true": True, "yes": True, "on": True}
_FLAGS |= {"0": False, "false": False, "no": False, "off": False}


def _flag(name: str, raw: str) -> bool:
    value = _FLAGS.get(raw.strip().lower())
    if value is None:
        raise InputError(
            f"{env_var(name)}={raw!r}: expected 1 or 0 (true/false, yes/no, on/off) (setting "
            f"{name}, see docs/settings.md)"
        )
    return value


def _number(
    name: str, raw: str, kind: type[int] | type[float], noun: str, zero: bool
) -> int | float:
    try:
        value = kind(raw)
    except ValueError:
        value = None
    expected = f"a {noun}, 0 or more" if zero else f"a positive {noun}"
    # NaN (every comparison false) and infinity parse as floats but bound nothing.
    in_range = value is not None and (value >= 0 if zero else value > 0) and value < float("inf")
    if not in_range:
        raise InputError(
            f"{env_var(name)}={raw!r}: expected {expected} (setting {name}, see docs/settings.md)"
        )
    return value
