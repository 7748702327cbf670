"""The benchmark generator (``bench/generate.py``): its realistic shape stays calibrated to
docs/algorithms.md §6.2, it is seeded, and at 10k entities every planted motif — the status
vectors of OFAC, BIS, EU, UK, NS-CMIC and info, every loophole pattern and its near miss, the
planted portfolio lines — gives its known answer through a real workspace. Nothing here is timed.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

import ownergraph
from ownergraph.graph.model import REGIME_IDS
from ownergraph.queries import exposure, loopholes, restricted
from ownergraph.queries.loopholes import PATTERNS


def _generator() -> ModuleType:
    """``bench/generate.py`` by path (``bench`` is not an installed package)."""
    name = "ownergraph_bench_generate"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[2] / "bench" / "generate.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


G = _generator()
BENCH_AS_OF = G.BENCH_AS_OF


def test_realistic_shape_at_20k(tmp_path: Path) -> None:
    counts = G.generate(tmp_path / "b", 20_000, seed=7, preset="realistic")
    assert counts["entities"] == 20_000 and not (tmp_path / "b" / "expected.json").exists()
    stats = G.shape_stats(tmp_path / "b")
    assert G.shape_failures(stats, "realistic") == [], json.dumps(stats, indent=1)


def test_stress_shape_at_20k(tmp_path: Path) -> None:
    G.generate(tmp_path / "s", 20_000, seed=7, preset="stress")
    stats = G.shape_stats(tmp_path / "s")
    assert G.shape_failures(stats, "stress") == [], json.dumps(stats, indent=1)
    realistic = G.generate(tmp_path / "r", 20_000, seed=7)
    assert stats["cycle_node_frac"] > 20 * G.shape_stats(tmp_path / "r")["cycle_node_frac"]
    assert realistic["ownership"] < stats["edges"]


def test_seeded_and_ids(tmp_path: Path) -> None:
    G.generate(tmp_path / "a", 3_000, seed=3)
    G.generate(tmp_path / "b", 3_000, seed=3)
    G.generate(tmp_path / "c", 3_000, seed=4)
    for name in ("entities", "ownership", "listings", "designations"):
        a = (tmp_path / "a" / f"{name}.csv").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.csv").read_bytes(), name
        assert a != (tmp_path / "c" / f"{name}.csv").read_bytes(), name
    with open(tmp_path / "a" / "entities.csv", newline="", encoding="utf-8") as f:
        ids = [row["id"] for row in csv.DictReader(f)]
    assert ids == [f"e{i}" for i in range(3_000)]
    assert [G.parse_size(s) for s in ("10k", "1m", "2500", "1.5M")] == [10_000, 1_000_000, 2_500, 1_500_000]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("smoke")
    bundle = tmp / "bundle"
    G.generate(bundle, 10_000, seed=7, motifs=True)
    ws = ownergraph.open(tmp / "ws")
    (report,) = ws.load([bundle])
    assert report.rejected == 0, report.first_reject
    yield ws, bundle, G.load_expected(bundle)
    ws.close()


def test_smoke_10k_every_planted_answer(planted) -> None:  # type: ignore[no-untyped-def]
    ws, bundle, expected = planted
    assert expected["counts"]["entities"] > 10_000 and expected["seed"] == 7
    # every regime and every loophole pattern is planted, firing and as a near miss
    assert {x["regime"] for x in expected["restricted"]} == set(REGIME_IDS)
    assert {(m["pattern"], m["fires"]) for m in expected["loopholes"]} == {
        (p, f) for p in PATTERNS for f in (True, False)
    }
    assert G.check_workspace(ws, expected, folder=bundle) == []


def test_smoke_10k_timed_paths_check_and_catch_wrong_answers(planted) -> None:  # type: ignore[no-untyped-def]
    ws, bundle, expected = planted
    view = ws.graph(as_of=BENCH_AS_OF)
    items = [x for x in expected["restricted"] if x["as_of"] == BENCH_AS_OF]
    assert items, "some vectors are stated on the benchmark date"
    rows = restricted(view, "bis-entity-list")
    assert G.restricted_failures(items, rows, "bis-entity-list") == []
    bis = next(x for x in items if x["regime"] == "bis-entity-list")
    wrong = {**bis, "statuses": dict.fromkeys(bis["statuses"], "possibly_restricted")}
    assert G.restricted_failures([wrong], rows, "bis-entity-list")
    found = loopholes(view)
    motifs = [m for m in expected["loopholes"] if BENCH_AS_OF in m["as_of"]]
    assert G.loophole_failures(motifs, found) == []
    miss = next(m for m in motifs if not m["fires"])
    assert G.loophole_failures([{**miss, "fires": True}], found)
    lines, first = G.portfolio(bundle, 1_000, seed=7)
    assert len(lines) == 1_000
    got = exposure(view, lines)
    assert G.exposure_failures(expected["exposure"], got, first) == []
    assert len({r.line for r in got if r.entity_id is not None}) >= 990
    flipped = [
        {**x, "status": "designated" if x["status"] != "designated" else "restricted"}
        for x in expected["exposure"]
    ]
    assert len(G.exposure_failures(flipped, got, first)) == len(flipped)
