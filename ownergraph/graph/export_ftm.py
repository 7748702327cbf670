"""FollowTheMoney (FtM) export: the workspace as ``entities.ftm.json`` lines (``export --to ftm``).

One JSON object per line, ``{"id", "schema", "caption", "properties": {name: [str, ...]}}`` (plus
``referents`` where the entity has other OpenSanctions or OFAC ids), the shape ``ftm``,
``yente`` and the OpenSanctions tooling read, and the shape :mod:`ownergraph.loaders.ftm` reads
back. The ``followthemoney`` library is not needed to write it (the tests validate every line
with it). The mapping is the loader's, inverted, so that a re-load gives the same graph — what
FtM cannot carry is listed in ``docs/sources.md`` ("Export to FtM"):

* **entities** (the merged entities of the cache, with the aliases, identifiers, dates and notes
  of all their records) → ``Company``, ``Person``, ``Organization``, ``PublicBody``, ``Vessel``,
  ``Airplane`` by kind; ``fund`` → ``Company``, ``unknown`` → ``LegalEntity`` (``Company`` when it
  is owned, since an FtM ``asset`` must be an ``Asset``). Ids: an entity that came from FtM keeps
  its FtM id; any other gets :func:`ftm_id` of its canonical id.
* **ownership** edges of kind ``shares``, ``votes``, ``consolidation`` → ``Ownership`` (``owner``,
  ``asset``, ``percentage`` as :func:`percentage_text` writes the share, ``ownershipType``
  ``shareholding`` / ``voting-rights`` / ``accounting-consolidation``, the arrangement as the
  ``legalBasis`` ``ownergraph-arrangement:<arrangement>``, the only legalBasis the loader reads as
  one); ``board`` and ``control`` →
  ``Directorship`` (``role`` ``appointment-of-board`` / the arrangement);
* **designations** → ``Sanction`` whose ``programId`` makes
  :func:`ownergraph.graph.ftm_vocab.ftm_regime` give back our regime (:data:`REGIME_PROGRAM_IDS`);
* **listings** → ``Security`` (``issuer``, ``isin``, ``ticker``, the MIC as a ``keywords`` value
  ``MIC:XHKG`` — FtM has no venue property —, ``issueDate`` / ``maturityDate`` for listed /
  delisted).

Values FtM would drop or change are written as FtM keeps them: a jurisdiction FtM has no country
code for (a subdivision ``US-DE``, the DPL's ``NM``; :data:`~ownergraph.graph.ftm_vocab.FTM_COUNTRIES`)
becomes the note ``Jurisdiction <code>`` (counted in :attr:`FtmExport.as_notes`), and names and
aliases have their whitespace runs collapsed. The shared vocabulary (programme ids, the arrangement
marker, ownership types, the OGRN check) is :mod:`ownergraph.graph.ftm_vocab`.

Edges whose ends FtM's schema ranges cannot hold (a person owned, a vessel directed, a
listing by a vessel) are counted in :attr:`FtmExport.skipped`, never written invalid.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Final

import orjson

from ownergraph.graph.ftm_vocab import (
    BOARD_ROLE,
    INFO_PROGRAM_ID,
    OWNERSHIP_TYPES,
    arrangement_basis,
    ftm_country,
    ftm_regime,
    valid_ogrn,
)
from ownergraph.graph.model import ENTITY_KINDS, OWNERSHIP_KINDS, REGIME_IDS
from ownergraph.graph.neo4j_store import cache_source, designation_columns, iso_dates, pylist
from ownergraph.graph.shares import PPM, format_ppm, share_text
from ownergraph.loaders.lists import slug

__all__ = [
    "KIND_SCHEMATA",
    "REGIME_PROGRAM_IDS",
    "FtmExport",
    "export_ftm",
    "ftm_id",
    "iter_ftm",
    "percentage_text",
]

KIND_SCHEMATA: Final[dict[str, str]] = {
    "company": "Company",
    "person": "Person",
    "fund": "Company",
    "government": "PublicBody",
    "organization": "Organization",
    "vessel": "Vessel",
    "aircraft": "Airplane",
    "unknown": "LegalEntity",
}
"""Entity kind → FtM schema (the inverse of :data:`ownergraph.loaders.ftm.ENTITY_SCHEMATA`, which
reads ``LegalEntity`` as a company and has no fund)."""

REGIME_PROGRAM_IDS: Final[dict[str, str]] = {
    "ofac-sdn": "US-OFAC-SDN",
    "ofac-ssi": "US-OFAC-SSI",
    "ofac-ns-cmic": "US-NS-CMIC",
    "bis-entity-list": "US-BIS-EL",
    "eu": "EU-FSF",
    "uk": "GB-FCDO",
}
"""The ``programId`` written on a ``Sanction`` whose list and programme alone would not give its
regime back (``regime_for_list`` reads each of these as that regime). ``info`` has none: its
signals name a regime only when its list or programme text does, and then it gets
:data:`~ownergraph.graph.ftm_vocab.INFO_PROGRAM_ID`."""

_LEGAL = frozenset({"Company", "Person", "Organization", "LegalEntity", "PublicBody"})
"""Schemata with the LegalEntity properties (jurisdiction, leiCode, ogrnCode, incorporationDate)."""
_ASSETS = frozenset({"Company", "Vessel", "Airplane"})
"""Schemata an ``Ownership.asset`` may be (FtM range ``Asset``)."""
_ORGS = frozenset({"Company", "Organization", "PublicBody"})
"""Schemata a ``Directorship.organization`` may be (FtM range ``Organization``)."""
_MAX_IDENTIFIER = 64
"""FtM's length limit of an ``identifier`` value (``authorityId``)."""
_FTM_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?$")


