"""OFAC sanctions lists: the legacy CSV set (``--format ofac-csv``) and the advanced XML
(``--format ofac-xml``).

**Legacy CSV.** A *prim* file — ``sdn.csv`` / ``*_sdn.csv`` (the SDN list) or ``cons_prim.csv`` /
``*cons_prim.csv`` (the consolidated non-SDN lists) — with its siblings found next to it under the
same prefix: ``add``/``alt``/``sdn_comments`` (SDN) or ``cons_add``/``cons_alt``/``cons_comments``
(consolidated). Loading the prim file, or a folder holding prim files, is one load; a prim file
named otherwise is read alone, as the SDN list unless its name contains ``cons``. The files have
no header, CRLF line ends, a trailing Ctrl-Z (0x1A), ``-0-`` (often ``-0- ``) for empty, and
``Remarks`` cut short with the rest in the comments file (appended verbatim: the cut falls
mid-word). Text is UTF-8, or Windows-1252 when it is not valid UTF-8 (older OFAC downloads).

Each party yields an :class:`~ownergraph.graph.model.Entity` ``ofac:<ent_num>`` (aliases from
``alt`` and remark ``a.k.a.``; registration numbers, USCCs and LEIs from remarks; jurisdiction from
registration country, ``Nationality of Registration``, vessel flag or a single address country, in
that order), one :class:`Designation` per programme (regime per SPEC §6, see :func:`regime_for`),
:class:`Listing` records for remark ISINs (and tickers on exchanges whose MIC the country and code
settle: Hong Kong, Shanghai, Shenzhen) and :class:`Claim` records for ``Linked To:`` names.
An ISIN becomes an ``isin`` identifier (which merges entities) only when a published ``Issuer
Name`` matches the party's name or an alias; otherwise the listing is kept with a note. A strong
identifier that one file gives for two parties (real: the Kyiv and Moscow BM Banks share a Russian
registration number) identifies neither: it is kept as a note and reported as a located error.
``Vess_owner`` becomes a ``vessel owner`` claim; everything else in the remarks stays as notes.

**Advanced XML** (``SDN_ADVANCED.XML`` / ``CONS_ADVANCED.XML``, root ``Sanctions``), parsed with
``defusedxml`` (no DTDs, no entity expansion) in one streaming pass: parties, aliases, ID documents
(registration numbers with their issuing country), features, sanctions entries (list and
programmes; the catch-all ``Consolidated List`` entry is dropped when a party has a specific
one), and profile relationships as :class:`Ownership` edges — direction by relation type:
"Owned or Controlled By" points From (owned) → To (owner), "Owns, controls, or operates" the
other way; both are ``shares`` with an unknown share. "Leader or official of" and "Principal
Executive Officer" are ``control`` from the person; "Property in the interest of" is ``control``
from the party with the interest. Family, associate, support and agency relations are not
ownership and are not emitted.

This module stops at parsing: it writes nothing, resolves no names to entities (``Linked To``
stays a claim) and computes no regime status.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ownergraph.errors import DateError, FormatError, InputError
from ownergraph.graph.model import Designation, normalize_identifier
from ownergraph.graph.snapshots import ListSnapshot
from ownergraph.loaders.base import Item, make_record, register

__all__ = [
    "COUNTRY_CODES",
    "LIST_NAMES",
    "country_code",
    "find_siblings",
    "parse_ofac_csv",
    "parse_ofac_date",
    "parse_ofac_xml",
    "prim_files",
    "regime_for",
    "split_remarks",
]

# -- reference tables ----------------------------------------------------------------------------

COUNTRY_CODES: dict[str, str] = {
    "afghanistan": "AF", "albania": "AL", "algeria": "DZ", "angola": "AO", "argentina": "AR",
    "armenia": "AM", "australia": "AU", "austria": "AT", "azerbaijan": "AZ", "bahrain": "BH",
    "bangladesh": "BD", "belarus": "BY", "belgium": "BE", "belize": "BZ", "bolivia": "BO",
    "bosnia and herzegovina": "BA", "brazil": "BR", "bulgaria": "BG", "burma": "MM", "myanmar": "MM",
    "cambodia": "KH", "canada": "CA", "cayman islands": "KY", "chile": "CL", "china": "CN",
    "colombia": "CO", "cook islands": "CK", "croatia": "HR", "cuba": "CU", "cyprus": "CY",
    "czech republic": "CZ", "czechia": "CZ", "denmark": "DK", "dominican republic": "DO",
    "ecuador": "EC", "egypt": "EG", "estonia": "EE", "finland": "FI", "france": "FR", "gabon": "GA",
    "georgia": "GE", "germany": "DE", "greece": "GR", "guernsey": "GG", "haiti": "HT",
    "hong kong": "HK", "hungary": "HU", "india": "IN", "indonesia": "ID", "iran": "IR", "iraq": "IQ",
    "ireland": "IE", "isle of man": "IM", "israel": "IL", "italy": "IT", "japan": "JP", "jersey": "JE",
    "jordan": "JO", "kazakhstan": "KZ", "korea, north": "KP", "north korea": "KP",
    "korea, south": "KR", "south korea": "KR", "kosovo": "XK",  # XK: the code in common use, not ISO
    "kuwait": "KW", "kyrgyzstan": "KG", "latvia": "LV", "lebanon": "LB", "liberia": "LR",
    "libya": "LY", "liechtenstein": "LI", "lithuania": "LT", "luxembourg": "LU", "macau": "MO",
    "macao": "MO", "malaysia": "MY", "malta": "MT", "marshall islands": "MH", "mexico": "MX",
    "moldova": "MD", "monaco": "MC", "mongolia": "MN", "montenegro": "ME", "netherlands": "NL",
    "nicaragua": "NI", "nigeria": "NG", "norway": "NO", "oman": "OM", "pakistan": "PK",
    "palestinian": "PS", "panama": "PA", "peru": "PE", "philippines": "PH", "poland": "PL",
    "portugal": "PT", "qatar": "QA", "romania": "RO", "russia": "RU", "saudi arabia": "SA",
    "serbia": "RS", "seychelles": "SC", "singapore": "SG", "slovakia": "SK", "slovenia": "SI",
    "somalia": "SO", "south africa": "ZA", "south sudan": "SS", "spain": "ES", "sri lanka": "LK",
    "sudan": "SD", "sweden": "SE", "switzerland": "CH", "syria": "SY", "taiwan": "TW",
    "tajikistan": "TJ", "tanzania": "TZ", "thailand": "TH", "turkey": "TR", "turkmenistan": "TM",
    "uganda": "UG", "ukraine": "UA", "united arab emirates": "AE", "united kingdom": "GB",
    "united states": "US", "uzbekistan": "UZ", "venezuela": "VE", "vietnam": "VN",
    "virgin islands, british": "VG", "yemen": "YE", "zimbabwe": "ZW",
}
"""OFAC country names (lower case) → ISO 3166 alpha-2: every country in the real files, plus
common neighbours. A name not here yields no code (and no registration identifier)."""

LIST_NAMES: dict[str, str] = {
    "SDN": "Specially Designated Nationals and Blocked Persons List (SDN)",
    "SSI": "Sectoral Sanctions Identifications List (SSI)",
    "NS-CMIC": "Non-SDN Chinese Military-Industrial Complex Companies List (NS-CMIC)",
    "NS-MBS": "Non-SDN Menu-Based Sanctions List (NS-MBS)",
    "NS-PLC": "Non-SDN Palestinian Legislative Council List (NS-PLC)",
    "CAPTA": "Correspondent Account or Payable-Through Account Sanctions List (CAPTA)",
    "FSE": "Foreign Sanctions Evaders List (FSE)",
    "NS-ISA": "Non-SDN Iran Sanctions Act List (NS-ISA)",
    "CONS": "Consolidated Sanctions List (non-SDN)",
}
"""OFAC's list names. The legacy CSV names no list: it is implied by the file and programme."""

