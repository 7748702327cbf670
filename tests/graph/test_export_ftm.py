"""FtM export (SPEC §5, §7): every line validated with the real ``followthemoney`` library, and
round trips through our FtM loader — the SenseTime case study with the OFAC consolidated list and
the DoD 1260H list, and the real OpenSanctions Zala cluster.

What FtM cannot carry, and the round trip therefore does not assert (docs/sources.md, "Export to
FtM"): record provenance (``source``, file, locator — written as ``description``/``summary``,
re-loaded as "OpenSanctions: ..."), the kinds ``fund`` and ``unknown`` (re-loaded as companies),
a registration number whose country is not the entity's jurisdiction (written as a note),
jurisdictions FtM has no country code for (``US-DE``, ``NM``: written as a note), whitespace runs in
names (collapsed, as FtM keeps them), the ``history`` text of a designation period,
a designation's ``effective`` date except on NS-CMIC,
the ``programId`` added to a designation's programme when its list alone does not name the regime,
the arrangement of board/control edges, and the canonical id of an entity that did not come from
FtM (it becomes :func:`~ownergraph.graph.export_ftm.ftm_id`; its other strong ids are kept), and
holdings, claims and same-as records (no FtM schema).
"""

from __future__ import annotations

import collections
import datetime as dt
import importlib.util
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ownergraph
from ownergraph.cli import cli
from ownergraph.demo import load_demo
from ownergraph.graph.export import EXPORTERS
from ownergraph.graph.export_ftm import REGIME_PROGRAM_IDS, FtmExport, export_ftm, percentage_text
from ownergraph.graph.ftm_vocab import ARRANGEMENT_PREFIX, FTM_COUNTRIES, INFO_PROGRAM_ID
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.neo4j_store import iso_dates
from ownergraph.graph.shares import parse_share
from ownergraph.graph.workspace import Workspace
from ownergraph.loaders.ftm import parse_percentage
from tests.graph.conftest_neo4j import in_ci

FTM = Path(__file__).parents[2] / ".." / "shared" / "data" / "opensanctions_ftm"
ZALA = FTM / "yente_zala_entities.ftm.json"
LOST_KINDS = {"fund": "company", "unknown": "company"}


def require_followthemoney() -> Any:
    """The ``followthemoney`` model; skip locally (fail under CI) without the ``ftm`` extra."""
    if importlib.util.find_spec("followthemoney") is None:
        reason = "followthemoney not installed (pip install '.[ftm]'; needs libicu-dev pkg-config g++)"
        if in_ci():
            pytest.fail(f"CI needs the ftm extra: {reason}", pytrace=False)
        pytest.skip(reason)
    from followthemoney import model

    return model


# -- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ws, _reports = load_demo(tmp_path_factory.mktemp("demo"), echo=lambda _: None)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def zala_ws(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ws = ownergraph.open(tmp_path_factory.mktemp("zala") / "ws")
    (r,) = ws.load([ZALA])
    assert r.rejected == 0
    yield ws
    ws.close()


def export(ws: Workspace) -> tuple[FtmExport, list[dict[str, Any]]]:
    buf = io.StringIO()
    res = export_ftm(ws, buf)
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert len(lines) == res.total
    return res, lines


# -- validity with the followthemoney library ---------------------------------------------------------


def validate(model: Any, lines: list[dict[str, Any]]) -> collections.Counter[str]:
    """Strict: known concrete schema, every property defined on it and not a stub, every value valid
    for the property's type, every entity reference inside the file and within the range."""
    from followthemoney.types import registry

    schemata = {x["id"]: x["schema"] for x in lines}
    assert len(schemata) == len(lines), "duplicate ids"
    counts: collections.Counter[str] = collections.Counter()
    for x in lines:
        assert set(x) <= {"id", "schema", "caption", "properties", "referents"}, x
        schema = model.get(x["schema"])
        assert schema is not None and not schema.abstract, x["schema"]
        assert registry.entity.validate(x["id"]), x["id"]
        for name, values in x["properties"].items():
            prop = schema.get(name)
            assert prop is not None and not prop.stub, (x["schema"], name)
            assert values and all(isinstance(v, str) for v in values), (x["id"], name)
            for v in values:
                assert prop.type.validate(v), (x["id"], name, v)
                if prop.type == registry.entity:
                    assert v in schemata, (x["id"], name, v)
                    assert model.get(schemata[v]).is_a(prop.range), (x["id"], name, schemata[v])
        for required in schema.required:
            assert required in x["properties"], (x["id"], required)
        for ref in x.get("referents", []):
            assert registry.entity.validate(ref), ref
        proxy = model.get_proxy({k: x[k] for k in ("id", "schema", "properties")}, cleaned=False)
        assert {k: sorted(v) for k, v in proxy.to_dict()["properties"].items()} == {
            k: sorted(v) for k, v in x["properties"].items()
        }
        counts[x["schema"]] += 1
    return counts


