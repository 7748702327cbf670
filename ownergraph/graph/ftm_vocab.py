"""The FollowTheMoney vocabulary shared by the FtM loader (:mod:`ownergraph.loaders.ftm`) and the
FtM export (:mod:`ownergraph.graph.export_ftm`): one definition of each value that the writer
puts in a file and the loader reads back, so that the two cannot drift apart.

Neither module imports the ``followthemoney`` library (an optional extra); the tests check the
values here against it (:data:`FTM_COUNTRIES` equals its country list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from ownergraph.graph.list_regimes import regime_for_list

__all__ = [
    "ARRANGEMENT_PREFIX",
    "BOARD_ROLE",
    "DATASET_LISTS",
    "FTM_COUNTRIES",
    "INFO_PROGRAM_ID",
    "MIC_KEYWORD",
    "NAMED_ONLY_DATASETS",
    "OWNERSHIP_TYPES",
    "arrangement_basis",
    "arrangement_of",
    "ftm_country",
    "ftm_regime",
    "ftm_values",
    "valid_ogrn",
]

INFO_PROGRAM_ID: Final = "OWNERGRAPH-INFO"
"""A ``programId`` that makes a Sanction ``info`` whatever its other signals say: the FtM export
writes it on a designation of a named-only list whose name would otherwise read as a regime's
list (``eu_travel_bans (Council of the European Union)``)."""

ARRANGEMENT_PREFIX: Final = "ownergraph-arrangement:"
"""The prefix of the ``legalBasis`` value that carries an edge's arrangement.

An arrangement pools stakes: the UK rule adds up the stakes of every edge that shares one
(a joint arrangement, SI 2019/855 Sch. 1). Publishers write free text in ``legalBasis``
("Articles of association", a statute), and the same text on unrelated Ownerships would pool
their holders; so only a value with this prefix — which only the export writes — is one."""

OWNERSHIP_TYPES: Final[dict[str, str]] = {
    "shares": "shareholding",
    "votes": "voting-rights",
    "consolidation": "accounting-consolidation",
}
"""Ownership kind → the ``ownershipType`` the export writes. ``shareholding`` and
``voting-rights`` are BODS interest types (:func:`~ownergraph.loaders.bods.interest_kind` reads
them); ``accounting-consolidation`` is ours."""

BOARD_ROLE: Final = "appointment-of-board"
"""The Directorship ``role`` of a ``board`` edge (the BODS interest type)."""

MIC_KEYWORD: Final = re.compile(r"^MIC:([A-Za-z0-9]{4})$")
"""A ``keywords`` value naming a listing venue (``MIC:XHKG``): FtM's Security has no venue property."""

DATASET_LISTS: Final[dict[str, str]] = {
    "us_ofac_sdn": "Specially Designated Nationals (SDN) list (OpenSanctions dataset us_ofac_sdn)",
}
"""OpenSanctions datasets whose Sanction entities do not name their list: the dataset is the list.

OFAC SDN sanctions carry the programme's OpenSanctions key (``US-RUSHAR``, ...) and OFAC's
programme tag (``RUSSIA-EO14024``), neither of which says "SDN" — and the same tag on the
consolidated list means NS-MBS (``info``). Only the dataset tells them apart. The text is what
:func:`ftm_regime` passes to ``regime_for_list`` as the list name."""

NAMED_ONLY_DATASETS: Final[dict[str, str]] = {
    "eu_travel_bans": "EU travel bans: admission restrictions, not an asset freeze",
}
"""OpenSanctions datasets whose Sanction entities are ``info`` whatever their authority says.

The EU travel-ban list names the Council of the European Union as authority, which the list
table reads as the EU asset-freeze list (``eu``); a travel ban does not freeze assets, so
nothing it names seeds the EU ownership rule. (A row "travel ban → info" in
:data:`ownergraph.graph.list_regimes.LIST_TO_REGIME` would make this table unnecessary.)"""

_COUNTRY_CODES: Final = (
    "ac ad ae af ag ai al am ao aq ar as at au aw ax az az-nk ba bb bd be bf bg bh bi bj bl bm bn bo "
    "bq br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn cn-xz co cp cq cr cshh csxx cu cv cw cx "
    "cy cy-trnc cz dd de dg dj dk dm do dz ec ee eg eh er es et eu fi fj fk fm fo fr ga gb gb-nir "
    "gb-sct gb-wls gd ge ge-ab gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu ic id "
    "ie il im in io ip iq iq-kr ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk "
    "lr ls lt lu lv ly ma mc md md-pmr me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na "
    "nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pk-km pl pm pn pr ps pt pw py qa re ro rs "
    "ru rw sa sb sc sd se sg sh si sj sk sl sm sn so so-som sr ss st suhh sv sx sy sz ta tc td tf tg "
    "th tj tk tl tm tn to tr tt tv tw tz ua ua-cri ua-dpr ua-lpr ug um un us uy uz va vc ve vg vi vn "
    "vu wf ws x-so xk ye yt yucs za zm zr zw zz"
)
FTM_COUNTRIES: Final[frozenset[str]] = frozenset(_COUNTRY_CODES.split())
"""The country codes FtM's ``country`` type accepts (followthemoney 4.11: ISO 3166-1 alpha-2,
historic and special codes such as ``xk``, ``eu``, ``zz``, and a few territories such as
``gb-sct``), lower case. FtM drops any other value, so the export writes it as a note."""


