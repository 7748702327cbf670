"""The Python API of SPEC §7: ``ownergraph.open``, ``ws.load``, ``ws.graph``, rows with
``.to_frame()``, ``view.to_networkx()``, and every ``__all__`` name importable."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from importlib import metadata
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

import ownergraph
from ownergraph.errors import (
    DateError,
    EngineError,
    FormatError,
    InputError,
    NotFoundError,
    OwnergraphError,
    ShareError,
    WorkspaceError,
)
from ownergraph.graph.view import GraphView
from ownergraph.graph.workspace import LoadReport, Workspace
from ownergraph.queries import Rows, rows_to_frame, search, show, stats
from ownergraph.queries.lookup import StatRow

CORE_MODULES = [
    "ownergraph",
    "ownergraph.errors",
    "ownergraph.render",
    "ownergraph.graph",
    "ownergraph.graph.model",
    "ownergraph.graph.shares",
    "ownergraph.graph.store",
    "ownergraph.graph.cache",
    "ownergraph.graph.view",
    "ownergraph.graph.workspace",
    "ownergraph.loaders",
    "ownergraph.loaders.base",
    "ownergraph.loaders.bundle",
    "ownergraph.loaders.mic",
    "ownergraph.queries",
    "ownergraph.queries.rows",
    "ownergraph.queries.lookup",
]


@pytest.mark.parametrize("name", CORE_MODULES)
def test_all_exports_exist(name: str) -> None:
    mod = importlib.import_module(name)
    exported = getattr(mod, "__all__", None)
    assert exported, f"{name} has no __all__"
    assert len(set(exported)) == len(exported)
    missing = [x for x in exported if not hasattr(mod, x)]
    assert missing == []


def test_top_level_api() -> None:
    assert ownergraph.open is ownergraph.open_workspace
    assert {"open", "open_workspace", "Workspace", "GraphView", "Share", "OwnergraphError"} <= set(
        ownergraph.__all__
    )
    assert ownergraph.__version__ == metadata.version("ownergraph")


def test_open_load_graph(tmp_path: Path, sensetime_dir: Path) -> None:
    with ownergraph.open(str(tmp_path / "ws")) as ws:
        assert isinstance(ws, Workspace)
        reports = ws.load([str(sensetime_dir)])
        assert [type(r) for r in reports] == [LoadReport]
        view = ws.graph()
        assert isinstance(view, GraphView) and view.as_of == dt.date.today()
        assert ws.graph(as_of=dt.date(2022, 1, 7)).as_of == dt.date(2022, 1, 7)
        assert ws.graph(as_of="2022-01").as_of == dt.date(2022, 1, 1)
        with pytest.raises(DateError):
            ws.graph(as_of="7 Jan 2022")
        g = view.to_networkx()
        assert isinstance(g, nx.MultiDiGraph)
        assert g.has_edge("sensetime-group-ltd", "shenzhen-sensetime")
    # closed: the database connection is gone
    with pytest.raises(Exception, match="closed"):
        ws.store.counts()


def test_rows_to_frame(sensetime_ws: Workspace) -> None:
    view = sensetime_ws.graph(as_of="2022-01-07")
    rows = stats(view)
    assert isinstance(rows, Rows) and all(isinstance(r, StatRow) for r in rows)
    frame = rows.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["kind", "count"]
    assert frame.set_index("kind").loc["entities", "count"] == 8
    found = search(view, "sensetime")
    sf = found.to_frame()
    assert list(sf.columns) == ["id", "name", "kind", "jurisdiction", "matched"]
    assert sf["id"].tolist()[:2] == ["sensetime-group-inc", "sensetime-group-ltd"]
    assert Rows().to_frame().empty
    assert rows_to_frame(rows).equals(frame)


def test_show_is_json_ready(sensetime_ws: Workspace) -> None:
    view = sensetime_ws.graph(as_of="2022-01-07")
    d = show(view, "registration:HK:2162198")
    data = json.loads(json.dumps(d.model_dump(mode="json")))
    assert data["id"] == "sensetime-group-ltd"
    assert [x["regime"] for x in data["designations"]] == ["ofac-ns-cmic"]
    assert data["designations"][0]["listed"] == "2021-12-10"
    assert data["as_of"] == "2022-01-07"
    with pytest.raises(ValueError):
        d.id = "x"  # type: ignore[misc]


def test_search_by_id_identifier_and_alias(sensetime_ws: Workspace) -> None:
    view = sensetime_ws.graph()
    (hit, *_rest) = search(view, "registration:HK:2162198")
    assert (hit.id, hit.matched) == ("sensetime-group-ltd", "registration:HK:2162198")
    assert [r.id for r in search(view, "商汤")] == ["sensetime-group-inc"]
    assert search(view, "商汤")[0].matched == "商汤集团股份有限公司"
    assert [r.id for r in search(view, "sensetime", limit=2)] == [
        "sensetime-group-inc",
        "sensetime-group-ltd",
    ]
    assert list(search(view, "no such thing")) == []


def test_error_hierarchy() -> None:
    for cls in (InputError, WorkspaceError, NotFoundError, EngineError):
        assert issubclass(cls, OwnergraphError)
    for cls in (ShareError, DateError, FormatError):
        assert issubclass(cls, InputError) and issubclass(cls, ValueError)
    assert issubclass(NotFoundError, KeyError)
    assert str(NotFoundError("no entity answers to 'x'")) == "no entity answers to 'x'"
    e = InputError("bad", file="f.csv", line=3, field="share", value="150", fix="fix it")
    assert str(e) == "f.csv:line 3: field 'share' = '150': bad (fix it)"
    assert str(InputError("bad", value="v")) == "'v': bad"
    assert str(InputError("bad", file="f.jsonl", line="record 9")) == "f.jsonl:record 9: bad"
    located = InputError("bad", value="v").located(file="g.csv", line=4, field="x")
    assert (located.file, located.line, located.field, located.value) == ("g.csv", 4, "x", "v")
    assert str(InputError("bad", value="x" * 500)).count("x") == 120
