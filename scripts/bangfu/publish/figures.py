"""Figures for the site's pages: coverage of places by plans, and household aggregates at
village, township and county level.

Household counts are summed exactly here and suppressed only when shown (``bangfu.public``),
so a township total is never a sum of already-withheld village cells. Nothing here keeps a
household-level row for output: households are read only to be counted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..model import Model
from ..monitor import CONTACT_KINDS, Status, next_due
from ..rules.base import date_of

INACTIVE_PLAN = frozenset({"草拟", "已终止"})
CATEGORIES = (
    "建档立卡贫困户",
    "脱贫不稳定户",
    "边缘易致贫户",
    "突发严重困难户",
    "低保户",
    "特困供养户",
    "低保边缘户",
)


@dataclass
class Cell:
    """Exact (unsuppressed) figures for one place."""

    households: int = 0
    monitored: int = 0  # status other than 退出
    categories: Counter = field(default_factory=Counter)
    paired: int = 0
    due: int = 0  # revisits due in the statistics month
    done: int = 0  # of those, contacted in the month
    overdue: int = 0
    income_project: int = 0
    planned: float = 0.0
    delivered: float = 0.0
    visits: int = 0  # contact entries in the statistics year
    plans: set = field(default_factory=set)
    orgs: set = field(default_factory=set)
    last_report: dt.date | None = None

    def add(self, o: Cell) -> None:
        for k in (
            "households",
            "monitored",
            "paired",
            "due",
            "done",
            "overdue",
            "income_project",
            "planned",
            "delivered",
            "visits",
        ):
            setattr(self, k, getattr(self, k) + getattr(o, k))
        self.categories.update(o.categories)
        self.plans |= o.plans
        self.orgs |= o.orgs
        if o.last_report and (self.last_report is None or o.last_report > self.last_report):
            self.last_report = o.last_report


@dataclass
class Figures:
    as_of: dt.date
    year: int
    month: tuple[dt.date, dt.date]
    village: dict[str, Cell]
    township: dict[str, Cell]
    county: dict[str, Cell]
    total: Cell
    delivered_year: float = 0.0
    visits_year: int = 0
    plan_delivered: dict[str, float] = field(default_factory=dict)
    plan_last_report: dict[str, dt.date] = field(default_factory=dict)


def active_plans(model: Model) -> list:
    return [
        model.get("plan", p)
        for p in sorted(model.ids("plan"))
        if model.get("plan", p).data.get("status") not in INACTIVE_PLAN
    ]


def _month_bounds(d: dt.date) -> tuple[dt.date, dt.date]:
    start = d.replace(day=1)
    nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def compute(model: Model, status: Status) -> Figures:
    as_of = status.as_of
    # the statistics month and year: those of the latest entry on or before as_of
    latest = None
    entries = []  # (plan, date, household, village, kind, amount, income_project)
    for pid, reps in sorted(model.reports_by_plan.items()):
        for rep in reps:
            for e in (rep.data or {}).get("entries") or []:
                if not isinstance(e, dict):
                    continue
                d = date_of(e.get("date"))
                if d is None or d > as_of:
                    continue
                amt = e.get("amount") if isinstance(e.get("amount"), int | float) else 0
                entries.append(
                    (
                        pid,
                        d,
                        e.get("household"),
                        e.get("village"),
                        e.get("kind"),
                        amt,
                        e.get("income_project") is True,
                    )
                )
                latest = d if latest is None or d > latest else latest
    ref = latest or as_of
    month = _month_bounds(ref)
    village = defaultdict(Cell)
    hh_village: dict[str, str] = {}
    income_hh: set[str] = set()
    for rec in model.by_kind["household"].values():
        d = rec.data
        vid = d.get("village")
        if vid not in model.villages:
            continue
        hh_village[rec.id] = vid
        c = village[vid]
        c.households += 1
        if d.get("status") != "退出":
            c.monitored += 1
            if d.get("category") in CATEGORIES:
                c.categories[d["category"]] += 1
        if isinstance(d.get("income_projects"), int) and d["income_projects"] > 0:
            income_hh.add(rec.id)

    plan_villages: dict[str, list[str]] = {}
    paired: set[str] = set()
    for prec in active_plans(model):
        p = prec.data
        t = p.get("targets") if isinstance(p.get("targets"), dict) else {}
        vids = {v for v in t.get("villages") or [] if v in model.villages}
        hids = [h for h in t.get("households") or [] if h in hh_village]
        paired.update(hids)
        vids |= {hh_village[h] for h in hids}
        plan_villages[prec.id] = sorted(vids)
        planned = sum(
            m.get("amount") or 0
            for m in p.get("measures") or []
            if isinstance(m, dict) and isinstance(m.get("amount"), int | float)
        )
        orgs = set(p.get("organizations") or [])
        for v in vids:
            c = village[v]
            c.plans.add(prec.id)
            c.orgs |= orgs
            c.planned += planned / len(vids)

    plan_delivered: dict[str, float] = defaultdict(float)
    plan_last: dict[str, dt.date] = {}
    for pid, reps in model.reports_by_plan.items():
        for rep in reps:
            sub = date_of((rep.data or {}).get("submitted"))
            if sub and sub <= as_of and (pid not in plan_last or sub > plan_last[pid]):
                plan_last[pid] = sub
    for pid, vids in plan_villages.items():
        if pid in plan_last:
            for v in vids:
                c = village[v]
                if c.last_report is None or plan_last[pid] > c.last_report:
                    c.last_report = plan_last[pid]

    delivered_year, visits_year = 0.0, 0
    for pid, d, hid, vid, kind, amt, inc in entries:
        target = (
            hid_v if (hid_v := hh_village.get(hid)) else (vid if vid in model.villages else None)
        )
        if target is None and len(plan_villages.get(pid, ())) == 1:
            target = plan_villages[pid][0]
        plan_delivered[pid] += amt
        if inc and hid in hh_village:
            income_hh.add(hid)
        if d.year == ref.year:
            delivered_year += amt
            if kind in CONTACT_KINDS:
                visits_year += 1
        if target is None:
            continue
        c = village[target]
        c.delivered += amt
        if kind in CONTACT_KINDS and d.year == ref.year:
            c.visits += 1

    for hid in paired:
        village[hh_village[hid]].paired += 1
    for hid in income_hh:
        village[hh_village[hid]].income_project += 1
    # revisits due in the statistics month: the due date reckoned from the last contact
    # before the month falls on or before its last day; done when contacted in the month
    m0, m1 = month
    for r in status.revisits:
        c = village[r.village]
        if r.days_overdue > 0:
            c.overdue += 1
        before = [x for x in r.contacts if x < m0]
        if next_due(before[-1] if before else None, r.start, r.interval, m0) <= m1:
            c.due += 1
            if any(m0 <= x <= m1 for x in r.contacts):
                c.done += 1

    township: dict[str, Cell] = defaultdict(Cell)
    county: dict[str, Cell] = defaultdict(Cell)
    total = Cell()
    for vid, c in village.items():
        v = model.villages[vid]
        township[v.township].add(c)
        county[v.county].add(c)
        total.add(c)
    return Figures(
        as_of,
        ref.year,
        month,
        dict(village),
        dict(township),
        dict(county),
        total,
        delivered_year,
        visits_year,
        dict(plan_delivered),
        plan_last,
    )
