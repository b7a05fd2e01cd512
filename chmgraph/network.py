"""The CHM network: the named graphs of one store, and what stewards do with them.

A ``Network`` holds the vocabulary (ontology graph), the reference data, the Secretariat's facts
(CBD graph), one graph per national CHM, the PROV-O records of the submissions that made them
(each archiving its version's statements, ``chmgraph.history``), the query library and what the
vocabulary entails from each graph (``chmgraph.entailment``). Every named graph is current, so
the network's default view is the union of them all. A steward's submission is checked, then
replaces the country's graph, its inferred graph and its record in one transaction, or changes
nothing.

>>> network = Network.in_memory()
>>> network.current_graphs()[:3] == [iris.ONTOLOGY_GRAPH, iris.REFERENCE_GRAPH, iris.CBD_GRAPH]
True
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.entailment import (
    Rules,
    inferred_graph,
    is_inferred_graph,
    materialize,
    with_inferences,
)
from chmgraph.errors import ChmgraphError, InputError, StoreError
from chmgraph.history import (
    VersionRecord,
    activity_iri,
    archive,
    archived_triples,
    now,
    record_quads,
    versions,
)
from chmgraph.query.library import QueryLibrary
from chmgraph.rdfio import read_quads
from chmgraph.settings import DATA_DIR, ONTOLOGY_DIR, default_store_path
from chmgraph.store import GraphStore, OxigraphStore, QueryResult, open_store
from chmgraph.synth import SyntheticNetwork


@dataclass(frozen=True)
class CheckedSubmission:
    """A submission read and checked: its statements, whether it may be accepted, and why not."""

    quads: list[ox.Quad]
    conforms: bool
    summary: str
    problems: list[str] = field(default_factory=list)
    report: object | None = None

    def render(self) -> str:
        """What keeps the submission out, as text: the network's own findings, then the
        validation report when it has violations."""
        parts = [f"Violation: {problem}" for problem in self.problems]
        report = self.report
        if report is not None and not report.conforms:  # type: ignore[attr-defined]
            parts.append(report.render(format="text"))  # type: ignore[attr-defined]
        return "\n".join(parts)


# Called with (what is loading, amount done, total) while ``init`` loads files.
InitProgress = Callable[[str, int, int], None]

EXAMPLE_SUBMISSION = Path("examples") / "national-chm-example.ttl"
EXAMPLE_COUNTRY = "CM"

BASE_GRAPHS = {
    iris.ONTOLOGY_GRAPH: "ontology",
    iris.REFERENCE_GRAPH: "reference",
    iris.CBD_GRAPH: "cbd",
}
_MODIFIED = iris.PREFIXES["dcterms"] + "modified"

_COUNTRIES_QUERY = """
PREFIX chm: <https://w3id.org/chmgraph/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?country (SAMPLE(?label) AS ?name) WHERE {
  ?country a chm:Country .
  OPTIONAL { ?country rdfs:label|skos:prefLabel ?label FILTER(langMatches(lang(?label), "en")) }
} GROUP BY ?country
"""
_COUNTRY_NAMES_QUERY = """
PREFIX chm: <https://w3id.org/chmgraph/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?country ?name WHERE {
  ?country a chm:Country ; skos:notation|skos:prefLabel|skos:altLabel|rdfs:label ?name .
}
"""
_COUNT_WORKSHOPS = """
PREFIX chm: <https://w3id.org/chmgraph/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a/rdfs:subClassOf* chm:Workshop }
"""
_COUNT_COUNTRIES = """
PREFIX chm: <https://w3id.org/chmgraph/vocab#>
SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a chm:Country }
"""
_VERSION_TIMES = """
PREFIX chm: <https://w3id.org/chmgraph/vocab#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?graph ?number ?when WHERE {
  { ?version chm:ofGraph ?graph ; chm:versionNumber ?number ; prov:generatedAtTime ?when }
  UNION { ?graph dcterms:modified ?when }
}
"""


@dataclass(frozen=True)
class SubmissionResult:
    """What became of a submission (or a rollback)."""

    status: Literal["accepted", "unchanged", "rejected"]
    country: str
    version: int | None
    triples: int
    checked: CheckedSubmission | None = None

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @property
    def report(self) -> object | None:
        """The validation report, when the submission was validated."""
        return self.checked.report if self.checked else None


@dataclass(frozen=True)
class GraphInfo:
    """One named graph of the store."""

    iri: str
    kind: str
    country: str | None
    triples: int
    version: int | None
    modified: datetime | None


@dataclass(frozen=True)
class NetworkStatus:
    """A summary of what the network holds."""

    location: str
    graphs: int
    triples: int
    workshops: int
    countries: int
    national_graphs: int
    graph_list: list[GraphInfo] = field(default_factory=list)


class Network:
    """The CHM network over a ``GraphStore``."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        # The store's lock keeps other processes out; this one serializes the writers of this
        # process (an HTTP server's threads), so that no version number is given twice, and
        # validation runs one at a time (rdflib's SPARQL parser is not thread-safe).
        self._writing = threading.Lock()

    @classmethod
    def open(
        cls, path: Path | str | None = None, *, create: bool = False, read_only: bool = False
    ) -> Network:
        """The network in the store at ``path``, else ``$CHMGRAPH_STORE``, else the default
        location (``chmgraph.settings.default_store_path``)."""
        where = Path(path) if path else default_store_path()
        return cls(open_store(where, create=create, read_only=read_only))

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
        data_dir = data_dir or DATA_DIR
        present = [g for g in BASE_GRAPHS if g in self.store.graphs()]
        if present and not force:
            raise ChmgraphError(
                f"store at {self.store.location} is already built; use --force to reload the "
                "ontology, reference and CBD graphs (national graphs and history are kept)"
            )
        sources = {
            iris.ONTOLOGY_GRAPH: sorted(ONTOLOGY_DIR.glob("*.ttl")),
            iris.REFERENCE_GRAPH: sorted((data_dir / "reference").glob("*.ttl")),
            iris.CBD_GRAPH: sorted((data_dir / "cbd").glob("*.ttl")),
        }
        loaded = {g: _read_graph(files, g, progress) for g, files in sources.items()}
        loaded[iris.QUERIES_GRAPH] = _query_library()
        self.store.update("".join(f"DROP SILENT GRAPH <{g}> ;\n" for g in loaded) + _stamp(loaded))
        for graph, quads in loaded.items():
            if progress:
                progress(f"loading {graph_kind(graph)[0]} graph", 0, len(quads))
            self.store.bulk_load(quads)
        if progress:
            progress("materializing entailments", 0, 1)
        materialize(self)
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
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"synthetic-{triples}-seed{seed}.trig"
            if progress:
                progress("generating the synthetic network", 0, 1)
            SyntheticNetwork(target_triples=triples, seed=seed).write_file(path)
            return self.load_national_graphs(
                path,
                by="chmgraph init",
                message=f"Synthetic data (chmgraph.synth, seed {seed}): not real facts.",
                progress=progress,
            )

    def load_national_graphs(
        self, path: Path, *, by: str, message: str, progress: InitProgress | None = None
    ) -> list[str]:
        """Bulk-load the national graphs of a TriG file (a synthetic network for demos) as
        version 1 of each country that has no version yet; returns the countries loaded.

        This is the bulk path for building a demo network: the graphs are parsed strictly but
        not validated (the history says so), and countries that already have versions are left
        as they are. Each country's graph, inferred graph and record are loaded together.
        """
        digest = hashlib.sha256(_read_bytes(path)).hexdigest()
        if progress:
            progress(f"reading {path.name}", 0, 1)
        by_country: dict[str, list[ox.Triple]] = {}
        for quad in read_quads(path):
            code = iris.country_of_graph(getattr(quad.graph_name, "value", ""))
            if code is None:
                raise InputError(f"{path}: {quad.graph_name} is not a national graph")
            by_country.setdefault(code, []).append(quad.triple)
        with self._writing:
            loaded = [code for code in sorted(by_country) if not versions(self.store, code)]
            rules = Rules.of(self.store)
            when = now()
            for done, code in enumerate(loaded):
                if progress:
                    progress(f"loading national graph {code}", done, len(loaded))
                triples = by_country[code]
                record = record_quads(
                    country=code,
                    number=1,
                    triples=len(triples),
                    sha256=digest,
                    when=when,
                    by=by,
                    message=message,
                    validation="not validated",
                    content=archive(triples),
                )
                national = list(_in_graph(iris.national_graph(code), triples))
                self.store.bulk_load(with_inferences(rules, [*national, *record]))
        return loaded

    # Submissions

    def submit(
        self,
        path: Path | str,
        country: str,
        *,
        by: str | None = None,
        message: str | None = None,
    ) -> SubmissionResult:
        """Check the file at ``path`` and, if it conforms, make it ``country``'s graph.

        The national graph, its inferred graph and the version's PROV-O record (which archives
        the statements) are written in one transaction, so a reader sees the new graph with its
        entailments or the old one with its own. A non-conforming file changes nothing;
        identical content is a no-op.
        """
        code = self.country_code(country)
        path = Path(path)
        with self._writing:
            digest = hashlib.sha256(_read_bytes(path)).hexdigest()
            checked = check_submission(path, code)
            triples = _as_stored(checked.quads)
            if not checked.conforms:
                return SubmissionResult("rejected", code, None, len(triples), checked)
            past = versions(self.store, code)
            if past and (past[-1].sha256 == digest or self._holds(code, triples)):
                return SubmissionResult("unchanged", code, past[-1].number, len(triples), checked)
            number = _commit(
                self.store,
                code,
                triples,
                past,
                digest=digest,
                by=by,
                message=message,
                validation=checked.summary,
            )
        return SubmissionResult("accepted", code, number, len(triples), checked)

    def record_source(self, country: str, version: int, source: str) -> None:
        """Say in version ``version``'s PROV-O record that it was harvested from ``source`` (an
        IRI): ``prov:used`` on its activity, ``dcterms:source`` on the version.

        Used by ``chmgraph.harvest`` right after ``submit`` accepts a harvested version (whose
        message names the source too, so a crash in between loses no provenance).
        """
        code = self.country_code(country)
        used = ox.NamedNode(source)
        graph = ox.NamedNode(iris.SUBMISSIONS_GRAPH)
        activity = ox.NamedNode(activity_iri(code, version))
        version_node = ox.NamedNode(iris.graph_version(code, version))
        prov_used = ox.NamedNode(iris.PREFIXES["prov"] + "used")
        dcterms_source = ox.NamedNode(iris.PREFIXES["dcterms"] + "source")
        quads = [
            ox.Quad(activity, prov_used, used, graph),
            ox.Quad(version_node, dcterms_source, used, graph),
        ]
        self.store.add(with_inferences(Rules.of(self.store), quads))

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
        old = _canonical(self.version_triples(country, v1))
        new = _canonical(self.version_triples(country, v2))
        return sorted(new - old, key=str), sorted(old - new, key=str)

    def rollback(
        self, country: str, to: int, *, by: str | None = None, message: str | None = None
    ) -> SubmissionResult:
        """Make version ``to`` current again, as a new version: history only grows."""
        code = self.country_code(country)
        triples = self.version_triples(code, to)
        with self._writing:
            past = versions(self.store, code)
            restored = next(v for v in past if v.number == to)
            if self._holds(code, triples):
                return SubmissionResult("unchanged", code, past[-1].number, len(triples))
            number = _commit(
                self.store,
                code,
                triples,
                past,
                digest=restored.sha256,
                by=by,
                message=message,
                validation=restored.validation,
                restored_from=to,
            )
        return SubmissionResult("accepted", code, number, len(triples))

    # Reading the network

    def current_graphs(self) -> list[str]:
        """The graphs the network asserts: ontology, reference, CBD, every national graph, the
        submissions graph and any other graph of the store (the query library), in that order;
        not the inferred graphs derived from them."""
        present = [g for g in self.store.graphs() if not is_inferred_graph(g)]
        national = [g for g in present if iris.country_of_graph(g)]
        fixed = {*BASE_GRAPHS, iris.SUBMISSIONS_GRAPH, *national}
        others = [g for g in present if g not in fixed]
        return [*BASE_GRAPHS, *national, iris.SUBMISSIONS_GRAPH, *others]

    def query(
        self, sparql: str, *, substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None
    ) -> QueryResult:
        """Run a SPARQL query over every graph of the network merged, with what they entail
        (``GRAPH`` reaches each one)."""
        return self.store.query(sparql, union=True, substitutions=substitutions)

    def graphs(self) -> list[GraphInfo]:
        """Every graph of the store with its kind, country, size, version and last change (an
        inferred graph: its source's version and last change)."""
        stamps = self._stamps()
        infos = []
        for iri in self.store.graphs():
            kind, country, _ = graph_kind(iri)
            source = iris.GRAPH + iri[len(iris.INFERRED_GRAPH) + 1 :] if kind == "inferred" else iri
            version, modified = _last_change(graph_kind(source)[0], source, country, stamps)
            infos.append(GraphInfo(iri, kind, country, self.store.count(iri), version, modified))
        return infos

    def status(self) -> NetworkStatus:
        """How many graphs, triples, workshops, countries and national graphs the network has."""
        graph_list = self.graphs()
        return NetworkStatus(
            location=self.store.location,
            graphs=len(graph_list),
            triples=self.store.count(),
            workshops=self._count(_COUNT_WORKSHOPS),
            countries=self._count(_COUNT_COUNTRIES),
            national_graphs=sum(1 for g in graph_list if g.kind == "national"),
            graph_list=graph_list,
        )

    def countries(self) -> dict[str, str]:
        """Alpha-2 code to English name of every country in the reference graph."""
        prefix = iris.ID + "country/"
        found = {}
        for row in self.store.query(_COUNTRIES_QUERY, default_graph=[iris.REFERENCE_GRAPH]):
            iri = row["country"].value
            if iri.startswith(prefix):
                name = row["name"]
                found[iri[len(prefix) :]] = name.value if name is not None else ""
        return found

    def country_code(self, country: str) -> str:
        """``country`` as a code the reference data knows, or an error naming the closest one."""
        code = country.strip().upper()
        known = self.countries()
        if code in known:
            return code
        if not known:
            raise StoreError(
                f"store at {self.store.location} has no reference countries; "
                "run `chmgraph init` first"
            )
        raise InputError(f"unknown country code {country!r}{self._suggestion(country, known)}")

    def _suggestion(self, given: str, known: Mapping[str, str]) -> str:
        """``; did you mean CM (Cameroon)?``: the code whose codes or names are closest."""
        prefix = iris.ID + "country/"
        names: dict[str, str] = {}
        for row in self.store.query(_COUNTRY_NAMES_QUERY, default_graph=[iris.REFERENCE_GRAPH]):
            code = row["country"].value.removeprefix(prefix)
            names.setdefault(row["name"].value.casefold(), code)
        for code in known:
            names.setdefault(code.casefold(), code)
        match = difflib.get_close_matches(given.strip().casefold(), list(names), n=1, cutoff=0.5)
        if not match:
            return ""
        code = names[match[0]]
        return (
            f"; did you mean {code} ({known[code]})?"
            if known.get(code)
            else f"; did you mean {code}?"
        )

    def _holds(self, code: str, triples: Sequence[ox.Triple]) -> bool:
        graph = iris.national_graph(code)
        if self.store.count(graph) != len(triples):
            return False
        current = [q.triple for q in self.store.quads(graph)]
        return _canonical(current) == _canonical(triples)

    def _count(self, sparql: str) -> int:
        rows = list(self.query(sparql))
        return int(rows[0]["n"].value) if rows else 0

    def _stamps(self) -> dict[tuple[str, str], tuple[int | None, datetime]]:
        stamps: dict[tuple[str, str], tuple[int | None, datetime]] = {}
        for row in self.store.query(_VERSION_TIMES, default_graph=[iris.SUBMISSIONS_GRAPH]):
            graph, when = row["graph"].value, datetime.fromisoformat(row["when"].value)
            if row["number"] is None:
                stamps[("graph", graph)] = (None, when)
                continue
            number, country = int(row["number"].value), iris.country_of_graph(graph)
            latest = stamps.get(("latest", country or ""))
            if country and (latest is None or (latest[0] or 0) < number):
                stamps[("latest", country)] = (number, when)
        return stamps


