"""``chmgraph serve``: the network over HTTP, a thin face over the same Python API.

One module per kind of resource: ``sparql`` (the SPARQL 1.1 Protocol), ``store`` (the Graph
Store Protocol), ``submissions`` (the validation and submission API), ``linked_data``
(``/id/``, ``/vocab``, ``/graph/``), ``dumps`` (``/dump/``); ``service`` is the one object that
holds the network, the settings, the worker pool, the credentials and the result cache;
``negotiation``, ``auth``, ``http`` and ``limits`` are what the routes share; ``app`` puts them
together.
"""
