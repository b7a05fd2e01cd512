"""Queries on the network: the library of named questions, their text, the limits they run
within, and their answers.

- ``chmgraph.query.library``: the named SPARQL questions in ``queries/*.rq`` and their parameters;
- ``chmgraph.query.text``: a query's final text, parameters bound as RDF terms;
- ``chmgraph.query.policy``: the SERVICE allowlist, the timeout and the row cap;
- ``chmgraph.query.results``: answers read whole, and the W3C result formats;
- ``chmgraph.query.run``: running a query on a network's graphs (``run_query``).
"""

from chmgraph.query.library import NamedQuery, Parameter, QueryLibrary
from chmgraph.query.policy import QueryTimeout, ServiceRefused, check_services
from chmgraph.query.results import RESULT_FORMATS, QueryResult, as_rows, media_type, serialize
from chmgraph.query.run import GRAPH_NAMES, dataset, resolve_graph, run_query, self_contained
from chmgraph.query.text import PreparedQuery, prepare

__all__ = [
    "GRAPH_NAMES",
    "RESULT_FORMATS",
    "NamedQuery",
    "Parameter",
    "PreparedQuery",
    "QueryLibrary",
    "QueryResult",
    "QueryTimeout",
    "ServiceRefused",
    "as_rows",
    "check_services",
    "dataset",
    "media_type",
    "prepare",
    "resolve_graph",
    "run_query",
    "self_contained",
    "serialize",
]
