"""Planted loophole motifs: small bundles that must fire one loophole pattern, and near misses
that must not (SPEC §7). Used by the loophole tests and reusable by the benchmark, which plants
them into a synthetic graph and checks that ``loopholes`` finds exactly the planted ones.

Every motif is plain data (:class:`Motif`): bundle rows keyed by record kind (``entities``,
``ownership``, ``listings``, ``designations``, ``holdings``), the pattern and regime it is about,
whether it fires, and the path a firing finding must have. Ids carry a prefix so that many
motifs can share one bundle without touching each other::

    from tests.queries.motifs import all_motifs, merge, write_bundle
    write_bundle(folder, merge(m.records for m in all_motifs(prefix="m0-")))

All dates are before :data:`AS_OF`, the date to evaluate motifs on.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "AS_OF",
    "BUILDERS",
    "FILES",
    "Motif",
    "all_motifs",
    "merge",
    "motif",
    "write_bundle",
]

AS_OF = "2024-06-01"
"""The date on which every motif is evaluated."""

FILES: dict[str, str] = {
    "entities": "entities.csv",
    "ownership": "ownership.csv",
    "listings": "listings.csv",
    "designations": "designations.csv",
    "holdings": "holdings.csv",
}

Records = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Motif:
    """One planted structure.

    ``path`` is the expected ``path`` of the finding when ``fires``; ``ids`` are all entity
    ids of the motif (a near miss must produce no finding of ``pattern`` under ``regime`` whose
    path uses any of them). ``also`` lists other regimes that must fire the same way.
    """

    name: str
    pattern: str
    regime: str
    fires: bool
    records: Records
    path: tuple[str, ...] = ()
    mic: str | None = None
    also: tuple[str, ...] = ()
    ids: tuple[str, ...] = field(default=())


def _records(
    prefix: str,
    entities: Sequence[tuple[str, str, str, str]],
    ownership: Sequence[tuple[str, str, str, str]] = (),
    listings: Sequence[tuple[str, str, str]] = (),
    designations: Sequence[tuple[str, str, str]] = (),
    holdings: Sequence[tuple[str, str, float]] = (),
    dated: Sequence[tuple[str, str, str, str, str]] = (),
) -> Records:
    """Bundle rows from compact tuples; every id gets ``prefix``.

    ``entities``: (id, name, kind, jurisdiction); ``ownership``: (owner, owned, share, kind);
    ``listings``: (id, mic, ticker); ``designations``: (id, regime, listed);
    ``holdings``: (holder, id, weight); ``dated``: (owner, owned, share, start, end).
    """
    p = prefix
    return {
        "entities": [
            {"id": p + i, "name": n, "kind": k, "jurisdiction": j, "source": "planted motif"}
            for i, n, k, j in entities
        ],
        "ownership": [
            {
                "owner_id": p + a,
                "owned_id": p + b,
                "share": s,
                "kind": k,
                "start": "",
                "end": "",
                "source": f"planted motif {p}{a}->{p}{b}",
            }
            for a, b, s, k in ownership
        ]
        + [
            {
                "owner_id": p + a,
                "owned_id": p + b,
                "share": s,
                "kind": "shares",
                "start": st,
                "end": en,
                "source": f"planted motif {p}{a}->{p}{b} {st}..{en}",
            }
            for a, b, s, st, en in dated
        ],
        "listings": [
            {"entity_id": p + i, "mic": mic, "ticker": t, "listed": "2015-01-02", "source": "planted motif"}
            for i, mic, t in listings
        ],
        "designations": [
            {
                "entity_id": p + i,
                "regime": r,
                "list": f"planted {r} list",
                "listed": d,
                "source": "planted motif",
            }
            for i, r, d in designations
        ],
        "holdings": [
            {"holder_id": p + h, "entity_id": p + i, "weight": w, "source": "planted holdings"}
            for h, i, w in holdings
        ],
    }


def _ids(records: Records) -> tuple[str, ...]:
    return tuple(e["id"] for e in records["entities"])


def _motif(
    name: str,
    pattern: str,
    regime: str,
    fires: bool,
    prefix: str,
    records: Records,
    path: Sequence[str] = (),
    mic: str | None = None,
    also: Sequence[str] = (),
) -> Motif:
    return Motif(
        name,
        pattern,
        regime,
        fires,
        records,
        tuple(prefix + x for x in path),
        mic,
        tuple(also),
        _ids(records),
    )


# -- one builder per pattern: (prefix, fires) -> Motif ------------------------------------------------


def listed_parent(prefix: str = "", fires: bool = True) -> Motif:
    """A listed parent over an intermediate holding over a designated subsidiary (OFAC SDN).
    Near miss: the listed parent is itself designated."""
    rec = _records(
        prefix,
        [
            ("lp", "Northwind Listed Holdings plc", "company", "GB"),
            ("mid", "Northwind Intermediate BV", "company", "NL"),
            ("sub", "Kestrel Drone Works LLC", "company", "RU"),
        ],
        [("lp", "mid", "60", "shares"), ("mid", "sub", "unknown", "shares")],
        listings=[("lp", "XLON", "NWLH")],
        designations=[("sub", "ofac-sdn", "2020-01-01")]
        + ([] if fires else [("lp", "ofac-sdn", "2020-01-01")]),
    )
    return _motif(
        "listed-parent" + ("" if fires else "-near-miss"),
        "listed-parent",
        "ofac-sdn",
        fires,
        prefix,
        rec,
        ["lp", "mid", "sub"],
        "XLON",
    )


def unlisted_affiliate(prefix: str = "", fires: bool = True) -> Motif:
    """An NS-CMIC entity whose group parent also owns a listed bond vehicle not on the list.
    Near miss: Treasury listed the vehicle too."""
    rec = _records(
        prefix,
        [
            ("hold", "Huaxin Investment Holding", "company", "CN"),
            ("cmic", "Huaxin Electronics Technologies", "company", "CN"),
            ("veh", "Proven Star Capital", "company", "VG"),
        ],
        [("hold", "cmic", "100", "shares"), ("hold", "veh", "100", "shares")],
        listings=[("veh", "XHKG", "5711")],
        designations=[("cmic", "ofac-ns-cmic", "2021-06-03")]
        + ([] if fires else [("veh", "ofac-ns-cmic", "2021-06-03")]),
    )
    return _motif(
        "unlisted-affiliate" + ("" if fires else "-near-miss"),
        "unlisted-affiliate",
        "ofac-ns-cmic",
        fires,
        prefix,
        rec,
        ["cmic", "hold", "veh"],
        "XHKG",
    )


def name_mismatch(prefix: str = "", fires: bool = True) -> Motif:
    """A designated Hong Kong company under a listed Cayman parent with nearly its name.
    Near miss: the listed parent's name is unrelated."""
    parent = "Acme Dynamics Inc." if fires else "Borealis Capital Inc."
    rec = _records(
        prefix,
        [("listed", parent, "company", "KY"), ("named", "Acme Dynamics Limited", "company", "HK")],
        [("listed", "named", "unknown", "shares")],
        listings=[("listed", "XHKG", "9988")],
        designations=[("named", "ofac-ns-cmic", "2021-12-10")],
    )
    return _motif(
        "name-mismatch" + ("" if fires else "-near-miss"),
        "name-mismatch",
        "ofac-ns-cmic",
        fires,
        prefix,
        rec,
        ["named", "listed"],
        "XHKG",
    )


