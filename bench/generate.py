"""Seeded, vectorised generator of synthetic ownership bundles (SPEC §10, algorithms.md §6).

``python -m bench.generate OUT --entities 1000000 [--preset realistic|stress] [--seed 7]
[--no-motifs]`` writes a native bundle folder (CSV) and, with the planted motifs (the default on
the command line), an ``expected.json`` beside the CSVs with their known answers.

Shape (preset ``realistic``, calibrated to algorithms.md §6.2; ``tests/bench`` keeps it there):

* 30% persons (in-degree 0), 2% funds, the rest companies. Each company gets a number of
  *corporate layers above it* drawn from the TJN/CORPNET distribution (74% at most one
  intermediary, 5% more than 5, 0.5% more than 10, at most 23); companies are numbered by layer,
  so every company → company edge points to a higher index (DAG pyramids).
* Owners per company: 40% wholly owned (one owner, exactly 100%); the others have a geometric
  number of owners, about 1.3 non-fund owners per company in all. A company's first owner is a
  company of the layer just above (index-preferential, ``⌊S·u^α⌋``: a heavy tail of parents with
  more than 100 subsidiaries, GLEIF-like ~2.5 children per parent on average) or, at the top, a
  person; further owners are persons or companies of any higher layer.
* Shares: exponential weights per company normalised to a cover in (0.5, 1] (skewed to 1 for a
  single owner, so about half the interests are in the 75–100% band); 8% of them reported as the
  PSC band holding the value, 4% unknown; a few ``control``/``consolidation``/``votes``/``board``
  edges; 20% of edges dated, 1% ended.
* Cross-holdings: child → parent (or grandparent) stakes of 1–10%, each target's owners rescaled
  to ≤ 95% so that integrated ownership converges; ~0.01% of nodes in cycles (``stress``: 2.5% of
  subsidiaries, 2.85 owners per company, ~2 edges per entity).
* Funds: many 0.1–5% stakes in listed companies (filling up to ~1.5 edges per entity), within
  each listed company's free float.
* 3% listed on real MICs (by jurisdiction) with tickers and valid ISINs; 30% of companies and
  every fund carry an LEI; 1% designated across all seven regimes with dates (some removed, some
  entities on two lists, SDN programmes including the § 744.8(a)(1) ones).

Planted motifs (``motifs=True``) are appended under their own id prefixes, disconnected from the
synthetic graph: every status vector of ``tests/queries/test_restricted.py`` (OFAC, BIS, EU, UK,
NS-CMIC, info) and every loophole motif and near miss of ``tests/queries/motifs.py``.
``expected.json`` lists the answers (statuses per vector, regime and date; loophole findings
and near misses; exposure statuses of planted portfolio lines) and the functions
:func:`restricted_failures`, :func:`loophole_failures`, :func:`exposure_failures` and
:func:`check_workspace` check them.

Synthetic ids are ``e0`` … ``e{n-1}`` (``bench/paths_probe.py`` relies on it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.util
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

__all__ = [
    "BENCH_AS_OF",
    "PRESETS",
    "SHAPE_TARGETS",
    "Preset",
    "check_workspace",
    "exposure_failures",
    "generate",
    "loophole_failures",
    "portfolio",
    "restricted_failures",
    "shape_failures",
    "shape_stats",
]

I64 = npt.NDArray[np.int64]
ROOT = Path(__file__).resolve().parents[1]
BENCH_AS_OF = "2025-10-15"
"""The date the benchmark queries are asked on (BIS Affiliates rule in force, EU ≥ 50%)."""
VECTOR_DEFAULT_AS_OF = "2025-01-01"
"""``tests/queries/test_restricted.py`` evaluates vectors without a date on this day."""
GENERATOR_VERSION = 3


@dataclass(frozen=True)
class Preset:
    """Shape parameters (fractions of entities, companies or edges as named)."""

    persons: float = 0.30
    funds: float = 0.02
    wholly: float = 0.40
    owners_mean: float = 1.3
    depth0: float = 0.60
    depth1: float = 0.14
    depth_continue: float = 0.65
    max_depth: int = 23
    alpha_company: float = 3.0
    alpha_person: float = 2.0
    second_person: float = 0.5
    band: float = 0.13
    unknown: float = 0.07
    kinds: tuple[tuple[str, float], ...] = (
        ("control", 0.004),
        ("consolidation", 0.006),
        ("votes", 0.003),
        ("board", 0.002),
    )
    dated: float = 0.20
    ended: float = 0.01
    edges_per_entity: float = 1.5
    listed: float = 0.03
    designated: float = 0.01
    cycle_nodes: float = 0.0001
    cross_frac: float = 0.0
    lei: float = 0.30


PRESETS: dict[str, Preset] = {
    "realistic": Preset(),
    "stress": Preset(
        owners_mean=2.85, second_person=0.3, edges_per_entity=2.0, cycle_nodes=0.0, cross_frac=0.025
    ),
}

SHAPE_TARGETS: dict[str, dict[str, tuple[float, float]]] = {
    # statistic: [low, high] — algorithms.md §6.2 and SPEC §10, with the tolerance a 20k sample needs
    "realistic": {
        "owners_per_company": (1.1, 1.5),
        "edges_per_entity": (1.35, 1.65),
        "layers_le1": (0.70, 0.78),
        "layers_gt5": (0.03, 0.07),
        "layers_gt10": (0.002, 0.010),
        "layers_max": (8, 23),
        "parents_gt100_frac": (0.00001, 0.01),
        "parents_gt100": (1, 1e9),
        "children_per_parent": (1.5, 4.0),
        "cycle_node_frac": (0.00002, 0.0005),
        "wholly_owned": (0.37, 0.43),
        "banded": (0.06, 0.10),
        "unknown": (0.03, 0.06),
        "top_band": (0.45, 0.70),
        "stakes_per_fund": (10, 1e9),
        "fund_stake_max_pct": (0, 5.0),
        "fund_stake_min_pct": (0.1, 5.0),
        "max_owned_pct": (0, 100.0),
        "listed": (0.025, 0.035),
        "listed_bad_mic": (0, 0),
        "designated": (0.008, 0.012),
        "regimes": (7, 7),
    },
    "stress": {
        "edges_per_entity": (1.8, 2.2),
        "cycle_node_frac": (0.005, 0.05),
        "max_owned_pct": (0, 100.0),
    },
}

MICS_BY_COUNTRY: dict[str, tuple[str, ...]] = {
    "CN": ("XSHG", "XSHE", "XHKG"),
    "HK": ("XHKG",),
    "KY": ("XHKG", "XNYS", "XNAS"),
    "US": ("XNYS", "XNAS"),
    "GB": ("XLON",),
    "RU": ("MISX",),
    "DE": ("XETR",),
    "NL": ("XAMS",),
    "LU": ("XLUX",),
    "SG": ("XSES",),
    "VG": ("XHKG", "XLON", "XNAS"),
    "IR": ("XTEH",),
    "JP": ("XTKS",),
    "FR": ("XPAR",),
}
COUNTRIES = np.array(list(MICS_BY_COUNTRY))
COUNTRY_P = np.array([0.15, 0.08, 0.05, 0.18, 0.12, 0.08, 0.07, 0.04, 0.04, 0.05, 0.06, 0.02, 0.03, 0.03])
SUFFIX = {
    "CN": "Co., Ltd.",
    "HK": "Limited",
    "KY": "Inc.",
    "US": "Inc.",
    "GB": "plc",
    "RU": "LLC",
    "DE": "GmbH",
    "NL": "B.V.",
    "LU": "S.A.",
    "SG": "Pte. Ltd.",
    "VG": "Ltd",
    "IR": "Co.",
    "JP": "K.K.",
    "FR": "SAS",
}
STEMS = (
    "Kestrel",
    "Northwind",
    "Tundra",
    "Huaxin",
    "Borealis",
    "Meridian",
    "Sable",
    "Orion",
    "Cobalt",
    "Juniper",
    "Aster",
    "Vega",
    "Lumen",
    "Corvid",
    "Halcyon",
    "Ridge",
)
SECTORS = ("Holdings", "Metals", "Shipping", "Technology", "Energy", "Trading", "Capital", "Logistics")
REGIMES = ("ofac-sdn", "ofac-ssi", "ofac-ns-cmic", "bis-entity-list", "eu", "uk", "info")
LISTS = {
    "ofac-sdn": "SDN List",
    "ofac-ssi": "Sectoral Sanctions Identifications List",
    "ofac-ns-cmic": "Non-SDN Chinese Military-Industrial Complex Companies List",
    "bis-entity-list": "Entity List",
    "eu": "EU consolidated list",
    "uk": "UK sanctions list",
    "info": "DoD 1260H list",
}
SDN_PROGRAMS = ("SDGT", "RUSSIA-EO14024", "UKRAINE-EO13660", "IRAN", "NPWMD", "IFSR", "CYBER2", "SDNTK")
PERSON_REGIMES = (("ofac-sdn", 0.40), ("eu", 0.25), ("uk", 0.25), ("info", 0.10))
COMPANY_REGIMES = (
    ("ofac-sdn", 0.25),
    ("ofac-ssi", 0.05),
    ("ofac-ns-cmic", 0.10),
    ("bis-entity-list", 0.25),
    ("eu", 0.10),
    ("uk", 0.10),
    ("info", 0.15),
)
_EPOCH = dt.date(1970, 1, 1)


def parse_size(text: str) -> int:
    """``10k`` → 10000, ``1m`` → 1000000, ``2500`` → 2500."""
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def _day(text: str) -> int:
    return (dt.date.fromisoformat(text) - _EPOCH).days


def _iso(days: I64) -> npt.NDArray[Any]:
    return (np.datetime64("1970-01-01") + days.astype("timedelta64[D]")).astype(str).astype(object)


def _fmt_pct(ppm: I64) -> npt.NDArray[Any]:
    whole = ppm // 10_000
    frac = ppm % 10_000
    out = whole.astype(str).astype(object)
    nz = frac != 0
    out[nz] = [f"{w}.{f:04d}".rstrip("0") for w, f in zip(whole[nz].tolist(), frac[nz].tolist(), strict=True)]
    return out


def _band(ppm: I64) -> npt.NDArray[Any]:
    """The UK PSC band holding each value (below 25%: ``<=25``)."""
    out = np.full(len(ppm), "<=25", dtype=object)
    out[ppm > 250_000] = "(25,50]"
    out[ppm > 500_000] = "(50,75]"
    out[ppm > 750_000] = "(75,100]"
    return out


def _lei(i: int) -> str:
    body = f"5299{np.base_repr(i, 36):0>14}"
    num = int("".join(str(int(c, 36)) for c in body + "00"))
    return f"{body}{98 - num % 97:02d}"


def _isin(country: str, k: int) -> str:
    from ownergraph.graph.model import isin_check_digit

    body = f"{country}{k:09d}"
    return f"{body}{isin_check_digit(body)}"


def _pick(rng: np.random.Generator, options: Sequence[tuple[str, float]], size: int) -> npt.NDArray[Any]:
    names = np.array([o for o, _ in options], dtype=object)
    p = np.array([w for _, w in options])
    return names[rng.choice(len(names), size=size, p=p / p.sum())]


def _within(start: I64, length: I64, rng: np.random.Generator, alpha: float) -> I64:
    """Index-preferential choice in ``[start, start + length)``: ``start + ⌊length·u^α⌋``."""
    return start + np.floor(length * rng.random(len(start)) ** alpha).astype(np.int64)


# -- the synthetic graph -------------------------------------------------------------------------


@dataclass
class _Graph:
    n: int
    n_person: int
    n_fund: int
    depth: I64
    src: I64
    dst: I64
    ppm: I64
    kind: npt.NDArray[Any]
    share: npt.NDArray[Any]
    start: npt.NDArray[Any]
    end: npt.NDArray[Any]
    listed: I64
    prim: I64
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def comp0(self) -> int:
        return self.n_person + self.n_fund


def _build(n: int, p: Preset, rng: np.random.Generator, edges_per_entity: float | None) -> _Graph:
    n_person = int(n * p.persons)
    n_fund = int(n * p.funds)
    n_comp = n - n_person - n_fund
    if n_comp < 10:
        raise ValueError(f"too few entities for a graph: {n}")
    comp0 = n_person + n_fund
    # layers above each company; companies are numbered by layer (0 = owned by persons only)
    u = rng.random(n_comp)
    depth = np.where(
        u < p.depth0, 0, np.where(u < p.depth0 + p.depth1, 1, 1 + rng.geometric(1 - p.depth_continue, n_comp))
    )
    depth = np.sort(np.minimum(depth, p.max_depth))
    depth = np.unique(depth, return_inverse=True)[1].astype(np.int64)  # no empty layer
    layers = int(depth.max()) + 1
    lstart = np.searchsorted(depth, np.arange(layers + 1)).astype(np.int64)
    lsize = np.diff(lstart)
    # listed companies: big top parents mostly, some listed subsidiaries
    n_listed = max(1, round(n * p.listed))
    top = np.arange(lstart[0], lstart[0] + min(lsize[0], 3 * n_listed))
    n_sub_listed = min(int(n_listed * 0.15), lsize[1] if layers > 1 else 0)
    subs = np.arange(lstart[1], lstart[1] + min(lsize[1], 3 * n_sub_listed)) if n_sub_listed else top[:0]
    listed_c = np.concatenate(
        [
            rng.choice(top, size=min(len(top), n_listed - n_sub_listed), replace=False),
            rng.choice(subs, size=n_sub_listed, replace=False) if n_sub_listed else top[:0],
        ]
    )
    is_listed = np.zeros(n_comp, dtype=bool)
    is_listed[listed_c] = True
    # owners per company
    wholly = (rng.random(n_comp) < min(1.0, p.wholly * n_comp / max(1, n_comp - len(listed_c)))) & ~is_listed
    rest_mean = max(1.0, (p.owners_mean - p.wholly) / (1 - p.wholly))
    k = np.where(wholly, 1, rng.geometric(1 / rest_mean, n_comp)).astype(np.int64)
    owned = np.repeat(np.arange(n_comp), k)
    gstart = np.concatenate(([0], np.cumsum(k)[:-1]))
    slot = np.arange(len(owned)) - np.repeat(gstart, k)
    d = depth[owned]
    m = len(owned)
    person = np.floor(n_person * rng.random(m) ** p.alpha_person).astype(np.int64)
    first_co = comp0 + _within(
        lstart[np.maximum(d - 1, 0)], lsize[np.maximum(d - 1, 0)], rng, p.alpha_company
    )
    other_co = comp0 + np.floor(lstart[d] * rng.random(m) ** p.alpha_company).astype(np.int64)
    second_is_person = rng.random(m) < p.second_person
    owner = np.where(
        d == 0, person, np.where(slot == 0, first_co, np.where(second_is_person, person, other_co))
    )
    prim = np.full(n_comp, -1, dtype=np.int64)
    prim[owned[slot == 0]] = owner[slot == 0]
    # shares: weights normalised per company to a cover; wholly owned: exactly 100%
    w = rng.exponential(1.0, m)
    tot = np.add.reduceat(w, gstart)
    cover = np.where(k == 1, 1 - 0.5 * rng.random(n_comp) ** 2, rng.uniform(0.5, 1.0, n_comp))
    cover[is_listed] = rng.uniform(0.2, 0.6, int(is_listed.sum()))
    cover[wholly] = 1.0
    ppm = np.clip(np.round(w / np.repeat(tot, k) * np.repeat(cover, k) * 1e6).astype(np.int64), 1, 1_000_000)
    ppm[np.repeat(wholly, k)] = 1_000_000
    exact = np.repeat(wholly, k)
    kind = np.full(m, "shares", dtype=object)
    r = rng.random(m)
    lo = 0.0
    for name, frac in p.kinds:
        kind[(r >= lo) & (r < lo + frac) & ~exact] = name
        lo += frac
    # cross-holdings: child -> parent or grandparent, then owners of each target rescaled to <= 95%
    cand = np.flatnonzero(depth >= 1)
    n_back = round(p.cross_frac * len(cand))
    if p.cycle_nodes > 0:
        n_back = max(n_back, 1, round(n * p.cycle_nodes / 2.4))
    n_back = min(n_back, len(cand))
    child = rng.choice(cand, size=n_back, replace=False)
    parent = prim[child] - comp0
    grand = np.where(depth[parent] >= 1, prim[np.maximum(parent, 0)] - comp0, parent)
    target = np.where(rng.random(n_back) < 0.5, parent, grand)
    back_ppm = rng.integers(10_000, 100_001, n_back)
    counted = kind == "shares"
    col = np.bincount(owned[counted], weights=ppm[counted], minlength=n_comp)
    col += np.bincount(target, weights=back_ppm, minlength=n_comp)
    factor = np.ones(n_comp)
    hit = np.unique(target)
    factor[hit] = np.minimum(1.0, 950_000 / np.maximum(col[hit], 1))
    scaled = factor[owned] < 1
    ppm[scaled] = np.maximum(1, np.floor(ppm[scaled] * factor[owned[scaled]])).astype(np.int64)
    back_ppm = np.maximum(1, np.floor(back_ppm * factor[target])).astype(np.int64)
    exact &= ~scaled
    # funds: small stakes in listed companies, within each one's free float
    n_regular = m + n_back
    epe = p.edges_per_entity if edges_per_entity is None else edges_per_entity
    n_fe = max(0, round(n * epe) - n_regular) if n_fund else 0
    f_owner = n_person + np.floor(n_fund * rng.random(n_fe) ** 1.5).astype(np.int64)
    f_owned = listed_c[rng.integers(0, len(listed_c), n_fe)]
    key = np.unique(f_owner * n + f_owned)
    f_owner, f_owned = key // n, key % n
    used = np.bincount(owned[kind == "shares"], weights=ppm[kind == "shares"], minlength=n_comp)
    used += np.bincount(target, weights=back_ppm, minlength=n_comp)
    fw = rng.exponential(1.0, len(f_owned))
    fsum = np.bincount(f_owned, weights=fw, minlength=n_comp)
    room = np.maximum(0.0, 1e6 - used) * rng.uniform(0.5, 0.9, n_comp)
    f_ppm = np.clip(np.round(fw / np.maximum(fsum[f_owned], 1e-12) * room[f_owned]), 1_000, 50_000).astype(
        np.int64
    )
    over = np.bincount(f_owned, weights=f_ppm, minlength=n_comp) > np.maximum(1e6 - used, 0)
    if over.any():  # a crowded float: scale its stakes down rather than sum past 100%
        sel = over[f_owned]
        scale = np.maximum(1e6 - used, 0) / np.maximum(
            np.bincount(f_owned, weights=f_ppm, minlength=n_comp), 1
        )
        f_ppm[sel] = np.maximum(1, np.floor(f_ppm[sel] * scale[f_owned[sel]])).astype(np.int64)
    # assemble (company numbers -> entity numbers), drop repeated (owner, owned) pairs
    src = np.concatenate([owner, comp0 + child, f_owner])
    dst = np.concatenate([comp0 + owned, comp0 + target, comp0 + f_owned])
    e_ppm = np.concatenate([ppm, back_ppm, f_ppm])
    e_kind = np.concatenate([kind, np.full(n_back + len(f_owner), "shares", dtype=object)])
    regular = np.concatenate([~exact, np.zeros(n_back + len(f_owner), dtype=bool)])
    origin = np.concatenate(
        [np.zeros(m, np.int8), np.ones(n_back, np.int8), np.full(len(f_owner), 2, np.int8)]
    )
    keep = src != dst
    _, first = np.unique(src[keep] * n + dst[keep], return_index=True)
    sel = np.flatnonzero(keep)[np.sort(first)]
    src, dst, e_ppm, e_kind, regular, origin = (
        src[sel],
        dst[sel],
        e_ppm[sel],
        e_kind[sel],
        regular[sel],
        origin[sel],
    )
    # share text: exact, PSC band or unknown; control-like kinds carry no percentage
    share = _fmt_pct(e_ppm)
    r = rng.random(len(src))
    band = regular & (r < p.band) & np.isin(e_kind, ["shares", "votes"])
    share[band] = _band(e_ppm[band])
    unknown = regular & (r >= p.band) & (r < p.band + p.unknown)
    no_pct = np.isin(e_kind, ["control", "consolidation", "board"])
    share[unknown | no_pct] = ""
    # dates: 20% of edges start on a known day, 1% ended
    start = np.full(len(src), "", dtype=object)
    end = np.full(len(src), "", dtype=object)
    dated = np.flatnonzero(rng.random(len(src)) < p.dated)
    sday = rng.integers(_day("1995-01-01"), _day("2025-06-30"), len(dated))
    start[dated] = _iso(sday)
    ended = rng.random(len(dated)) < p.ended / max(p.dated, 1e-9)
    eday = np.minimum(sday[ended] + rng.integers(30, 3000, int(ended.sum())), _day("2025-09-30"))
    end[dated[ended]] = _iso(eday)
    info = {
        "layers": layers,
        "cross_holdings": int(n_back),
        "fund_stakes": int((origin == 2).sum()),
        "company_edges": int((origin == 0).sum()),
    }
    return _Graph(
        n, n_person, n_fund, depth, src, dst, e_ppm, e_kind, share, start, end, comp0 + listed_c, prim, info
    )


def _entities(g: _Graph, p: Preset, rng: np.random.Generator) -> pa.Table:
    n, comp0 = g.n, g.comp0
    kinds = np.empty(n, dtype=object)
    kinds[: g.n_person] = "person"
    kinds[g.n_person : comp0] = "fund"
    kinds[comp0:] = "company"
    juris = COUNTRIES[rng.choice(len(COUNTRIES), size=n, p=COUNTRY_P / COUNTRY_P.sum())].astype(object)
    # a company is named after its group (the top of its first-owner chain) and a sector
    n_comp = n - comp0
    group = np.arange(n_comp)
    for layer in range(1, int(g.depth.max()) + 1):
        idx = np.flatnonzero(g.depth == layer)
        group[idx] = group[g.prim[idx] - comp0]
    sector = rng.integers(0, len(SECTORS), n_comp)
    cj = juris[comp0:]
    names = np.empty(n, dtype=object)
    names[: g.n_person] = [f"Person {i}" for i in range(g.n_person)]
    names[g.n_person : comp0] = [f"{STEMS[i % len(STEMS)]} Index Fund {i}" for i in range(g.n_person, comp0)]
    names[comp0:] = [
        f"{STEMS[gr % len(STEMS)]}{gr} {SECTORS[s]} {SUFFIX[j]}"
        for gr, s, j in zip(group.tolist(), sector.tolist(), cj.tolist(), strict=True)
    ]
    ident = np.full(n, "", dtype=object)
    has_lei = np.zeros(n, dtype=bool)
    has_lei[g.n_person : comp0] = True
    has_lei[comp0:] = rng.random(n_comp) < p.lei
    idx = np.flatnonzero(has_lei)
    ident[idx] = [f"lei:{_lei(i)}" for i in idx.tolist()]
    ids = np.char.add("e", np.arange(n).astype(str)).astype(object)
    return pa.table(
        {
            "id": ids,
            "name": names,
            "kind": kinds,
            "jurisdiction": juris,
            "identifiers": ident,
            "source": np.full(n, "synthetic", dtype=object),
        }
    )


def _listings(g: _Graph, juris: npt.NDArray[Any], rng: np.random.Generator) -> pa.Table:
    ent = g.listed
    mic = np.array(
        [MICS_BY_COUNTRY[j][rng.integers(0, len(MICS_BY_COUNTRY[j]))] for j in juris[ent]], dtype=object
    )
    isin = [_isin(j, int(i)) for j, i in zip(juris[ent].tolist(), ent.tolist(), strict=True)]
    listed_day = rng.integers(_day("1995-01-01"), _day("2024-12-31"), len(ent))
    delisted = np.full(len(ent), "", dtype=object)
    gone = rng.random(len(ent)) < 0.02
    delisted[gone] = _iso(
        np.minimum(listed_day[gone] + rng.integers(200, 5000, int(gone.sum())), _day("2025-09-30"))
    )
    return pa.table(
        {
            "entity_id": np.char.add("e", ent.astype(str)).astype(object),
            "mic": mic,
            "ticker": np.array([f"S{k:05d}" for k in range(len(ent))], dtype=object),
            "isin": np.array(isin, dtype=object),
            "listed": _iso(listed_day),
            "delisted": delisted,
            "source": np.full(len(ent), "synthetic", dtype=object),
        }
    )


def _designations(g: _Graph, p: Preset, rng: np.random.Generator) -> pa.Table:
    n_des = max(2, round(g.n * p.designated))
    n_p = min(g.n_person, int(n_des * 0.6))
    n_c = min(g.n - g.comp0, n_des - n_p)
    persons = rng.choice(g.n_person, size=n_p, replace=False)
    companies = g.comp0 + rng.choice(g.n - g.comp0, size=n_c, replace=False)
    ent = np.concatenate([persons, companies])
    reg = np.concatenate([_pick(rng, PERSON_REGIMES, n_p), _pick(rng, COMPANY_REGIMES, n_c)])
    if n_c >= len(REGIMES):  # every regime has companies on its list, whatever the size
        reg[n_p : n_p + len(REGIMES)] = REGIMES
    # a third of designated persons and a fifth of companies are on a second list
    second = np.concatenate([rng.random(n_p) < 0.3, rng.random(n_c) < 0.2])
    alt = {
        "ofac-sdn": "eu",
        "eu": "uk",
        "uk": "ofac-sdn",
        "info": "ofac-sdn",
        "ofac-ssi": "eu",
        "ofac-ns-cmic": "info",
        "bis-entity-list": "ofac-sdn",
    }
    ent = np.concatenate([ent, ent[second]])
    reg = np.concatenate([reg, np.array([alt[r] for r in reg[second]], dtype=object)])
    listed = rng.integers(_day("2014-01-01"), _day("2025-09-30"), len(ent))
    removed = np.full(len(ent), "", dtype=object)
    gone = rng.random(len(ent)) < 0.05
    removed[gone] = _iso(
        np.minimum(listed[gone] + rng.integers(180, 1500, int(gone.sum())), _day("2025-12-31"))
    )
    program = np.full(len(ent), "", dtype=object)
    sdn = reg == "ofac-sdn"
    program[sdn] = np.array(SDN_PROGRAMS, dtype=object)[rng.integers(0, len(SDN_PROGRAMS), int(sdn.sum()))]
    program[reg == "ofac-ns-cmic"] = "CMIC-EO13959"
    return pa.table(
        {
            "entity_id": np.char.add("e", ent.astype(str)).astype(object),
            "regime": reg,
            "list": np.array([LISTS[r] for r in reg], dtype=object),
            "program": program,
            "listed": _iso(listed),
            "removed": removed,
            "source": np.full(len(ent), "synthetic", dtype=object),
        }
    )


# -- planted motifs --------------------------------------------------------------------------------


def _tests_module(name: str) -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if name == "motifs":  # a plain module: load it by path, as tests/queries/test_loopholes.py does
        key = "ownergraph_tests_motifs"
        if key not in sys.modules:
            spec = importlib.util.spec_from_file_location(key, ROOT / "tests" / "queries" / "motifs.py")
            assert spec is not None and spec.loader is not None
            mod = importlib.util.module_from_spec(spec)
            sys.modules[key] = mod
            spec.loader.exec_module(mod)
        return sys.modules[key]
    return importlib.import_module(f"tests.queries.{name}")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def planted() -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """The planted bundle rows (by record kind) and their expected answers.

    Vectors come from ``tests/queries/test_restricted.py`` (``VECTORS``) with ids prefixed
    ``pv<NN>-``; loophole motifs from ``tests/queries/motifs.py`` with the prefix ``pm-``.
    """
    motifs = _tests_module("motifs")
    vectors = _tests_module("test_restricted").VECTORS
    rows: dict[str, list[dict[str, Any]]] = {
        "entities": [],
        "ownership": [],
        "listings": [],
        "designations": [],
        "holdings": [],
    }
    expected_r: list[dict[str, Any]] = []
    for k, param in enumerate(vectors):
        edges, designations, statuses, as_of, jurisdictions = param.values
        pre = f"pv{k:02d}-"
        ids: list[str] = []
        for e in edges:
            ids += [e[0], e[1]]
            cols = dict(
                zip(("owner_id", "owned_id", "share", "kind", "arrangement", "start", "end"), e, strict=False)
            )
            row = {c: ("" if v is None else str(v)) for c, v in cols.items()}
            row["owner_id"], row["owned_id"] = pre + row["owner_id"], pre + row["owned_id"]
            if row.get("arrangement"):
                row["arrangement"] = pre + row["arrangement"]
            row["source"] = f"planted vector {param.id}"
            rows["ownership"].append(row)
        for d in designations:
            row = {c: ("" if v is None else str(v)) for c, v in dict(d).items()}
            ids.append(row["entity_id"])
            row["entity_id"] = pre + row["entity_id"]
            row.setdefault("listed", "2020-01-01")
            row["source"] = f"planted vector {param.id}"
            rows["designations"].append(row)
        jur = dict(jurisdictions or {})
        ids += list(jur)
        uniq = list(dict.fromkeys(ids))
        for i in uniq:
            rows["entities"].append(
                {
                    "id": pre + i,
                    "name": f"{param.id} {i}",
                    "kind": "company",
                    "jurisdiction": jur.get(i) or "",
                    "source": f"planted vector {param.id}",
                }
            )
        for regime, st in statuses.items():
            expected_r.append(
                {
                    "vector": param.id,
                    "as_of": as_of or VECTOR_DEFAULT_AS_OF,
                    "regime": regime,
                    "ids": [pre + i for i in uniq],
                    "statuses": {pre + i: s for i, s in st.items()},
                }
            )
    expected_l: list[dict[str, Any]] = []
    exposure: list[dict[str, Any]] = []
    for m in motifs.all_motifs(prefix="pm-"):
        for kind, recs in m.records.items():
            rows.setdefault(kind, []).extend(dict(r) for r in recs)
        expected_l.append(
            {
                "motif": m.name,
                "pattern": m.pattern,
                "regimes": [m.regime, *m.also],
                "fires": m.fires,
                "path": list(m.path),
                "mic": m.mic,
                "ids": list(m.ids),
                "as_of": [motifs.AS_OF, BENCH_AS_OF],
            }
        )
        if m.pattern == "exposure-wrapper":
            iss = next(i for i in m.ids if i.endswith("-iss"))
            exposure.append(
                {
                    "line": {"id": iss},
                    "entity_id": iss,
                    "regime": m.regime,
                    "status": "designated" if m.fires else "not_restricted",
                }
            )
    # portfolio lines whose self status is known on the benchmark date: the vectors evaluated on it
    for item in expected_r:
        if item["as_of"] == BENCH_AS_OF:
            for i in item["ids"]:
                exposure.append(
                    {
                        "line": {"id": i},
                        "entity_id": i,
                        "regime": item["regime"],
                        "status": item["statuses"].get(i, "not_restricted"),
                    }
                )
    return rows, {"restricted": expected_r, "loopholes": expected_l, "exposure": exposure}


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> pa.Table:
    return pa.table({c: pa.array([str(r.get(c, "") or "") for r in rows], pa.string()) for c in columns})


def _concat(a: pa.Table | None, rows: list[dict[str, Any]]) -> pa.Table | None:
    if not rows:
        return a
    cols = list(a.column_names) if a is not None else list(dict.fromkeys(c for r in rows for c in r))
    extra = [c for r in rows for c in r if c not in cols]
    if extra:
        raise ValueError(f"planted rows have columns the synthetic table lacks: {sorted(set(extra))}")
    t = _table(rows, cols)
    return t if a is None else pa.concat_tables([a.cast(t.schema), t])


# -- the entry point ---------------------------------------------------------------------------------


def generate(
    out: Path,
    entities: int = 10_000,
    *,
    seed: int = 7,
    preset: str | Preset = "realistic",
    motifs: bool = False,
    edges_per_entity: float | None = None,
) -> dict[str, int]:
    """Write a bundle folder of ``entities`` synthetic entities; return record counts.

    With ``motifs=True`` the planted vectors and loophole motifs are appended (their entities
    come on top of ``entities``) and ``out/expected.json`` holds their answers, the preset, seed
    and counts.
    """
    p = PRESETS[preset] if isinstance(preset, str) else preset
    rng = np.random.default_rng(seed)
    g = _build(entities, p, rng, edges_per_entity)
    ent = _entities(g, p, rng)
    juris = ent.column("jurisdiction").to_numpy(zero_copy_only=False)
    ids = ent.column("id").to_numpy(zero_copy_only=False)
    own: pa.Table | None = pa.table(
        {
            "owner_id": ids[g.src],
            "owned_id": ids[g.dst],
            "share": g.share.astype(str).astype(object),
            "kind": g.kind,
            "arrangement": np.full(len(g.src), "", dtype=object),
            "start": g.start,
            "end": g.end,
            "source": np.full(len(g.src), "synthetic", dtype=object),
        }
    )
    lis: pa.Table | None = _listings(g, juris, rng)
    des: pa.Table | None = _designations(g, p, rng)
    ents: pa.Table | None = ent
    hold: pa.Table | None = None
    expected: dict[str, Any] = {}
    if motifs:
        rows, expected = planted()
        ents = _concat(ent, rows["entities"])
        own = _concat(own, rows["ownership"])
        lis = _concat(lis, rows["listings"])
        des = _concat(
            pa.table(
                {
                    **{c: des.column(c) for c in des.column_names},
                    "effective": pa.array([""] * des.num_rows, pa.string()),
                }
            ),
            rows["designations"],
        )
        hold = _concat(None, rows["holdings"])
    out.mkdir(parents=True, exist_ok=True)
    opts = pacsv.WriteOptions(quoting_style="needed")
    for name, t in (
        ("entities", ents),
        ("ownership", own),
        ("listings", lis),
        ("designations", des),
        ("holdings", hold),
    ):
        if t is not None:
            pacsv.write_csv(t, str(out / f"{name}.csv"), write_options=opts)
        elif (out / f"{name}.csv").exists():
            (out / f"{name}.csv").unlink()
    assert ents is not None and own is not None and lis is not None and des is not None
    counts = {
        "entities": ents.num_rows,
        "ownership": own.num_rows,
        "listings": lis.num_rows,
        "designations": des.num_rows,
        "holdings": 0 if hold is None else hold.num_rows,
    }
    exp_path = out / "expected.json"
    if motifs:
        meta = {
            "generator_version": GENERATOR_VERSION,
            "entities": entities,
            "seed": seed,
            "preset": preset if isinstance(preset, str) else "custom",
            "parameters": asdict(p),
            "bench_as_of": BENCH_AS_OF,
            "counts": counts,
            "synthetic": g.info,
        }
        exp_path.write_text(json.dumps({**meta, **expected}, indent=1))
    elif exp_path.exists():
        exp_path.unlink()
    return counts


# -- shape statistics (algorithms.md §6.2) -----------------------------------------------------------


def _read(folder: Path, name: str) -> pa.Table:
    return pacsv.read_csv(
        str(folder / f"{name}.csv"),
        convert_options=pacsv.ConvertOptions(
            strings_can_be_null=False,
            column_types={
                c: pa.string()
                for c in (
                    "id",
                    "share",
                    "entity_id",
                    "owner_id",
                    "owned_id",
                    "ticker",
                    "isin",
                    "start",
                    "end",
                    "listed",
                    "removed",
                    "identifiers",
                )
            },
        ),
    )


def _np(t: pa.Table, c: str) -> npt.NDArray[Any]:
    return np.asarray(t.column(c).to_numpy(zero_copy_only=False))


def shape_stats(folder: Path, *, synthetic_only: bool = True) -> dict[str, float]:
    """The §6.2 shape statistics of a bundle (by default of its synthetic ``e<N>`` entities only).

    ``layers_*``: corporate layers above a company (the longest chain of company owners, cycles
    condensed); ``owners_per_company``: mean number of non-fund owners of companies that have
    one; ``parents_gt100``: companies with more than 100 direct company subsidiaries (and their
    fraction of all corporate parents); ``cycle_node_frac``: nodes in non-trivial strongly
    connected components; ``wholly_owned``: companies with a single owner at exactly 100%;
    ``banded``/``unknown``/``top_band`` over non-fund ownership edges; fund stakes; listed and
    designated fractions.
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    ent = _read(folder, "entities")
    ids = _np(ent, "id")
    keep = np.char.startswith(ids.astype(str), "e") if synthetic_only else np.ones(len(ids), dtype=bool)
    ids, kinds = ids[keep], _np(ent, "kind")[keep]
    n = len(ids)
    index = {x: i for i, x in enumerate(ids.tolist())}
    own = _read(folder, "ownership")
    s_ids, t_ids = _np(own, "owner_id"), _np(own, "owned_id")
    src = np.array([index.get(x, -1) for x in s_ids.tolist()], dtype=np.int64)
    dst = np.array([index.get(x, -1) for x in t_ids.tolist()], dtype=np.int64)
    ok = (src >= 0) & (dst >= 0)
    src, dst = src[ok], dst[ok]
    share = _np(own, "share")[ok].astype(str)
    company = kinds == "company"
    fund = kinds == "fund"
    from_fund = fund[src]
    # owners per company (non-fund)
    nf = ~from_fund
    owners = np.bincount(dst[nf], minlength=n)
    owned_co = company & (owners > 0)
    stats: dict[str, float] = {
        "entities": n,
        "edges": len(src),
        "edges_per_entity": len(src) / n,
        "owners_per_company": float(owners[owned_co].mean()) if owned_co.any() else 0.0,
    }
    # layers above each company: longest chain over company -> company edges, SCCs condensed
    a = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    ncomp, label = connected_components(a, directed=True, connection="strong")
    size = np.bincount(label, minlength=ncomp)
    in_cycle = size[label] > 1
    cc = company[src] & company[dst] & (label[src] != label[dst])
    ls, ld = label[src[cc]], label[dst[cc]]
    depth = np.zeros(ncomp, dtype=np.int64)
    for _ in range(200):
        new = depth.copy()
        np.maximum.at(new, ld, depth[ls] + 1)
        if np.array_equal(new, depth):
            break
        depth = new
    layers = depth[label][company]
    stats.update(
        layers_le1=float(np.mean(layers <= 1)),
        layers_gt5=float(np.mean(layers > 5)),
        layers_gt10=float(np.mean(layers > 10)),
        layers_max=int(layers.max()),
    )
    children = np.bincount(src[company[src] & company[dst]], minlength=n)
    parents = children > 0
    stats.update(
        parents=int(parents.sum()),
        children_per_parent=float(children[parents].mean()) if parents.any() else 0.0,
        parents_gt100=int((children > 100).sum()),
        parents_gt100_frac=float((children > 100).sum() / max(1, parents.sum())),
        max_children=int(children.max()),
        cycle_node_frac=float(in_cycle.mean()),
        largest_scc=int(size.max()),
    )
    # shares
    pct = np.full(len(share), np.nan)
    numeric = np.char.str_len(share) > 0
    numeric &= np.char.isdigit(np.char.replace(share, ".", ""))
    pct[numeric] = share[numeric].astype(float)
    kind = _np(own, "kind")[ok].astype(str)
    single = np.bincount(dst, minlength=n) == 1
    full = numeric & (pct == 100.0) & single[dst] & company[dst]
    stats["wholly_owned"] = float(np.isin(np.arange(n), dst[full]).sum() / max(1, company.sum()))
    reg = nf & np.isin(kind, ["shares", "votes"])
    stats["banded"] = float(np.mean(~numeric[reg] & (np.char.str_len(share[reg]) > 0)))
    stats["unknown"] = float(np.mean(np.char.str_len(share[reg]) == 0))
    top = (numeric & (pct >= 75)) | (share == "(75,100]")
    stats["top_band"] = float(np.mean(top[reg & (np.char.str_len(share) > 0)]))
    fe = from_fund & numeric
    stats["stakes_per_fund"] = float(fe.sum() / max(1, fund.sum()))
    stats["fund_stake_min_pct"] = float(pct[fe].min()) if fe.any() else 0.0
    stats["fund_stake_max_pct"] = float(pct[fe].max()) if fe.any() else 0.0
    stats["fund_stake_median_pct"] = float(np.median(pct[fe])) if fe.any() else 0.0
    col = np.bincount(
        dst[numeric & (kind == "shares")], weights=pct[numeric & (kind == "shares")], minlength=n
    )
    stats["max_owned_pct"] = float(col.max())
    # listings and designations
    lis = _read(folder, "listings")
    l_ids = _np(lis, "entity_id").astype(str)
    syn = np.char.startswith(l_ids, "e") if synthetic_only else np.ones(len(l_ids), dtype=bool)
    from ownergraph.loaders.mic import builtin_venues

    active = {str(v["mic"]) for v in builtin_venues()}
    mics = _np(lis, "mic").astype(str)[syn]
    stats["listed"] = len(np.unique(l_ids[syn])) / n
    stats["listed_bad_mic"] = int(sum(m not in active for m in mics.tolist()))
    des = _read(folder, "designations")
    d_ids = _np(des, "entity_id").astype(str)
    syn = np.char.startswith(d_ids, "e") if synthetic_only else np.ones(len(d_ids), dtype=bool)
    stats["designated"] = len(np.unique(d_ids[syn])) / n
    stats["regimes"] = len(np.unique(_np(des, "regime")[syn]))
    days = _np(des, "listed").astype(str)[syn]
    stats["designation_years"] = len({d[:4] for d in days.tolist()})
    return stats


