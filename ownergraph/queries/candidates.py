"""Review candidates: pairs that probably name the same entity, by name (SPEC §4, ``candidates``).

Records merge only on a strong identifier or an explicit same-as record, never on a name — the
SenseTime case is two companies with nearly the same name. This query proposes name matches
for a person to review (``ownergraph sameas A B`` accepts one); it never merges anything.

**Entities.** Every name and alias of every entity (all records of a merged entity) is
normalised — accents and case folded, punctuation dropped, ``&`` read as ``and``, and legal-form
words removed (``Inc.``, ``Co., Ltd.``, ``LLC``, ``JSC``, ``ООО``, ... see :data:`LEGAL_FORMS`) —
and compared with rapidfuzz's ``token_set_ratio``. Only names that share a blocking key are
compared: each name's two rarest words and the first eight letters of the name written without
spaces; a key shared by more than :data:`MAX_BLOCK` names is too common to block on and is
skipped. The score of a pair starts at that ratio and is adjusted:

* −5 when the match is through an alias rather than two names;
* −40 × (the share of the longer name's words the shorter one lacks) when one name's words are
  a strict subset of the other's (``token_set_ratio`` alone scores "SenseTime" and "SenseTime
  Group" 100);
* −25 when each name has words the other lacks and those words are not spellings of each other
  (``fuzz.ratio`` below 70: "Shenzhen SenseTime Technology" vs "Shenzhen DJI Technology", which
  ``token_set_ratio`` scores 90 for the shared words);
* −15 when both names carry numbers and the numbers differ (``13th`` vs ``14th`` research
  institute);
* −10 when both names carry legal forms of different families (``Inc.`` vs ``Limited``);
* +5 when both jurisdictions are known and equal, −20 when both are known and differ;

clamped to 0–100. The best-scoring pair of names counts for a pair of entities. Pairs already
merged are one entity and never appear; a person is never paired with a company, vessel or
aircraft, nor a vessel with an aircraft.

**Claims.** A claim's name (a DoD 1260H parent, an OFAC "Linked To:") is scored the same way
against every entity name (no jurisdiction is known for it), skipping the claim's own subject
and entities already linked to the subject by an edge. Such a row says whom the claim probably
means; it is ``kind="claim"`` with ``a`` = the subject and ``a_name`` = the name as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import orjson
from rapidfuzz import fuzz, process

from ownergraph.graph.view import GraphView
from ownergraph.queries.rows import Row, Rows, paused_gc

__all__ = ["LEGAL_FORMS", "MAX_BLOCK", "CandidateRow", "candidates", "normalize_name"]

MAX_BLOCK = 500
"""A blocking key shared by more names than this is skipped (it would cost ~n² comparisons)."""
_DISTINCT_MIN = 70
"""Below this ``fuzz.ratio`` the words only one name has are different words, not spellings."""
_MAX_VARIANTS = 12
"""Names and aliases compared per entity (names first)."""

_FAMILY_LABEL = {
    "corp": "Inc./Corp.", "ltd": "Ltd/Limited", "llc": "LLC/OOO", "plc": "PLC", "jsc": "JSC/AO",
    "gmbh": "GmbH", "ag": "AG", "sa": "S.A.", "sarl": "SARL", "srl": "S.r.l.", "spa": "S.p.A.",
    "bv": "B.V.", "nv": "N.V.", "ab": "AB", "oy": "Oy", "lp": "LP", "llp": "LLP", "bhd": "Bhd",
}

LEGAL_FORMS: dict[tuple[str, ...], str | None] = {
    # English and common abbreviations (after punctuation is dropped: "Co., Ltd." → co ltd)
    ("inc",): "corp", ("incorporated",): "corp", ("corp",): "corp", ("corporation",): "corp",
    ("ltd",): "ltd", ("limited",): "ltd", ("co", "ltd"): "ltd", ("company", "limited"): "ltd",
    ("pte", "ltd"): "ltd", ("pvt", "ltd"): "ltd", ("private", "limited"): "ltd",
    ("plc",): "plc", ("public", "limited", "company"): "plc",
    ("llc",): "llc", ("l", "l", "c"): "llc", ("limited", "liability", "company"): "llc",
    ("lp",): "lp", ("llp",): "llp", ("sdn", "bhd"): "bhd", ("bhd",): "bhd",
    ("co",): None, ("company",): None, ("the",): None,
    # Russian / Ukrainian forms, transliterated and in Cyrillic
    ("ooo",): "llc", ("tov",): "llc",
    ("obshchestvo", "s", "ogranichennoi", "otvetstvennostyu"): "llc",
    ("общество", "с", "ограниченнои", "ответственностью"): "llc",
    ("товариство", "з", "обмеженою", "відповідальністю"): "llc",
    ("jsc",): "jsc", ("ojsc",): "jsc", ("cjsc",): "jsc", ("pjsc",): "jsc", ("oao",): "jsc",
    ("zao",): "jsc", ("pao",): "jsc", ("ao",): "jsc", ("joint", "stock", "company"): "jsc",
    ("open", "joint", "stock", "company"): "jsc", ("closed", "joint", "stock", "company"): "jsc",
    ("public", "joint", "stock", "company"): "jsc", ("aktsionernoe", "obshchestvo"): "jsc",
    ("otkrytoe", "aktsionernoe", "obshchestvo"): "jsc", ("акционерное", "общество"): "jsc",
    ("публичное", "акционерное", "общество"): "jsc", ("акціонерне", "товариство"): "jsc",
    ("пао",): "jsc", ("оао",): "jsc", ("ао",): "jsc", ("ооо",): "llc", ("тов",): "llc",
    # continental European
    ("gmbh",): "gmbh", ("ag",): "ag", ("sa",): "sa", ("s", "a"): "sa", ("sas",): "sa",
    ("sarl",): "sarl", ("srl",): "srl", ("s", "r", "l"): "srl", ("spa",): "spa", ("s", "p", "a"): "spa",
    ("bv",): "bv", ("b", "v"): "bv", ("nv",): "nv", ("n", "v"): "nv", ("ab",): "ab", ("oy",): "oy",
}
"""Legal-form phrases (as normalised words) → their family (``None``: says nothing). Phrases of
one or two letters or that are ordinary words (``ao``, ``sa``, ``ab``, ``co``, ``the``, ...) are
removed only at the start or the end of a name; longer ones anywhere."""
_ANYWHERE_MIN = 3
_MAX_PHRASE = max(len(k) for k in LEGAL_FORMS)
_FORM_START = frozenset(k[0] for k in LEGAL_FORMS)


class CandidateRow(Row):
    """A probable same-entity pair for review; ``kind="claim"`` when ``a_name`` is a claim's name."""

    a: str
    b: str
    a_name: str
    b_name: str
    score: float
    reason: str
    kind: Literal["entity", "claim"]


