"""What each source answered at its last harvest, so the next one asks only what changed.

A small JSON file next to the store (``<store>.harvest.json``; in memory for an in-memory
store): per graph and URL the SHA-256 of the bytes harvested and the validators (``ETag``,
``Last-Modified``) the server sent; per VoID description harvested as a whole network, its own
validators and the graphs it listed, so that the graphs it stops listing are known.
"""

from __future__ import annotations

import json
from pathlib import Path

from chmgraph.errors import InputError
from chmgraph.harvest.download import Fetched
from chmgraph.publish.dump import write_atomic
from chmgraph.store import GraphStore


class HarvestState:
    """What each source answered at its last successful harvest (a JSON file, or memory)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, str]] = {}
        self.networks: dict[str, dict[str, object]] = {}
        if path is not None and path.is_file():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
                self.entries = saved["sources"]
                self.networks = saved.get("networks", {})
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"{path}: not a harvest state file ({exc}); remove it") from None

    @classmethod
    def beside(cls, store: GraphStore) -> HarvestState:
        """The state file next to ``store`` (in memory for an in-memory store)."""
        return cls.at(store.location)

    @classmethod
    def at(cls, location: Path | str) -> HarvestState:
        """The state file next to the store at ``location`` (a directory; in memory for an
        in-memory or remote store), read without opening the store."""
        text = str(location)
        if text == "memory" or "://" in text:
            return cls(None)
        path = Path(text)
        return cls(path.with_name(path.name + ".harvest.json"))

    def get(self, graph: str, url: str) -> dict[str, str]:
        return self.entries.get(f"{graph} {url}", {})

    def put(self, graph: str, url: str, fetched: Fetched, sha256: str) -> None:
        entry = {"sha256": sha256}
        if fetched.etag:
            entry["etag"] = fetched.etag
        if fetched.last_modified:
            entry["last_modified"] = fetched.last_modified
        self.entries[f"{graph} {url}"] = entry

    def forget(self, graph: str) -> None:
        """Forget every source of ``graph`` (it was withdrawn)."""
        for key in [k for k in self.entries if k.split(" ", 1)[0] == graph]:
            del self.entries[key]

    def network(self, void_url: str) -> dict[str, object]:
        """What the last whole-network harvest of ``void_url`` saw (empty: none yet)."""
        return self.networks.get(void_url, {})

    def put_network(
        self, void_url: str, fetched: Fetched | None, graphs: dict[str, str], complete: bool
    ) -> None:
        """Remember the graphs ``void_url`` listed (graph IRI -> dump URL) and, when every one
        of them was harvested (``complete``), its validators: the next run can then stop at a
        ``304``. After a failure the description is read again in full."""
        entry: dict[str, object] = {"graphs": dict(sorted(graphs.items())), "complete": complete}
        if complete and fetched is not None:
            entry.update(
                {
                    k: v
                    for k, v in (
                        ("etag", fetched.etag),
                        ("last_modified", fetched.last_modified),
                        ("sha256", fetched.sha256 if fetched.data is not None else None),
                    )
                    if v
                }
            )
            if fetched.data is None:  # a 304: the bytes are those of the last run
                previous = self.network(void_url).get("sha256")
                if previous:
                    entry["sha256"] = previous
        self.networks[void_url] = entry

    def save(self) -> None:
        if self.path is None:
            return
        saved = {"networks": self.networks, "sources": self.entries}
        text = json.dumps(saved, indent=1, sort_keys=True) + "\n"
        write_atomic(self.path, text.encode())
