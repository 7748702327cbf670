"""The CLI contract (SPEC §7): examples in every --help, JSON/CSV on stdout and messages on
stderr, exit 1 with one line for library errors (traceback only with --debug), exit 2 for usage
errors, and ``load``'s per-file summary."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from pydantic import BaseModel

from ownergraph.cli import cli
from ownergraph.errors import NotFoundError
from ownergraph.render import render

Bundle = Callable[..., Path]


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from _command_paths(cmd, (*prefix, name))


COMMANDS = [(), *_command_paths(cli)]


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    """``run("show", "x")`` runs the CLI on the workspace ``tmp_path/ws``."""

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, ["--workspace", str(tmp_path / "ws"), *args], env=env, catch_exceptions=True
        )

    return invoke


@pytest.fixture
def loaded(run: Callable[..., Result], sensetime_dir: Path) -> Callable[..., Result]:
    r = run("load", str(sensetime_dir))
    assert r.exit_code == 0, r.output
    return run


def one_error_line(r: Result) -> str:
    assert r.exit_code == 1, (r.exit_code, r.output)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in r.stderr
    assert r.exception is None or isinstance(r.exception, SystemExit)
    return lines[0]


def json_rows(r: Result) -> list[dict[str, Any]]:
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert isinstance(data, list) and all(isinstance(x, dict) for x in data)
    return data


# -- help ----------------------------------------------------------------------------------------


def test_there_are_commands() -> None:
    assert {("load",), ("stats",), ("search",), ("show",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "ownergraph")
def test_every_help_has_an_example(path: tuple[str, ...]) -> None:
    r = CliRunner().invoke(cli, [*path, "--help"])
    assert r.exit_code == 0, r.output
    assert "Example" in r.stdout
    assert "Usage:" in r.stdout
    # the example lines are kept verbatim (\b), so they start with the program name
    after = r.stdout.split("Example", 1)[1]
    assert "ownergraph " in after


def test_version() -> None:
    r = CliRunner().invoke(cli, ["--version"])
    assert r.exit_code == 0 and "0.1.0" in r.stdout


# -- load ----------------------------------------------------------------------------------------


def test_load_prints_a_summary_per_file_on_stderr(run: Callable[..., Result], sensetime_dir: Path) -> None:
    r = run("load", str(sensetime_dir))
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert f"{sensetime_dir}: format bundle (detected)" in r.stderr
    assert f"{sensetime_dir}: read 19, added 19, duplicate 0, merged 0, rejected 0 in " in r.stderr
    again = run("load", "--format", "bundle", str(sensetime_dir))
    assert again.exit_code == 0
    assert "already loaded" in again.stderr and "nothing added" in again.stderr
    assert "(detected)" not in again.stderr


def test_load_reports_rejects(run: Callable[..., Result], bundle: Bundle, tmp_path: Path) -> None:
    b = bundle(
        "bad",
        entities=[{"id": "a", "name": "A"}, {"id": "b", "name": "B", "jurisdiction": "Cayman"}],
        ownership=[{"owner_id": "a", "owned_id": "ghost", "share": "10"}],
    )
    r = run("load", str(b))
    assert r.exit_code == 0, r.output
    assert "read 3, added 1, duplicate 0, merged 0, rejected 2" in r.stderr
    assert f"first reject: {b / 'entities.csv'}:line 3: field 'jurisdiction' = 'CAYMAN'" in r.stderr
    assert f"reject report: {tmp_path / 'ws' / 'rejects'}" in r.stderr


def test_load_where_everything_is_rejected_fails(run: Callable[..., Result], bundle: Bundle) -> None:
    b = bundle("allbad", entities=[{"id": "a", "name": "A", "kind": "alien"}])
    r = run("load", str(b))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1].startswith("error: 1 file(s) loaded nothing")


def test_load_strict_fails_in_one_line_and_writes_nothing(
    loaded: Callable[..., Result], bundle: Bundle
) -> None:
    before = json_rows(loaded("stats", "--format", "json"))
    b = bundle("strict", entities=[{"id": "z", "name": "Z"}, {"id": "y", "name": "Y", "kind": "alien"}])
    r = loaded("load", "--strict", str(b))
    assert r.exit_code == 1
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert f"{b / 'entities.csv'}:line 3: field 'kind'" in line and "--strict" in line
    assert "Traceback" not in r.stderr
    assert json_rows(loaded("stats", "--format", "json")) == before


@pytest.mark.parametrize(
    "args",
    [
        ["load"],
        ["load", "/definitely/not/here"],
        ["load", "--format", "xlsx", "."],
        ["stats", "--format", "yaml"],
        ["show"],
        ["show", "a", "b"],
        ["nosuchcommand"],
        ["stats", "--nosuchoption"],
        ["--as-of", "2022-02-30", "stats"],
        ["--as-of", "last tuesday", "stats"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_2(run: Callable[..., Result], args: list[str]) -> None:
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    assert "Error" in r.stderr or "Usage" in r.stderr


# -- output conventions --------------------------------------------------------------------------


def test_stats_json(loaded: Callable[..., Result]) -> None:
    r = loaded("--as-of", "2022-01-07", "stats", "--format", "json")
    rows = json_rows(r)
    assert r.stderr == ""
    assert all(set(x) == {"kind", "count"} for x in rows)
    counts = {x["kind"]: x["count"] for x in rows}
    assert counts["entities"] == 8
    assert counts["designated/ofac-ns-cmic"] == 1
    assert counts["loads/bundle"] == 1
    earlier = {
        x["kind"]: x["count"] for x in json_rows(loaded("--as-of", "2021-12-01", "stats", "--format", "json"))
    }
    assert "designated/ofac-ns-cmic" not in earlier
    assert earlier["designated/bis-entity-list"] == 1


def test_search_json_and_csv(loaded: Callable[..., Result]) -> None:
    rows = json_rows(loaded("search", "sensetime group", "--format", "json"))
    assert [x["id"] for x in rows] == ["sensetime-group-inc", "sensetime-group-ltd"]
    assert {"id", "name", "kind", "jurisdiction"} <= set(rows[0])
    r = loaded("search", "sensetime group", "--format", "csv")
    assert r.exit_code == 0
    parsed = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["id"] for x in parsed] == ["sensetime-group-inc", "sensetime-group-ltd"]


def test_show_json_is_one_array(loaded: Callable[..., Result]) -> None:
    (row,) = json_rows(loaded("show", "registration:HK:2162198", "--format", "json"))
    assert row["id"] == "sensetime-group-ltd"
    assert row["ids"] == ["sensetime-group-ltd", "registration:HK:2162198"]
    assert row["identifiers"] == {"registration": ["HK:2162198"]}
    (owner,) = row["owners"]
    assert owner["owner_id"] == "sensetime-group-inc"
    assert (owner["share"], owner["share_min"], owner["share_max"]) == ("unknown", None, None)
    (held,) = row["holdings"]
    assert (held["share"], held["share_min"], held["share_max"]) == ("100", 100.0, 100.0)


def test_csv_list_fields_are_json_encoded(loaded: Callable[..., Result]) -> None:
    r = loaded("show", "sensetime-group-ltd", "--format", "csv")
    assert r.exit_code == 0, r.output
    (row,) = list(csv.DictReader(io.StringIO(r.stdout)))
    assert json.loads(row["ids"]) == ["sensetime-group-ltd", "registration:HK:2162198"]
    assert json.loads(row["identifiers"]) == {"registration": ["HK:2162198"]}
    assert json.loads(row["owners"])[0]["owner_id"] == "sensetime-group-inc"
    assert json.loads(row["claims"]) == []


def test_show_table(loaded: Callable[..., Result]) -> None:
    r = loaded("--as-of", "2022-01-07", "show", "sensetime-group-ltd")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("SenseTime Group Limited  [company, HK]")
    assert "answers to: sensetime-group-ltd, registration:HK:2162198" in r.stdout
    assert "designated [ofac-ns-cmic]" in r.stdout
    assert "owns Shenzhen SenseTime Technology Co. Ltd. (shenzhen-sensetime): 100 shares" in r.stdout


def test_default_format_is_a_table(loaded: Callable[..., Result]) -> None:
    r = loaded("search", "qualcomm")
    assert r.exit_code == 0
    assert "qualcomm" in r.stdout and not r.stdout.lstrip().startswith("[")


class _Row(BaseModel):
    id: str
    path: list[str]
    basis: list[dict[str, Any]]
    share_min: float | None
    note: str = 'a, "quoted" cell'


def test_render_conventions() -> None:
    rows = [_Row(id="x", path=["a", "b"], basis=[{"owner_id": "a", "share": "(25,50]"}], share_min=None)]
    data = json.loads(render(rows, "json"))
    assert data == [
        {
            "id": "x",
            "path": ["a", "b"],
            "basis": [{"owner_id": "a", "share": "(25,50]"}],
            "share_min": None,
            "note": 'a, "quoted" cell',
        }
    ]
    (row,) = list(csv.DictReader(io.StringIO(render(rows, "csv"))))
    assert json.loads(row["path"]) == ["a", "b"]
    assert json.loads(row["basis"]) == [{"owner_id": "a", "share": "(25,50]"}]
    assert row["share_min"] == "" and row["note"] == 'a, "quoted" cell'
    assert render([], "json") == "[]\n"
    assert "(no rows)" in render([], "table")
    table = render(rows, "table")
    assert "a → b" in table and "(25,50]" in table


def test_workspace_from_the_environment(tmp_path: Path, sensetime_dir: Path) -> None:
    env = {"OWNERGRAPH_WORKSPACE": str(tmp_path / "env-ws")}
    r = CliRunner().invoke(cli, ["load", str(sensetime_dir)], env=env)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "env-ws" / "ownergraph.db").exists()
    rows = json_rows(CliRunner().invoke(cli, ["search", "qualcomm", "--format", "json"], env=env))
    assert rows[0]["id"] == "qualcomm"


# -- errors --------------------------------------------------------------------------------------


def test_library_error_is_one_line_and_exit_1(loaded: Callable[..., Result]) -> None:
    line = one_error_line(loaded("show", "no-such-entity"))
    assert line.startswith("error: no entity answers to 'no-such-entity'")
    assert "ownergraph search" in line


def test_debug_shows_the_exception(loaded: Callable[..., Result]) -> None:
    r = loaded("--debug", "show", "no-such-entity")
    assert r.exit_code == 1
    assert isinstance(r.exception, NotFoundError)


def test_corrupt_workspace_is_one_line(run: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "ownergraph.db").write_bytes(b"not a database" * 100)
    line = one_error_line(run("stats"))
    assert "not an ownergraph workspace" in line


def test_bad_file_is_one_line(run: Callable[..., Result], tmp_path: Path) -> None:
    b = tmp_path / "latin"
    b.mkdir()
    (b / "entities.csv").write_bytes("id,name\na,Zürich\n".encode("latin-1"))
    r = run("load", str(b))
    assert r.exit_code == 1
    errors = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and "not UTF-8" in errors[0] and "iconv" in errors[0]
    assert "Traceback" not in r.stderr


def test_sameas_and_undo(loaded: Callable[..., Result]) -> None:
    r = loaded("sameas", "sensetime-group-inc", "sensetime-group-ltd", "--source", "test")
    assert r.exit_code == 0, r.output
    assert r.stdout == "" and "1 record(s) recorded" in r.stderr
    (row,) = json_rows(loaded("show", "sensetime-group-ltd", "--format", "json"))
    assert row["id"] == "sensetime-group-inc"
    r = loaded("sameas", "--undo", "sensetime-group-inc", "sensetime-group-ltd")
    assert r.exit_code == 0 and "1 record(s) undone" in r.stderr
    (row,) = json_rows(loaded("show", "sensetime-group-ltd", "--format", "json"))
    assert row["id"] == "sensetime-group-ltd"
    one_error_line(loaded("sameas", "sensetime-group-inc", "nobody"))


# -- the installed console script ------------------------------------------------------------------


def _script() -> str:
    exe = Path(sys.executable).with_name("ownergraph")
    found = str(exe) if exe.exists() else shutil.which("ownergraph")
    if found is None:
        pytest.skip("the ownergraph console script is not installed")
    return found


@pytest.mark.slow
def test_console_script(tmp_path: Path, sensetime_dir: Path) -> None:
    exe = _script()
    ws = str(tmp_path / "ws")

    def sh(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, "--workspace", ws, *args], capture_output=True, text=True, timeout=120)

    p = sh("load", str(sensetime_dir))
    assert p.returncode == 0, p.stderr
    assert p.stdout == "" and "read 19, added 19" in p.stderr
    p = sh("show", "nope")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.splitlines() == [
        "error: no entity answers to 'nope' in this workspace; try `ownergraph search TEXT`"
    ]
    p = sh("--debug", "show", "nope")
    assert p.returncode == 1
    assert "Traceback (most recent call last)" in p.stderr and "NotFoundError" in p.stderr