_PUNCT = re.compile(r"[\W_]+")


def _fold(text: str) -> list[str]:
    if text.isascii():
        return _PUNCT.sub(" ", text.lower().replace("&", " and ")).split()
    s = unicodedata.normalize("NFKD", text)
    s = "".join(c for c in s if not unicodedata.combining(c)).casefold().replace("&", " and ")
    return _PUNCT.sub(" ", s).split()


def normalize_name(name: str) -> tuple[str, frozenset[str]]:
    """``(name without legal forms, the legal-form families it had)``.

    >>> normalize_name("SenseTime Group, Inc.")
    ('sensetime group', frozenset({'corp'}))
    >>> normalize_name("Hangzhou Hikvision Digital Technology Co., Ltd.")
    ('hangzhou hikvision digital technology', frozenset({'ltd'}))
    >>> normalize_name('ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ "ЦСТ"')
    ('цст', frozenset({'llc'}))
    """
    words = _fold(name)
    families: set[str] = set()
    out: list[str] = []
    i = 0
    while i < len(words):
        if words[i] not in _FORM_START:
            out.append(words[i])
            i += 1
            continue
        for n in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            phrase = tuple(words[i : i + n])
            if phrase not in LEGAL_FORMS:
                continue
            edge = i == 0 or i + n == len(words)
            if not edge and ((n == 1 and len(phrase[0]) < _ANYWHERE_MIN) or phrase in (("co",), ("the",))):
                continue
            fam = LEGAL_FORMS[phrase]
            if fam:
                families.add(fam)
            i += n
            break
        else:
            out.append(words[i])
            i += 1
    if not out:  # the name is nothing but a legal form: keep it
        out = words
    return " ".join(out), frozenset(families)


