"""Warning tiers (红/橙/黄) derived from the record, by the rules a region's policy states.

篇五 (normalized-assistance-work-plans) defines the three tiers for low-income people not yet
in social assistance; the policy record carries them as ``warning_tiers`` items with a
``rule`` (骤变 / 低保标准至监测线 / 类别或退出救助), the categories that are not graded
(``warning_tier_exempt``) and the 低保 standard (``monitoring_line.dibao_standard``). The
first item whose rule the household meets gives its tier. A region whose policy has no rule,
or no 低保 standard, has no derived tier: the stated tier is all the ledger records there.

The derived tier is what the figures count (``aggregate.store.tier_rows``); a stated tier
that contradicts it is a finding (``tier.mismatch``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..codes import TIER_MISMATCH
from ..findings import Finding
from ..model import Model
from ..policy import Policy, PolicyIndex
from ..record import Record
from .base import at

SUDDEN, BETWEEN, LISTED = "骤变", "低保标准至监测线", "类别或退出救助"


def _number(v) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _list(v) -> list:
    return v if isinstance(v, list) else []


def derive(d: dict, pol: Policy | None) -> tuple[bool, str | None]:
    """(whether the policy derives tiers here, the derived tier or None for no tier)."""
    if pol is None:
        return False, None
    rules = [t for t in _list(pol.get("warning_tiers")) if isinstance(t, dict) and t.get("rule")]
    std, line = pol.dibao_standard, pol.line
    if not rules or std is None or line is None:
        return False, None
    if d.get("category") in _list(pol.get("warning_tier_exempt")):
        return True, None
    income = d.get("income")
    amount = _number(income.get("per_capita")) if isinstance(income, dict) else None
    for t in rules:
        rule = t["rule"]
        if rule == SUDDEN:
            sh = d.get("sudden_hardship")
            # not yet qualifying for 低保: income not below the 低保 standard
            if (
                isinstance(sh, dict)
                and sh.get("cause") in _list(t.get("causes"))
                and amount is not None
                and amount >= std
            ):
                return True, t.get("tier")
        elif rule == BETWEEN:
            if amount is not None and std <= amount < line:
                return True, t.get("tier")
        elif rule == LISTED:
            left = isinstance(d.get("former_assistance"), dict)
            if d.get("category") in _list(t.get("categories")) or (
                left and amount is not None and amount < line
            ):
                return True, t.get("tier")
    return True, None


def county_of(model: Model, d: dict) -> str | None:
    v = d.get("village")
    return model.county_of_village(v) if isinstance(v, str) else None


def households_under(
    model: Model, index: PolicyIndex, sets: Callable[[Policy], bool]
) -> Iterator[tuple[str, Record]]:
    """(id, record) of every household, in id order, in a county for which some policy
    ``sets`` (``PolicyIndex.counties_where``): those whose policy can set it. Its county is
    read from its village in its head, so that a packed household elsewhere is not decoded."""
    counties = index.counties_where(sets)
    for hid in sorted(model.ids("household")) if counties else ():
        rec = model.by_kind["household"][hid]
        v = rec.head("village")
        if isinstance(v, str) and model.county_of_village(v) in counties:
            yield hid, rec


def income_year(d: dict) -> int | None:
    income = d.get("income")
    year = income.get("year") if isinstance(income, dict) else None
    return year if isinstance(year, int) and not isinstance(year, bool) else None


def policy_of(model: Model, index: PolicyIndex, d: dict) -> Policy | None:
    """The policy a household is judged by: its county's, in the year of its income."""
    county, year = county_of(model, d), income_year(d)
    if county is None or year is None:
        return None
    return index.for_county(county, year)


def check(model: Model, ctx) -> Iterator[Finding]:
    index = PolicyIndex(model)
    for rec in model.by_kind["household"].values():
        d = rec.data
        if d.get("status") == "退出":
            continue
        pol = policy_of(model, index, d)
        applies, tier = derive(d, pol)
        stated = d.get("warning_tier")
        if not applies or stated not in ("红", "橙", "黄") or stated == tier:
            continue
        want = f"应为{tier}色" if tier else "不属于任何预警等级"
        yield at(
            rec,
            TIER_MISMATCH,
            ("warning_tier",),
            f"填写的预警等级是{stated}色，按本户的收入、类别和收支情况推算{want}"
            f"（依据 {pol.label if pol else '适用政策参数'} 的 warning_tiers）",
        )