_CONS_PROGRAMME_LIST: dict[str, str] = {
    "CMIC-EO13959": "NS-CMIC",
    "UKRAINE-EO13662": "SSI",
    "NS-PLC": "NS-PLC",
    "561-RELATED": "CAPTA",
    "FSE-IR": "FSE",
    "FSE-SY": "FSE",
    "FSE-WMD": "FSE",
    "FSE-SDGT": "FSE",
    "ISA": "NS-ISA",
    "NS-ISA": "NS-ISA",
    "RUSSIA-EO14024": "NS-MBS",
    "CAATSA - RUSSIA": "NS-MBS",
    "BURMA-EO14014": "NS-MBS",
    "ILLICIT-DRUGS-EO14059": "NS-MBS",
}
"""Programme → list in ``cons_prim.csv``. Other programmes there (SDGT, VENEZUELA-EO13850, ...)
are the SDN programmes of parties that are also SDNs; the consolidated file does not make them
blocking, so they map to the generic consolidated list (regime ``info``); load the SDN list for
the blocking designation."""

_LIST_REGIME: dict[str, str] = {"SDN": "ofac-sdn", "SSI": "ofac-ssi", "NS-CMIC": "ofac-ns-cmic"}
"""List → regime (SPEC §6); every other list is ``info``."""

_SSI_MARK = "Executive Order 13662 Directive Determination"

_TICKER_MIC = {"HK": "XHKG"}


def regime_for(programme: str, *, sdn_file: bool, remarks: str = "") -> tuple[str, str]:
    """The ``(regime, list name)`` of one programme of one legacy-CSV party (SPEC §6).

    SDN file: every programme is ``ofac-sdn`` except UKRAINE-EO13662 with a directive
    determination (the SSI list), CMIC and NS-PLC. Consolidated file: by the programme table.

    >>> regime_for("CMIC-EO13959", sdn_file=False)[0]
    'ofac-ns-cmic'
    >>> regime_for("UKRAINE-EO13662", sdn_file=False)[0], regime_for("SDGT", sdn_file=True)[0]
    ('ofac-ssi', 'ofac-sdn')
    >>> regime_for("RUSSIA-EO14024", sdn_file=False)
    ('info', 'Non-SDN Menu-Based Sanctions List (NS-MBS)')
    """
    prog = programme.strip().upper()
    if sdn_file:
        if prog == "UKRAINE-EO13662" and _SSI_MARK in remarks:
            key = "SSI"
        elif prog in ("CMIC-EO13959", "NS-PLC"):
            key = _CONS_PROGRAMME_LIST[prog]
        else:
            key = "SDN"
    else:
        key = _CONS_PROGRAMME_LIST.get(prog, "CONS")
    return _LIST_REGIME.get(key, "info"), LIST_NAMES[key]


def country_code(name: str | None) -> str | None:
    """ISO alpha-2 for an OFAC country name, or ``None``.

    >>> country_code("Hong Kong"), country_code("Virgin Islands, British"), country_code("Atlantis")
    ('HK', 'VG', None)
    """
    if not name:
        return None
    return COUNTRY_CODES.get(" ".join(name.strip().lower().split()))


# -- dates ---------------------------------------------------------------------------------------

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {m.lower(): i for i, m in enumerate(_MONTH_NAMES, start=1)}
_OFAC_DATE = re.compile(r"^(?:(\d{1,2})[ -])?([A-Za-z]{3})[a-z]*\.?[ -](\d{4})$")


def parse_ofac_date(text: str, *, field: str | None = None) -> dt.date:
    """Parse an OFAC date: ``10 Dec 2021``, ``10-Dec-2021``, ``Dec 2021``, ``2021`` or ISO.

    Month-only and year-only dates mean the first day of the period.

    >>> parse_ofac_date("10 Dec 2021"), parse_ofac_date("10-Dec-2021"), parse_ofac_date("1998")
    (datetime.date(2021, 12, 10), datetime.date(2021, 12, 10), datetime.date(1998, 1, 1))
    """
    t = text.strip().rstrip(".")
    m = _OFAC_DATE.match(t)
    try:
        if m and m.group(2).lower() in _MONTHS:
            return dt.date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1) or 1))
        if re.fullmatch(r"\d{4}", t):
            return dt.date(int(t), 1, 1)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            return dt.date.fromisoformat(t)
    except ValueError:
        raise DateError("no such date", field=field, value=text, fix="check day and month") from None
    raise DateError("not an OFAC date", field=field, value=text, fix="expected e.g. 10 Dec 2021")


# -- remarks -------------------------------------------------------------------------------------


def split_remarks(text: str) -> list[str]:
    """Split a ``Remarks`` text into its ``; ``-separated parts; drop the final full stop.

    >>> split_remarks("DOB 1962; POB Shati.")
    ['DOB 1962', 'POB Shati']
    """
    parts = [p.strip() for p in text.split("; ")]
    parts = [p for p in parts if p]
    if parts and parts[-1].endswith("."):
        parts[-1] = parts[-1][:-1].rstrip()
    return parts


_ABBREV_END = re.compile(
    r"(?:\b(?:LTD|CO|INC|CORP|JSC|PJSC|LLC|PLC|PTE|PVT|BHD|LTDA|CIA|NO|ST|JR|SR)|"
    r"\b(?:[A-Z]\.)+[A-Z])$",
    re.IGNORECASE,
)


def _strip_link_stop(name: str, known: set[str]) -> str:
    """The ``Linked To:`` name of the last remark part, whose full stop was cut by
    :func:`split_remarks`: put it back when it belongs to the name (``CO., LTD.``)."""
    dotted = name + "."
    if dotted.upper() in known:
        return dotted
    if name.upper() in known:
        return name
    # keep it only for a name written with dotted abbreviations (``CO., LTD.``, ``S.A.``)
    return dotted if "." in name and _ABBREV_END.search(name) else name


