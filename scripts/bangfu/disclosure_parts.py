"""Disclosure control in two parts: ``protect_parts`` shares the cells out between two
``Protector`` searches (two processes where there are two cores) whose answers together are
the answer of one search over all the cells; see its text for why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from . import disclosure_star
from .disclosure import Cell, Key, Protector, Relation, is_primary, sorted_keys

__all__ = ["PARTS_MIN", "connected", "is_star", "protect_parts", "solve_stars"]


PARTS_MIN = 20_000  # cells below which one process does both parts (a fork costs more)


def protect_parts(
    cells: Mapping[Key, Cell], relations: Sequence[Relation], threshold: int
) -> tuple[frozenset[Key], dict[str, int]]:
    """``protect``, and how many witnesses of each kind it found (``Protector.stats``).

    The cells fall into groups no relation joins (a county's tables, a plan's rows…), and a
    witness never leaves the group of its cell: every step of the search follows relations.
    So the groups are shared out between two parts of about the same size, each searched by
    its own ``Protector`` with the cells in the same order as one ``Protector`` of all
    (every tie is broken by that order), and the union of their answers is that one's answer.
    On a large table with a second core (``forked``) the second part is searched by a child
    process meanwhile (``forked`` searches it here when a child of this process already runs:
    the check's rules beside the figures).

    A star (one relation whose cells are in no other) is a group of its own, and the search
    in it comes down to a few comparisons: ``disclosure_star`` gives its answer without a
    ``Protector``, its cells in the order of their keys. The stars are shared out between
    the two parts too."""
    for r in relations:  # the same error, whichever part would meet it
        for k in (r.total, *r.parts):
            if k not in cells:
                raise ValueError(f"披露控制：关系中的格子 {k!r} 不在公开格子中")
    stars, relations = _stars(cells, relations)
    in_star = {k for r in stars for k in (r.total, *r.parts)}
    keys = sorted_keys([k for k in cells if k not in in_star])
    index = {k: i for i, k in enumerate(keys)}
    parts = _two_parts(keys, index, relations)
    shares: list[list] = [[], []]  # each star to the part with fewer cells so far
    load = [len(part) for part in parts]
    for r in stars:
        side = 0 if load[0] <= load[1] else 1
        shares[side].append(r)
        load[side] += 1 + len(r.parts)
    if not load[1]:
        return _search(cells, relations, parts[0], shares[0], threshold)
    from . import forked

    args = (cells, relations, parts[1], shares[1], threshold)
    there = forked.start("披露控制", _search, *args) if len(cells) >= PARTS_MIN else None
    try:
        here = _search(cells, relations, parts[0], shares[0], threshold)
    except BaseException:
        if there is not None:
            there.stop()
        raise
    other = there.wait() if there is not None else _search(*args)
    stats = {k: here[1][k] + other[1][k] for k in here[1]}
    return here[0] | other[0], stats


def _stars(cells: Mapping[Key, Cell], relations: Sequence[Relation]) -> tuple[list, list]:
    """The relations that are stars (``disclosure_star``: distinct parts, no latent cell, no
    cell in any other relation, the total the exact sum of the parts), and the others. The
    same relation given twice is one; its parts in another order make it no star (the
    ``Protector`` takes it as one relation)."""
    distinct = list(dict.fromkeys(relations))
    uses: dict[Key, int] = {}
    for r in distinct:
        for k in (r.total, *r.parts):
            uses[k] = uses.get(k, 0) + 1
    stars = {
        r for r in distinct if all(uses[k] == 1 for k in (r.total, *r.parts)) and is_star(cells, r)
    }
    return [r for r in distinct if r in stars], [r for r in relations if r not in stars]


def connected(relations: Sequence[Relation], seeds: Sequence[Relation]) -> set[Key]:
    """Every cell of the groups (cells joined by ``relations``) that hold a relation of
    ``seeds``."""
    keys = list(dict.fromkeys(k for r in relations for k in (r.total, *r.parts)))
    index = {k: i for i, k in enumerate(keys)}
    roots = _roots(keys, index, relations)
    wanted = {roots[index[k]] for r in seeds for k in (r.total, *r.parts)}
    return {k for i, k in enumerate(keys) if roots[i] in wanted}


def _search(
    cells: Mapping[Key, Cell],
    relations: Sequence[Relation],
    keys: list[Key],
    stars: list[Relation],
    threshold: int,
) -> tuple[frozenset[Key], dict[str, int]]:
    """One part: its cells but the stars' (``keys``, in order) and the relations among them,
    searched by a ``Protector``; and its stars."""
    mine = set(keys)
    p = Protector(
        {k: cells[k] for k in keys}, [r for r in relations if r.total in mine], order=keys
    )
    withheld, stats = set(p.run(threshold)), p.stats
    solve_stars(cells, stars, threshold, withheld, stats)
    return frozenset(withheld), stats


def is_star(cells: Mapping[Key, Cell], r: Relation) -> bool:
    """Whether ``r`` is searched as a star, once it is known that its cells are in no other
    relation: no latent cell, and the values ``disclosure_star.is_star`` holds for."""
    keys = (r.total, *r.parts)
    return not any(cells[k].latent for k in keys) and disclosure_star.is_star(
        cells[r.total].value, [cells[k].value for k in r.parts]
    )


def solve_stars(
    cells: Mapping[Key, Cell],
    stars: Sequence[Relation],
    threshold: int,
    withheld: set[Key],
    stats: dict[str, int],
) -> None:
    """The answer for each star (``disclosure_star.solve``, its cells in the order of their
    keys) added to ``withheld``, and its witnesses to ``stats`` by kind."""
    for r in stars:
        order = sorted_keys((r.total, *r.parts))
        got, kinds = disclosure_star.solve(
            [cells[k].value for k in order],
            [is_primary(cells[k], threshold) for k in order],
            order.index(r.total),
        )
        withheld.update(order[u] for u in got)
        for kind, n in kinds.items():
            stats[kind] += n


def _two_parts(keys: list[Key], index: dict[Key, int], relations: Sequence[Relation]) -> list:
    """The keys in two lists (each in the order of ``keys``; the second may be empty), no
    relation between them: the connected groups, largest first, each to the smaller part so
    far."""
    roots = _roots(keys, index, relations)
    size: dict[int, int] = {}
    for root in roots:
        size[root] = size.get(root, 0) + 1
    load, side = [0, 0], {}
    for root, n in sorted(size.items(), key=lambda item: (-item[1], item[0])):
        side[root] = 0 if load[0] <= load[1] else 1
        load[side[root]] += n
    parts: list[list[Key]] = [[], []]
    for i, k in enumerate(keys):
        parts[side[roots[i]]].append(k)
    return parts


def _roots(keys: list[Key], index: dict[Key, int], relations: Sequence[Relation]) -> list[int]:
    """For each key, the representative of its group (union-find over the relations)."""
    parent = list(range(len(keys)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in relations:
        a = find(index[r.total])
        for k in r.parts:
            b = find(index[k])
            if a != b:
                parent[b] = a
    return [find(i) for i in range(len(keys))]
