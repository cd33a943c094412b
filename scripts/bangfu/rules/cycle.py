"""The monitoring cycle as the source documents define it: identification, categories and
causes, assistance and visits, the 救助渐退期 and exit.

Every rule reads its parameters from the policy record that applies to the household's
county in its income year (``tiers.policy_of``); a parameter the record does not set turns
the rule off for that region — nothing is borrowed silently. The parameters, their source
sections and the codes they produce:

* ``procedures`` (篇一 six steps; 篇五 seven steps of the low-income path): the household's
  steps hold every step of its procedure, in order — ``ident.step-missing``,
  ``ident.step-order``; a household that does not say which of several procedures it
  followed — ``ident.procedure-unknown``.
* ``exclusions`` / ``exclusion_exception`` (篇一): a household recording an exclusion case is
  refused unless the source allows the 民主评议 exception and the record dates it —
  ``ident.excluded``.
* ``categories``, ``risk_causes`` (篇一, 篇二, 篇五): ``policy.category-not-listed``,
  ``policy.cause-not-listed``.
* ``low_income`` (篇二, 篇九): 低保户 below the 低保 standard, 低保边缘户 between it and its
  multiple, on the income at identification — ``policy.low-income-threshold``.
* ``household_plan`` (spiritual-poverty-work-plans 第三篇: 一户一策): measures recorded, within
  ``within_days`` of the last identification step where set — ``assist.no-household-plan``.
* ``visits`` (第三篇: every poor household visited at least monthly): the gaps between
  contacts, from the last identification step to the as-of date — ``assist.visit-gap``.
* ``gradual_exit_months`` (篇九: 6-month 救助渐退期): ``exit.gradual-ended``.
* ``exit`` (篇一, 篇五): income stably above the line (``stable_income_records``) and every
  guarantee met — ``exit.income-unstable``, ``exit.guarantee-unmet``. The exit notice and
  the current income are judged by ``rules.monitoring``.
* ``exit.procedure`` / ``exit.notice`` (篇五（五）动态退出): the exit steps in order, with the
  notice — ``exit.step-missing``, ``exit.step-order`` (``rules.steps``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator

from ..codes import (
    ASSIST_NO_HOUSEHOLD_PLAN,
    ASSIST_VISIT_GAP,
    EXIT_GRADUAL_ENDED,
    EXIT_GUARANTEE_UNMET,
    EXIT_INCOME_UNSTABLE,
    IDENT_EXCLUDED,
    IDENT_PROCEDURE_UNKNOWN,
    IDENT_STEP_MISSING,
    IDENT_STEP_ORDER,
    POLICY_CATEGORY_NOT_LISTED,
    POLICY_CAUSE_NOT_LISTED,
    POLICY_LOW_INCOME_THRESHOLD,
)
from ..findings import Finding
from ..model import Model
from ..monitor import CONTACT_KINDS
from ..policy import PolicyIndex
from .base import Unplaced, at, date_of
from .steps import compare, exit_procedure, named_steps
from .tiers import _list, _number, households_under, policy_of

EXIT_STEP = "退出公示"
GUARANTEES = {
    "food": "不愁吃",
    "clothing": "不愁穿",
    "medical": "基本医疗有保障",
    "education": "义务教育有保障",
    "housing": "住房安全有保障",
    "drinking_water": "饮水安全有保障",
}


def _dict(v) -> dict:
    return v if isinstance(v, dict) else {}


def check(model: Model, ctx) -> Iterator[Finding]:
    index = PolicyIndex(model)
    contacts = _contacts(model, ctx.as_of)
    for rec in model.by_kind["household"].values():
        d = rec.data
        pol = policy_of(model, index, d)
        if pol is None:
            continue  # rules.monitoring reports the missing line
        yield from _procedure(rec, d, pol)
        yield from _exclusions(rec, d, pol)
        yield from _category(rec, d, pol)
        yield from _low_income(rec, d, pol)
        if d.get("status") == "退出":
            yield from _exit(rec, d, pol, index, model)
            yield from exit_procedure(rec, d, pol)
        else:
            yield from _household_plan(rec, d, pol, ctx.as_of)
            yield from _visits(rec, d, pol, contacts.get(d.get("id"), ()), ctx.as_of)
            yield from _gradual(rec, d, pol, ctx.as_of)


# the findings supervisors follow up, counted per place by ``bangfu status`` (figures.sql
# status_place): the households that produce the code on the as-of date; only where a policy
# has one of the fields turning their rules on
CYCLE_KEYS = ("household_plan", "visits", "gradual_exit_months")


def supervisor_rows(model: Model, as_of: dt.date) -> list[tuple[str, str, bool]]:
    """(household, code, found) for every household whose policy sets the rule of the code
    (none where it is off): ``found`` when this module's rules, the checker's, find it lacking
    its 一户一策, with a visit gap or past its 渐退期 on ``as_of``; judged as if monitored (its
    exit may be after ``as_of``): whether it was is the snapshot's (figures.sql)."""
    index = PolicyIndex(model)
    contacts: dict | None = None  # read once a household is under a rule
    out = []
    for hid, rec in households_under(model, index, lambda p: any(map(p.get, CYCLE_KEYS))):
        d, contacts = rec.data, contacts if contacts is not None else _contacts(model, as_of)
        pol = policy_of(model, index, d) if isinstance(d, dict) else None
        if pol is None:
            continue
        checks = {  # found or not: the findings are not shown (``Unplaced``)
            ASSIST_NO_HOUSEHOLD_PLAN: (
                bool(_dict(pol.get("household_plan"))),
                _household_plan(Unplaced(rec), d, pol, as_of),
            ),
            ASSIST_VISIT_GAP: (
                _under_visits(d, pol),
                _visits(Unplaced(rec), d, pol, contacts.get(hid, ()), as_of),
            ),
            EXIT_GRADUAL_ENDED: (
                isinstance(pol.get("gradual_exit_months"), int),
                _gradual(Unplaced(rec), d, pol, as_of),
            ),
        }
        for code, (on, findings) in checks.items():  # generators: run only where on
            if on:
                out.append((hid, code.code, any(True for _ in findings)))
    return out