_REG_KINDS = (
    "C.R. No.", "Registration Number", "Registration ID", "Business Registration Number",
    "Public Registration Number", "Company Number", "UK Company Number", "Commercial Registry Number",
    "Unified Social Credit Code (USCC)", "Registration No.", "Business Registration Document #",
    "Certificate of Incorporation Number",
)
_REG_ALTS = "|".join(re.escape(k) for k in sorted(_REG_KINDS, key=len, reverse=True))
_REG_RE = re.compile(r"^(?:alt\. )?(" + _REG_ALTS + r")\s+(.+)$")
_ALIAS_RE = re.compile(r"^(?:alt\. )?(?:a\.k\.a\.|f\.k\.a\.|n\.k\.a\.),?\s+(.+)$", re.IGNORECASE)
_LINKED_RE = re.compile(r"^(?:alt\. )?Linked To:\s*(.+)$", re.IGNORECASE)
_TICKER_RE = re.compile(r"^(?:alt\. )?Equity Ticker\s+(.+?)\s*([A-Z]{2})$")
_ISIN_RE = re.compile(r"^(?:alt\. )?ISIN\s+([A-Za-z0-9]+)$")
_ISSUER_RE = re.compile(r"^(?:alt\. )?Issuer Name\s+(.+)$")
_CMIC_RE = re.compile(
    r"^(?:alt\. )?(Listing Date|Effective Date|Purchase/Sales For Divestment Date) \(CMIC\):?\s+(.+)$"
)
_EO_RE = re.compile(r"^(?:alt\. )?(Listing|Effective) Date \((EO [^)]+)\):?\s+(.+)$")
_ESTABLISHED_RE = re.compile(r"^(?:alt\. )?Organization Established Date\s+(.+)$")
_NATREG_RE = re.compile(r"^(?:alt\. )?Nationality of Registration\s+(.+)$")
_LEI_RE = re.compile(r"^(?:alt\. )?Legal Entity Number\s+([A-Za-z0-9]{20})\b")


def _trailing_groups(value: str) -> tuple[str, list[str]]:
    """Split ``0582030 (Connecticut) (United States)`` into the number and its groups."""
    groups: list[str] = []
    v = value.strip()
    while v.endswith(")"):
        depth, i = 0, len(v) - 1
        while i >= 0:
            if v[i] == ")":
                depth += 1
            elif v[i] == "(":
                depth -= 1
                if depth == 0:
                    break
            i -= 1
        if i <= 0:
            break
        groups.insert(0, v[i + 1 : -1].strip())
        v = v[:i].rstrip()
    return v, groups


@dataclass
class _Facts:
    """What the remarks (or XML features and documents) of one party say, sorted out."""

    aliases: list[str] = field(default_factory=list)
    identifiers: dict[str, list[str]] = field(default_factory=dict)
    raw: dict[tuple[str, str], str] = field(default_factory=dict)
    tickers: list[tuple[str, str]] = field(default_factory=list)
    isins: list[str] = field(default_factory=list)
    issuers: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    cmic: dict[str, dt.date] = field(default_factory=dict)
    eo_listed: dict[str, dt.date] = field(default_factory=dict)
    eo_effective: dict[str, dt.date] = field(default_factory=dict)
    incorporated: dt.date | None = None
    registered_in: str | None = None
    notes: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text and text not in self.notes:
            self.notes.append(text)

    def identifier(self, scheme: str, value: str, *, raw: str) -> None:
        try:
            s, v = normalize_identifier(scheme, value)
        except InputError as e:
            self.errors.append(
                InputError(e.reason, field="Remarks", value=raw, fix="identifier kept as a note")
            )
            self.note(raw)
            return
        vals = self.identifiers.setdefault(s, [])
        if v not in vals:
            vals.append(v)
            self.raw[(s, v)] = raw

    def registration(self, kind: str, number: str, groups: list[str], raw: str) -> None:
        cc = "GB" if kind == "UK Company Number" else (country_code(groups[-1]) if groups else None)
        if cc is None or not number:
            self.note(raw)  # no (known) country: not an identifier, the text stays
            return
        self.identifier("registration", f"{cc}:{number}", raw=raw)
        if len(groups) > 1 or kind not in ("Registration Number", "Registration ID", "C.R. No."):
            self.note(raw)

    def date(self, text: str, raw: str) -> dt.date | None:
        try:
            return parse_ofac_date(text, field="Remarks")
        except DateError as e:
            self.errors.append(InputError(e.reason, field="Remarks", value=raw, fix=e.fix))
            return None


def _remark_facts(parts: list[str], facts: _Facts, *, known: set[str]) -> None:
    """Sort each remark part into ``facts``; what is not understood is kept as a note."""
    last = len(parts) - 1
    for n, part in enumerate(parts):
        if m := _ALIAS_RE.match(part):
            name = m.group(1).strip()
            if len(name) >= 2 and name[0] == "'" and name[-1] == "'":
                name = name[1:-1].strip()
            if name:
                facts.aliases.append(name)
        elif m := _LINKED_RE.match(part):
            name = m.group(1).strip()
            facts.links.append(_strip_link_stop(name, known) if n == last else name)
        elif m := _TICKER_RE.match(part):
            facts.tickers.append((m.group(1).strip(), m.group(2)))
        elif m := _ISIN_RE.match(part):
            isin = m.group(1).upper()
            if isin not in facts.isins:
                facts.isins.append(isin)
        elif m := _ISSUER_RE.match(part):
            facts.issuers.append(m.group(1).strip())
            facts.note(part)
        elif m := _CMIC_RE.match(part):
            d = facts.date(m.group(2), part)
            if d is not None:
                facts.cmic.setdefault(m.group(1), d)
        elif m := _EO_RE.match(part):
            d = facts.date(m.group(3), part)
            if d is not None:
                target = facts.eo_listed if m.group(1) == "Listing" else facts.eo_effective
                target.setdefault(m.group(2), d)
            facts.note(part)
        elif m := _ESTABLISHED_RE.match(part):
            d = facts.date(m.group(1), part)
            if d is not None and facts.incorporated is None:
                facts.incorporated = d
            facts.note(part)
        elif m := _NATREG_RE.match(part):
            facts.registered_in = facts.registered_in or country_code(m.group(1))
            facts.note(part)
        elif m := _LEI_RE.match(part):
            facts.identifier("lei", m.group(1), raw=part)
        elif m := _REG_RE.match(part):
            number, groups = _trailing_groups(m.group(2))
            facts.registration(m.group(1), number, groups, part)
        else:
            facts.note(part)


# -- name matching for issuer ISINs --------------------------------------------------------------

_LEGAL_FORMS = frozenset((
    "co", "company", "corp", "corporation", "ltd", "limited", "inc", "incorporated", "plc", "llc", "the",
    "jsc", "pjsc", "oao", "ojsc", "pao",
))


