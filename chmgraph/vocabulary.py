"""The chmgraph vocabulary: the terms declared in ``ontology/*.ttl``, and what they say.

A ``Vocabulary`` reads the ontology files once (strictly, through the syntax gate) and answers
the questions other parts ask of it: is a term declared, what is it called in a language, which
declared term did a misspelt name mean, and what are a class's sub- and superclasses or a
property's sub- and superproperties (the closures a targeted RDFS entailment needs).

Terms may be given as full IRIs or as prefixed names with the prefixes of ``chmgraph.iris``;
answers are always full IRIs.

>>> vocab = Vocabulary.load()
>>> vocab.is_declared("chm:NationalCHM")
True
>>> vocab.label("chm:NationalCHM", lang="es")
'mecanismo nacional de facilitación'
>>> curie(vocab.nearest("chm:startdate"))
'schema:startDate'
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property, lru_cache
from pathlib import Path

import pyoxigraph as ox

from chmgraph.iris import PREFIXES
from chmgraph.rdfio import read_quads
from chmgraph.settings import ONTOLOGY_DIR

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
OWL = PREFIXES["owl"]
SKOS = PREFIXES["skos"]

RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"
RDFS_COMMENT = RDFS + "comment"
SKOS_DEFINITION = SKOS + "definition"
SUBCLASS_OF = RDFS + "subClassOf"
SUBPROPERTY_OF = RDFS + "subPropertyOf"
DOMAIN = RDFS + "domain"
RANGE = RDFS + "range"
INVERSE_OF = OWL + "inverseOf"
IS_DEFINED_BY = RDFS + "isDefinedBy"

# The six official languages of the United Nations, in which every term is labelled.
LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")
# Their English names, as documents and the reference sources' column headers write them.
LANGUAGE_NAMES = {
    "ar": "Arabic",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "ru": "Russian",
    "zh": "Chinese",
}

CLASS_TYPES = frozenset({OWL + "Class", RDFS + "Class"})
PROPERTY_TYPES = frozenset(
    {
        RDF + "Property",
        OWL + "ObjectProperty",
        OWL + "DatatypeProperty",
        OWL + "AnnotationProperty",
    }
)
DATATYPE_TYPES = frozenset({RDFS + "Datatype"})
# OWL property characteristics; a term typed with one of them is a property too.
CHARACTERISTICS = (
    OWL + "FunctionalProperty",
    OWL + "InverseFunctionalProperty",
    OWL + "SymmetricProperty",
    OWL + "AsymmetricProperty",
    OWL + "TransitiveProperty",
    OWL + "ReflexiveProperty",
    OWL + "IrreflexiveProperty",
)

# Predicates that structure RDF itself (typing, lists); data may use them without declaring them.
STRUCTURAL_PREDICATES = frozenset({RDF_TYPE, RDF + "first", RDF + "rest"})

# How alike two local names must be (difflib ratio) for ``nearest`` to suggest one for the other.
_NEAREST_CUTOFF = 0.75


def expand(term: str | ox.NamedNode) -> str:
    """The full IRI of ``term``: a ``NamedNode``, a full IRI, or a prefixed name.

    >>> expand("chm:Workshop")
    'https://w3id.org/chmgraph/vocab#Workshop'
    >>> expand("https://schema.org/startDate")
    'https://schema.org/startDate'
    """
    if isinstance(term, ox.NamedNode):
        return term.value
    prefix, sep, local = term.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return term


def curie(iri: str) -> str:
    """``iri`` as a prefixed name where a prefix of ``chmgraph.iris`` covers it, else unchanged.

    The longest matching namespace wins, so vocabulary terms read ``chm:...``.

    >>> curie("https://w3id.org/chmgraph/vocab#Workshop")
    'chm:Workshop'
    >>> curie("https://example.org/x")
    'https://example.org/x'
    """
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


def local_name(iri: str) -> str:
    """The part of ``iri`` after its last ``#``, ``/`` or ``:``.

    >>> local_name("https://schema.org/startDate")
    'startDate'
    """
    for sep in ("#", "/", ":"):
        _, found, tail = iri.rpartition(sep)
        if found and tail:
            return tail
    return iri


class _Statements:
    """The ontology's triples with an IRI subject, indexed by predicate then subject."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self._objects: dict[str, dict[str, list[ox.Term]]] = defaultdict(lambda: defaultdict(list))
        for triple in triples:
            if isinstance(triple.subject, ox.NamedNode):
                self._objects[triple.predicate.value][triple.subject.value].append(triple.object)

    def objects(self, predicate: str, subject: str) -> list[ox.Term]:
        return self._objects.get(predicate, {}).get(subject, [])

    def iris(self, predicate: str, subject: str) -> list[str]:
        return [o.value for o in self.objects(predicate, subject) if isinstance(o, ox.NamedNode)]

    def literals(self, predicate: str, subject: str) -> list[ox.Literal]:
        return [o for o in self.objects(predicate, subject) if isinstance(o, ox.Literal)]

    def subjects(self, predicate: str) -> list[str]:
        return list(self._objects.get(predicate, {}))

    def edges(self, predicate: str, *, upward: bool) -> dict[str, list[str]]:
        """``predicate`` as a graph: subject to objects, or object to subjects if not ``upward``."""
        edges: dict[str, list[str]] = defaultdict(list)
        for subject in self.subjects(predicate):
            for obj in self.iris(predicate, subject):
                if upward:
                    edges[subject].append(obj)
                else:
                    edges[obj].append(subject)
        return edges