@dataclass
class FtmExport:
    """What :func:`export_ftm` wrote: lines per schema, what it could not write, and the FtM id of
    each canonical entity id."""

    lines: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    as_notes: dict[str, int] = field(default_factory=dict)
    """Values written, but as an entity note, because FtM drops them where they belong."""
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.lines.values())


def ftm_id(canonical: str, *, from_ftm: bool = False) -> str:
    """The FtM id of an entity: its own id when it came from FtM; ``ofac-<n>`` / the QID for OFAC
    and Wikidata ids (OpenSanctions' own ids for them); else ``og-<slug>-<hash>`` of the canonical
    id — stable, readable, and valid under FtM's id pattern.

    >>> ftm_id("NK-2Tbri3s6GgNtAwsSXh4qpL", from_ftm=True)
    'NK-2Tbri3s6GgNtAwsSXh4qpL'
    >>> ftm_id("ofac:33114"), ftm_id("wd:Q42"), ftm_id("sensetime-group-ltd")
    ('ofac-33114', 'Q42', 'og-sensetime-group-ltd-cbbba91e0b')
    """
    if from_ftm and _FTM_ID.match(canonical):
        return canonical
    scheme, _, value = canonical.partition(":")
    if scheme == "ofac" and value.isdigit():
        return f"ofac-{value}"  # OpenSanctions' id of OFAC entity n, which the loader reads back
    if scheme == "wd" and re.fullmatch(r"Q[1-9][0-9]*", value):
        return value  # OpenSanctions uses Wikidata QIDs as entity ids
    return f"og-{_stem(canonical)}-{_digest(canonical)}"


def _stem(text: str) -> str:
    return slug(text)[:48].strip("-") or "x"


def _digest(*parts: Any) -> str:
    return hashlib.blake2b(orjson.dumps(list(parts)), digest_size=5).hexdigest()


def percentage_text(lo: int, hi: int, flags: int) -> str | None:
    """A share as an FtM ``percentage`` value that the FtM loader parses back to the same interval;
    ``None`` for an unknown share (no value).

    >>> percentage_text(500000, 500000, 0), percentage_text(250000, 500000, 0)
    ('50', '25-50')
    >>> percentage_text(500000, 1000000, 1), percentage_text(0, 250000, 2), percentage_text(250000, 500000, 1)
    ('>50', '<25', '(25,50]')
    """
    if flags & 4:
        return None
    lo_open, hi_open = bool(flags & 1), bool(flags & 2)
    if lo == hi and not (lo_open or hi_open):
        return format_ppm(lo)
    if not (lo_open or hi_open):
        return f"{format_ppm(lo)}-{format_ppm(hi)}"
    if lo_open and not hi_open and hi == PPM:
        return f">{format_ppm(lo)}"
    if hi_open and not lo_open and lo == 0:
        return f"<{format_ppm(hi)}"
    return share_text(lo, hi, flags)