def _name_key(name: str) -> str:
    """A name reduced for an issuer ↔ party comparison (case, punctuation, legal forms)."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = s.replace("&", " and ")
    words = [w for w in re.split(r"[^a-z0-9]+", s) if w and w not in _LEGAL_FORMS]
    return " ".join(words)


def _issuer_is_party(issuers: Iterable[str], names: Iterable[str]) -> bool:
    party = {_name_key(n) for n in names}
    party.discard("")
    return any(_name_key(i) in party for i in issuers)


def _ticker_mic(ticker: str, cc: str) -> str | None:
    """The MIC of an equity ticker when its exchange country and code settle it."""
    if cc in _TICKER_MIC:
        return _TICKER_MIC[cc]
    if cc == "CN" and re.fullmatch(r"\d{6}", ticker):
        if ticker[0] == "6":
            return "XSHG"
        if ticker[0] in "023":
            return "XSHE"
    return None


# -- records of one party ------------------------------------------------------------------------


@dataclass
class _Party:
    """One party as both formats describe it, before it becomes records."""

    ent_num: str
    name: str
    kind: str
    file: str
    locator: str
    line: int | str
    source: str
    aliases: list[str] = field(default_factory=list)
    addresses: list[tuple[str, str | None]] = field(default_factory=list)
    flag: str | None = None
    claims: list[tuple[str, str]] = field(default_factory=list)
    designations: list[dict[str, Any]] = field(default_factory=list)
    facts: _Facts = field(default_factory=_Facts)


def _jurisdiction(p: _Party) -> str | None:
    if p.kind == "person":
        return None
    regs = {v.partition(":")[0] for v in p.facts.identifiers.get("registration", [])}
    if len(regs) == 1:
        return regs.pop()
    if p.facts.registered_in:
        return p.facts.registered_in
    if p.kind == "vessel" and p.flag:
        return country_code(p.flag)
    countries = {c for _text, c in p.addresses if c}
    if len(countries) == 1 and len(regs) == 0:
        return countries.pop()
    return None


def _finalize(p: _Party) -> None:
    """Settle aliases, ISINs (identifier only when the issuer is the party), tickers and notes."""
    f = p.facts
    aliases: list[str] = []
    for a in [*p.aliases, *f.aliases]:
        if a != p.name and a not in aliases:
            aliases.append(a)
    p.aliases = aliases
    valid: list[str] = []
    for isin in f.isins:
        try:
            _s, v = normalize_identifier("isin", isin)
        except InputError as e:
            f.errors.append(InputError(e.reason, field="Remarks", value=f"ISIN {isin}",
                                       fix="kept as a note; no listing made"))
            f.note(f"ISIN {isin}")
            continue
        valid.append(v)
    f.isins = valid
    if _issuer_is_party(f.issuers, [p.name, *p.aliases]):
        for v in valid:
            f.identifier("isin", v, raw=f"ISIN {v}")
    else:
        for v in valid:
            f.note(f"ISIN {v}: issuer not the party" if f.issuers else f"ISIN {v}: no issuer named")
    for ticker, cc in f.tickers:
        if _ticker_mic(ticker, cc) is None:
            f.note(f"Equity Ticker {ticker} {cc}")
    for text, _cc in p.addresses:
        if text:
            f.note(f"Address: {text}")


def _drop_shared(parties: Iterable[_Party]) -> None:
    """A strong identifier given for two OFAC parties identifies neither: keep it as a note.

    (Real case: the Kyiv BM Bank, 20002, carries the Moscow BM Bank's Russian registration number.)
    """
    holders: dict[tuple[str, str], list[_Party]] = {}
    for p in parties:
        for scheme, vals in p.facts.identifiers.items():
            for v in vals:
                holders.setdefault((scheme, v), []).append(p)
    for (scheme, v), ps in holders.items():
        if len(ps) < 2:
            continue
        for p in ps:
            others = ", ".join(o.ent_num for o in ps if o is not p)
            p.facts.identifiers[scheme].remove(v)
            raw = p.facts.raw.get((scheme, v), f"{scheme}:{v}")
            p.facts.note(f"{raw} (also given for OFAC entity {others}; not used to merge)")
            p.facts.errors.append(InputError(
                f"{scheme} {v} is also given for OFAC entity {others}", field="Remarks", value=raw,
                fix="kept as a note and not used to merge entities; check the OFAC entry",
            ))


def _party_items(p: _Party) -> Iterator[Item]:
    """The records of one (finalised) party, with its rejected details as located errors."""
    f = p.facts
    for e in f.errors:
        yield e.located(file=p.file, line=p.line)
    eid = f"ofac:{p.ent_num}"
    identifiers: dict[str, list[str]] = {"ofac": [p.ent_num]}
    for scheme, vals in f.identifiers.items():
        if vals:
            identifiers.setdefault(scheme, []).extend(vals)
    entity = make_record(
        "entity",
        {
            "id": eid, "name": p.name, "kind": p.kind, "jurisdiction": _jurisdiction(p),
            "aliases": p.aliases, "identifiers": identifiers, "incorporated": f.incorporated,
            "notes": f.notes, "sources": [p.source],
        },
        file=p.file, line=p.line,
    )
    if isinstance(entity, InputError):
        yield entity
        return
    yield entity, p.locator
    records: list[tuple[str, dict[str, Any]]] = [("designation", d) for d in p.designations]
    records += [("listing", {"entity_id": eid, "isin": isin, "source": p.source}) for isin in f.isins]
    for ticker, cc in f.tickers:
        mic = _ticker_mic(ticker, cc)
        if mic:
            records.append(("listing", {"entity_id": eid, "mic": mic, "ticker": ticker, "source": p.source}))
    seen_links: set[str] = set()
    for name in f.links:
        if name not in seen_links:
            seen_links.add(name)
            records.append(("claim", {"subject_id": eid, "relation": "linked to", "name": name,
                                      "source": p.source}))
    for relation, name in p.claims:
        records.append(("claim", {"subject_id": eid, "relation": relation, "name": name, "source": p.source}))
    for type_, data in records:
        rec = make_record(type_, data, file=p.file, line=p.line)
        yield rec if isinstance(rec, InputError) else (rec, p.locator)


def _designation(p: _Party, programme: str, regime: str, list_name: str) -> dict[str, Any]:
    f = p.facts
    listed = effective = None
    reference = f"OFAC entity {p.ent_num}"
    if regime == "ofac-ns-cmic":
        listed = f.cmic.get("Listing Date")
        effective = f.cmic.get("Effective Date")
        divest = f.cmic.get("Purchase/Sales For Divestment Date")
        if divest:
            reference += f"; Purchase/Sales For Divestment Date (CMIC) {divest.isoformat()}"
    elif list_name == LIST_NAMES["NS-MBS"] and programme.upper() == "RUSSIA-EO14024":
        listed = min(f.eo_listed.values(), default=None)
        effective = min(f.eo_effective.values(), default=None)
    return {
        "entity_id": f"ofac:{p.ent_num}", "regime": regime, "list": list_name, "program": programme,
        "listed": listed, "effective": effective, "reference": reference, "source": p.source,
    }


# -- legacy CSV ----------------------------------------------------------------------------------

_PRIM_RE = re.compile(r"^(?P<prefix>.*?)(?P<kind>cons_prim|sdn)\.csv$", re.IGNORECASE)
_SIBLINGS = {
    "sdn": {"add": "add.csv", "alt": "alt.csv", "comments": "sdn_comments.csv"},
    "cons_prim": {"add": "cons_add.csv", "alt": "cons_alt.csv", "comments": "cons_comments.csv"},
}
_COLUMNS = {"prim": 12, "add": 6, "alt": 5, "comments": 2}
_TYPES = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "": "company"}


def _prim_kind(path: Path) -> tuple[str, str] | None:
    m = _PRIM_RE.match(path.name)
    if not m:
        return None
    return m.group("prefix"), m.group("kind").lower()


def find_siblings(prim: Path) -> dict[str, Path]:
    """The ``add``, ``alt`` and ``comments`` files next to a prim file (those that exist).

    Both naming schemes work: ``cons_prim.csv`` + ``cons_add.csv`` and
    ``watchman_cons_prim.csv`` + ``watchman_cons_add.csv``; ``sdn.csv`` + ``add.csv`` and
    ``x_sdn.csv`` + ``x_add.csv``; names match case-insensitively (``SDN.CSV``).
    """
    pk = _prim_kind(prim)
    if pk is None:
        return {}
    prefix, kind = pk
    by_lower = {p.name.lower(): p for p in prim.parent.iterdir() if p.is_file()}
    out: dict[str, Path] = {}
    for role, suffix in _SIBLINGS[kind].items():
        cand = by_lower.get((prefix + suffix).lower())
        if cand is not None:
            out[role] = cand
    return out


def prim_files(folder: Path) -> list[Path]:
    """The prim files (SDN and consolidated) directly in a folder, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and _prim_kind(p) is not None)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.rstrip("\x1a\r\n \t")


