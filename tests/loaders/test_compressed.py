"""Compressed input: gzipped, bzipped and zipped copies (made in ``tmp_path``) of real small files
from ``../shared/data``, read as streams; archives that are too large or zip bombs are refused."""

from __future__ import annotations

import bz2
import gzip
import io
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from ownergraph.errors import FormatError, InputError
from ownergraph.graph.model import Entity, Holding, Record
from ownergraph.graph.workspace import Workspace
from ownergraph.loaders.base import Item, detect_format
from ownergraph.loaders.compressed import (
    STREAM_PARSERS,
    compressed_parser,
    detect_compressed,
    detect_inner_format,
    open_members,
    parse_compressed,
    stream_members,
)
from ownergraph.loaders.wikidata import parse_wikidata

DATA = Path(__file__).parents[2] / ".." / "shared" / "data"
PERSON = DATA / "wikidata" / "nomenklatura_wbgetentities_Q22682071_Kirill_Shamalov.json"
TABLE = DATA / "sec_13f" / "edgartools_13F-HR.infotable.xml"
COVER = DATA / "sec_13f" / "edgartools_metlife.13F-HR.primarydoc.xml"
OFAC_XML = DATA / "ofac" / "urbanfortnight_cons_advanced_2020-03-17.xml"
MIC = DATA / "iso10383_mic" / "ISO10383_MIC.csv"


def records(items: list[Item]) -> list[Record]:
    return [i[0] for i in items if not isinstance(i, InputError)]


def gz(src: Path, dest: Path) -> Path:
    dest.write_bytes(gzip.compress(src.read_bytes()))
    return dest


