"""Applying the disclosure decision (``protect``): every withheld cell becomes ``WITHHELD``
in the tables and the site's figures."""

from __future__ import annotations

from .columns import WITHHELD
from .protect_plans import Marks

_PLACE_COLUMNS = {"households": "households", "paired": "households_paired"}
_PLACE_TABLE = {"village": "villages", "township": "townships", "county": "counties"}


def apply(agg, withheld: frozenset, marks: list[Marks]) -> None:
    """Replace every withheld cell by ``WITHHELD`` in the tables and the site's figures:
    the plans' cells where ``marks`` put them ((table, column) → rows; ``protect.marks_of``),
    the place, category, tier and campaign cells by key (any other key is an error)."""
    t, f = agg.tables, agg.figs
    for part in marks:
        for (table, column), positions in part.items():
            rows = t[table].rows
            for i in positions:
                rows[i][column] = WITHHELD
    if not withheld:
        return
    rows = {name: {r.get("id"): r for r in t[name].rows} for name in _PLACE_TABLE.values()}
    cells = {"village": f.village, "township": f.township, "county": f.county}
    for key in withheld:
        kind = key[0]
        if kind in ("place", "category"):
            _, measure, level, pid = key
            cell = f.total if level == "total" else cells[level].get(pid)
            if cell is not None and kind == "category":
                cell.categories[measure] = WITHHELD
            elif cell is not None:
                setattr(cell, measure, WITHHELD)
            row = rows.get(_PLACE_TABLE.get(level, ""), {}).get(pid)
            col = _PLACE_COLUMNS.get(measure) if kind == "place" else None
            if row is not None and col:
                row[col] = WITHHELD
            if (
                row is not None
                and kind == "place"
                and measure == "delivered"
                and level == "village"
            ):
                row["amount_yuan"] = WITHHELD
        elif kind == "tier":
            f.tiers[key[1]][key[2]] = WITHHELD
        elif kind == "campaign_paired":
            f.campaign_paired[key[1:]] = WITHHELD
        else:  # a plan's cell comes by its place in its table (``marks``), never by key
            raise ValueError(f"披露控制：无法按键隐去的格子 {key!r}")