def _null(value: str) -> str:
    v = value.strip()
    return "" if v == "-0-" else v


def _csv_rows(path: Path, role: str) -> Iterator[tuple[int, list[str]] | InputError]:
    """Rows of one legacy file as ``(line, fields)``; bad rows as located errors."""
    file = str(path)
    text = _decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    want = _COLUMNS[role]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield InputError(f"unreadable CSV row: {e}", file=file, line=reader.line_num,
                             fix="check the quoting of this row")
            continue
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip(" \x1a")):
            continue
        if len(row) != want:
            yield InputError(
                f"{len(row)} columns, expected {want}", file=file, line=line, field="row",
                value=",".join(row)[:120], fix=f"an OFAC {role} row has {want} columns; check the quoting",
            )
            continue
        if not row[0].strip().isdigit():
            yield InputError("ent_num is not a number", file=file, line=line, field="ent_num",
                             value=row[0], fix="the first column is OFAC's entity number")
            continue
        yield line, row


def _load_siblings(
    siblings: dict[str, Path],
) -> tuple[dict[str, list[tuple[int, list[str]]]], list[InputError], dict[str, str]]:
    """Index the add/alt/comments rows by ent_num; also return the files' errors."""
    rows: dict[str, list[tuple[int, list[str]]]] = {}
    errors: list[InputError] = []
    comments: dict[str, str] = {}
    for role in ("add", "alt"):
        path = siblings.get(role)
        if path is None:
            continue
        for item in _csv_rows(path, role):
            if isinstance(item, InputError):
                errors.append(item)
                continue
            line, row = item
            rows.setdefault(f"{role}:{row[0].strip()}", []).append((line, row))
    path = siblings.get("comments")
    if path is not None:
        for item in _csv_rows(path, "comments"):
            if isinstance(item, InputError):
                errors.append(item)
                continue
            _line, row = item
            key = row[0].strip()
            comments[key] = comments.get(key, "") + row[1]
    return rows, errors, comments


def _parse_prim(prim: Path) -> Iterator[Item]:
    pk = _prim_kind(prim)
    # a prim file named neither sdn.csv nor cons_prim.csv is the SDN list unless its name says "cons"
    sdn_file = pk[1] == "sdn" if pk is not None else "cons" not in prim.name.lower()
    file = str(prim)
    source = (f"OFAC SDN list ({prim.name})" if sdn_file
              else f"OFAC Consolidated (non-SDN) list ({prim.name})")
    siblings = find_siblings(prim)
    side, errors, comments = _load_siblings(siblings)
    yield from errors
    prim_rows: list[tuple[int, list[str]]] = []
    for item in _csv_rows(prim, "prim"):
        if isinstance(item, InputError):
            yield item
        else:
            prim_rows.append(item)
    known = {_null(r[1]).upper() for _l, r in prim_rows}
    known |= {_null(r[3]).upper() for rs in side.values() for _l, r in rs if len(r) == 5}
    seen: set[str] = set()
    parties: list[_Party] = []
    for line, row in prim_rows:
        ent_num = row[0].strip()
        name = _null(row[1])
        if ent_num in seen:
            yield InputError("duplicate ent_num", file=file, line=line, field="ent_num", value=ent_num,
                             fix="each party appears once in a prim file")
            continue
        seen.add(ent_num)
        if not name:
            yield InputError("party without a name", file=file, line=line, field="SDN_Name",
                             fix="fill the name column")
            continue
        sdn_type = _null(row[2]).lower()
        kind = _TYPES.get(sdn_type, "company")
        p = _Party(ent_num=ent_num, name=name, kind=kind, file=file, locator=f"{prim.name}:{line}",
                   line=line, source=source)
        if sdn_type not in _TYPES:
            p.facts.note(f"SDN_Type {sdn_type}")
        title, call_sign, vess_type, tonnage, grt, flag, owner = (_null(v) for v in row[4:11])
        for label, value in (("Title", title), ("Call Sign", call_sign), ("Vessel Type", vess_type),
                             ("Tonnage", tonnage), ("GRT", grt), ("Vessel Flag", flag)):
            if value:
                p.facts.note(f"{label} {value}")
        p.flag = flag or None
        if owner:
            p.claims.append(("vessel owner", owner))
        remarks = _null(row[11] + comments.get(ent_num, ""))
        _remark_facts(split_remarks(remarks), p.facts, known=known)
        for _l, alt in side.get(f"alt:{ent_num}", []):
            alias = _null(alt[3])
            if alias and alias not in p.aliases:
                p.aliases.append(alias)
            if _null(alt[4]):
                p.facts.note(f"alias {alias}: {_null(alt[4])}")
        for _l, add in side.get(f"add:{ent_num}", []):
            address, city, country, add_remarks = (_null(v) for v in add[2:6])
            cc = country_code(country)
            if cc == "CN" and re.search(r"\bHong Kong\b", f"{address} {city}"):
                cc = "HK"
            text = ", ".join(v for v in (address, city, country) if v)
            if add_remarks:
                text += f" ({add_remarks})"
            if text:
                p.addresses.append((text, cc))
        programmes = [g.strip() for g in _null(row[3]).strip("[]").split("] [") if g.strip()]
        if not programmes:
            yield InputError("party without a programme", file=file, line=line, field="Program",
                             fix="every OFAC party is listed under a programme")
        for programme in programmes:
            regime, list_name = regime_for(programme, sdn_file=sdn_file, remarks=remarks)
            p.designations.append(_designation(p, programme, regime, list_name))
        _finalize(p)
        parties.append(p)
    _drop_shared(parties)
    for p in parties:
        yield from _party_items(p)
    prim_nums = seen
    for key, rs in side.items():
        role, _, num = key.partition(":")
        if num not in prim_nums:
            for line, _row in rs:
                yield InputError(f"{role} row for an ent_num not in {prim.name}", file=str(siblings[role]),
                                 line=line, field="ent_num", value=num,
                                 fix="load the matching prim file with its siblings")


