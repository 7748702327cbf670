"""``python -m bench.parse_probe --mb 200``: parse throughput of the FtM and GLEIF RR loaders.

Writes two seeded synthetic files of about ``--mb`` MB each with the field shapes of the real
files — FtM JSON lines made of copies of ``opensanctions_ftm/yente_zala_entities.ftm.json`` (the
real mix of Person/Company/Ownership/Directorship/Sanction lines) with fresh ids, and a GLEIF
Level 2 relationship CSV made of copies of ``gleif/ft_gleifr_test-gleif-relationships.csv`` rows
with fresh valid LEIs — then times, in one run and on the same file:

* the loader (``parse_ftm`` / ``parse_gleif_csv``, every item consumed), and
* the raw parser floor of ``docs/algorithms.md`` §5.3 (``orjson.loads`` per line; ``pyarrow.csv``),

and prints MB/s by CPU time (and wall time) and the loader/raw ratio (ratios and CPU time survive
a loaded machine; wall-clock MB/s do not).
``--profile`` writes a py-spy-free cProfile top list for each loader.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import string
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
FTM_TEMPLATE = DATA / "opensanctions_ftm" / "yente_zala_entities.ftm.json"
RR_TEMPLATE = DATA / "gleif" / "ft_gleifr_test-gleif-relationships.csv"
_ALNUM = string.digits + string.ascii_uppercase
_LEI = re.compile(rb"\b[0-9A-Z]{18}[0-9]{2}\b")


def _lei(rng: random.Random) -> str:
    """A random LEI with valid ISO 17442 check digits (mod 97 = 1)."""
    body = "".join(rng.choice(_ALNUM) for _ in range(18))
    n = int("".join(str(int(c, 36)) for c in body + "00"))
    return f"{body}{98 - n % 97:02d}"


def write_ftm(path: Path, mb: float, seed: int = 1) -> int:
    """Copies of the Zala cluster, every FtM id suffixed per copy (references stay inside a copy)."""
    rng = random.Random(seed)
    lines = FTM_TEMPLATE.read_bytes().splitlines()
    ids = sorted({orjson.loads(x)["id"] for x in lines if x.strip()}, key=len, reverse=True)
    pattern = re.compile(b'"(' + b"|".join(re.escape(i.encode()) for i in ids) + b')"')
    target = int(mb * 1e6)
    size = 0
    with path.open("wb") as f:
        while size < target:
            tag = "".join(rng.choice(_ALNUM[:36].lower()) for _ in range(8)).encode()
            text = b"\n".join(lines) + b"\n"
            chunk = pattern.sub(lambda m, tag=tag: b'"' + m.group(1) + b"x" + tag + b'"', text)
            f.write(chunk)
            size += len(chunk)
    return size


def write_rr(path: Path, mb: float, seed: int = 1) -> int:
    """The real RR header, then copies of its rows with each LEI replaced by a fresh valid one."""
    rng = random.Random(seed)
    raw = RR_TEMPLATE.read_bytes()
    header, _, body = raw.partition(b"\n")
    leis = sorted(set(_LEI.findall(body)))
    target = int(mb * 1e6)
    size = 0
    with path.open("wb") as f:
        f.write(header + b"\n")
        while size < target:
            fresh = {old: _lei(rng).encode() for old in leis}
            chunk = _LEI.sub(lambda m, fresh=fresh: fresh.get(m.group(0), m.group(0)), body)
            if not chunk.endswith(b"\n"):
                chunk += b"\n"
            f.write(chunk)
            size += len(chunk)
    return size


def _consume(items: Iterator[Any]) -> int:
    n = 0
    for _ in items:
        n += 1
    return n


def _orjson_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        for line in f:
            if line.strip():
                orjson.loads(line)
                n += 1
    return n


def _arrow_csv(path: Path) -> int:
    import pyarrow.csv as pacsv

    return int(pacsv.read_csv(path).num_rows)


def _time(fn: Callable[[], int]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, result): on a shared machine the CPU time is
    the stable figure (wall time there was 4-8x the CPU time and varied run to run)."""
    t, c = time.perf_counter(), time.process_time()
    n = fn()
    return time.perf_counter() - t, time.process_time() - c, n


def _profile(fn: Callable[[], int], top: int = 12) -> str:
    prof = cProfile.Profile()
    prof.runcall(fn)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.parse_probe", description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=200.0, help="size of each synthetic file (MB)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=Path("bench/results/parse_probe"))
    ap.add_argument("--only", choices=("ftm", "rr"), default=None)
    ap.add_argument("--profile", action="store_true", help="print cProfile's top frames of each loader")
    args = ap.parse_args(argv)
    from ownergraph.loaders.ftm import parse_ftm
    from ownergraph.loaders.gleif import parse_gleif_csv

    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.2f} (2-core machine shared with other jobs)")
    Case = tuple[str, Path, Callable[[Path, float, int], int], Callable[[], int], Callable[[], int]]
    cases: list[Case] = []
    ftm = args.dir / f"synthetic_{args.mb:g}mb.ftm.json"
    rr = args.dir / f"synthetic_{args.mb:g}mb_rr.csv"
    if args.only in (None, "ftm"):
        cases.append(("FtM JSON lines", ftm, write_ftm, lambda: _consume(parse_ftm(ftm)),
                      lambda: _orjson_lines(ftm)))
    if args.only in (None, "rr"):
        cases.append(("GLEIF RR CSV", rr, write_rr, lambda: _consume(parse_gleif_csv(rr)),
                      lambda: _arrow_csv(rr)))
    for name, path, write, loader, raw in cases:
        if not path.exists() or path.stat().st_size < args.mb * 1e6:
            t, _, _ = _time(lambda path=path, write=write: write(path, args.mb, args.seed))  # type: ignore[misc]
            print(f"wrote {path} in {t:.1f}s")
        mb = path.stat().st_size / 1e6
        w_raw, c_raw, n_raw = _time(raw)
        w_load, c_load, n_items = _time(loader)
        print(f"{name}: {mb:.0f} MB, {n_raw:,} lines/rows (MB/s by CPU time, wall time in brackets)")
        for label, c, w in (("raw parser", c_raw, w_raw), ("loader", c_load, w_load)):
            print(f"  {label:10}  {c:7.2f} s CPU  {mb / c:7.1f} MB/s  ({w:.2f} s, {mb / w:.1f} MB/s)")
        print(f"  {n_items:,} loader items; loader/raw = {c_raw / c_load:.3f}")
        if args.profile:
            print(_profile(loader))
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
