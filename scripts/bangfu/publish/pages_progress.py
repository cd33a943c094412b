"""进展: county → township → village progress tables and charts, campaigns against their
targets and quotas."""

from __future__ import annotations

from collections import defaultdict

from ..aggregate.cells import CATEGORIES, Cell
from . import charts
from .context import SiteContext
from .links import has_village_page, village_link
from .text import (
    MISSING_NOTE,
    WIDE,
    date_text,
    esc,
    filter_box,
    front,
    link,
    md,
    published,
    table,
    yuan,
)

HEADERS = [
    "在册户",
    "已结对",
    "结对率",
    "在执行方案",
    "本月应访",
    "本月已访",
    "逾期回访",
    "计划金额（元）",
    "已交付（元）",
    "有增收项目户",
]


def _cells(ctx: SiteContext, c: Cell | None) -> list[str]:
    c = c or Cell()
    return [
        ctx.count(c.households),
        ctx.count(c.paired),
        ctx.share(c.paired, c.households),
        str(len(c.plans)),
        ctx.count(c.due),
        ctx.count(c.done),
        ctx.count(c.overdue),
        yuan(c.planned),
        yuan(c.delivered),
        ctx.count(c.income_project),
    ]


def _definitions(ctx: SiteContext) -> list[str]:
    f = ctx.figs
    return [
        '??? info "这些数字怎么算"',
        "",
        f"    - **统计日期** {f.as_of.isoformat()}；**本月** 指 {f.month[0].isoformat()} 至 {f.month[1].isoformat()}"
        "（统计日期前最近一条帮扶记录所在的月份）。",
        "    - **在册户**：台账中的帮扶户（监测户）；**已结对**：被统计日期在执行的方案列为帮扶对象的户。"
        "**在执行方案**：统计日期在方案期间内、状态不是草拟、已完成或已终止的方案；期间已过的方案为已结束，不计入。",
        "    - **本月应访**：按所在区县适用的回访间隔（见[政策指南](../guide.md#revisit)），从本月之前最后一次走访、"
        "电话回访或慰问算起，本月内到期的户；**本月已访**：其中本月有走访、电话回访或慰问记录的户。",
        "    - **逾期回访**：到统计日期仍超过回访间隔未联系的户（已退出监测的户不计）。",
        "    - **计划金额**：在执行方案中各项措施写明的计划金额；一个方案帮扶多个村时按村平均分摊。"
        "**已交付**：进度报告中的金额合计（含已结束的方案）。",
        f"    - 涉及少于 {ctx.threshold} 户的数字，以及可由合计推算出这类数字的格子，显示为“*”"
        "（不公开），以免推断出具体人家；方法见[数据保护](../disclosure.md)。",
        "    - " + MISSING_NOTE + "台账中没有某区县的帮扶户记录时，该区县的户数都显示为“—”；"
        "没有覆盖某地的方案的进度报告时，已交付金额显示为“—”；方案没有写计划金额时，计划金额显示为“—”。",
        "",
    ]


def _monthly(
    ctx: SiteContext, villages: set[str] | None
) -> tuple[list[str], list[float], list[float]]:
    """Entries and 元 per month from the open-data progress table (household-level entries)."""
    entries: dict[str, float] = defaultdict(float)
    amount: dict[str, float] = defaultdict(float)
    for r in ctx.rows_where("progress", "village", villages):
        entries[r["month"]] += published(r["entries"])
        amount[r["month"]] += published(r["amount_yuan"])
    months = sorted(set(entries) | set(amount))
    return months, [entries[m] for m in months], [amount[m] for m in months]


def _by_kind(ctx: SiteContext, plans: set[str] | None) -> list[tuple[str, float]]:
    amt: dict[str, float] = defaultdict(float)
    for r in ctx.rows_where("report_entries", "plan", plans):
        amt[r["kind"]] += published(r["amount_yuan"])
    return sorted(((k, v) for k, v in amt.items() if v), key=lambda kv: (-kv[1], kv[0]))


def _charts(
    ctx: SiteContext, villages: set[str] | None, plans: set[str] | None, where: str
) -> list[str]:
    out = []
    months, entries, amount = _monthly(ctx, villages)
    # a chart of nothing but zeros shows nothing: leave it out (the tables say 0)
    if any(entries):
        out += [
            "### 逐月进展",
            "",
            charts.line_chart(
                f"{where}逐月帮扶条目数",
                months,
                [("帮扶条目", entries)],
                "以户为对象的走访、回访、慰问和交付条目，按月计；不公开的格子（*）未计入。",
            ),
            "",
        ]
    if any(amount):
        out += [
            *([] if any(entries) else ["### 逐月进展", ""]),
            charts.bar_chart(
                f"{where}逐月交付金额",
                list(zip(months, amount, strict=True)),
                " 元",
                "进度报告中交付给户的金额，按月计；不公开的格子（*）未计入。",
                color=charts.PALETTE[1],
                heads=("月份", "交付金额"),
            ),
            "",
        ]
    kinds = _by_kind(ctx, plans)
    if kinds:
        out += [
            "### 按类别的交付",
            "",
            charts.bar_chart(
                f"{where}按活动类别的交付金额",
                kinds,
                " 元",
                "进度报告中的金额，按活动类别计；不公开的格子（*）未计入。",
                color=charts.PALETTE[2],
                heads=("活动类别", "交付金额"),
            ),
            "",
        ]
    return out


