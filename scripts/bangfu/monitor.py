"""Monitoring figures: overdue revisits, warning tiers and report timeliness.

Every interval and cadence comes from the records (``data/policy/`` and each campaign's
``reporting``); "today" is passed in, never read from the clock.

Rules, in plain words:

* **Revisit** — a household under monitoring (status 风险未消除 / 风险已消除 / 稳定脱贫;
  退出 is no longer monitored) must be contacted again within ``revisit_days[status]`` of the
  policy that applies to its county in the year of ``as_of``. A contact is a report entry of
  kind 走访, 电话回访 or 慰问 naming the household, dated on or before ``as_of``. The clock
  starts at the last contact; with none, at the household's last identification step; with
  neither, the revisit is due at once. It is overdue when ``due < as_of``.
* **Report deadline** (per expected period of a plan, inside both the plan's and its
  campaign's period, not after ``as_of``):

  - 每月: the period is a calendar month (only ``months`` when the campaign lists them);
    due on ``day_of_month`` of the following month (the last day of the following month when
    no day is given, and the last day of a shorter month when the day does not exist).
  - 每周: the period is an ISO week (Monday–Sunday); due on the first ``weekday`` after the
    week ends (Tuesday when none is given). Reports carry a date only, so ``time`` cannot be
    checked: a report dated on the deadline day counts as on time.
  - 每季度: the period is a calendar quarter; due on ``day_of_month`` of the month after the
    quarter (the last day of that month when no day is given).

  A report belongs to the period its label (``2020-04``, ``2020-W18``, ``2020-Q2``) names;
  a report with no entries counts only when it declares ``no_activity`` with a reason, and a
  skeleton still holding 待填写 never counts (``rules.records.counts_as_filed``).
  Each period is 按时 (submitted ≤ due), 逾期 (submitted later), 未报 (no report and
  ``due < as_of``) or 未到期 (no report yet, ``due ≥ as_of``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .model import Model
from .policy import PolicyIndex
from .rules.base import date_of, period_of
from .rules.dates import label_period
from .rules.records import counts_as_filed

CONTACT_KINDS = frozenset({"走访", "电话回访", "慰问"})
MONITORED = ("风险未消除", "风险已消除", "稳定脱贫")
TIERS = ("红", "橙", "黄")
INACTIVE_PLAN = frozenset({"草拟", "已终止"})  # any other status, or none, is active
TIMELY = ("按时", "逾期", "未报", "未到期")


@dataclass(slots=True)
class Revisit:
    household: str
    village: str
    county: str
    status: str
    last_contact: dt.date | None
    due: dt.date
    days_overdue: int
    interval: int = 0  # revisit_days for the status
    start: dt.date | None = None  # when the clock started without any contact
    contacts: tuple = ()  # dates of contacts on or before as_of


@dataclass(slots=True)
class PeriodReport:
    plan: str
    label: str
    start: dt.date
    end: dt.date
    due: dt.date
    submitted: dt.date | None
    state: str


@dataclass
class Status:
    as_of: dt.date
    revisits: list[Revisit] = field(default_factory=list)  # every monitored household
    tiers: dict[str, Counter] = field(default_factory=dict)  # county → tier → households
    periods: list[PeriodReport] = field(default_factory=list)
    by_org: dict[str, Counter] = field(default_factory=dict)  # organization → state → periods

    @property
    def overdue(self) -> list[Revisit]:
        return [r for r in self.revisits if r.days_overdue > 0]


def _add_days(d: dt.date, days: int) -> dt.date:
    return d + dt.timedelta(days=days)


def _clamp_day(year: int, month: int, day: int | None) -> dt.date:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day or last, last))


def _next_month(d: dt.date) -> tuple[int, int]:
    return (d.year + (d.month == 12), d.month % 12 + 1)


def contacts(model: Model, as_of: dt.date) -> dict[str, list[dt.date]]:
    """household id → sorted dates of contacts (走访/电话回访/慰问) on or before ``as_of``."""
    out: dict[str, list[dt.date]] = defaultdict(list)
    for reps in model.reports_by_plan.values():
        for rep in reps:
            for e in (rep.data or {}).get("entries") or []:
                if not isinstance(e, dict) or e.get("kind") not in CONTACT_KINDS:
                    continue
                d = date_of(e.get("date"))
                if d and d <= as_of and isinstance(e.get("household"), str):
                    out[e["household"]].append(d)
    for v in out.values():
        v.sort()
    return out


def _ident_date(d: dict) -> dt.date | None:
    ident = d.get("identification")
    steps = ident.get("steps") if isinstance(ident, dict) else None
    dates = [date_of(s.get("date")) for s in steps or [] if isinstance(s, dict)]
    dates = [x for x in dates if x]
    return max(dates) if dates else None


def next_due(last: dt.date | None, start: dt.date | None, days: int, as_of: dt.date) -> dt.date:
    base = last or start
    return _add_days(base, days) if base else as_of - dt.timedelta(days=1)


def revisits(model: Model, as_of: dt.date, contact_dates=None) -> list[Revisit]:
    """One row per monitored household, sorted by county, village, household id."""
    policies = PolicyIndex(model)
    contact_dates = contacts(model, as_of) if contact_dates is None else contact_dates
    out = []
    for rec in model.by_kind["household"].values():
        d = rec.data
        status = d.get("status")
        village = d.get("village")
        county = model.county_of_village(village) if isinstance(village, str) else None
        if status not in MONITORED or county is None:
            continue
        pol = policies.for_county(county, as_of.year)
        days = (pol.revisit_days or {}).get(status) if pol else None
        if not isinstance(days, int):
            continue
        dates = contact_dates.get(rec.id) or []
        last = dates[-1] if dates else None
        start = _ident_date(d)
        due = next_due(last, start, days, as_of)
        out.append(
            Revisit(
                rec.id,
                village,
                county,
                status,
                last,
                due,
                max(0, (as_of - due).days),
                days,
                start,
                tuple(dates),
            )
        )
    out.sort(key=lambda r: (r.county, r.village, r.household))
    return out


def tiers(model: Model) -> dict[str, Counter]:
    """county → warning tier → households still monitored (status other than 退出)."""
    out: dict[str, Counter] = defaultdict(Counter)
    for rec in model.by_kind["household"].values():
        d = rec.data
        county = (
            model.county_of_village(d.get("village")) if isinstance(d.get("village"), str) else None
        )
        if county and d.get("status") != "退出" and d.get("warning_tier") in TIERS:
            out[county][d["warning_tier"]] += 1
    return dict(sorted(out.items()))


def expected_periods(
    reporting: dict, start: dt.date, end: dt.date
) -> list[tuple[str, dt.date, dt.date, dt.date]]:
    """(label, period start, period end, due) for every reporting period that ends inside
    [start, end]. See the module docstring for the deadline rule."""
    cadence = reporting.get("cadence")
    out = []
    if cadence == "每周":
        weekday = reporting.get("weekday") or 2
        d = start - dt.timedelta(days=start.weekday())
        while d <= end:
            pend = d + dt.timedelta(days=6)
            if pend >= start:
                y, w, _ = d.isocalendar()
                due = pend + dt.timedelta(days=(weekday - 1 - pend.weekday()) % 7 or 7)
                out.append((f"{y}-W{w:02d}", d, pend, due))
            d += dt.timedelta(days=7)
    elif cadence in ("每月", "每季度"):
        step = 1 if cadence == "每月" else 3
        months = set(reporting.get("months") or range(1, 13)) if step == 1 else None
        y, m = start.year, (start.month if step == 1 else 3 * ((start.month - 1) // 3) + 1)
        while dt.date(y, m, 1) <= end:
            pstart = dt.date(y, m, 1)
            ey, em = y + (m + step - 1 > 12), (m + step - 2) % 12 + 1
            pend = _clamp_day(ey, em, None)
            ny, nm = _next_month(pend)
            due = _clamp_day(ny, nm, reporting.get("day_of_month"))
            if months is None or m in months:
                label = f"{y}-{m:02d}" if step == 1 else f"{y}-Q{(m - 1) // 3 + 1}"
                out.append((label, pstart, pend, due))
            y, m = (y + (m + step > 12), (m + step - 1) % 12 + 1)
    return out


def report_periods(model: Model, as_of: dt.date) -> list[PeriodReport]:
    """Every expected reporting period of every active plan, with its state."""
    out = []
    for pid in sorted(model.ids("plan")):
        plan = model.get("plan", pid).data
        if plan.get("status") in INACTIVE_PLAN:
            continue
        camp = (
            model.get("campaign", plan.get("campaign"))
            if isinstance(plan.get("campaign"), str)
            else None
        )
        reporting = (camp.data.get("reporting") if camp else None) or {}
        pp = period_of(plan.get("period"))
        if not pp or not reporting.get("cadence"):
            continue
        start, end = pp
        cp = period_of(camp.data.get("period")) if camp else None
        if cp:
            start, end = max(start, cp[0]), min(end, cp[1])
        submitted: dict[str, dt.date | None] = {}
        for rep in model.reports_by_plan.get(pid, []):
            label = (rep.data or {}).get("id")
            if not counts_as_filed(rep.data):  # an empty skeleton is not a report
                continue
            if isinstance(label, str) and label_period(label):
                submitted[label] = date_of(rep.data.get("submitted"))
        for label, ps, pe, due in expected_periods(reporting, start, end):
            if ps > as_of:
                continue
            sub = submitted.get(label)
            if label in submitted:
                state = "按时" if sub is not None and sub <= due else "逾期"
            else:
                state = "未报" if due < as_of else "未到期"
            out.append(PeriodReport(pid, label, ps, pe, due, sub, state))
    return out


def compute(model: Model, as_of: dt.date) -> Status:
    st = Status(as_of=as_of)
    st.revisits = revisits(model, as_of)
    st.tiers = tiers(model)
    st.periods = report_periods(model, as_of)
    by_org: dict[str, Counter] = defaultdict(Counter)
    for p in st.periods:
        for org in model.get("plan", p.plan).data.get("organizations") or []:
            by_org[org][p.state] += 1
    st.by_org = dict(sorted(by_org.items()))
    return st


def timeliness_text(c: Counter) -> str:
    """e.g. "按时 5 / 逾期 1 / 未报 2"; zero states left out."""
    parts = [f"{k} {c[k]}" for k in TIMELY if c.get(k)]
    return " / ".join(parts) if parts else "无需报送"


def as_json(model: Model, st: Status) -> dict:
    def name(kind, id_):
        rec = model.get(kind, id_)
        return rec.data.get("name", id_) if rec else id_

    return {
        "as_of": st.as_of.isoformat(),
        "overdue_revisits": [
            {
                "household": r.household,
                "village": r.village,
                "county": r.county,
                "status": r.status,
                "last_contact": r.last_contact.isoformat() if r.last_contact else None,
                "due": r.due.isoformat(),
                "days_overdue": r.days_overdue,
            }
            for r in st.overdue
        ],
        "monitored_households": len(st.revisits),
        "warning_tiers": {c: {t: n[t] for t in TIERS} for c, n in st.tiers.items()},
        "report_timeliness": {
            o: {"name": name("organization", o), **{k: c[k] for k in TIMELY}}
            for o, c in st.by_org.items()
        },
    }


def as_text(model: Model, st: Status) -> str:
    def vname(vid):
        v = model.villages.get(vid)
        return v.name if v else vid

    def cname(cid):
        rec = model.get("county", cid)
        return rec.data.get("name", cid) if rec else cid

    lines = [
        f"统计日期：{st.as_of.isoformat()}",
        "",
        f"逾期未回访：{len(st.overdue)} 户（共监测 {len(st.revisits)} 户）",
    ]
    for r in st.overdue:
        last = r.last_contact.isoformat() if r.last_contact else "从未回访"
        lines.append(
            f"  {r.household}  {cname(r.county)}{vname(r.village)}  {r.status}  "
            f"上次 {last}  应于 {r.due.isoformat()}  逾期 {r.days_overdue} 天"
        )
    lines += ["", "预警等级（未退出的户）："]
    if not st.tiers:
        lines.append("  （无）")
    for c, n in st.tiers.items():
        lines.append(f"  {cname(c)}：" + "，".join(f"{t} {n[t]}" for t in TIERS))
    lines += ["", "报送及时性（按帮扶主体，按期计）："]
    if not st.by_org:
        lines.append("  （无）")
    for o, c in st.by_org.items():
        rec = model.get("organization", o)
        lines.append(f"  {o}  {rec.data.get('name', o) if rec else o}：{timeliness_text(c)}")
    return "\n".join(lines) + "\n"