def shape_failures(stats: Mapping[str, float], preset: str = "realistic") -> list[str]:
    """The statistics outside :data:`SHAPE_TARGETS` for ``preset``, one message each."""
    out = []
    for key, (lo, hi) in SHAPE_TARGETS[preset].items():
        v = stats[key]
        if not lo <= v <= hi:
            out.append(f"{key} = {v:.6g}, expected in [{lo:g}, {hi:g}]")
    return out


# -- checking the planted answers ----------------------------------------------------------------------


def load_expected(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "expected.json").read_text())
    return data


def restricted_failures(items: Iterable[Mapping[str, Any]], rows: Iterable[Any], regime: str) -> list[str]:
    """Planted vectors whose statuses under ``regime`` differ from ``rows`` (one regime, one date)."""
    got_all = {r.id: r.status for r in rows}
    out = []
    for item in items:
        if item["regime"] != regime:
            continue
        got = {i: got_all[i] for i in item["ids"] if i in got_all}
        if got != item["statuses"]:
            out.append(
                f"restricted {item['vector']} [{regime} as of {item['as_of']}]: "
                f"got {got}, expected {item['statuses']}"
            )
    return out


def loophole_failures(items: Iterable[Mapping[str, Any]], rows: Iterable[Any]) -> list[str]:
    """Planted loophole motifs that did not fire as expected (or near misses that did)."""
    got = [(r.pattern, r.regime, tuple(r.path), r.mic) for r in rows]
    out = []
    for m in items:
        ids = set(m["ids"])
        mine = [g for g in got if g[0] == m["pattern"] and set(g[2]) & ids]
        if m["fires"]:
            for regime in m["regimes"]:
                hits = [g for g in mine if g[1] == regime and list(g[2]) == m["path"]]
                if len(hits) != 1:
                    out.append(
                        f"loopholes {m['motif']} [{regime}]: {len(hits)} findings with path "
                        f"{m['path']}; found {[(g[1], list(g[2])) for g in mine]}"
                    )
                elif m["mic"] and hits[0][3] != m["mic"]:
                    out.append(f"loopholes {m['motif']} [{regime}]: mic {hits[0][3]}, expected {m['mic']}")
        elif mine:
            out.append(f"loopholes {m['motif']}: a near miss fired: {[(g[1], list(g[2])) for g in mine]}")
    return out