def _sniff_row(head: bytes) -> bool:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    if not first or not first[:1].isdigit():
        return False
    try:
        row = next(csv.reader([first.decode("utf-8", errors="replace")]))
    except (csv.Error, StopIteration):
        return False
    return (len(row) == 12 and row[0].strip().isdigit()
            and _null(row[2]).lower() in ("individual", "vessel", "aircraft", ""))


def _sniff_csv(path: Path, head: bytes) -> bool:
    if path.is_dir():
        for p in prim_files(path):
            with open(p, "rb") as f:
                if _sniff_row(f.read(65536)):
                    return True
        return False
    return _sniff_row(head)


def load_files(path: Path) -> list[Path]:
    """Every file one load of ``path`` reads: the prim files and their siblings."""
    prims = prim_files(path) if path.is_dir() else [path]
    out: list[Path] = []
    for prim in prims:
        out.append(prim)
        out.extend(find_siblings(prim).values())
    return sorted(set(out))


_SNAPSHOT_LISTS = {"sdn": ("ofac-sdn", "OFAC SDN"), "cons": ("ofac-cons", "OFAC consolidated")}
"""The two OFAC lists a load is a snapshot of; the CSV set and the advanced XML of one list are
the same list."""


def _csv_list(d: Designation) -> tuple[str, str] | None:
    """The list of a legacy-CSV designation, from the source its prim file gave it."""
    src = d.source or ""
    if src.startswith("OFAC SDN list ("):
        return _SNAPSHOT_LISTS["sdn"]
    if src.startswith("OFAC Consolidated (non-SDN) list ("):
        return _SNAPSHOT_LISTS["cons"]
    return None


def csv_snapshot(path: Path) -> ListSnapshot:
    """A legacy CSV set is a full snapshot of its list(s); the files carry no publication date."""
    return ListSnapshot(_csv_list)


_DATE_OF_ISSUE = re.compile(
    rb"<(?:\w+:)?DateOfIssue\b[^>]*>\s*<(?:\w+:)?Year>\s*(\d{4})\s*</(?:\w+:)?Year>\s*"
    rb"<(?:\w+:)?Month>\s*(\d{1,2})\s*</(?:\w+:)?Month>\s*<(?:\w+:)?Day>\s*(\d{1,2})\s*</(?:\w+:)?Day>"
)


def xml_date_of_issue(head: bytes, file: str | None = None) -> dt.date | None:
    """The ``DateOfIssue`` an advanced XML file states right after its root, or ``None``.

    A ``DateOfIssue`` that is no date raises :class:`FormatError`: the snapshot's removals are
    dated by it, so it is not replaced by a guess.

    >>> xml_date_of_issue(b'<Sanctions><DateOfIssue CalendarTypeID="1"><Year>2020</Year>'
    ...                   b'<Month>3</Month><Day>17</Day></DateOfIssue>')
    datetime.date(2020, 3, 17)
    """
    m = _DATE_OF_ISSUE.search(head)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise FormatError(
            "DateOfIssue is no date",
            file=file,
            field="DateOfIssue",
            value=f"{m.group(1).decode()}-{m.group(2).decode()}-{m.group(3).decode()}",
            fix="the snapshot is dated by it: correct Year/Month/Day in the file",
        ) from None


_CONS_LIST_VALUE = re.compile(rb'<(?:\w+:)?List\s+ID="(\d+)"[^>]*>\s*Consolidated List\s*<')


def _file_has(f: Any, pattern: re.Pattern[bytes]) -> re.Match[bytes] | None:
    """The first match of ``pattern`` (at most 256 bytes long) in an open binary file, read in chunks."""
    tail = b""
    while chunk := f.read(1 << 22):
        buf = tail + chunk
        m = pattern.search(buf)
        if m:
            return m
        tail = buf[-256:]
    return None


def xml_list(path: Path) -> tuple[str, str]:
    """The list an advanced XML file is a snapshot of, read from its content, never its name:
    consolidated when an entry is on the reference list named ``Consolidated List`` (every entry
    of ``CONS_ADVANCED.XML`` is), else SDN."""
    with open(path, "rb") as f:
        ref = _file_has(f, _CONS_LIST_VALUE)
        if ref is None:
            return _SNAPSHOT_LISTS["sdn"]
        f.seek(0)
        on_cons = _file_has(f, re.compile(rb'ListID="' + ref.group(1) + rb'"'))
    return _SNAPSHOT_LISTS["cons" if on_cons else "sdn"]


def xml_snapshot(path: Path) -> ListSnapshot:
    """An advanced XML file is a full snapshot of one list (:func:`xml_list`), dated by its
    ``DateOfIssue``."""
    if not path.is_file():
        return ListSnapshot(lambda _d: _SNAPSHOT_LISTS["sdn"])
    lst = xml_list(path)
    with open(path, "rb") as f:
        date = xml_date_of_issue(f.read(1 << 16), str(path))
    return ListSnapshot(lambda _d: lst, date, "DateOfIssue in the file" if date else "")


@register(
    "ofac-csv",
    "OFAC legacy CSV: SDN or consolidated prim file with its add/alt/comments",
    _sniff_csv,
    files=load_files,
    snapshot=csv_snapshot,
)
def parse_ofac_csv(path: Path) -> Iterator[Item]:
    """Yield the records of an OFAC prim file (with its siblings) or of every prim file in a folder."""
    if path.is_dir():
        prims = prim_files(path)
        if not prims:
            raise FormatError("no OFAC prim file (sdn.csv, *_sdn.csv, cons_prim.csv) in this folder",
                              file=str(path), fix="point at the folder holding the OFAC CSV files")
    else:
        if _prim_kind(path) is None:
            with open(path, "rb") as f:
                if not _sniff_row(f.read(65536)):
                    raise FormatError(
                        "not an OFAC prim file", file=str(path),
                        fix="load sdn.csv or cons_prim.csv (siblings add/alt/comments are found beside it)",
                    )
        prims = [path]
    for prim in prims:
        yield from _parse_prim(prim)


# -- advanced XML --------------------------------------------------------------------------------

_XML_NS = (
    "http://www.un.org/sanctions/1.0",
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML",
)
_XML_ROOT = re.compile(rb"<(\w+:)?Sanctions\b([^>]*)>")

_OWNED_BY = "owned or controlled by"
_OWNS = "owns, controls, or operates"
_LEADER = ("leader or official of", "principal executive officer")
_INTEREST = "property in the interest of"

_XML_LIST_KEY = {
    "sdn list": "SDN",
    "sectoral sanctions identifications list": "SSI",
    "non-sdn palestinian legislative council list": "NS-PLC",
    "fse list": "FSE",
    "capta list": "CAPTA",
    "561 list": "CAPTA",
    "non-sdn menu-based sanctions list": "NS-MBS",
    "non-sdn iran sanctions act list": "NS-ISA",
}

