"""Disclosure control for the public aggregate tables: primary and complementary suppression.

The aggregate layer hands over every figure it will publish about households (``Cell``) and
every identity that holds between published figures (``Relation``: a total equals the sum of
its parts — village → township → county → all, month → year, category → all categories, and
the same figure published in two tables, ``same(a, b)``). ``protect`` returns the keys to
withhold. Relations must hold exactly in the values given (not checked here): household counts
add up over villages and categories but not over months (the same household in two months).

Primary suppression: a cell about 1 .. threshold-1 households (``Cell.households``) — counts,
and the entries and amounts of the same small group alike.

Complementary suppression, by certificate. Every withheld cell ``c`` gets a *witness*: an
integer change ``delta`` of withheld cells only, ``delta[c] != 0``, under which every relation
still holds and every cell that goes down stays at or above what a reader knows of it
(``floor``). So ``values + delta`` is a second table that agrees with everything published,
and ``c`` has two possible values one apart: no attacker (linear elimination, intervals,
integers, LP) can pin it. All cells of a witness are covered by it; withholding more cells
later never breaks a witness; so one pass over the cells in key order suffices.

Witnesses, cheapest (fewest newly withheld cells) kept:

- *move* (in the spirit of the hypercube method): one unit moves from a cell ``a`` at or below
  ``c`` to a nearby cell ``b`` that can spare one (a sibling: another village, month or
  category; else a sibling one level up). Every total above ``a`` but not above ``b`` goes up
  by one, every total above ``b`` but not ``a`` down by one; the totals above both stay.
- *cube* (``disclosure_search``): a short search for a witness among neighbouring cells (two
  villages × two months × two categories), kept when it withholds no more than the move.
- *upward*: ``a`` and every total above it go up by one (nothing goes down).
- *scaled*, a last resort for relations without the nested shape of the tables: every non-zero
  cell connected to ``c`` (the table times any factor is a witness: no upper bounds known).

What a reader is assumed to know: the relations, the published values, and that a withheld
cell is ``>= 1`` if it is not zero (zeros are published; a zero is withheld only as a primary
cell — the amount of a small group that received nothing — or above one, to protect it), a
latent cell ``>= 0``. No other bounds: an inequality between published figures (paired <=
monitored, entries >= visited households) is given as a relation with a latent cell, and
primary and complementary cells are shown with the same mark, or the mark would bound them.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from .disclosure_attack import attack
from .disclosure_search import cube

__all__ = [
    "Cell",
    "Key",
    "Protector",
    "Relation",
    "attack",
    "is_primary",
    "is_small",
    "known_floor",
    "nonnegative",
    "protect",
    "same",
    "sorted_keys",
]

NEAR = 4  # siblings per relation tried for a move (withheld ones first, then the smallest)
KINDS = ("move", "cube", "upward", "scaled", "unproven")  # of witness (``Protector.stats``)
Key = tuple
Number = int | float | Decimal


@dataclass(frozen=True, slots=True)
class Relation:
    """``total == sum(parts)``, an identity that holds between published figures."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    """One published figure and how many distinct households it concerns.

    ``latent``: a quantity no table publishes, there to state an inequality between published
    figures as a relation: paired households <= monitored households is ``monitored == paired
    + unpaired`` with ``unpaired`` latent; entries >= visited households is ``entries ==
    visited + more`` with ``more`` latent. A reader knows a latent cell only as ``>= 0``; it is
    never primary and never in the result."""

    key: Key
    value: Number
    households: int
    latent: bool = False


def same(a: Key, b: Key) -> Relation:
    """The same figure published under two keys (two tables): one cell for the attacker."""
    return Relation(a, (b,))


def is_small(households: int, threshold: int) -> bool:
    """The primary rule: a figure about 1 .. threshold-1 households is withheld (0
    households is a published zero)."""
    return 0 < households < threshold


def known_floor(value: Number) -> Number:
    """The least a reader knows of a withheld cell (not a latent one): >= 1 if it is not
    zero, since zeros are published."""
    return min(1, value)


def nonnegative(values) -> None:
    """Refuse a negative number: disclosure control handles counts, entries and amounts."""
    if any(v < 0 for v in values):
        raise ValueError("披露控制只处理非负的数字（户数、条数、金额）")


def is_primary(cell: Cell, threshold: int) -> bool:
    """A cell the primary rule withholds (``is_small``; never a latent one)."""
    return not cell.latent and is_small(cell.households, threshold)


def protect(
    cells: Mapping[Key, Cell], relations: Sequence[Relation], threshold: int
) -> frozenset[Key]:
    """Keys to withhold: the primary cells and enough complementary cells to protect them
    (one search; ``disclosure_parts.protect_parts`` gives the same answer in two parts)."""
    return Protector(cells, relations).run(threshold)


def sorted_keys(keys) -> list:
    try:
        return sorted(keys)
    except TypeError:  # keys whose parts do not compare (None next to str): order by repr
        return sorted(keys, key=repr)


class Protector:
    """Cells by integer id (in key order), relations in CSR arrays, and the witnesses.

    Relation ``r``: members ``rm[ro[r]:ro[r+1]]`` with coefficients ``rc`` (total -1, each
    part +1), total ``rt[r]``. Cell ``u``: its relations ``cr[co[u]:co[u+1]]`` with its
    coefficient in each (``cc``). ``stats`` counts witnesses by kind."""

    def __init__(
        self,
        cells: Mapping[Key, Cell],
        relations: Sequence[Relation],
        keep: bool = False,
        order: list[Key] | None = None,
    ):
        """``order``: the cells' keys in the order to search them (by default, sorted)."""
        self.witnesses: list[dict[Key, Number]] | None = [] if keep else None  # for tests
        self.keys = order if order is not None else sorted_keys(cells)
        index = {k: i for i, k in enumerate(self.keys)}
        self.values = [cells[k].value for k in self.keys]
        self.households = [cells[k].households for k in self.keys]
        self.latent = bytearray(cells[k].latent for k in self.keys)
        self.floor = [  # a latent cell is known only as >= 0
            0 if lat else known_floor(v) for lat, v in zip(self.latent, self.values, strict=True)
        ]
        nonnegative(self.values)
        canon = set()
        for r in relations:
            try:
                canon.add((index[r.total], tuple(sorted(index[p] for p in r.parts))))
            except KeyError as e:
                raise ValueError(f"披露控制：关系中的格子 {e.args[0]!r} 不在公开格子中") from None
        self._build(sorted(canon), len(self.keys))
        self.stats = dict.fromkeys(KINDS, 0)
        self._closure = lru_cache(maxsize=1 << 16)(self._closure_of)  # neighbours share totals

    def _build(self, canon: list, n: int) -> None:
        ro, rm, rc, rt = array("q", [0]), array("q"), array("q"), array("q")
        for t, parts in canon:
            coef: dict[int, int] = {t: -1}
            for p in parts:
                coef[p] = coef.get(p, 0) + 1
            for u, a in coef.items():
                if a:
                    rm.append(u)
                    rc.append(a)
            ro.append(len(rm))
            rt.append(t)
        start = [0] * (n + 1)
        for u in rm:
            start[u + 1] += 1
        for i in range(n):
            start[i + 1] += start[i]
        fill = start[:-1]
        cr, cc = array("q", bytes(8 * len(rm))), array("q", bytes(8 * len(rm)))
        # per cell, the relations it is a part of and those it is the total of, in relation
        # order: what ``_closure_of`` walks for every cell it meets
        part_in: list[list[int]] = [[] for _ in range(n)]
        total_in: list[list[int]] = [[] for _ in range(n)]
        for r in range(len(rt)):
            for j in range(ro[r], ro[r + 1]):
                u = rm[j]
                cr[fill[u]], cc[fill[u]] = r, rc[j]
                fill[u] += 1
                (part_in if rc[j] > 0 else total_in)[u].append(r)
        self.ro, self.rm, self.rc, self.rt = ro, rm, rc, rt
        self.co, self.cr, self.cc = array("q", start), cr, cc
        self.part_in, self.total_in = part_in, total_in

    def run(self, threshold: int) -> frozenset[Key]:
        n = len(self.keys)
        self.hidden = bytearray(self.latent)
        for u, h in enumerate(self.households):
            if is_small(h, threshold):
                self.hidden[u] = 1
        covered = bytearray(self.latent)
        for c in range(n):
            if self.hidden[c] and not covered[c]:
                for u in self._witness(c):
                    self.hidden[u] = 1
                    covered[u] = 1
        return frozenset(self.keys[u] for u in range(n) if self.hidden[u] and not self.latent[u])

    def slack(self, u: int):
        """How far ``u`` can go down and stay at or above what a reader knows of it (floor)."""
        # floor[u] is 0, 1 or values[u] itself: never a float against a Decimal
        return self.values[u] - self.floor[u]  # type: ignore[operator]

    def new(self, delta) -> int:
        """Cells a witness would newly withhold."""
        return sum(1 for u in delta if not self.hidden[u])

    def _witness(self, c: int) -> list[int]:
        delta = self._find(c)
        if self.witnesses is not None:
            self.witnesses.append({self.keys[u]: d for u, d in delta.items()})
        return list(delta)

    def _find(self, c: int) -> Mapping[int, Number]:
        best, kind = self._move(c), "move"
        cost = 1 << 60 if best is None else self.new(best)
        if cost:  # a cube as cheap as the move is kept: it leaves the totals published
            found = cube(self, c, cost + 1)
            if found is not None:
                best, kind = found, "cube"
        if best is None:
            a = self._source(c)
            up = None if a is None else dict.fromkeys(self._closure(a), 1)
            if up is not None and c in up and self._valid(up, c):
                best, kind = up, "upward"
        if best is None:
            self.stats["scaled" if self.values[c] else "unproven"] += 1
            return {u: self.values[u] for u in self._scaled(c)}  # the table itself
        self.stats[kind] += 1
        return best

    def _closure_of(self, a: int) -> frozenset[int]:
        """The cells one more unit in ``a`` changes: ``a`` and every total above it; then, for
        a total among them none of whose parts is (the same figure under another key, or a sum
        the relations do not spell out, such as one of latent cells), one part — latent if
        ``a`` is, else not — and the totals above that, until nothing is missing."""
        part_in, total_in = self.part_in, self.total_in
        ro, rm, rt, latent = self.ro, self.rm, self.rt, self.latent
        seen: set[int] = set()
        pending = [a]
        while pending:
            stack = [u for u in pending if u not in seen]
            seen.update(stack)
            while stack:
                for r in part_in[stack.pop()]:
                    if rt[r] not in seen:
                        seen.add(rt[r])
                        stack.append(rt[r])
            pending = []
            has_part = {r for w in seen for r in part_in[w]}
            for u in sorted(seen):
                for r in total_in[u]:
                    if r not in has_part:
                        parts = [w for w in rm[ro[r] : ro[r + 1]] if w != u]
                        if parts:
                            pending.append(min(parts, key=lambda w: (latent[w] != latent[a], w)))
        return frozenset(seen)

    def _down(self, u: int, ok) -> int | None:
        """A cell at or below ``u`` that is the total of nothing, through cells ``ok`` accepts
        (withheld ones first, then the largest)."""
        co, cr, cc, ro, rm, values = self.co, self.cr, self.cc, self.ro, self.rm, self.values
        while True:
            r = next((cr[j] for j in range(co[u], co[u + 1]) if cc[j] < 0), None)
            if r is None:
                return u if ok(u) else None
            parts = [
                (not self.hidden[p], -values[p], p)
                for p in rm[ro[r] : ro[r + 1]]
                if p != u and ok(p)
            ]
            if not parts:
                return None
            u = min(parts)[-1]

    def _source(self, c: int) -> int | None:
        """Where the unit of a move or upward witness starts: at or below ``c``, not zero
        unless ``c`` is."""
        return self._down(c, lambda u: self.values[u] >= min(1, self.values[c]))

    def _move(self, c: int) -> dict[int, int] | None:
        a = self._source(c)
        if a is None:
            return None
        up_a = self._closure(a)
        if c not in up_a:
            return None
        level, seen = [c], set()
        while level:
            options, nxt = [], []
            for u in level:
                for j in range(self.co[u], self.co[u + 1]):
                    r = self.cr[j]
                    if self.cc[j] < 0 or r in seen:
                        continue
                    seen.add(r)
                    nxt.append(self.rt[r])
                    near = sorted(
                        (not self.hidden[s], self.values[s], s)
                        for s in self.rm[self.ro[r] : self.ro[r + 1]]
                        if s not in up_a and self.slack(s) >= 1
                    )
                    for *_, s in near[:NEAR]:
                        b = self._down(s, lambda u: self.slack(u) >= 1)
                        if b is not None:
                            up_b = self._closure(b)
                            if c not in up_b:
                                options.append((self.new(up_a ^ up_b), b, up_b))
            for _, _, up_b in sorted(options, key=lambda o: o[:2]):
                delta = dict.fromkeys(up_a - up_b, 1) | dict.fromkeys(up_b - up_a, -1)
                if self._valid(delta, c):
                    return delta
            level = sorted(set(nxt))
        return None

    def _valid(self, delta: dict[int, int], c: int) -> bool:
        """Every relation ``delta`` touches cancels, cells going down keep their slack, no zero
        is newly withheld unless ``c`` is itself a zero (the move and upward witnesses assume
        the nested shape of the tables; this checks the relations given have it)."""
        imb: dict[int, int] = {}
        for u, d in delta.items():
            if d < 0 and self.slack(u) < -d:
                return False
            if not self.values[u] and not self.hidden[u] and self.values[c]:
                return False
            for j in range(self.co[u], self.co[u + 1]):
                imb[self.cr[j]] = imb.get(self.cr[j], 0) + self.cc[j] * d
        return not any(imb.values())

    def _scaled(self, c: int) -> list[int]:
        """Every non-zero cell connected to ``c``: the table times any factor > 1 is a witness.

        Not for a zero ``c`` (scaling leaves it at 0): counted as ``unproven``; the tables of
        the aggregate layer never get here (the upward witness exists in nested tables)."""
        seen, stack = {c}, [c]
        while stack:
            u = stack.pop()
            for j in range(self.co[u], self.co[u + 1]):
                r = self.cr[j]
                for w in self.rm[self.ro[r] : self.ro[r + 1]]:
                    if w not in seen and self.values[w]:
                        seen.add(w)
                        stack.append(w)
        return sorted(seen)
