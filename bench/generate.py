"""Seeded, vectorised generator of synthetic ownership bundles (SPEC §10, algorithms.md §6.3).

``python -m bench.generate OUT --entities 1000000 --seed 7`` writes a bundle folder (CSV) of about
1.5 ownership edges per entity: persons (in-degree 0), companies owned by a geometric number of
owners chosen by index-preferential attachment (so company→company edges form DAG pyramids with a
heavy tail of parents), 40% wholly owned, banded and unknown shares, a few cross-holdings (cycles),
funds holding many small stakes in listed companies, 3% listed on real MICs and 1% designated
across regimes with dates.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

__all__ = ["generate"]

MICS = np.array(["XHKG", "XNYS", "XNAS", "XSHG", "XSHE", "XLON", "XPAR", "XETR", "XTKS", "XMOS"])
REGIMES = np.array(["ofac-sdn", "bis-entity-list", "eu", "uk", "ofac-ns-cmic", "ofac-ssi", "info"])
BANDS = np.array(["(25,50]", "(50,75]", "(75,100]", "25-50", ">50", "[10,25)"])


def _fmt_pct(ppm: np.ndarray) -> np.ndarray:
    whole = ppm // 10_000
    frac = ppm % 10_000
    out = whole.astype(str).astype(object)
    nz = frac != 0
    out[nz] = [f"{w}.{f:04d}".rstrip("0") for w, f in zip(whole[nz].tolist(), frac[nz].tolist(), strict=True)]
    return out


def generate(out: Path, entities: int = 10_000, *, seed: int = 7, edges_per_entity: float = 1.5) -> dict[str, int]:
    """Write a bundle folder with ``entities`` entities; return counts."""
    rng = np.random.default_rng(seed)
    n = entities
    n_person = int(n * 0.30)
    n_fund = int(n * 0.02)
    n_comp = n - n_person - n_fund
    # node numbering: persons [0, n_person), funds next, companies last (ordered: parents first)
    comp0 = n_person + n_fund
    kinds = np.empty(n, dtype=object)
    kinds[:n_person] = "person"
    kinds[n_person:comp0] = "fund"
    kinds[comp0:] = "company"
    # owners per company: geometric, mean ~1.3; the first companies are top parents (owned by persons)
    k = rng.geometric(1 / 1.3, size=n_comp)
    owned = np.repeat(np.arange(comp0, n), k)
    pos = owned - comp0
    from_person = rng.random(len(owned)) < 0.35
    u = rng.random(len(owned))
    owner_comp = comp0 + np.floor(pos * u**3).astype(np.int64)
    owner_person = np.floor(n_person * rng.random(len(owned)) ** 2).astype(np.int64)
    owner = np.where(from_person | (pos == 0), owner_person, owner_comp)
    # shares: per owned company weights normalised to a total in (0.5, 1]; 40% wholly owned
    w = rng.exponential(1.0, len(owned))
    grp_start = np.concatenate(([0], np.cumsum(k)[:-1]))
    tot = np.add.reduceat(w, grp_start)
    cover = rng.uniform(0.5, 1.0, n_comp)
    wholly = rng.random(n_comp) < 0.40
    cover[wholly] = 1.0
    share = w / np.repeat(tot, k) * np.repeat(cover, k)
    single_wholly = np.repeat(wholly & (k == 1), k)
    share[single_wholly] = 1.0
    ppm = np.clip(np.round(share * 1_000_000).astype(np.int64), 1, 1_000_000)
    share_txt = _fmt_pct(ppm)
    r = rng.random(len(owned))
    band = r < 0.08
    share_txt[band] = BANDS[rng.integers(0, len(BANDS), band.sum())]
    unknown = (r >= 0.08) & (r < 0.12)
    share_txt[unknown] = ""
    kind = np.full(len(owned), "shares", dtype=object)
    kind[(r >= 0.12) & (r < 0.125)] = "control"
    kind[(r >= 0.125) & (r < 0.13)] = "consolidation"
    # listed companies (3%): top parents mostly
    n_listed = max(1, int(n * 0.03))
    listed = comp0 + np.unique(np.floor(n_comp * rng.random(n_listed) ** 2).astype(np.int64))
    # funds: many small stakes in listed companies to reach ~edges_per_entity overall
    extra = max(0, int(n * edges_per_entity) - len(owned) - 0)
    f_owner = n_person + rng.integers(0, max(1, n_fund), extra)
    f_owned = listed[rng.integers(0, len(listed), extra)]
    f_share = _fmt_pct(rng.integers(1_000, 50_000, extra))
    # cross-holdings: ~0.01% of nodes in cycles (child -> parent back edges)
    n_cross = max(1, n // 20_000)
    cand = np.flatnonzero((owner >= comp0) & (owned > owner))
    pick = rng.choice(cand, size=min(n_cross, len(cand)), replace=False)
    c_owner, c_owned = owned[pick], owner[pick]
    c_share = _fmt_pct(rng.integers(10_000, 100_000, len(pick)))
    src = np.concatenate([owner, f_owner, c_owner])
    dst = np.concatenate([owned, f_owned, c_owned])
    shares = np.concatenate([share_txt, f_share, c_share])
    kinds_e = np.concatenate([kind, np.full(extra, "shares", dtype=object), np.full(len(pick), "shares", dtype=object)])
    keep = src != dst
    src, dst, shares, kinds_e = src[keep], dst[keep], shares[keep], kinds_e[keep]
    # de-duplicate (owner, owned, kind)
    key = src * (n + 1) + dst
    _, first = np.unique(key, return_index=True)
    first.sort()
    src, dst, shares, kinds_e = src[first], dst[first], shares[first], kinds_e[first]
    out.mkdir(parents=True, exist_ok=True)
    ids = np.char.add("e", np.arange(n).astype(str)).astype(object)
    juris = np.array(["CN", "HK", "KY", "US", "GB", "RU", "DE", "VG", "SG", "IR"])[rng.integers(0, 10, n)]
    names = np.char.add(np.char.add(kinds.astype(str), " "), np.arange(n).astype(str)).astype(object)
    pacsv.write_csv(
        pa.table({"id": ids, "name": names, "kind": kinds.astype(str), "jurisdiction": juris}),
        str(out / "entities.csv"),
    )
    pacsv.write_csv(
        pa.table({"owner_id": ids[src], "owned_id": ids[dst], "share": shares.astype(str),
                  "kind": kinds_e.astype(str), "source": np.full(len(src), "synthetic", dtype=object)}),
        str(out / "ownership.csv"),
    )
    tick = np.char.zfill(rng.integers(1, 9999, len(listed)).astype(str), 4)
    pacsv.write_csv(
        pa.table({"entity_id": ids[listed], "mic": MICS[rng.integers(0, len(MICS), len(listed))],
                  "ticker": tick, "listed": np.full(len(listed), "2015-06-01"),
                  "source": np.full(len(listed), "synthetic")}),
        str(out / "listings.csv"),
    )
    n_des = max(1, n // 100)
    des_person = rng.choice(n_person, size=int(n_des * 0.7), replace=False)
    des_comp = comp0 + rng.choice(n_comp, size=n_des - len(des_person), replace=False)
    des = np.concatenate([des_person, des_comp])
    reg = REGIMES[rng.integers(0, len(REGIMES), len(des))]
    years = rng.integers(2014, 2026, len(des)).astype(str)
    pacsv.write_csv(
        pa.table({"entity_id": ids[des], "regime": reg, "listed": np.char.add(years, "-03-01"),
                  "source": np.full(len(des), "synthetic")}),
        str(out / "designations.csv"),
    )
    return {"entities": n, "ownership": int(len(src)), "listings": int(len(listed)), "designations": int(len(des))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("--entities", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    print(generate(a.out, a.entities, seed=a.seed))


if __name__ == "__main__":
    main()