def _last_change(
    kind: str,
    graph: str,
    country: str | None,
    stamps: Mapping[tuple[str, str], tuple[int | None, datetime]],
) -> tuple[int | None, datetime | None]:
    """A graph's current version number (national graphs) and when it last changed."""
    if kind == "national" and country:
        return stamps.get(("latest", country), (None, None))
    if kind == "submissions":
        return None, max((when for _, when in stamps.values()), default=None)
    return None, stamps.get(("graph", graph), (None, None))[1]


def graph_kind(iri: str) -> tuple[str, str | None, int | None]:
    """What a graph is: (kind, country, version); an inferred graph has its source's country.

    >>> graph_kind(iris.CBD_GRAPH)
    ('cbd', None, None)
    >>> graph_kind(inferred_graph(iris.national_graph("CM")))
    ('inferred', 'CM', None)
    """
    if iri in BASE_GRAPHS:
        return BASE_GRAPHS[iri], None, None
    country = iris.country_of_graph(iri)
    if country:
        return "national", country, None
    if is_inferred_graph(iri):
        source = iris.GRAPH + iri[len(iris.INFERRED_GRAPH) + 1 :]
        return "inferred", iris.country_of_graph(source), None
    others = {iris.SUBMISSIONS_GRAPH: "submissions", iris.QUERIES_GRAPH: "queries"}
    return others.get(iri, "other"), None, None