def _contacts(model: Model, as_of: dt.date) -> dict[str, list[dt.date]]:
    """Household → sorted dates of its contacts (走访, 电话回访, 慰问) on or before as_of,
    from the reports' facts (``facts.contact_days``), which a packed report gives without
    decoding its data."""
    from ..facts import contact_days  # imported when used (pyarrow)

    reports = [rep for reps in model.reports_by_plan.values() for rep in reps]
    return contact_days(reports, model.columns, CONTACT_KINDS, as_of)


def _steps(d: dict) -> list[tuple[int, str, dt.date | None]]:
    return named_steps(_dict(d.get("identification")).get("steps"))


def identified_on(d: dict) -> dt.date | None:
    """The date of the last identification step (the exit notice excluded)."""
    days = [day for _, step, day in _steps(d) if day is not None and step != EXIT_STEP]
    return max(days) if days else None


def _procedure(rec, d, pol) -> Iterator[Finding]:
    procs = {k: v for k, v in _dict(pol.get("procedures")).items() if isinstance(v, list)}
    if not procs:
        return
    name = _dict(d.get("identification")).get("procedure")
    if name is None and len(procs) == 1:
        name = next(iter(procs))
    if name is None:
        yield at(
            rec,
            IDENT_PROCEDURE_UNKNOWN,
            ("identification",),
            f"{pol.label} 规定了{'、'.join(procs)}几种认定程序，本户没有写明按哪一种",
        )
        return
    required = procs.get(name)
    if required is None:
        return  # the region's source does not set out this procedure
    steps = [(i, s) for i, s, _ in _steps(d) if s != EXIT_STEP]
    missing, order = compare(required, steps)
    if missing:
        yield at(
            rec,
            IDENT_STEP_MISSING,
            ("identification", "steps"),
            f"按{name}程序（依据 {pol.label}），认定步骤缺少：{'、'.join(missing)}",
        )
    if order is not None:
        prev, cur, i = order
        yield at(
            rec,
            IDENT_STEP_ORDER,
            ("identification", "steps", i),
            f"“{cur}”应在“{prev}”之后（{name}程序的顺序：{' → '.join(required)}，"
            f"依据 {pol.label}）",
        )


