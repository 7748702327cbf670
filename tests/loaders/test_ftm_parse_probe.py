"""``bench/parse_probe``'s synthetic files have the real shapes: the FtM copies of the Zala cluster
and the GLEIF RR copies parse without a reject, with the real mix of records, and fresh ids."""

from __future__ import annotations

import collections
from pathlib import Path

import orjson

from bench.parse_probe import _lei, write_ftm, write_rr
from ownergraph.errors import InputError
from ownergraph.graph.model import Designation, Entity, Ownership
from ownergraph.loaders.base import Item
from ownergraph.loaders.ftm import parse_ftm
from ownergraph.loaders.gleif import parse_gleif_csv


def test_synthetic_ftm_parses_like_copies_of_zala(tmp_path: Path) -> None:
    path = tmp_path / "s.ftm.json"
    size = write_ftm(path, 0.4, seed=3)
    assert size >= 400_000 and path.stat().st_size == size
    items = list(parse_ftm(path))
    assert not [i for i in items if isinstance(i, InputError)]
    recs = [i[0] for i in items if not isinstance(i, InputError)]
    kinds = collections.Counter(type(r).__name__ for r in recs)
    assert kinds[Entity.__name__] and kinds[Ownership.__name__] and kinds[Designation.__name__]
    ids = [orjson.loads(x)["id"] for x in path.read_bytes().splitlines()]
    assert len(set(ids)) == len(ids)  # every copy has its own ids
    assert write_ftm(tmp_path / "again.json", 0.4, seed=3) == size
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()  # seeded


def test_synthetic_rr_parses_with_fresh_valid_leis(tmp_path: Path) -> None:
    path = tmp_path / "rr.csv"
    write_rr(path, 0.4, seed=3)
    items = list(parse_gleif_csv(path))
    errors = [i for i in items if isinstance(i, InputError)]
    real = list(parse_gleif_csv(Path(__file__).parents[2] / ".." / "shared" / "data" / "gleif"
                                / "ft_gleifr_test-gleif-relationships.csv"))

    def pairs(items: list[Item]) -> set[tuple[str, str]]:
        return {(i[0].owner_id, i[0].owned_id) for i in items
                if not isinstance(i, InputError) and isinstance(i[0], Ownership)}

    copies = len(pairs(items)) // len(pairs(real))
    assert copies >= 2 and len(pairs(items)) == copies * len(pairs(real))  # fresh LEIs in every copy
    assert len(errors) == copies * sum(isinstance(i, InputError) for i in real)  # the real rejects only
    lei = _lei(__import__("random").Random(1))
    assert int("".join(str(int(c, 36)) for c in lei)) % 97 == 1