def _date(value: str | None) -> str | None:
    """A stored ISO date, or None (stored values are ISO already; keep the date part)."""
    return value[:10] if value else None


class _Entities:
    """Every merged entity of the cache with what its stored records say."""

    def __init__(self, ws: Any, tables: Mapping[str, Any]) -> None:
        nodes = tables["nodes"]
        self.ids: list[str] = pylist(nodes, "id")
        self.names: list[str] = pylist(nodes, "name")
        self.kinds: list[str] = [ENTITY_KINDS[k] for k in pylist(nodes, "kind")]
        self.jur: list[str | None] = pylist(nodes, "jurisdiction")
        n = len(self.ids)
        self.keys: list[list[str]] = [[] for _ in range(n)]
        node_of: dict[str, int] = {}
        for node, key in zip(pylist(tables["keys"], "node"), pylist(tables["keys"], "key"), strict=True):
            if node >= 0:
                self.keys[node].append(key)
                node_of[key] = node
        self.aliases: list[list[str]] = [[] for _ in range(n)]
        self.idents: list[dict[str, list[str]]] = [{} for _ in range(n)]
        self.inc: list[str | None] = [None] * n
        self.dis: list[str | None] = [None] * n
        self.notes: list[list[str]] = [[] for _ in range(n)]
        store = getattr(ws, "store", None)
        if store is None:
            return
        # every entity record, SQLite rows and bulk segments alike, in load order
        cols = ("id", "name", "aliases", "identifiers", "incorporated", "dissolved", "notes")
        recs = store.records("entity", cols)
        for rid, name, aliases, identifiers, inc, dis, notes in zip(
            *(recs.column(c).to_pylist() for c in cols), strict=True
        ):
            i = node_of.get(rid)
            if i is None:
                continue
            for a in [name, *orjson.loads(aliases or "[]")]:
                if a and a != self.names[i] and a not in self.aliases[i]:
                    self.aliases[i].append(a)
            for scheme, values in orjson.loads(identifiers or "{}").items():
                have = self.idents[i].setdefault(scheme, [])
                have.extend(v for v in values if v not in have)
            if inc and (self.inc[i] is None or inc < self.inc[i]):
                self.inc[i] = inc
            if dis and (self.dis[i] is None or dis > self.dis[i]):
                self.dis[i] = dis
            self.notes[i].extend(x for x in orjson.loads(notes or "[]") if x not in self.notes[i])

    def from_ftm(self, i: int) -> bool:
        return f"opensanctions:{self.ids[i]}" in self.keys[i]


def _name(text: str) -> str:
    """A value of FtM's ``name`` type as FtM keeps it: whitespace runs collapsed ("AL-NASER  AIRLINES"
    on the OFAC list would otherwise change when FtM reads the line)."""
    return " ".join(text.split())


def _props(**values: Any) -> dict[str, list[str]]:
    """FtM properties from keyword values: None and empty values dropped, values stripped (as FtM
    strips them), scalars made lists."""
    out: dict[str, list[str]] = {}
    for name, v in values.items():
        items = v if isinstance(v, list) else [v]
        vals = [str(x).strip() for x in items if x is not None and str(x).strip()]
        if vals:
            out[name] = list(dict.fromkeys(vals))
    return out


