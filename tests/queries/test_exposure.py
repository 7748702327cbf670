"""Portfolio exposure (SPEC §7 ``exposure``): line resolution by every identifier, statuses per
regime, owners / subsidiaries / affiliates with paths, and NS-CMIC scope (OFAC FAQs 857, 860)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.workspace import Workspace
from ownergraph.queries.exposure import ExposureRow, exposure

SENSETIME_LINES: list[dict[str, Any]] = [
    {"ticker": "0020", "mic": "XHKG"},
    {"name": "SenseTime"},
    {"id": "qualcomm"},
]


def _pick(rows: list[ExposureRow], line: int, regime: str, relation: str | None = None) -> list[ExposureRow]:
    return [
        r
        for r in rows
        if r.line == line and r.regime == regime and (relation is None or r.relation == relation)
    ]


# -- the SenseTime case ------------------------------------------------------------------------------


def test_sensetime_portfolio(sensetime_ws: Workspace) -> None:
    rows = exposure(sensetime_ws.graph(as_of="2022-01-07"), SENSETIME_LINES)
    assert {(r.line, r.input, r.entity_id) for r in rows} == {
        (1, "XHKG:0020", "sensetime-group-inc"),
        (2, "SenseTime", "sensetime-group-inc"),
        (3, "qualcomm", "qualcomm"),
    }
    for line in (1, 2):
        (me,) = _pick(rows, line, "ofac-ns-cmic", "self")
        assert me.status == "not_restricted" and me.path == ["sensetime-group-inc"]
        assert "NOT covered" in me.explanation and "857" in me.explanation
        (sub,) = _pick(rows, line, "ofac-ns-cmic", "subsidiary")
        assert sub.related_id == "sensetime-group-ltd" and sub.related_status == "designated"
        assert sub.path == ["sensetime-group-inc", "sensetime-group-ltd"]
        assert sub.status == "not_restricted"
        assert "NOT in scope" in sub.explanation
        assert sub.edges[0].share == "unknown" and sub.edges[0].source
        (bis,) = _pick(rows, line, "bis-entity-list", "subsidiary")
        assert bis.related_id == "beijing-sensetime" and bis.depth == 1
    (q,) = _pick(rows, 3, "ofac-ns-cmic", "subsidiary")
    assert q.path == ["qualcomm", "sensetime-group-inc", "sensetime-group-ltd"] and q.depth == 2
    assert {r.regime for r in rows} == {
        "ofac-sdn",
        "ofac-ssi",
        "ofac-ns-cmic",
        "bis-entity-list",
        "eu",
        "uk",
        "info",
    }
    json.dumps([r.model_dump(mode="json") for r in rows])


def test_sensetime_2026(sensetime_ws: Workspace) -> None:
    rows = exposure(sensetime_ws.graph(as_of="2026-11-26"), SENSETIME_LINES, regimes=["info", "ofac-ns-cmic"])
    (me,) = _pick(rows, 1, "info", "self")
    assert me.status == "designated" and "1260H" in me.explanation
    (q,) = _pick(rows, 3, "info", "subsidiary")
    assert q.related_id == "sensetime-group-inc" and q.path == ["qualcomm", "sensetime-group-inc"]
    assert next(r.regime for r in rows if r.line == 1) == "ofac-ns-cmic"  # SPEC order


def test_designated_issuer_is_in_scope(sensetime_ws: Workspace) -> None:
    rows = exposure(
        sensetime_ws.graph(as_of="2022-01-07"),
        [{"id": "sensetime-group-ltd", "weight": "1.5"}],
        regimes=["ofac-ns-cmic"],
    )
    (me,) = _pick(rows, 1, "ofac-ns-cmic", "self")
    assert me.status == "designated" and me.weight == 1.5
    assert "in scope" in me.explanation and "2022-02-08" in me.explanation and "860" in me.explanation
    assert [r.relation for r in rows] == ["self"]  # parent and subsidiary are not on the list (FAQ 857)


def test_registration_number_resolves(sensetime_ws: Workspace) -> None:
    rows = exposure(
        sensetime_ws.graph(as_of="2022-01-07"), [{"id": "registration:HK:2162198"}], regimes=["ofac-ns-cmic"]
    )
    assert rows[0].entity_id == "sensetime-group-ltd" and rows[0].status == "designated"


# -- resolution ----------------------------------------------------------------------------------------


@pytest.fixture
def portfolio_ws(ws: Workspace, bundle: Callable[..., Path]) -> Workspace:
    folder = bundle(
        "p",
        entities=[
            {"id": "acme-1", "name": "Acme", "kind": "company", "jurisdiction": "US"},
            {"id": "acme-2", "name": "ACME", "kind": "company", "jurisdiction": "GB"},
            {"id": "acme-3", "name": "Acme Holdings", "aliases": "Acme", "kind": "company"},
            {
                "id": "parent",
                "name": "Zenith Group",
                "kind": "company",
                "identifiers": "lei:529900T8BM49AURSDO55",
            },
            {"id": "listed", "name": "Zenith Listed", "kind": "company"},
            {"id": "sanctioned", "name": "Zenith Defence", "kind": "company"},
            {"id": "dp", "name": "Boris Owner", "kind": "person"},
            {"id": "cmic", "name": "Red Star Avionics", "kind": "company"},
            {"id": "etf", "name": "Frontier ETF", "kind": "fund"},
        ],
        ownership=[
            {"owner_id": "parent", "owned_id": "listed", "share": "100", "source": "filing A"},
            {"owner_id": "parent", "owned_id": "sanctioned", "share": "100", "source": "filing B"},
            {"owner_id": "dp", "owned_id": "listed", "share": "30", "source": "filing C"},
        ],
        listings=[
            {
                "entity_id": "listed",
                "mic": "XNYS",
                "ticker": "ZNL",
                "isin": "US0378331005",
                "listed": "2010-01-01",
            },
            {"entity_id": "acme-1", "mic": "XNYS", "ticker": "ACM", "listed": "2010-01-01"},
            {"entity_id": "acme-2", "mic": "XLON", "ticker": "ACM", "listed": "2010-01-01"},
        ],
        designations=[
            {"entity_id": "sanctioned", "regime": "ofac-sdn", "listed": "2020-01-01", "source": "SDN"},
            {"entity_id": "dp", "regime": "ofac-sdn", "listed": "2020-01-01", "source": "SDN"},
            {"entity_id": "cmic", "regime": "ofac-ns-cmic", "listed": "2021-06-03", "source": "NS-CMIC"},
        ],
        holdings=[{"holder_id": "etf", "entity_id": "cmic", "weight": "0.7", "source": "ETF factsheet"}],
    )
    (report,) = ws.load([folder])
    assert report.rejected == 0, report.first_reject
    return ws


def test_resolution(portfolio_ws: Workspace) -> None:
    lines = [
        {"isin": "us0378331005"},
        {"ticker": "ZNL", "mic": "XNYS"},
        {"lei": "529900T8BM49AURSDO55"},
        {"name": "acme"},
        {"ticker": "ACM"},
        {"ticker": "ACM", "mic": "XLON"},
        {"ticker": "NOPE", "mic": "XNYS"},
        {"id": "no-such-id"},
        {"weight": "3"},
        {"name": "Zenith Defence"},
    ]
    rows = exposure(portfolio_ws.graph(as_of="2024-01-01"), lines, regimes=["ofac-sdn"])
    first = {r.line: r for r in rows}
    assert first[1].entity_id == "listed" and first[1].input == "US0378331005"
    assert first[2].entity_id == "listed" and first[2].input == "XNYS:ZNL"
    assert first[3].entity_id == "parent"
    assert first[4].entity_id is None and first[4].reason is not None
    assert first[4].reason.startswith("ambiguous name: 3 entities named 'acme'")
    assert first[5].entity_id is None and first[5].reason is not None and "ambiguous" in first[5].reason
    assert first[6].entity_id == "acme-2"
    assert first[7].reason == "no listing with ticker NOPE on XNYS"
    assert first[8].reason == "no entity answers to id 'no-such-id'"
    assert first[9].reason is not None and first[9].reason.startswith("no identifier")
    assert first[10].entity_id == "sanctioned" and first[10].status == "designated"
    for r in rows:
        if r.entity_id is None:
            assert r.regime is None and r.path == [] and r.status is None


def test_relations(portfolio_ws: Workspace) -> None:
    view = portfolio_ws.graph(as_of="2024-01-01")
    rows = exposure(view, [{"ticker": "ZNL", "mic": "XNYS"}, {"id": "parent"}], regimes=["ofac-sdn"])
    rel = {(r.line, r.relation, r.related_id): r for r in rows}
    aff = rel[(1, "affiliate", "sanctioned")]
    assert aff.path == ["listed", "parent", "sanctioned"] and aff.depth == 2
    assert "sideways" in aff.explanation and "Zenith Group" in aff.explanation
    own = rel[(1, "owner", "dp")]
    assert own.path == ["listed", "dp"] and own.edges[0].share == "30" and own.edges[0].source == "filing C"
    assert rel[(1, "self", "listed")].status == "not_restricted"
    sub = rel[(2, "subsidiary", "sanctioned")]
    assert sub.path == ["parent", "sanctioned"]
    assert [r.relation for r in rows if r.line == 1] == ["self", "owner", "affiliate"]
    few = exposure(view, [{"ticker": "ZNL", "mic": "XNYS"}], regimes=["ofac-sdn"], max_related=1)
    assert [r.relation for r in few] == ["self", "owner"]
    assert "1 more" in few[0].explanation
    shallow = exposure(view, [{"ticker": "ZNL", "mic": "XNYS"}], regimes=["ofac-sdn"], max_depth=1)
    assert [r.relation for r in shallow] == ["self", "owner"]


def test_fund_exposure_faq_860(portfolio_ws: Workspace) -> None:
    rows = exposure(portfolio_ws.graph(as_of="2024-01-01"), [{"id": "etf"}], regimes=["ofac-ns-cmic"])
    (sub,) = [r for r in rows if r.relation == "subsidiary"]
    assert sub.related_id == "cmic" and sub.path == ["etf", "cmic"]
    assert sub.edges[0].kind == "holding" and sub.edges[0].weight == 0.7
    assert "FAQ 860" in sub.explanation


def test_csv_input(portfolio_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "portfolio.csv"
    path.write_text("\ufeffISIN,Weight\nUS0378331005,2.5\n", encoding="utf-8")
    rows = exposure(portfolio_ws.graph(as_of="2024-01-01"), path, regimes=["ofac-sdn"])
    assert rows[0].entity_id == "listed" and rows[0].weight == 2.5
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(FormatError):
        exposure(portfolio_ws.graph(as_of="2024-01-01"), bad)
    with pytest.raises(InputError):
        exposure(portfolio_ws.graph(as_of="2024-01-01"), [{"id": "listed", "weight": "heavy"}])
    with pytest.raises(InputError):
        exposure(portfolio_ws.graph(as_of="2024-01-01"), [{"id": "listed"}], regimes=["nope"])
