"""What the ledger records, and when a plan runs: one definition of each, read by the
monitoring status, the site's figures and the open-data tables alike.

- **Plan state** on a date comes from the plan's status *and* its period: 草拟, 已终止 and
  已完成 are taken from the status; otherwise the dates decide — 未开始 before the period,
  执行中 inside it, 已结束 after it. A status of 执行中 does not keep a plan running past the
  end of its period (extending a plan means changing its period).
- **Recorded or not**: a figure is published as a number only when the ledger holds the
  records it counts. Household figures of a county are recorded when the ledger holds at least
  one household of that county; amounts delivered by a plan are recorded when the ledger holds
  at least one progress report of the plan. Anything else is 台账中无记录, never 0.
"""

from __future__ import annotations

import datetime as dt

from .rules.base import period_of

NOT_CARRIED_OUT = frozenset({"草拟", "已终止"})  # statuses under which a plan never counts
FROM_STATUS = frozenset({"草拟", "已终止", "已完成"})  # statuses that decide the state alone
STATES = ("未开始", "执行中", "已结束", "已完成", "已终止", "草拟")
NOT_RECORDED_LABEL = "台账中无记录"  # the words; ``aggregate.NOT_RECORDED`` is the table value


def plan_state(plan: dict, as_of: dt.date) -> str:
    """The state of a plan on ``as_of``; see the module docstring."""
    status = plan.get("status")
    if status in FROM_STATUS:
        return status
    period = period_of(plan.get("period"))
    if period is None:
        return "未开始"
    if as_of < period[0]:
        return "未开始"
    return "执行中" if as_of <= period[1] else "已结束"


def carried_out(plan: dict) -> bool:
    """True for a plan that runs or ran (any status but 草拟 and 已终止)."""
    return plan.get("status") not in NOT_CARRIED_OUT


def ran_during(plan: dict, start: dt.date, end: dt.date) -> bool:
    """True when a carried-out plan's period overlaps ``start`` … ``end``."""
    period = period_of(plan.get("period"))
    return carried_out(plan) and period is not None and period[0] <= end and period[1] >= start


def counties_with_households(model) -> set[str]:
    """Counties for which the ledger holds at least one household record."""
    out = set()
    for rec in model.by_kind["household"].values():
        village = rec.data.get("village") if isinstance(rec.data, dict) else None
        county = model.county_of_village(village) if isinstance(village, str) else None
        if county:
            out.add(county)
    return out


def reported_plans(model) -> set[str]:
    """Plans for which the ledger holds at least one progress report."""
    return {pid for pid, reps in model.reports_by_plan.items() if reps}
