"""scholarkg: a knowledge-graph store with a query layer for scholarly publications."""

__version__ = "0.1.0"
