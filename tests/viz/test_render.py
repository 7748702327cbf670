"""Unit tests of the picture on the HTML string: offline, the embedded DataSets, escaping, styles,
layouts, neighbourhood collapsing and the notebook return value."""

from __future__ import annotations

import datetime as dt
import decimal
import html as htmllib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ownergraph.errors import InputError, NotFoundError, OwnergraphError
from ownergraph.graph.view import GraphView
from ownergraph.graph.workspace import Workspace
from ownergraph.queries.paths import paths
from ownergraph.queries.restricted import restricted
from ownergraph.viz import (
    EDGE_STYLES,
    HIERARCHICAL_MAX,
    HIGHLIGHT_COLOR,
    HIGHLIGHT_WIDTH,
    REGIME_COLORS,
    STATUS_COLORS,
    neighbourhood,
    render,
    render_html,
)
from ownergraph.viz.render import _plain
from tests.viz.conftest import AS_OF, IMG, XSS_HREF, XSS_IMG, XSS_SCRIPT, dataset

INC, LTD, BJ, SZ = "sensetime-group-inc", "sensetime-group-ltd", "beijing-sensetime", "shenzhen-sensetime"
LISTED_PARENT_PATHS = [[INC, LTD], [INC, BJ]]
EXTERNAL = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I)


def by_id(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n["og_id"]: n for n in nodes if n.get("og_id")}


def header(page: str) -> str:
    start = page.index('<header class="og-header"')
    return page[start : page.index("</header>", start)]


# -- offline -------------------------------------------------------------------------------------
def test_page_is_self_contained(st_view: GraphView) -> None:
    page = render_html(st_view, focus=INC, depth=2, highlight=LISTED_PARENT_PATHS)
    assert EXTERNAL.search(page) is None
    assert "cdn.jsdelivr.net" not in page and "cdnjs.cloudflare.com" not in page
    assert "vis-network" in page and "new vis.Network(" in page  # vis inlined, not linked
    assert page.count("<h1") == 1  # pyvis's empty duplicate headings are gone
    assert 'id="select-node"' not in page and "TomSelect" not in page  # no unescaped select menu


def test_counts_of_the_embedded_datasets(st_view: GraphView) -> None:
    page = render_html(st_view, focus=INC, depth=2)
    nodes, edges = dataset(page, "nodes"), dataset(page, "edges")
    g = st_view.to_networkx()
    assert len(nodes) == g.number_of_nodes() == 8
    assert len(edges) == g.number_of_edges() == 7
    assert {n["og_id"] for n in nodes} == set(g.nodes)
    assert len({n["id"] for n in nodes}) == 8 and len({e["id"] for e in edges}) == 7
    assert "8 entities, 7 edges" in header(page)
    # depth 1 around the designated subsidiary: its parent and its subsidiary only
    small = render_html(st_view, focus=LTD, depth=1)
    assert {n["og_id"] for n in dataset(small, "nodes")} == {INC, LTD, SZ}
    assert len(dataset(small, "edges")) == 2


def test_write_returns_the_path(st_view: GraphView, tmp_path: Path) -> None:
    out = render(st_view, tmp_path / "deep" / "er" / "st.html", focus=INC)
    assert isinstance(out, Path) and out.exists()
    page = out.read_text(encoding="utf-8")
    assert page.lstrip().startswith("<html>") and "as of 2022-01-07" in page


# -- escaping ------------------------------------------------------------------------------------
def test_data_is_escaped_in_heading_legend_and_explanation(evil_view: GraphView) -> None:
    rows = [
        {
            "finding_id": "abc<i>",
            "pattern": "listed-parent",
            "regime": "ofac-sdn",
            "designated_id": "evil",
            "subject_id": "parent",
            "path": ["parent", "evil"],
            "explanation": f"{XSS_IMG} sits under {XSS_SCRIPT}",
        }
    ]
    page = render_html(rows, view=evil_view, title=f"Case {IMG}")
    head = header(page)
    assert f'<h1 class="og-title" id="og-title">Case {htmllib.escape(IMG)}</h1>' in head
    assert htmllib.escape(XSS_IMG) in head and htmllib.escape(XSS_SCRIPT) in head
    assert f"<title>Case {htmllib.escape(IMG)} — as of {AS_OF}</title>" in page
    for raw in (IMG, XSS_IMG, XSS_SCRIPT, XSS_HREF, "Co <b>", "<i>9</i>", "abc<i>"):
        assert raw not in page, raw  # nowhere: not in the header, not in the DataSet JSON
    # the DataSet keeps the text itself (vis draws labels, sets tooltips with innerText)
    nodes = by_id(dataset(page, "nodes"))
    assert nodes["evil"]["label"].startswith(XSS_IMG[:30])
    assert XSS_IMG in nodes["evil"]["title"] and "source: " + XSS_IMG in nodes["evil"]["title"]
    assert "<br" not in nodes["evil"]["title"] and "\n" in nodes["evil"]["title"]
    # the auto title of a finding is escaped too
    auto = render_html(rows, view=evil_view)
    assert htmllib.escape("Finding abc<i>: listed-parent under ofac-sdn") in header(auto)