def index_page(ctx: SiteContext) -> str:
    f = ctx.figs
    counties = [c for c in ctx.counties() if c in f.county]
    out = [
        front("进展", **WIDE),
        "# 进展",
        "",
        "各区县的帮扶户、结对、走访和交付情况。点区县名称查看乡镇和村的明细。",
        "",
    ]
    out += _definitions(ctx)
    out += ["## 区县一览", "", filter_box("bf-progress", "输入区县名称筛选"), ""]
    rows = [
        [link(ctx.county_href(c, 1), ctx.county_name(c)), *_cells(ctx, f.county[c])]
        for c in counties
    ]
    rows.append(["<strong>合计</strong>", *_cells(ctx, f.total)])
    out.append(table(["区县", *HEADERS], rows, id_="bf-progress", numeric=set(range(1, 11))))
    if counties:
        out += [
            "## 图表",
            "",
            "### 结对覆盖",
            "",
            charts.bar_chart(
                "各区县在执行的结对方案数",
                [(ctx.county_name(c), len(f.county[c].plans)) for c in counties],
                " 个",
                "以该区县的村或户为帮扶对象、统计日期在执行的方案数。",
                heads=("区县", "在执行方案"),
            ),
            "",
        ]
        shown_counties = [c for c in counties if published(f.county[c].monitored) >= ctx.threshold]
        series = [
            (cat, [f.county[c].categories[cat] for c in shown_counties])
            for cat in CATEGORIES
            if any(published(f.county[c].categories[cat]) for c in shown_counties)
        ]
        if series:
            out += [
                "### 监测户类别",
                "",
                charts.stacked_bars(
                    "各区县未退出监测的户按类别",
                    [ctx.county_name(c) for c in shown_counties],
                    series,
                    f"只画出监测户不少于 {ctx.threshold} 户的区县；不公开的格子（*）不画。",
                    head="区县",
                ),
                "",
            ]
    out += _charts(ctx, None, None, "全部区县")
    out += [
        "## 预警等级",
        "",
        "未退出监测的户按红、橙、黄三级预警的分布（含义见[政策指南](../guide.md#tiers)）。",
        "",
    ]
    trows = [
        [
            link(ctx.county_href(c, 1), ctx.county_name(c)),
            *[ctx.count(ctx.figs.tiers[c][t]) for t in ("红", "橙", "黄")],
        ]
        for c in ctx.figs.tiers
    ]
    out.append(table(["区县", "红色预警", "橙色预警", "黄色预警"], trows, numeric={1, 2, 3}))
    out += ["", "专项行动的目标和配额完成情况见[专项行动](campaigns.md)。"]
    return "\n".join(out) + "\n"


