"""Micro-benchmark of ``bangfu.disclosure.protect`` on a synthetic product table.

geography (total → counties → townships → villages) × months (year → 12) × categories (all → 7),
one additive measure (e.g. households with an entry in the month), random small leaf values.
Usage: PYTHONPATH=scripts python tools/bench_disclosure.py [counties] [townships] [villages] [seed]
Prints cells, relations, withheld cells, strategy counts, time and peak memory (synthetic data).
"""

from __future__ import annotations

import random
import resource
import sys
import time

from bangfu.disclosure import Cell, Protector, Relation


def leaf_value(rng: random.Random) -> int:
    r = rng.random()
    return 0 if r < 0.55 else rng.randint(1, 4) if r < 0.85 else rng.randint(5, 25)


def build(counties: int, townships: int, villages: int, seed: int):
    rng = random.Random(seed)
    geo = {"all": []}  # node -> children
    for c in range(counties):
        cn = f"c{c}"
        geo["all"].append(cn)
        geo[cn] = []
        for t in range(townships):
            tn = f"{cn}t{t}"
            geo[cn].append(tn)
            geo[tn] = [f"{tn}v{v}" for v in range(villages)]
            for v in geo[tn]:
                geo[v] = []
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    time_ = {"2024": months, **{m: [] for m in months}}
    cats = [f"k{i}" for i in range(7)]
    cat = {"all": cats, **{k: [] for k in cats}}
    vals: dict = {}

    def value(g, m, k):
        key = ("progress", "entries", g, m, k)
        if key not in vals:
            if geo[g]:
                vals[key] = sum(value(ch, m, k) for ch in geo[g])
            elif time_[m]:
                vals[key] = sum(value(g, ch, k) for ch in time_[m])
            elif cat[k]:
                vals[key] = sum(value(g, m, ch) for ch in cat[k])
            else:
                vals[key] = leaf_value(rng)
        return vals[key]

    cells, rels = {}, []
    for g in geo:
        for m in time_:
            for k in cat:
                key = ("progress", "entries", g, m, k)
                v = value(g, m, k)
                cells[key] = Cell(key, v, v)
                for i, tree in ((2, geo), (3, time_), (4, cat)):
                    node = key[i]
                    if tree[node]:
                        parts = tuple(key[:i] + (ch,) + key[i + 1 :] for ch in tree[node])
                        rels.append(Relation(key, parts))
    return cells, rels


def main() -> None:
    args = [int(a) for a in sys.argv[1:]] + [50, 10, 20, 1][len(sys.argv) - 1 :]
    counties, townships, villages, seed = args[:4]
    cells, rels = build(counties, townships, villages, seed)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    w0, t0 = time.perf_counter(), time.process_time()
    p = Protector(cells, rels)
    t1 = time.process_time()
    hidden = p.run(5)
    w2, t2 = time.perf_counter(), time.process_time()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    primary = sum(1 for c in cells.values() if 0 < c.households < 5)
    print(
        f"cells {len(cells):,}  relations {len(rels):,}  primary {primary:,}  withheld {len(hidden):,}"
    )
    print(f"strategies {p.stats}")
    print(f"CPU: index {t1 - t0:.1f} s, protect {t2 - t1:.1f} s (wall {w2 - w0:.1f} s in all)")
    print(
        f"peak RSS: {rss0 / 1024:.0f} MB after building the input, {rss1 / 1024:.0f} MB after protect"
    )


if __name__ == "__main__":
    main()
