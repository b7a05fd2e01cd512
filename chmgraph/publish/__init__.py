"""Publishing the network for other networks: deterministic dump files (``dump``), their VoID and
DCAT description (``describe``) and the change log between dumps (``changes``), sharing the
names of ``files``."""

from chmgraph.publish.dump import dump_network, network_trig
from chmgraph.publish.files import Dump, DumpFile

__all__ = ["Dump", "DumpFile", "dump_network", "network_trig"]