def check_submission(path: Path, country: str) -> CheckedSubmission:
    """Read and validate a national submission for ``country``: the gate before the store.

    Syntax errors raise ``SyntaxGateError``; anything else that keeps the file out of the network
    is in the result (``conforms`` False, with the report and the problems found).
    """
    quads, report, conforms, summary = _validate(path, country)
    problems = _national_problems(quads, country)
    return CheckedSubmission(quads, conforms and not problems, summary, problems, report)


def _validate(path: Path, country: str) -> tuple[list[ox.Quad], object | None, bool, str]:
    validate = _validation_entry_point()
    if validate is None:
        # Validation is not in this tree yet: the syntax gate is the whole check.
        return read_quads(path), None, True, "syntax checked"
    report = validate([path], country=country)
    return list(report.data_quads), report, bool(report.conforms), report.summary()


def _validation_entry_point() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("chmgraph.validation")
    except ModuleNotFoundError as exc:
        if exc.name != "chmgraph.validation":
            raise
        return None
    return getattr(module, "validate", None)


def _national_problems(quads: Sequence[ox.Quad], country: str) -> list[str]:
    """The network's own rules: one graph, describing this country's national CHM."""
    problems = []
    if any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads):
        problems.append("a national submission is one graph: the file has named graphs")
    rdf_type = ox.NamedNode(iris.PREFIXES["rdf"] + "type")
    national = ox.NamedNode(iris.vocab("NationalCHM"))
    has_country = ox.NamedNode(iris.vocab("country"))
    chms = {q.subject for q in quads if q.predicate == rdf_type and q.object == national}
    stated = {q.object for q in quads if q.predicate == has_country and q.subject in chms}
    expected = ox.NamedNode(iris.country(country))
    if not chms:
        problems.append(f"the submission describes no chm:NationalCHM for {country}")
    for other in sorted(stated - {expected}, key=str):
        problems.append(f"the submission's national CHM is for {other}, not {expected} ({country})")
    if chms and not stated - {expected} and expected not in stated:
        problems.append(f"no chm:NationalCHM of the submission has chm:country {expected}")
    return problems


