"""The site's figures, read from the aggregate store: one ``Cell`` per village, township and
county, and one for the whole ledger, with the ledger-wide figures beside them.

Nothing is computed here: every value is a column of ``figures.sql`` (tables ``fig``,
``fig_category``, ``fig_plan``, ``ledger``, ``plan_last``, ``campaign_paired``), so a page
shows exactly what the extracts and ``bangfu status`` show. ``None`` is 台账中无记录; a
figure withheld by disclosure control is ``columns.WITHHELD``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from .columns import yuan

CATEGORIES = (
    "建档立卡贫困户",
    "脱贫不稳定户",
    "边缘易致贫户",
    "突发严重困难户",
    "低保户",
    "特困供养户",
    "低保边缘户",
)
# household counts of a place, as published (subject to disclosure control)
HOUSEHOLD_FIGURES = (
    "households",
    "monitored",
    "paired",
    "due",
    "done",
    "overdue",
    "income_project",
)
LEVELS = {0: "village", 1: "township", 3: "county", 7: "total"}


@dataclass
class Cell:
    """Figures of one place; None = 台账中无记录."""

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
    # county → warning tier → households still monitored
    tiers: dict[str, Counter] = field(default_factory=dict)


def _num(v):
    return None if v is None else (yuan(v) if not isinstance(v, float) else v)


def _empty(c: Cell) -> bool:
    values = [getattr(c, k) for k in (*HOUSEHOLD_FIGURES, "planned", "delivered", "visits")]
    return (
        all(v is None for v in values)
        and not (c.plans or c.ended or c.orgs or c.categories)
        and c.last_report is None
    )


def read(store) -> Figures:
    levels: dict[str, dict[str, Cell]] = {"village": {}, "township": {}, "county": {}}
    total = Cell()

    def cell(level: int, county, township, village) -> Cell:
        name = LEVELS[level]
        if name == "total":
            return total
        key = {"village": village, "township": township, "county": county}[name]
        return levels[name].setdefault(key, Cell())

    for r in store.dicts("SELECT * FROM fig ORDER BY level, county, township, village"):
        c = cell(r["level"], r["county"], r["township"], r["village"])
        for k in HOUSEHOLD_FIGURES:
            setattr(c, k, r[k])
        c.planned = _num(r["planned"])
        c.delivered = _num(r["delivered"])
        c.visits = r["visits"]
        c.last_report = r["last_report"]
    for lvl, co, to, vi, cat, n in store.rows(
        "SELECT level, county, township, village, category, households FROM fig_category"
        " ORDER BY level, county, township, village, category"
    ):
        cell(lvl, co, to, vi).categories[cat] = n
    for lvl, co, to, vi, running, ended, orgs in store.rows(
        "SELECT level, county, township, village, running, ended, orgs FROM fig_plan"
    ):
        c = cell(lvl, co, to, vi)
        c.plans, c.ended = set(running or ()), set(ended or ())
        c.orgs = {o for o in orgs or () if o is not None}
    for cells in levels.values():  # a place the ledger records nothing about has no cell
        for key in [k for k, c in cells.items() if _empty(c)]:
            del cells[key]
    ((as_of, ref, year, m0, m1),) = store.rows("SELECT as_of, ref, year, m0, m1 FROM stat")
    ((delivered_year, visits_year, _),) = store.rows("SELECT * FROM ledger")
    states = store.rows("SELECT id, state FROM ps WHERE carried_out ORDER BY id")
    tiers: dict[str, Counter] = {}
    for county, tier, n in store.rows("SELECT county, tier, households FROM tier ORDER BY 1, 2"):
        tiers.setdefault(county, Counter())[tier] = n
    return Figures(
        as_of,
        year,
        (m0, m1),
        levels["village"],
        levels["township"],
        levels["county"],
        total,
        _num(delivered_year),
        visits_year,
        dict(store.rows("SELECT plan, last FROM plan_last ORDER BY plan")),
        [p for p, s in states if s == "执行中"],
        [p for p, s in states if s not in ("执行中", "未开始")],
        {
            (camp, county): n
            for camp, county, n in store.rows(
                "SELECT campaign, county, households FROM campaign_paired ORDER BY 1, 2"
            )
        },
        {c for (c,) in store.rows("SELECT county FROM recorded_county ORDER BY 1")},
        tiers,
    )
