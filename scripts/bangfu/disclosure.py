"""Disclosure control for the public aggregate tables: primary and complementary suppression.

The aggregate layer hands over every figure it will publish about households (``Cell``) and
every identity that holds between published figures (``Relation``: a total equals the sum of
its parts — village → township → county → all, month → year, category → all categories, and
"the same figure in two tables" as ``same(a, b)``). ``protect`` returns the keys to withhold.

Primary suppression: a cell that concerns 1 .. threshold-1 households (``Cell.households``),
counts and the entries and amounts of the same small group alike.

Complementary suppression, by certificate. For every withheld cell ``c`` the algorithm keeps a
*witness*: an integer change ``delta`` of withheld cells only, with ``delta[c] = ±1``, such
that every relation still holds (each relation's changes cancel) and every cell that goes
down stays at or above what an attacker knows about it (``_slack``). So ``values + delta`` is
a second table that agrees with everything published, and ``c`` has at least two possible
values one apart: no attacker (linear elimination, intervals, integer reasoning, LP) can pin
it. Withholding more cells later never invalidates a witness, so one pass suffices.

The witness is grown like the hypercube method for hierarchical tables (sdcTable HYPERCUBE,
τ-ARGUS modular): start at ``c``, and while some relation does not cancel, give one more cell
of it the compensating change. The cell is chosen by, in order: already withheld (costs
nothing); closes other open relations (so the rectangle of two siblings × two months, or the
cube over categories, closes on itself); smallest value; key. Strategies, cheapest first:
``+1`` at ``c``; ``-1`` at ``c``; upward (only increases: a cell with its totals, where no
lower bound matters); and as a last resort the scaled table itself (every non-zero cell
connected to ``c``), which always works because relations are homogeneous and nothing has a
known upper bound.

Attacker model (what the published tables let anyone know): relations, published values,
every withheld cell is ``>= 0`` and ``>= 1`` unless its value is below 1 (zero cells are
published, never withheld to protect another cell — a zero that is withheld is a primary cell,
e.g. the amount of a small group that received nothing). Upper bounds are not known: every
withheld cell is shown with the same mark, primary or complementary, so ``<threshold`` must
not be read as a bound (a different mark for complementary cells would leak one).
Deterministic: cells are processed in key order and relations in canonical order, so the input
order does not matter.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .disclosure_attack import attack

__all__ = ["Cell", "Key", "Relation", "attack", "is_primary", "protect", "same", "Protector"]

Key = tuple
Number = int | float | Decimal

WITNESS_BUDGET = 4096  # cells in one witness before a strategy gives up
SEARCH_BUDGET = 20000  # steps of one witness search before it gives up


@dataclass(frozen=True, slots=True)
class Relation:
    """``total == sum(parts)``, an identity that holds between published figures."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    """One published figure and how many distinct households it concerns."""

    key: Key
    value: Number
    households: int


def same(a: Key, b: Key) -> Relation:
    """The same figure published under two keys (two tables): one cell for the attacker."""
    return Relation(a, (b,))


def is_primary(cell: Cell, threshold: int) -> bool:
    """A cell about 1 .. threshold-1 households (0 households is a published zero)."""
    return 0 < cell.households < threshold


def protect(
    cells: Mapping[Key, Cell], relations: Sequence[Relation], threshold: int
) -> frozenset[Key]:
    """Keys to withhold: the primary cells and enough complementary cells to protect them."""
    return Protector(cells, relations).run(threshold)


def _sorted_keys(keys) -> list:
    try:
        return sorted(keys)
    except TypeError:  # keys whose parts do not compare (None next to str): order by repr
        return sorted(keys, key=repr)


class Protector:
    """The index (cells by integer id, relations in CSR arrays) and the witness search.

    ``stats`` counts the witnesses found by each strategy (for benchmarks and reports)."""

    def __init__(self, cells: Mapping[Key, Cell], relations: Sequence[Relation]):
        self.keys = _sorted_keys(cells)
        index = {k: i for i, k in enumerate(self.keys)}
        self.values = [cells[k].value for k in self.keys]
        self.households = [cells[k].households for k in self.keys]
        if any(v < 0 for v in self.values):
            raise ValueError("披露控制只处理非负的数字（户数、条数、金额）")
        canon = set()
        for r in relations:
            try:
                canon.add((index[r.total], tuple(sorted(index[p] for p in r.parts))))
            except KeyError as e:
                raise ValueError(f"披露控制：关系中的格子 {e.args[0]!r} 不在公开格子中") from None
        self._build(sorted(canon), len(self.keys))
        self.stats = {"plus": 0, "minus": 0, "upward": 0, "scaled": 0, "unproven": 0}

    def _build(self, canon: list, n: int) -> None:
        # relation r: members rm[ro[r]:ro[r+1]] with coefficients rc (total -1, part +1 each)
        ro, rm, rc = array("q", [0]), array("q"), array("q")
        for t, parts in canon:
            coef: dict[int, int] = {t: -1}
            for p in parts:
                coef[p] = coef.get(p, 0) + 1
            for u, a in coef.items():
                if a:
                    rm.append(u)
                    rc.append(a)
            ro.append(len(rm))
        # cell u: relations cr[co[u]:co[u+1]] with u's coefficient in them (cc)
        count = [0] * (n + 1)
        for u in rm:
            count[u + 1] += 1
        for i in range(n):
            count[i + 1] += count[i]
        co = array("q", count)
        fill = count[:-1]
        cr, cc = array("q", bytes(8 * len(rm))), array("q", bytes(8 * len(rm)))
        for r in range(len(ro) - 1):
            for j in range(ro[r], ro[r + 1]):
                u = rm[j]
                cr[fill[u]], cc[fill[u]] = r, rc[j]
                fill[u] += 1
        self.ro, self.rm, self.rc, self.co, self.cr, self.cc = ro, rm, rc, co, cr, cc

    def run(self, threshold: int) -> frozenset[Key]:
        n = len(self.keys)
        self.hidden = bytearray(n)
        for u, h in enumerate(self.households):
            if 0 < h < threshold:
                self.hidden[u] = 1
        covered = bytearray(n)
        for c in range(n):
            if self.hidden[c] and not covered[c]:
                for u in self._witness(c):
                    self.hidden[u] = 1
                    covered[u] = 1
        return frozenset(self.keys[u] for u in range(n) if self.hidden[u])

    def _slack(self, u: int):
        """How far ``u`` can go down and stay above the attacker's lower bound (min(1, value))."""
        v = self.values[u]
        return v - 1 if v >= 1 else 0

    def _witness(self, c: int) -> list[int]:
        tries = [("plus", self._grow(c, 1, upward=False))]
        if self._new(tries[0][1]) and self._slack(c) >= 1:
            tries.append(("minus", self._grow(c, -1, upward=False)))
        found = [(self._new(d), i, name, d) for i, (name, d) in enumerate(tries) if d is not None]
        if not found:
            d = self._grow(c, 1, upward=True)
            found = [(0, 0, "upward", d)] if d is not None else []
        if not found:
            self.stats["scaled" if self.values[c] else "unproven"] += 1
            return self._scaled(c)
        _, _, name, delta = min(found, key=lambda f: f[:2])
        self.stats[name] += 1
        return list(delta)

    def _new(self, delta: dict | None) -> int:
        """Cells a witness would newly withhold (None: the strategy failed)."""
        return 1 << 60 if delta is None else sum(1 for u in delta if not self.hidden[u])

    def _grow(self, c: int, sign: int, upward: bool) -> dict[int, int] | None:
        """A witness with ``delta[c] == sign``, or None when the search fails within budget.

        Depth-first: fix the open relation (one whose changes do not cancel) with the fewest
        candidate cells, trying its candidates best first and backing up at a dead end.
        ``upward``: only increases, and a zero may be withheld when ``c`` itself is zero."""
        co, cr, cc = self.co, self.cr, self.cc
        delta: dict[int, int] = {}
        imb: dict[int, int] = {}  # relation -> sum of coefficient * delta, for the open ones

        def apply(u: int, d: int) -> None:
            v = delta.get(u, 0) + d
            if v:
                delta[u] = v
            else:
                del delta[u]
            for j in range(co[u], co[u + 1]):
                r = cr[j]
                e = imb.get(r, 0) + cc[j] * d
                if e:
                    imb[r] = e
                else:
                    del imb[r]

        apply(c, sign)
        frames: list[list] = []  # [candidates, next to try, cell assigned or None]
        steps = 0
        while imb:
            steps += 1
            if steps > SEARCH_BUDGET or len(delta) > WITNESS_BUDGET:
                return None
            cands = min(
                (self._candidates(r, e, delta, imb, upward, c) for r, e in imb.items()),
                key=lambda cs: (len(cs[1]), cs[0]),
            )[1]
            frames.append([cands, 0, None])
            while frames:
                f = frames[-1]
                if f[2] is not None:
                    apply(f[2][0], -f[2][1])
                    f[2] = None
                if f[1] < len(f[0]):
                    _, u, d = f[0][f[1]]
                    f[1] += 1
                    apply(u, d)
                    f[2] = (u, d)
                    break
                frames.pop()
            else:
                return None
        return delta

    def _candidates(self, r, e, delta, imb, upward, c) -> tuple[int, list]:
        """Cells that can cancel relation ``r``'s imbalance ``e``, best first."""
        ro, rm, rc, co, cr, cc = self.ro, self.rm, self.rc, self.co, self.cr, self.cc
        hidden, values = self.hidden, self.values
        zeros = upward and not values[c]
        out = []
        for j in range(ro[r], ro[r + 1]):
            u, a = rm[j], rc[j]
            if u in delta or -e % a:
                continue
            d = -e // a
            new = not hidden[u]
            if new and not values[u] and not zeros:
                continue
            if d < 0 and (upward or self._slack(u) < -d):
                continue
            net = 0  # change of the total imbalance in u's other relations
            for k in range(co[u], co[u + 1]):
                r2 = cr[k]
                if r2 != r:
                    was = imb.get(r2, 0)
                    net += abs(was + cc[k] * d) - abs(was)
            out.append((SCORE(new, net, values[u], u), u, d))
        out.sort()
        return r, out

    def _scaled(self, c: int) -> list[int]:
        """Every non-zero cell connected to ``c``: the table times any factor > 1 is a witness.

        Not for a zero ``c`` (scaling leaves it at 0): counted as ``unproven``, which the
        product-shaped tables of the aggregate layer never reach (the upward witness exists)."""
        seen, stack = {c}, [c]
        while stack:
            u = stack.pop()
            for j in range(self.co[u], self.co[u + 1]):
                r = self.cr[j]
                for k in range(self.ro[r], self.ro[r + 1]):
                    w = self.rm[k]
                    if w not in seen and self.values[w]:
                        seen.add(w)
                        stack.append(w)
        return sorted(seen)


def SCORE(new, net, v, u):
    return (new + net, new, v if new else 0, u)