def aggregation_split(prefix: str = "", fires: bool = True) -> Motif:
    """Two designated persons with 30% + 25%: restricted by pooling under OFAC, not owned under
    the UK. Near miss: one holds 60% alone."""
    first = "30" if fires else "60"
    rec = _records(
        prefix,
        [
            ("dp1", "Ivan Splitov", "person", "RU"),
            ("dp2", "Pyotr Splitov", "person", "RU"),
            ("co", "Splitco Trading Ltd", "company", "CY"),
        ],
        [("dp1", "co", first, "shares"), ("dp2", "co", "25", "shares")],
        designations=[
            ("dp1", "ofac-sdn", "2020-01-01"),
            ("dp2", "ofac-sdn", "2020-01-01"),
            ("dp1", "uk", "2020-01-01"),
            ("dp2", "uk", "2020-01-01"),
        ],
    )
    return _motif(
        "aggregation-split" + ("" if fires else "-near-miss"),
        "aggregation-split",
        "ofac-sdn",
        fires,
        prefix,
        rec,
        ["dp1", "dp2", "co"],
        also=["uk"],
    )


def sub_threshold(prefix: str = "", fires: bool = True) -> Motif:
    """A designated person with 49% of a holding that owns 100% of an operating company.
    Near miss: 30%, outside the band."""
    rec = _records(
        prefix,
        [
            ("dp", "Oleg Minorov", "person", "RU"),
            ("hold", "Minor Holdings SA", "company", "LU"),
            ("op", "Minor Operating LLC", "company", "AE"),
        ],
        [("dp", "hold", "49" if fires else "30", "shares"), ("hold", "op", "100", "shares")],
        designations=[("dp", "ofac-sdn", "2020-01-01")],
    )
    return _motif(
        "sub-threshold" + ("" if fires else "-near-miss"),
        "sub-threshold",
        "ofac-sdn",
        fires,
        prefix,
        rec,
        ["dp", "hold"],
    )


def control_without_ownership(prefix: str = "", fires: bool = True) -> Motif:
    """A designated person appoints the board with a 10% stake (a finding under OFAC, control
    under the EU). Near miss: the person also holds 60%."""
    rec = _records(
        prefix,
        [("dp", "Viktor Boardman", "person", "RU"), ("co", "Boardman Shipping Ltd", "company", "MT")],
        [("dp", "co", "10" if fires else "60", "shares"), ("dp", "co", "unknown", "board")],
        designations=[("dp", "ofac-sdn", "2020-01-01"), ("dp", "eu", "2020-01-01")],
    )
    return _motif(
        "control-without-ownership" + ("" if fires else "-near-miss"),
        "control-without-ownership",
        "ofac-sdn",
        fires,
        prefix,
        rec,
        ["dp", "co"],
        also=["eu"],
    )


