"""chmgraph: the linked-data backbone of the CBD Clearing-House Mechanism network.

The nouns a user needs, in one place:

>>> import chmgraph
>>> network = chmgraph.Network.in_memory()
>>> network.init()
>>> rows = network.query("workshops-in-year", params={"year": "2013"})
>>> len(rows), rows.variables[:2]
(3, ['workshop', 'label'])

``chmgraph.open(path)`` opens the network in a store on disk (``chmgraph init`` builds one);
``chmgraph.validate`` checks RDF against the network's shapes; ``chmgraph.dump_network`` writes
the dumps other networks harvest, and ``chmgraph.Harvester`` reads them.
"""

from chmgraph.errors import ChmgraphError
from chmgraph.harvest import Harvester
from chmgraph.network import Network
from chmgraph.publish import dump_network
from chmgraph.query import QueryLibrary, QueryResult
from chmgraph.settings import Settings
from chmgraph.validation import Source, ValidationReport, validate
from chmgraph.version import __version__

open = Network.open

__all__ = [
    "ChmgraphError",
    "Harvester",
    "Network",
    "QueryLibrary",
    "QueryResult",
    "Settings",
    "Source",
    "ValidationReport",
    "__version__",
    "dump_network",
    "open",
    "validate",
]
