"""The query commands end to end through the CLI on the case study: each prints one JSON array
of the rows its query function returns, and bad arguments are usage errors or one-line errors."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ownergraph.cli import cli

Run = Callable[..., Result]


@pytest.fixture
def st(tmp_path: Path, sensetime_dir: Path) -> Run:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), "--as-of", "2022-01-07", *args])

    r = invoke("load", str(sensetime_dir))
    assert r.exit_code == 0, r.output
    return invoke


def rows(r: Result) -> list[dict[str, Any]]:
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert isinstance(data, list)
    return data


def test_restricted_json(st: Run) -> None:
    got = rows(
        st("restricted", "--regime", "ofac-ns-cmic", "--regime", "bis-entity-list", "--format", "json")
    )
    assert {(x["regime"], x["id"], x["status"]) for x in got} == {
        ("ofac-ns-cmic", "sensetime-group-ltd", "designated"),
        ("bis-entity-list", "beijing-sensetime", "designated"),
    }
    ns = next(x for x in got if x["regime"] == "ofac-ns-cmic")
    assert ns["effective"] == "2022-02-08" and ns["divest_by"] == "2022-12-10"


def test_loopholes_json_and_finding_picture(st: Run, tmp_path: Path) -> None:
    got = rows(st("loopholes", "--pattern", "listed-parent", "--format", "json"))
    paths = {(x["regime"], tuple(x["path"]), x["mic"]) for x in got}
    assert ("ofac-ns-cmic", ("sensetime-group-inc", "sensetime-group-ltd"), "XHKG") in paths
    assert ("bis-entity-list", ("sensetime-group-inc", "beijing-sensetime"), "XHKG") in paths
    fid = next(x["finding_id"] for x in got if x["regime"] == "ofac-ns-cmic")
    out = tmp_path / "f.html"
    r = st("viz", "--finding", fid, "-o", str(out))
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert "sensetime-group-ltd" in html and "cdn.jsdelivr" not in html


def test_loopholes_unknown_pattern_is_a_usage_error(st: Run) -> None:
    r = st("loopholes", "--pattern", "nope")
    assert r.exit_code == 2 and "listed-parent" in r.stderr


def test_viz_unknown_finding_is_one_line(st: Run) -> None:
    r = st("viz", "--finding", "ffffffffff")
    assert r.exit_code == 1 and r.stderr.startswith("error: no finding") and len(r.stderr.splitlines()) == 1


def test_ownership_and_path_json(st: Run) -> None:
    up = rows(st("ownership", "registration:HK:2162198", "--format", "json"))
    assert [(x["owner_id"], x["owned_id"], x["share"]) for x in up] == [
        ("sensetime-group-inc", "sensetime-group-ltd", "unknown")
    ]
    got = rows(st("path", "qualcomm", "shenzhen-sensetime", "--format", "json"))
    assert got[0]["path"] == ["qualcomm", "sensetime-group-inc", "sensetime-group-ltd", "shenzhen-sensetime"]
    assert all(e["source"] for e in got[0]["edges"])


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("path", "qualcomm", "shenzhen-sensetime", "--k", "0"), "k"),
        (("path", "qualcomm", "shenzhen-sensetime", "--max-depth", "-1"), "max_depth"),
        (("ownership", "sensetime-group-ltd", "--max-depth", "0"), "max_depth"),
    ],
)
def test_bad_query_parameters_are_one_line(st: Run, args: tuple[str, ...], field: str) -> None:
    """Out-of-range numbers reach the query functions; the CLI shows their InputError as one line
    naming the field, the value and the fix (no traceback), exit 1."""
    r = st(*args)
    assert r.exit_code == 1, r.output
    (line,) = r.stderr.strip().splitlines()
    assert f"field '{field}' = '{args[-1]}'" in line and "pass " in line and "Traceback" not in r.output


def test_exposure_csv_input_and_output(st: Run, tmp_path: Path) -> None:
    pf = tmp_path / "p.csv"
    with open(pf, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ticker", "mic", "name", "weight"])
        w.writerow(["0020", "XHKG", "", "0.5"])
        w.writerow(["", "", "No Such Company", "0.5"])
    r = st("exposure", str(pf), "--regime", "ofac-ns-cmic", "--format", "csv")
    assert r.exit_code == 0, r.output
    table = list(csv.DictReader(r.stdout.splitlines()))
    resolved = [x for x in table if x["entity_id"] == "sensetime-group-inc"]
    assert resolved and json.loads(resolved[0]["path"])[0] == "sensetime-group-inc"
    unresolved = [x for x in table if not x["entity_id"]]
    assert unresolved and unresolved[0]["reason"]


def test_regimes_reflect_the_date(tmp_path: Path) -> None:
    def bis(day: str) -> str:
        r = CliRunner().invoke(
            cli, ["--workspace", str(tmp_path / "ws"), "--as-of", day, "regimes", "--format", "json"]
        )
        return str(next(x for x in rows(r) if x["id"] == "bis-entity-list")["rule_status"])

    assert (bis("2025-10-15"), bis("2026-03-01"), bis("2026-11-10")) == ("in-force", "suspended", "in-force")
