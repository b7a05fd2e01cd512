"""The country directory: the countries of the reference graph, by ISO alpha-2 code, and the
closest one to a mistyped code or name."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from chmgraph import iris
from chmgraph.errors import InputError, StoreError
from chmgraph.sparql import load
from chmgraph.store import GraphStore

_COUNTRY = iris.ID + "country/"


def countries(store: GraphStore) -> dict[str, str]:
    """Alpha-2 code to English name of every country in the reference graph."""
    found = {}
    for row in store.query(load("countries"), default_graph=[iris.REFERENCE_GRAPH]):
        iri = row["country"].value
        if iri.startswith(_COUNTRY):
            name = row["name"]
            found[iri[len(_COUNTRY) :]] = name.value if name is not None else ""
    return found


def country_code(store: GraphStore, country: str) -> str:
    """``country`` as a code the reference data knows, or an error naming the closest one."""
    code = country.strip().upper()
    known = countries(store)
    if code in known:
        return code
    if not known:
        raise StoreError(
            f"store at {store.location} has no reference countries; run `chmgraph init` first"
        )
    raise InputError(f"unknown country code {country!r}{_suggestion(store, country, known)}")


def _suggestion(store: GraphStore, given: str, known: Mapping[str, str]) -> str:
    """``; did you mean CM (Cameroon)?``: the code whose codes or names are closest."""
    names: dict[str, str] = {}
    for row in store.query(load("country-names"), default_graph=[iris.REFERENCE_GRAPH]):
        code = row["country"].value.removeprefix(_COUNTRY)
        names.setdefault(row["name"].value.casefold(), code)
    for code in known:
        names.setdefault(code.casefold(), code)
    match = difflib.get_close_matches(given.strip().casefold(), list(names), n=1, cutoff=0.5)
    if not match:
        return ""
    code = names[match[0]]
    return (
        f"; did you mean {code} ({known[code]})?" if known.get(code) else f"; did you mean {code}?"
    )
