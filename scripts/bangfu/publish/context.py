"""Everything the page generators share: the model, the monitoring status, the figures,
the public tables, and how to name and link places and records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..aggregate.cells import Figures
from ..aggregate.columns import WITHHELD
from ..model import Model
from ..monitor import Status
from ..public import project
from .text import MISSING, number


@dataclass
class SiteContext:
    model: Model
    schemas_dir: Path
    as_of: dt.date
    updated: str  # ISO date-time of the last data change
    synthetic: bool
    threshold: int
    status: Status
    figs: Figures
    tables: dict  # name → aggregate.Table (the open-data extracts)
    _positions: dict = field(default_factory=dict, repr=False, compare=False)

    # ---- rows of the public tables ----------------------------------------------------
    def rows_where(self, table: str, column: str, values) -> list[dict]:
        """The rows of ``table`` whose ``column`` is one of ``values``, in the table's order
        (``values`` None: every row).

        A page of one county or organization reads its own rows through an index of the
        table built once (not a scan of the whole table per page: that grows with pages ×
        rows); the order is the table's, so sums come out as a scan would give them."""
        rows = self.tables[table].rows
        if values is None:
            return rows
        return self._where((table, column), rows, lambda row: row[column], values)

    def periods_of(self, plans) -> list:
        """The reporting periods (``status.periods``) of these plans, in their order."""
        periods = self.status.periods
        return self._where(("status.periods", "plan"), periods, lambda p: p.plan, plans)

    def _where(self, key: tuple, items: list, get, values) -> list:
        if key not in self._positions:
            at: dict = {}
            for i, item in enumerate(items):
                at.setdefault(get(item), []).append(i)
            self._positions[key] = at
        at = self._positions[key]
        return [items[i] for i in sorted(i for v in set(values) for i in at.get(v, ()))]

    # ---- public views -------------------------------------------------------------
    def pub(self, kind: str, id_: str) -> dict:
        rec = self.model.get(kind, id_)
        return project(self.schemas_dir, kind, rec.data) if rec else {}

    def count(self, n) -> str:
        """A household count as shown on a page: ``WITHHELD`` (disclosure control, decided
        in ``bangfu.aggregate.protect``) as the marker; None, 台账中无记录, as ``MISSING``."""
        return number(n)

    def share(self, part, whole) -> str:
        if whole is None or part is None:
            return MISSING
        if not whole or whole is WITHHELD or part is WITHHELD:
            return "—"
        return f"{100 * part / whole:.0f}%"

    def data(self, kind: str, id_: str) -> dict:
        """The parsed data of a record known to exist (an id from ``model.ids``)."""
        return self.model.by_kind[kind][id_].data

    # ---- names ----------------------------------------------------------------------
    def name(self, kind: str, id_: str) -> str:
        rec = self.model.get(kind, id_)
        name = rec.data.get("name") if rec and isinstance(rec.data, dict) else None
        return str(name) if name else id_

    def county_name(self, cid: str) -> str:
        return self.name("county", cid)

    def township_name(self, tid: str) -> str:
        t = self.model.townships.get(tid)
        return t.name if t else tid

    def village_name(self, vid: str) -> str:
        v = self.model.villages.get(vid)
        return v.name if v else vid

    def counties(self) -> list[str]:
        """County ids in a stable reading order: province, then id."""
        return sorted(
            self.model.ids("county"),
            key=lambda c: (str(self.data("county", c).get("province", "")), c),
        )

    # ---- links (final .html paths, relative to the page at ``depth``) ---------------
    @staticmethod
    def up(depth: int) -> str:
        return "../" * depth

    def county_href(self, cid: str, depth: int) -> str:
        return f"{self.up(depth)}progress/county/{cid}.html"

    def org_href(self, oid: str, depth: int) -> str:
        return f"{self.up(depth)}orgs/{oid}.html"
