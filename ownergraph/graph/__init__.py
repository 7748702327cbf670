"""The graph layer: data model, record store, columnar cache and the in-memory engine."""

from __future__ import annotations

from ownergraph.graph.model import (
    Claim,
    Designation,
    Entity,
    Holding,
    Listing,
    Ownership,
    Provenance,
    SameAs,
    Venue,
)
from ownergraph.graph.shares import Share, parse_share
from ownergraph.graph.view import GraphView
from ownergraph.graph.workspace import LoadReport, Workspace, open_workspace

__all__ = [
    "Claim",
    "Designation",
    "Entity",
    "GraphView",
    "Holding",
    "Listing",
    "LoadReport",
    "Ownership",
    "Provenance",
    "SameAs",
    "Share",
    "Venue",
    "Workspace",
    "open_workspace",
    "parse_share",
]