@dataclass(frozen=True)
class _Norm:
    """One normalised name: its text, words, numbers and legal-form families."""

    text: str
    words: frozenset[str]
    numbers: frozenset[str]
    families: frozenset[str]


def _norm(name: str, cache: dict[str, _Norm]) -> _Norm:
    got = cache.get(name)
    if got is None:
        text, fams = normalize_name(name)
        words = frozenset(text.split())
        got = _Norm(text, words, frozenset(w for w in words if not w.isalpha()), fams)
        cache[name] = got
    return got


@dataclass
class _Names:
    """Entity name variants (names and aliases) in parallel lists."""

    node: list[int]
    norm: list[_Norm]
    orig: list[str]
    primary: list[bool]


_KIND_GROUP = {"person": 1, "vessel": 2, "aircraft": 3}


def _entity_names(view: GraphView, names: list[str], cache: dict[str, _Norm]) -> _Names:
    """Every entity's names and aliases (all its records), at most ``_MAX_VARIANTS`` each."""
    per_node: list[list[tuple[str, bool]]] = [[(n, True)] for n in names]
    ws = view.workspace
    if ws is not None:
        rows = ws.store.name_rows()
        nodes = view.indices([r[0] for r in rows]).tolist()
        for (_id, name, aliases), node in zip(rows, nodes, strict=True):
            if node >= 0:
                per_node[node].append((name, True))
                if aliases and aliases != "[]":
                    per_node[node].extend((a, False) for a in orjson.loads(aliases))
    out = _Names([], [], [], [])
    for node, variants in enumerate(per_node):
        seen: set[str] = set()
        for orig, primary in [v for v in variants if v[1]] + [v for v in variants if not v[1]]:
            if len(seen) >= _MAX_VARIANTS:
                break
            nm = _norm(orig, cache)
            if nm.text and nm.text not in seen:
                seen.add(nm.text)
                out.node.append(node)
                out.norm.append(nm)
                out.orig.append(orig)
                out.primary.append(primary)
    return out


def _keys(nm: _Norm, df: Counter[str], *, known_only: bool = False) -> list[str]:
    """Blocking keys: the two rarest words, and the first letters of the name without its
    common words (those in more than :data:`MAX_BLOCK` names)."""
    words = sorted((w for w in nm.words if len(w) > 1 and (not known_only or df[w] > 0)),
                   key=lambda w: (df[w], w))
    compact = "".join(w for w in nm.text.split() if df[w] <= MAX_BLOCK)
    return [f"w:{w}" for w in words[:2]] + ([f"p:{compact[:8]}"] if len(compact) >= 4 else [])


