"""Monitoring policy: category vs income line, exits above the line, public-notice length.
Every threshold comes from the policy records (see ``bangfu.policy``)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

from ..codes import (
    POLICY_CATEGORY_INCOME,
    POLICY_DUPLICATE_SCOPE,
    POLICY_EXIT_BELOW_LINE,
    POLICY_EXIT_WITHOUT_NOTICE,
    POLICY_NO_LINE,
    POLICY_NOTICE_MISSING_END,
    POLICY_NOTICE_TOO_SHORT,
)
from ..findings import Finding
from ..model import Model
from ..policy import PolicyIndex
from .base import at, date_of

BELOW_LINE_CATEGORIES = {"脱贫不稳定户", "边缘易致贫户", "低保边缘户"}
# the notices whose length is checked: 评议公示 and 退出公示 of the identification steps; in
# exit_steps also 初审公示 (篇五's exit notice)
NOTICE_STEPS = {"identification": ("评议公示", "退出公示"), "exit_steps": ("初审公示", "退出公示")}


def check(model: Model, ctx) -> Iterator[Finding]:
    index = PolicyIndex(model)
    yield from _policy_records(model)
    for rec in model.by_kind["household"].values():
        yield from _household(model, index, rec)


def _policy_records(model: Model) -> Iterator[Finding]:
    seen = defaultdict(list)
    for rec in model.by_kind["policy"].values():
        d = rec.data
        scope = d.get("scope") or {}
        key = (json.dumps(scope, sort_keys=True, ensure_ascii=False), d.get("year"))
        seen[key].append(rec)
    for recs in seen.values():
        if len(recs) < 2:
            continue
        for rec in recs:
            others = "、".join(r.file for r in recs if r is not rec)
            yield at(rec, POLICY_DUPLICATE_SCOPE, ("scope",), f"与 {others} 的适用地区和年度相同")


def _ident_income(d: dict) -> dict:
    ident = d.get("identification")
    income = ident.get("income") if isinstance(ident, dict) else None
    return income if isinstance(income, dict) else {}


def _household(model: Model, index: PolicyIndex, rec) -> Iterator[Finding]:
    """The category is a fact of identification: it is judged on the income recorded at
    identification (``identification.income``; before risk is eliminated, the current income
    stands in for it). Exit is judged on the current income, and needs the exit notice."""
    d = rec.data
    income = d.get("income") if isinstance(d.get("income"), dict) else {}
    amount, year = income.get("per_capita"), income.get("year")
    county = (
        model.county_of_village(d.get("village")) if isinstance(d.get("village"), str) else None
    )
    if county is None or not isinstance(year, int):
        return
    pol = index.for_county(county, year)
    if pol is None or pol.line is None:
        yield at(
            rec, POLICY_NO_LINE, ("income",), f"区县 {county} 在本户的收入年度没有适用的监测线"
        )
        return
    yield from _category(rec, d, index, county, pol)
    if d.get("status") == "退出":
        if isinstance(amount, int | float) and amount < pol.line:
            yield at(
                rec,
                POLICY_EXIT_BELOW_LINE,
                ("status",),
                f"本户人均纯收入低于监测线 {pol.line:g} 元，不能标为退出（依据 {pol.label}）",
            )
        if not _exit_procedure(pol) and not _has_step(d, "退出公示"):
            yield at(
                rec,
                POLICY_EXIT_WITHOUT_NOTICE,
                ("status",),
                "标为退出，但认定程序中没有“退出公示”一步",
            )
    ident = d.get("identification")
    exit_steps = d.get("exit_steps") if isinstance(d.get("exit_steps"), list) else []
    notices: list[tuple[str, tuple, int, object]] = [
        *(
            ("identification", ("identification", "steps", i), i, st)
            for i, st in enumerate(_steps(ident))
        ),
        *(("exit_steps", ("exit_steps", i), i, st) for i, st in enumerate(exit_steps)),
    ]
    for field, where, i, st in notices:
        if not isinstance(st, dict) or st.get("step") not in NOTICE_STEPS[field]:
            continue
        start, until = date_of(st.get("date")), date_of(st.get("until"))
        if start is None:
            continue
        if until is None:
            yield at(
                rec,
                POLICY_NOTICE_MISSING_END,
                where,
                f"{_where(where)}第 {i + 1} 步（公示）没有填写公示截止日期",
            )
            continue
        days = (until - start).days + 1
        if pol.notice_min_days and days < pol.notice_min_days:
            yield at(
                rec,
                POLICY_NOTICE_TOO_SHORT,
                (*where, "until"),
                f"公示天数少于规定的 {pol.notice_min_days} 天（依据 {pol.label}）",
            )


def _steps(ident) -> list:
    steps = ident.get("steps") if isinstance(ident, dict) else None
    return steps if isinstance(steps, list) else []


def _where(where: tuple) -> str:
    return "退出程序" if where[0] == "exit_steps" else ""


def _exit_procedure(pol) -> bool:
    """The region's policy sets its own exit procedure: ``rules.steps`` judges the exit steps
    and their notice, in place of the ledger's generic 退出公示."""
    rule = pol.get("exit")
    return isinstance(rule, dict) and bool(rule.get("procedure"))


def _has_step(d: dict, name: str) -> bool:
    ident = d.get("identification")
    steps = ident.get("steps") if isinstance(ident, dict) else None
    return any(isinstance(st, dict) and st.get("step") == name for st in steps or [])


def _category(rec, d: dict, index: PolicyIndex, county: str, pol) -> Iterator[Finding]:
    if d.get("category") not in BELOW_LINE_CATEGORIES:
        return
    at_ident = _ident_income(d)
    if at_ident:
        amount, year = at_ident.get("per_capita"), at_ident.get("year")
        if isinstance(year, int):
            pol = index.for_county(county, year) or pol
        when = "认定时的"
    elif d.get("status") == "风险未消除":
        income = i if isinstance(i := d.get("income"), dict) else {}
        amount, when = income.get("per_capita"), ""
    else:
        return
    if not isinstance(amount, int | float) or pol.line is None or amount < pol.line:
        return
    yield at(
        rec,
        POLICY_CATEGORY_INCOME,
        ("category",),
        f"本户的监测类别要求认定时人均纯收入低于监测线 {pol.line:g} 元，"
        f"本户{when}人均纯收入不低于此线（依据 {pol.label}）",
    )