def exposure_wrapper(prefix: str = "", fires: bool = True) -> Motif:
    """An index fund owning 2% of a listed designated issuer, and an ETF holding it in holdings
    data. Near miss: the issuer is not designated."""
    rec = _records(
        prefix,
        [
            ("fund", "Global Emerging Index Fund", "fund", "US"),
            ("etf", "Frontier Tech ETF", "fund", "US"),
            ("iss", "Tundra Optics JSC", "company", "RU"),
        ],
        [("fund", "iss", "2", "shares")],
        listings=[("iss", "MISX", "TOPT")],
        designations=[("iss", "ofac-sdn", "2020-01-01")] if fires else [],
        holdings=[("etf", "iss", 0.8)],
    )
    return _motif(
        "exposure-wrapper" + ("" if fires else "-near-miss"),
        "exposure-wrapper",
        "ofac-sdn",
        fires,
        prefix,
        rec,
        ["fund", "iss"],
        "MISX",
    )


def timing(prefix: str = "", fires: bool = True) -> Motif:
    """A designated owner's 60% stake ends 28 days before its designation. Near miss: 273 days."""
    end = "2022-02-01" if fires else "2021-06-01"
    rec = _records(
        prefix,
        [
            ("dp", "Anatoly Timerov", "person", "RU"),
            ("nominee", "Svetlana Nomineeva", "person", "RU"),
            ("co", "Timer Metals AG", "company", "CH"),
        ],
        designations=[("dp", "ofac-sdn", "2022-03-01")],
        dated=[("dp", "co", "60", "2010-01-01", end), ("nominee", "co", "60", end, "")],
    )
    return _motif(
        "timing" + ("" if fires else "-near-miss"), "timing", "ofac-sdn", fires, prefix, rec, ["dp", "co"]
    )


def cycle(prefix: str = "", fires: bool = True) -> Motif:
    """A three-company ownership loop with a designated member. Near miss: the chain is open."""
    own = [("a", "b", "30", "shares"), ("b", "c", "60", "shares")]
    if fires:
        own.append(("c", "a", "25", "shares"))
    rec = _records(
        prefix,
        [
            ("a", "Circulo Uno SA", "company", "PA"),
            ("b", "Circulo Dos SA", "company", "PA"),
            ("c", "Circulo Tres SA", "company", "PA"),
        ],
        own,
        designations=[("b", "ofac-sdn", "2020-01-01")],
    )
    return _motif(
        "cycle" + ("" if fires else "-near-miss"),
        "cycle",
        "ofac-sdn",
        fires,
        prefix,
        rec,
        ["b", "c", "a", "b"],
    )


BUILDERS: dict[str, Callable[[str, bool], Motif]] = {
    "listed-parent": listed_parent,
    "unlisted-affiliate": unlisted_affiliate,
    "name-mismatch": name_mismatch,
    "aggregation-split": aggregation_split,
    "sub-threshold": sub_threshold,
    "control-without-ownership": control_without_ownership,
    "exposure-wrapper": exposure_wrapper,
    "timing": timing,
    "cycle": cycle,
}
"""One builder per loophole pattern: ``BUILDERS[pattern](prefix, fires)``."""


def motif(pattern: str, fires: bool = True, prefix: str = "") -> Motif:
    """The firing motif (or near miss) of one pattern, ids prefixed with ``prefix``."""
    return BUILDERS[pattern](prefix, fires)


def all_motifs(prefix: str = "") -> list[Motif]:
    """Every firing motif and every near miss, with distinct id prefixes under ``prefix``."""
    out = []
    for k, pattern in enumerate(BUILDERS):
        out.append(motif(pattern, True, f"{prefix}f{k}-"))
        out.append(motif(pattern, False, f"{prefix}n{k}-"))
    return out


def merge(records: Iterable[Mapping[str, Sequence[Mapping[str, Any]]]]) -> Records:
    """Concatenate bundle rows kind by kind."""
    out: Records = {k: [] for k in FILES}
    for rec in records:
        for k, rows in rec.items():
            out.setdefault(k, []).extend(dict(r) for r in rows)
    return out


def write_bundle(folder: Path, records: Mapping[str, Sequence[Mapping[str, Any]]]) -> Path:
    """Write bundle rows as a native bundle folder (one UTF-8 CSV per non-empty record kind)."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, name in FILES.items():
        rows = records.get(kind, [])
        if not rows and kind != "entities":
            continue
        cols: list[str] = []
        for r in rows:
            cols.extend(c for c in r if c not in cols)
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=cols or ["id", "name"])
            w.writeheader()
            for r in rows:
                w.writerow({k: "" if v is None else v for k, v in r.items()})
    return folder