def test_href_in_a_title_does_not_turn_on_pyvis_innerhtml_popup(evil_view: GraphView) -> None:
    page = render_html(evil_view, focus="href", depth=0)
    assert "href trap" in json.dumps(dataset(page, "nodes"))
    # pyvis's tooltip_link template: popup.innerHTML = nodeData[0].title
    assert "popup.className = 'popup'" not in page and "nodeData[0].title" not in page


def test_row_values_from_numpy_and_dates_are_coerced() -> None:
    assert _plain(
        {"a": np.int64(3), "b": [np.float64(0.5), dt.date(2022, 1, 7)], "c": decimal.Decimal("2")}
    ) == {
        "a": 3,
        "b": [0.5, "2022-01-07"],
        "c": 2.0,
    }
    assert _plain(float("nan")) is None and _plain(np.bool_(True)) is True
    rows = [{"path": ["a", "b"], "rank": np.int64(1), "as_of": dt.date(2022, 1, 7)}]
    page = render_html(rows)  # no view: only what the rows carry
    assert "as of 2022-01-07" in header(page)
    assert len(dataset(page, "nodes")) == 2


# -- rows ----------------------------------------------------------------------------------------
def test_path_rows_highlight_their_edges(st_view: GraphView) -> None:
    rows = paths(st_view, LTD, BJ)
    page = render_html(rows, view=st_view, depth=0)
    nodes, edges = dataset(page, "nodes"), dataset(page, "edges")
    assert {n["og_id"] for n in nodes} == {LTD, INC, BJ}
    hot = {(e["og_from"], e["og_to"]) for e in edges if e["og_highlight"]}
    assert hot == {(INC, LTD), (INC, BJ)}
    for e in edges:
        if e["og_highlight"]:
            assert e["color"]["color"] == HIGHLIGHT_COLOR and e["width"] == HIGHLIGHT_WIDTH
    assert all(n["og_path"] for n in nodes)
    assert "Path 1 (2 hops)" in header(page)
    # with the 1-hop neighbourhood: the investors and Shenzhen come in, not highlighted
    wide = render_html(rows, view=st_view)
    assert len(dataset(wide, "nodes")) == 8
    assert sum(e["og_highlight"] for e in dataset(wide, "edges")) == 2


def test_json_rows_without_a_view_draw_what_they_carry() -> None:
    row = {
        "rank": 1,
        "length": 1,
        "path": ["a", "b"],
        "edges": [{"owner_id": "a", "owned_id": "b", "kind": "votes", "share": "(25,50]", "source": "x"}],
    }
    page = render_html([row])
    edges = dataset(page, "edges")
    assert len(dataset(page, "nodes")) == 2 and len(edges) == 1
    assert edges[0]["label"] == "votes (25,50]%" and edges[0]["og_highlight"]
    assert "as of: not stated" in header(page)