def exposure_failures(items: Sequence[Mapping[str, Any]], rows: Iterable[Any], first_line: int) -> list[str]:
    """Planted portfolio lines (lines ``first_line``, ``first_line + 1``, ... of the portfolio)
    whose ``self`` status differs from the expected one."""
    got = {(r.line, r.regime): (r.entity_id, r.status) for r in rows if r.relation == "self"}
    out = []
    for k, item in enumerate(items):
        have = got.get((first_line + k, item["regime"]))
        want = (item["entity_id"], item["status"])
        if have != want:
            out.append(
                f"exposure line {first_line + k} {item['line']} [{item['regime']}]: got {have}, "
                f"expected {want}"
            )
    return out


def portfolio(folder: Path, size: int = 1_000, *, seed: int = 7) -> tuple[list[dict[str, Any]], int]:
    """A portfolio of ``size`` lines: synthetic issuers by ISIN, ticker + MIC, LEI, id and name,
    then the planted lines of ``expected.json``; returns the lines and the 1-based number of the
    first planted line."""
    rng = np.random.default_rng(seed + 11)
    planted_lines = [dict(x["line"]) for x in load_expected(folder).get("exposure", [])]
    n_syn = max(0, size - len(planted_lines))
    lis = _read(folder, "listings")
    keep = np.char.startswith(_np(lis, "entity_id").astype(str), "e")
    mic, tick, isin = (_np(lis, c)[keep] for c in ("mic", "ticker", "isin"))
    ent = _read(folder, "entities")
    e_ids = _np(ent, "id").astype(str)
    syn = np.char.startswith(e_ids, "e")
    ident = _np(ent, "identifiers").astype(str)[syn]
    leis = ident[np.char.startswith(ident, "lei:")]
    kinds = _np(ent, "kind")[syn]
    co = np.flatnonzero(kinds == "company")
    names = _np(ent, "name")[syn]
    persons_funds = np.flatnonzero(kinds != "company")
    lines: list[dict[str, Any]] = []
    for j in range(n_syn):
        w = round(float(rng.uniform(0.01, 2.0)), 4)
        r = j % 10
        if r < 4 and len(tick):
            k = int(rng.integers(0, len(tick)))
            lines.append({"ticker": tick[k], "mic": mic[k], "weight": w})
        elif r < 7 and len(isin):
            lines.append({"isin": isin[int(rng.integers(0, len(isin)))], "weight": w})
        elif r < 8 and len(leis):
            lines.append({"lei": leis[int(rng.integers(0, len(leis)))][4:], "weight": w})
        elif r < 9:
            lines.append({"id": e_ids[syn][int(co[rng.integers(0, len(co))])], "weight": w})
        else:
            lines.append(
                {"name": names[int(persons_funds[rng.integers(0, len(persons_funds))])], "weight": w}
            )
    return lines + planted_lines, len(lines) + 1