def _adjust(
    a: _Norm, b: _Norm, ja: str | None, jb: str | None, base: float, via_alias: bool
) -> tuple[float, list[str]]:
    """The adjusted score of one pair of normalised names and the reasons for it."""
    score = base
    why: list[str] = []
    if via_alias:
        score -= 5
    ua, ub = a.words - b.words, b.words - a.words
    if ua and ub:
        if fuzz.ratio(" ".join(sorted(ua)), " ".join(sorted(ub))) < _DISTINCT_MIN:
            score -= 25
            why.append(f"different distinctive words ({' '.join(sorted(ua))} vs {' '.join(sorted(ub))})")
    elif ua or ub:
        small, large = (a.words, b.words) if ub else (b.words, a.words)
        score -= 40 * (1 - len(small) / len(large))
        why.append("one name adds " + " ".join(sorted(large - small)))
    if a.numbers and b.numbers and a.numbers != b.numbers:
        score -= 15
        why.append(f"numbers differ ({' '.join(sorted(a.numbers))} vs {' '.join(sorted(b.numbers))})")
    if a.families and b.families and not a.families & b.families:
        score -= 10
        why.append("legal forms differ (" + "/".join(_FAMILY_LABEL.get(f, f) for f in sorted(a.families))
                   + " vs " + "/".join(_FAMILY_LABEL.get(f, f) for f in sorted(b.families)) + ")")
    if ja and jb:
        if ja == jb:
            score += 5
            why.append(f"both {ja}")
        else:
            score -= 20
            why.append(f"{ja} vs {jb}")
    elif ja or jb:
        why.append(f"jurisdiction known for one only ({ja or jb})")
    return max(0.0, min(100.0, round(score, 1))), why


def _head(base: float, orig_a: str, orig_b: str, primary_a: bool, primary_b: bool) -> str:
    if primary_a and primary_b:
        return f"names {base:.0f}% alike after removing legal forms"
    return f"'{orig_a}' ~ '{orig_b}' {base:.0f}% alike after removing legal forms (via an alias)"


def _cdist(a: list[str], b: list[str], cut: float) -> npt.NDArray[np.float32]:
    workers = -1 if len(a) * len(b) > 40_000 else 1
    m: npt.NDArray[np.float32] = process.cdist(
        a, b, scorer=fuzz.token_set_ratio, score_cutoff=cut, dtype=np.float32, workers=workers)
    return m


def candidates(view: GraphView, *, min_score: float = 85, limit: int = 200) -> Rows[CandidateRow]:
    """Probable same-entity pairs by name, best first: entity pairs and claim → entity matches.

    ``min_score`` applies to the adjusted score (0–100, see the module docstring); ``limit``
    caps the rows. Nothing is merged: accept a row with ``Workspace.sameas(a, b)`` (or
    ``ownergraph sameas A B``). Blocking keeps the work near linear: 100,000 entities with
    200,000 names take seconds to tens of seconds, not hours.
    """
    with paused_gc():  # millions of small, acyclic objects: the cyclic collector only costs time here
        return _candidates(view, min_score, limit)


@dataclass(frozen=True)
class _Hit:
    """A scored pair before it becomes a row (rows are built for the best ``limit`` only)."""

    score: float
    kind: int  # 0 entity, 1 claim
    a: int
    b: int
    i: int  # entity name variant of b (and of a, for entity pairs)
    j: int
    ratio: float
    why: tuple[str, ...]
    claim: int = -1  # row of the claims table


