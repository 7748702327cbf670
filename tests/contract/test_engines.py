"""The contract test suite: every query on every engine, identical rows (SPEC §9, style.md §2.10).

One scenario runs through each engine of :func:`ownergraph.graph.engine.open_view`: the
in-memory engine on the workspace's tables laid out as the server lays them out (nodes in
canonical-id order, records in file order: no answer may depend on the layout), and the Neo4j
engine after
``neo4j_store.push(ws, uri, replace=True)`` (the ``neo4j_uri`` session fixture: a real server
from the Maven jars; skipped locally without java or the jars, failing in CI). Every query —
``restricted`` under each regime, ``loopholes``, ``ownership`` (up/down, direct and
look-through), ``path`` (k shortest, directed and not) and ``exposure`` — must give the same
rows (``model_dump(mode="json")``) as the in-memory engine on the workspace, and the same error
where it raises. Ties (equally short paths, equal candidates) are broken by canonical id.

Graphs: every regime vector of ``tests/queries/test_restricted.py`` (whose expected statuses
are checked on each engine too), the planted loophole motifs of ``tests/queries/motifs.py``,
the SenseTime case study with the OFAC and DoD files it cites, and seeded random graphs with
cycles, unknown and banded shares, dated and restated edges, listings and fund holdings.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

import ownergraph
from ownergraph.demo import demo_sources
from ownergraph.graph.backend import ENGINES
from ownergraph.graph.engine import open_view
from ownergraph.graph.model import REGIME_IDS, isin_check_digit
from ownergraph.graph.neo4j_store import push
from ownergraph.graph.neo4j_view import canonical_layout
from ownergraph.graph.view import GraphView
from ownergraph.graph.workspace import Workspace
from ownergraph.queries.exposure import exposure
from ownergraph.queries.loopholes import loopholes
from ownergraph.queries.ownership import ownership
from ownergraph.queries.paths import paths
from ownergraph.queries.regimes import get_regime, regime_params
from ownergraph.queries.restricted import _Engine, restricted
from tests.graph import conftest_neo4j
from tests.queries.graphs import build
from tests.queries.motifs import AS_OF as MOTIFS_AS_OF
from tests.queries.motifs import all_motifs, merge
from tests.queries.motifs import write_bundle as write_motifs
from tests.queries.test_restricted import VECTORS

neo4j_uri = conftest_neo4j.neo4j_uri  # the session fixture

Open = Callable[[str], GraphView]
"""``open(as_of)``: the engine's view of the workspace under test on a date."""


# -- engines ---------------------------------------------------------------------------------------


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def serve(engine: str, request: pytest.FixtureRequest) -> Iterator[Callable[[Workspace], Open]]:
    """``serve(ws)`` → ``open(as_of)``: the workspace through the engine under test (pushed first
    for Neo4j; for the memory engine, its tables in the server's canonical layout, to show that
    no answer depends on node numbers or record order). Views are closed at the end of the test."""
    views: list[GraphView] = []

    def serve_(ws: Workspace) -> Open:
        if engine == "memory":  # the same code on the server's layout: no answer may depend on it
            return lambda as_of: by_canonical_id(ws, as_of)
        uri = str(request.getfixturevalue("neo4j_uri"))
        auth = conftest_neo4j.neo4j_auth()
        push(ws, uri, replace=True, **auth)

        def open_(as_of: str) -> GraphView:
            view = open_view("neo4j", uri=uri, as_of=as_of, **auth)
            views.append(view)
            return view

        return open_

    yield serve_
    for v in views:
        close = getattr(v, "close", None)
        if close is not None:
            close()


# -- running every query on both engines -----------------------------------------------------------


def dump(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in rows]


def outcome(call: Callable[[], Sequence[Any]]) -> Any:
    """The rows of a query, or the error it raises (type and message)."""
    try:
        return dump(call())
    except Exception as e:  # the engines must fail the same way too
        return (type(e).__name__, str(e))


