"""The CHM network: the named graphs of one store, and what stewards and researchers do with them.

A ``Network`` holds the vocabulary (ontology graph), the reference data, the Secretariat's facts
(CBD graph), one graph per national CHM, the PROV-O records of the submissions that made them
(each archiving its version's statements, ``chmgraph.network.history``), the query library and
what the vocabulary entails from each graph (``chmgraph.entailment``). Every named graph is
current, so the network's default view is the union of them all. A steward's submission is
checked, then replaces the country's graph, its inferred graph and its record in one
transaction, or changes nothing.

The package's modules: ``build`` (the network's own graphs, demo networks), ``submission`` (the
gate and the conditional commit), ``history`` (versions and their records), ``catalogue`` (what
the network holds) and ``countries`` (the country directory).

>>> network = Network.in_memory()
>>> network.init()
>>> network.current_graphs()[:3] == [iris.ONTOLOGY_GRAPH, iris.REFERENCE_GRAPH, iris.CBD_GRAPH]
True
>>> len(network.query("workshops-by-supporter"))  # the Government of Japan's, by default
5
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from chmgraph import iris  # noqa: F401 (the module docstring's example uses it)
from chmgraph.errors import InputError, VersionConflict
from chmgraph.network import build, catalogue, countries, standing
from chmgraph.network.build import InitProgress
from chmgraph.network.catalogue import BASE_GRAPHS, GraphInfo, NetworkStatus, graph_kind
from chmgraph.network.history import (
    Upstream,
    VersionRecord,
    archived_triples,
    versions,
)
from chmgraph.network.submission import (
    CheckedSubmission,
    SubmissionResult,
    as_source,
    canonical,
    check_submission,
    commit,
    holds,
    store_context,
)
from chmgraph.query.library import NamedQuery
from chmgraph.query.results import QueryResult
from chmgraph.query.run import ProtocolDataset, run_query
from chmgraph.settings import DATA_DIR, Settings, default_store_path, store_location
from chmgraph.store import Credentials, GraphStore, OxigraphStore, open_store
from chmgraph.validation import Context

__all__ = [
    "BASE_GRAPHS",
    "CheckedSubmission",
    "GraphInfo",
    "Network",
    "NetworkStatus",
    "SubmissionResult",
    "Upstream",
    "VersionRecord",
    "check_submission",
    "graph_kind",
]

EXAMPLE_SUBMISSION = Path("examples") / "national-chm-example.ttl"
EXAMPLE_COUNTRY = "CM"

# How many times a submission is tried again when another writer made a version meanwhile.
_COMMIT_ATTEMPTS = 5


class Network:
    """The CHM network over a ``GraphStore``."""

    def __init__(self, store: GraphStore, *, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings
        # Version numbers need no lock: commits are conditional writes. Validations run one at
        # a time in a process (``chmgraph.validation.validate`` serializes them).

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        create: bool = False,
        read_only: bool = False,
        settings: Settings | None = None,
    ) -> Network:
        """The network in the store at ``path`` (a directory, or a remote engine's URL such as
        ``oxigraph+http://host:port``), else ``$CHMGRAPH_STORE``, else the default location
        (``chmgraph.settings.default_store_path``). A store another process holds is waited for
        up to the ``store_wait_s`` setting."""
        where = store_location(path) if path else default_store_path()
        chosen = settings or Settings.from_env()
        credentials = Credentials(
            token=chosen.store_token or None,
            user=chosen.store_user or None,
            password=chosen.store_password or None,
            scheme=chosen.store_auth,
        )
        store = open_store(
            where,
            create=create,
            read_only=read_only,
            wait_s=chosen.store_wait_s,
            credentials=credentials,
            timeout_s=chosen.store_timeout_s,
            graphs_ttl_s=chosen.store_graphs_ttl_s,
        )
        return cls(store, settings=settings)

    @classmethod
    def in_memory(cls) -> Network:
        """A new, empty network in memory (for tests and examples)."""
        return cls(OxigraphStore(None))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Building the network

    def init(
        self,
        *,
        data_dir: Path | None = None,
        include_example: bool = False,
        progress: InitProgress | None = None,
        force: bool = False,
        synthetic: int | None = None,
        seed: int = 0,
    ) -> None:
        """Load the ontology, reference and CBD graphs from ``ontology/`` and ``data/``.

        National graphs, their history and the submissions graph are never touched: rebuilding
        with ``force`` replaces only the network's own graphs, so no accepted version is lost.
        Every file is parsed strictly before the store changes. The query library's description
        is loaded into the queries graph, and the inferred graph of every graph is recomputed
        (the ontology may have changed). With ``include_example`` the
        example submission is submitted as CM's first version (a no-op once it is there); with
        ``synthetic`` a synthetic network of about that many triples (``chmgraph.synth``, from
        ``seed``) fills the national graphs of countries that have none, for demos.
        """
        with self.store.one_change():
            build.build(self.store, data_dir=data_dir, progress=progress, force=force)
            if include_example:
                self.submit_example(data_dir)
            if synthetic:
                self.load_synthetic(synthetic, seed=seed, progress=progress)

    def submit_example(self, data_dir: Path | None = None) -> SubmissionResult:
        """Submit the example submission (``data/examples/``) as CM's, like a steward would."""
        return self.submit(
            (data_dir or DATA_DIR) / EXAMPLE_SUBMISSION,
            EXAMPLE_COUNTRY,
            by="chmgraph init",
            message="The example submission (example data, not real facts).",
        )

    def load_synthetic(
        self, triples: int, *, seed: int = 0, progress: InitProgress | None = None
    ) -> list[str]:
        """Fill the national graphs of countries without a version with a synthetic network of
        about ``triples`` triples (``chmgraph.synth``); returns the countries filled."""
        with self.store.one_change():
            return build.load_synthetic(self.store, triples, seed=seed, progress=progress)

    def load_national_graphs(
        self, path: Path, *, by: str, message: str, progress: InitProgress | None = None
    ) -> list[str]:
        """Bulk-load the national graphs of a TriG file as version 1 of each country that has
        none yet, without validation (``chmgraph.network.build.load_national_graphs``)."""
        with self.store.one_change():
            return build.load_national_graphs(
                self.store, path, by=by, message=message, progress=progress
            )

    # Submissions

    def submit(
        self,
        source: Path | str | bytes,
        country: str,
        *,
        by: str | None = None,
        message: str | None = None,
        name: str | None = None,
        format: str | ox.RdfFormat | None = None,
        sha256: str | None = None,
    ) -> SubmissionResult:
        """Check ``source`` (a path, or the bytes received, named ``name``) and, if it conforms,
        make it ``country``'s graph. ``sha256`` is that of the bytes as received when ``source``
        is what was made of them (a download unpacked, one graph taken out of a dataset).

        The national graph, its inferred graph and the version's PROV-O record (which archives
        the statements, with the SHA-256 of the bytes received) are written in one
        transaction, so a reader sees the new graph with its entailments or the old one with
        its own. A non-conforming submission changes nothing; identical content is a no-op.
        When another writer makes a version of the same graph meanwhile, the submission is
        compared and committed again on top of it; ``VersionConflict`` if that keeps happening.
        """
        code = self.country_code(country)
        received = as_source(source, name=name, format=format)
        checked = check_submission(received, code, self.store)
        return self.accept(checked, code, by=by, message=message, sha256=sha256)

    def accept(
        self,
        checked: CheckedSubmission,
        country: str,
        *,
        by: str | None = None,
        message: str | None = None,
        sha256: str | None = None,
        upstream: Upstream | None = None,
    ) -> SubmissionResult:
        """Commit a submission checked earlier (``check``) if it conforms, as ``submit`` does;
        ``upstream`` says where a harvested one came from (``chmgraph.network.history``)."""
        code = self.country_code(country)
        triples = self.store.as_stored(q.triple for q in checked.quads)
        if not checked.conforms:
            return SubmissionResult("rejected", code, None, len(triples), checked)
        digest = sha256 or checked.sha256
        for _ in range(_COMMIT_ATTEMPTS):
            past = versions(self.store, code)
            if past and (past[-1].sha256 == digest or holds(self.store, code, triples)):
                return SubmissionResult("unchanged", code, past[-1].number, len(triples), checked)
            number = commit(
                self.store,
                code,
                triples,
                past,
                digest=digest,
                by=by,
                message=message,
                validation=checked.summary,
                warnings=checked.warnings,
                upstream=upstream,
            )
            if number is not None:
                return SubmissionResult("accepted", code, number, len(triples), checked)
        raise _conflict(code)

    def withdraw(
        self,
        country: str,
        *,
        by: str | None = None,
        message: str | None = None,
        upstream: Upstream | None = None,
    ) -> SubmissionResult:
        """Empty ``country``'s graph as a new version (a graph its network withdrew): history
        keeps every earlier version, and ``diff`` shows what went. Unchanged when it is empty."""
        code = self.country_code(country)
        for _ in range(_COMMIT_ATTEMPTS):
            past = versions(self.store, code)
            if not past or holds(self.store, code, []):
                return SubmissionResult("unchanged", code, past[-1].number if past else None, 0)
            number = commit(
                self.store,
                code,
                [],
                past,
                digest=hashlib.sha256(b"").hexdigest(),
                by=by,
                message=message,
                validation="withdrawn: no statements",
                upstream=upstream,
            )
            if number is not None:
                return SubmissionResult("accepted", code, number, 0)
        raise _conflict(code)

    def check(
        self,
        source: Path | str | bytes,
        country: str,
        *,
        name: str | None = None,
        format: str | ox.RdfFormat | None = None,
        context: Context | None = None,
    ) -> CheckedSubmission:
        """Check ``source`` as ``submit`` would, against this network (or ``context``, read
        earlier by ``validation_context``), and store nothing."""
        code = self.country_code(country)
        received = as_source(source, name=name, format=format)
        return check_submission(received, code, self.store, context=context)

    def validation_context(self) -> Context:
        """What submissions are checked against (vocabulary, reference data, the CBD's facts),
        read now: checking against it later needs no access to the store."""
        return store_context(self.store)

    def history(self, country: str) -> list[VersionRecord]:
        """Every accepted version of ``country``'s graph, oldest first."""
        return versions(self.store, self.country_code(country))

    def version_triples(self, country: str, version: int) -> list[ox.Triple]:
        """The triples of accepted version ``version`` (0: the empty graph before the first)."""
        code = self.country_code(country)
        known = versions(self.store, code)
        if version == 0:
            return []
        if not any(v.number == version for v in known):
            have = f"versions 1 to {known[-1].number}" if known else "no versions yet"
            raise InputError(f"{code} has {have}; there is no version {version}")
        return archived_triples(self.store, code, version)

    def diff(self, country: str, v1: int, v2: int) -> tuple[list[ox.Triple], list[ox.Triple]]:
        """The triples version ``v2`` adds to version ``v1``, and those it removes; sorted."""
        old = canonical(self.version_triples(country, v1))
        new = canonical(self.version_triples(country, v2))
        return sorted(new - old, key=str), sorted(old - new, key=str)

    def rollback(
        self, country: str, to: int, *, by: str | None = None, message: str | None = None
    ) -> SubmissionResult:
        """Make version ``to`` current again, as a new version: history only grows."""
        code = self.country_code(country)
        triples = self.version_triples(code, to)
        for _ in range(_COMMIT_ATTEMPTS):
            past = versions(self.store, code)
            restored = next(v for v in past if v.number == to)
            if holds(self.store, code, triples):
                return SubmissionResult("unchanged", code, past[-1].number, len(triples))
            number = commit(
                self.store,
                code,
                triples,
                past,
                digest=restored.sha256,
                by=by,
                message=message,
                validation=restored.validation,
                warnings=restored.warnings,
                restored_from=to,
            )
            if number is not None:
                return SubmissionResult("accepted", code, number, len(triples))
        raise _conflict(code)

    # Reading the network

    def query(
        self,
        query: NamedQuery | str,
        *,
        params: dict[str, str] | None = None,
        graphs: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        entailment: bool = True,
        settings: Settings | None = None,
        protocol_dataset: ProtocolDataset | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Answer ``query`` (a library query or its name, or SPARQL text) over every current
        graph with what it entails, or over ``graphs``: the one query path, with the library's
        prefixes, parameters bound as RDF terms, the SERVICE allowlist, the timeout and the row
        cap of the settings (``chmgraph.query.run.run_query``, which says what
        ``protocol_dataset`` and ``base_iri`` do)."""
        return run_query(
            self,
            query,
            params=params,
            graphs=graphs,
            entailment=entailment,
            limit=limit,
            offset=offset,
            settings=settings or self.settings,
            protocol_dataset=protocol_dataset,
            base_iri=base_iri,
        )

    def current_graphs(self) -> list[str]:
        """The graphs the network asserts (``chmgraph.network.catalogue.current_graphs``)."""
        return catalogue.current_graphs(self.store)

    def graphs(self) -> list[GraphInfo]:
        """Every graph of the store with its kind, country, size, version and last change."""
        return catalogue.graph_infos(self.store)

    def status(self) -> NetworkStatus:
        """How many graphs, triples, workshops, countries and national graphs the network has."""
        return catalogue.status(self.store)

    def countries(self) -> dict[str, str]:
        """Alpha-2 code to English name of every country in the reference graph."""
        return countries.countries(self.store)

    def country_code(self, country: str) -> str:
        """``country`` as a code the reference data knows, or an error naming the closest one."""
        return countries.country_code(self.store, country)

    def standings(self, *, lang: str = "en") -> list[standing.CountryStanding]:
        """Every country with its national graph's current version, last change and validation
        summary (``chmgraph.network.standing``); labels in ``lang``."""
        return standing.standings(self.store, lang=lang)

    def country_directory(self, *, lang: str = "en") -> list[standing.CountryStanding]:
        """Every country with its codes, UN regional group and M49 region, labels in ``lang``."""
        return standing.directory(self.store, lang=lang)


def _conflict(code: str) -> VersionConflict:
    return VersionConflict(
        f"{code}'s graph kept changing while this was committed ({_COMMIT_ATTEMPTS} attempts); "
        "nothing was stored: submit again"
    )
