"""The facts the engine states for the shapes to read, in the ``chmsh:`` namespace.

Some rules need what no triple of the submission says: that a language tag names no language,
that a term is not the vocabulary's, which country a national graph is for, what the network
already defines. The engine states these facts beside the data (never in it) so that every rule
is a SHACL shape of ``shapes/chm.ttl`` (the facts are listed in its header and in
``docs/validation.md``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry
import pyoxigraph as ox

from chmgraph import iris
from chmgraph.errors import InputError
from chmgraph.validation.context import Context
from chmgraph.validation.messages import CHMSH
from chmgraph.vocabulary import STRUCTURAL_PREDICATES

# The node standing for the submission as a whole, subject of the national facts.
SUBMISSION = ox.NamedNode(CHMSH + "submission")
# A BCP 47 tag that names a language: an ISO 639 primary subtag (2-3 letters), then optional
# script, region and variant subtags. Well-formedness itself is the syntax gate's job; this keeps
# out private-use (x-...) and grandfathered (i-...) tags and stray extensions.
_LANGUAGE_TAG = re.compile(
    r"^[a-z]{2,3}(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$",
    re.IGNORECASE,
)
_RDF_MEMBER = re.compile(r"^http://www\.w3\.org/1999/02/22-rdf-syntax-ns#_[1-9][0-9]*$")
_RDF_TYPE = iris.PREFIXES["rdf"] + "type"


@lru_cache(maxsize=1024)
def names_a_language(tag: str) -> bool:
    """Whether the BCP 47 ``tag`` names a language: well formed (``_LANGUAGE_TAG``) and its
    primary subtag an ISO 639 code (639-1 two letters; 639-2, 639-3 or a 639-5 family three),
    from pycountry's copy of the ISO 639 tables. The local-use range qaa-qtz names none.

    >>> names_a_language("fr"), names_a_language("pt-BR"), names_a_language("bss")
    (True, True, True)
    >>> names_a_language("xx"), names_a_language("qaa"), names_a_language("x-private")
    (False, False, False)
    """
    if not _LANGUAGE_TAG.match(tag):
        return False
    primary = tag.split("-", 1)[0].lower()
    if len(primary) == 2:
        return pycountry.languages.get(alpha_2=primary) is not None
    if "qaa" <= primary <= "qtz":
        return False
    return (
        pycountry.languages.get(alpha_3=primary) is not None
        or pycountry.languages.get(bibliographic=primary) is not None
        or pycountry.language_families.get(alpha_3=primary) is not None
    )


def engine_facts(
    submitted: set[ox.Triple], context: Context, country: str | None
) -> set[ox.Triple]:
    """The ``chmsh:`` facts about ``submitted``; with ``country``, the national ones too."""
    vocab = context.vocabulary
    facts: set[ox.Triple] = set()
    unknown_language = ox.NamedNode(CHMSH + "unknownLanguage")
    undeclared_property = ox.NamedNode(CHMSH + "undeclaredProperty")
    undeclared_class = ox.NamedNode(CHMSH + "undeclaredClass")
    for t in submitted:
        predicate = t.predicate.value
        language = t.object.language if isinstance(t.object, ox.Literal) else None
        if language and not names_a_language(language):
            facts.add(ox.Triple(t.subject, unknown_language, t.object))
        if not (
            vocab.is_declared(predicate)
            or predicate in STRUCTURAL_PREDICATES
            or _RDF_MEMBER.match(predicate)
        ):
            facts.add(ox.Triple(t.subject, undeclared_property, t.predicate))
        if (
            predicate == _RDF_TYPE
            and isinstance(t.object, ox.NamedNode)
            and t.object.value not in vocab.classes
        ):
            facts.add(ox.Triple(t.subject, undeclared_class, t.object))
    if country is not None:
        facts |= national_facts(submitted, context, country)
    return facts


def national_facts(submitted: set[ox.Triple], context: Context, country: str) -> set[ox.Triple]:
    """The country the submission is for, what it describes, and which of its subjects the
    ontology or reference graph defines. Raises ``InputError`` for a country the context's
    reference graph does not know."""
    try:
        country_iri = ox.NamedNode(iris.country(country))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if country_iri not in context.reference_terms:
        raise InputError(f"unknown country {country!r}: not a country of the reference graph")
    facts = {ox.Triple(SUBMISSION, ox.NamedNode(CHMSH + "country"), country_iri)}
    describes = ox.NamedNode(CHMSH + "describes")
    defined_in = ox.NamedNode(CHMSH + "definedIn")
    for subject in {t.subject for t in submitted}:
        facts.add(ox.Triple(SUBMISSION, describes, subject))
        if not isinstance(subject, ox.NamedNode):
            continue
        if subject in context.ontology_terms or subject.value.startswith(iris.VOCAB_BASE):
            facts.add(ox.Triple(subject, defined_in, ox.NamedNode(iris.ONTOLOGY_GRAPH)))
        elif subject in context.reference_terms:
            facts.add(ox.Triple(subject, defined_in, ox.NamedNode(iris.REFERENCE_GRAPH)))
    return facts
