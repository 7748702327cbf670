"""Queries: plain functions that take a graph view first and return rows that explain
themselves (SPEC §6, §7)."""

from __future__ import annotations

from ownergraph.queries.lookup import search, show, stats
from ownergraph.queries.rows import Rows, rows_to_frame

__all__ = ["Rows", "rows_to_frame", "search", "show", "stats"]
