"""The plans' cells of disclosure control, in shares two processes take in turn (``protect``):
a plan's targets by village and in total, its report-entry rows' amounts and its delivered
amount. No identity ties one plan's cells to another's."""

from __future__ import annotations

from collections import defaultdict

from .. import forked
from .protect_cells import Cells, Inputs, exact, reach


class PlanShares:
    """Each plan's rows of the three plan tables (``PLAN_TABLES``), as positions in them, and
    its reach (``Inputs.plan_fig``), the plans in shares of ``SHARE_PLANS``. No identity ties
    one plan's cells to another's, so each share is decided on its own, and the answer for
    all of them is the union of the shares' answers (``protect.withheld_plans``). The two
    processes of ``protect`` take the shares one by one (``counter``) until none is left:
    whichever is free, so neither waits while the other has work. At 500,000 households in
    106 villages the place figures took the second process 0.1 s while the plans' cells took
    the first 24 s; shared out, each process takes 10 s of them."""

    def __init__(self, agg, inp: Inputs, size: int | None = None):
        self.rows = {name: agg.tables[name].rows for name in PLAN_TABLES}
        self.of: dict[str, dict[str, list[int]]] = {name: defaultdict(list) for name in PLAN_TABLES}
        for name, column in PLAN_TABLES.items():
            of = self.of[name]
            for i, row in enumerate(self.rows[name]):
                of[row[column]].append(i)
        self.reach: dict[str, list[tuple]] = defaultdict(list)
        for item in inp.plan_fig:
            self.reach[item[0]].append(item)
        ids = list(dict.fromkeys(plan for of in self.of.values() for plan in of))
        n = size or SHARE_PLANS
        self.shares = [ids[i : i + n] for i in range(0, len(ids), n)]
        self.counter = forked.Counter(shared=forked.can_fork())  # else: taken here alone

    def take(self) -> list[str] | None:
        """The plans of a share no process has taken yet, or None once all are taken."""
        i = self.counter.take(len(self.shares))
        return None if i is None else self.shares[i]


PLAN_TABLES = {"plan_targets": "plan", "plans": "id", "report_entries": "plan"}  # → plan column
SHARE_PLANS = 1000  # plans per share (at 500,000 households, 63 shares of about 21,000 rows)
# a withheld cell's column in its table: a plan's cells by their last part
COLUMN = {
    "plan_target": "households",
    "target_households": "target_households",
    "delivered": "delivered_amount_yuan",
    "entries_row": "amount_yuan",
}

Marks = dict[tuple[str, str], list[int]]  # (table, column) → the rows where it is withheld


def plan_cells(threshold: int, shares: PlanShares, plans) -> Cells:
    """The cells and identities of ``plans`` (a share, or every plan): each plan's targets by
    village and in total, its report-entry rows' amounts and its delivered amount.
    ``Cells.rows`` holds where each cell is in its table: (table, position)."""
    c = Cells(threshold)
    targets_of, plans_of, entries_of = (shares.of[name] for name in PLAN_TABLES)
    t, p, e = (shares.rows[name] for name in PLAN_TABLES)
    for plan in plans:
        targets = []
        for i in targets_of.get(plan, ()):
            row = t[i]
            target = ("plan_target", row["plan"], row["village"])
            c.add(target, exact(row["households"]))
            c.rows[target] = ("plan_targets", i)
            targets.append(target)
        for i in plans_of.get(plan, ()):
            row = p[i]
            total = ("plan", row["id"], "target_households")
            c.add(total, exact(row["target_households"]))
            c.rows[total] = c.rows["plan", row["id"], "delivered"] = ("plans", i)
            c.relate(total, targets, star=True)
        rows_of = []
        for i in entries_of.get(plan, ()):
            row = e[i]
            key = ("entries_row", "amount", row["plan"], row["period"], row["kind"])
            c.add(key, row["amount_yuan"], reach(row, c.t))
            c.rows[key] = ("report_entries", i)
            rows_of.append(key)
        last = plans_of.get(plan)
        if not last:
            continue
        for _, reached, own in shares.reach.get(plan, ()):
            about = reached if not own else max(reached, c.t)
            total = ("plan", plan, "delivered")
            c.add(total, p[last[-1]]["delivered_amount_yuan"], about)
            c.relate(total, rows_of, star=True)
    return c


def marks_of(c: Cells, withheld) -> Marks:
    """Where the withheld plan cells of ``c`` are in their tables (``apply`` withholds them
    there): a few numbers per cell, which a second process sends back at little cost."""
    out: Marks = defaultdict(list)
    for key in withheld:
        table, i = c.rows[key]
        out[table, COLUMN[key[2] if key[0] == "plan" else key[0]]].append(i)
    return dict(out)
