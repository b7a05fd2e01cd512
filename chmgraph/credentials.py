"""Write credentials: one bearer token per country steward, and admin tokens for the Secretariat.

A token is shown once, when it is made; only its scrypt hash is kept. The credentials live in a
JSON file beside the store (the ``credentials_path`` setting), not in a graph of the store: every
named graph is part of a query's default graph and of the dumps, so a graph of hashes would be
one forgotten filter away from being served; and a file can be changed by ``chmgraph token``
while ``chmgraph serve`` holds the store's lock.

>>> import tempfile, pathlib
>>> book = WriteCredentials(pathlib.Path(tempfile.mkdtemp()) / "credentials.json")
>>> token = book.create("CM", note="CM steward")
>>> book.verify(token).country, book.verify("chm_0000_wrong") is None
('CM', True)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from chmgraph.errors import InputError

# scrypt's cost: about 15 ms and 16 MiB a check on a laptop (RFC 7914's interactive level).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_PREFIX = "chm_"


@dataclass(frozen=True)
class WriteCredential:
    """A stored credential: its public id, whose it is (a country, or None: an admin), a note."""

    id: str
    country: str | None
    note: str
    created: str
    salt: str
    hash: str

    @property
    def admin(self) -> bool:
        return self.country is None

    def may_write_national(self, country: str) -> bool:
        """Whether this credential may submit ``country``'s graph: only that country's own."""
        return self.country == country

    def describe(self) -> dict[str, object]:
        """What may be shown of it (never the hash or the salt)."""
        return {
            "id": self.id,
            "country": self.country or "admin",
            "note": self.note,
            "created": self.created,
        }


class WriteCredentials:
    """The credentials file: create, list, revoke and verify tokens."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        # Verified tokens by their SHA-256, so a request costs one scrypt per token per file
        # version rather than one per request.
        self._verified: dict[tuple[float, str], WriteCredential] = {}

    def create(self, country: str | None, *, note: str = "") -> str:
        """A new token for ``country`` (None: an admin token); returned once, stored hashed."""
        ident = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        token = f"{_PREFIX}{ident}_{secret}"
        salt = secrets.token_bytes(16)
        credential = WriteCredential(
            id=ident,
            country=country,
            note=note,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            salt=salt.hex(),
            hash=_hash(token, salt).hex(),
        )
        with self._lock:
            held = self._read()
            held[ident] = credential
            self._write(held)
        return token

    def list(self) -> list[WriteCredential]:
        return sorted(self._read().values(), key=lambda c: (c.country or "", c.created))

    def revoke(self, ident: str) -> WriteCredential:
        """Remove credential ``ident`` (the id ``list`` shows)."""
        with self._lock:
            held = self._read()
            if ident not in held:
                raise InputError(f"no credential {ident!r}; `chmgraph token list` lists them")
            gone = held.pop(ident)
            self._write(held)
        return gone

    def verify(self, token: str) -> WriteCredential | None:
        """The credential ``token`` proves, or None."""
        if not token.startswith(_PREFIX) or "_" not in token[len(_PREFIX) :]:
            return None
        key = (self._mtime(), hashlib.sha256(token.encode()).hexdigest())
        if key in self._verified:
            return self._verified[key]
        ident = token[len(_PREFIX) :].split("_", 1)[0]
        credential = self._read().get(ident)
        if credential is None:
            return None
        expected = bytes.fromhex(credential.hash)
        if not hmac.compare_digest(_hash(token, bytes.fromhex(credential.salt)), expected):
            return None
        self._verified[key] = credential
        return credential

    def _mtime(self) -> float:
        try:
            return self.path.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def _read(self) -> dict[str, WriteCredential]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {c["id"]: WriteCredential(**c) for c in data["credentials"]}

    def _write(self, held: dict[str, WriteCredential]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        body = json.dumps({"credentials": [asdict(c) for c in held.values()]}, indent=1)
        # Only the owner may read the hashes: they are cheap to test guesses against offline.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(body)
        os.replace(temporary, self.path)
        self._verified.clear()


def _hash(token: str, salt: bytes) -> bytes:
    return hashlib.scrypt(token.encode(), salt=salt, **_SCRYPT)


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header value, if it is one.

    >>> bearer("Bearer chm_ab_cd"), bearer("Basic xyz")
    ('chm_ab_cd', None)
    """
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