def _commit(
    store: GraphStore,
    code: str,
    triples: Sequence[ox.Triple],
    past: Sequence[VersionRecord],
    *,
    digest: str,
    by: str | None,
    message: str | None,
    validation: str | None,
    restored_from: int | None = None,
) -> int:
    """Make ``triples`` the national graph, with their entailments and the version's record
    (archiving them), in one SPARQL update: one transaction."""
    number = (past[-1].number if past else 0) + 1
    record = record_quads(
        country=code,
        number=number,
        triples=len(triples),
        sha256=digest,
        when=now(),
        by=by,
        message=message,
        validation=validation,
        content=archive(triples),
        restored_from=restored_from,
    )
    rules = Rules.of(store)
    graph = iris.national_graph(code)
    contents = {graph: triples, inferred_graph(graph): rules.inferred(graph, triples)}
    store.replace_graphs(contents, add=with_inferences(rules, record))
    return number


def _query_library() -> list[ox.Quad]:
    graph = ox.NamedNode(iris.QUERIES_GRAPH)
    return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in QueryLibrary.load().triples()]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from None


def _read_graph(files: Iterable[Path], graph: str, progress: InitProgress | None) -> list[ox.Quad]:
    files = list(files)
    quads: list[ox.Quad] = []
    for done, path in enumerate(files):
        if progress:
            progress(f"reading {path.name}", done, len(files))
        quads += read_quads(path, default_graph=ox.NamedNode(graph))
    return quads


