"""The workspace (SPEC §3, §5, §11): one transaction per file, idempotent reloads, provenance of
every load, rejects reported and counted, ``--strict``, dangling references, a killed load, and
the columnar cache rebuilt whenever it is stale."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import ownergraph
from ownergraph.errors import FormatError, InputError, WorkspaceError
from ownergraph.graph.store import SCHEMA_VERSION
from ownergraph.graph.workspace import DEFAULT_WORKSPACE, StrictLoadError, Workspace

Bundle = Callable[..., Path]


def snapshot(w: Workspace) -> dict[str, Any]:
    """Everything a failed load must leave unchanged."""
    return {
        "counts": w.store.counts(),
        "loads": w.store.loads(),
        "generation": w.store.generation(),
        "cache": {p.name: p.read_bytes() for p in sorted(w.cache_dir.iterdir())},
    }


def _small(bundle: Bundle, name: str = "small") -> Path:
    return bundle(
        name,
        entities=[{"id": "a", "name": "A"}, {"id": "b", "name": "B"}, {"id": "c", "name": "C"}],
        ownership=[
            {"owner_id": "a", "owned_id": "b", "share": "60"},
            {"owner_id": "b", "owned_id": "c", "share": ">50"},
        ],
        designations=[{"entity_id": "a", "regime": "ofac-sdn", "listed": "2020-01-01"}],
    )


# -- opening -------------------------------------------------------------------------------------


def test_open_creates_the_folder(tmp_path: Path) -> None:
    with ownergraph.open(tmp_path / "new" / "ws") as w:
        assert (tmp_path / "new" / "ws" / "ownergraph.db").is_file()
        assert w.store.meta("schema_version") == str(SCHEMA_VERSION)
        assert w.graph().n == 0


def test_default_workspace_from_env_and_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OWNERGRAPH_WORKSPACE", raising=False)
    with ownergraph.open() as w:
        assert w.path == Path(DEFAULT_WORKSPACE)
    assert (tmp_path / DEFAULT_WORKSPACE / "ownergraph.db").exists()
    monkeypatch.setenv("OWNERGRAPH_WORKSPACE", str(tmp_path / "from-env"))
    with ownergraph.open() as w:
        assert w.path == tmp_path / "from-env"


def test_workspace_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(WorkspaceError, match="not a folder"):
        ownergraph.open(tmp_path / "f")


def test_corrupt_database_is_a_workspace_error(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "ownergraph.db").write_bytes(b"this is not sqlite\0" * 512)
    with pytest.raises(WorkspaceError, match="not an ownergraph workspace"):
        ownergraph.open(tmp_path / "ws")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with ownergraph.open(tmp_path / "ws") as w:
        w.store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(WorkspaceError, match="upgrade ownergraph"):
        ownergraph.open(tmp_path / "ws")


# -- loading -------------------------------------------------------------------------------------


def test_load_counts_and_load_record(ws: Workspace, bundle: Bundle) -> None:
    b = _small(bundle)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    (r,) = ws.load([b])
    assert (r.read, r.added, r.duplicate, r.rejected, r.merged) == (6, 6, 0, 0, 0)
    assert r.format == "bundle" and not r.already_loaded and r.rejects_file is None
    (ld,) = ws.store.loads()
    assert ld["path"] == str(b.resolve())
    assert ld["format"] == "bundle"
    assert len(ld["sha256"]) == 64 and ld["sha256"] == r.sha256
    h = hashlib.sha256()
    for name in ("designations.csv", "entities.csv", "ownership.csv"):
        h.update(name.encode() + b"\0" + (b / name).read_bytes())
    assert ld["sha256"] == h.hexdigest()
    assert (ld["read"], ld["added"], ld["duplicate"], ld["rejected"]) == (6, 6, 0, 0)
    assert json.loads(ld["counts"])["added"] == 6
    started = dt.datetime.fromisoformat(ld["started"])
    assert before <= started <= dt.datetime.fromisoformat(ld["finished"])
    assert ld["seconds"] >= 0
    assert ws.store.counts() == {"entity": 3, "ownership": 2, "designation": 1}
    view = ws.graph()
    assert (view.n, view.m) == (3, 2)
    assert ws.cache_meta()["generation"] == ws.store.generation() == 1


def test_same_file_twice_adds_nothing(ws: Workspace, bundle: Bundle) -> None:
    b = _small(bundle)
    ws.load([b])
    snap = snapshot(ws)
    (r,) = ws.load([b])
    assert r.already_loaded and (r.read, r.added) == (0, 0)
    assert snapshot(ws) == snap


def test_same_records_in_another_file_are_duplicates(ws: Workspace, bundle: Bundle, tmp_path: Path) -> None:
    b = _small(bundle)
    ws.load([b])
    copy = shutil.copytree(b, tmp_path / "copy")
    (copy / "entities.csv").write_text((b / "entities.csv").read_text() + "\n")  # other bytes
    (r,) = ws.load([copy])
    assert not r.already_loaded
    assert (r.read, r.added, r.duplicate, r.rejected) == (6, 0, 6, 0)
    assert ws.store.counts() == {"entity": 3, "ownership": 2, "designation": 1}
    assert len(ws.store.loads()) == 2
    assert (ws.graph().n, ws.graph().m) == (3, 2)


def test_same_file_in_two_formats_is_two_loads(ws: Workspace, sensetime_dir: Path) -> None:
    (r1,) = ws.load([sensetime_dir])
    (r2,) = ws.load([sensetime_dir], format="bundle")
    assert r2.already_loaded and r1.sha256 == r2.sha256


def test_several_files_one_transaction_each(ws: Workspace, bundle: Bundle, tmp_path: Path) -> None:
    good = _small(bundle)
    bad = tmp_path / "latin1"
    bad.mkdir()
    (bad / "entities.csv").write_bytes("id,name\nz,Zürich AG\n".encode("latin-1"))
    with pytest.raises(FormatError, match="not UTF-8"):
        ws.load([good, bad])
    # the first file committed and the cache reflects it; the bad one left no trace
    assert [ld["path"] for ld in ws.store.loads()] == [str(good.resolve())]
    assert ws.graph().n == 3
    assert ws.cache_meta()["generation"] == ws.store.generation()


def test_a_bad_row_is_reported_with_file_and_line(ws: Workspace, bundle: Bundle) -> None:
    b = bundle(
        "bad",
        entities=[
            {"id": "a", "name": "A", "jurisdiction": "HK"},
            {"id": "b", "name": "B", "jurisdiction": "Hong Kong"},
            {"id": "c", "name": "C", "jurisdiction": "CN"},
        ],
        ownership=[
            {"owner_id": "a", "owned_id": "c", "share": "150"},
            {"owner_id": "a", "owned_id": "c", "share": "50"},
        ],
    )
    (r,) = ws.load([b])
    assert (r.read, r.added, r.rejected) == (5, 3, 2)
    assert r.first_reject is not None
    assert r.first_reject.startswith(f"{b / 'entities.csv'}:line 3: field 'jurisdiction' = 'HONG KONG'")
    assert r.rejects_file is not None
    rejects = Path(r.rejects_file)
    assert rejects.parent == ws.path / "rejects"
    with open(rejects, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(Path(x["file"]).name, x["line"], x["field"]) for x in rows] == [
        ("entities.csv", "3", "jurisdiction"),
        ("ownership.csv", "2", "share"),
    ]
    assert rows[1]["value"] == "150" and "outside 0–100" in rows[1]["reason"]
    assert ws.store.loads()[0]["rejected"] == 2
    view = ws.graph()
    assert view.n == 2 and view.m == 1
    assert str(view.share(0)) == "50"


def test_strict_writes_nothing(ws: Workspace, bundle: Bundle, sensetime_dir: Path) -> None:
    ws.load([sensetime_dir])
    snap = snapshot(ws)
    b = bundle(
        "bad",
        entities=[{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
        ownership=[{"owner_id": "a", "owned_id": "a", "share": "10"}],
    )
    with pytest.raises(StrictLoadError) as info:
        ws.load([b], strict=True)
    e = info.value
    assert isinstance(e, InputError)
    assert e.file == str(b / "ownership.csv") and e.line == 2 and "--strict" in str(e)
    assert snapshot(ws) == snap
    assert not (ws.path / "rejects").exists()
    # the same file loads without --strict (the bad row rejected), and was not marked as loaded
    (r,) = ws.load([b])
    assert (r.added, r.rejected) == (2, 1)


def test_strict_dangling_reference_writes_nothing(ws: Workspace, bundle: Bundle) -> None:
    ws.load([_small(bundle)])
    snap = snapshot(ws)
    b = bundle("dangling", ownership=[{"owner_id": "a", "owned_id": "ghost", "share": "10"}])
    with pytest.raises(StrictLoadError, match="ghost"):
        ws.load([b], strict=True)
    assert snapshot(ws) == snap


def test_dangling_references_are_rejected(ws: Workspace, bundle: Bundle) -> None:
    ws.load([_small(bundle)])
    b = bundle(
        "refs",
        entities=[{"id": "d", "name": "D", "identifiers": "lei:529900T8BM49AURSDO55"}],
        ownership=[
            {"owner_id": "ghost", "owned_id": "a", "share": "10"},
            {"owner_id": "a", "owned_id": "d", "share": "20"},  # resolves to an earlier load
            {"owner_id": "lei:529900T8BM49AURSDO55", "owned_id": "c", "share": "30"},  # by identifier
            {"owner_id": "b", "owned_id": "phantom", "share": "40"},
        ],
        designations=[{"entity_id": "nobody", "regime": "eu"}, {"entity_id": "d", "regime": "eu"}],
        listings=[{"entity_id": "nobody", "mic": "XHKG"}],
        sameas=[{"id_a": "d", "id_b": "nobody"}],
    )
    (r,) = ws.load([b])
    assert (r.read, r.rejected, r.added) == (9, 5, 4)
    with open(r.rejects_file or "", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted((x["field"], x["value"]) for x in rows) == [
        ("entity_id", "nobody"),
        ("entity_id", "nobody"),
        ("id_b", "nobody"),
        ("owned_id", "phantom"),
        ("owner_id", "ghost"),
    ]
    assert all(x["reason"] == "refers to an id no entity has" for x in rows)
    assert ws.store.counts() == {"entity": 4, "ownership": 4, "designation": 2}
    view = ws.graph()
    assert view.m == 4
    assert len(view.designated("eu")) == 1
    owners_of_c = {view.edge(e).owner_id for e in view.in_of(view.index("c"))}
    assert owners_of_c == {"b", "d"}


def test_merged_count(ws: Workspace, bundle: Bundle) -> None:
    ws.load([bundle("one", entities=[{"id": "a", "name": "A", "identifiers": "ofac:1"}])])
    (r,) = ws.load(
        [
            bundle(
                "two",
                entities=[
                    {"id": "a2", "name": "A2", "identifiers": "ofac:1"},
                    {"id": "new", "name": "New"},
                ],
            )
        ]
    )
    assert (r.added, r.merged) == (2, 1)
    assert ws.store.loads()[-1]["merged"] == 1


def test_missing_path(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        ws.load([tmp_path / "nope"])
    with pytest.raises(FormatError, match="no such file"):
        ws.load([tmp_path / "nope"], format="bundle")


def test_unknown_format(ws: Workspace, sensetime_dir: Path) -> None:
    with pytest.raises(FormatError, match="unknown format"):
        ws.load([sensetime_dir], format="xlsx")


def test_progress_and_detection_callbacks(ws: Workspace, sensetime_dir: Path) -> None:
    seen: list[int] = []
    detected: list[tuple[Path, str]] = []
    ws.load([sensetime_dir], progress=seen.append, on_detect=lambda p, f: detected.append((p, f)))
    assert detected == [(sensetime_dir, "bundle")]
    assert seen and seen[-1] == 23 - 4  # rows without the four header lines


# -- the cache -----------------------------------------------------------------------------------


def test_cache_deleted_is_rebuilt(tmp_path: Path, sensetime_dir: Path) -> None:
    with ownergraph.open(tmp_path / "ws") as w:
        w.load([sensetime_dir])
        n, m = w.graph().n, w.graph().m
    shutil.rmtree(tmp_path / "ws" / "cache")
    with ownergraph.open(tmp_path / "ws") as w:
        view = w.graph(as_of="2022-06-01")
        assert (view.n, view.m) == (n, m)
        assert view.id(view.index("registration:HK:2162198")) == "sensetime-group-ltd"
    assert (tmp_path / "ws" / "cache" / "meta.json").exists()


def test_cache_with_another_generation_is_rebuilt(tmp_path: Path, sensetime_dir: Path) -> None:
    with ownergraph.open(tmp_path / "ws") as w:
        w.load([sensetime_dir])
        gen = w.store.generation()
    meta_file = tmp_path / "ws" / "cache" / "meta.json"
    meta = json.loads(meta_file.read_text())
    meta["generation"] = gen - 1
    meta_file.write_text(json.dumps(meta))
    # the stale cache also lies about its content: prove it is not read
    (tmp_path / "ws" / "cache" / "nodes.arrow").write_bytes(b"stale")
    with ownergraph.open(tmp_path / "ws") as w:
        assert w.graph().n == 8
        assert w.cache_meta()["generation"] == gen


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_damaged_cache_with_current_meta_is_rebuilt(tmp_path: Path, sensetime_dir: Path, damage: str) -> None:
    with ownergraph.open(tmp_path / "ws") as w:
        w.load([sensetime_dir])
    table = tmp_path / "ws" / "cache" / "edges.arrow"
    if damage == "missing":
        table.unlink()
    else:
        table.write_bytes(table.read_bytes()[:100])
    with ownergraph.open(tmp_path / "ws") as w:
        view = w.graph()
        assert (view.n, view.m) == (8, 7)


def test_cache_is_not_rebuilt_when_current(tmp_path: Path, sensetime_dir: Path) -> None:
    with ownergraph.open(tmp_path / "ws") as w:
        w.load([sensetime_dir])
    built = json.loads((tmp_path / "ws" / "cache" / "meta.json").read_text())["built"]
    mtime = (tmp_path / "ws" / "cache" / "nodes.arrow").stat().st_mtime_ns
    with ownergraph.open(tmp_path / "ws") as w:
        w.graph()
        assert w.cache_meta()["built"] == built
    assert (tmp_path / "ws" / "cache" / "nodes.arrow").stat().st_mtime_ns == mtime


def test_views_are_per_date_and_refreshed_after_a_load(ws: Workspace, bundle: Bundle) -> None:
    ws.load([bundle("one", entities=[{"id": "a", "name": "A"}])])
    v1 = ws.graph(as_of="2022-01-01")
    assert ws.graph(as_of=dt.date(2022, 1, 1)) is v1
    ws.load([bundle("two", entities=[{"id": "b", "name": "B"}])])
    assert ws.graph(as_of="2022-01-01").n == 2


# -- a killed load -------------------------------------------------------------------------------

_KILL_CHILD = textwrap.dedent(
    """
    import dataclasses, sys, time
    import ownergraph
    from ownergraph.graph.store import Store
    from ownergraph.loaders.base import LOADERS, _ensure_registered
    if sys.argv[3] == "rows":  # every record through the per-row path: the WAL grows as it goes
        _ensure_registered()
        LOADERS["bundle"] = dataclasses.replace(LOADERS["bundle"], bulk=None)
    else:  # bulk: stop between writing the segment files and the commit
        write = Store._write_segments
        def pause(self):
            write(self)
            print("segments written", flush=True)
            time.sleep(120)
        Store._write_segments = pause
    ws = ownergraph.open(sys.argv[1])
    print("loading", flush=True)
    ws.load([sys.argv[2]])
    print("finished", flush=True)
    """
)


def _big_bundle(folder: Path, entities: int = 20_000, edges: int = 200_000) -> Path:
    folder.mkdir()
    with open(folder / "entities.csv", "w", encoding="utf-8") as f:
        f.write("id,name,jurisdiction\n")
        f.writelines(f"gen-{i},Generated {i},KY\n" for i in range(entities))
    with open(folder / "ownership.csv", "w", encoding="utf-8") as f:
        f.write("owner_id,owned_id,share,start\n")
        f.writelines(
            f"gen-{i % entities},gen-{(i + 1 + i // entities) % entities},{i % 97 + 1},"
            f"{2000 + i % 20}-01-01\n"
            for i in range(edges)
        )
    return folder


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
@pytest.mark.parametrize("path", ["rows", "segments"])
def test_kill_9_mid_load_leaves_the_workspace_as_it_was(
    tmp_path: Path, sensetime_dir: Path, bundle: Bundle, path: str
) -> None:
    wpath = tmp_path / "ws"
    with ownergraph.open(wpath) as w:
        w.load([sensetime_dir])
        w.graph()
        before = snapshot(w)
        segments = sorted(p.name for p in w.store.segment_dir.iterdir())
    assert segments, "the bundle's plain rows are stored as segments"
    big = _big_bundle(tmp_path / "big")
    wal = wpath / "ownergraph.db-wal"
    wal_before = wal.stat().st_size if wal.exists() else 0
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_CHILD, str(wpath), str(big), path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "loading\n"
        if path == "rows":
            deadline = time.monotonic() + 60
            # wait until the load has written a good part of its transaction to the WAL
            while time.monotonic() < deadline and proc.poll() is None:
                if wal.exists() and wal.stat().st_size > wal_before + (2 << 20):
                    break
                time.sleep(0.01)
        else:
            # the load's segment files are on disk and registered in the open transaction
            assert proc.stdout.readline() == "segments written\n"
            assert len(list((wpath / "records").iterdir())) > len(segments)
        assert proc.poll() is None, f"load ended before the kill: {proc.communicate()}"
        os.kill(proc.pid, signal.SIGKILL)
        out, _err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert "finished" not in out
    with ownergraph.open(wpath) as w:
        assert snapshot(w) == before
        view = w.graph()
        assert (view.n, view.m) == (8, 7)
        assert not [ld for ld in w.store.loads() if ld["finished"] is None]
        # and the workspace still takes new loads
        (r,) = w.load([bundle("after", entities=[{"id": "after", "name": "After"}])])
        assert r.added == 1
        assert w.graph().n == 9
        # the killed load's unregistered segment files are gone with the next commit
        files = {p.name for p in w.store.segment_dir.iterdir()}
        assert set(segments) < files
        assert files == {
            r[0] for r in w.store.conn.execute("SELECT file FROM segment")
        }