def check_workspace(ws: Any, expected: Mapping[str, Any], *, folder: Path | None = None) -> list[str]:
    """Every planted answer, on every date it is stated for (restricted statuses, loophole
    findings and, given the bundle ``folder``, the planted exposure lines). Not timed."""
    from ownergraph.queries import exposure, loopholes, restricted

    failures: list[str] = []
    by_key: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for item in expected["restricted"]:
        by_key.setdefault((item["as_of"], item["regime"]), []).append(item)
    for (as_of, regime), items in sorted(by_key.items()):
        failures += restricted_failures(items, restricted(ws.graph(as_of=as_of), regime), regime)
    for as_of in sorted({d for m in expected["loopholes"] for d in m["as_of"]}):
        items = [m for m in expected["loopholes"] if as_of in m["as_of"]]
        failures += [
            f"{f} (as of {as_of})" for f in loophole_failures(items, loopholes(ws.graph(as_of=as_of)))
        ]
    if folder is not None and expected.get("exposure"):
        lines = [dict(x["line"]) for x in expected["exposure"]]
        rows = exposure(ws.graph(as_of=expected.get("bench_as_of", BENCH_AS_OF)), lines)
        failures += exposure_failures(expected["exposure"], rows, 1)
    return failures


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--entities", type=parse_size, default=10_000, help="e.g. 10000, 100k, 1m")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="realistic")
    ap.add_argument("--no-motifs", action="store_true", help="do not plant motifs (no expected.json)")
    ap.add_argument("--stats", action="store_true", help="print the shape statistics")
    a = ap.parse_args(argv)
    print(generate(a.out, a.entities, seed=a.seed, preset=a.preset, motifs=not a.no_motifs))
    if a.stats:
        stats = shape_stats(a.out)
        print(json.dumps(stats, indent=1))
        print("\n".join(shape_failures(stats, a.preset)) or "shape statistics in range")


if __name__ == "__main__":
    main()