def test_demo_lines_validate(demo_ws: Workspace) -> None:
    model = require_followthemoney()
    res, lines = export(demo_ws)
    assert validate(model, lines) == collections.Counter(res.lines)
    assert res.skipped == {}
    assert {"Company", "Ownership", "Sanction", "Security"} <= set(res.lines)


def test_zala_lines_validate(zala_ws: Workspace) -> None:
    model = require_followthemoney()
    res, lines = export(zala_ws)
    assert validate(model, lines) == collections.Counter(res.lines)
    assert {"Person", "Company", "Ownership", "Directorship", "Sanction"} <= set(res.lines)


# -- round trips through our loader ---------------------------------------------------------------------


def snapshot(ws: Workspace, ids: dict[str, str] | None = None) -> dict[str, Any]:
    """The graph as comparable values, entity ids mapped through ``ids`` (the export's id map)."""
    t = ws.tables()
    node_ids = t["nodes"].column("id").to_pylist()
    fid = [ids[i] for i in node_ids] if ids is not None else node_ids
    keys: dict[str, set[str]] = collections.defaultdict(set)
    for node, key in zip(t["keys"].column("node").to_pylist(), t["keys"].column("key").to_pylist(),
                         strict=True):
        if node >= 0 and key.split(":", 1)[0] in ("lei", "registration", "isin", "ofac", "wikidata"):
            keys[fid[node]].add(key)
    ents = {}
    for i, (name, kind, jur) in enumerate(zip(t["nodes"].column("name").to_pylist(),
                                              t["nodes"].column("kind").to_pylist(),
                                              t["nodes"].column("jurisdiction").to_pylist(), strict=True)):
        k = ENTITY_KINDS[kind]
        ents[fid[i]] = (name, LOST_KINDS.get(k, k), jur if jur and len(jur) == 2 else None)
    e = t["edges"]
    edges = collections.Counter(zip(
        (fid[i] for i in e.column("src").to_pylist()), (fid[i] for i in e.column("dst").to_pylist()),
        (OWNERSHIP_KINDS[k] for k in e.column("kind").to_pylist()), e.column("lo").to_pylist(),
        e.column("hi").to_pylist(), e.column("flags").to_pylist(),
        iso_dates(e.column("start").to_numpy()), iso_dates(e.column("end").to_numpy()),
        e.column("arrangement").to_pylist(), strict=True))
    d = t["designations"]
    regimes = [REGIME_IDS[r] for r in d.column("regime").to_pylist()]
    des = collections.Counter(zip(
        (fid[i] for i in d.column("node").to_pylist()), regimes, d.column("list").to_pylist(),
        iso_dates(d.column("listed").to_numpy()), iso_dates(d.column("removed").to_numpy()),
        (eff if r == "ofac-ns-cmic" else None
         for eff, r in zip(iso_dates(d.column("effective").to_numpy()), regimes, strict=True)),
        (_carried(r) for r in d.column("reference").to_pylist()),
        strict=True))
    programs = collections.Counter(zip((fid[i] for i in d.column("node").to_pylist()), regimes,
                                       d.column("program").to_pylist(), strict=True))
    li = t["listings"]
    listings = collections.Counter(zip(
        (fid[i] for i in li.column("node").to_pylist()), li.column("mic").to_pylist(),
        li.column("ticker").to_pylist(), li.column("isin").to_pylist(),
        iso_dates(li.column("listed").to_numpy()), iso_dates(li.column("delisted").to_numpy()),
        strict=True))
    return {"entities": ents, "keys": dict(keys), "edges": edges, "designations": des, "programs": programs,
            "listings": listings, "per_regime": collections.Counter(regimes)}


def _carried(reference: str | None) -> str | None:
    """A designation's reference as FtM carries it: ``authorityId`` values of at most 64 characters
    (else lost, and the loader makes ``OpenSanctions <Sanction id>`` of it)."""
    if not reference or reference.startswith("OpenSanctions og-san-"):
        return None
    return None if any(len(p) > 64 for p in reference.split("; ")) else reference