def same(what: str, want: Any, got: Any) -> None:
    """Assert identical outcomes; on failure name the query and the first differing row."""
    if want == got:
        return
    detail = ""
    if isinstance(want, list) and isinstance(got, list):
        k = next((i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b), None)
        if k is None:
            detail = f": {len(want)} rows in memory, {len(got)} on the engine"
        else:
            keys = [c for c in want[k] if want[k].get(c) != got[k].get(c)]
            detail = f": row {k} differs in {keys}: memory {want[k]!r} engine {got[k]!r}"
    raise AssertionError(f"{what}{detail}")


def by_canonical_id(ws: Workspace, as_of: str) -> GraphView:
    """The memory engine's view of the workspace in the canonical layout the Neo4j engine reads
    (nodes in canonical-id order, records in file order), instead of load and store order."""
    paths = ws.store.load_paths()
    return GraphView(canonical_layout(ws.tables(), paths), dt.date.fromisoformat(as_of), load_paths=paths)


@dataclass
class Plan:
    """What to ask on one date: entity ids for ownership, id pairs for paths, portfolio lines."""

    owners: Sequence[str]
    pairs: Sequence[tuple[str, str]]
    lines: Sequence[dict[str, Any]]
    regimes: Sequence[str] = REGIME_IDS


def check_all(ws: Workspace, open_: Open, as_of: str, plan: Plan) -> None:
    """Every query on the engine's view gives the memory engine's rows (or the same error).

    Nothing may depend on node numbers or record order, which the engines lay out differently
    (the workspace in load and store order, the server in the canonical order of
    :func:`~ownergraph.graph.neo4j_view.canonical_layout`): equally short paths and equal
    candidates are ordered by canonical id, and floating-point sums run in canonical-id order.
    """
    want, got = ws.graph(as_of), open_(as_of)
    assert (got.n, got.as_of) == (want.n, want.as_of)
    queries: list[tuple[str, Callable[[GraphView], Sequence[Any]]]] = []
    for regime in plan.regimes:
        queries.append((f"restricted({regime})", partial(restricted, regime=regime)))
    queries.append(("loopholes", loopholes))
    queries.append(
        ("loopholes(all regimes, max_depth=3)", partial(loopholes, regimes=REGIME_IDS, max_depth=3))
    )
    for key in plan.owners:
        for up in (True, False):
            for look in (False, True):
                queries.append(
                    (
                        f"ownership({key!r}, {'up' if up else 'down'}, look_through={look})",
                        partial(ownership, id=key, direction="up" if up else "down", look_through=look),
                    )
                )
    for a, b in plan.pairs:
        for directed in (False, True):
            what = f"paths({a!r}, {b!r}, k=3, directed={directed})"
            queries.append((what, partial(paths, a=a, b=b, k=3, directed=directed)))
    queries.append((f"exposure of {len(plan.lines)} lines", partial(exposure, holdings=plan.lines)))
    for what, query in queries:
        same(f"{what} as of {as_of}", outcome(lambda q=query: q(want)), outcome(lambda q=query: q(got)))
    assert got.m == want.m  # read last: on Neo4j the whole graph's arrays are read only when needed


def plan_for(view: GraphView, *, sample: int = 40, seed: int = 0) -> Plan:
    """A plan over a view: a sample of entities and pairs, and lines by id, ISIN, ticker, name."""
    rnd = random.Random(seed)
    ids = view.ids()
    owners = ids if len(ids) <= sample else rnd.sample(ids, sample)
    pairs = [(a, b) for a in ids for b in ids if a < b]
    if len(pairs) > sample:
        pairs = rnd.sample(pairs, sample)
    lines: list[dict[str, Any]] = [{"id": i, "weight": 1.0} for i in owners[:25]]
    for row in view.listing_rows(active_only=False)[:10]:
        if row["isin"]:
            lines.append({"isin": row["isin"]})
        if row["ticker"] and row["mic"]:
            lines.append({"ticker": row["ticker"], "mic": row["mic"]})
    lines += [{"name": view.name(0)}, {"id": "no-such-entity"}, {"lei": "5493000000000000000X"}, {}]
    return Plan(owners=owners, pairs=pairs, lines=lines)


