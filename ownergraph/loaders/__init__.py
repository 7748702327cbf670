"""Loaders: one module per source format; each parses into model records and nothing else.

Importing this package registers every format in :data:`ownergraph.loaders.base.LOADERS`.
"""

from __future__ import annotations

from ownergraph.loaders import bundle, lists, mic, ofac
from ownergraph.loaders.base import LOADERS, Item, LoaderSpec, detect_format

__all__ = ["LOADERS", "Item", "LoaderSpec", "bundle", "detect_format", "lists", "mic", "ofac"]