def ftm_country(code: str | None) -> str | None:
    """The FtM country value of a jurisdiction, or None when FtM has no such country.

    >>> ftm_country("GB"), ftm_country("UA-CRI"), ftm_country("NM"), ftm_country("US-DE")
    ('gb', 'ua-cri', None, None)
    """
    c = (code or "").strip().lower()
    return c if c in FTM_COUNTRIES else None


def arrangement_basis(arrangement: str | None) -> str | None:
    """The ``legalBasis`` value that carries an arrangement (None for none).

    >>> arrangement_basis("VIE"), arrangement_of(["Articles of association", "ownergraph-arrangement:VIE"])
    ('ownergraph-arrangement:VIE', 'VIE')
    >>> arrangement_of(["Joint venture agreement"]) is None
    True
    """
    return f"{ARRANGEMENT_PREFIX}{arrangement}" if arrangement else None


def arrangement_of(legal_basis: Iterable[str]) -> str | None:
    """The arrangement the ``legalBasis`` values carry: only those with :data:`ARRANGEMENT_PREFIX`
    (joined with ``; `` when several), never a publisher's free text."""
    marked = [v[len(ARRANGEMENT_PREFIX):].strip() for v in legal_basis if v.startswith(ARRANGEMENT_PREFIX)]
    return "; ".join(m for m in marked if m) or None


def ftm_values(props: dict[str, Any], name: str) -> list[str]:
    """The non-empty string values of one FtM property, de-duplicated, in order."""
    raw = props.get(name)
    if raw is None:
        return []
    if type(raw) is list:  # the usual shape, a list of strings: a plain loop is fastest
        fast: list[str] = []
        for v in raw:
            if type(v) is not str:
                break
            s = v.strip()
            if s and s not in fast:
                fast.append(s)
        else:
            return fast
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for v in items:
        s = str(v).strip() if isinstance(v, (str, int, float)) else ""
        if s and s not in out:
            out.append(s)
    return out


def valid_ogrn(number: str) -> bool:
    """Whether ``number`` is a Russian OGRN (13 digits) or OGRNIP (15) with a right check digit.

    >>> valid_ogrn("1101841007938"), valid_ogrn("1101841007939"), valid_ogrn("1841015504")
    (True, False, False)
    """
    if re.fullmatch(r"\d{13}", number):
        return int(number[:12]) % 11 % 10 == int(number[12])
    if re.fullmatch(r"\d{15}", number):
        return int(number[:14]) % 13 % 10 == int(number[14])
    return False


def ftm_regime(props: dict[str, Any], datasets: Iterable[str]) -> tuple[str, str | None]:
    """``(regime, the list name it was decided by)`` for one FtM ``Sanction``.

    Asked in this order, the first answer other than ``info`` winning: each ``programId``, the
    dataset when it names the list (:data:`DATASET_LISTS`), each ``program``, each ``authority``
    — except for :data:`NAMED_ONLY_DATASETS` and the ``programId`` :data:`INFO_PROGRAM_ID`.

    >>> ftm_regime({"programId": ["US-BIS-EL"]}, ["us_trade_csl"])
    ('bis-entity-list', 'US-BIS-EL')
    >>> ftm_regime({"programId": ["US-RUSHAR"], "program": ["RUSSIA-EO14024"]}, ["us_ofac_sdn"])[0]
    'ofac-sdn'
    >>> ftm_regime({"program": ["Reciprocal"], "authority": ["OFAC"]}, ["us_sam_exclusions"])
    ('info', None)
    """
    for d in datasets:
        if d in NAMED_ONLY_DATASETS:
            return "info", NAMED_ONLY_DATASETS[d]
    if INFO_PROGRAM_ID in ftm_values(props, "programId"):
        return "info", None
    programs = ftm_values(props, "program")
    prog_text = "; ".join(programs)
    signals: list[tuple[str, str]] = [(p, prog_text) for p in ftm_values(props, "programId")]
    signals += [(DATASET_LISTS[d], prog_text) for d in datasets if d in DATASET_LISTS]
    signals += [(p, p) for p in programs]
    signals += [(a, prog_text) for a in ftm_values(props, "authority")]
    for list_name, program in signals:
        regime = regime_for_list(list_name, program)
        if regime != "info":
            return regime, list_name
    return "info", None
