"""Monitoring policy: category vs income line, exits above the line, public-notice length.
Every threshold comes from the policy records (see ``bangfu.policy``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..findings import Finding
from ..model import Model
from ..policy import PolicyIndex
from .base import at, date_of

BELOW_LINE_CATEGORIES = {"脱贫不稳定户", "边缘易致贫户", "低保边缘户"}


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
        key = (tuple(sorted(scope.items())) if isinstance(scope, dict) else (), d.get("year"))
        seen[key].append(rec)
    for recs in seen.values():
        if len(recs) < 2:
            continue
        for rec in recs:
            others = "、".join(r.file for r in recs if r is not rec)
            yield at(rec, "policy.duplicate-scope", ("scope",), f"与 {others} 的适用地区和年度相同")


def _household(model: Model, index: PolicyIndex, rec) -> Iterator[Finding]:
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
            rec, "policy.no-line", ("income",), f"区县 {county} 在本户的收入年度没有适用的监测线"
        )
        return
    if isinstance(amount, int | float):
        below = amount < pol.line
        if d.get("category") in BELOW_LINE_CATEGORIES and not below:
            yield at(
                rec,
                "policy.category-income",
                ("category",),
                f"本户的监测类别要求人均纯收入低于监测线 {pol.line:g} 元，"
                f"本户的人均纯收入不低于此线（依据 {pol.id}）",
            )
        if d.get("status") == "退出" and below:
            yield at(
                rec,
                "policy.exit-below-line",
                ("status",),
                f"本户人均纯收入低于监测线 {pol.line:g} 元，不能标为退出（依据 {pol.id}）",
            )
    ident = d.get("identification")
    for i, st in enumerate((ident.get("steps") if isinstance(ident, dict) else None) or []):
        if not isinstance(st, dict) or st.get("step") not in ("评议公示", "退出公示"):
            continue
        start, until = date_of(st.get("date")), date_of(st.get("until"))
        if start is None:
            continue
        if until is None:
            yield at(
                rec,
                "policy.notice-missing-end",
                ("identification", "steps", i),
                f"第 {i + 1} 步（公示）没有填写公示截止日期",
            )
            continue
        days = (until - start).days + 1
        if pol.notice_min_days and days < pol.notice_min_days:
            yield at(
                rec,
                "policy.notice-too-short",
                ("identification", "steps", i, "until"),
                f"公示天数少于规定的 {pol.notice_min_days} 天（依据 {pol.id}）",
            )
