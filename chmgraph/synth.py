"""A synthetic CHM network: a deterministic, seeded workload shaped like the real network.

One national graph per country (196 by default, the number of Parties to the Convention), each
holding its national CHM (the real country, a website, the real toolkits it uses, partners),
its national events (workshops and meetings with dates, participant counts and host cities) and
the workshops its CHM attended. Everything generated lives under ``chmgraph.iris.SYNTHETIC``
and says it is synthetic in a ``dcterms:description``; only the countries and the toolkits are
the network's real IRIs.

The same seed, size and options give the same bytes: every random choice comes from a
``random.Random`` seeded with a string (hashed with SHA-512, so ``PYTHONHASHSEED`` does not
matter) and nothing depends on dict or set order. The TriG is written one graph at a time, so a
10M-triple network never holds more than one national graph in memory.

Which countries: the 193 members of the five UN regional groups plus ``EXTRA_COUNTRIES``, three
states that are not UN members (Cook Islands, Niue, State of Palestine), to reach 196. The reference
data has no list of Parties; this is a workload, not a statement about who is a Party. Their codes,
names and regions are read from ``data/reference/synthetic-network-countries.csv``, which
``scripts/build_reference.py`` extracts from the reference sources.

>>> net = SyntheticNetwork(target_triples=600, seed=1, countries=3)
>>> net.codes
('AD', 'AE', 'AF')
>>> import io
>>> summary = net.write(io.StringIO())
>>> summary.graphs, 500 < summary.triples < 700
(3, True)
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.errors import InputError
from chmgraph.rdfio import read_quads
from chmgraph.settings import DATA_DIR, ONTOLOGY_DIR

COUNTRIES_CSV = DATA_DIR / "reference" / "synthetic-network-countries.csv"

# Not members of the UN regional groups; added so that the network has 196 national graphs.
EXTRA_COUNTRIES = ("CK", "NU", "PS")
PARTY_COUNT = 196

# Named sizes of the benchmarks (``--size``); a plain number of triples is accepted too.
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}

TOOLKITS = {
    "european-portal-toolkit": iris.ID + "toolkit/european-portal-toolkit",
    "chm-toolkit": iris.ID + "toolkit/chm-toolkit",
}
# M49 regions where the European Portal Toolkit is most used ("across Europe and Africa").
EPT_REGIONS = frozenset({"150", "002"})

# The kinds of violation ``--violations`` injects, in the order they are used, each breaking
# one rule of the shapes once.
VIOLATION_KINDS = (
    "end-before-start",
    "countries-exceed-participants",
    "unknown-property",
    "parallel-with-itself",
)

_FIRST_YEAR, _LAST_YEAR = 2000, 2025
# Triples an event adds on average (measured on generated graphs); used to scale event counts.
_TRIPLES_PER_EVENT = 11.3
# A national graph's triples besides its events: description, CHM, partners, cities.
_FIXED_TRIPLES = 30

# What every generated thing cites as its dcterms:source: the generator, not a real document.
SOURCE = "<source/chmgraph-synth>"

_PREFIXES = ("chm", "rdfs", "xsd", "dcterms", "schema")


@dataclass(frozen=True)
class Country:
    """A country of the synthetic network, from the reference CSV."""

    code: str
    name: str
    region: str


@dataclass(frozen=True)
class InjectedViolation:
    """One violation written on purpose: its kind, the graph and the thing it is about."""

    kind: str
    graph: str
    focus: str


@dataclass
class Summary:
    """What a synthetic network written to a file holds."""

    graphs: int = 0
    triples: int = 0
    violations: list[InjectedViolation] = field(default_factory=list)


def parse_size(text: str) -> int:
    """A number of triples from ``100k``, ``1m``, ``10m`` or a plain number.

    >>> parse_size("1m"), parse_size("2500")
    (1000000, 2500)
    """
    key = text.strip().lower()
    if key in SIZES:
        return SIZES[key]
    if key.isdigit() and int(key) > 0:
        return int(key)
    raise InputError(f"unknown size {text!r}: use {', '.join(SIZES)} or a number of triples")


def load_countries() -> list[Country]:
    """The 196 countries of the synthetic network, ordered by ISO alpha-2 code."""
    rows = _read_csv(COUNTRIES_CSV)
    chosen = [
        row
        for row in rows
        if row["UN regional groups"] or row["ISO3166-1-Alpha-2"] in EXTRA_COUNTRIES
    ]
    countries = sorted(
        (
            Country(row["ISO3166-1-Alpha-2"], row["CLDR display name"], row["Region Code"])
            for row in chosen
        ),
        key=lambda c: c.code,
    )
    if len(countries) != PARTY_COUNT:
        raise InputError(f"{COUNTRIES_CSV}: expected {PARTY_COUNT - 3} UN members")
    return countries


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    except OSError as exc:
        raise InputError(f"{path}: cannot read reference file: {exc.strerror or exc}") from None


class SyntheticNetwork:
    """A seeded synthetic network of ``target_triples`` (approximately) with ``violations``
    violations injected, over ``countries``: all 196, the first N by code (small test
    networks), or the given codes (e.g. ``["CM"]`` for one national submission). With
    ``with_network_data`` the file also holds the real ontology, reference and CBD graphs."""

    def __init__(
        self,
        *,
        target_triples: int,
        seed: int = 0,
        countries: int | Sequence[str] | None = None,
        violations: int = 0,
        with_network_data: bool = False,
    ) -> None:
        self.countries = _chosen(load_countries(), countries)
        self.with_network_data = with_network_data
        self.codes = tuple(c.code for c in self.countries)
        self.seed = seed
        self.target_triples = target_triples
        self.event_counts = self._event_counts()
        self.violation_plan = self._violation_plan(violations)

    def _event_counts(self) -> dict[str, int]:
        """Events per country: a log-normal spread scaled so the whole reaches the target."""
        weights = [
            random.Random(f"{self.seed}:weight:{c.code}").lognormvariate(0.0, 0.8)
            for c in self.countries
        ]
        budget = self.target_triples - _FIXED_TRIPLES * len(self.countries)
        events = max(budget, 0) / _TRIPLES_PER_EVENT
        total = sum(weights)
        return {
            c.code: max(1, round(events * w / total))
            for c, w in zip(self.countries, weights, strict=True)
        }

    def _violation_plan(self, count: int) -> dict[tuple[str, int], str]:
        """Which event of which country gets which kind of violation, at most one per event."""
        rng = random.Random(f"{self.seed}:violations")
        slots = [(code, i) for code in self.codes for i in range(self.event_counts[code])]
        if count > len(slots):
            raise InputError(f"cannot inject {count} violations into {len(slots)} events")
        picked = sorted(rng.sample(range(len(slots)), count))
        return {slots[s]: VIOLATION_KINDS[n % len(VIOLATION_KINDS)] for n, s in enumerate(picked)}

    def write(self, out: TextIO) -> Summary:
        """Write the network as TriG to ``out``, one graph at a time."""
        summary = Summary()
        out.write(_prefix_block())
        if self.with_network_data:
            for graph, directory in network_data_dirs().items():
                lines = _graph_of_files(graph, sorted(directory.glob("*.ttl")))
                out.write("\n".join(lines) + "\n")
                summary.triples += len(lines) - 2
        for country in self.countries:
            lines, triples, injected = self._national_graph(country)
            out.write("\n".join(lines))
            out.write("\n")
            summary.graphs += 1
            summary.triples += triples
            summary.violations += injected
        return summary

    def write_file(self, path: str | Path, *, submission: str | None = None) -> Summary:
        """Write the network (or the ``submission`` of one country) to ``path``, through a
        temporary file renamed when complete."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        try:
            with tmp.open("w", encoding="utf-8", newline="\n") as f:
                summary = self.write_submission(submission, f) if submission else self.write(f)
            tmp.replace(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        return summary

    def write_submission(self, code: str, out: TextIO) -> Summary:
        """Write one country's national graph as Turtle, the way a steward submits it.

        >>> import io
        >>> text = io.StringIO()
        >>> SyntheticNetwork(target_triples=200, countries=["CM"]).write_submission("CM", text)
        Summary(graphs=1, triples=..., violations=[])
        >>> "chm:NationalCHM" in text.getvalue() and "GRAPH" not in text.getvalue()
        True
        """
        [country] = [c for c in self.countries if c.code == code.upper()]
        lines, triples, injected = self._national_graph(country)
        out.write(_prefix_block())
        out.write("\n".join(line.removeprefix("  ") for line in lines[1:-1]))
        out.write("\n")
        return Summary(1, triples, injected)

    def _national_graph(self, country: Country) -> tuple[list[str], int, list[InjectedViolation]]:
        graph = _Graph(iris.national_graph(country.code))
        rng = random.Random(f"{self.seed}:graph:{country.code}")
        graph.add(
            f"<{graph.iri}>",
            "dcterms:description",
            _text(
                f"Synthetic national graph for {country.name}, generated by chmgraph synth "
                f"(seed {self.seed}) as a benchmark and test workload; not real data."
            ),
        )
        chm = _synthetic(f"chm/{country.code}")
        partners = self._partners(graph, country, rng)
        cities = self._cities(graph, country, rng, self.event_counts[country.code])
        self._national_chm(graph, country, rng, chm, partners)
        injected = []
        for n in range(self.event_counts[country.code]):
            kind = self.violation_plan.get((country.code, n))
            event = self._event(graph, country, rng, n, chm, partners, cities, kind)
            if kind:
                injected.append(InjectedViolation(kind, graph.iri, iris.SYNTHETIC + event[1:-1]))
        return graph.lines(), graph.triples, injected

    def _partners(self, graph: _Graph, country: Country, rng: random.Random) -> list[str]:
        partners = []
        for n in range(1, rng.randint(2, 8) + 1):
            org = _synthetic(f"org/{country.code}/{n}")
            label = f"Synthetic partner {n} of the CHM of {country.name}"
            graph.add_thing(org, "chm:Organization", label)
            partners.append(org)
        return partners

    def _cities(
        self, graph: _Graph, country: Country, rng: random.Random, events: int
    ) -> list[str]:
        cities = []
        for n in range(1, min(2 + events // 40, 40) + rng.randint(0, 2) + 1):
            city = _synthetic(f"place/{country.code}/{n}")
            graph.add_thing(city, "chm:City", f"Synthetic city {n} of {country.name}")
            graph.add(city, "chm:inCountry", f"<{iris.country(country.code)}>")
            cities.append(city)
        return cities

    def _national_chm(
        self,
        graph: _Graph,
        country: Country,
        rng: random.Random,
        chm: str,
        partners: list[str],
    ) -> None:
        graph.add_thing(chm, "chm:NationalCHM", f"Synthetic national CHM of {country.name}")
        graph.add(
            chm,
            "dcterms:description",
            _text("A synthetic national clearing-house mechanism, generated; not real data."),
        )
        graph.add(chm, "chm:country", f"<{iris.country(country.code)}>")
        graph.add(chm, "chm:website", _synthetic(f"site/{country.code.lower()}/"))
        for slug in _toolkits_used(country, rng):
            graph.add(chm, "chm:usesToolkit", f"<{TOOLKITS[slug]}>")
        launched = date(rng.randint(1998, 2020), rng.randint(1, 12), rng.randint(1, 28))
        graph.add(chm, "chm:launchDate", _date(launched))
        for org in partners:
            graph.add(chm, "chm:partner", org)

    def _event(
        self,
        graph: _Graph,
        country: Country,
        rng: random.Random,
        n: int,
        chm: str,
        partners: list[str],
        cities: list[str],
        violation: str | None,
    ) -> str:
        kind = rng.choices(("Workshop", "CapacityBuildingWorkshop", "Meeting"), (5, 2, 3))[0]
        # Recent years hold more events, as national CHMs multiplied.
        year = _FIRST_YEAR + int((_LAST_YEAR - _FIRST_YEAR + 1) * math.sqrt(rng.random()))
        start = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        end = start + timedelta(days=rng.choice((0, 1, 2, 2, 3, 4, 4, 4)))
        participants = max(4, round(rng.triangular(5, 120, 22)))
        represented = rng.choice((1, 1, 1, 1, 2, 3, 5))
        event = _synthetic(f"event/{country.code}/{year}-{n + 1:05d}")
        noun = "meeting" if kind == "Meeting" else "workshop"
        if violation == "end-before-start":
            end = start - timedelta(days=rng.randint(1, 30))
        elif violation == "countries-exceed-participants":
            represented = participants + rng.randint(1, 5)
        label = f"Synthetic national {noun} {n + 1} in {country.name}"
        graph.add_thing(event, f"chm:{kind}", label)
        graph.add(event, "schema:startDate", _date(start))
        graph.add(event, "schema:endDate", _date(end))
        graph.add(event, "chm:hostCity", rng.choice(cities))
        graph.add(event, "chm:hostCountry", f"<{iris.country(country.code)}>")
        graph.add(event, "chm:participantCount", _count(participants))
        graph.add(event, "chm:countriesRepresentedCount", _count(represented))
        graph.add(event, "chm:organizedBy", chm)
        if rng.random() < 0.6:
            graph.add(event, "chm:supportedBy", rng.choice(partners))
        if kind != "Meeting" and rng.random() < 0.8:
            graph.add(chm, "chm:attended", event)
        if n > 0 and rng.random() < 0.05:
            graph.add(event, "chm:heldInParallelWith", graph.last_event)
        if violation == "unknown-property":
            graph.add(event, "chm:startdate", _date(start))
        elif violation == "parallel-with-itself":
            graph.add(event, "chm:heldInParallelWith", event)
        graph.last_event = event
        return event


class _Graph:
    """The statements of one named graph, grouped by subject in the order they were added."""

    def __init__(self, iri: str) -> None:
        self.iri = iri
        self.triples = 0
        self.last_event = ""
        self._subjects: dict[str, list[str]] = {}

    def add(self, subject: str, predicate: str, obj: str) -> None:
        self._subjects.setdefault(subject, []).append(f"{predicate} {obj}")
        self.triples += 1

    def add_thing(self, subject: str, rdf_class: str, label: str) -> None:
        """A described thing: its class, its English label and its source (the generator)."""
        self.add(subject, "a", rdf_class)
        self.add(subject, "rdfs:label", _text(label))
        self.add(subject, "dcterms:source", SOURCE)

    def lines(self) -> list[str]:
        lines = [f"<{self.iri}> {{"]
        for subject, pairs in self._subjects.items():
            lines.append(f"  {subject} " + " ;\n    ".join(pairs) + " .")
        lines.append("}")
        return lines


def network_data_dirs() -> dict[str, Path]:
    """The network's own graphs and the folders of Turtle files they are built from."""
    return {
        iris.ONTOLOGY_GRAPH: ONTOLOGY_DIR,
        iris.REFERENCE_GRAPH: DATA_DIR / "reference",
        iris.CBD_GRAPH: DATA_DIR / "cbd",
    }


def _graph_of_files(graph: str, files: list[Path]) -> list[str]:
    """The statements of ``files`` as one TriG graph block, one line each, without repeats.

    Blank nodes get labels numbered in reading order (``_:n0``...), so the bytes are the same on
    every run, and a blank node of one graph never meets another graph's.
    """
    labels: dict[str, str] = {}
    statements: dict[str, None] = {}
    slug = graph.rsplit("/", 1)[-1]
    for path in files:
        for quad in read_quads(path):
            terms = (quad.subject, quad.predicate, quad.object)
            statements[" ".join(_nt(t, labels, slug) for t in terms) + " ."] = None
    return [f"<{graph}> {{", *statements, "}"]


def _nt(term: ox.NamedNode | ox.BlankNode | ox.Literal, labels: dict[str, str], slug: str) -> str:
    if isinstance(term, ox.BlankNode):
        return labels.setdefault(term.value, f"_:{slug}{len(labels)}")
    return str(term)


def _chosen(everyone: list[Country], countries: int | Sequence[str] | None) -> list[Country]:
    if countries is None:
        return everyone
    if isinstance(countries, int):
        return everyone[:countries]
    wanted = {code.upper() for code in countries}
    chosen = [c for c in everyone if c.code in wanted]
    unknown = wanted - {c.code for c in chosen}
    if unknown:
        raise InputError(f"not a country of the synthetic network: {', '.join(sorted(unknown))}")
    return chosen


def _toolkits_used(country: Country, rng: random.Random) -> list[str]:
    share = 0.7 if country.region in EPT_REGIONS else 0.25
    odds = (("european-portal-toolkit", share), ("chm-toolkit", 0.4))
    return [slug for slug, p in odds if rng.random() < p]


def _prefix_block() -> str:
    lines = [f"@base <{iris.SYNTHETIC}> ."]
    lines += [f"@prefix {p}: <{iris.PREFIXES[p]}> ." for p in _PREFIXES]
    return "\n".join(lines) + "\n\n"


def _synthetic(path: str) -> str:
    """A synthetic resource, relative to the file's base (``iris.SYNTHETIC``)."""
    return f"<{path}>"


def _text(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@en'


def _date(value: date) -> str:
    return f'"{value.isoformat()}"^^xsd:date'


def _count(value: int) -> str:
    return f'"{value}"^^xsd:nonNegativeInteger'
