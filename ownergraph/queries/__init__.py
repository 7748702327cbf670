"""Queries: plain functions that take a graph view first and return rows that explain
themselves (SPEC §6, §7).

>>> from ownergraph.queries import restricted, loopholes, ownership, paths, exposure
"""

from __future__ import annotations

from ownergraph.queries.exposure import exposure
from ownergraph.queries.lookup import search, show, stats
from ownergraph.queries.loopholes import loopholes
from ownergraph.queries.ownership import ownership
from ownergraph.queries.paths import paths
from ownergraph.queries.regimes import get_regime, regime_table
from ownergraph.queries.restricted import restricted
from ownergraph.queries.rows import Rows, rows_to_frame

__all__ = [
    "Rows",
    "exposure",
    "get_regime",
    "loopholes",
    "ownership",
    "paths",
    "regime_table",
    "restricted",
    "rows_to_frame",
    "search",
    "show",
    "stats",
]
