"""The one factory that chooses an engine: ``open_view(engine, ...)``.

Every caller (the CLI's ``--engine``, notebooks, the contract tests) gets its view here, and
nothing else branches on the engine (``docs/style.md`` §2 item 9). Both engines return a
:class:`~ownergraph.graph.view.GraphView` that implements
:class:`~ownergraph.graph.backend.GraphBackend`, so the queries take either.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from ownergraph.errors import InputError
from ownergraph.graph.backend import ENGINES, Engine

if TYPE_CHECKING:
    from ownergraph.graph.view import GraphView
    from ownergraph.graph.workspace import Workspace

__all__ = ["ENGINES", "Engine", "open_view"]


def open_view(
    engine: Engine | str = "memory",
    *,
    workspace: Workspace | str | Path | None = None,
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str = "neo4j",
    as_of: dt.date | str | None = None,
) -> GraphView:
    """The graph as of a date, from the in-memory engine or a Neo4j server.

    Parameters
    ----------
    engine
        ``"memory"`` (the workspace's columnar cache) or ``"neo4j"`` (a server the workspace was
        pushed to with ``ownergraph neo4j push``).
    workspace
        Memory engine: an open :class:`~ownergraph.graph.workspace.Workspace` or its folder
        (opened here; close it with ``view.workspace.close()``).
    uri, user, password, database
        Neo4j engine: the connection (``uri`` defaults to ``bolt://localhost:7687``). Close the
        view with ``view.close()`` or use it in a ``with`` block.
    as_of
        The date (default today).

    Raises
    ------
    InputError
        For an unknown engine or a memory engine without a workspace.
    EngineError
        When the Neo4j server cannot be used (one line naming the URI and the fix).

    Examples
    --------
    >>> import tempfile, ownergraph, ownergraph.data, pathlib
    >>> from ownergraph.queries import restricted
    >>> ws = ownergraph.open(tempfile.mkdtemp())
    >>> _ = ws.load([pathlib.Path(ownergraph.data.__file__).parent / "sensetime"])
    >>> view = open_view("memory", workspace=ws, as_of="2022-01-07")
    >>> [r.id for r in restricted(view, "ofac-ns-cmic")]
    ['sensetime-group-ltd']
    >>> ws.close()
    """
    name = str(engine).strip().lower()
    if name == "memory":
        if workspace is None:
            raise InputError(
                "the memory engine needs a workspace",
                field="workspace",
                fix="pass workspace=PATH (or ownergraph.open(PATH)), or use engine='neo4j' with a uri",
            )
        from ownergraph.graph.workspace import Workspace, open_workspace

        ws = workspace if isinstance(workspace, Workspace) else open_workspace(workspace)
        return ws.graph(as_of)
    if name == "neo4j":
        from ownergraph.graph.neo4j_store import DEFAULT_URI
        from ownergraph.graph.neo4j_view import Neo4jView

        return Neo4jView(uri or DEFAULT_URI, user=user, password=password, database=database, as_of=as_of)
    raise InputError("unknown engine", field="engine", value=engine, fix="use " + " or ".join(ENGINES))