# -- the regime vectors ------------------------------------------------------------------------------


@pytest.mark.neo4j
@pytest.mark.parametrize(("edges", "designations", "expected", "as_of", "jurisdictions"), VECTORS)
def test_regime_vectors(
    serve: Callable[[Workspace], Open],
    tmp_path: Path,
    edges: list[tuple[Any, ...]],
    designations: list[dict[str, Any]],
    expected: dict[str, dict[str, str]],
    as_of: str | None,
    jurisdictions: dict[str, str] | None,
) -> None:
    day = as_of or "2025-01-01"
    g = build(tmp_path / "g", edges, designations, jurisdictions=jurisdictions, as_of=day)
    try:
        open_ = serve(g.ws)
        view = open_(day)
        for regime, statuses in expected.items():
            assert {r.id: r.status for r in restricted(view, regime)} == statuses, regime
        check_all(g.ws, open_, day, plan_for(g.view(day)))
    finally:
        g.close()


# -- the planted loophole motifs ----------------------------------------------------------------------


@pytest.mark.neo4j
def test_loophole_motifs(serve: Callable[[Workspace], Open], tmp_path: Path) -> None:
    motifs = all_motifs(prefix="c-")
    bundle = write_motifs(tmp_path / "motifs", merge(m.records for m in motifs))
    ws = ownergraph.open(tmp_path / "ws")
    try:
        (report,) = ws.load([bundle])
        assert report.rejected == 0, report.first_reject
        open_ = serve(ws)
        view = open_(MOTIFS_AS_OF)
        found = {(r.pattern, r.regime, tuple(r.path)) for r in loopholes(view, regimes=REGIME_IDS)}
        for m in motifs:
            if m.fires:
                assert (m.pattern, m.regime, m.path) in found, m.name
        check_all(ws, open_, MOTIFS_AS_OF, plan_for(ws.graph(MOTIFS_AS_OF), sample=60))
    finally:
        ws.close()


# -- the SenseTime case study -----------------------------------------------------------------------

SENSETIME_DATES = ("2019-10-10", "2021-12-01", "2022-01-07", "2025-01-08", "2025-10-15", "2026-12-01")
SENSETIME_LINES: list[dict[str, Any]] = [
    {"ticker": "0020", "mic": "XHKG", "weight": 2.5},
    {"ticker": "20", "mic": "XHKG"},
    {"name": "SenseTime Group Inc."},
    {"id": "qualcomm"},
    {"id": "registration:HK:2162198"},
    {"id": "ofac:33114"},
    {"id": "sensetime-group-ltd"},
    {"id": "beijing-sensetime"},
    {"lei": "NOT-A-LEI"},
]


@pytest.fixture(scope="module")
def sensetime_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = ownergraph.open(tmp_path_factory.mktemp("sensetime") / "ws")
    for path, fmt in demo_sources():
        ws.load([path], format=fmt)
    yield ws
    ws.close()


@pytest.mark.neo4j
def test_sensetime_case(serve: Callable[[Workspace], Open], sensetime_ws: Workspace) -> None:
    open_ = serve(sensetime_ws)
    view = open_("2022-01-07")
    assert [r.path for r in loopholes(view, regimes=["ofac-ns-cmic"], patterns=["listed-parent"])] == [
        ["sensetime-group-inc", "sensetime-group-ltd"]
    ]
    assert view.index("registration:HK:2162198") == view.index("sensetime-group-ltd")
    case = ["sensetime-group-inc", "sensetime-group-ltd", "shenzhen-sensetime", "beijing-sensetime"]
    case.append("qualcomm")
    for day in SENSETIME_DATES:
        base = plan_for(sensetime_ws.graph(day), sample=30, seed=len(day))
        plan = Plan(
            owners=[*case, *base.owners[:10]],
            pairs=[(a, b) for a in case for b in case if a < b] + list(base.pairs[:10]),
            lines=SENSETIME_LINES + list(base.lines),
        )
        check_all(sensetime_ws, open_, day, plan)