class Vocabulary:
    """The terms declared by a set of ontology files, and their labels, definitions and axioms.

    ``Vocabulary.load()`` reads the ontology files (cached); ``Vocabulary(triples)`` builds one
    from an ontology graph held elsewhere, such as a store's ontology graph.

    >>> vocab = Vocabulary.load()
    >>> "https://w3id.org/chmgraph/vocab#Workshop" in vocab.classes
    True
    """

    def __init__(self, triples: Iterable[ox.Triple], sources: tuple[Path, ...] = ()) -> None:
        self.sources = sources
        self._st = _Statements(triples)
        self._hierarchy = {
            (predicate, upward): self._st.edges(predicate, upward=upward)
            for predicate in (SUBCLASS_OF, SUBPROPERTY_OF)
            for upward in (True, False)
        }
        self.ontologies = frozenset(self._typed({OWL + "Ontology"}))
        self.classes = frozenset(self._typed(CLASS_TYPES))
        self.properties = frozenset(self._typed(PROPERTY_TYPES | set(CHARACTERISTICS)))
        self.datatypes = frozenset(self._typed(DATATYPE_TYPES))
        self.terms = self.classes | self.properties | self.datatypes
        self._by_local_name: dict[str, list[str]] = defaultdict(list)
        for iri in sorted(self.terms):
            self._by_local_name[local_name(iri).lower()].append(iri)

    @classmethod
    def load(cls, paths: Iterable[str | Path] | None = None) -> Vocabulary:
        """The vocabulary of ``paths`` (default: every ``ontology/*.ttl``), read once.

        Later calls with the same files, unchanged on disk, return the same object.
        Raises ``InputError``/``SyntaxGateError`` for an unreadable or malformed file.
        """
        files = sorted(ONTOLOGY_DIR.glob("*.ttl")) if paths is None else [Path(p) for p in paths]
        key = tuple((str(f.resolve()), _mtime(f)) for f in files)
        return _load_cached(key)

    def is_declared(self, term: str | ox.NamedNode) -> bool:
        """Whether ``term`` is a declared class, property or datatype.

        >>> Vocabulary.load().is_declared("chm:startDate")
        False
        """
        return expand(term) in self.terms

    def nearest(self, term: str | ox.NamedNode) -> str | None:
        """The declared term ``term`` most likely means, by its local name; None if none is close.

        A declared term is its own nearest. Otherwise a case-insensitive match of the local name
        wins (in the same namespace first), then the closest local name by ``difflib``.

        >>> vocab = Vocabulary.load()
        >>> curie(vocab.nearest("chm:workshop"))
        'chm:Workshop'
        >>> curie(vocab.nearest("chm:participantsCount"))
        'chm:participantCount'
        >>> vocab.nearest("chm:zzzz") is None
        True
        """
        iri = expand(term)
        if iri in self.terms:
            return iri
        name = local_name(iri).lower()
        candidates = self._by_local_name.get(name)
        if not candidates:
            close = difflib.get_close_matches(
                name, self._by_local_name, n=1, cutoff=_NEAREST_CUTOFF
            )
            if not close:
                return None
            candidates = self._by_local_name[close[0]]
        namespace = iri[: len(iri) - len(local_name(iri))]
        same = [c for c in candidates if c.startswith(namespace)]
        return (same or candidates)[0]

    def objects(self, term: str | ox.NamedNode, predicate: str) -> list[ox.Term]:
        """The objects of ``term``'s statements with ``predicate`` (a full or prefixed IRI).

        >>> vocab = Vocabulary.load()
        >>> [v.value for v in vocab.objects("https://w3id.org/chmgraph/vocab", "owl:versionInfo")]
        ['0.1.0']
        """
        return list(self._st.objects(expand(predicate), expand(term)))

    def labels(self, term: str | ox.NamedNode) -> dict[str, str]:
        """Every ``rdfs:label`` of ``term`` by language tag (untagged labels under ``""``)."""
        return {
            lit.language or "": lit.value for lit in self._st.literals(RDFS_LABEL, expand(term))
        }

    def label(self, term: str | ox.NamedNode, lang: str = "en") -> str:
        """The label of ``term`` in ``lang``, else in English, else its local name.

        A regional tag falls back to its language first (``fr-CA`` to ``fr``).

        >>> vocab = Vocabulary.load()
        >>> vocab.label("chm:ClearingHouseMechanism", lang="fr")
        "centre d'échange"
        >>> vocab.label("chm:Workshop", lang="de")
        'workshop'
        """
        labels = self.labels(term)
        for tag in (lang.lower(), lang.lower().split("-")[0], "en", ""):
            if tag in labels:
                return labels[tag]
        return local_name(expand(term))

    def definition(self, term: str | ox.NamedNode, lang: str = "en") -> str | None:
        """The ``skos:definition`` (else ``rdfs:comment``) of ``term`` in ``lang``, if any."""
        iri = expand(term)
        for predicate in (SKOS_DEFINITION, RDFS_COMMENT):
            for lit in self._st.literals(predicate, iri):
                if (lit.language or "") == lang:
                    return lit.value
        return None

    def types(self, term: str | ox.NamedNode) -> frozenset[str]:
        """The ``rdf:type`` values of ``term`` in the ontology."""
        return frozenset(self._st.iris(RDF_TYPE, expand(term)))

    def characteristics(self, term: str | ox.NamedNode) -> tuple[str, ...]:
        """The OWL characteristics of a property (``owl:FunctionalProperty``...), in OWL order."""
        types = self.types(term)
        return tuple(c for c in CHARACTERISTICS if c in types)

    def domains(self, term: str | ox.NamedNode) -> frozenset[str]:
        """The declared ``rdfs:domain`` classes of a property."""
        return frozenset(self._st.iris(DOMAIN, expand(term)))

    def ranges(self, term: str | ox.NamedNode) -> frozenset[str]:
        """The declared ``rdfs:range`` classes or datatypes of a property."""
        return frozenset(self._st.iris(RANGE, expand(term)))

    def defined_by(self, term: str | ox.NamedNode) -> str | None:
        """The vocabulary a reused term comes from (``rdfs:isDefinedBy``), None for own terms."""
        found = self._st.iris(IS_DEFINED_BY, expand(term))
        return found[0] if found else None

    def superclasses(self, term: str | ox.NamedNode, *, direct: bool = False) -> frozenset[str]:
        """The classes ``term`` is a subclass of, transitively unless ``direct``, itself excluded.

        >>> vocab = Vocabulary.load()
        >>> "https://w3id.org/chmgraph/vocab#Event" in vocab.superclasses("chm:RegionalWorkshop")
        True
        """
        return self._closure(SUBCLASS_OF, expand(term), upward=True, direct=direct)

    def subclasses(self, term: str | ox.NamedNode, *, direct: bool = False) -> frozenset[str]:
        """The classes that are subclasses of ``term``, transitively unless ``direct``.

        >>> sorted(curie(c) for c in Vocabulary.load().subclasses("chm:ClearingHouseMechanism"))
        ['chm:NationalCHM', 'chm:RegionalCHM']
        """
        return self._closure(SUBCLASS_OF, expand(term), upward=False, direct=direct)

    def superproperties(self, term: str | ox.NamedNode, *, direct: bool = False) -> frozenset[str]:
        """The properties ``term`` is a subproperty of, transitively unless ``direct``.

        >>> sorted(curie(p) for p in Vocabulary.load().superproperties("chm:hostCity"))
        ['schema:location']
        """
        return self._closure(SUBPROPERTY_OF, expand(term), upward=True, direct=direct)

    def subproperties(self, term: str | ox.NamedNode, *, direct: bool = False) -> frozenset[str]:
        """The properties that are subproperties of ``term``, transitively unless ``direct``."""
        return self._closure(SUBPROPERTY_OF, expand(term), upward=False, direct=direct)

    def inverse_of(self, term: str | ox.NamedNode) -> str | None:
        """The declared inverse of a property, stated on either side, if any.

        >>> curie(Vocabulary.load().inverse_of("chm:hasModule"))
        'chm:moduleOf'
        """
        iri = expand(term)
        found = self._st.iris(INVERSE_OF, iri) or [
            s for s in self._st.subjects(INVERSE_OF) if iri in self._st.iris(INVERSE_OF, s)
        ]
        return found[0] if found else None

    @cached_property
    def symmetric_properties(self) -> frozenset[str]:
        """The properties declared ``owl:SymmetricProperty`` (found once per vocabulary)."""
        return frozenset(self._typed({OWL + "SymmetricProperty"}))

    def _typed(self, types: set[str] | frozenset[str]) -> set[str]:
        return {s for s in self._st.subjects(RDF_TYPE) if types & set(self._st.iris(RDF_TYPE, s))}

    def _closure(self, predicate: str, start: str, *, upward: bool, direct: bool) -> frozenset[str]:
        edges = self._hierarchy[predicate, upward]
        found: set[str] = set()
        frontier = [start]
        while frontier:
            for nxt in edges.get(frontier.pop(), ()):
                if nxt not in found and nxt != start:
                    found.add(nxt)
                    if not direct:
                        frontier.append(nxt)
        return frozenset(found)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1  # read_quads reports the missing file with its name


