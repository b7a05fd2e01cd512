"""chmgraph's version, in one place: the package metadata and every module read it here."""

__version__ = "0.1.0"