def _stamp(graphs: Iterable[str]) -> str:
    when = now().isoformat()
    deletes = "".join(
        f"DELETE WHERE {{ GRAPH <{iris.SUBMISSIONS_GRAPH}> {{ <{g}> <{_MODIFIED}> ?t }} }} ;\n"
        for g in graphs
    )
    stamps = "".join(
        f'<{g}> <{_MODIFIED}> "{when}"^^<{iris.PREFIXES["xsd"]}dateTime> .\n' for g in graphs
    )
    return deletes + f"INSERT DATA {{ GRAPH <{iris.SUBMISSIONS_GRAPH}> {{\n{stamps}}} }}"


def _in_graph(graph: str, triples: Iterable[ox.Triple]) -> Iterator[ox.Quad]:
    name = ox.NamedNode(graph)
    return (ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)


def _as_stored(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The statements as the store will hold them, without duplicates.

    Oxigraph keeps literals of the XSD numeric, boolean and date/time types in canonical form
    ("016"^^xsd:int is stored as "16"^^xsd:integer), so a submission is compared with stored
    versions, and counted, in that form.
    """
    store = ox.Store()
    store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    return [q.triple for q in store]


def _canonical(triples: Iterable[ox.Triple]) -> frozenset[ox.Triple]:
    """The triples with blank nodes relabelled canonically (RDFC-1.0), so equal graphs compare
    equal whatever labels their blank nodes had."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return frozenset(q.triple for q in dataset)
