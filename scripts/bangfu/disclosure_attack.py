"""The attacker that tests (and audits of small tables) run against published tables.

``attack(published, relations, lower)`` tries to recover withheld cells (``None`` in
``published``) from what a reader knows: every relation (``total == sum(parts)``, objects with
``.total`` and ``.parts``), the published values, and lower bounds (``lower``; a withheld
cell without one is ``>= 0``). It knows no upper bounds. Two steps, repeated to a fixpoint:

1. exact linear elimination over rationals (``fractions.Fraction``): the relations with the
   published values substituted, reduced to row echelon form; a withheld cell whose row has no
   other unknown is recovered;
2. interval reasoning on every original and reduced row: each unknown is bounded by the
   bounds of the others in the same row (``integral=True`` also rounds bounds to integers,
   for counts); a cell whose lower and upper bound meet is recovered.

Returns the recovered cells with their exact values (``int`` when whole).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from fractions import Fraction
from math import ceil, floor

MAX_ROUNDS = 200


def attack(
    published: Mapping,
    relations: Sequence,
    lower: Mapping | None = None,
    *,
    integral: bool = False,
) -> dict:
    rows = _rows(published, relations)
    unknown = sorted({k for coefs, _ in rows for k in coefs}, key=repr)
    found: dict = {}
    reduced = _echelon(rows)
    for coefs, const in reduced:
        if len(coefs) == 1:
            ((k, a),) = coefs.items()
            found[k] = const / a
    lo = {k: Fraction((lower or {}).get(k, 0)) for k in unknown}
    hi: dict = {k: None for k in unknown}  # None: no upper bound known
    for k, v in found.items():
        lo[k] = hi[k] = v
    _propagate(rows + reduced, lo, hi, integral)
    out = {}
    for k in unknown:
        if hi[k] is not None and lo[k] == hi[k]:
            v = lo[k]
            out[k] = int(v) if v.denominator == 1 else v
    return out


def _rows(published: Mapping, relations: Sequence) -> list[tuple[dict, Fraction]]:
    """Each relation as ``sum(coef * unknown) == const`` with published values substituted."""
    rows = []
    for r in relations:
        coefs: dict = {}
        const = Fraction(0)
        for k, a in [(r.total, -1)] + [(p, 1) for p in r.parts]:
            v = published.get(k)
            if v is None:
                coefs[k] = coefs.get(k, 0) + a
            else:
                const -= a * Fraction(v)
        coefs = {k: Fraction(a) for k, a in coefs.items() if a}
        if coefs:
            rows.append((coefs, const))
    return rows


def _echelon(rows: list[tuple[dict, Fraction]]) -> list[tuple[dict, Fraction]]:
    """Reduced row echelon form (Gauss-Jordan) of the rows, over rationals."""
    pivots: dict = {}  # pivot unknown -> (coefs with coef 1 at the pivot, const)
    for coefs, const in rows:
        coefs = dict(coefs)
        # pivot rows hold no other pivot, so one substitution per pivot clears them all
        for p in [k for k in coefs if k in pivots]:
            f = coefs[p]
            pc, pk = pivots[p]
            for k, a in pc.items():
                coefs[k] = coefs.get(k, 0) - f * a
                if not coefs[k]:
                    del coefs[k]
            const -= f * pk
        if not coefs:
            continue  # dependent (or, for inconsistent input, contradictory) row
        p = min(coefs, key=repr)
        f = coefs[p]
        coefs = {k: a / f for k, a in coefs.items()}
        const /= f
        for q, (qc, qk) in list(pivots.items()):
            g = qc.get(p)
            if g:
                nc = {k: qc.get(k, 0) - g * coefs.get(k, 0) for k in qc.keys() | coefs.keys()}
                pivots[q] = ({k: a for k, a in nc.items() if a}, qk - g * const)
        pivots[p] = (coefs, const)
    return list(pivots.values())


def _propagate(rows, lo: dict, hi: dict, integral: bool) -> None:
    """Tighten ``lo``/``hi`` from the rows until nothing changes (or MAX_ROUNDS passes' worth
    of row visits). A worklist: a row is visited again only when a bound of one of its unknowns
    moved; each visit sums the row's bounds once and takes each unknown's own term out, so a
    row costs its length, not its length squared."""
    rows_of: dict = {}
    for i, (coefs, _) in enumerate(rows):
        for k in coefs:
            rows_of.setdefault(k, []).append(i)
    queue = deque(range(len(rows)))
    queued = set(queue)
    budget = MAX_ROUNDS * max(len(rows), 1)
    while queue and budget:
        budget -= 1
        i = queue.popleft()
        queued.discard(i)
        coefs, const = rows[i]
        terms = []  # per unknown: its smallest and largest contribution a * x (None: unbounded)
        low_sum, low_open, high_sum, high_open = Fraction(0), 0, Fraction(0), 0
        for k, a in coefs.items():
            lo_k, hi_k = (lo[k], hi[k]) if a > 0 else (hi[k], lo[k])
            t_lo = None if lo_k is None else a * lo_k
            t_hi = None if hi_k is None else a * hi_k
            terms.append((k, a, t_lo, t_hi))
            if t_lo is None:
                low_open += 1
            else:
                low_sum += t_lo
            if t_hi is None:
                high_open += 1
            else:
                high_sum += t_hi
        for j, aj, t_lo, t_hi in terms:
            # range of the sum over the others: s in [smin, smax]; aj * x_j = const - s
            smin = None if low_open - (t_lo is None) else low_sum - (t_lo or 0)
            smax = None if high_open - (t_hi is None) else high_sum - (t_hi or 0)
            top = None if smin is None else (const - smin) / aj
            bot = None if smax is None else (const - smax) / aj
            if aj < 0:
                top, bot = bot, top
            if integral:
                bot = None if bot is None else Fraction(ceil(bot))
                top = None if top is None else Fraction(floor(top))
            moved = False
            if bot is not None and bot > lo[j]:
                lo[j], moved = bot, True
            if top is not None and (hi[j] is None or top < hi[j]):
                hi[j], moved = top, True
            if moved:
                for r in rows_of[j]:
                    if r not in queued:
                        queued.add(r)
                        queue.append(r)
