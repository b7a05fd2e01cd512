"""Where each country stands in the network: whether it has submitted a national graph, its
current version, when it last changed, what validation said then and its open warnings; and the
coverage of the network per UN regional group and M49 region.

>>> from chmgraph.network import Network
>>> network = Network.in_memory()
>>> network.init()
>>> _ = network.submit_example()
>>> cm = next(s for s in network.standings() if s.code == "CM")
>>> cm.version, cm.m49, cm.group_name
(1, '120', 'African Group')
>>> [c for c in coverage(network.standings()) if c.name == "African Group"][0].submitted
1
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import pyoxigraph as ox

from chmgraph import iris
from chmgraph.network.catalogue import national_versions
from chmgraph.query.text import bind
from chmgraph.sparql import load
from chmgraph.store import GraphStore


@dataclass(frozen=True)
class CountryStanding:
    """One country of the reference graph and its national graph, if any."""

    code: str  # ISO 3166-1 alpha-2
    iri: str
    name: str
    m49: str | None  # the M49 (ISO 3166 numeric) code, three digits
    group: str | None  # the UN regional group's IRI
    group_name: str | None
    region: str | None  # the M49 region's IRI
    region_name: str | None
    version: int | None = None  # its national graph's current version; None: never submitted
    modified: datetime | None = None
    validation: str | None = None  # the summary validation gave for the current version
    warnings: int | None = None  # its open warnings, where the version's record counts them

    @property
    def submitted(self) -> bool:
        return self.version is not None


@dataclass(frozen=True)
class Coverage:
    """How many countries of a UN regional group or M49 region have submitted."""

    kind: str  # "un-group" or "m49-region"
    iri: str
    name: str
    countries: int
    submitted: int

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.countries) if self.countries else 0


def directory(store: GraphStore, *, lang: str = "en") -> list[CountryStanding]:
    """Every country of the reference graph with its codes, group and region, by code, labels
    in ``lang`` (English where a label has none in it); nothing about submissions."""
    text = bind(load("country-directory"), {"lang": ox.Literal(lang)})
    return [
        CountryStanding(
            code=row["code"].value,
            iri=row["country"].value,
            name=_value(row["name"]) or row["code"].value,
            m49=_value(row["m49"]),
            group=_value(row["group"]),
            group_name=_value(row["groupName"]),
            region=_value(row["region"]),
            region_name=_value(row["regionName"]),
        )
        for row in store.query(text, default_graph=[iris.REFERENCE_GRAPH])
    ]


def standings(store: GraphStore, *, lang: str = "en") -> list[CountryStanding]:
    """Every country, by code, with its national graph's current version, when it was made and
    the validation summary recorded with it."""
    current = national_versions(store)
    summaries = _summaries(store)
    found = []
    for country in directory(store, lang=lang):
        if country.code in current:
            version, when = current[country.code]
            summary, warnings = summaries.get((country.code, version), (None, None))
            country = replace(
                country, version=version, modified=when, validation=summary, warnings=warnings
            )
        found.append(country)
    return found


def coverage(found: Iterable[CountryStanding]) -> list[Coverage]:
    """Countries and submissions per UN regional group, then per M49 region, by name."""
    tally: dict[tuple[str, str], list] = {}
    for standing in found:
        for kind, iri, name in (
            ("un-group", standing.group, standing.group_name),
            ("m49-region", standing.region, standing.region_name),
        ):
            if iri is None:
                continue
            entry = tally.setdefault((kind, iri), [name or iri, 0, 0])
            entry[1] += 1
            entry[2] += standing.submitted
    return sorted(
        (Coverage(kind, iri, name, n, s) for (kind, iri), (name, n, s) in tally.items()),
        key=lambda c: (c.kind != "un-group", c.name),
    )


def _summaries(store: GraphStore) -> dict[tuple[str, int], tuple[str | None, int | None]]:
    """The validation summary and warning count of each version, by (country, version number)."""
    found = {}
    for row in store.query(load("validation-summaries"), default_graph=[iris.SUBMISSIONS_GRAPH]):
        country = iris.country_of_graph(row["graph"].value)
        if country:
            warnings = row["warnings"]
            found[(country, int(row["number"].value))] = (
                _value(row["summary"]),
                None if warnings is None else int(warnings.value),
            )
    return found


def _value(term: object) -> str | None:
    return None if term is None else term.value