def _entity_line(ents: _Entities, i: int, schema: str, eid: str) -> dict[str, Any]:
    name = _name(ents.names[i])
    ids = ents.idents[i]
    keys = ents.keys[i]
    legal = schema in _LEGAL
    jur = ents.jur[i]
    country = ftm_country(jur)
    regs: list[str] = []
    ogrn: list[str] = []
    notes = list(ents.notes[i])
    if jur and country is None:
        notes.append(f"Jurisdiction {jur}")  # FtM has no such country (NM, US-DE): it would drop it
    for reg in ids.get("registration", []):
        cc, _, number = reg.partition(":")
        if cc == "RU" and valid_ogrn(number) and legal:
            ogrn.append(number)  # the loader reads a valid OGRN as RU: whatever the country
        elif country and cc.lower() == country:
            regs.append(number)
        else:
            notes.append(f"Registration {reg}")  # FtM has no country per number
    props = _props(
        name=name,
        alias=[a for a in (_name(x) for x in ents.aliases[i]) if a != name],
        notes=notes,
        registrationNumber=regs,
        wikidataId=ids.get("wikidata", []),
    )
    if legal:
        props.update(_props(
            jurisdiction=country, leiCode=ids.get("lei", []), ogrnCode=ogrn,
            incorporationDate=_date(ents.inc[i]), dissolutionDate=_date(ents.dis[i]),
        ))
    elif country:
        props["country"] = [country]  # vessels and aircraft have no jurisdiction
    if schema == "Company":
        props.update(_props(isinCode=ids.get("isin", []), cikCode=ids.get("cik", [])))
    line: dict[str, Any] = {"id": eid, "schema": schema, "caption": name, "properties": props}
    referents = [k.split(":", 1)[1] for k in keys if k.startswith("opensanctions:")]
    referents += [f"ofac-{k.split(':', 1)[1]}" for k in keys if k.startswith("ofac:")]
    referents = [r for r in dict.fromkeys(referents) if r != eid]
    if referents:
        line["referents"] = referents
    return line


def _sanction_props(regime: str, d: Mapping[str, Any], target: str) -> dict[str, list[str]]:
    source = d["source"] or ""
    ref = d["reference"]
    props = _props(
        entity=target,
        authority=d["list"],
        program=d["program"].split("; ") if d["program"] else None,  # the loader joins them so
        # the loader joins authorityId values with "; ": split so that each fits FtM's limit
        authorityId=ref.split("; ") if ref and not _os_ref(ref) else None,
        listingDate=d["listed"],
        startDate=d["effective"] if d["listed"] else None,
        endDate=d["removed"],
        sourceUrl=source if re.fullmatch(r"https?://\S+", source) else None,
        summary=source if source and not source.startswith("http") else None,
    )
    if any(len(v) > _MAX_IDENTIFIER for v in props.get("authorityId", ())):
        del props["authorityId"]  # FtM cannot carry it (documented as lost)
    if ftm_regime(props, ())[0] == regime:
        return props
    props["programId"] = [REGIME_PROGRAM_IDS.get(regime, INFO_PROGRAM_ID)]
    return props


def _os_ref(reference: str) -> str | None:
    """The FtM id in the loader's default reference ``OpenSanctions <Sanction id>``."""
    m = re.fullmatch(r"OpenSanctions (\S+)", reference)
    return m.group(1) if m and _FTM_ID.match(m.group(1)) else None


