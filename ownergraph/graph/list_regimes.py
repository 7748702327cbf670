"""The published list → regime table of SPEC §6: which regime a designation seeds.

A designation names its list (and programme) as published: a CSL ``source``, an OFAC
``Program``, an FtM ``programId``, a bundle's ``list``. :data:`LIST_TO_REGIME` maps those to a
regime of :mod:`ownergraph.queries.regimes`. It lives here, beside the model, because loaders
need it while parsing and must not import the query layer (slow to import, and the wrong
direction); :mod:`ownergraph.queries.regimes` re-exports it and documents it.

Examples
--------
>>> regime_for_list("Entity List (EL) - Bureau of Industry and Security")
'bis-entity-list'
"""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

__all__ = ["LIST_TO_REGIME", "ListMapping", "regime_for_list"]


class ListMapping(BaseModel):
    """One row of the list → regime table: a list-name pattern and/or a programme pattern.

    Patterns are case-insensitive regular expressions searched in the list name and in the
    programme string as published. A row matches when every pattern it has matches.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    regime: str
    lists: str | None = None
    programs: str | None = None
    description: str
    examples: tuple[str, ...] = ()
    sources: tuple[str, ...] = ("SPEC6",)

    def matches(self, list_name: str, program: str) -> bool:
        """Whether this row applies to a (list, programme) pair (both already lower-cased)."""
        if self.lists is None and self.programs is None:
            return False
        if self.lists is not None and not re.search(self.lists, list_name):
            return False
        return self.programs is None or bool(re.search(self.programs, program))


LIST_TO_REGIME: tuple[ListMapping, ...] = (
    ListMapping(
        regime="bis-entity-list",
        lists=r"entity list|^el$|\bus-bis-el\b",
        description="BIS Entity List",
        examples=("Entity List (EL) - Bureau of Industry and Security", "US-BIS-EL"),
    ),
    ListMapping(
        regime="bis-entity-list",
        lists=r"military end[- ]user|^meu$|\bus-bis-meu\b",
        description="BIS Military End User (MEU) list (not MIEU)",
        examples=("Military End User (MEU) List - Bureau of Industry and Security",),
    ),
    ListMapping(
        regime="ofac-ns-cmic",
        lists=r"\bns-?cmic\b|military-industrial complex|\bus-ns-cmic\b",
        description="OFAC NS-CMIC list",
        examples=("Non-SDN Chinese Military-Industrial Complex Companies List (NS-CMIC)",),
    ),
    ListMapping(
        regime="ofac-ssi",
        lists=r"\bssi\b|sectoral sanctions identifications",
        description="OFAC Sectoral Sanctions Identifications list (consolidated list or CSL)",
        examples=("Sectoral Sanctions Identifications List (SSI) - Treasury Department",),
    ),
    ListMapping(
        regime="info",
        lists=r"non-sdn|\bns-|\bplc\b|\bcapta\b|\bfse\b|menu-based|foreign sanctions evaders|"
        r"palestinian legislative|correspondent account",
        description="other OFAC non-SDN lists (NS-MBS, NS-PLC, CAPTA, FSE): named only",
        examples=("Palestinian Legislative Council List (PLC) - Treasury Department",),
    ),
    ListMapping(
        regime="ofac-sdn",
        lists=r"\bsdn\b|specially designated nationals|\bus-ofac-sdn\b",
        description="OFAC SDN list (all blocking programmes)",
        examples=("Specially Designated Nationals (SDN) - Treasury Department", "SDN"),
    ),
    ListMapping(
        regime="ofac-ns-cmic",
        programs=r"\bcmic-eo13959\b|\beo13959\b|\bns-cmic\b",
        description="OFAC consolidated (non-SDN) list rows under programme CMIC-EO13959",
        examples=("consolidated / CMIC-EO13959",),
    ),
    ListMapping(
        regime="ofac-ssi",
        programs=r"\bukraine-eo13662\b",
        description="OFAC consolidated (non-SDN) list rows under programme UKRAINE-EO13662 (SSI)",
        examples=("consolidated / UKRAINE-EO13662",),
    ),
    ListMapping(
        regime="uk",
        lists=r"^uk\b|\buk sanctions list\b|\bofsi\b|\bhm treasury\b|\bgb-|united kingdom"
        r"|\(eu exit\)",
        description="UK sanctions list (asset freeze), incl. SAMLA regulations ('(EU Exit)')",
        examples=("UK sanctions list", "GB-RUS", "The Russia (Sanctions) (EU Exit) Regulations 2019"),
    ),
    ListMapping(
        regime="eu",
        lists=r"^eu\b|\beu-|european union|eu consolidated|\bfsf\b|financial sanctions files",
        description="EU consolidated financial sanctions list",
        examples=("EU consolidated list", "EU-UKR"),
    ),
)
"""The source list → regime table of SPEC §6, first matching row wins; no match → ``info``."""


@lru_cache(maxsize=4096)
def regime_for_list(list_name: str | None, program: str | None = None) -> str:
    """The regime a designation seeds, from its list name and programme as published.

    Everything not on a propagating list (DoD 1260H, BIS MIEU, DPL, NS-MBS, NS-PLC, …) maps to
    ``info``. SDN rows under the § 744.8(a)(1) programmes map to ``ofac-sdn`` and also seed
    ``bis-entity-list`` through :attr:`~ownergraph.queries.regimes.Regime.also_seeded_by`.
    Cached: a file repeats a few dozen list and programme names over and over, and matching them
    was a third of an FtM parse.

    Parameters
    ----------
    list_name
        The list as published (CSL ``source``, FtM ``program`` / ``programId``, a bundle's
        ``list``), or ``None``.
    program
        The programme string as published (OFAC ``Program``, CSL ``programs``).

    Examples
    --------
    >>> regime_for_list("Specially Designated Nationals (SDN) - Treasury Department")
    'ofac-sdn'
    >>> regime_for_list("consolidated", "CMIC-EO13959")
    'ofac-ns-cmic'
    >>> regime_for_list("DoD Section 1260H list"), regime_for_list("US-BIS-MIEU")
    ('info', 'info')
    """
    name = (list_name or "").strip().lower()
    prog = (program or "").strip().lower()
    for row in LIST_TO_REGIME:
        if row.matches(name, prog):
            return row.regime
    return "info"
