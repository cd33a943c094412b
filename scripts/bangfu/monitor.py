"""Monitoring rules in words, the reporting calendar, and the status's shapes and texts.

The figures themselves (revisits, tiers, timeliness) are defined once, in SQL, by
``bangfu.aggregate`` (``figures.sql``); ``aggregate.status.read`` fills ``Status``.

Every interval and cadence comes from the records (``data/policy/`` and each campaign's
``reporting``); "today" is passed in, never read from the clock.

Rules, in plain words:

* **Snapshot** — every figure is of the households on ``as_of``: a household counts from its
  identification (its first identification step); one identified after ``as_of`` is left out
  (``bangfu status`` says how many), one with no identification date cannot be placed in time
  and is counted but named (台账中无记录 of its date), and one whose exit notice falls after
  ``as_of`` was still monitored that day (its status before the exit is not recorded, so no
  revisit interval applies to it). Status and tier are as recorded: the ledger keeps no
  history of them.

* **Revisit** — a household under monitoring (status 风险未消除 / 风险已消除 / 稳定脱贫;
  退出 is no longer monitored) must be contacted again within ``revisit_days[status]`` of the
  policy that applies to its county in the year of ``as_of``. A contact is a report entry of
  kind 走访, 电话回访 or 慰问 naming the household, dated on or before ``as_of``. The clock
  starts at the last contact; with none, at the household's last identification step; with
  neither, the revisit is due at once. It is overdue when ``due < as_of``.
* **Report deadline** (per expected period of a plan, inside both the plan's and its
  campaign's period, not after ``as_of``). Whether a period's report is due inside the period
  or after it is data: the campaign's ``reporting.due_period`` (本期 / 下一期). A campaign that
  does not say has no deadline to judge against, so no period of it is judged.

  - 每月: the period is a calendar month (only ``months`` when the campaign lists them);
    due on ``day_of_month`` of the same month (本期) or of the following month (下一期) — the
    last day of that month when no day is given, or when the day does not exist.
  - 每周: the period is an ISO week (Monday–Sunday); due on ``weekday`` (Tuesday when none is
    given) of the same week (本期) or of the following week (下一期), at ``time`` when given.
    A report whose ``submitted_time`` is recorded is compared to that time on the deadline
    day; a report with a date only is compared by date (the deadline day counts as on time).
  - 每季度: the period is a calendar quarter; due on ``day_of_month`` of its last month (本期)
    or of the month after it (下一期).

  A report belongs to the period its label (``2020-04``, ``2020-W18``, ``2020-Q2``) names.
  Timeliness is judged only for what the ledger tracks: the periods that begin on or after
  the plan's ``reports_tracked_from`` (else the campaign's, else the start of the period of
  the plan's first recorded report). Earlier periods — and every period of a plan with no
  tracking date and no report — are 台账中无记录, never 未报: an obligation alone is not
  evidence that a report is missing. A tracked period is 按时 (submitted by the deadline),
  逾期 (submitted later), 未报 (no report and the deadline has passed) or 未到期.
  A report with no entries counts only when it declares ``no_activity`` with a reason, and a
  skeleton still holding 待填写 never counts (``rules.records.counts_as_filed``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from .recorded import NOT_RECORDED_LABEL

WEEKDAYS = "一二三四五六日"
CONTACT_KINDS = frozenset({"走访", "电话回访", "慰问"})
MONITORED = ("风险未消除", "风险已消除", "稳定脱贫")
TIERS = ("红", "橙", "黄")
TIMELY = ("按时", "逾期", "未报", "未到期")  # states of a tracked period
# the snapshot's figures per place (``figures.sql`` status_place), in the order shown
PLACE_FIGURES = (
    "monitored",
    "exited",
    "undated",
    "identified_later",
    "overdue",
    "red",
    "orange",
    "yellow",
    "no_household_plan",
    "visit_gap",
    "gradual_ended",
)
UNTRACKED = NOT_RECORDED_LABEL  # a period before the ledger tracks the plan's reports
DUE_IN_PERIOD, DUE_AFTER_PERIOD = "本期", "下一期"


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
    due_time: str | None = None  # "18:00" when the campaign gives a time
    submitted_time: str | None = None  # "17:59" when the report records one

    @property
    def deadline_text(self) -> str:
        return self.due.isoformat() + (f" {self.due_time}" if self.due_time else "")

    @property
    def submitted_text(self) -> str:
        if self.submitted is None:
            return "—"
        return self.submitted.isoformat() + (
            f" {self.submitted_time}" if self.submitted_time else ""
        )


@dataclass
class Status:
    as_of: dt.date
    revisits: list[Revisit] = field(default_factory=list)  # every monitored household
    tiers: dict[str, Counter] = field(default_factory=dict)  # county → tier → households
    periods: list[PeriodReport] = field(default_factory=list)
    by_org: dict[str, Counter] = field(default_factory=dict)  # organization → state → periods
    households_recorded: bool = False  # the ledger holds at least one household record
    monitored: int | None = None  # households not exited (the site's 监测户); None: 台账中无记录
    # (county, township or None) → PLACE_FIGURES → households (None: 台账中无记录)
    places: dict[tuple, dict] = field(default_factory=dict)
    # (county, township or None) → organization ("" for all) → state → report periods
    place_periods: dict[tuple, dict[str, Counter]] = field(default_factory=dict)

    @property
    def overdue(self) -> list[Revisit]:
        return [r for r in self.revisits if r.days_overdue > 0]


def _clamp_day(year: int, month: int, day: int | None) -> dt.date:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day or last, last))


def _next_month(d: dt.date) -> tuple[int, int]:
    return (d.year + (d.month == 12), d.month % 12 + 1)


def expected_periods(
    reporting: dict, start: dt.date, end: dt.date
) -> list[tuple[str, dt.date, dt.date, dt.date]]:
    """(label, period start, period end, due) for every reporting period that ends inside
    [start, end]. See the module docstring for the deadline rule; a campaign without
    ``due_period`` has no deadline, hence no periods to judge."""
    cadence = reporting.get("cadence")
    due = reporting.get("due_period")
    shift = {DUE_IN_PERIOD: 0, DUE_AFTER_PERIOD: 1}.get(due) if isinstance(due, str) else None
    out: list[tuple[str, dt.date, dt.date, dt.date]] = []
    if shift is None:
        return out
    if cadence == "每周":
        weekday = reporting.get("weekday") or 2
        d = start - dt.timedelta(days=start.weekday())
        while d <= end:
            pend = d + dt.timedelta(days=6)
            if pend >= start:
                y, w, _ = d.isocalendar()
                due = d + dt.timedelta(days=7 * shift + weekday - 1)
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
            dy, dm = _next_month(pend) if shift else (pend.year, pend.month)
            due = _clamp_day(dy, dm, reporting.get("day_of_month"))
            if months is None or m in months:
                label = f"{y}-{m:02d}" if step == 1 else f"{y}-Q{(m - 1) // 3 + 1}"
                out.append((label, pstart, pend, due))
            y, m = (y + (m + step > 12), (m + step - 1) % 12 + 1)
    return out


def timeliness_text(c: Counter) -> str | None:
    """e.g. "按时 5 / 逾期 1 / 未报 2 / 台账中无记录 3"; zero states left out. None when
    every period is 台账中无记录 (nothing to judge); "无需报送" when there is no period."""
    parts = [f"{k} {c[k]}" for k in TIMELY if c.get(k)]
    if not parts:
        return None if c.get(UNTRACKED) else "无需报送"
    if c.get(UNTRACKED):
        parts.append(f"{UNTRACKED} {c[UNTRACKED]}")
    return " / ".join(parts)


def reporting_rule_text(r: dict) -> str:
    """The reporting rule of a campaign in words, from the same fields the deadline uses."""
    cad = r.get("cadence")
    due = r.get("due_period")
    if cad not in ("每周", "每月", "每季度"):
        return "来源没有规定报送周期"
    if due not in (DUE_IN_PERIOD, DUE_AFTER_PERIOD):
        return f"{cad}报送一次；文件未规定截止日，台账不判断是否按时"
    if cad == "每周":
        wd = r.get("weekday") or 2
        t = f" {r['time']}" if r.get("time") else ""
        week = "当周" if due == DUE_IN_PERIOD else "下一周"
        return f"每周报送一次，一周（星期一至星期日）的情况在{week}星期{WEEKDAYS[wd - 1]}{t}前报送"
    day = f"{r['day_of_month']} 日" if r.get("day_of_month") else "月底"
    if cad == "每月":
        months = r.get("months")
        span = f"（{min(months)}—{max(months)} 月）" if months else ""
        month = "当月" if due == DUE_IN_PERIOD else "次月"
        return f"每月报送一次{span}，{month} {day}前报送该月情况"
    month = "季度最后一个月" if due == DUE_IN_PERIOD else "季度结束后的下一个月"
    return f"每季度报送一次，{month} {day}前报送该季度情况"
