"""Loaders: one module per source format; each parses into model records and nothing else.

Importing this package registers every format in :data:`ownergraph.loaders.base.LOADERS`.
"""

from __future__ import annotations

from ownergraph.loaders import (
    bods,
    bundle,
    compressed,
    csl,
    ftm,
    gleif,
    lists,
    mic,
    ofac,
    sec13f,
    wikidata,
)
from ownergraph.loaders.base import LOADERS, Item, LoaderSpec, detect_format

__all__ = [
    "LOADERS",
    "Item",
    "LoaderSpec",
    "bods",
    "bundle",
    "compressed",
    "csl",
    "detect_format",
    "ftm",
    "gleif",
    "lists",
    "mic",
    "ofac",
    "sec13f",
    "wikidata",
]