def _exclusions(rec, d, pol) -> Iterator[Finding]:
    listed = _list(pol.get("exclusions"))
    ident = _dict(d.get("identification"))
    cases = [c for c in _list(ident.get("exclusions")) if c in listed]
    if not cases:
        return
    allowed = pol.get("exclusion_exception") == "民主评议"
    if allowed and date_of(ident.get("exception_review")) is not None:
        return
    why = "，也没有记下民主评议认定日期（exception_review）" if allowed else "，来源没有规定例外"
    yield at(
        rec,
        IDENT_EXCLUDED,
        ("identification", "exclusions"),
        f"本户有原则上不予认定的情形：{'、'.join(cases)}{why}（依据 {pol.label}）",
    )


def _category(rec, d, pol) -> Iterator[Finding]:
    cats = _list(pol.get("categories"))
    cat = d.get("category")
    if cats and isinstance(cat, str) and cat not in cats:
        yield at(
            rec,
            POLICY_CATEGORY_NOT_LISTED,
            ("category",),
            f"监测类别“{cat}”不在 {pol.label} 列出的类别（{'、'.join(cats)}）中",
        )
    causes = _list(pol.get("risk_causes"))
    if not causes:
        return
    for i, c in enumerate(_list(d.get("risk_causes"))):
        if isinstance(c, str) and c not in causes:
            yield at(
                rec,
                POLICY_CAUSE_NOT_LISTED,
                ("risk_causes", i),
                f"风险原因“{c}”不在 {pol.label} 列出的原因中",
            )


def _low_income(rec, d, pol) -> Iterator[Finding]:
    rules, std = _dict(pol.get("low_income")), pol.dibao_standard
    cat = d.get("category")
    if not rules or std is None or cat not in ("低保户", "低保边缘户"):
        return
    at_ident = _dict(_dict(d.get("identification")).get("income"))
    amount = _number((at_ident or _dict(d.get("income"))).get("per_capita"))
    if amount is None:
        return
    mult = _number(rules.get("dibao_edge_multiple"))
    if cat == "低保户" and rules.get("dibao_below_standard") is True and amount >= std:
        want = f"低于低保标准 {std:g} 元"
    elif cat == "低保边缘户" and mult is not None and not std <= amount < std * mult:
        want = f"不低于低保标准 {std:g} 元、低于其 {mult:g} 倍（{std * mult:g} 元）"
    else:
        return
    yield at(
        rec,
        POLICY_LOW_INCOME_THRESHOLD,
        ("category",),
        f"{cat}认定时的人均收入应{want}，本户不符（依据 {pol.label}）",
    )


def _household_plan(rec, d, pol, as_of: dt.date) -> Iterator[Finding]:
    rule = _dict(pol.get("household_plan"))
    if not rule:
        return
    plan = _dict(d.get("household_plan"))
    made = date_of(plan.get("date"))
    days = rule.get("within_days")
    start = identified_on(d)
    if isinstance(days, int) and start is not None:
        due = start + dt.timedelta(days=days)
        if due < as_of and (made is None or made > due):
            state = "没有记录" if made is None else f"到 {made} 才记录"
            yield at(
                rec,
                ASSIST_NO_HOUSEHOLD_PLAN,
                ("household_plan",),
                f"认定后 {days} 天内（{due} 前）应记录一户一策帮扶措施，本户{state}"
                f"（依据 {pol.label}）",
            )
            return
    if rule.get("required") is True and made is None:
        yield at(
            rec,
            ASSIST_NO_HOUSEHOLD_PLAN,
            ("household_plan",),
            f"本户没有记录一户一策帮扶措施（依据 {pol.label}）",
        )