def round_trip(ws: Workspace, tmp_path: Path) -> tuple[FtmExport, dict[str, Any], dict[str, Any]]:
    path = tmp_path / "out.ftm.json"
    with open(path, "w", encoding="utf-8") as fh:
        res = export_ftm(ws, fh)
    with ownergraph.open(tmp_path / "ws2") as ws2:
        (report,) = ws2.load([path], format="ftm")
        assert report.rejected == 0, report.first_reject
        after = snapshot(ws2)
    return res, snapshot(ws, res.ids), after


def assert_same(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert after["entities"] == before["entities"]
    for eid, keys in before["keys"].items():
        lost = {k for k in keys if k.startswith("registration:")} - after["keys"].get(eid, set())
        assert keys - lost <= after["keys"].get(eid, set()), eid
    assert after["edges"] == before["edges"]
    assert after["designations"] == before["designations"]
    assert after["per_regime"] == before["per_regime"]
    assert after["listings"] == before["listings"]
    # the programme comes back as written, with the programId that names the regime appended
    def stripped(programs: Counter[Any]) -> Counter[Any]:
        out: Counter[Any] = Counter()
        for (e, r, p), n in programs.items():
            out[e, r, _strip_program_id(p)] += n
        return out

    assert stripped(after["programs"]) == stripped(before["programs"])


def _strip_program_id(program: str | None) -> str | None:
    for pid in [*REGIME_PROGRAM_IDS.values(), INFO_PROGRAM_ID]:
        if program == pid:
            return None
        if program and program.endswith(f"; {pid}"):
            return program.removesuffix(f"; {pid}")
    return program


def test_demo_round_trip(demo_ws: Workspace, tmp_path: Path) -> None:
    res, before, after = round_trip(demo_ws, tmp_path)
    assert_same(before, after)
    # the case study's facts survive by name
    ids = res.ids
    assert ids["ofac:33113"] == "ofac-33113"  # an OFAC entity gets OpenSanctions' id for it
    ltd = ids["sensetime-group-ltd"]
    assert ("registration:HK:2162198" in after["keys"][ltd]) and "ofac:33114" in after["keys"][ltd]
    assert after["per_regime"]["ofac-ns-cmic"] >= 1 and after["per_regime"]["bis-entity-list"] == 1
    inc = ids["sensetime-group-inc"]
    assert (inc, "XHKG", "0020", None, "2021-12-30", None) in after["listings"]
    shares = {(a, b): lo for (a, b, _k, lo, *_rest) in after["edges"]}
    assert shares[(ltd, ids["shenzhen-sensetime"])] == 1_000_000


def test_zala_round_trip(zala_ws: Workspace, tmp_path: Path) -> None:
    res, before, after = round_trip(zala_ws, tmp_path)
    assert res.skipped == {}
    assert_same(before, after)
    # FtM ids are kept, and every interval share and period comes back
    assert all(res.ids[k] == k for k in res.ids)
    assert sum(after["edges"].values()) == sum(before["edges"].values()) > 10
    assert {k for (_a, _b, k, *_r) in after["edges"]} == {"shares", "control"}
    assert set(after["per_regime"]) >= {"ofac-sdn", "eu", "uk", "info"}


def test_kinds_bands_and_markers_round_trip(ws: Workspace, bundle: Any, tmp_path: Path) -> None:
    """Edge kinds, open/closed share bands, arrangements, a subdivision jurisdiction and a
    registration from another country: what survives and what FtM cannot carry."""
    ws.load([bundle(
        "b",
        entities=[
            {"id": "p", "name": "Pat Owner", "kind": "person"},
            {"id": "f", "name": "Fund One", "kind": "fund", "identifiers": "lei:529900T8BM49AURSDO55"},
            {"id": "a", "name": "Alpha Ltd", "kind": "company", "jurisdiction": "GB",
             "identifiers": "registration:GB:01234567;registration:IE:999", "incorporated": "2001-02-03"},
            {"id": "b", "name": "Beta Inc", "kind": "company", "jurisdiction": "US-DE"},
            {"id": "g", "name": "Ministry", "kind": "government", "jurisdiction": "CY",
             "identifiers": "registration:RU:1101841007938"},
        ],
        ownership=[
            {"owner_id": "p", "owned_id": "a", "share": "(25,50]", "start": "2020-01-01",
             "end": "2021-06-30"},
            {"owner_id": "f", "owned_id": "a", "share": ">50", "kind": "votes"},
            {"owner_id": "f", "owned_id": "b", "share": "[10,20)", "arrangement": "VIE"},
            {"owner_id": "a", "owned_id": "b", "share": "12.5-20"},
            {"owner_id": "g", "owned_id": "b", "kind": "consolidation"},
            {"owner_id": "p", "owned_id": "b", "kind": "board"},
            {"owner_id": "g", "owned_id": "a", "kind": "control"},
        ],
        designations=[
            {"entity_id": "a", "regime": "uk", "list": "a national list", "listed": "2022-03-01"},
            {"entity_id": "b", "regime": "info", "list": "Specially Designated Nationals (SDN) echo"},
            {"entity_id": "p", "regime": "ofac-sdn", "program": "RUSSIA-EO14024", "removed": "2024-01-01"},
        ],
        listings=[{"entity_id": "b", "mic": "XNYS", "ticker": "BETA", "listed": "2010-05-05"}],
    )])
    res, before, after = round_trip(ws, tmp_path)
    assert res.skipped == {}
    assert res.as_notes == {"jurisdiction FtM has no country code for": 1}  # US-DE
    assert after["edges"] == before["edges"]
    assert after["designations"] == before["designations"]
    assert after["listings"] == before["listings"]
    a, b, f = res.ids["a"], res.ids["b"], res.ids["f"]
    assert after["entities"][f][1] == "company" and after["entities"][b][2] is None  # lost: fund, US-DE
    assert "registration:GB:01234567" in after["keys"][a] and "registration:IE:999" not in after["keys"][a]
    assert "lei:529900T8BM49AURSDO55" in after["keys"][f]
    assert "registration:RU:1101841007938" in after["keys"][res.ids["g"]]  # an OGRN, whatever the country
    kinds = collections.Counter(k for (_a, _b, k, *_r) in after["edges"])
    assert kinds == {"shares": 3, "votes": 1, "consolidation": 1, "board": 1, "control": 1}


@pytest.mark.parametrize("share", ["50", "0", "100", "12.5", "[25,50]", "(25,50]", "[25,50)", "(25,50)",
                                   ">50", ">=50", "<25", "<=25", "[0,100]", "(0,100)"])
def test_percentage_text_parses_back(share: str) -> None:
    s = parse_share(share)
    text = percentage_text(s.lo, s.hi, s.to_flags())
    assert text is not None and parse_percentage([text]) == s
    assert percentage_text(0, 1_000_000, 4) is None


# -- CLI ---------------------------------------------------------------------------------------------------


def test_cli_export_ftm(tmp_path: Path, sensetime_dir: Path) -> None:
    assert "ftm" in EXPORTERS
    run = CliRunner().invoke
    base = ["--workspace", str(tmp_path / "ws")]
    assert run(cli, [*base, "load", str(sensetime_dir)]).exit_code == 0
    r = run(cli, [*base, "export", "--to", "ftm"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    counts = collections.Counter(x["schema"] for x in lines)
    assert counts == {"Company": 8, "Ownership": 7, "Sanction": 3, "Security": 1}
    assert "wrote 19 FtM entities to stdout: 8 Company, 7 Ownership, 3 Sanction, 1 Security" in r.stderr
    out = tmp_path / "e.ftm.json"
    r = run(cli, [*base, "export", "--to", "ftm", "-o", str(out)])
    assert r.exit_code == 0 and r.stdout == "", r.output
    assert out.read_text(encoding="utf-8").splitlines() == [json.dumps(x, ensure_ascii=False,
                                                                        separators=(",", ":"))
                                                             for x in lines]
    r = run(cli, ["--workspace", str(tmp_path / "ws3"), "load", "--format", "ftm", str(out)])
    assert r.exit_code == 0, r.output


def test_writer_and_loader_do_not_import_followthemoney() -> None:
    """The library stays an optional extra: export and load run without it."""
    import subprocess
    import sys

    code = ("import sys, ownergraph.graph.export_ftm, ownergraph.loaders.ftm, ownergraph.cli;"
            " print('followthemoney' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- real lists: every line strict-valid ----------------------------------------------------------------

DATA = Path(__file__).parents[2] / ".." / "shared" / "data"


@pytest.mark.parametrize("files", [
    # a load of the prim / sdn file reads its add, alt and comments siblings
    pytest.param([DATA / "ofac" / "watchman_cons_prim.csv"], id="ofac-consolidated"),
    pytest.param([DATA / "ofac" / "watchman_ofactest_sdn.csv"], id="ofac-sdn-sample"),
    pytest.param([DATA / "ofac" / "urbanfortnight_cons_advanced_2020-03-17.xml"], id="ofac-advanced-xml"),
    pytest.param([DATA / "us_csl" / "watchman_bis_dpl.tsv"], id="csl-dpl"),
    pytest.param([DATA / "us_csl" / "watchman_consolidated_2025.csv"], id="csl-consolidated"),
])
def test_real_lists_validate(files: list[Path], tmp_path: Path) -> None:
    """The real OFAC and CSL files (odd countries such as the DPL's ``NM``, names with double spaces)
    export to lines the followthemoney library keeps unchanged."""
    model = require_followthemoney()
    assert files and all(f.exists() for f in files)
    with ownergraph.open(tmp_path / "ws") as ws:
        reports = ws.load(files)
        assert sum(r.added for r in reports) > 0
        res, lines = export(ws)
    assert validate(model, lines) == collections.Counter(res.lines)
    assert res.lines["Sanction"] > 0
    if files[0].name == "watchman_bis_dpl.tsv":  # Country "NM": a note, not a jurisdiction FtM drops
        assert res.as_notes == {"jurisdiction FtM has no country code for": 1}
        (nm,) = [x for x in lines if "Jurisdiction NM" in x["properties"].get("notes", [])]
        assert "jurisdiction" not in nm["properties"]


def test_country_list_is_followthemoneys() -> None:
    """The writer's country list (it must not import the library) is the library's."""
    require_followthemoney()
    from followthemoney.types import registry

    assert set(registry.country.names) == FTM_COUNTRIES


def test_arrangement_is_marked(ws: Workspace, bundle: Any) -> None:
    """The arrangement goes out as the marked legalBasis the loader alone reads as one."""
    ws.load([bundle("b", entities=[{"id": "a", "name": "A"}, {"id": "b", "name": "B  Corp"}],
                    ownership=[{"owner_id": "a", "owned_id": "b", "share": "30", "arrangement": "J1"}])])
    _res, lines = export(ws)
    (own,) = [x for x in lines if x["schema"] == "Ownership"]
    assert own["properties"]["legalBasis"] == [ARRANGEMENT_PREFIX + "J1"]
    assert {x["caption"] for x in lines if x["schema"] == "Company"} == {"A", "B Corp"}


def test_cli_export_offers_exactly_the_exporters(tmp_path: Path) -> None:
    """``--to`` offers the formats of ``EXPORTERS`` and no other (the command dispatches through it),
    and an FtM export reports a jurisdiction it could write only as a note."""
    (option,) = [p for p in cli.commands["export"].params if p.name == "to"]
    assert set(option.type.choices) == set(EXPORTERS)  # type: ignore[attr-defined]
    base = ["--workspace", str(tmp_path / "ws")]
    r = CliRunner().invoke(cli, [*base, "load", str(DATA / "us_csl" / "watchman_bis_dpl.tsv")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, [*base, "export", "--to", "ftm", "-o", str(tmp_path / "dpl.ftm.json")])
    assert r.exit_code == 0, r.output
    assert "  written as a note: 1 jurisdiction FtM has no country code for" in r.stderr


def test_two_active_periods_are_two_sanctions(tmp_path: Path) -> None:
    """A designation the real consolidated list dropped and named again (list snapshots) exports as
    one Sanction per period; the period's ``history`` text has no FtM property and is not written."""
    from tests.graph.test_snapshots import AGAIN, NEW, OLD, SENSETIME, cons_set

    with ownergraph.open(tmp_path / "ws") as ws:
        ws.load([cons_set(tmp_path / "full")], snapshot_date=OLD)
        ws.load([cons_set(tmp_path / "cut", (SENSETIME,))], snapshot_date=NEW)
        ws.load([cons_set(tmp_path / "back")], snapshot_date=AGAIN)
        res, lines = export(ws)
    fid = res.ids[f"ofac:{SENSETIME}"]
    periods = sorted((x["properties"].get("listingDate", [""])[0], x["properties"].get("endDate", [""])[0])
                     for x in lines if x["schema"] == "Sanction" and x["properties"]["entity"] == [fid])
    # named again between NEW and AGAIN: active from the day after NEW (the earliest it can be)
    relisted = (dt.date.fromisoformat(NEW) + dt.timedelta(days=1)).isoformat()
    assert relisted < AGAIN
    assert periods == [("2021-12-10", NEW), (relisted, "")]
    assert not any("snapshot" in v for x in lines if x["schema"] == "Sanction"
                   for vals in x["properties"].values() for v in vals)
