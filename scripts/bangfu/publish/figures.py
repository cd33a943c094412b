"""Figures for the site's pages: coverage of places by plans, and household aggregates at
village, township and county level.

Household counts are summed exactly here and suppressed only when shown (``bangfu.public``),
so a township total is never a sum of already-withheld village cells. Nothing here keeps a
household-level row for output: households are read only to be counted.

A figure the ledger does not record is ``None`` (台账中无记录), never 0 (``bangfu.recorded``):
household figures where the county has no household record, amounts and visits where no
plan covering the place has a progress report, planned amounts where no measure states one.
Plans count as 执行中 by ``bangfu.recorded.plan_state`` on the as-of date.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..model import Model
from ..monitor import CONTACT_KINDS, Status, next_due
from ..recorded import carried_out, counties_with_households, plan_state, reported_plans
from ..rules.base import date_of, period_of

CATEGORIES = (
    "建档立卡贫困户",
    "脱贫不稳定户",
    "边缘易致贫户",
    "突发严重困难户",
    "低保户",
    "特困供养户",
    "低保边缘户",
)


HOUSEHOLD_FIGURES = (
    "households",
    "monitored",
    "paired",
    "due",
    "done",
    "overdue",
    "income_project",
)
SUMS = (*HOUSEHOLD_FIGURES, "planned", "delivered", "visits")


def plus(a, b):
    """Sum of two figures where None is 台账中无记录: recorded + not recorded = recorded."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


@dataclass
class Cell:
    """Exact (unsuppressed) figures for one place; None = 台账中无记录."""

    households: int | None = None
    monitored: int | None = None  # status other than 退出
    categories: Counter = field(default_factory=Counter)
    paired: int | None = None  # targeted by a plan running on the as-of date
    due: int | None = None  # revisits due in the statistics month
    done: int | None = None  # of those, contacted in the month
    overdue: int | None = None
    income_project: int | None = None
    planned: float | None = None
    delivered: float | None = None
    visits: int | None = None  # contact entries in the statistics year
    plans: set = field(default_factory=set)  # running on the as-of date
    ended: set = field(default_factory=set)  # 已结束 or 已完成 on the as-of date
    orgs: set = field(default_factory=set)  # of running and ended plans
    last_report: dt.date | None = None

    def add(self, o: Cell) -> None:
        for k in SUMS:
            setattr(self, k, plus(getattr(self, k), getattr(o, k)))
        self.categories.update(o.categories)
        self.plans |= o.plans
        self.ended |= o.ended
        self.orgs |= o.orgs
        if o.last_report and (self.last_report is None or o.last_report > self.last_report):
            self.last_report = o.last_report

    def record_households(self) -> None:
        """The ledger holds households of this place's county: its counts start at 0."""
        for k in HOUSEHOLD_FIGURES:
            if getattr(self, k) is None:
                setattr(self, k, 0)


@dataclass
class Figures:
    as_of: dt.date
    year: int
    month: tuple[dt.date, dt.date]
    village: dict[str, Cell]
    township: dict[str, Cell]
    county: dict[str, Cell]
    total: Cell
    delivered_year: float | None = None
    visits_year: int | None = None
    plan_last_report: dict[str, dt.date] = field(default_factory=dict)
    running_plans: list[str] = field(default_factory=list)
    ended_plans: list[str] = field(default_factory=list)  # 已结束 or 已完成
    # (campaign, county) → households targeted by the campaign's carried-out plans
    campaign_paired: dict[tuple[str, str], int] = field(default_factory=dict)
    households_recorded: set[str] = field(default_factory=set)  # counties


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
    recorded = counties_with_households(model)
    for vid, v in model.villages.items():
        if v.county in recorded:
            village[vid].record_households()
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

    reported = reported_plans(model)
    plan_villages: dict[str, list[str]] = {}
    paired: set[str] = set()
    running_ids, ended_ids = [], []
    campaign_hh: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pid in sorted(model.ids("plan")):
        prec = model.get("plan", pid)
        p = prec.data
        if not carried_out(p):
            continue
        state = plan_state(p, as_of)
        is_running = state == "执行中"
        if is_running:
            running_ids.append(pid)
        elif state != "未开始":
            ended_ids.append(pid)
        t = p.get("targets") if isinstance(p.get("targets"), dict) else {}
        vids = {v for v in t.get("villages") or [] if v in model.villages}
        hids = [h for h in t.get("households") or [] if h in hh_village]
        if is_running:
            paired.update(hids)
        if isinstance(p.get("campaign"), str):
            for h in hids:
                campaign_hh[(p["campaign"], model.villages[hh_village[h]].county)].add(h)
        vids |= {hh_village[h] for h in hids}
        plan_villages[pid] = sorted(vids)
        amounts = [
            m["amount"]
            for m in p.get("measures") or []
            if isinstance(m, dict) and isinstance(m.get("amount"), int | float)
        ]
        orgs = set(p.get("organizations") or [])
        for v in vids:
            c = village[v]
            if pid in reported:
                c.delivered = plus(c.delivered, 0)
                c.visits = plus(c.visits, 0)
            if state == "未开始":
                continue
            c.orgs |= orgs
            if not is_running:
                c.ended.add(pid)
                continue
            c.plans.add(pid)
            if amounts:
                c.planned = plus(c.planned, sum(amounts) / len(vids))

    plan_last: dict[str, dt.date] = {}
    year_reported = False  # a report of the statistics year is in the ledger
    for pid, reps in model.reports_by_plan.items():
        for rep in reps:
            sub = date_of((rep.data or {}).get("submitted"))
            if sub and sub <= as_of and (pid not in plan_last or sub > plan_last[pid]):
                plan_last[pid] = sub
            pp = period_of((rep.data or {}).get("period"))
            if pp and pp[0].year <= ref.year <= pp[1].year:
                year_reported = True
    for pid, vids in plan_villages.items():
        if pid in plan_last:
            for v in vids:
                c = village[v]
                if c.last_report is None or plan_last[pid] > c.last_report:
                    c.last_report = plan_last[pid]

    delivered_year = 0.0 if year_reported else None
    visits_year = 0 if year_reported else None
    for pid, d, hid, vid, kind, amt, inc in entries:
        target = (
            hid_v if (hid_v := hh_village.get(hid)) else (vid if vid in model.villages else None)
        )
        if target is None and len(plan_villages.get(pid, ())) == 1:
            target = plan_villages[pid][0]
        if inc and hid in hh_village:
            income_hh.add(hid)
        if d.year == ref.year:
            delivered_year = plus(delivered_year, amt)
            if kind in CONTACT_KINDS:
                visits_year = plus(visits_year, 1)
        if target is None:
            continue
        c = village[target]
        c.delivered = plus(c.delivered, amt)
        c.visits = plus(c.visits, 0)
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
        plan_last,
        running_ids,
        ended_ids,
        {k: len(v) for k, v in sorted(campaign_hh.items())},
        recorded,
    )