def county_page(ctx: SiteContext, cid: str) -> str:
    f = ctx.figs
    m = ctx.model
    d = ctx.pub("county", cid)
    name = ctx.county_name(cid)
    out = [front(f"{name} 进展", **WIDE), f"# {md(name)}", ""]
    facts = [x for x in (d.get("province"), d.get("city")) if x]
    if facts:
        out.append("所属：" + md(" ".join(facts)) + "  ")
    if d.get("key_lists"):
        out.append("重点名单：" + md("、".join(d["key_lists"])) + "  ")
    if d.get("office_phone"):
        out.append("扶贫（乡村振兴）部门电话：" + md(d["office_phone"]))
    out += ["", "[← 返回区县一览](../index.md)", ""]
    out += [
        line.replace("../guide.md", "../../guide.md").replace(
            "../disclosure.md", "../../disclosure.md"
        )
        for line in _definitions(ctx)
    ]
    out += ["## 合计", ""]
    out.append(
        table(
            ["区县", *HEADERS],
            [[esc(name), *_cells(ctx, f.county.get(cid))]],
            numeric=set(range(1, 11)),
        )
    )
    townships = [t for t in (d.get("townships") or []) if t.get("id") in m.townships]
    out += ["## 乡镇", ""]
    rows = []
    for t in townships:
        mark = "（深度贫困乡镇）" if "深度贫困乡镇" in (t.get("key_lists") or []) else ""
        label = f'<span class="bf-nowrap">{esc(t.get("name", ""))}{esc(mark)}</span>'
        rows.append([label, *_cells(ctx, f.township.get(t["id"]))])
    out.append(table(["乡镇", *HEADERS], rows, numeric=set(range(1, 11))))
    out += ["## 村", "", filter_box("bf-villages", "输入村或乡镇名称筛选"), ""]
    rows = []
    vids: set[str] = set()
    for t in townships:
        for v in t.get("villages") or []:
            if v.get("id") not in m.villages:
                continue
            vids.add(v["id"])
            lists = "、".join(v.get("key_lists") or [])
            c = f.village.get(v["id"])
            rows.append(
                [
                    esc(t.get("name", "")),
                    village_link(ctx, v["id"], 2)
                    if has_village_page(ctx, v["id"])
                    else esc(v.get("name", "")),
                    esc(lists or "—"),
                    *_cells(ctx, c),
                    esc(date_text(c.last_report if c else None)),
                ]
            )
    out.append(
        table(
            ["乡镇", "村", "重点名单", *HEADERS, "最近报告"],
            rows,
            id_="bf-villages",
            numeric=set(range(3, 13)),
        )
    )
    cats = [cat for cat in CATEGORIES if f.county.get(cid) and f.county[cid].categories[cat]]
    if cats:
        out += ["## 未退出监测的户按类别", ""]
        rows = [
            [
                esc(t.get("name", "")),
                *[ctx.count(f.township.get(t["id"], Cell()).categories[cat]) for cat in cats],
            ]
            for t in townships
        ]
        out.append(table(["乡镇", *cats], rows, numeric=set(range(1, len(cats) + 1))))
    # charts of what was delivered: running and ended plans alike
    plans = (f.county[cid].plans | f.county[cid].ended) if cid in f.county else set()
    drawn = _charts(ctx, vids, plans, name) if plans else []
    if drawn:
        out += ["## 图表", "", *drawn]
    return "\n".join(out) + "\n"


def campaigns_page(ctx: SiteContext) -> str:
    m = ctx.model
    f = ctx.figs
    out = [
        front("专项行动", **WIDE),
        "# 专项行动",
        "",
        "各地专项行动的报送要求，以及文件给出的目标、配额与台账中的结对情况对照。",
        "",
    ]
    for cid in sorted(m.ids("campaign")):
        c = ctx.pub("campaign", cid)
        out += [f"## {md(c.get('name', cid))}", "", f"[本行动的页面](../campaigns/{cid}.md)", ""]
        from .pages_guide import campaign_facts

        out += campaign_facts(ctx, c, depth=1)
        plans = [p for p in sorted(m.ids("plan")) if ctx.data("plan", p).get("campaign") == cid]
        out.append(f"台账中属于该行动的方案：{len(plans)} 个。")
        out.append("")
        if c.get("quotas"):
            rows = []
            for q in c["quotas"]:
                county = q.get("county")
                paired = (
                    f.campaign_paired.get((cid, county), 0)
                    if county in f.households_recorded
                    else None
                )
                rows.append(
                    [
                        link(ctx.county_href(county, 1), ctx.county_name(county)),
                        esc(q.get("households", "")),
                        ctx.count(paired),
                    ]
                )
            out += [
                "**帮扶户配额**",
                "",
                table(["区县", "配额（户）", "台账中已结对（户）"], rows, numeric={1, 2}),
                "“台账中已结对”：该行动的方案（不含草拟和已终止）列为帮扶对象的户数。"
                + MISSING_NOTE,
                "",
            ]
        if c.get("targets"):
            rows = [
                [
                    esc(t.get("year", "")),
                    link(ctx.county_href(t.get("county"), 1), ctx.county_name(t.get("county"))),
                    esc(t.get("villages", "—")),
                    esc(t.get("households", "—")),
                    esc(t.get("people", "—")),
                ]
                for t in c["targets"]
            ]
            out += [
                "**年度目标**",
                "",
                table(["年度", "区县", "脱贫村", "脱贫户", "脱贫人数"], rows, numeric={2, 3, 4}),
            ]
            tot = c.get("totals") or {}
            if tot:
                out.append(
                    f"总目标：贫困村 {md(tot.get('villages', '—'))} 个，贫困户 {md(tot.get('households', '—'))} 户，"
                    f"贫困人口 {md(tot.get('people', '—'))} 人。台账目前没有这些年度的脱贫记录，只列出目标，不作完成率。"
                )
                out.append("")
    return "\n".join(out) + "\n"


def pages(ctx: SiteContext) -> dict[str, str]:
    out = {"progress/index.md": index_page(ctx), "progress/campaigns.md": campaigns_page(ctx)}
    for cid in ctx.counties():
        out[f"progress/county/{cid}.md"] = county_page(ctx, cid)
    return out
