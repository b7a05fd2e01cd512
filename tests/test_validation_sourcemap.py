"""Subjects mapped to the lines of the submitted file, in every format chmgraph reads."""

from __future__ import annotations

import pyoxigraph as ox

from chmgraph.validation.sourcemap import SourceMap

TURTLE = b'''@prefix ex: <http://e/> .
@base <http://b/> .
PREFIX p2: <http://p2/>

ex:a ex:note """a long string with . and # and
a second line; ex:notASubject ex:x""" .

# a comment naming ex:commented
<rel> ex:p "one" , 'two' ;
    ex:q [ ex:r ex:inner ] .
p2:x\\/y ex:p ( ex:l1 ex:l2 ) .
_:b1 ex:p 1.5 .
ex:a ex:p ex:again .
'''


def test_turtle_subjects_and_their_lines():
    m = SourceMap.build(TURTLE, format=ox.RdfFormat.TURTLE)
    assert m.lines["http://e/a"] == [5, 13]
    assert m.line("http://b/rel") == 9
    assert m.line("http://p2/x/y") == 11
    assert m.line("_:b1") == 12
    for not_a_subject in ("http://e/notASubject", "http://e/commented", "http://e/inner"):
        assert m.line(not_a_subject) is None
    assert m.prefixes == {"ex": "http://e/", "p2": "http://p2/"}


def test_every_subject_the_parser_sees_is_mapped():
    m = SourceMap.build(TURTLE, format=ox.RdfFormat.TURTLE)
    subjects = {
        q.subject.value if isinstance(q.subject, ox.NamedNode) else "_:" + q.subject.value
        for q in ox.parse(TURTLE, format=ox.RdfFormat.TURTLE)
    }
    named = {s for s in subjects if not s.startswith("_:") or s == "_:b1"}
    assert named <= set(m.lines)


def test_trig_graph_names_are_not_subjects():
    data = b"""@prefix ex: <http://e/> .
ex:g1 { ex:a ex:p ex:b . }
GRAPH ex:g2 {
  ex:c ex:p ex:d .
  ex:e ex:p ex:f
}
"""
    m = SourceMap.build(data, format=ox.RdfFormat.TRIG)
    assert (m.line("http://e/a"), m.line("http://e/c"), m.line("http://e/e")) == (2, 4, 5)
    assert m.line("http://e/g1") is None and m.line("http://e/g2") is None


def test_n_triples_and_n_quads_lines():
    data = b'<http://e/a> <http://e/p> "x" <http://e/g> .\n\n<http://e/b> <http://e/p> _:c .\n'
    m = SourceMap.build(data, format=ox.RdfFormat.N_QUADS)
    assert (m.line("http://e/a"), m.line("http://e/b"), m.line("http://e/g")) == (1, 3, None)


def test_rdf_xml_best_effort():
    data = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://e/">
  <rdf:Description rdf:about="http://e/a">
    <ex:p rdf:nodeID="n1"/>
  </rdf:Description>
  <rdf:Description rdf:nodeID="n1"><ex:q>1</ex:q></rdf:Description>
</rdf:RDF>
"""
    m = SourceMap.build(data, format=ox.RdfFormat.RDF_XML)
    m.resolve_fuzzy(["http://e/a"])
    # n1's own description, not the reference before it.
    assert (m.line("http://e/a"), m.line("_:n1")) == (3, 6)


def test_json_ld_nodes_are_placed_at_their_own_description_not_a_reference():
    doc = (
        b'{"@graph": [\n  {"@id": "http://e/a", "http://e/p": {"@id": "_:org"},\n'
        b'   "http://e/r": {\n     "@id": "http://e/b"\n   }},\n'
        b'  {"@id": "_:org",\n   "http://e/q": "x"},\n'
        b'  {"@id": "http://e/b", "http://e/q": "y"}\n]}'
    )
    m = SourceMap.build(doc, format=ox.RdfFormat.JSON_LD)
    assert (m.line("http://e/a"), m.line("_:org"), m.line("http://e/b")) == (2, 6, 8)
