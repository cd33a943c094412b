"""A page per campaign (专项行动): its facts, phases and deadlines, quotas against the
households its plans target, its plans, and the timeliness of their reports.

Figures come from the aggregate layer: ``campaign_paired`` (households targeted by the
campaign's carried-out plans, by county, under disclosure control), the ``plans`` table and
the monitoring status's report periods — grouped once for all campaigns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from ..monitor import TIMELY, UNTRACKED
from .context import SiteContext
from .links import county_link, org_link, plan_link
from .pages_guide import campaign_facts
from .pages_orgs import TIMELINESS_NOTE
from .text import MISSING_NOTE, WIDE, esc, front, md, table, yuan

DEPTH = 1


def _quotas(ctx: SiteContext, cid: str, c: dict) -> list[str]:
    quotas = [q for q in c.get("quotas") or [] if isinstance(q, dict)]
    if not quotas:
        return ["本行动的文件没有给出帮扶户配额。", ""]
    rows = []
    for q in quotas:
        county = q.get("county")
        recorded = county in ctx.figs.households_recorded
        paired = ctx.figs.campaign_paired.get((cid, str(county)), 0) if recorded else None
        rows.append(
            [
                county_link(ctx, county, DEPTH),
                esc(q.get("households", "—")),
                ctx.count(paired),
            ]
        )
    return [
        table(["区县", "配额（户）", "台账中已结对（户）"], rows, numeric={1, 2}),
        "“台账中已结对”：本行动的方案（不含草拟和已终止）列为帮扶对象的户数；"
        "台账中没有该区县的帮扶户记录时为“—”。不作完成率：配额是文件的要求，台账只记录结对的户。",
        "",
    ]


def _plans(ctx: SiteContext, plans: list[dict]) -> str:
    rows = []
    for r in plans:
        names = [
            org_link(ctx, o["organization"], DEPTH)
            for o in ctx.rows_where("plan_organizations", "plan", [r["id"]])
        ]
        rows.append(
            [
                plan_link(ctx, r["id"], DEPTH),
                county_link(ctx, r.get("county"), DEPTH),
                "、".join(names[:3]) + (f" 等 {len(names)} 家" if len(names) > 3 else "") or "—",
                esc(r.get("state") or "—"),
                yuan(r.get("planned_amount_yuan")),
                yuan(r.get("delivered_amount_yuan")),
            ]
        )
    return table(
        ["方案", "区县", "帮扶主体", "统计日状况", "计划金额（元）", "已交付（元）"],
        rows,
        numeric={4, 5},
    )


def _timeliness(periods: list) -> list[str]:
    c = Counter(p.state for p in periods)
    if not periods:
        return ["本行动的方案没有要报送的期（或行动没有规定报送周期）。", ""]
    states = [*TIMELY, UNTRACKED]
    return [
        table(states, [[str(c.get(k, 0)) for k in states]], numeric=set(range(len(states)))),
        "按报送期计（方案 × 期）。" + TIMELINESS_NOTE,
        "",
    ]


def campaign_page(ctx: SiteContext, cid: str, plans: list[dict], periods) -> str:
    c = ctx.pub("campaign", cid)
    name = c.get("name") or cid
    out = [front(name, **WIDE), f"# {md(name)}", ""]
    out += campaign_facts(ctx, c, depth=DEPTH)
    counties = [x for x in c.get("counties") or [] if isinstance(x, str)]
    if counties:
        links = "、".join(county_link(ctx, x, DEPTH) for x in counties)
        out += [f"<p>涉及区县：{links}</p>", ""]
    out += ["## 配额与已结对", ""]
    out += _quotas(ctx, cid, c)
    out += [f"## 方案（{len(plans)} 个）", ""]
    out += [_plans(ctx, plans) if plans else "台账中还没有属于本行动的方案。", ""]
    out += ["## 报送及时性", ""]
    out += _timeliness(periods)
    out += [
        f"涉及少于 {ctx.threshold} 户的数字显示为“*”（不公开，见[数据保护](../disclosure.md)）。"
        + MISSING_NOTE,
        "",
        "所有行动的对照见[专项行动](../progress/campaigns.md)。",
    ]
    return "\n".join(out) + "\n"


def each(ctx: SiteContext) -> Iterator[tuple[str, str]]:
    """Each campaign's page (path, Markdown), made when asked for (``site.generate``)."""
    for cid in sorted(ctx.model.ids("campaign")):
        if ctx.data("campaign", cid) is None:
            continue
        plans = ctx.rows_where("plans", "campaign", [cid])
        yield (
            f"campaigns/{cid}.md",
            campaign_page(ctx, cid, plans, ctx.periods_of([r["id"] for r in plans])),
        )