def test_restricted_rows_draw_basis_owners_to_subject(bundle: Callable[..., Path], ws: Workspace) -> None:
    folder = bundle(
        "r",
        entities=[{"id": i, "name": i.upper()} for i in ("x", "y", "a", "b")],
        ownership=[
            {"owner_id": "x", "owned_id": "a", "share": "30"},
            {"owner_id": "y", "owned_id": "a", "share": "30"},
            {"owner_id": "a", "owned_id": "b", "share": "100"},
        ],
        designations=[
            {"entity_id": "x", "regime": "ofac-sdn", "listed": "2020-01-01"},
            {"entity_id": "y", "regime": "ofac-sdn", "listed": "2020-01-01"},
        ],
    )
    ws.load([folder])
    view = ws.graph(as_of=AS_OF)
    row = next(r for r in restricted(view, "ofac-sdn") if r.id == "a")
    assert row.status == "restricted" and {b.owner_id for b in row.basis} == {"x", "y"}
    page = render_html(row, view=view, depth=0)
    nodes = by_id(dataset(page, "nodes"))
    assert set(nodes) == {"x", "y", "a"}
    assert nodes["a"]["color"]["background"] == STATUS_COLORS["restricted"]
    assert "restricted (ofac-sdn)" in nodes["a"]["label"]
    assert nodes["x"]["color"]["background"] == REGIME_COLORS["ofac-sdn"]
    hot = {(e["og_from"], e["og_to"]) for e in dataset(page, "edges") if e["og_highlight"]}
    assert hot == {("x", "a"), ("y", "a")}
    assert htmllib.escape(row.explanation) in header(page)
    assert "A: restricted under ofac-sdn" in header(page)


def test_statuses_colour_a_neighbourhood(st_view: GraphView) -> None:
    fake = {"id": SZ, "status": "possibly_restricted", "regime": "eu"}
    nodes = by_id(dataset(render_html(st_view, focus=LTD, statuses=[fake]), "nodes"))
    assert nodes[SZ]["color"]["background"] == STATUS_COLORS["possibly_restricted"]
    assert "possibly restricted (eu)" in nodes[SZ]["label"]
    assert "possibly restricted under eu" in nodes[SZ]["title"]


# -- styles --------------------------------------------------------------------------------------
def test_node_and_edge_styles(st_view: GraphView, evil_view: GraphView) -> None:
    page = render_html(st_view, focus=INC, depth=2)
    nodes, edges = by_id(dataset(page, "nodes")), dataset(page, "edges")
    assert "XHKG:0020" in nodes[INC]["label"]
    assert nodes[INC]["color"]["background"] == STATUS_COLORS["listed"]
    assert nodes[LTD]["color"]["background"] == REGIME_COLORS["ofac-ns-cmic"]
    assert nodes[BJ]["color"]["background"] == REGIME_COLORS["bis-entity-list"]
    assert nodes[INC]["shape"] == "square" and nodes["fidelity-international"]["shape"] == "diamond"
    title = nodes[LTD]["title"]
    for part in (f"id: {LTD}", "jurisdiction: HK", "designated (ofac-ns-cmic)", "OFAC consolidated list"):
        assert part in title
    labels = {(e["og_from"], e["og_to"]): e["label"] for e in edges}
    assert labels[(LTD, SZ)] == "100%" and labels[(INC, LTD)] == "unknown"
    assert "source: US Treasury press release" in next(e["title"] for e in edges if e["og_to"] == SZ)
    legend = header(page)
    assert "designated: ofac-ns-cmic" in legend and "listed" in legend and "shares" in legend
    evil = {(e["og_from"], e["og_to"]): e for e in dataset(render_html(evil_view, focus="parent"), "edges")}
    assert evil[("alert", "parent")]["dashes"] == EDGE_STYLES["votes"][1]
    assert evil[("script", "parent")]["dashes"] == EDGE_STYLES["board"][1]
    assert evil[("script", "parent")]["label"] == "board"
    assert evil[("parent", "evil")]["dashes"] is False


# -- layouts -------------------------------------------------------------------------------------
def _chain_bundle(bundle: Callable[..., Path], ws: Workspace, n: int) -> GraphView:
    ents = [{"id": f"e{i}", "name": f"E {i}", "kind": "person" if i < 10 else "company"} for i in range(n)]
    own = [{"owner_id": f"e{(i - 1) // 3}", "owned_id": f"e{i}", "share": "51"} for i in range(1, n)]
    own += [{"owner_id": f"e{i}", "owned_id": f"e{i - 1}", "share": "1"} for i in range(n - 5, n)]  # a cycle
    ws.load([bundle(f"chain{n}", entities=ents, ownership=own)])
    return ws.graph(as_of=AS_OF)


