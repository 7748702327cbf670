"""Format detection on every real file in ``../shared/data`` (and on gzipped copies of them).

Formats that colleagues are still writing (ftm, csl, gleif-csv, gleif-xml, bods) are skipped
while they are not registered. Files that are no loadable format on their own — OFAC's
add/alt/comments siblings (the prim file is the entry point), GLEIF's ELF code list, the raw UK
PSC snapshot records behind BODS, the SOURCES.md files — must not be claimed by any format.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ownergraph.errors import FormatError
from ownergraph.loaders.base import LOADERS, detect_format
from ownergraph.loaders.compressed import detect_inner_format

DATA = (Path(__file__).parents[2] / ".." / "shared" / "data").resolve()
PENDING: tuple[str, ...] = ()

EXPECTED: dict[str, str | None] = {
    "bods/bodsdata_dk_cvr_test-bods-data-1.json": "bods",
    "bods/bodsdata_dk_cvr_test-bods-data-2.json": "bods",
    "bods/bodspipelines_gleif_to_bods02_lei-data-out.json": "bods",
    "bods/bodspipelines_gleif_to_bods02_rr-data-out.json": "bods",
    "bods/uk_psc_source/bodsukpsc_psc-data-1.json": None,  # Companies House records, not BODS
    "bods/uk_psc_source/bodsukpsc_psc-data-8.json": None,
    "bods/v04_official_examples/datastandard_bods-package-entity-owning-entity.json": "bods",
    "bods/v04_official_examples/datastandard_bods-package-fi-soe.json": "bods",
    "bods/v04_official_examples/datastandard_listed-company-exempt-from-disclosure.json": "bods",
    "bods/v04_official_examples/datastandard_plc-entity-statement.json": "bods",
    "gleif/bodspipelines_lei-data.xml": "gleif-xml",
    "gleif/bodspipelines_repex-data.xml": "gleif-xml",
    "gleif/bodspipelines_rr-data.xml": "gleif-xml",
    "gleif/ft_gleifr_test-gleif-entities.csv": "gleif-csv",
    "gleif/ft_gleifr_test-gleif-relationships.csv": "gleif-csv",
    "gleif/opensanctions_vendored_gleif_elf-codes-1.4.1.csv": None,  # a code list, not LEI records
    "iso10383_mic/ISO10383_MIC.csv": "mic",
    "ofac/urbanfortnight_cons_advanced_2020-03-17.xml": "ofac-xml",
    "ofac/watchman_cons_add.csv": None,
    "ofac/watchman_cons_alt.csv": None,
    "ofac/watchman_cons_comments.csv": None,
    "ofac/watchman_cons_prim.csv": "ofac-csv",
    "ofac/watchman_ofactest_add.csv": None,
    "ofac/watchman_ofactest_alt.csv": None,
    "ofac/watchman_ofactest_sdn.csv": "ofac-csv",
    "ofac/watchman_ofactest_sdn_comments.csv": None,
    "opensanctions_ftm/yente_t1_entities.ftm.json": "ftm",
    "opensanctions_ftm/yente_t2_20240527194702_entities.delta.json": "ftm",
    "opensanctions_ftm/yente_zala_entities.ftm.json": "ftm",
    "other_lists/opensanctions_us_bis_mieu.csv": "mieu",
    "other_lists/opensanctions_us_dod_1260h_chinese_milcorps.csv": "dod1260h",
    "sec_13f/edgartools_13F-HR.infotable.xml": "sec13f",
    "sec_13f/edgartools_metlife.13F-HR.primarydoc.xml": "sec13f",
    "us_csl/watchman_bis_dpl.tsv": "csl",  # formats.md §2 lists the DPL TSV among the CSL files
    "us_csl/watchman_consolidated_2025.csv": "csl",
    "wikidata/nomenklatura_wbgetentities_Q22682071_Kirill_Shamalov.json": "wikidata",
}
NOT_YET: dict[str, str] = {}
FOLDERS = {"sec_13f": "sec13f", "ofac": "ofac-csv"}


def _cases() -> list[object]:
    cases: list[object] = []
    for rel, fmt in sorted(EXPECTED.items()):
        marks = []
        if fmt in PENDING:
            marks.append(pytest.mark.skipif(fmt not in LOADERS, reason=f"{fmt} is not registered yet"))
        if rel in NOT_YET:
            marks.append(pytest.mark.xfail(reason=NOT_YET[rel], strict=False))
        cases.append(pytest.param(rel, fmt, marks=marks, id=rel))
    return cases


def test_every_real_file_is_listed() -> None:
    real = {p.relative_to(DATA).as_posix() for p in DATA.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    assert real == set(EXPECTED)


@pytest.mark.parametrize(("rel", "fmt"), _cases())
def test_detect_real_file(rel: str, fmt: str | None) -> None:
    path = DATA / rel
    if fmt is None:
        with pytest.raises(FormatError, match="cannot detect the format"):
            detect_format(path)
    else:
        assert detect_format(path) == fmt


@pytest.mark.parametrize(("rel", "fmt"), _cases())
def test_detect_inside_gzip(tmp_path: Path, rel: str, fmt: str | None) -> None:
    packed = tmp_path / (Path(rel).name + ".gz")
    packed.write_bytes(gzip.compress((DATA / rel).read_bytes()))
    if fmt is None:
        with pytest.raises(FormatError, match="cannot detect the format"):
            detect_inner_format(packed)
        with pytest.raises(FormatError, match="cannot detect the format"):
            detect_format(packed)
    else:
        assert detect_inner_format(packed) == fmt
        assert detect_format(packed) == fmt


@pytest.mark.parametrize(("folder", "fmt"), sorted(FOLDERS.items()))
def test_detect_folders(folder: str, fmt: str) -> None:
    assert detect_format(DATA / folder) == fmt


def test_unknown_format_lists_the_formats() -> None:
    with pytest.raises(FormatError) as e:
        detect_format(DATA / "sec_13f" / "SOURCES.md")
    assert "cannot detect the format" in str(e.value)
    assert e.value.file == str(DATA / "sec_13f" / "SOURCES.md")
    assert e.value.fix == "pass --format with one of: " + ", ".join(sorted(LOADERS))
    for name in ("sec13f", "wikidata", "compressed", "ofac-csv", "bundle"):
        assert name in e.value.fix


def test_missing_path() -> None:
    with pytest.raises(FormatError, match="no such file"):
        detect_format(DATA / "no-such-file.json")
