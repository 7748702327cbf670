"""The bulk path of bundle CSVs (SPEC §10): column-wise validation must change the speed of a
load, never its outcome. Every test compares the bulk parser with the per-row pydantic parser on
the same files: the same rows stored (content hash included), in the same order, the same
rejects with the same file, line, field, value and wording, the same errors raised."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ownergraph.errors import InputError
from ownergraph.graph.model import Entity, Ownership
from ownergraph.graph.store import (
    ENTITY_COLUMNS,
    OWNERSHIP_COLUMNS,
    _row,
    record_id,
    record_ids,
)
from ownergraph.graph.workspace import StrictLoadError, Workspace
from ownergraph.loaders import columnar
from ownergraph.loaders.base import LOADERS, RecordBatch, make_record
from ownergraph.loaders.bundle import parse_bundle, parse_bundle_bulk

Bundle = Callable[..., Path]
Outcome = list[tuple[Any, ...]]


def _stored(items: Iterator[Any]) -> Outcome:
    """What a parser's items amount to: store rows (with rid) and rejects, in order; then the
    exception that stopped it, if any."""
    out: Outcome = []
    try:
        for it in items:
            if isinstance(it, RecordBatch):
                names = ENTITY_COLUMNS if it.type == "entity" else OWNERSHIP_COLUMNS
                cols = [it.columns.column(c).to_pylist() for c in names]
                rids = record_ids(it.type, it.columns)
                locs = it.locators.to_pylist()
                out.extend(("row", it.type, *r) for r in zip(rids, locs, *cols, strict=True))
            elif isinstance(it, InputError):
                out.append(
                    ("reject", type(it).__name__, it.file, it.line, it.field, it.value, it.reason, it.fix)
                )
            else:
                rec, loc = it
                _table, row = _row(rec, 0, loc)
                out.append(("row", rec.type, row[0], loc, *row[3:]))
    except Exception as e:  # compared between the two parsers
        out.append(("raised", type(e).__name__, str(e)))
    return out


def assert_same(path: Path) -> Outcome:
    """The bulk parser's outcome equals the per-row parser's; returns it."""
    row = _stored(parse_bundle(path))
    bulk = _stored(parse_bundle_bulk(path))
    assert bulk == row
    return row


def batches(path: Path) -> int:
    """Rows the bulk parser validated column-wise (so a test is not vacuous)."""
    return sum(len(it) for it in parse_bundle_bulk(path) if isinstance(it, RecordBatch))


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "CHUNK_BYTES", 64)


# -- hashes --------------------------------------------------------------------------------------


def test_python_whitespace_is_what_str_strip_removes() -> None:
    python = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert python == columnar.PY_WHITESPACE


_ANY_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    eid=_ANY_TEXT,
    name=_ANY_TEXT,
    aliases=st.lists(_ANY_TEXT, max_size=3),
    source=st.none() | _ANY_TEXT,
    jur=st.sampled_from(["", "HK", "us-ca"]),
    inc=st.sampled_from(["", "2001", "1999-12", "0999-01-31"]),
)
def test_record_ids_from_columns_equal_record_id(
    eid: str, name: str, aliases: list[str], source: str | None, jur: str, inc: str
) -> None:
    rec = make_record(
        "entity",
        {
            "id": eid,
            "name": name,
            "aliases": aliases,
            "sources": source,
            "jurisdiction": jur,
            "incorporated": inc,
        },
        file="x",
        line=1,
    )
    if isinstance(rec, InputError):
        return
    assert isinstance(rec, Entity)
    _t, row = _row(rec, 1, "x:1")
    import pyarrow as pa

    table = pa.table({c: pa.array([v]) for c, v in zip(ENTITY_COLUMNS, row[3:], strict=True)})
    assert record_ids("entity", table) == [record_id(rec)] == [row[0]]


@settings(max_examples=200, deadline=None)
@given(
    owner=_ANY_TEXT,
    arrangement=st.none() | _ANY_TEXT,
    share=st.sampled_from(["", "50", "(25,50]", "[0,100)", ">=50", "<1.5", "0.0001"]),
    start=st.sampled_from(["", "2001-02-03"]),
    end=st.sampled_from(["", "2030"]),
)
def test_ownership_record_ids_from_columns(
    owner: str, arrangement: str | None, share: str, start: str, end: str
) -> None:
    data = {"owner_id": owner, "owned_id": "other", "share": share, "arrangement": arrangement}
    rec = make_record("ownership", {**data, "start": start, "end": end}, file="x", line=1)
    if isinstance(rec, InputError):
        return
    assert isinstance(rec, Ownership)
    _t, row = _row(rec, 1, "x:1")
    import pyarrow as pa

    table = pa.table({c: pa.array([v]) for c, v in zip(OWNERSHIP_COLUMNS, row[3:], strict=True)})
    assert record_ids("ownership", table) == [record_id(rec)]


# -- generated files: bulk == per-row ------------------------------------------------------------

_WS = ["", " ", "\t", "\u3000", "\xa0", "\x1c"]
_IDS = ["a", "b", "c", "d", "e1", "ß", "Société", 'q"uote', "back\\slash"]
_KINDS = ["", "company", "Person", " FUND ", "unknown", "UNKNOWN", "comp", "vessel\t", "ｃompany", "K"]
_JURS = ["", "HK", "hk", " gb ", "US-CA", "us-ca1", "ß", "Hong Kong", "XK-1234", "ky-", "ＨＫ"]
_LISTS = ["", "A", "A;B", " ; ", 'x"y', "back\\slash", "a;a", " lone "]
_IDENTS = ["", " ", "lei:529900T8BM49AURSDO55", "isin:X", "wikidata:q1", ";", "ofac:1;ofac:2"]
_DATES = [
    "",
    "2020",
    "2020-02",
    "2020-02-29",
    "2021-02-29",
    "2021-13-01",
    "0000-01-01",
    "2999-01-01",
    "2020-01-01T00:00",
    "２０２０",
    " 2019-05-05 ",
    "19-05-05",
    (dt.date.today() + dt.timedelta(days=1)).isoformat(),
    dt.date.today().isoformat(),
]
_SHARES = [
    "",
    "50",
    "50%",
    "50.5",
    "0.0001",
    "0.00001",
    "100",
    "100.0001",
    "101",
    "(25,50]",
    "[75,100)",
    "(25%,50%]",
    "25-50",
    "50-25",
    ">50",
    ">=50",
    "=>50",
    "<25",
    "<=25",
    "=<25",
    ">100",
    "<0",
    "<=0",
    "unknown",
    "N/A",
    "-",
    "?",
    " 50 ",
    "5 0",
    "50 %",
    ".5",
    "5.",
    ".",
    "(50,50]",
    "[50,50]",
    "−5",
    "-5",
    "≥50",
    "25 to 50",
    "25–50",
    "0050",
    "1234567",
    "(0,100]",
    "[100,100]",
]
_OKINDS = ["", "shares", "VOTES", " board ", "control", "consolidation", "stake"]


def _cell(pool: list[str]) -> st.SearchStrategy[str]:
    plain = st.sampled_from(pool)
    padded = st.tuples(st.sampled_from(_WS), plain, st.sampled_from(_WS)).map("".join)
    junk = st.text(st.characters(codec="utf-8"), max_size=6)
    return st.one_of(plain, plain, plain, padded, junk)


_PLAIN_WS = ["", " ", "\t", "\u3000"]


def _plain_cell(pool: list[str]) -> st.SearchStrategy[str]:
    """Values the bulk path takes (whitespace around them included)."""
    return st.tuples(st.sampled_from(_PLAIN_WS), st.sampled_from(pool), st.sampled_from(_PLAIN_WS)).map(
        "".join
    )


_VALID = {
    "kind": ["", "company", "Person", "FUND", "unknown", "vessel"],
    "jurisdiction": ["", "HK", "hk", "US-CA", "gb-sct"],
    "list": ["", "A", 'x"y', "back\\slash", "Zürich"],
    "identifiers": ["", " "],
    "date": ["", "2020", "2020-02", "2020-02-29", "0999-12-31", dt.date.today().isoformat()],
    "share": [
        "",
        "50",
        "50%",
        "0.0001",
        "100",
        "(25,50]",
        "[75,100)",
        "25-50",
        ">50",
        "<=25",
        "unknown",
        "N/A",
        "5.",
    ],
    "okind": ["", "shares", "VOTES", "control"],
}


def _fields(cell: Callable[[list[str]], st.SearchStrategy[str]], kind: str, valid: bool) -> Any:
    def pool(name: str, tricky: list[str]) -> st.SearchStrategy[str]:
        return cell(_VALID[name] if valid else tricky)

    ids = st.one_of(cell(_IDS), st.integers(0, 999).map(lambda i: f"n{i}"))
    if kind == "entity":
        return st.fixed_dictionaries(
            {
                "id": ids,
                "name": cell(["Acme", "B, Ltd.", "x", "Zürich AG"]),
                "kind": pool("kind", _KINDS),
                "jurisdiction": pool("jurisdiction", _JURS),
                "aliases": pool("list", _LISTS),
                "identifiers": pool("identifiers", _IDENTS),
                "incorporated": pool("date", _DATES),
                "dissolved": pool("date", _DATES),
                "notes": pool("list", _LISTS),
                "source": pool("list", _LISTS),
            }
        )
    return st.fixed_dictionaries(
        {
            "owner_id": ids,
            "owned_id": ids,
            "share": pool("share", _SHARES),
            "kind": pool("okind", _OKINDS),
            "arrangement": cell(["", "consortium", " x "]),
            "start": pool("date", _DATES),
            "end": pool("date", _DATES),
            "source": cell(["", "register", 'a "b"']),
        }
    )


_ENTITY = st.one_of(
    _fields(_plain_cell, "entity", True),
    _fields(_plain_cell, "entity", False),
    _fields(_cell, "entity", False),
)
_OWNERSHIP = st.one_of(
    _fields(_plain_cell, "ownership", True),
    _fields(_plain_cell, "ownership", False),
    _fields(_cell, "ownership", False),
)
_ENTITY_COLUMNS = [
    "kind",
    "jurisdiction",
    "aliases",
    "identifiers",
    "incorporated",
    "dissolved",
    "notes",
    "source",
]
_OWNERSHIP_COLUMNS = ["owner_id", "owned_id", "share", "kind", "arrangement", "start", "end", "source"]


def _write(path: Path, rows: list[dict[str, str]], columns: list[str], style: dict[str, Any]) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, quoting=style["quoting"], lineterminator=style["eol"])
    w.writerow(columns)
    for i, r in enumerate(rows):
        w.writerow([r[c] for c in columns])
        if style["blank"] and i % 3 == 1:
            buf.write(style["eol"])
    path.write_bytes((b"\xef\xbb\xbf" if style["bom"] else b"") + buf.getvalue().encode("utf-8"))


_STYLE = st.fixed_dictionaries(
    {
        "quoting": st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
        "eol": st.sampled_from(["\n", "\r\n", "\r"]),
        "blank": st.booleans(),
        "bom": st.booleans(),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entities=st.lists(_ENTITY, max_size=15),
    ownership=st.lists(_OWNERSHIP, max_size=15),
    ecols=st.lists(st.sampled_from(_ENTITY_COLUMNS), unique=True),
    style=_STYLE,
    chunk=st.sampled_from([1, 40, 300, 16 << 20]),
)
def test_generated_bundles_load_the_same_both_ways(
    entities: list[dict[str, str]],
    ownership: list[dict[str, str]],
    ecols: list[str],
    style: dict[str, Any],
    chunk: int,
) -> None:
    old = columnar.CHUNK_BYTES
    columnar.CHUNK_BYTES = chunk
    try:
        with tempfile.TemporaryDirectory() as tmp:
            b = Path(tmp)
            _write(b / "entities.csv", entities, ["id", "name", *ecols], style)
            _write(b / "ownership.csv", ownership, _OWNERSHIP_COLUMNS, style)
            assert_same(b)
    finally:
        columnar.CHUNK_BYTES = old


# -- files the bulk path must handle exactly -------------------------------------------------------


def _plain(n: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    ents = [{"id": f"e{i}", "name": f"E {i}", "kind": "company", "jurisdiction": "KY"} for i in range(n)]
    own = [{"owner_id": f"e{i}", "owned_id": f"e{i + 1}", "share": f"{i % 99 + 1}.5"} for i in range(n - 1)]
    return ents, own


def test_plain_rows_are_validated_column_wise(bundle: Bundle) -> None:
    ents, own = _plain(50)
    b = bundle("plain", entities=ents, ownership=own, designations=[{"entity_id": "e1", "regime": "eu"}])
    out = assert_same(b)
    assert batches(b) == 99 and len(out) == 100


@pytest.mark.usefixtures("small_chunks")
def test_quoted_newline_falls_back_from_its_chunk(tmp_path: Path) -> None:
    b = tmp_path / "nl"
    b.mkdir()
    lines = [f"e{i},E {i}\n" for i in range(30)]
    lines[17] = 'e17,"two\r\nlines"\n'
    (b / "entities.csv").write_text("id,name\n" + "".join(lines), newline="")
    (b / "ownership.csv").write_text("owner_id,owned_id,share\ne1,e2,5\ne2,e3,150\ne3,e29,7\n")
    out = assert_same(b)
    assert 0 < batches(b) < 32
    assert ("reject", "ShareError", str(b / "ownership.csv"), 3, "share", "150") == out[-2][:6]
    # csv counts a record's last physical line; the rows after it keep their own lines
    assert [o[3] for o in out[16:19]] == ["entities.csv:18", "entities.csv:20", "entities.csv:21"]


@pytest.mark.parametrize("chunk", [64, 16 << 20])
def test_too_many_or_too_few_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(columnar, "CHUNK_BYTES", chunk)
    b = tmp_path / "cells"
    b.mkdir()
    body = "".join(f"e{i},E {i},KY\n" for i in range(20))
    body = body.replace("e5,E 5,KY\n", "e5,E 5, Inc.,KY\n").replace("e12,E 12,KY\n", "e12,E 12\n")
    (b / "entities.csv").write_text("id,name,jurisdiction\n" + body)
    out = assert_same(b)
    assert [o[3] for o in out if o[0] == "reject"] == [7]  # e12 without a jurisdiction is fine


def test_blank_lines_and_line_endings(tmp_path: Path) -> None:
    for eol in ("\n", "\r\n", "\r"):
        b = tmp_path / f"eol{len(eol)}{eol == chr(13)}"
        b.mkdir()
        body = eol.join(["id,name", "a,A", "", "b,B", "", "", "c,", "d,D"]) + eol
        (b / "entities.csv").write_text(body, newline="")
        out = assert_same(b)
        assert [o[3] for o in out if o[0] == "row"] == ["entities.csv:2", "entities.csv:4", "entities.csv:8"]
        assert [o[3] for o in out if o[0] == "reject"] == [7]


def test_duplicate_ids_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "CHUNK_BYTES", 50)
    b = tmp_path / "dups"
    b.mkdir()
    ids = ["a", "b", " a", "c", "b", "", "x", "c ", "x"]
    (b / "entities.csv").write_text("id,name\n" + "".join(f"{i},N\n" for i in ids))
    out = assert_same(b)
    dups = [(o[3], o[6]) for o in out if o[0] == "reject" and o[6].startswith("duplicate")]
    assert dups == [
        (4, "duplicate id (first on line 2)"),
        (6, "duplicate id (first on line 3)"),
        (9, "duplicate id (first on line 5)"),
        (10, "duplicate id (first on line 8)"),
    ]


def test_non_utf8_after_the_first_megabyte(tmp_path: Path) -> None:
    b = tmp_path / "late"
    b.mkdir()
    head = "id,name\n" + "".join(f"e{i},Name {i}\n" for i in range(80_000))
    assert len(head) > 1 << 20
    (b / "entities.csv").write_bytes(head.encode() + "z,Zürich\n".encode("latin-1") + b"y,Y\n")
    out = assert_same(b)
    assert out[-1][0] == "reject" and "unreadable CSV row" in out[-1][6]


def test_header_variants(tmp_path: Path) -> None:
    cases = {
        "spaces": " id , name ,kind\na,A,person\n",
        "empty_column": "id,,name\na,ignored,A\n",
        "duplicate_column": "id,name,name\na,A,B\n",
        "quoted_newline_header": 'id,"na\nme"\na,A\n',
        "no_rows": "id,name\n",
        "no_newline_at_end": "id,name\na,A",
        "unknown_column": "id,name,website\na,A,x\n",
        "missing_column": "id\na\n",
        "empty_file": "",
    }
    for name, text in cases.items():
        b = tmp_path / name
        b.mkdir()
        (b / "entities.csv").write_text(text)
        assert_same(b)


def test_oversized_field_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "MAX_FIELD", 100)
    monkeypatch.setattr(columnar, "CHUNK_BYTES", 8)
    b = tmp_path / "big"
    b.mkdir()
    (b / "entities.csv").write_text("id,name\na,A\nb," + "x" * 200 + "\nc,C\n")
    assert_same(b)
    assert batches(b) == 1  # the chunk before the big field; per-row from there on


def test_sensetime_bundle_loads_the_same(sensetime_dir: Path) -> None:
    assert_same(sensetime_dir)


# -- the workspace: identical stores -------------------------------------------------------------


def _load_both(path: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> list[dict[str, Any]]:
    spec = LOADERS["bundle"]
    out = []
    for mode in ("row", "bulk"):
        monkeypatch.setitem(
            LOADERS, "bundle", spec if mode == "bulk" else dataclasses.replace(spec, bulk=None)
        )
        with Workspace(tmp / mode) as w:
            (r,) = w.load([path], **kw)
            # every stored record, wherever it is kept (SQLite rows or the bulk path's segments)
            tables: dict[str, Any] = {t: w.store.records(t).to_pylist() for t in ("entity", "ownership")}
            tables["other"] = w.store.conn.execute("SELECT * FROM other ORDER BY 1, 2").fetchall()
            tables["counts"] = w.store.counts()
            rejects = Path(r.rejects_file).read_text() if r.rejects_file else None
            cache = {p.name: p.read_bytes() for p in sorted(w.cache_dir.iterdir()) if p.name != "meta.json"}
            report = r.model_dump(exclude={"seconds", "rejects_file"})
            out.append({"tables": tables, "rejects": rejects, "cache": cache, "report": report})
    assert out[0] == out[1]
    return out


def test_workspace_stores_the_same_rows_both_ways(
    bundle: Bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ents, own = _plain(1500)  # more than 1024 rows: the store's shared-string columns
    ents[7]["jurisdiction"] = "Hong Kong"  # rejected
    ents[9]["id"] = "e3"  # duplicate id
    ents.append({"id": "lei-holder", "name": "L", "kind": "", "jurisdiction": ""})
    own += [
        {"owner_id": "ghost", "owned_id": "e1", "share": "10"},  # dangling
        {"owner_id": "e1", "owned_id": "e2", "share": "60"},  # a second stake
        {"owner_id": "e1", "owned_id": "e2", "share": "60"},  # the same record again: duplicate
        {"owner_id": "e2", "owned_id": "e2", "share": "1"},  # self-ownership
        {"owner_id": "e4", "owned_id": "lei-holder", "share": ">=50"},
    ]
    b = bundle("ws", entities=ents, ownership=own, listings=[{"entity_id": "nobody", "mic": "XHKG"}])
    (row, _bulk) = _load_both(b, tmp_path, monkeypatch)
    rep = row["report"]
    # 2 bad entities leave 4 stakes dangling, plus ghost, self-ownership and the listing
    assert (rep["read"], rep["duplicate"], rep["rejected"]) == (3006, 1, 9)


def test_strict_fails_on_the_same_line(
    bundle: Bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ents, own = _plain(30)
    own[20]["share"] = "(50,25]"
    b = bundle("strict", entities=ents, ownership=own)
    spec = LOADERS["bundle"]
    errors = []
    for mode in ("row", "bulk"):
        monkeypatch.setitem(
            LOADERS, "bundle", spec if mode == "bulk" else dataclasses.replace(spec, bulk=None)
        )
        with Workspace(tmp_path / mode) as w:
            with pytest.raises(StrictLoadError) as info:
                w.load([b], strict=True)
            errors.append(str(info.value))
            assert w.store.counts() == {"entity": 0, "ownership": 0}
            assert w.store.loads() == []
    assert errors[0] == errors[1] and "ownership.csv:line 22" in errors[0]


def test_second_load_of_the_same_rows_adds_nothing(bundle: Bundle, tmp_path: Path) -> None:
    ents, own = _plain(25)
    b1 = bundle("one", entities=ents, ownership=own)
    b2 = bundle("two", entities=[*ents, {"id": "new", "name": "New"}], ownership=own)
    with Workspace(tmp_path / "w") as w:
        (r1,) = w.load([b1])
        (r2,) = w.load([b2])
        assert (r1.added, r2.added, r2.duplicate) == (49, 1, 49)
        # rows stored by the per-row path (the sameas API) and the bulk path share one hash space
        rids = w.store.records("entity", ["rid"]).column("rid").to_pylist()
        assert (len(set(rids)), len(rids)) == (26, 26)


@pytest.mark.parametrize("first", ["csv", "jsonl"])
def test_segments_and_sqlite_rows_share_one_hash_space(
    bundle: Bundle, jsonl: Callable[[str, list[dict[str, Any]]], Path], tmp_path: Path, first: str
) -> None:
    """The same records loaded by the bulk path (CSV: segments) and by the per-row path (JSON
    lines: SQLite rows), in either order, are stored once; show and search find them."""
    ents, own = _plain(30)
    ents[3]["aliases"] = "Third Holdings"
    csv_bundle = bundle("csv", entities=ents, ownership=own)
    lines = [{"type": "entity", **e} for e in ents] + [{"type": "ownership", **o} for o in own]
    lines_bundle = jsonl("rows.jsonl", [*lines[:40], {"type": "entity", "id": "extra", "name": "Extra"}])
    order = [csv_bundle, lines_bundle] if first == "csv" else [lines_bundle, csv_bundle]
    with Workspace(tmp_path / "w") as w:
        r1, r2 = (w.load([p])[0] for p in order)
        assert r1.rejected == r2.rejected == 0
        assert r1.added + r2.added == 30 + 29 + 1
        assert r2.duplicate == 40
        assert w.store.counts() == {"entity": 31, "ownership": 29}
        rids = w.store.records("ownership", ["rid"]).column("rid").to_pylist()
        assert len(set(rids)) == len(rids) == 29
        assert [r["id"] for r in w.store.entity_rows(["e3", "extra"])] == ["e3", "extra"]
        assert w.store.search_names("third hold", 10) == [("e3", "E 3", '["Third Holdings"]')]
        view = w.graph()
        assert (view.n, view.m) == (31, 29)


def test_stakes_between_the_same_two_entities_are_not_repeats(bundle: Bundle, tmp_path: Path) -> None:
    """Records sharing an id or both ends but differing in another column are distinct; only a
    row equal in every column is a repeat (the column check must agree with the record ids)."""
    ents, own = _plain(5)
    own += [
        {"owner_id": "e0", "owned_id": "e1", "share": "30"},  # same ends as row 1, other share
        {"owner_id": "e0", "owned_id": "e1", "share": "30", "kind": "votes"},  # and other kind
    ]
    b1 = bundle("stakes", entities=ents, ownership=own)
    b2 = bundle("again", entities=ents, ownership=[*own, {"owner_id": "e0", "owned_id": "e1", "share": "31"}])
    with Workspace(tmp_path / "w") as w:
        (r1,) = w.load([b1])
        assert (r1.added, r1.duplicate) == (5 + 6, 0)
        (r2,) = w.load([b2])
        assert (r2.added, r2.duplicate) == (1, 11)
        rids = w.store.records("ownership", ["rid"]).column("rid").to_pylist()
        assert len(set(rids)) == len(rids) == 7
