"""chmgraph: the linked-data backbone of the CBD Clearing-House Mechanism network."""

__version__ = "0.1.0"
