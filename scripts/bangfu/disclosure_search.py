"""The *cube* witness of ``bangfu.disclosure``: a short search among neighbouring cells.

Starting from ``delta[c] = ±1``, repeatedly take a relation that does not cancel (one with no
usable cell, then one with a single usable cell, else the oldest) and give one of its cells the
compensating change, best first: the cell that costs least (already withheld, and closing other
open relations rather than opening new ones), then, among cells not yet withheld, the smallest
value and a part rather than its total, then the key order. Back up at a dead end. In a table
of villages × months × categories this finds the rectangle, or the cube of eight leaf cells,
around ``c`` whose signs alternate. It gives up (None) after ``BUDGET`` steps, or where the
witness would withhold ``cap`` new cells or more (a cheaper witness is already known).
"""

from __future__ import annotations

BUDGET = 12  # search steps per start


def cube(p, c: int, cap: int) -> dict[int, int] | None:
    """The cheapest witness found from ``+1`` at ``c`` and, if ``c`` can go down, ``-1``."""
    best = None
    for sign in (1, -1):
        if sign < 0 and p.slack(c) < 1:
            break
        found = _search(p, c, sign, cap)
        if found is not None:
            best, cap = found, p.new(found)
            if not cap:
                break
    return best


def _search(p, c: int, sign: int, cap: int) -> dict[int, int] | None:
    co, cr, cc, hidden = p.co, p.cr, p.cc, p.hidden
    delta: dict[int, int] = {}
    imb: dict[int, int] = {}  # open relation -> sum of coefficient * delta (non-zero)
    cost = 0  # cells of delta not yet withheld

    def apply(u: int, d: int) -> None:
        nonlocal cost
        was = delta.get(u, 0)
        if not hidden[u]:
            cost += bool(was + d) - bool(was)
        if was + d:
            delta[u] = was + d
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
    if cost >= cap:
        return None
    frames: list[list] = []  # [candidates, next to try, (cell, change) applied or None]
    for _ in range(BUDGET):
        if not imb:
            return delta
        pick, fewest = -1, 3
        for r, e in imb.items():  # a dead end or a forced change first, else the oldest
            n = _usable(p, r, e, delta, min(fewest, 2))
            if n < fewest:
                pick, fewest = r, n
                if n == 0:
                    break
        frames.append([_candidates(p, pick, imb[pick], delta, imb), 0, None])
        while frames:
            f = frames[-1]
            if f[2] is not None:
                apply(f[2][0], -f[2][1])
                f[2] = None
            while f[1] < len(f[0]) and f[2] is None:
                _, u, d = f[0][f[1]]
                f[1] += 1
                apply(u, d)
                if cost < cap:
                    f[2] = (u, d)
                else:
                    apply(u, -d)
            if f[2] is not None:
                break
            frames.pop()
        else:
            return None
    return delta if not imb else None


def _usable(p, r: int, e: int, delta: dict, limit: int) -> int:
    """How many cells can cancel relation ``r`` (counting stops at ``limit``)."""
    rm, rc, hidden, values, floor = p.rm, p.rc, p.hidden, p.values, p.floor
    n = 0
    for j in range(p.ro[r], p.ro[r + 1]):
        u, a = rm[j], rc[j]
        if u in delta or e % a:
            continue
        v = values[u]
        # a zero is never newly withheld; a cell going down stays at or above its floor
        if (v or hidden[u]) and (e * a < 0 or v - floor[u] >= e // a):
            n += 1
            if n >= limit:
                break
    return n


def _candidates(p, r: int, e: int, delta: dict, imb: dict) -> list:
    """The cells that can cancel relation ``r``'s imbalance ``e``, best first."""
    co, cr, cc, rm, rc, hidden, values, floor = (
        p.co,
        p.cr,
        p.cc,
        p.rm,
        p.rc,
        p.hidden,
        p.values,
        p.floor,
    )
    out = []
    for j in range(p.ro[r], p.ro[r + 1]):
        u, a = rm[j], rc[j]
        if u in delta or e % a:
            continue
        d = -e // a
        v = values[u]
        if not (v or hidden[u]) or (d < 0 and v - floor[u] < -d):
            continue
        net = 0  # change of the open imbalance in u's other relations
        for k in range(co[u], co[u + 1]):
            if cr[k] != r:
                was = imb.get(cr[k], 0)
                net += abs(was + cc[k] * d) - abs(was)
        new = not hidden[u]
        out.append((new + net, new, (v, a < 0) if new else (0, 0), u, d))
    out.sort()
    return [(score, u, d) for *score, u, d in out]