def zipped(dest: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(dest, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dest


def test_gzip_streams_to_the_same_records(tmp_path: Path) -> None:
    packed = gz(PERSON, tmp_path / "person.json.gz")
    name, opener = detect_compressed(packed)
    assert name == "person.json"
    with opener() as f:
        assert f.read() == PERSON.read_bytes()
    assert detect_inner_format(packed) == "wikidata"
    assert detect_format(packed) == "wikidata"  # base.py sniffs inside the archive
    plain = records(list(parse_wikidata(PERSON)))
    assert records(list(parse_compressed(packed))) == plain
    assert records(list(parse_wikidata(packed))) == plain


def test_bzip2_streams(tmp_path: Path) -> None:
    packed = tmp_path / "person.json.bz2"
    packed.write_bytes(bz2.compress(PERSON.read_bytes()))
    assert detect_inner_format(packed) == "wikidata"
    assert [r.id for r in records(list(parse_compressed(packed))) if isinstance(r, Entity)] == [
        "wd:Q22682071"
    ]


def test_zip_members_are_read_in_their_own_formats(tmp_path: Path) -> None:
    archive = zipped(
        tmp_path / "mixed.zip",
        {
            "wd/person.json": PERSON.read_bytes(),
            "13f/infotable.xml": TABLE.read_bytes(),
            "13f/primary_doc.xml": COVER.read_bytes(),
            "__MACOSX/._person.json": b"junk",
            ".DS_Store": b"junk",
        },
    )
    with open_members(archive) as members:
        assert [m.name for m in members] == ["wd/person.json", "13f/infotable.xml", "13f/primary_doc.xml"]
        assert members[0].display == f"{archive}!wd/person.json"
        assert members[0].path == archive / "wd" / "person.json"
    assert [n for n, _ in stream_members(archive)] == [
        "wd/person.json",
        "13f/infotable.xml",
        "13f/primary_doc.xml",
    ]
    assert detect_inner_format(archive) == "compressed"
    items = list(parse_compressed(archive))
    recs = records(items)
    assert sum(isinstance(r, Holding) for r in recs) == 255
    assert "wd:Q22682071" in {r.id for r in recs if isinstance(r, Entity)}
    (err,) = [i for i in items if isinstance(i, InputError)]  # the two real 13F files do not match
    assert err.file == f"{archive}!13f/infotable.xml" and "declares 6 entries" in str(err)


def test_zip_of_a_matching_13f_pair(tmp_path: Path) -> None:
    cover = COVER.read_text(encoding="utf-8").replace("<tableEntryTotal>6<", "<tableEntryTotal>255<")
    archive = zipped(
        tmp_path / "filing.zip", {"infotable.xml": TABLE.read_bytes(), "primary_doc.xml": cover.encode()}
    )
    assert detect_inner_format(archive) == "sec13f"
    recs = records(list(parse_compressed(archive, "sec13f")))
    assert {r.holder_id for r in recs if isinstance(r, Holding)} == {"sec:0001099219"}


def test_workspace_loads_compressed_input_and_writes_nothing_else(tmp_path: Path, ws: Workspace) -> None:
    src = tmp_path / "in"
    src.mkdir()
    packed = gz(PERSON, src / "person.json.gz")
    before = sorted(p.name for p in src.iterdir())
    (report,) = ws.load([packed])
    assert report.rejected == 0 and report.added == 1
    assert sorted(p.name for p in src.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "ws"]
    # the same records uncompressed add nothing
    (again,) = ws.load([PERSON])
    assert again.added == 0 and again.duplicate == 1


def test_compressed_parser_for_the_workspace(tmp_path: Path) -> None:
    packed = gz(PERSON, tmp_path / "person.json.gz")
    assert compressed_parser(PERSON, "wikidata") is None
    assert compressed_parser(packed, "compressed") is None
    parse = compressed_parser(packed, "wikidata")
    assert parse is not None and records(list(parse(packed))) == records(list(parse_wikidata(PERSON)))


@pytest.mark.skipif("ofac-xml" in STREAM_PARSERS, reason="the OFAC XML loader reads streams now")
def test_format_without_a_stream_parser_is_refused(tmp_path: Path) -> None:
    packed = gz(OFAC_XML, tmp_path / "cons_advanced.xml.gz")
    assert detect_inner_format(packed) == "ofac-xml"
    with pytest.raises(FormatError, match="ofac-xml loader cannot read compressed input") as e:
        list(parse_compressed(packed))
    assert e.value.fix and "decompress" in e.value.fix


def test_unrecognised_member_is_reported(tmp_path: Path) -> None:
    archive = zipped(tmp_path / "a.zip", {"person.json": PERSON.read_bytes(), "README.txt": b"hello"})
    items = list(parse_compressed(archive))
    (err,) = [i for i in items if isinstance(i, InputError)]
    assert err.file == f"{archive}!README.txt"
    with pytest.raises(FormatError, match="cannot detect the format"):
        detect_inner_format(archive)


# -- size checks ---------------------------------------------------------------------------------


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    # 64 MiB of zeros deflates to ~64 KB: over 1000:1
    bomb = zipped(
        tmp_path / "bomb.zip", {"person.json": PERSON.read_bytes(), "data/huge.csv": bytes(64 << 20)}
    )
    assert bomb.stat().st_size < 200_000
    with pytest.raises(FormatError, match="zip bomb") as e:
        list(parse_compressed(bomb))
    assert e.value.file == f"{bomb}!data/huge.csv"
    assert e.value.fix
    with pytest.raises(FormatError, match="zip bomb"):
        detect_inner_format(bomb)


def test_bzip2_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = zipped(tmp_path / "bomb.zip", {"huge.json": bytes(64 << 20)}, zipfile.ZIP_BZIP2)
    with pytest.raises(FormatError, match="zip bomb"):
        list(parse_compressed(bomb))


def test_gzip_bomb_is_refused_by_its_trailer(tmp_path: Path) -> None:
    bomb = tmp_path / "huge.json.gz"
    bomb.write_bytes(gzip.compress(bytes(64 << 20), 9))
    with pytest.raises(FormatError, match="zip bomb") as e:
        list(parse_compressed(bomb))
    assert e.value.file == str(bomb)


def test_gzip_bomb_with_a_lying_trailer_is_stopped_while_reading(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(b'{"entities": {}}' + bytes(64 << 20), 9))
    data[-4:] = (16).to_bytes(4, "little")  # claims 16 bytes uncompressed
    bomb = tmp_path / "liar.json.gz"
    bomb.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="compression ratio over 1000:1"):
        list(parse_compressed(bomb, "wikidata"))


def test_declared_size_over_the_limit(tmp_path: Path) -> None:
    archive = zipped(tmp_path / "mic.zip", {"ISO10383_MIC.csv": MIC.read_bytes()})
    with (
        pytest.raises(FormatError, match=r"over the 1\.0 KiB limit") as e,
        open_members(archive, max_bytes=1024),
    ):
        pass
    assert e.value.file == f"{archive}!ISO10383_MIC.csv"
    assert e.value.fix and "OWNERGRAPH_MAX_UNCOMPRESSED_GIB" in e.value.fix
    packed = gz(MIC, tmp_path / "mic.csv.gz")
    with pytest.raises(FormatError, match="limit"), open_members(packed, max_bytes=1024):
        pass


def test_stream_limit_for_gzip(tmp_path: Path) -> None:
    packed = gz(PERSON, tmp_path / "person.json.gz")
    data = bytearray(packed.read_bytes())
    data[-4:] = (10).to_bytes(4, "little")  # a trailer that passes the declared-size check
    packed.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="more than the"), open_members(packed, max_bytes=1000) as members:
        members[0].open().read()