# -- random graphs --------------------------------------------------------------------------------------


def _write(path: Path, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(columns))
        w.writeheader()
        for r in rows:
            w.writerow({c: "" if r.get(c) is None else r[c] for c in columns})


def _isin(body: str) -> str:
    return f"{body}{isin_check_digit(body)}"


def random_bundle(folder: Path, seed: int, n: int = 300) -> Path:
    """A seeded random bundle: mostly a DAG with back edges (cycles), exact, banded and unknown
    shares, all five edge kinds, joint arrangements, dated, ended and restated (superseded)
    records, designations under every regime (some removed), listings and fund holdings. Ids are
    not in load order, so node numbers differ between the engines."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True)

    def date() -> str:
        return f"{rnd.randint(2015, 2025)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"

    kinds = ["company"] * 6 + ["person", "fund", "government", "unknown"]
    ents = []
    for i in range(n):
        kind = rnd.choice(kinds)
        name = f"Group {i % (n // 4)} Holdings Ltd" if kind == "company" else f"{kind.title()} {i}"
        ents.append(
            {
                "id": f"r{rnd.randrange(10**6):06d}-{i}",
                "name": name,
                "kind": kind,
                "jurisdiction": rnd.choice(["CN", "HK", "US", "KY", "GB", "RU", ""]),
            }
        )
    ids = [e["id"] for e in ents]
    own: list[dict[str, Any]] = []
    for k in range(int(n * 1.6)):
        a, b = rnd.randrange(n), rnd.randrange(n)
        if a == b:
            continue
        if a > b and rnd.random() < 0.85:
            a, b = b, a
        r = rnd.random()
        if r < 0.1:
            share = ""
        elif r < 0.2:
            share = rnd.choice(["25-50", "(50,75]", ">50", "[10,25)", "(25,50)", "50"])
        else:
            share = str(rnd.randint(1, 100)) if rnd.random() < 0.7 else f"{rnd.uniform(1, 60):.2f}"
        row = {
            "owner_id": ids[a],
            "owned_id": ids[b],
            "share": share,
            "kind": rnd.choice(["shares"] * 10 + ["votes", "board", "control", "consolidation"]),
            "source": f"source {k % 7}",
        }
        if rnd.random() < 0.15:
            row["start"] = date()
        if rnd.random() < 0.1:
            row["end"] = max(date(), row.get("start") or "")
        if rnd.random() < 0.05:
            row["arrangement"] = "J1"
        own.append(row)
        if rnd.random() < 0.05:  # a later restatement of the same stake
            own.append({**row, "share": str(rnd.randint(1, 100)), "source": "restated"})
    des = []
    for i in rnd.sample(range(n), n // 12):
        listed = date()
        des.append(
            {
                "entity_id": ids[i],
                "regime": rnd.choice(REGIME_IDS),
                "listed": listed,
                "removed": date() if rnd.random() < 0.1 else None,
                "program": rnd.choice(["SDGT", "NPWMD] [IFSR", "CMIC-EO13959"]),
                "list": rnd.choice(["SDN List", "Entity List", "NS-CMIC"]),
                "source": "test designation",
            }
        )
    lis = []
    for i in rnd.sample(range(n), n // 15):
        lis.append(
            {
                "entity_id": ids[i],
                "mic": rnd.choice(["XHKG", "XNYS", "XNAS"]),
                "ticker": f"{rnd.randint(1, 9999):04d}",
                "isin": _isin(f"KY{rnd.randrange(10**9):09d}"),
                "listed": date(),
                "source": "test listing",
            }
        )
    hol = []
    for f in [i for i, e in enumerate(ents) if e["kind"] == "fund"]:
        for i in rnd.sample(range(n), 3):
            hol.append(
                {
                    "holder_id": ids[f],
                    "entity_id": ids[i],
                    "weight": round(rnd.random(), 3),
                    "as_of": date(),
                    "source": "test holding",
                }
            )
    _write(folder / "entities.csv", ["id", "name", "kind", "jurisdiction"], ents)
    _write(
        folder / "ownership.csv",
        ["owner_id", "owned_id", "share", "kind", "arrangement", "start", "end", "source"],
        own,
    )
    _write(
        folder / "designations.csv",
        ["entity_id", "regime", "list", "program", "listed", "removed", "source"],
        des,
    )
    _write(folder / "listings.csv", ["entity_id", "mic", "ticker", "isin", "listed", "source"], lis)
    _write(folder / "holdings.csv", ["holder_id", "entity_id", "weight", "as_of", "source"], hol)
    return folder


@pytest.mark.neo4j
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_graphs(serve: Callable[[Workspace], Open], tmp_path: Path, seed: int) -> None:
    ws = ownergraph.open(tmp_path / "ws")
    try:
        (report,) = ws.load([random_bundle(tmp_path / "bundle", seed)])
        assert report.rejected == 0, report.first_reject
        open_ = serve(ws)
        for day in ("2019-06-30", "2025-01-01"):
            check_all(ws, open_, day, plan_for(ws.graph(day), seed=seed))
    finally:
        ws.close()


# -- the factory --------------------------------------------------------------------------------------


def test_factory_rejects_unknown_engine_and_missing_workspace() -> None:
    from ownergraph.errors import InputError

    with pytest.raises(InputError, match="unknown engine"):
        open_view("sqlite")
    with pytest.raises(InputError, match="needs a workspace"):
        open_view("memory")


def test_factory_memory_engine_is_the_workspace_view(sensetime_ws: Workspace) -> None:
    view = open_view("memory", workspace=sensetime_ws, as_of=dt.date(2022, 1, 7))
    assert view is sensetime_ws.graph("2022-01-07")


@pytest.mark.neo4j
def test_cli_engine_option(
    serve: Callable[[Workspace], Open], engine: str, sensetime_ws: Workspace, request: pytest.FixtureRequest
) -> None:
    """``ownergraph --engine neo4j --uri ...`` prints what the memory engine prints."""
    from click.testing import CliRunner

    from ownergraph.cli import cli

    serve(sensetime_ws)  # pushes for neo4j
    memory = ["--workspace", str(sensetime_ws.path), "--as-of", "2022-01-07"]
    options = list(memory)
    if engine == "neo4j":
        auth = conftest_neo4j.neo4j_auth()
        options += ["--engine", "neo4j", "--uri", str(request.getfixturevalue("neo4j_uri"))]
        if auth["user"] is not None:
            options += ["--user", auth["user"]]
        if auth["password"] is not None:
            options += ["--password", auth["password"]]
    runner = CliRunner()
    for args in (
        ["restricted", "--format", "json"],
        ["loopholes", "--format", "json"],
        ["ownership", "registration:HK:2162198", "--look-through", "--format", "json"],
        ["path", "qualcomm", "shenzhen-sensetime", "--k", "2", "--format", "json"],
    ):
        got = runner.invoke(cli, [*options, *args], catch_exceptions=False)
        want = runner.invoke(cli, [*memory, *args], catch_exceptions=False)
        assert got.exit_code == 0, got.output
        assert got.output == want.output, args


# -- the work runs on the server --------------------------------------------------------------------


@pytest.mark.neo4j
def test_neo4j_view_reads_only_what_the_query_needs(
    neo4j_uri: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every query runs on the server (fixpoint rounds, BFS hops, cones, the bounded walks of
    ``loopholes`` and ``exposure``) and reads only the edges around its answers, never the
    whole graph's arrays, with the memory engine's rows."""
    ws = ownergraph.open(tmp_path / "ws")
    try:
        (report,) = ws.load([random_bundle(tmp_path / "bundle", 5)])
        assert report.rejected == 0, report.first_reject
        auth = conftest_neo4j.neo4j_auth()
        push(ws, neo4j_uri, replace=True, **auth)
        day = "2025-01-01"
        mem = ws.graph(day)
        plan = plan_for(mem, sample=10, seed=5)
        with open_view("neo4j", uri=neo4j_uri, as_of=day, **auth) as view:  # paths show ids only
            for a, b in plan.pairs:
                same(f"{a}-{b}", dump(paths(mem, a, b, k=2)), dump(paths(view, a, b, k=2)))
            assert "read edges" in view.timings and "read entities" not in view.timings, view.timings
        with open_view("neo4j", uri=neo4j_uri, as_of=day, **auth) as view:  # rows name a few entities
            for regime in ("ofac-sdn", "eu"):
                same(regime, dump(restricted(mem, regime)), dump(restricted(view, regime)))
            for key in plan.owners[:3]:
                same(key, outcome(lambda k=key: ownership(mem, k)), outcome(lambda k=key: ownership(view, k)))
            assert "names" in view.timings and "read entities" not in view.timings, view.timings
        bis_day = "2025-10-15"  # the BIS Affiliates rule in force: its scope reads jurisdictions
        with open_view("neo4j", uri=neo4j_uri, as_of=bis_day, **auth) as view:
            want_bis = dump(restricted(ws.graph(bis_day), "bis-entity-list"))
            assert any(r["status"] != "designated" for r in want_bis), "the bundle derives BIS rows"
            same("bis", want_bis, dump(restricted(view, "bis-entity-list")))
            assert "names" in view.timings and "read entities" not in view.timings, view.timings
        with open_view("neo4j", uri=neo4j_uri, as_of=day, **auth) as view:
            assert "Neo4jView" in repr(view) and not view.loaded
            for regime in REGIME_IDS:
                same(regime, dump(restricted(mem, regime)), dump(restricted(view, regime)))
            uk = _Engine(view, regime_params(get_regime("uk"), view.as_of))  # one unit per person
            people = [mem.id(int(x)) for x in mem.designated("uk").tolist()][:12]
            assert people, "the bundle designates people under the UK"
            for upper in (False, True):
                batched = view.fixpoints([[view.index(p)] for p in people], upper, uk.rule)
                assert batched == [view.fixpoints([[view.index(p)]], upper, uk.rule)[0] for p in people]
                want = mem.fixpoints([[mem.index(p)] for p in people], upper, uk.rule)
                by_id = [{view.id(x): r for x, r in fp.items()} for fp in batched]
                assert by_id == [{mem.id(x): r for x, r in fp.items()} for fp in want]
            for a, b in plan.pairs:
                same(f"{a}-{b}", dump(paths(mem, a, b, k=3)), dump(paths(view, a, b, k=3)))
            for key in plan.owners:
                for look in (False, True):
                    want = outcome(lambda k=key, lt=look: ownership(mem, k, look_through=lt))
                    same(key, want, outcome(lambda k=key, lt=look: ownership(view, k, look_through=lt)))
            assert not view.loaded, view.timings
            assert "read edges" in view.timings and "read entities" not in view.timings, view.timings
        for query in (
            partial(loopholes, regimes=REGIME_IDS),
            partial(loopholes, max_depth=2),
            partial(exposure, holdings=plan.lines),
            partial(exposure, holdings=plan.lines, max_depth=2),
        ):
            with open_view("neo4j", uri=neo4j_uri, as_of=day, **auth) as view:
                want = dump(query(mem))
                assert want, "the bundle gives rows"
                same(repr(query), want, dump(query(view)))
                assert not view.loaded, view.timings
        with open_view("neo4j", uri=neo4j_uri, as_of=day, **auth) as view:
            assert view.m == mem.m and view.loaded  # the whole graph's arrays, read when asked for
    finally:
        ws.close()