def iter_ftm(ws: Any, result: FtmExport | None = None) -> Iterator[dict[str, Any]]:
    """The FtM entities of a workspace, entities first (see the module docstring)."""
    res = result if result is not None else FtmExport()
    tables, _paths = cache_source(ws, None)
    ents = _Entities(ws, tables)
    e = tables["edges"]
    src: list[int] = pylist(e, "src")
    dst: list[int] = pylist(e, "dst")
    kinds = [OWNERSHIP_KINDS[k] for k in pylist(e, "kind")]
    owned = {d for d, k in zip(dst, kinds, strict=True) if k not in ("board", "control")}
    directed = {d for d, k in zip(dst, kinds, strict=True) if k in ("board", "control")}
    schemata: list[str] = []
    for i, kind in enumerate(ents.kinds):
        schema = KIND_SCHEMATA[kind]
        if schema == "LegalEntity" and (i in owned or i in directed):
            schema = "Company"
        schemata.append(schema)
        res.ids[ents.ids[i]] = ftm_id(ents.ids[i], from_ftm=ents.from_ftm(i))

    def count(schema: str) -> None:
        res.lines[schema] = res.lines.get(schema, 0) + 1

    def skip(why: str) -> None:
        res.skipped[why] = res.skipped.get(why, 0) + 1

    fid = [res.ids[c] for c in ents.ids]
    for i in range(len(ents.ids)):
        count(schemata[i])
        jur = ents.jur[i]
        if jur and ftm_country(jur) is None:
            res.as_notes["jurisdiction FtM has no country code for"] = (
                res.as_notes.get("jurisdiction FtM has no country code for", 0) + 1)
        yield _entity_line(ents, i, schemata[i], fid[i])
    seen: set[str] = set()

    def unique(stem: str, *parts: Any) -> str:
        base = f"og-{stem}-{_digest(*parts)}"
        eid, n = base, 1
        while eid in seen:
            n += 1
            eid = f"{base}-{n}"
        seen.add(eid)
        return eid

    starts = iso_dates(e.column("start").to_numpy())
    ends = iso_dates(e.column("end").to_numpy())
    for a, b, kind, lo, hi, flags, arr, start, end, source in zip(
        src, dst, kinds, pylist(e, "lo"), pylist(e, "hi"), pylist(e, "flags"), pylist(e, "arrangement"),
        starts, ends, pylist(e, "source"), strict=True,
    ):
        if schemata[a] not in _LEGAL:
            skip(f"{kind} edge from a {schemata[a]} (FtM: owners and directors are legal entities)")
            continue
        parts = (fid[a], fid[b], kind, lo, hi, flags, arr, start, end, source)
        if kind in ("board", "control"):
            if schemata[b] not in _ORGS:
                skip(f"{kind} edge to a {schemata[b]} (FtM: a Directorship's organization is an"
                     " Organization)")
                continue
            role = BOARD_ROLE if kind == "board" else arr
            props = _props(director=fid[a], organization=fid[b], role=role, startDate=start, endDate=end,
                           description=source)
            count("Directorship")
            yield {"id": unique("dir", *parts), "schema": "Directorship", "properties": props}
            continue
        if schemata[b] not in _ASSETS:
            skip(f"{kind} edge to a {schemata[b]} (FtM: an Ownership's asset is an Asset)")
            continue
        props = _props(owner=fid[a], asset=fid[b], percentage=percentage_text(lo, hi, flags),
                       ownershipType=OWNERSHIP_TYPES[kind], legalBasis=arrangement_basis(arr),
                       startDate=start, endDate=end, description=source)
        count("Ownership")
        yield {"id": unique("own", *parts), "schema": "Ownership", "properties": props}
    d = tables["designations"]
    dcols = designation_columns(d, {})
    names = list(dcols)
    for j, (node, regime) in enumerate(zip(pylist(d, "node"), pylist(d, "regime"), strict=True)):
        row = {k: dcols[k][j] for k in names}
        rid = REGIME_IDS[regime]
        props = _sanction_props(rid, row, fid[node])
        count("Sanction")
        own = _os_ref(row["reference"] or "")
        if own is not None and own not in seen:
            seen.add(own)  # a Sanction from FtM keeps its id (the loader made the reference of it)
            sid = own
        else:
            sid = unique("san", fid[node], rid, row["list"], row["program"], row["listed"], row["removed"],
                         row["reference"])
        yield {"id": sid, "schema": "Sanction", "properties": props}
    li = tables["listings"]
    for node, mic, ticker, isin, listed, delisted in zip(
        pylist(li, "node"), pylist(li, "mic"), pylist(li, "ticker"), pylist(li, "isin"),
        iso_dates(li.column("listed").to_numpy()), iso_dates(li.column("delisted").to_numpy()),
        strict=True,
    ):
        if schemata[node] not in _LEGAL:
            skip(f"listing of a {schemata[node]} (FtM: an issuer is a legal entity)")
            continue
        label = " ".join(x for x in (ticker, mic, isin) if x)
        props = _props(issuer=fid[node], name=_name(f"{ents.names[node]} ({label})"), isin=isin,
                       ticker=ticker, keywords=f"MIC:{mic}" if mic else None, issueDate=listed,
                       maturityDate=delisted)
        count("Security")
        yield {"id": unique("sec", fid[node], mic, ticker, isin, listed, delisted), "schema": "Security",
               "properties": props}


def export_ftm(ws: Any, out: IO[str]) -> FtmExport:
    """Write the workspace as FtM JSON lines to ``out``; return what was written."""
    res = FtmExport()
    for line in iter_ftm(ws, res):
        out.write(orjson.dumps(line).decode() + "\n")
    return res
