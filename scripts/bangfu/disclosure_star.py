"""Disclosure control of a *star*: one relation ``total == sum(parts)`` whose cells are in no
other relation (a plan's delivered amount and its report-entry rows; a plan's target and its
villages). At a province's size most cells are in such stars, and for them the search of
``Protector`` comes down to a few comparisons, written out here: ``solve`` gives the cells
``Protector`` withholds in the star and the witnesses it finds, kind by kind, without
building it. (``tests/test_disclosure_star.py`` compares the two on many random stars.)

How the search goes in a star, for each withheld cell ``c`` not yet covered, in the order of
the star's keys (``slack``: how far a cell can go down, its value less what a reader knows of
it; every witness changes ``c`` and one other cell):

- ``c`` a part. *move*: one unit from a withheld sibling that can spare one to ``c`` (of the
  four smallest such siblings, the first). Else a *cube*: ``c`` and the total go up, if the
  total is withheld; else, when ``c`` can spare one, one unit from ``c`` to the first withheld
  sibling; else a cell not yet withheld, of the smallest value (a part before the total):
  one unit from a sibling that can spare one to ``c``, or ``c`` and the total up together.
  Else (every cell is zero) *upward*: ``c`` and the total go up together.
- ``c`` the total. *cube*: ``c`` and the first withheld part go up together; else ``c`` and
  the part of smallest value that is not zero. Else (every cell is zero) *upward* with the
  first part.

This holds for a star whose total is exactly the sum of at least one part (``is_star``);
another relation is searched by ``Protector``.

Every cell of a witness is withheld and covered by it.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Sequence
from itertools import islice

from .disclosure import KINDS, NEAR, known_floor, nonnegative  # NEAR: siblings tried for a move

__all__ = ["is_star", "solve"]


def solve(
    values: Sequence, small: Sequence[bool], total: int, witnesses: list | None = None
) -> tuple[list[int], dict]:
    """The positions withheld in a star and the witnesses found by kind (each witness, the
    two positions it changes, appended to ``witnesses`` if given).

    ``values``: the cells in key order; ``small``: the primary rule's answer for each;
    ``total``: the position of the total (the others are its parts, at least one, and the
    total is exactly their sum: ``is_star``).

    The parts that can spare one are kept sorted by value (``giving``), and the withheld
    ones among them too (``spare``, which only grows), so that each witness looks at a few
    of them instead of every part: a plan's star has a row per period and kind."""
    nonnegative(values)
    n = len(values)
    hidden = list(small)
    covered = [False] * n
    slack = [v - known_floor(v) for v in values]
    parts = [u for u in range(n) if u != total]
    giving = sorted((values[s], s) for s in parts if slack[s] >= 1)
    spare = [item for item in giving if hidden[item[1]]]
    stats = dict.fromkeys(KINDS, 0)
    for c in range(n):
        if not hidden[c] or covered[c]:
            continue
        if c == total:
            other, kind = _for_total(values, hidden, parts, total)
        else:
            other, kind = _for_part(values, hidden, slack, parts, total, c, giving, spare)
        stats[kind] += 1
        if witnesses is not None:
            witnesses.append((c, other))
        if not hidden[other] and other != total and slack[other] >= 1:
            insort(spare, (values[other], other))
        hidden[c] = covered[c] = True
        hidden[other] = covered[other] = True
    return [u for u in range(n) if hidden[u]], stats


def is_star(total, parts: Sequence) -> bool:
    """Whether ``solve`` holds for a relation's values: at least one part, and the total is
    exactly their sum (amounts as integers or decimals, not binary fractions)."""
    return (
        bool(parts)
        and sum(parts) == total
        and not any(isinstance(v, float) for v in (total, *parts))
    )


def _for_part(values, hidden, slack, parts, t: int, c: int, giving, spare) -> tuple[int, str]:
    near = [s for _, s in islice((item for item in spare if item[1] != c), NEAR)]
    if near:
        return min(near), "move"
    if hidden[t]:
        return t, "cube"
    if slack[c] >= 1:
        withheld = next((s for s in parts if s != c and hidden[s]), None)
        if withheld is not None:
            return withheld, "cube"
    up = [(values[s], 0, s) for _, s in islice((item for item in giving if item[1] != c), 1)]
    if values[t]:
        up.append((values[t], 1, t))
    if up:
        return min(up)[2], "cube"
    return t, "upward"


def _for_total(values, hidden, parts, t: int) -> tuple[int, str]:
    withheld = next((s for s in parts if hidden[s]), None)
    if withheld is not None:
        return withheld, "cube"
    up = [(values[s], s) for s in parts if values[s]]
    if up:
        return min(up)[1], "cube"
    return parts[0], "upward"  # every cell is zero