@lru_cache(maxsize=8)
def _load_cached(key: tuple[tuple[str, int], ...]) -> Vocabulary:
    paths = tuple(Path(name) for name, _ in key)
    triples = (q.triple for path in paths for q in read_quads(path))
    return Vocabulary(triples, sources=paths)


def jsonld_context(vocab: Vocabulary) -> dict:
    """The network's JSON-LD context (``chmgraph.iris.CONTEXT``) for ``vocab``: the prefixes of
    ``chmgraph.iris``, ``id``/``type`` for ``@id``/``@type``, and each ``chm:`` class and
    property by its local name; a property whose range is a class reads its values as IRIs,
    one whose range is a single XSD datatype other than ``xsd:string`` types them with it.

    >>> terms = jsonld_context(Vocabulary.load())["@context"]
    >>> terms["partner"]
    {'@id': 'chm:partner', '@type': '@id'}
    >>> terms["participantCount"]["@type"]
    'xsd:nonNegativeInteger'
    """
    terms: dict[str, object] = {"@version": 1.1, "id": "@id", "type": "@type"}
    terms.update(sorted(PREFIXES.items()))
    xsd, vocab_base = PREFIXES["xsd"], PREFIXES["chm"]
    for iri in sorted(vocab.classes):
        if iri.startswith(vocab_base):
            terms[local_name(iri)] = curie(iri)
    for iri in sorted(vocab.properties):
        if not iri.startswith(vocab_base):
            continue
        ranges = vocab.ranges(iri)
        entry: dict[str, str] = {"@id": curie(iri)}
        if OWL + "ObjectProperty" in vocab.types(iri) or (
            ranges and all(r in vocab.classes or not r.startswith((xsd, RDF)) for r in ranges)
        ):
            entry["@type"] = "@id"
        elif len(ranges) == 1 and (only := next(iter(ranges))).startswith(xsd):
            entry.update({} if only == xsd + "string" else {"@type": curie(only)})
        terms[local_name(iri)] = entry
    return {"@context": terms}
