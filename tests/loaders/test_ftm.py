"""The OpenSanctions / FollowTheMoney loader on the real files in ``../shared/data/opensanctions_ftm``."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

import ownergraph
from ownergraph.errors import InputError, ShareError
from ownergraph.graph.model import Designation, Entity, Listing, Ownership, Record
from ownergraph.graph.workspace import Workspace
from ownergraph.loaders.base import Item, detect_format
from ownergraph.loaders.ftm import ftm_regime, parse_ftm, parse_percentage, registrations, valid_ogrn

ROOT = Path(__file__).parents[2]
FTM = ROOT / ".." / "shared" / "data" / "opensanctions_ftm"
ZALA = FTM / "yente_zala_entities.ftm.json"
T1 = FTM / "yente_t1_entities.ftm.json"
DELTA = FTM / "yente_t2_20240527194702_entities.delta.json"

LLC_CST = "NK-abdzbEBkqyT29GyREbiURZ"
ZAKHAROV = "NK-aU5ybkbRFJucf8YMwsJvDw"
KALASHNIKOV = "NK-nR5AXM9AVPq4pQaSPSaVam"
TKH = "NK-DSxJ9ZzHxBBMyEMnnTBhai"  # АО "ТрансКомплектХолдинг"
IZHTELEKOM = "NK-56Edov9bas9puzaChH5pBy"


def split(items: list[Item]) -> tuple[list[Record], list[InputError]]:
    return ([i[0] for i in items if not isinstance(i, InputError)],
            [i for i in items if isinstance(i, InputError)])


@pytest.fixture(scope="module")
def zala() -> list[Record]:
    recs, errs = split(list(parse_ftm(ZALA)))
    assert errs == []
    return recs


def entities(recs: list[Record]) -> dict[str, Entity]:
    return {r.id: r for r in recs if isinstance(r, Entity)}


def write_lines(path: Path, objs: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(o) + b"\n" for o in objs))
    return path


def ent(eid: str, schema: str = "Company", **props: list[str]) -> dict[str, Any]:
    return {"id": eid, "schema": schema, "properties": props, "datasets": ["test"], "referents": []}


# -- detection --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ZALA, T1, DELTA], ids=lambda p: p.name)
def test_detected_from_content(path: Path) -> None:
    assert detect_format(path) == "ftm"


def test_bundle_jsonl_is_not_ftm(tmp_path: Path) -> None:
    p = write_lines(tmp_path / "b.jsonl", [{"type": "entity", "id": "a", "name": "A"}])
    assert detect_format(p) == "bundle"


def test_first_line_longer_than_the_sniffed_head(tmp_path: Path) -> None:
    long = ent("x", name=["N" * 10] + [f"alias {i}" for i in range(20_000)])
    p = write_lines(tmp_path / "long.ftm.json", [long])
    assert len(p.read_bytes()) > 65536
    assert detect_format(p) == "ftm"


# -- the Zala cluster -------------------------------------------------------------------------------


def test_zala_counts(zala: list[Record]) -> None:
    counts = collections.Counter(type(r).__name__ for r in zala)
    # 11 Company + 6 Person entities; 14 Ownership + 3 Directorship edges; 41 Sanction entities.
    # Address, Family and Passport entities are not part of the model and are skipped.
    assert counts == {"Entity": 17, "Ownership": 17, "Designation": 41}
    kinds = collections.Counter(r.kind for r in zala if isinstance(r, Ownership))
    assert kinds == {"shares": 14, "control": 3}


def test_kalashnikov_49_percent_and_the_subsidiary_of_record(zala: list[Record]) -> None:
    edges = [r for r in zala if isinstance(r, Ownership) and r.owner_id == KALASHNIKOV]
    assert len(edges) == 2 and all(e.owned_id == LLC_CST for e in edges)
    (pct,) = [e for e in edges if e.share.known]
    assert str(pct.share) == "49" and pct.start == dt.date(2016, 3, 29) and pct.end is None
    (role,) = [e for e in edges if not e.share.known]  # percentage-less "subsidiary of": unknown share
    assert role.source is not None and "role subsidiary of" in role.source
    assert "gb_fcdo_sanctions" in role.source


def test_overlapping_snapshots_are_chained(zala: list[Record]) -> None:
    edges = sorted((r for r in zala if isinstance(r, Ownership) and r.owner_id == ZAKHAROV
                    and r.owned_id == LLC_CST and r.kind == "shares"), key=lambda e: e.start or dt.date.min)
    got = [(str(e.share), e.start, e.end) for e in edges]
    assert got == [
        ("50", dt.date(2015, 11, 25), dt.date(2023, 3, 2)),
        ("48", dt.date(2023, 3, 2), dt.date(2023, 12, 21)),
        ("51", dt.date(2023, 12, 21), None),
    ]
    assert all("stated startDate 2015-11-25" in (e.source or "") for e in edges[1:])


def _owners(ws: Workspace, as_of: str) -> dict[str, str]:
    view = ws.graph(as_of)
    i = view.index(LLC_CST)
    out = {}
    for e in view.in_of(i):
        info = view.edge(int(e))
        if info.kind == "shares" and info.share.known:
            out[info.owner_id] = str(info.share)
    return out


def test_overlapping_history_by_date(ws: Workspace) -> None:
    ws.load([ZALA])
    # Today (and from 2023-12-21) only the open records hold: 51 % + Kalashnikov's 49 % = 100 %.
    assert _owners(ws, "2024-06-01") == {ZAKHAROV: "51", KALASHNIKOV: "49"}
    assert _owners(ws, dt.date.today().isoformat()) == {ZAKHAROV: "51", KALASHNIKOV: "49"}
    # On 2023-06-01 the 51 % record did not exist yet: the 48 % version and TKH's 2 % were in
    # force (their share counts add up to this period's capital), never 50 + 48 + 51 = 149 %.
    assert _owners(ws, "2023-06-01") == {ZAKHAROV: "48", KALASHNIKOV: "49", TKH: "2"}
    assert _owners(ws, "2016-06-01") == {ZAKHAROV: "50", KALASHNIKOV: "49"}
    for day in ("2016-06-01", "2020-01-01", "2023-06-01", "2024-06-01"):
        assert sum(float(s) for s in _owners(ws, day).values()) <= 101


def test_directorship_is_control(zala: list[Record]) -> None:
    ctl = [r for r in zala if isinstance(r, Ownership) and r.kind == "control"]
    assert {(c.owner_id, c.owned_id) for c in ctl} >= {(ZAKHAROV, LLC_CST)}
    assert all(not c.share.known for c in ctl)
    general = [c for c in ctl if "ГЕНЕРАЛЬНЫЙ ДИРЕКТОР" in (c.source or "")]
    assert general and general[0].start == dt.date(2017, 10, 23)


def test_multi_valued_properties(zala: list[Record]) -> None:
    ents = entities(zala)
    cst = ents[LLC_CST]
    assert cst.name == "LLC CST" and cst.kind == "company" and cst.jurisdiction == "RU"
    assert len(cst.aliases) == 58  # the other 23 names + 35 aliases, minus duplicates
    # OGRNs (check digit verified) are registrations; the INN among registrationNumber is a note
    assert set(cst.identifiers["registration"]) == {"RU:1101841007938", "RU:1091841000624"}
    assert "Registration number 1841015504 (the INN/tax number)" in cst.notes
    # OpenSanctions merged two OFAC entries into this entity: both OFAC numbers identify it
    assert cst.identifiers["ofac"] == ("45928", "45934")
    assert LLC_CST in cst.identifiers["opensanctions"] and len(cst.identifiers["opensanctions"]) == 46
    izh = ents[IZHTELEKOM]  # two registry records merged: two OGRNs, two (in)corporation dates
    assert izh.incorporated == dt.date(2002, 10, 2) and izh.dissolved == dt.date(2025, 4, 3)
    assert "Dissolution dates: 2012-06-30, 2025-04-03" in izh.notes
    assert set(izh.identifiers["registration"]) == {"RU:1021801671462", "RU:1021801149754"}
    zak = ents[ZAKHAROV]
    assert zak.kind == "person" and zak.jurisdiction == "RU" and zak.identifiers["ofac"] == ("45937",)
    # a person with two countries has no single jurisdiction
    assert ents["NK-DQ98GPMgdVH8DSZd8g9Xtc"].jurisdiction is None


def test_sanctions_map_to_regimes(zala: list[Record]) -> None:
    des = [r for r in zala if isinstance(r, Designation)]
    assert collections.Counter(d.regime for d in des) == {
        "info": 28, "eu": 7, "ofac-sdn": 3, "uk": 2, "bis-entity-list": 1}
    # the EU travel ban names the Council of the EU as authority but freezes nothing
    (tb,) = [d for d in des if d.list and d.list.startswith("eu_travel_bans")]
    assert tb.regime == "info"
    (bis,) = [d for d in des if d.regime == "bis-entity-list"]
    assert (bis.entity_id, bis.listed, bis.reference) == (LLC_CST, dt.date(2023, 11, 2), "88 FR 76128")
    sdn = [d for d in des if d.regime == "ofac-sdn"]
    # RUSSIA-EO14024 is SDN in the SDN dataset (it would be NS-MBS on the consolidated list)
    assert {d.entity_id for d in sdn} == {LLC_CST, ZAKHAROV}
    assert all(d.program and "RUSSIA-EO14024" in d.program for d in sdn)
    uk = [d for d in des if d.regime == "uk"]
    assert {d.listed for d in uk} == {dt.date(2023, 2, 8), dt.date(2023, 12, 6)}
    # listingDate wins over startDate; several listing dates: the earliest
    (be,) = [d for d in des if d.entity_id == LLC_CST and d.list and d.list.startswith("be_fod")]
    assert be.listed == dt.date(2023, 12, 18)
    # endDate is the removal (UA NSDC sanctions run for a fixed term)
    expired = [d for d in des
               if d.list and d.list.startswith("ua_nsdc") and d.removed == dt.date(2024, 10, 30)]
    assert len(expired) == 1


def test_ftm_regime_signals() -> None:
    assert ftm_regime({"programId": ["US-NS-CMIC"]}, ["us_ofac_cons"])[0] == "ofac-ns-cmic"
    assert ftm_regime({"programId": ["US-BIS-MEU"]}, [])[0] == "bis-entity-list"
    assert ftm_regime({"program": ["UKRAINE-EO13662"]}, ["us_ofac_cons"])[0] == "ofac-ssi"
    assert ftm_regime({"program": ["UKRAINE-EO13662"]}, ["us_ofac_sdn"])[0] == "ofac-sdn"
    assert ftm_regime({"programId": ["GB-RUS"]}, ["gb_hmt_sanctions"])[0] == "uk"
    assert ftm_regime({"programId": ["EU-UKR"]}, ["fr_tresor_gels_avoir"])[0] == "eu"
    assert ftm_regime({"programId": ["CA-SEMA"]}, ["ca_dfatd_sema_sanctions"]) == ("info", None)


# -- the other real files ---------------------------------------------------------------------------


def test_t1_compact_file_with_referents() -> None:
    recs, errs = split(list(parse_ftm(T1)))
    assert errs == []
    ents = entities(recs)
    assert collections.Counter(e.kind for e in ents.values()) == {"person": 4, "organization": 2}
    tobacco = ents["NK-2GdmHtZTeNXjNVrBGEXZNj"]
    assert tobacco.identifiers["ofac"] == ("32733",)  # referent ofac-32733
    assert tobacco.identifiers["registration"] == ("BY:808000714",)  # one country, one number
    assert "eu-fsf-eu-8282-49" in tobacco.identifiers["opensanctions"]


def test_delta_file() -> None:
    recs, errs = split(list(parse_ftm(DELTA)))
    assert errs == []
    ents = entities(recs)
    assert set(ents) == {"NK-2T3S8Hu29ktYnKSTgQp2wL", "NK-2sJaJRaPJcWUfMbHjTtWcL"}
    aqi = ents["NK-2T3S8Hu29ktYnKSTgQp2wL"]
    assert (aqi.name, aqi.kind) == ("AL-QAIDA IN IRAQ", "organization")
    assert aqi.identifiers["ofac"] == ("8759",)
    # an alias containing "; " stays one alias (FtM values are arrays, never split)
    assert "جماعة التوحيد والجهاد; تنظيم القاعدة فى بلاد الرافدين" in aqi.aliases


def test_delta_ops(tmp_path: Path, ws: Workspace) -> None:
    p = write_lines(tmp_path / "d.delta.json", [
        {"op": "ADD", "entity": ent("a", name=["Alpha Ltd"], country=["gb"])},
        {"op": "MOD", "entity": ent("a", name=["Alpha Limited"], country=["gb"])},
        {"op": "DEL", "entity": {"id": "b"}},
        {"op": "UPSERT", "entity": ent("c", name=["C"])},
    ])
    recs, errs = split(list(parse_ftm(p)))
    assert [r.name for r in recs if isinstance(r, Entity)] == ["Alpha Ltd", "Alpha Limited"]
    assert [(e.line, e.reason.split(":")[0], e.value) for e in errs] == [
        (3, "DEL not applied", "b"), (4, "unknown delta op", "UPSERT")]
    (report,) = ws.load([p])
    assert (report.format, report.rejected) == ("ftm", 2)  # a DEL is a counted reject


# -- values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "expected"), [
    (["49"], "49"), (["50%"], "50"), (["25.5"], "25.5"), (["25,5 %"], "25.5"), (["100.00"], "100"),
    (["25-50"], "[25,50]"), (["25 – 50 %"], "[25,50]"), (["25% to 50%"], "[25,50]"),
    (["between 25 and 50"], "[25,50]"), (["more than 50%"], "(50,100]"), (["at least 75"], "[75,100]"),
    (["up to 25%"], "[0,25]"), ([">50"], "(50,100]"), (["48", "51"], "[48,51]"), (["49", "49.0"], "49"),
    ([], "unknown"), ([""], "unknown"),
])
def test_parse_percentage(values: list[str], expected: str) -> None:
    assert str(parse_percentage(values)) == expected


@pytest.mark.parametrize("bad", ["majority", "150", "-5"])
def test_parse_percentage_rejects(bad: str) -> None:
    with pytest.raises(ShareError):
        parse_percentage([bad])


def test_registrations_and_ogrn() -> None:
    assert valid_ogrn("1027739108649") and not valid_ogrn("1027739108640") and not valid_ogrn("7704484400")
    regs, notes = registrations({"ogrnCode": ["1101841007939"], "registrationNumber": ["HRB 1"]}, None)
    assert regs == [] and notes == ["OGRN 1101841007939 (check digit does not match)",
                                    "Registration number HRB 1 (no single country)"]


def test_partial_dates_bad_values_and_securities(tmp_path: Path) -> None:
    p = write_lines(tmp_path / "x.ftm.json", [
        ent("o", name=["Owner Co"], jurisdiction=["de"], incorporationDate=["2001"], leiCode=["bad"]),
        ent("t", name=["Target GmbH"], jurisdiction=["de"], isinCode=["US0378331005"]),
        ent("own1", "Ownership", owner=["o"], asset=["t"], percentage=["majority"],
            startDate=["2016"], endDate=["2017-02"]),
        ent("s1", "Sanction", entity=["t"], programId=["US-NS-CMIC"], listingDate=["2021-06"],
            startDate=["2021-08-02", "2022-06-03"]),
        ent("sec1", "Security", issuer=["t"], isin=["US0378331005"], ticker=["AAPL"]),
        ent("sec2", "Security", issuer=["t"], isin=["US0378331006"]),
        ent("addr", "Address", full=["somewhere"]),
    ])
    recs, errs = split(list(parse_ftm(p)))
    ents = entities(recs)
    assert ents["o"].incorporated == dt.date(2001, 1, 1) and "lei" not in ents["o"].identifiers
    assert "leiCode bad" in ents["o"].notes
    assert ents["t"].identifiers["isin"] == ("US0378331005",)
    (own,) = [r for r in recs if isinstance(r, Ownership)]
    # a partial start is its first day, a partial end its last day; a bad percentage: unknown share
    assert (own.start, own.end, own.share.known) == (dt.date(2016, 1, 1), dt.date(2017, 2, 28), False)
    (des,) = [r for r in recs if isinstance(r, Designation)]
    assert (des.regime, des.listed, des.effective) == (
        "ofac-ns-cmic", dt.date(2021, 6, 1), dt.date(2021, 8, 2))
    (lst,) = [r for r in recs if isinstance(r, Listing)]
    assert (lst.entity_id, lst.isin, lst.ticker, lst.mic) == ("t", "US0378331005", "AAPL", None)
    reasons = sorted((e.field or "", e.reason) for e in errs)
    assert [f for f, _r in reasons] == ["isin", "isin", "leiCode", "percentage"]


def test_bad_lines_are_located(tmp_path: Path) -> None:
    p = tmp_path / "bad.ftm.json"
    p.write_bytes(b'{"id": "a", "schema": "Company", "properties": {"name": ["A"]}}\n'
                  b"not json\n"
                  b'{"schema": "Company", "properties": {}}\n'
                  b'{"id": "c", "schema": "Company", "properties": {}}\n'
                  b'{"id": "e", "schema": "Ownership",'
                  b' "properties": {"owner": ["a", "b"], "asset": ["c"]}}\n')
    recs, errs = split(list(parse_ftm(p)))
    assert [r.id for r in recs if isinstance(r, Entity)] == ["a"]
    assert [(e.line, e.field) for e in errs] == [(2, None), (3, "id"), (4, "name"), (5, "owner")]


def test_loads_into_a_workspace_and_merges_by_ofac_id(tmp_path: Path, bundle: Any) -> None:
    with ownergraph.open(tmp_path / "w") as w:
        w.load([bundle("b", entities=[{"id": "ofac:45928", "name": "LLC CENTER FOR UNMANNED SYSTEMS"}])])
        (r,) = w.load([ZALA])
        assert (r.format, r.rejected) == ("ftm", 0)
        view = w.graph()
        assert view.index(LLC_CST) == view.index("ofac:45928") == view.index("registration:RU:1101841007938")


# -- docs/sources.md --------------------------------------------------------------------------------


def test_docs_sources_tables(zala: list[Record]) -> None:
    text = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    section = text.split("## OpenSanctions / FollowTheMoney", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")]
            for ln in section.splitlines() if ln.startswith("|")][2:]
    assert len(rows) >= 20
    real = {d.list.split(" (")[0].split(",")[0] for d in zala if isinstance(d, Designation) and d.list}
    for dataset, signal, value, regime, why in rows:
        props: dict[str, list[str]] = {} if signal == "dataset" else {signal: [value]}
        assert ftm_regime(props, [dataset])[0] == regime.strip("`"), (dataset, value)
        if "*(real)*" in why and dataset != "us_ofac_sdn":
            assert dataset in real, dataset


# -- what the FtM export writes comes back ------------------------------------------------------------


def test_export_markers_are_read_back(tmp_path: Path) -> None:
    lines = [
        ent("a", name=["A"]), ent("b", name=["B"]), ent("p", "Person", name=["P"]),
        {"id": "o1", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["b"],
         "percentage": ["(25,50]"], "ownershipType": ["voting-rights"],
         "legalBasis": ["ownergraph-arrangement:VIE"]}},
        {"id": "o2", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["b"],
         "ownershipType": ["accounting-consolidation"]}},
        {"id": "o3", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["b"],
         "ownershipType": ["Trustee"], "percentage": ["25,5"]}},
        {"id": "d1", "schema": "Directorship", "properties": {"director": ["p"], "organization": ["b"],
         "role": ["appointment-of-board"]}},
        {"id": "d2", "schema": "Directorship", "properties": {"director": ["p"], "organization": ["b"],
         "role": ["voting-rights"]}},
        {"id": "s1", "schema": "Security", "properties": {"issuer": ["b"], "ticker": ["BETA"],
         "keywords": ["MIC:xnys"], "issueDate": ["2010-05"]}},
        {"id": "x1", "schema": "Sanction", "properties": {"entity": ["a"], "authority": ["European Union"],
         "programId": ["OWNERGRAPH-INFO"]}},
    ]
    recs, errs = split(list(parse_ftm(write_lines(tmp_path / "m.json", lines))))
    assert errs == []
    own = {r.source.split(": ")[1].split(";")[0]: r for r in recs if isinstance(r, Ownership)}
    assert (own["Ownership o1"].kind, str(own["Ownership o1"].share), own["Ownership o1"].arrangement) == (
        "votes", "(25,50]", "VIE")
    assert own["Ownership o2"].kind == "consolidation"
    assert (own["Ownership o3"].kind, str(own["Ownership o3"].share)) == ("shares", "25.5")  # not ours
    assert own["Directorship d1"].kind == "board" and own["Directorship d2"].kind == "control"
    (li,) = [r for r in recs if isinstance(r, Listing)]
    assert (li.mic, li.ticker, li.listed) == ("XNYS", "BETA", dt.date(2010, 5, 1))
    (des,) = [r for r in recs if isinstance(r, Designation)]
    assert des.regime == "info" and des.list == "European Union"


# -- legalBasis and several ownershipType values --------------------------------------------------------


def _uk_pair(tmp_path: Path, legal_basis: str) -> Path:
    """Two UK-designated persons with 30 % each of one company, both Ownerships from a registry
    dataset with the same ``legalBasis`` (as OpenSanctions publishes registry records)."""
    def person(eid: str, name: str) -> dict[str, Any]:
        return {"id": eid, "schema": "Person", "caption": name, "properties": {"name": [name]},
                "datasets": ["gb_hmt_sanctions"], "referents": []}

    def stake(eid: str, owner: str) -> dict[str, Any]:
        return {"id": eid, "schema": "Ownership", "datasets": ["ru_egrul"], "properties": {
            "owner": [owner], "asset": ["NK-asset"], "percentage": ["30"], "role": ["Участник"],
            "startDate": ["2019-04-02"], "legalBasis": [legal_basis]}}

    def sanction(eid: str, target: str) -> dict[str, Any]:
        return {"id": eid, "schema": "Sanction", "datasets": ["gb_hmt_sanctions"], "properties": {
            "entity": [target], "authority": ["HM Treasury"], "programId": ["GB-RUS"],
            "listingDate": ["2022-03-15"]}}

    lines = [
        person("NK-one", "Ivan Petrov"), person("NK-two", "Oleg Sidorov"),
        ent("NK-asset", name=['ООО "Ромашка"'], jurisdiction=["ru"]),
        stake("NK-own-1", "NK-one"), stake("NK-own-2", "NK-two"),
        sanction("gb-hmt-1", "NK-one"), sanction("gb-hmt-2", "NK-two"),
    ]
    return write_lines(tmp_path / "uk.ftm.json", lines)


def test_legal_basis_text_is_not_an_arrangement(tmp_path: Path) -> None:
    """A publisher's ``legalBasis`` text repeated on unrelated stakes must not pool them under the UK
    joint-arrangement rule: only the export's marked value is an arrangement."""
    from ownergraph.queries.restricted import restricted

    path = _uk_pair(tmp_path, "Charter (Устав) of the company")
    recs, errs = split(list(parse_ftm(path)))
    assert errs == []
    stakes = [r for r in recs if isinstance(r, Ownership)]
    assert [r.arrangement for r in stakes] == [None, None]
    assert all("legalBasis Charter (Устав) of the company" in (r.source or "") for r in stakes)
    with ownergraph.open(tmp_path / "ws") as ws:
        ws.load([path])
        rows = restricted(ws.graph(as_of="2024-01-01"), "uk")
        assert {r.id for r in rows} == {"NK-one", "NK-two"}  # 30 % + 30 % not pooled
    (tmp_path / "m").mkdir()
    marked = _uk_pair(tmp_path / "m", "ownergraph-arrangement:J1")
    with ownergraph.open(tmp_path / "ws2") as ws:
        ws.load([marked])
        rows = restricted(ws.graph(as_of="2024-01-01"), "uk")
        assert {r.id for r in rows} == {"NK-one", "NK-two", "NK-asset"}  # one arrangement: 60 % pooled


@pytest.mark.parametrize("types", [["shareholding", "voting-rights"], ["voting-rights", "shareholding"],
                                   ["Участник", "voting-rights", "shareholding"]])
def test_several_ownership_types_keep_the_share_kind(tmp_path: Path, types: list[str]) -> None:
    """An Ownership that is a shareholding and also carries votes stays in the share sums."""
    lines = [ent("a", name=["A"]), ent("b", name=["B"]),
             {"id": "o", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["b"],
              "percentage": ["60"], "ownershipType": types}},
             {"id": "v", "schema": "Ownership", "properties": {"owner": ["b"], "asset": ["a"],
              "ownershipType": ["voting-rights", "accounting-consolidation"]}}]
    recs, errs = split(list(parse_ftm(write_lines(tmp_path / "t.json", lines))))
    assert errs == []
    kinds = {r.owner_id: r.kind for r in recs if isinstance(r, Ownership)}
    assert kinds == {"a": "shares", "b": "votes"}