def test_small_pictures_are_hierarchical_top_down(st_view: GraphView) -> None:
    page = render_html(st_view, focus=INC, depth=2)
    opts = re.search(r"var options = (\{.*?\});\n", page)
    assert opts is not None
    options = json.loads(opts.group(1))
    assert (
        options["layout"]["hierarchical"]["enabled"]
        and options["layout"]["hierarchical"]["direction"] == "UD"
    )
    nodes = by_id(dataset(page, "nodes"))
    assert nodes["qualcomm"]["level"] < nodes[INC]["level"] < nodes[LTD]["level"] < nodes[SZ]["level"]
    assert options["nodes"]["font"]["multi"] is False and options["edges"]["font"]["multi"] is False


def test_large_pictures_have_positions_and_no_physics(bundle: Callable[..., Path], ws: Workspace) -> None:
    view = _chain_bundle(bundle, ws, HIERARCHICAL_MAX + 50)
    with pytest.raises(InputError, match="max_nodes"):
        render_html(view, max_nodes=100)
    page = render_html(view, max_nodes=None)
    opts = re.search(r"var options = (\{.*?\});\n", page)
    assert opts is not None
    options = json.loads(opts.group(1))
    assert options["physics"]["enabled"] is False and options["layout"]["hierarchical"]["enabled"] is False
    nodes = by_id(dataset(page, "nodes"))
    assert len(nodes) == view.n and all(
        isinstance(n["x"], int) and isinstance(n["y"], int) for n in nodes.values()
    )
    assert nodes["e0"]["y"] < nodes["e1"]["y"] < nodes["e4"]["y"]  # owners above owned
    assert "layout: layered" in header(page)


# -- neighbourhoods ------------------------------------------------------------------------------
def test_neighbourhood_collapses_beyond_max_nodes(bundle: Callable[..., Path], ws: Workspace) -> None:
    ents = [{"id": "hub", "name": "Hub"}] + [{"id": f"o{i}", "name": f"O{i}"} for i in range(30)]
    ents += [{"id": f"h{i}", "name": f"H{i}"} for i in range(40)]
    own = [{"owner_id": f"o{i}", "owned_id": "hub", "share": "1"} for i in range(30)]
    own += [{"owner_id": "hub", "owned_id": f"h{i}", "share": "100"} for i in range(40)]
    ws.load([bundle("star", entities=ents, ownership=own)])
    view = ws.graph(as_of=AS_OF)
    hood = neighbourhood(view, "hub", depth=1, max_nodes=10)
    assert len(hood.nodes) == 10 and hood.nodes[0] == view.index("hub")
    assert [(view.id(u), d, c) for u, d, c in hood.more] == [("hub", "owners", 21), ("hub", "holdings", 40)]
    assert neighbourhood(view, "hub", depth=0).nodes == (view.index("hub"),)
    full = neighbourhood(view, "hub", max_nodes=None)
    assert len(full.nodes) == 71 and not full.more and set(full.distance) == {0, 1}
    page = render_html(view, focus="hub", max_nodes=10)
    nodes, edges = dataset(page, "nodes"), dataset(page, "edges")
    summaries = [n for n in nodes if n.get("og_more")]
    assert sorted(n["label"] for n in summaries) == ["+21 more owners", "+40 more holdings"]
    assert len(nodes) == 12 and len(edges) == 9 + 2
    assert "61 more collapsed" in header(page)


def test_bad_input(st_view: GraphView) -> None:
    with pytest.raises(NotFoundError):
        render_html(st_view, focus="nope")
    with pytest.raises(InputError, match="view="):
        render_html(INC)
    with pytest.raises(InputError):
        render_html(42)
    with pytest.raises(InputError, match="nothing to draw"):
        render_html([{"foo": 1}], view=st_view)
    assert len(dataset(render_html(INC, view=st_view), "nodes")) == 7  # 4 investors, 2 subsidiaries


# -- notebooks -----------------------------------------------------------------------------------
def test_without_a_path_returns_ipython_html(st_view: GraphView) -> None:
    pytest.importorskip("IPython")
    from IPython.display import HTML

    out = render(st_view, focus=INC)
    assert isinstance(out, HTML)
    assert (
        out.data is not None
        and out.data.startswith('<div class="ownergraph-viz"><iframe srcdoc=')
        and "&lt;html&gt;" in out.data
    )


def test_without_ipython_a_path_is_required(st_view: GraphView, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "IPython.display", None)
    monkeypatch.setitem(sys.modules, "IPython", None)
    with pytest.raises(OwnergraphError, match="pass a path"):
        render(st_view, focus=INC)