def _candidates(view: GraphView, min_score: float, limit: int) -> Rows[CandidateRow]:
    nodes = view.table("nodes")
    node_names: list[str] = nodes.column("name").to_pylist()
    jur: list[str | None] = nodes.column("jurisdiction").to_pylist()
    group = [_KIND_GROUP.get(view.kind_of(i), 0) for i in range(view.n)]
    cache: dict[str, _Norm] = {}
    names = _entity_names(view, node_names, cache)
    df: Counter[str] = Counter()
    for nm in names.norm:
        df.update(nm.words)
    blocks: dict[str, list[int]] = {}
    for i, nm in enumerate(names.norm):
        for k in _keys(nm, df):
            blocks.setdefault(k, []).append(i)
    cut = max(0.0, min_score - 5)  # +5 (same jurisdiction) is the most an adjustment adds
    ratios: dict[tuple[int, int], float] = {}
    for block in blocks.values():
        if len(block) < 2 or len(block) > MAX_BLOCK:
            continue
        texts = [names.norm[i].text for i in block]
        m = _cdist(texts, texts, cut)  # the same list twice: rapidfuzz computes half the matrix
        rows_, cols_ = np.nonzero(np.triu(m, 1))
        for r, c in zip(rows_.tolist(), cols_.tolist(), strict=True):
            i, j = block[r], block[c]
            ni, nj = names.node[i], names.node[j]
            if ni != nj and group[ni] == group[nj]:
                ratios[(i, j) if ni < nj else (j, i)] = float(m[r, c])
    best: dict[tuple[int, int], _Hit] = {}
    for (i, j), ratio in ratios.items():
        ni, nj = names.node[i], names.node[j]
        score, why = _adjust(names.norm[i], names.norm[j], jur[ni], jur[nj], ratio,
                             not (names.primary[i] and names.primary[j]))
        old = best.get((ni, nj))
        if score >= min_score and (old is None or old.score < score):
            best[(ni, nj)] = _Hit(score, 0, ni, nj, i, j, ratio, tuple(why))
    hits = list(best.values()) + _claim_hits(view, names, df, blocks, jur, min_score, cache)
    hits.sort(key=lambda h: (-h.score, h.kind, h.a, h.b, h.claim))
    return Rows(_row(view, h, names, node_names) for h in hits[:limit])


def _row(view: GraphView, h: _Hit, names: _Names, node_names: list[str]) -> CandidateRow:
    if h.kind == 0:
        head = _head(h.ratio, names.orig[h.i], names.orig[h.j], names.primary[h.i], names.primary[h.j])
        return CandidateRow(a=view.id(h.a), b=view.id(h.b), a_name=node_names[h.a], b_name=node_names[h.b],
                            score=h.score, reason="; ".join([head, *h.why]), kind="entity")
    claims = view.table("claims")
    cname = str(claims.column("name")[h.claim].as_py())
    rel = claims.column("relation")[h.claim].as_py()
    src = claims.column("source")[h.claim].as_py()
    head = (f"{rel} of {node_names[h.a]} named '{cname}'" + (f" ({src})" if src else "") + "; "
            + _head(h.ratio, cname, names.orig[h.i], True, names.primary[h.i]))
    return CandidateRow(a=view.id(h.a), b=view.id(h.b), a_name=cname, b_name=node_names[h.b], score=h.score,
                        reason="; ".join([head, *h.why]), kind="claim")


def _claim_hits(
    view: GraphView, names: _Names, df: Counter[str], blocks: dict[str, list[int]],
    jur: list[str | None], min_score: float, cache: dict[str, _Norm],
) -> list[_Hit]:
    """Claim names scored against entity names (the claim's subject and linked entities skipped)."""
    claims = view.table("claims")
    cut = max(0.0, min_score - 5)
    best: dict[tuple[int, str, int], _Hit] = {}
    for row, (s, cname) in enumerate(zip(claims.column("node").to_pylist(), claims.column("name").to_pylist(),
                                         strict=True)):
        nm = _norm(str(cname), cache)
        if not nm.text:
            continue
        pool = sorted({i for k in _keys(nm, df, known_only=True)
                       for i in blocks.get(k, ()) if len(blocks[k]) <= MAX_BLOCK})
        if not pool:
            continue
        linked = {int(view.src[e]) for e in view.in_of(s)} | {int(view.dst[e]) for e in view.out_of(s)}
        scores = _cdist([nm.text], [names.norm[i].text for i in pool], cut)[0]
        for k in np.flatnonzero(scores).tolist():
            i = pool[k]
            nb = names.node[i]
            if nb == s or nb in linked:
                continue
            ratio = float(scores[k])
            score, why = _adjust(nm, names.norm[i], None, jur[nb], ratio, not names.primary[i])
            key = (s, str(cname), nb)
            old = best.get(key)
            if score >= min_score and (old is None or old.score < score):
                best[key] = _Hit(score, 1, s, nb, i, i, ratio, tuple(why), row)
    return list(best.values())
