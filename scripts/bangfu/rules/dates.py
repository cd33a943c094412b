"""Dates are ordered: periods run forward, reports sit inside their plan, entries inside
their report, procedure steps follow each other, and nothing is recorded in the future."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..codes import (
    DATE_IN_FUTURE,
    DATE_OUT_OF_ORDER,
    DATE_OUTSIDE_PARENT,
    DATE_PERIOD_REVERSED,
    DATE_SUBMITTED_EARLY,
    REPORT_PERIOD_LABEL,
)
from ..findings import Finding
from ..model import Model
from .base import at, date_of, period_of


def _reversed(rec, parts, value) -> Iterator[Finding]:
    if isinstance(value, dict):
        s, e = date_of(value.get("start")), date_of(value.get("end"))
        if s and e and e < s:
            yield at(
                rec,
                DATE_PERIOD_REVERSED,
                tuple(parts) + ("end",),
                f"结束日期 {e} 早于开始日期 {s}",
            )


def label_period(label: str) -> tuple[dt.date, dt.date] | None:
    """The dates a report label covers: 2020-04, 2020-W18 (ISO week), 2020-Q2."""
    try:
        year = int(label[:4])
        rest = label[5:]
        if rest.startswith("W"):
            start = dt.date.fromisocalendar(year, int(rest[1:]), 1)
            return start, start + dt.timedelta(days=6)
        if rest.startswith("Q"):
            q = int(rest[1:])
            start = dt.date(year, 3 * q - 2, 1)
            end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
            return start, end
        month = int(rest)
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        return start, end
    except ValueError:
        return None


def check(model: Model, ctx) -> Iterator[Finding]:
    today = ctx.as_of
    for rec in model.records:
        d = rec.data
        if rec.kind is None or not isinstance(d, dict):
            continue
        if "period" in d:
            yield from _reversed(rec, ("period",), d["period"])
        if rec.kind == "campaign":
            for i, ph in enumerate(d.get("phases") or []):
                if isinstance(ph, dict):
                    yield from _reversed(rec, ("phases", i), ph)
        elif rec.kind == "plan":
            yield from _plan(model, rec, d)
        elif rec.kind == "household":
            yield from _household(rec, d, today)
        elif rec.kind == "report":
            yield from _report(model, rec, d, today)


def _plan(model: Model, rec, d) -> Iterator[Finding]:
    """A plan runs inside its campaign's period (a campaign may state only one end)."""
    period = period_of(d.get("period"))
    camp = model.get("campaign", d.get("campaign")) if isinstance(d.get("campaign"), str) else None
    cp = camp.data.get("period") if camp and isinstance(camp.data, dict) else None
    if period is None or camp is None or not isinstance(cp, dict):
        return
    cs, ce = date_of(cp.get("start")), date_of(cp.get("end"))
    if cs and ce and ce < cs:  # reported on the campaign as date.period-reversed
        return
    if (cs and period[0] < cs) or (ce and period[1] > ce):
        span = f"{cs or '（未写明）'} 至 {ce or '（未写明）'}"
        yield at(
            rec,
            DATE_OUTSIDE_PARENT,
            ("period",),
            f"方案期间 {period[0]} 至 {period[1]} 超出专项行动 {camp.id} 的期间 {span}",
        )


def _household(rec, d, today) -> Iterator[Finding]:
    income = d.get("income")
    if (
        isinstance(income, dict)
        and isinstance(income.get("year"), int)
        and income["year"] > today.year
    ):
        yield at(rec, DATE_IN_FUTURE, ("income", "year"), f"收入年度还没到（今天是 {today}）")
    ident = d.get("identification")
    steps = ident.get("steps") if isinstance(ident, dict) else None
    prev = None
    for i, st in enumerate(steps or []):
        if not isinstance(st, dict):
            continue
        day = date_of(st.get("date"))
        until = date_of(st.get("until"))
        if day and day > today:
            yield at(
                rec,
                DATE_IN_FUTURE,
                ("identification", "steps", i, "date"),
                f"第 {i + 1} 步的日期在未来（今天是 {today}）",
            )
        if day and until and until < day:
            yield at(
                rec,
                DATE_PERIOD_REVERSED,
                ("identification", "steps", i, "until"),
                f"第 {i + 1} 步的截止日期早于它的日期",
            )
        if day and prev and day < prev:
            yield at(
                rec,
                DATE_OUT_OF_ORDER,
                ("identification", "steps", i, "date"),
                f"第 {i + 1} 步的日期早于上一步骤的日期",
            )
        prev = day or prev


def _report(model: Model, rec, d, today) -> Iterator[Finding]:
    period = period_of(d.get("period"))
    label = d.get("id")
    if period and isinstance(label, str):
        covered = label_period(label)
        if covered and not (covered[0] <= period[0] and period[1] <= covered[1]):
            yield at(
                rec,
                REPORT_PERIOD_LABEL,
                ("period",),
                f"报送期 {label} 覆盖 {covered[0]} 至 {covered[1]}，报告期间却是 {period[0]} 至 {period[1]}",
            )
    submitted = date_of(d.get("submitted"))
    if submitted and submitted > today:
        yield at(rec, DATE_IN_FUTURE, ("submitted",), f"报送日期 {submitted} 在未来")
    if submitted and period and submitted < period[0]:
        yield at(
            rec,
            DATE_SUBMITTED_EARLY,
            ("submitted",),
            f"报送日期 {submitted} 早于报告期开始 {period[0]}",
        )
    plan = model.get("plan", d.get("plan")) if isinstance(d.get("plan"), str) else None
    plan_period = period_of(plan.data.get("period")) if plan else None
    if period and plan_period and not (plan_period[0] <= period[0] and period[1] <= plan_period[1]):
        yield at(
            rec,
            DATE_OUTSIDE_PARENT,
            ("period",),
            f"报告期间 {period[0]} 至 {period[1]} 超出方案期间 {plan_period[0]} 至 {plan_period[1]}",
        )
    for i, e in enumerate(d.get("entries") or []):
        if not isinstance(e, dict):
            continue
        day = date_of(e.get("date"))
        if day is None:
            continue
        if day > today:
            yield at(
                rec, DATE_IN_FUTURE, ("entries", i, "date"), f"条目日期在未来（今天是 {today}）"
            )
        elif period and not (period[0] <= day <= period[1]):
            yield at(
                rec,
                DATE_OUTSIDE_PARENT,
                ("entries", i, "date"),
                f"条目日期不在报告期间 {period[0]} 至 {period[1]} 内",
            )
