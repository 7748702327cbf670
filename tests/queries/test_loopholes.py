"""Loophole patterns (SPEC §7): each planted motif fires and its near miss does not; the
SenseTime case gives the findings of SPEC §1; finding ids are stable; a networkx reference
agrees with the array kernels on random graphs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ownergraph
from ownergraph.errors import InputError
from ownergraph.graph.model import REGIME_IDS
from ownergraph.graph.view import GraphView
from ownergraph.graph.workspace import Workspace
from ownergraph.queries.loopholes import (
    PATTERNS,
    LoopholeRow,
    canonical_nodes,
    loopholes,
    name_similarity,
    name_tokens,
    regime_status,
)
from ownergraph.queries.restricted import restricted
from ownergraph.queries.rows import finding_id

loopholes_module = importlib.import_module("ownergraph.queries.loopholes")


def _motifs() -> ModuleType:
    name = "ownergraph_tests_motifs"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("motifs.py"))
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


M = _motifs()


def _view(tmp_path: Path, motifs: list[Any], name: str = "ws") -> tuple[Workspace, GraphView]:
    ws = ownergraph.open(tmp_path / name)
    folders = [M.write_bundle(tmp_path / f"{name}-b{k}", m.records) for k, m in enumerate(motifs)]
    for report in ws.load(folders):
        assert report.rejected == 0, report.first_reject
    return ws, ws.graph(as_of=M.AS_OF)


def _touches(row: LoopholeRow, ids: tuple[str, ...]) -> bool:
    return bool(set(row.path) & set(ids))


# -- planted motifs --------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", PATTERNS)
def test_motif_fires_and_near_miss_does_not(tmp_path: Path, pattern: str) -> None:
    fire = M.motif(pattern, True, "f-")
    miss = M.motif(pattern, False, "n-")
    ws, view = _view(tmp_path, [fire, miss])
    try:
        rows = loopholes(view, patterns=[pattern], regimes=[fire.regime, *fire.also])
        for regime in (fire.regime, *fire.also):
            hits = [r for r in rows if r.regime == regime and r.path == list(fire.path)]
            assert len(hits) == 1, (regime, [(r.regime, r.path) for r in rows])
            row = hits[0]
            assert row.pattern == pattern
            assert row.finding_id == finding_id(pattern, regime, row.path)
            if fire.mic:
                assert row.mic == fire.mic
            assert row.explanation and row.explanation.endswith(".")
            assert row.edges and all(e.source for e in row.edges)
            assert {row.designated_id, row.subject_id} <= set(fire.ids)
        assert not [r for r in rows if _touches(r, miss.ids)], [r.path for r in rows if _touches(r, miss.ids)]
    finally:
        ws.close()


def test_all_motifs_in_one_graph(tmp_path: Path) -> None:
    motifs = M.all_motifs()
    ws = ownergraph.open(tmp_path / "ws")
    try:
        ws.load([M.write_bundle(tmp_path / "b", M.merge(m.records for m in motifs))])
        rows = loopholes(ws.graph(as_of=M.AS_OF))
        got = {(r.pattern, r.regime, tuple(r.path)) for r in rows}
        for m in motifs:
            mine = {g for g in got if g[0] == m.pattern and set(g[2]) & set(m.ids)}
            if m.fires:
                for regime in (m.regime, *m.also):
                    assert (m.pattern, regime, m.path) in mine, m.name
            else:
                assert not mine, (m.name, mine)
        assert len({r.finding_id for r in rows}) == len(rows)
        keys = [(PATTERNS.index(r.pattern), r.regime, r.designated_id, r.subject_id, r.path) for r in rows]
        assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    finally:
        ws.close()


def test_aggregation_split_regime_semantics(tmp_path: Path) -> None:
    ws, view = _view(tmp_path, [M.motif("aggregation-split", True, "f-")])
    try:
        rows = {
            r.regime: r for r in loopholes(view, patterns=["aggregation-split"], regimes=["ofac-sdn", "uk"])
        }
        assert rows["ofac-sdn"].subject_status == "restricted"
        assert "only by aggregation" in rows["ofac-sdn"].explanation
        assert rows["uk"].subject_status == "not_restricted"
        assert "4.14" in rows["uk"].explanation
        assert {b.owner_status for b in rows["uk"].basis} == {"designated"}
    finally:
        ws.close()


def test_control_without_ownership_per_regime(tmp_path: Path) -> None:
    ws, view = _view(tmp_path, [M.motif("control-without-ownership", True, "f-")])
    try:
        rows = {r.regime: r for r in loopholes(view, patterns=["control-without-ownership"])}
        assert rows["ofac-sdn"].subject_status == "not_restricted"
        assert "FAQ 398" in rows["ofac-sdn"].explanation
        assert rows["eu"].subject_status == "restricted"
        assert "through control" in rows["eu"].explanation
        assert [e.kind for e in rows["eu"].edges] == ["board", "shares"]
    finally:
        ws.close()


def test_parameters(tmp_path: Path) -> None:
    miss_sub = M.motif("sub-threshold", False, "s-")
    miss_time = M.motif("timing", False, "t-")
    ws, view = _view(tmp_path, [miss_sub, miss_time])
    try:
        assert not loopholes(view, patterns=["sub-threshold", "timing"])
        wide = loopholes(view, patterns=["sub-threshold"], sub_threshold_band=(25.0, 50.0))
        assert [r.path for r in wide] == [["s-dp", "s-hold"]]
        late = loopholes(view, patterns=["timing"], timing_days=300)
        assert [r.path for r in late] == [["t-dp", "t-co"]]
        assert "273 days before" in late[0].explanation
        with pytest.raises(InputError):
            loopholes(view, patterns=["no-such-pattern"])
        with pytest.raises(InputError):
            loopholes(view, regimes=["ofac-xyz"])
        with pytest.raises(InputError):
            loopholes(view, sub_threshold_band=(50.0, 40.0))
        with pytest.raises(InputError):
            loopholes(view, max_depth=0)
    finally:
        ws.close()


def test_max_depth_bounds_listed_parent(tmp_path: Path) -> None:
    ws, view = _view(tmp_path, [M.motif("listed-parent", True, "f-")])
    try:
        assert loopholes(view, patterns=["listed-parent"], max_depth=2)
        assert not loopholes(view, patterns=["listed-parent"], max_depth=1)
    finally:
        ws.close()


def test_timing_ignores_changes_after_the_view_date(tmp_path: Path) -> None:
    fire = M.motif("timing", True, "f-")
    ws = ownergraph.open(tmp_path / "ws")
    try:
        ws.load([M.write_bundle(tmp_path / "b", fire.records)])
        assert not loopholes(ws.graph(as_of="2022-01-15"), patterns=["timing"])
        assert loopholes(ws.graph(as_of="2022-03-01"), patterns=["timing"])
    finally:
        ws.close()


# -- names -------------------------------------------------------------------------------------------


def test_name_similarity() -> None:
    assert name_tokens("SENSETIME GROUP LIMITED") == name_tokens("SenseTime Group Inc.")
    assert name_similarity("Acme Dynamics Limited", "Acme Dynamics Inc.") == 1.0
    assert name_similarity("Acme Dynamics Limited", "Borealis Capital Inc.") == 0.0
    assert name_similarity("Acme Dynamics Ltd", "Acme Dynamics Holdings Inc") == pytest.approx(2 / 3)
    assert name_tokens("Ltd") == frozenset({"ltd"})


# -- the SenseTime case ------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["2022-01-07", "2026-11-26"])
def test_sensetime(sensetime_ws: Workspace, as_of: str) -> None:
    rows = loopholes(sensetime_ws.graph(as_of=as_of))
    by = {(r.pattern, r.regime, tuple(r.path)): r for r in rows}
    lp = by[("listed-parent", "ofac-ns-cmic", ("sensetime-group-inc", "sensetime-group-ltd"))]
    assert (lp.mic, lp.ticker) == ("XHKG", "0020")
    assert (lp.designated_id, lp.subject_id) == ("sensetime-group-ltd", "sensetime-group-inc")
    assert lp.edges[0].share == "unknown" and lp.edges[0].share_min is None
    assert "FAQ 857" in lp.explanation and "share unknown" in lp.explanation
    assert "SenseTime Group Inc. (listed on XHKG as 0020)" in lp.explanation
    bis = by[("listed-parent", "bis-entity-list", ("sensetime-group-inc", "beijing-sensetime"))]
    assert bis.mic == "XHKG" and bis.designated_status == "designated"
    nm = [r for r in rows if r.pattern == "name-mismatch"]
    assert [(r.regime, r.designated_id, r.subject_id) for r in nm] == [
        ("ofac-ns-cmic", "sensetime-group-ltd", "sensetime-group-inc")
    ]
    assert "issuer-unconfirmed" in nm[0].explanation
    assert "SenseTime Group Inc.." not in nm[0].explanation
    ua = [r for r in rows if r.pattern == "unlisted-affiliate"]
    assert [r.subject_id for r in ua] == ["sensetime-group-inc"]
    json.dumps([r.model_dump(mode="json") for r in rows])
    for r in rows:
        assert r.as_of.isoformat() == as_of
        for field in (
            "pattern",
            "regime",
            "designated_id",
            "subject_id",
            "path",
            "explanation",
            "finding_id",
        ):
            assert getattr(r, field)


def test_sensetime_finding_ids_are_stable(tmp_path: Path, sensetime_dir: Path) -> None:
    found = []
    for k in range(2):
        ws = ownergraph.open(tmp_path / f"ws{k}")
        try:
            ws.load([sensetime_dir])
            rows = loopholes(ws.graph(as_of="2022-01-07"))
            found.append([(r.finding_id, r.pattern, r.regime, r.path, r.explanation) for r in rows])
        finally:
            ws.close()
    assert found[0] == found[1]
    ids = {f[0]: f for f in found[0]}
    assert len(ids) == len(found[0])
    assert finding_id("listed-parent", "ofac-ns-cmic", ["sensetime-group-inc", "sensetime-group-ltd"]) in ids


def test_sensetime_info_regime_only_when_asked(sensetime_ws: Workspace) -> None:
    view = sensetime_ws.graph(as_of="2026-11-26")
    assert all(r.regime != "info" for r in loopholes(view))
    rows = loopholes(view, regimes=["info"], patterns=["listed-parent"])
    assert rows == []  # the 1260H entity is the listed parent itself


# -- against a networkx reference on random graphs ----------------------------------------------------


@st.composite
def _graphs(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(3, 9))
    raw = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(["100", "30", ""])),
            max_size=14,
        )
    )
    edges = list({(a, b): s for a, b, s in raw if a != b}.items())
    designated = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=3))
    listed = draw(st.sets(st.integers(0, n - 1), max_size=4))
    return {"n": n, "edges": edges, "designated": designated, "listed": listed}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(g=_graphs(), depth=st.integers(1, 4))
def test_listed_parent_and_cycle_match_networkx(
    tmp_path_factory: pytest.TempPathFactory, g: dict[str, Any], depth: int
) -> None:
    tmp = tmp_path_factory.mktemp("nx")
    rec = {
        "entities": [{"id": f"x{i}", "name": f"Entity {i}", "kind": "company"} for i in range(g["n"])],
        "ownership": [
            {"owner_id": f"x{a}", "owned_id": f"x{b}", "share": s, "source": "t"} for (a, b), s in g["edges"]
        ],
        "listings": [{"entity_id": f"x{i}", "mic": "XNYS", "ticker": f"T{i}"} for i in sorted(g["listed"])],
        "designations": [
            {"entity_id": f"x{i}", "regime": "ofac-ns-cmic", "listed": "2020-01-01"}
            for i in sorted(g["designated"])
        ],
    }
    ws = ownergraph.open(tmp / "ws")
    try:
        ws.load([M.write_bundle(tmp / "b", rec)])
        rows = loopholes(
            ws.graph(as_of="2024-01-01"),
            regimes=["ofac-ns-cmic"],
            patterns=["listed-parent", "cycle"],
            max_depth=depth,
        )
    finally:
        ws.close()
    G: nx.DiGraph[str] = nx.DiGraph()
    G.add_nodes_from(f"x{i}" for i in range(g["n"]))
    G.add_edges_from((f"x{a}", f"x{b}") for (a, b), _ in g["edges"])
    want = set()
    for d in g["designated"]:
        dist = nx.single_source_shortest_path_length(G.reverse(copy=False), f"x{d}", cutoff=depth)
        for node, k in dist.items():
            i = int(node[1:])
            if k > 0 and i in g["listed"] and i not in g["designated"]:
                want.add((f"x{d}", node, k))
    got = {(r.designated_id, r.subject_id, len(r.path) - 1) for r in rows if r.pattern == "listed-parent"}
    assert got == want
    for r in rows:
        for e, (a, b) in zip(r.edges, zip(r.path, r.path[1:], strict=False), strict=True):
            assert {e.owner_id, e.owned_id} == {a, b}
    sccs = [c for c in nx.strongly_connected_components(G) if len(c) > 1]
    want_cycles = {frozenset(c) for c in sccs if {f"x{d}" for d in g["designated"]} & c}
    got_cycles = set()
    for r in rows:
        if r.pattern == "cycle":
            scc = next(c for c in sccs if r.designated_id in c)
            assert set(r.path) <= scc
            got_cycles.add(frozenset(scc))
    assert got_cycles == want_cycles
    assert len([r for r in rows if r.pattern == "cycle"]) == len(want_cycles)
    for r in rows:
        if r.pattern == "cycle":
            assert r.path[0] == r.path[-1] == r.designated_id
            assert nx.is_path(G, r.path)


# -- statuses shared with exposure ------------------------------------------------------------------


def test_regime_status_codes_and_lazy_rows_match_restricted(tmp_path: Path) -> None:
    ws, view = _view(tmp_path, [M.motif(p, True, f"f{k}-") for k, p in enumerate(PATTERNS)])
    try:
        seen = 0
        for regime in REGIME_IDS:
            full = restricted(view, regime)
            st = regime_status(view, regime)
            assert regime_status(view, regime) is st  # once per view
            nodes = [view.index(r.id) for r in full]
            assert {view.id(int(n)) for n in np.flatnonzero(st.code)} == {r.id for r in full}
            assert [st.name(n) for n in nodes] == [r.status for r in full]
            assert len(st.rows) == len(full) and set(st.rows) == set(nodes)
            st.rows.prefetch(nodes[::2])  # a batch, then the rest one by one
            assert [st.rows[n] for n in nodes] == list(full)
            free = int(np.flatnonzero(st.code == 0)[0])
            assert free not in st.rows and st.rows.get(free) is None
            with pytest.raises(KeyError):
                st.rows[free]
            seen += len(full)
        assert seen > 12
    finally:
        ws.close()


def test_canonical_nodes_scan_agrees_with_the_index(
    sensetime_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = sensetime_ws.graph(as_of="2022-01-07")
    ids = view.ids()
    asked = [ids[3], "no-such-id", ids[0], ids[3], "", ids[-1]]
    want = [3, -1, 0, 3, -1, len(ids) - 1]
    assert canonical_nodes(view, asked).tolist() == want  # few ids: one scan of the id column
    monkeypatch.setattr(loopholes_module, "SCAN_MAX", 0)  # the name loopholes reads
    assert canonical_nodes(view, asked).tolist() == want  # the hash index, built once per view
    assert canonical_nodes(view, []).tolist() == []
