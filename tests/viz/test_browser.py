"""The pictures in headless Chromium: drawn, offline, XSS-free, the path highlighted.

Every http(s) request is aborted and recorded; a test fails on any such request or page error.
The SenseTime screenshot goes to ``tests/artifacts/sensetime.png`` (git-ignored) for review.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ownergraph.graph.view import GraphView
from ownergraph.graph.workspace import Workspace
from ownergraph.viz import HIERARCHICAL_MAX, HIGHLIGHT_COLOR, HIGHLIGHT_WIDTH, render
from tests.viz.conftest import ARTIFACTS, AS_OF, IMG, XSS_HREF, XSS_IMG, XSS_SCRIPT, Opened

pytestmark = pytest.mark.browser

INC, LTD, BJ = "sensetime-group-inc", "sensetime-group-ltd", "beijing-sensetime"
OpenPage = Callable[[Path], Opened]


def _listed_parent_rows(view: GraphView) -> list[Any]:
    """The case's listed-parent findings."""
    from ownergraph.queries.loopholes import loopholes

    return [r for r in loopholes(view) if r.pattern == "listed-parent"]


def _clean(opened: Opened) -> None:
    assert opened.external == [], opened.external
    assert opened.errors == [], opened.errors


def _hover(opened: Opened, og_id: str) -> str:
    """Move the mouse onto a node and return the tooltip's text once vis shows it."""
    page = opened.page
    x, y = page.evaluate(
        """(ogId) => { const n = nodes.get({filter: (d) => d.og_id === ogId})[0];
        const p = network.canvasToDOM(network.getPositions([n.id])[n.id]);
        const r = document.querySelector('#mynetwork canvas').getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""",
        og_id,
    )
    page.mouse.move(x - 40, y - 40)
    page.mouse.move(x, y, steps=4)
    page.wait_for_function(
        "() => { const t = document.querySelector('div.vis-tooltip');"
        " return t && t.style.visibility !== 'hidden' && t.innerText.length > 0; }",
        timeout=10_000,
    )
    text: str = page.evaluate("() => document.querySelector('div.vis-tooltip').textContent")
    return text


def test_sensetime_case_draws_offline_with_both_listed_parent_paths(
    st_view: GraphView, tmp_path: Path, open_page: OpenPage
) -> None:
    rows = _listed_parent_rows(st_view)
    if rows:
        out = render(rows, tmp_path / "sensetime.html", view=st_view, depth=2)
    else:  # loophole rows not written yet: the same two paths, given directly
        out = render(
            st_view,
            tmp_path / "sensetime.html",
            focus=INC,
            depth=2,
            highlight=[[INC, LTD], [INC, BJ]],
            title="SenseTime: designated subsidiaries under a listed, unrestricted parent",
        )
    assert isinstance(out, Path)
    opened = open_page(out)
    info = opened.info()
    assert info["nodes"] == info["drawn"] == 8 and info["edges"] == 7
    assert info["ink"] > 200 and info["physics"] is False
    hot = opened.page.evaluate(
        "() => edges.get({filter: (e) => e.og_highlight})"
        ".map((e) => [e.og_from, e.og_to, e.color.color, e.width])"
    )
    assert sorted(map(tuple, hot)) == sorted(
        [(INC, LTD, HIGHLIGHT_COLOR, HIGHLIGHT_WIDTH), (INC, BJ, HIGHLIGHT_COLOR, HIGHLIGHT_WIDTH)]
    )
    meta = opened.page.text_content("#og-meta")
    assert meta is not None and f"as of {AS_OF}" in meta
    legend = opened.page.text_content("#og-legend")
    assert legend is not None and "designated: ofac-ns-cmic" in legend and "highlighted path" in legend
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened.page.screenshot(path=str(ARTIFACTS / "sensetime.png"), full_page=True)
    _clean(opened)


def test_hostile_names_show_as_text(evil_view: GraphView, tmp_path: Path, open_page: OpenPage) -> None:
    rows = [
        {
            "finding_id": "f1",
            "pattern": "listed-parent",
            "regime": "ofac-sdn",
            "designated_id": "evil",
            "subject_id": "parent",
            "path": ["parent", "evil"],
            "explanation": f"{XSS_IMG} is designated; {XSS_SCRIPT} {IMG}",
        }
    ]
    out = render(rows, tmp_path / "evil.html", view=evil_view, title=f"{IMG} {XSS_IMG}")
    assert isinstance(out, Path)
    opened = open_page(out)
    page = opened.page
    heading = page.evaluate("() => document.querySelector('h1, .og-title').textContent")
    assert IMG in heading and XSS_IMG in heading
    explanation = page.text_content("#og-explanation")
    assert explanation is not None and XSS_IMG in explanation and XSS_SCRIPT in explanation
    assert page.evaluate("() => document.querySelectorAll('img, a[href], b, i').length") == 0
    scripts_from_data = page.evaluate(
        "() => [...document.scripts].filter((s) => s.textContent.includes('window.__xss')).length"
    )
    assert scripts_from_data == 1  # the one script holding the DataSet JSON, as \\u003c-escaped text
    for og_id, name in (("evil", XSS_IMG), ("href", XSS_HREF), ("script", XSS_SCRIPT), ("alert", IMG)):
        tip = _hover(opened, og_id)
        assert name in tip and f"id: {og_id}" in tip
        assert page.evaluate("() => document.querySelectorAll('img, a[href], div.popup').length") == 0
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    info = opened.info()
    assert info["nodes"] == 5 and info["edges"] == 4 and info["ink"] > 0
    _clean(opened)


def test_large_picture_draws_at_once(
    bundle: Callable[..., Path], ws: Workspace, tmp_path: Path, open_page: OpenPage
) -> None:
    n = 2000
    ents = [
        {"id": f"e{i}", "name": f"Entity {i}", "kind": "person" if i < 50 else "company"} for i in range(n)
    ]
    own = [{"owner_id": f"e{(i - 1) // 3}", "owned_id": f"e{i}", "share": "51"} for i in range(1, n)]
    own += [{"owner_id": f"e{i}", "owned_id": f"e{i + 7}", "share": "(10,25]"} for i in range(0, n - 7, 5)]
    des = [{"entity_id": f"e{i}", "regime": "eu", "listed": "2020-01-01"} for i in range(0, n, 97)]
    ws.load([bundle("large", entities=ents, ownership=own, designations=des)])
    view = ws.graph(as_of=AS_OF)
    t = time.perf_counter()
    out = render(view, tmp_path / "large.html", max_nodes=None)
    py_secs = time.perf_counter() - t
    assert isinstance(out, Path)
    t = time.perf_counter()
    opened = open_page(out)
    browser_secs = time.perf_counter() - t
    info = opened.info()
    assert info["nodes"] == info["drawn"] == n > HIERARCHICAL_MAX
    assert info["edges"] == view.m and info["physics"] is False and info["ink"] > 0
    assert py_secs < 30 and browser_secs < 30, (py_secs, browser_secs)
    _clean(opened)
