"""A star (one relation whose cells are in no other) is solved by ``disclosure_star`` without
a ``Protector``: the same cells withheld and the same witnesses, kind by kind, as the search
finds (each witness the same two cells), on many random stars (small values, zeros, withheld zeros, amounts in yuan and fen, the
total anywhere in the key order)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from bangfu import disclosure_star
from bangfu.disclosure import Cell, Protector, Relation, attack, is_primary, same
from bangfu.disclosure_parts import protect_parts

T = 3  # threshold


def _star(rng: random.Random, n: int, crowded: bool = False) -> tuple[dict, Relation]:
    """A total and ``n`` parts: values, and the households each concerns (small or not;
    every part small if ``crowded``)."""
    money = rng.random() < 0.3
    values = []
    for _ in range(n):
        v = rng.choice([0, 0, 1, 1, 2, 3, 5, 8, 40])
        values.append(Decimal(v) + Decimal(rng.randrange(100)) / 100 if money and v else v)
    households = [
        0 if not v and rng.random() < 0.5 else rng.choice([1, 2, 2, 3, 4, 9]) for v in values
    ]
    if crowded:
        households = [1] * n
    where = rng.randrange(n + 1)  # the total's place in the key order
    keys = [("p", i if i < where else i + 1) for i in range(n)]
    total = ("p", where)
    cells = {k: Cell(k, v, h) for k, v, h in zip(keys, values, households, strict=True)}
    cells[total] = Cell(total, sum(values), rng.choice([0, 1, 2, 3, 5, 20]))
    return cells, Relation(total, tuple(keys))


def _solved_as_searched(cells: dict, rel: Relation) -> tuple[frozenset, dict]:
    """``solve`` on a star against the search (``Protector``): the same cells withheld and
    the same witnesses, kind by kind; the cells withheld and the kinds."""
    search = Protector(cells, [rel], keep=True)
    expected = search.run(T)
    keys = sorted(cells)
    witnesses: list = []
    got, stats = disclosure_star.solve(
        [cells[k].value for k in keys],
        [is_primary(cells[k], T) for k in keys],
        keys.index(rel.total),
        witnesses,
    )
    assert {keys[u] for u in got} == expected, (cells, rel)
    assert stats == search.stats, (cells, rel)
    assert [{keys[u] for u in w} for w in witnesses] == [set(w) for w in search.witnesses]
    return expected, stats


@pytest.mark.parametrize("seed", range(12))
def test_a_star_is_solved_as_the_search_solves_it(seed):
    rng = random.Random(seed)
    for i in range(400):
        cells, rel = _star(rng, rng.randrange(1, 13), crowded=i % 8 == 0)
        expected, _ = _solved_as_searched(cells, rel)
        assert _recovered(cells, rel, expected) == {}


@pytest.mark.parametrize("seed", range(3))
def test_a_large_star_is_solved_as_the_search_solves_it(seed):
    """Stars of a plan's size and more (a row per period and kind): ``solve`` keeps the
    withheld parts that can spare one sorted instead of looking at every part for each
    witness; the answer and every witness stay the search's."""
    rng = random.Random(100 + seed)
    kinds: dict = {}
    for i in range(24):
        cells, rel = _star(rng, rng.randrange(13, 240), crowded=i % 6 == 0)
        _, stats = _solved_as_searched(cells, rel)
        kinds = {k: kinds.get(k, 0) + n for k, n in stats.items()}
    assert kinds["move"] and kinds["cube"]


def _recovered(cells: dict, rel: Relation, hidden) -> dict:
    """Withheld cells an attacker pins down from the published cells and the relation."""
    shown = {k: None if k in hidden else c.value for k, c in cells.items()}
    lower = {k: min(1, cells[k].value) for k in hidden}
    whole = all(isinstance(c.value, int) for c in cells.values())
    return attack(shown, [rel], lower, integral=whole)


def test_stars_beside_other_groups_give_one_searchs_answer():
    """``protect_parts`` takes the stars out (a relation given twice is one; a star joined to
    another relation, with a latent cell, or whose total is not exactly the sum of its parts,
    is not one) and searches the rest: the union is the answer of one search of all, with the
    same witnesses."""
    rng = random.Random(7)
    cells: dict = {}
    rels: list = []
    for g in range(300):
        more, rel = _star(rng, rng.randrange(1, 7))
        name = {k: (g, *k) for k in more}
        cells |= {name[k]: Cell(name[k], c.value, c.households) for k, c in more.items()}
        rel = Relation(name[rel.total], tuple(name[p] for p in rel.parts))
        rels.append(rel)
        if g % 5 == 1:
            rels.append(rel)  # given twice: still a star
        if g % 5 == 2:  # the same figure in a second table: not a star
            twin = (g, "twin")
            cells[twin] = Cell(twin, cells[rel.total].value, cells[rel.total].households)
            rels.append(same(rel.total, twin))
        if g % 7 == 4:  # amounts as binary fractions: not summed exactly, searched
            for k in rel.parts:
                cells[k] = Cell(k, float(cells[k].value) + 0.1, cells[k].households)
            tot = cells[rel.total]
            cells[rel.total] = Cell(
                rel.total, sum(cells[k].value for k in rel.parts), tot.households
            )
        if g % 5 == 3:  # an inequality, a star but for its latent cell: searched
            big, small, lat = (g, "big"), (g, "small"), (g, "latent")
            b, m = sorted(rng.choice([1, 2, 4, 7]) for _ in range(2))[::-1]
            cells |= {big: Cell(big, b, b), small: Cell(small, m, m)}
            cells[lat] = Cell(lat, b - m, 0, latent=True)
            rels.append(Relation(big, (small, lat)))
    one = Protector(cells, rels)
    hidden = one.run(T)
    got, stats = protect_parts(cells, rels, T)
    assert got == hidden
    assert stats == one.stats
    assert sum(stats.values()) > 0 and stats["move"] and stats["cube"] and stats["upward"]


def test_a_negative_value_in_a_star_is_refused():
    cells = {k: Cell(k, v, 1) for k, v in ((("t",), 1), (("a",), 2), (("b",), -1))}
    with pytest.raises(ValueError, match="非负"):
        protect_parts(cells, [Relation(("t",), (("a",), ("b",)))], T)
