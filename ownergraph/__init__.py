"""ownergraph: a knowledge graph of corporate ownership and sanctions, and the paths they miss."""

from __future__ import annotations

from ownergraph.errors import OwnergraphError
from ownergraph.graph import GraphView, Share, Workspace, open_workspace

__version__ = "0.1.0"

open = open_workspace

__all__ = ["GraphView", "OwnergraphError", "Share", "Workspace", "__version__", "open", "open_workspace"]