_REG_DOC_TYPES = {k.lower() for k in _REG_KINDS}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sniff_xml(path: Path, head: bytes) -> bool:
    if path.is_dir():
        return False
    m = _XML_ROOT.search(head[:4096])
    if not m:
        return False
    prefix = (m.group(1) or b":")[:-1]
    attr = b"xmlns:" + prefix if prefix else b"xmlns"
    ns = re.search(rb"\s" + re.escape(attr) + rb"=[\"']([^\"']+)[\"']", m.group(2))
    return bool(ns and ns.group(1).decode("ascii", "replace") in _XML_NS)


def _xml_list_regime(list_name: str) -> tuple[str, str]:
    low = list_name.strip().lower()
    if "cmic" in low or "military-industrial" in low:
        key = "NS-CMIC"
    else:
        key = _XML_LIST_KEY.get(low, "")
    return (_LIST_REGIME.get(key, "info"), list_name.strip())


def _xml_date(el: Any) -> dt.date | None:
    if el is None:
        return None
    vals = {_local(c.tag): (c.text or "").strip() for c in el}
    try:
        return dt.date(int(vals["Year"]), int(vals.get("Month") or 1), int(vals.get("Day") or 1))
    except (KeyError, ValueError):
        return None


def _period_text(period: Any) -> str:
    """A DatePeriod as text: one day, a whole year, or a range."""
    start, end = _child(period, "Start"), _child(period, "End")
    lo = _xml_date(_child(start, "From")) if start is not None else None
    hi = _xml_date(_child(end, "To")) if end is not None else None
    if lo is None:
        return ""
    if hi is None or hi == lo:
        return _fmt(lo)
    if (lo.month, lo.day, hi.month, hi.day) == (1, 1, 12, 31) and lo.year == hi.year:
        return str(lo.year)
    return f"{_fmt(lo)} to {_fmt(hi)}"


def _fmt(d: dt.date) -> str:
    return f"{d.day:02d} {_MONTH_NAMES[d.month - 1]} {d.year}"


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: Any, name: str) -> Any:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _descendants(el: Any, name: str) -> list[Any]:
    return [c for c in el.iter() if _local(c.tag) == name]


@dataclass
class _XmlRefs:
    """The code tables of ``ReferenceValueSets`` and the top-level locations and documents."""

    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    country_iso: dict[str, str] = field(default_factory=dict)
    area_country: dict[str, str] = field(default_factory=dict)
    party_type_of_subtype: dict[str, str] = field(default_factory=dict)
    locations: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    documents: dict[str, list[tuple[str, str, str | None, str]]] = field(default_factory=dict)

    def value(self, table: str, key: str | None) -> str:
        return self.tables.get(table, {}).get(key or "", "")


def _read_refs(el: Any, refs: _XmlRefs) -> None:
    for group in el:
        table = _local(group.tag)
        values: dict[str, str] = {}
        for item in group:
            values[item.get("ID", "")] = (item.text or "").strip()
            if table == "CountryValues" and item.get("ISO2"):
                refs.country_iso[item.get("ID", "")] = item.get("ISO2", "")
            if table == "AreaCodeValues" and item.get("CountryID"):
                refs.area_country[item.get("ID", "")] = item.get("CountryID", "")
            if table == "PartySubTypeValues":
                refs.party_type_of_subtype[item.get("ID", "")] = item.get("PartyTypeID", "")
        refs.tables[table] = values


def _read_location(el: Any, refs: _XmlRefs) -> None:
    country_id = None
    lc = _child(el, "LocationCountry")
    if lc is not None:
        country_id = lc.get("CountryID")
    else:
        la = _child(el, "LocationAreaCode")
        if la is not None:
            country_id = refs.area_country.get(la.get("AreaCodeID", ""))
    parts = []
    for lp in _children(el, "LocationPart"):
        for v in _descendants(lp, "Value"):
            if v.text and v.text.strip():
                parts.append(v.text.strip())
                break
    country_name = refs.value("CountryValues", country_id)
    if country_name and country_name != "undetermined":
        parts.append(country_name)
    cc = refs.country_iso.get(country_id or "")
    refs.locations[el.get("ID", "")] = (", ".join(parts), cc)


def _read_document(el: Any, refs: _XmlRefs) -> None:
    doc_type = refs.value("IDRegDocTypeValues", el.get("IDRegDocTypeID"))
    number_el = _child(el, "IDRegistrationNo")
    number = (number_el.text or "").strip() if number_el is not None else ""
    country_id = el.get("IssuedBy-CountryID") or ""
    cc = refs.country_iso.get(country_id)
    if number:
        refs.documents.setdefault(el.get("IdentityID", ""), []).append(
            (doc_type, number, cc, refs.value("CountryValues", country_id)))


def _xml_name(alias: Any, refs: _XmlRefs, group_type: dict[str, str]) -> str:
    """The text of one alias: ``LAST, First`` for people, the parts in order otherwise."""
    for dn in _children(alias, "DocumentedName"):
        last: list[str] = []
        rest: list[str] = []
        for part in _descendants(dn, "NamePartValue"):
            text = (part.text or "").strip()
            if not text:
                continue
            ptype = refs.value("NamePartTypeValues", group_type.get(part.get("NamePartGroupID", ""), ""))
            (last if ptype == "Last Name" else rest).append(text)
        if last and rest:
            return f"{' '.join(last)}, {' '.join(rest)}"
        if last or rest:
            return " ".join(last + rest)
    return ""


