"""Applying the disclosure decision (``protect``): every withheld cell becomes ``WITHHELD``
in the tables and the site's figures."""

from __future__ import annotations

from .columns import WITHHELD

_PLACE_COLUMNS = {"households": "households", "paired": "households_paired"}
_PLACE_TABLE = {"village": "villages", "township": "townships", "county": "counties"}


_ROW_COLUMN = {  # the column of a plan's or an entries row's cell (the other columns go by row)
    "entries_row": "amount_yuan",
    "plan_target": "households",
    "target_households": "target_households",
    "delivered": "delivered_amount_yuan",
}


def apply(agg, withheld: frozenset, table_rows: dict[tuple, dict]) -> None:
    """Replace every withheld cell by ``WITHHELD`` in the tables and the site's figures;
    ``table_rows``: the row of each plan's and entries row's cell (``_Cells.rows``)."""
    if not withheld:
        return
    t, f = agg.tables, agg.figs
    rows = {name: {r.get("id"): r for r in t[name].rows} for name in _PLACE_TABLE.values()}
    cells = {"village": f.village, "township": f.township, "county": f.county}
    for key in withheld:
        kind = key[0]
        if kind in ("entries_row", "plan_target", "plan"):
            table_rows[key][_ROW_COLUMN[key[2] if kind == "plan" else kind]] = WITHHELD
            continue
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