def _under_visits(d: dict | None, pol) -> bool:
    """Whether the policy's visit cadence applies to the household: a cadence is set and
    the household's category is one it lists."""
    rule = _dict(pol.get("visits"))
    category = d.get("category") if isinstance(d, dict) else None
    return isinstance(rule.get("every_days"), int) and category in _list(rule.get("categories"))


def _visits(rec, d, pol, contacts, as_of: dt.date) -> Iterator[Finding]:
    if not _under_visits(d, pol):
        return
    every = _dict(pol.get("visits"))["every_days"]
    start = identified_on(d)
    if start is None or start >= as_of:
        return
    marks = [start, *(c for c in contacts if c > start), as_of]
    gaps = [(a, b) for a, b in zip(marks, marks[1:], strict=False) if (b - a).days > every]
    if not gaps:
        return
    a, b = gaps[-1]
    end = f"统计日期 {b}" if b == as_of else f" {b}"
    more = f"（共 {len(gaps)} 段超过规定间隔）" if len(gaps) > 1 else ""
    yield at(
        rec,
        ASSIST_VISIT_GAP,
        ("category",),
        f"从 {a} 到{end}，有 {(b - a).days} 天没有走访记录，方案要求每 {every} 天内至少走访一次"
        f"{more}（依据 {pol.label}）",
    )


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _gradual(rec, d, pol, as_of: dt.date) -> Iterator[Finding]:
    months = pol.get("gradual_exit_months")
    start = date_of(_dict(d.get("gradual_exit")).get("start"))
    if not isinstance(months, int) or start is None:
        return
    end = _add_months(start, months)
    if end < as_of:
        yield at(
            rec,
            EXIT_GRADUAL_ENDED,
            ("gradual_exit", "start"),
            f"{months} 个月的救助渐退期已于 {end} 结束，本户仍未退出（依据 {pol.label}）",
        )


def _exit(rec, d, pol, index: PolicyIndex, model: Model) -> Iterator[Finding]:
    rule = _dict(pol.get("exit"))
    n = rule.get("stable_income_records")
    if isinstance(n, int) and pol.line is not None:
        yield from _stable(rec, d, pol, n, index, model)
    if rule.get("guarantees") is True:
        g = _dict(d.get("guarantees"))
        unmet = [name for key, name in GUARANTEES.items() if g.get(key) is not True]
        if unmet:
            yield at(
                rec,
                EXIT_GUARANTEE_UNMET,
                ("guarantees",),
                f"标为退出，但以下各项没有记为达标：{'、'.join(unmet)}（依据 {pol.label}）",
            )


def _stable(rec, d, pol, n: int, index, model) -> Iterator[Finding]:
    income = _dict(d.get("income"))
    current = _number(income.get("per_capita"))
    if current is None or current < pol.line:
        return  # rules.monitoring reports an exit below the line
    by_year: dict[int, float] = {}
    for r in [income, *_list(d.get("income_history"))]:
        r = _dict(r)
        year, amount = r.get("year"), _number(r.get("per_capita"))
        if isinstance(year, int) and amount is not None:
            by_year.setdefault(year, amount)
    years = sorted(by_year, reverse=True)[:n]
    if len(years) < n:
        yield at(
            rec,
            EXIT_INCOME_UNSTABLE,
            ("income_history",),
            f"退出要求最近 {n} 个年度的收入都不低于监测线，本户只记录了 {len(years)} 个年度的收入"
            f"（依据 {pol.label}）",
        )
        return
    county = model.county_of_village(d["village"])
    low = []
    for y in years:
        p = index.for_county(county, y) or pol
        if p.line is not None and by_year[y] < p.line:
            low.append(str(y))
    if low:
        yield at(
            rec,
            EXIT_INCOME_UNSTABLE,
            ("income_history",),
            f"退出要求最近 {n} 个年度的收入都不低于监测线，本户 {'、'.join(low)} 年度的收入低于监测线"
            f"（依据 {pol.label}）",
        )
