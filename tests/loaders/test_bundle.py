"""The native bundle (SPEC §5): a CSV folder or JSON lines with ``type``; encodings, BOMs,
missing columns, extra cells, oversized fields, unknown regimes, and MICs from ISO 10383."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import Designation, Entity, Listing, Ownership, SameAs, Venue
from ownergraph.graph.workspace import Workspace
from ownergraph.loaders.base import detect_format
from ownergraph.loaders.bundle import parse_bundle

Bundle = Callable[..., Path]
Jsonl = Callable[[str, list[dict[str, Any]]], Path]


def parse(path: Path) -> list[Any]:
    """Everything the loader yields (records with locators, and rejections), loosely typed."""
    return list(parse_bundle(path))


def split(items: list[Any]) -> tuple[list[Any], list[InputError]]:
    good = [x for x in items if not isinstance(x, InputError)]
    bad = [x for x in items if isinstance(x, InputError)]
    return good, bad


# -- CSV folders ---------------------------------------------------------------------------------


def test_csv_folder_yields_every_record_kind_entities_first(bundle: Bundle) -> None:
    b = bundle(
        "all",
        designations=[{"entity_id": "a", "regime": "eu", "listed": "2022-02-28"}],
        ownership=[
            {
                "owner_id": "a",
                "owned_id": "b",
                "share": "(25,50]",
                "kind": "votes",
                "arrangement": "consortium-1",
                "start": "2020",
                "source": "register",
            }
        ],
        entities=[
            {
                "id": "a",
                "name": "A",
                "kind": "person",
                "aliases": "Al;A.",
                "identifiers": "wikidata:q1",
                "incorporated": "",
                "source": "registry;news",
            },
            {"id": "b", "name": "B, Ltd.", "jurisdiction": "gb"},
        ],
        venues=[{"mic": "zzzz", "name": "Test venue", "country": "GB"}],
        listings=[{"entity_id": "b", "mic": "XLON", "ticker": "BLTD", "isin": "GB0002634946"}],
        sameas=[{"id_a": "a", "id_b": "b", "source": "x"}],
    )
    good, bad = split(parse(b))
    assert bad == []
    records = [r for r, _loc in good]
    assert [type(r) for r in records] == [Entity, Entity, Venue, Ownership, Listing, Designation, SameAs]
    assert [loc for _r, loc in good][:3] == ["entities.csv:2", "entities.csv:3", "venues.csv:2"]
    a, b_ = records[0], records[1]
    assert (a.kind, a.aliases, a.identifiers, a.sources) == (
        "person",
        ("Al", "A."),
        {"wikidata": ("Q1",)},
        ("registry", "news"),
    )
    assert (b_.name, b_.jurisdiction) == ("B, Ltd.", "GB")
    o = records[3]
    assert (str(o.share), o.kind, o.arrangement, o.start, o.end) == (
        "(25,50]",
        "votes",
        "consortium-1",
        dt.date(2020, 1, 1),
        None,
    )
    assert records[2].mic == "ZZZZ"


def test_empty_cells_mean_unknown(bundle: Bundle) -> None:
    b = bundle(
        "empty",
        entities=[{"id": "a", "name": "A", "kind": "", "jurisdiction": "", "aliases": "", "identifiers": ""}],
        ownership=[{"owner_id": "a", "owned_id": "b", "share": "", "kind": "", "start": "", "end": ""}],
    )
    (e, _), (o, _) = parse(b)
    assert (e.kind, e.jurisdiction, e.aliases, e.identifiers) == ("company", None, (), {})
    assert (str(o.share), o.kind, o.start, o.end) == ("unknown", "shares", None, None)


def test_crlf_quotes_and_newlines_in_cells(tmp_path: Path) -> None:
    b = tmp_path / "crlf"
    b.mkdir()
    (b / "entities.csv").write_bytes(
        b'id,name,aliases\r\na,"Acme, Inc.","Acme ""The Best"";ACME"\r\nb,"Two\r\nLines",\r\n'
    )
    good, bad = split(parse(b))
    assert bad == []
    assert [(r.id, r.name, r.aliases) for r, _ in good] == [
        ("a", "Acme, Inc.", ('Acme "The Best"', "ACME")),
        ("b", "Two\r\nLines", ()),
    ]


def test_bom_is_accepted(tmp_path: Path, ws: Workspace) -> None:
    b = tmp_path / "bom"
    b.mkdir()
    (b / "ownership.csv").write_bytes("\ufeffowner_id,owned_id,share\na,a2,5\n".encode())
    (b / "entities.csv").write_bytes("\ufeffid,name\na,Ä\na2,B\n".encode())
    assert detect_format(b) == "bundle"
    (r,) = ws.load([b])
    assert (r.added, r.rejected) == (3, 0)
    assert ws.graph().name(0) == "Ä"


@pytest.mark.parametrize("file", ["entities.csv", "ownership.csv"])
def test_non_utf8_csv_is_a_format_error_with_a_hint(tmp_path: Path, file: str) -> None:
    b = tmp_path / "latin"
    b.mkdir()
    (b / "entities.csv").write_text("id,name\na,A\n", encoding="utf-8")
    (b / file).write_bytes(
        {"entities.csv": "id,name\na,Société Générale\n", "ownership.csv": "owner_id,owned_id\né,a\n"}[
            file
        ].encode("latin-1")
    )
    with pytest.raises(FormatError) as info:
        parse(b)
    e = info.value
    assert e.file == str(b / file)
    assert "not UTF-8" in e.reason and e.fix and "UTF-8" in e.fix and "iconv" in e.fix
    assert str(e).startswith(f"{b / file}: not UTF-8")


def test_utf8_character_across_the_first_megabyte_is_fine(tmp_path: Path) -> None:
    b = tmp_path / "mb"
    b.mkdir()
    head = b"id,name\na,"
    data = head + b"x" * ((1 << 20) - len(head) - 1) + "é Société\n".encode()
    assert data[(1 << 20) - 1 : (1 << 20) + 1] == "é".encode()  # the boundary cuts the character
    (b / "entities.csv").write_bytes(data)
    good, bad = split(parse(b))
    assert bad == [] and good[0][0].name.endswith("é Société")


def test_missing_required_column(bundle: Bundle) -> None:
    b = bundle("nocol", entities=[{"id": "a", "name": "A"}], ownership=[{"owner_id": "a", "share": "5"}])
    with pytest.raises(FormatError) as info:
        parse(b)
    e = info.value
    assert e.file == str(b / "ownership.csv") and e.line == 1
    assert "owned_id" in e.reason and "owner_id, owned_id" in (e.fix or "")


def test_missing_required_column_in_entities(bundle: Bundle) -> None:
    b = bundle("noname", entities=[{"id": "a", "title": "A"}])
    with pytest.raises(FormatError, match=r"missing required column.*name"):
        parse(b)


def test_folder_without_entities_csv(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "ownership.csv").write_text("owner_id,owned_id\n")
    with pytest.raises(FormatError, match=r"needs entities\.csv"):
        parse(tmp_path / "x")
    with pytest.raises(FormatError, match="cannot detect the format") as info:
        detect_format(tmp_path / "x")
    assert "--format" in str(info.value)


def test_extra_cells_are_rejected_and_the_rest_loads(tmp_path: Path) -> None:
    b = tmp_path / "extra"
    b.mkdir()
    (b / "entities.csv").write_text("id,name\na,A\nb,Acme, Inc.\nc,C\n")
    good, bad = split(parse(b))
    assert [r.id for r, _ in good] == ["a", "c"]
    (e,) = bad
    assert (e.file, e.line) == (str(b / "entities.csv"), 3)
    assert "more cells than header columns" in e.reason and "quote" in (e.fix or "")


def test_unknown_csv_in_the_folder_is_ignored_with_a_warning(
    bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    b = bundle("warn", entities=[{"id": "a", "name": "A"}])
    (b / "notes.csv").write_text("x\n1\n")
    assert len(parse(b)) == 1
    assert "notes.csv: not a bundle file, ignored" in capsys.readouterr().err


@pytest.mark.slow
def test_oversized_field_is_rejected_not_a_crash(tmp_path: Path, ws: Workspace) -> None:
    b = tmp_path / "huge"
    b.mkdir()
    with open(b / "entities.csv", "w", encoding="utf-8") as f:
        f.write("id,name\na,A\nb,")
        f.write("x" * (11 * 1024 * 1024))
        f.write("\n")
    (r,) = ws.load([b])
    assert (r.added, r.rejected) == (1, 1)
    assert r.first_reject is not None
    assert "entities.csv:line 3" in r.first_reject and "field larger than field limit" in r.first_reject
    assert len(r.first_reject) < 300


def test_unknown_regime_is_rejected_with_the_value(bundle: Bundle) -> None:
    b = bundle(
        "regime",
        entities=[{"id": "a", "name": "A"}],
        designations=[
            {"entity_id": "a", "regime": "OFAC-CMIC"},
            {"entity_id": "a", "regime": "ofac-ns-cmic"},
        ],
    )
    good, bad = split(parse(b))
    assert len(good) == 2
    (e,) = bad
    assert (e.line, e.field, e.value) == (2, "regime", "ofac-cmic")
    assert "unknown regime" in str(e) and "ofac-ns-cmic" in (e.fix or "")


def test_bad_rows_are_located(bundle: Bundle) -> None:
    b = bundle(
        "bad",
        entities=[
            {"id": "a", "name": "A", "identifiers": ""},
            {"id": "b", "name": "B", "identifiers": "isin:X"},
        ],
        ownership=[{"owner_id": "a", "owned_id": "b", "share": "", "start": "2021-02-30"}],
        listings=[{"entity_id": "a", "mic": "", "isin": ""}],
    )
    _good, bad = split(parse(b))
    assert [(Path(e.file or "").name, e.line, e.field) for e in bad] == [
        ("entities.csv", 3, "identifiers"),
        ("ownership.csv", 2, "start"),
        ("listings.csv", 2, "mic"),
    ]


def test_holdings_need_an_entity_or_isin_column(bundle: Bundle) -> None:
    b = bundle("hold", entities=[{"id": "f", "name": "F"}], holdings=[{"holder_id": "f", "shares": "10"}])
    with pytest.raises(FormatError, match="entity_id or isin"):
        parse(b)


# -- JSON lines ----------------------------------------------------------------------------------


def test_json_lines_with_type(jsonl: Jsonl, ws: Workspace) -> None:
    path = jsonl(
        "b.jsonl",
        [
            {
                "type": "entity",
                "id": "a",
                "name": "A",
                "aliases": ["Al", "A."],
                "source": "s1",
                "identifiers": {"lei": "529900T8BM49AURSDO55"},
            },
            {"type": "entity", "id": "b", "name": "B", "aliases": "B1;B2", "identifiers": ["ofac:9"]},
            {"type": "ownership", "owner_id": "a", "owned_id": "b", "share": 50},
            {"type": "listing", "entity_id": "b", "mic": "XHKG", "ticker": "0020"},
            {"type": "designation", "entity_id": "b", "regime": "ofac-ns-cmic", "listed": "2021-12-10"},
            {"type": "sameas", "id_a": "a", "id_b": "lei:529900T8BM49AURSDO55"},
        ],
    )
    assert detect_format(path) == "bundle"
    good, bad = split(parse(path))
    assert bad == []
    a, b = good[0][0], good[1][0]
    assert (a.aliases, a.sources, a.identifiers) == (
        ("Al", "A."),
        ("s1",),
        {"lei": ("529900T8BM49AURSDO55",)},
    )
    assert (b.aliases, b.identifiers) == (("B1", "B2"), {"ofac": ("9",)})
    assert good[2][0].share.lo == 500_000
    assert [loc for _, loc in good] == [f"b.jsonl:{n}" for n in range(1, 7)]
    (r,) = ws.load([path])
    assert (r.added, r.rejected) == (6, 0)
    view = ws.graph(as_of="2022-01-01")
    assert (view.n, view.m, len(view.designated("ofac-ns-cmic"))) == (2, 1, 1)


def test_json_lines_bad_lines_are_located(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(
        '{"type":"entity","id":"a","name":"A"}\n'
        "\n"
        '{"type":"entity","id":"b",\n'
        "[1,2]\n"
        '{"type":"company","id":"c","name":"C"}\n'
        '{"id":"d","name":"D"}\n'
        '{"type":"ownership","owner_id":"a","owned_id":"a"}\n'
        '{"type":"entity","id":"e","name":"E"}\n'
    )
    good, bad = split(parse(path))
    assert [r.id for r, _ in good] == ["a", "e"]
    assert [(e.line, e.reason.split(":")[0]) for e in bad] == [
        (3, "malformed JSON"),
        (4, "a line must be a JSON object"),
        (5, "unknown record type"),
        (6, "unknown record type"),
        (7, "an entity cannot own itself"),
    ]
    assert all(e.file == str(path) for e in bad)


def test_json_lines_with_a_bom(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"type":"entity","id":"a","name":"A"}\n{"type":"entity","id":"b","name":"B"}\n'
    )
    assert detect_format(path) == "bundle"
    good, bad = split(parse(path))
    assert bad == [] and [r.id for r, _ in good] == ["a", "b"]
    (r,) = ws.load([path])
    assert (r.added, r.rejected) == (2, 0)


def test_non_utf8_json_lines_is_a_format_error_with_a_hint(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes('{"type":"entity","id":"a","name":"Société Générale"}\n'.encode("latin-1"))
    assert detect_format(path) == "bundle"
    with pytest.raises(FormatError) as info:
        parse(path)
    assert info.value.file == str(path) and "not UTF-8" in info.value.reason and "iconv" in str(info.value)
    with pytest.raises(FormatError, match="not UTF-8"):
        ws.load([path])
    assert ws.store.loads() == []


@pytest.mark.slow
def test_oversized_json_line_is_rejected_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"type":"entity","id":"a","name":"A"}\n{"type":"entity","id":"b","name":"')
        f.write("x" * (11 * 1024 * 1024))
        f.write('"}\n{"type":"entity","id":"c","name":"C"}\n')
    good, bad = split(parse(path))
    assert [r.id for r, _ in good] == ["a", "c"]
    (e,) = bad
    assert e.line == 2 and "longer than" in e.reason


# -- detection, venues, listings by MIC ------------------------------------------------------------


def test_detection(tmp_path: Path, sensetime_dir: Path) -> None:
    assert detect_format(sensetime_dir) == "bundle"
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    with pytest.raises(FormatError, match="cannot detect the format"):
        detect_format(other)
    with pytest.raises(FormatError, match="no such file"):
        detect_format(tmp_path / "missing")


def test_listing_by_mic_from_the_builtin_iso_list(ws: Workspace, sensetime_dir: Path) -> None:
    assert not (sensetime_dir / "venues.csv").exists()
    ws.load([sensetime_dir])
    view = ws.graph(as_of="2022-01-07")
    venues = view.table("venues").to_pylist()
    by_mic = {v["mic"]: v for v in venues}
    assert by_mic["XHKG"]["name"] == "HONG KONG EXCHANGES AND CLEARING LTD"
    assert by_mic["XHKG"]["country"] == "HK"
    assert by_mic["SHSC"]["operating_mic"] == "XHKG"
    (row,) = view.listing_rows(view.index("sensetime-group-inc"))
    assert (row["mic"], row["ticker"]) == ("XHKG", "0020")
    assert row["mic"] in by_mic


def test_venues_csv_adds_and_overrides(ws: Workspace, bundle: Bundle) -> None:
    b = bundle(
        "venues",
        entities=[{"id": "a", "name": "A"}],
        venues=[{"mic": "ZZZZ", "name": "Private venue", "country": "KY"}, {"mic": "XHKG", "name": "HKEX"}],
        listings=[{"entity_id": "a", "mic": "ZZZZ", "ticker": "A"}],
    )
    ws.load([b])
    by_mic = {v["mic"]: v for v in ws.graph().table("venues").to_pylist()}
    assert by_mic["ZZZZ"]["name"] == "Private venue" and by_mic["ZZZZ"]["country"] == "KY"
    assert by_mic["XHKG"]["name"] == "HKEX" and by_mic["XHKG"]["country"] == "HK"


def test_sensetime_bundle_loads_clean(sensetime_ws: Workspace) -> None:
    (ld,) = sensetime_ws.store.loads()
    assert (ld["read"], ld["added"], ld["rejected"]) == (19, 19, 0)
    view = sensetime_ws.graph(as_of="2022-01-07")
    assert (view.n, view.m) == (8, 7)
    assert [view.id(i) for i in view.designated("ofac-ns-cmic")] == ["sensetime-group-ltd"]
    assert [view.id(i) for i in view.designated("bis-entity-list")] == ["beijing-sensetime"]
    assert [view.id(i) for i in view.listed_nodes()] == ["sensetime-group-inc"]
    assert view.index("registration:HK:2162198") == view.index("sensetime-group-ltd")


def test_unknown_column_fails_the_file_naming_it(bundle: Bundle) -> None:
    b = bundle("extra", entities=[{"id": "a", "name": "A", "website": "x.example"}])
    with pytest.raises(FormatError) as info:
        parse(b)
    assert "website" in info.value.reason and "jurisdiction" in (info.value.fix or "")


def test_duplicate_id_in_one_file_is_rejected_with_the_first_line(bundle: Bundle) -> None:
    b = bundle(
        "dup", entities=[{"id": "a", "name": "A"}, {"id": "b", "name": "B"}, {"id": "a", "name": "A2"}]
    )
    good, bad = split(parse(b))
    assert [r.id for r, _ in good] == ["a", "b"]
    assert len(bad) == 1 and bad[0].line == 4 and "first on line 2" in bad[0].reason


@pytest.mark.parametrize(
    ("kind", "row"),
    [
        ("entities", {"id": "c", "name": "C", "incorporated": "2999-01-01"}),
        ("ownership", {"owner_id": "a", "owned_id": "b", "share": "5", "start": "2999-01-01"}),
        ("designations", {"entity_id": "a", "regime": "eu", "listed": "2999-01-01"}),
        ("listings", {"entity_id": "a", "mic": "XHKG", "listed": "2999-01-01"}),
    ],
)
def test_dates_in_the_future_are_rejected(bundle: Bundle, kind: str, row: dict[str, str]) -> None:
    rows: dict[str, list[dict[str, str]]] = {"entities": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]}
    rows.setdefault(kind, []).append(row)
    _good, bad = split(parse(bundle("future", **rows)))
    assert len(bad) == 1 and "future" in bad[0].reason and bad[0].value == "2999-01-01"


def test_listing_with_a_bad_isin_names_the_isin_field(bundle: Bundle) -> None:
    b = bundle(
        "isin", entities=[{"id": "a", "name": "A"}], listings=[{"entity_id": "a", "isin": "US0378331006"}]
    )
    _good, bad = split(parse(b))
    assert len(bad) == 1 and bad[0].field == "isin" and bad[0].value == "US0378331006"