def _xml_party(el: Any, refs: _XmlRefs, file: str, source: str) -> tuple[_Party, str] | InputError:
    fixed = el.get("FixedRef", "")
    profile = _child(el, "Profile")
    line = f"DistinctParty {fixed}"
    if profile is None or not fixed:
        return InputError("party without a profile or FixedRef", file=file, line=line, field="Profile")
    subtype = profile.get("PartySubTypeID", "")
    party_type = refs.value("PartyTypeValues", refs.party_type_of_subtype.get(subtype))
    sub_name = refs.value("PartySubTypeValues", subtype)
    kind = {"Individual": "person", "Location": "unknown"}.get(party_type, "company")
    if party_type == "Transport":
        kind = {"Vessel": "vessel", "Aircraft": "aircraft"}.get(sub_name, "unknown")
    group_type = {
        g.get("ID", ""): g.get("NamePartTypeID", "") for g in _descendants(profile, "NamePartGroup")
    }
    name = ""
    aliases: list[str] = []
    identity_ids: list[str] = []
    for identity in _children(profile, "Identity"):
        identity_ids.append(identity.get("ID", ""))
        for alias in _children(identity, "Alias"):
            text = _xml_name(alias, refs, group_type)
            if not text:
                continue
            if alias.get("Primary") == "true" and not name:
                name = text
            elif text not in aliases:
                aliases.append(text)
    if not name:
        return InputError("party without a primary name", file=file, line=line, field="Alias")
    p = _Party(ent_num=fixed, name=name, kind=kind, file=file, locator=line, line=line, source=source)
    p.aliases = [a for a in aliases if a != name]
    comment = _child(el, "Comment")
    if comment is not None and comment.text and comment.text.strip():
        p.facts.note(comment.text.strip())
    parts: list[str] = []
    for feature in _children(profile, "Feature"):
        ftype = refs.value("FeatureTypeValues", feature.get("FeatureTypeID"))
        for version in _children(feature, "FeatureVersion"):
            loc = _child(version, "VersionLocation")
            if loc is not None:
                text, cc = refs.locations.get(loc.get("LocationID", ""), ("", None))
                if ftype == "Location":
                    p.addresses.append((text, cc))
                    continue
                if ftype == "Nationality of Registration" and cc:
                    p.facts.registered_in = p.facts.registered_in or cc
                value = text
            else:
                value = ""
                for detail in _children(version, "VersionDetail"):
                    value = (detail.text or "").strip() or refs.value(
                        "DetailReferenceValues", detail.get("DetailReferenceID"))
                    if value:
                        break
                period = _child(version, "DatePeriod")
                if not value and period is not None:
                    value = _period_text(period)
            if ftype and value:
                parts.append(f"{ftype} {value}")
    _remark_facts(parts, p.facts, known=set())
    for identity_id in identity_ids:
        for doc_type, number, cc, country in refs.documents.get(identity_id, []):
            raw = f"{doc_type} {number}" + (f" ({country})" if country else "")
            if doc_type == "Legal Entity Number":
                p.facts.identifier("lei", number, raw=raw)
            elif doc_type.lower() in _REG_DOC_TYPES and cc:
                p.facts.identifier("registration", f"{cc}:{number}", raw=raw)
            else:
                p.facts.note(raw)
    return p, fixed


def _xml_entry(el: Any, refs: _XmlRefs) -> tuple[str, str, dict[str, Any]]:
    """``(profile id, list name, designation fields)`` of one SanctionsEntry."""
    list_name = refs.value("ListValues", el.get("ListID"))
    dates = [d for d in (_xml_date(_child(ev, "Date")) for ev in _children(el, "EntryEvent")) if d]
    programmes: list[str] = []
    measures: list[str] = []
    for m in _children(el, "SanctionsMeasure"):
        stype = refs.value("SanctionsTypeValues", m.get("SanctionsTypeID"))
        comment = _child(m, "Comment")
        text = (comment.text or "").strip() if comment is not None else ""
        if stype == "Program" and text:
            if text not in programmes:
                programmes.append(text)
        elif stype and stype not in measures:
            measures.append(stype)
    regime, lname = _xml_list_regime(list_name)
    reference = f"OFAC entity {el.get('ProfileID', '')}"
    if measures:
        reference += "; " + ", ".join(measures)
    return el.get("ProfileID", ""), list_name, {
        "regime": regime, "list": lname, "program": "; ".join(programmes) or None,
        "listed": min(dates) if dates else None, "reference": reference,
    }


@register("ofac-xml", "OFAC advanced XML (SDN_ADVANCED.XML / CONS_ADVANCED.XML)", _sniff_xml,
          snapshot=xml_snapshot)
def parse_ofac_xml(path: Path) -> Iterator[Item]:
    """Yield the parties, designations and relationships of an OFAC advanced XML file."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    file = str(path)
    source = f"OFAC advanced XML ({path.name})"
    refs = _XmlRefs()
    parties: dict[str, _Party] = {}  # profile id → party (designations are attached at the end)
    entries: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    relations: list[tuple[str, str, str, str]] = []
    stack: list[str] = []
    root_seen = False
    try:
        for event, el in iterparse(str(path), events=("start", "end"), forbid_dtd=True):
            tag = _local(el.tag)
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if tag != "Sanctions":
                        raise FormatError(
                            "not an OFAC advanced XML file (root is not Sanctions)", file=file, value=tag,
                            fix="pass the SDN_ADVANCED or CONS_ADVANCED file",
                        )
                stack.append(tag)
                continue
            stack.pop()
            parent = stack[-1] if stack else ""
            if tag == "ReferenceValueSets":
                _read_refs(el, refs)
            elif tag == "Location" and parent == "Locations":
                _read_location(el, refs)
            elif tag == "IDRegDocument" and parent == "IDRegDocuments":
                _read_document(el, refs)
            elif tag == "DistinctParty":
                got = _xml_party(el, refs, file, source)
                if isinstance(got, InputError):
                    yield got
                else:
                    profile = _child(el, "Profile")
                    parties[profile.get("ID", got[1])] = got[0]
            elif tag == "ProfileRelationship":
                if el.get("Former", "false").lower() != "true":  # a former relation has no end date
                    relations.append((
                        el.get("ID", ""), el.get("From-ProfileID", ""), el.get("To-ProfileID", ""),
                        refs.value("RelationTypeValues", el.get("RelationTypeID")),
                    ))
            elif tag == "SanctionsEntry":
                pid, list_name, data = _xml_entry(el, refs)
                entries.setdefault(pid, []).append((list_name, data))
            else:
                continue
            el.clear()
    except ParseError as e:
        raise FormatError(f"malformed XML: {e}", file=file, fix="re-download the file") from None
    except DefusedXmlException as e:
        raise FormatError(f"refused XML construct: {e}", file=file,
                          fix="OFAC files have no DTD or entities; this file is not one") from None
    for p in parties.values():
        _finalize(p)
    _drop_shared(parties.values())
    for pid, p in parties.items():
        ents = entries.pop(pid, [])
        specific = [e for e in ents if e[0].strip().lower() != "consolidated list"]
        for _list_name, data in specific or ents:
            p.designations.append({"entity_id": f"ofac:{p.ent_num}", "source": source, **data})
        yield from _party_items(p)
    for pid in entries:
        yield InputError("sanctions entry for a profile not in the file", file=file,
                         line=f"SanctionsEntry of profile {pid}", field="ProfileID", value=pid)
    for rid, src, dst, label in relations:
        rtype = label.lower()
        a, b = parties.get(src), parties.get(dst)
        loc = f"ProfileRelationship {rid}"
        if a is None or b is None:
            yield InputError("relationship to a profile not in the file", file=file, line=loc,
                             field="From-ProfileID" if a is None else "To-ProfileID",
                             value=src if a is None else dst)
            continue
        if rtype == _OWNED_BY:
            owner, owned, kind = b, a, "shares"
        elif rtype == _OWNS:
            owner, owned, kind = a, b, "shares"
        elif rtype in _LEADER:
            owner, owned, kind = a, b, "control"
        elif rtype == _INTEREST:
            owner, owned, kind = b, a, "control"
        else:
            continue
        rec = make_record("ownership", {
            "owner_id": f"ofac:{owner.ent_num}", "owned_id": f"ofac:{owned.ent_num}", "share": "unknown",
            "kind": kind, "source": f"{source}: {label} (relationship {rid})",
        }, file=file, line=loc)
        yield rec if isinstance(rec, InputError) else (rec, loc)