def test_nested_and_tar_archives_are_refused(tmp_path: Path) -> None:
    inner = gz(PERSON, tmp_path / "person.json.gz")
    outer = zipped(tmp_path / "outer.zip", {"person.json.gz": inner.read_bytes()})
    with pytest.raises(FormatError, match="archive inside an archive"):
        list(parse_compressed(outer))
    tgz = tmp_path / "person.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(PERSON, arcname="person.json")
    with pytest.raises(FormatError, match="tar archives"):
        list(parse_compressed(tgz))


def test_member_names_never_leave_the_archive(tmp_path: Path) -> None:
    archive = zipped(tmp_path / "evil.zip", {"../../etc/passwd": b"x", "/abs/name.json": b"y"})
    with open_members(archive) as members:
        assert [m.path for m in members] == [archive / "etc" / "passwd", archive / "abs" / "name.json"]
        assert all(not m.path.exists() for m in members)


def test_damaged_archive(tmp_path: Path) -> None:
    packed = gz(PERSON, tmp_path / "person.json.gz")
    data = packed.read_bytes()
    packed.write_bytes(data[:-200] + data[-8:])  # cut short, with its trailer kept
    with pytest.raises(FormatError, match="damaged archive"):
        list(parse_compressed(packed, "wikidata"))
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(FormatError, match="damaged zip"), open_members(bad):
        pass


def test_detect_compressed_of_a_multi_member_zip(tmp_path: Path) -> None:
    archive = zipped(tmp_path / "two.zip", {"a.json": b"{}", "b.json": b"{}"})
    with pytest.raises(FormatError, match="2 members"):
        detect_compressed(archive)
    one = zipped(tmp_path / "one.zip", {"dir/a.json": PERSON.read_bytes()})
    name, opener = detect_compressed(one)
    with opener() as f:
        assert name == "dir/a.json" and f.read(1) == b"{"


def test_sec13f_member_copy_is_not_touched(tmp_path: Path) -> None:
    # the loaders read members straight from the archive: no extracted copy appears anywhere
    archive = zipped(tmp_path / "f.zip", {"infotable.xml": TABLE.read_bytes()})
    shutil.copy(PERSON, tmp_path / "p.json")
    list(parse_compressed(archive))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.zip", "p.json"]
    assert io.BytesIO(archive.read_bytes()).read(2) == b"PK"
