"""A page per key village: where it is, the key lists it is on, its plans and organizations,
its household figures and its months (village × month × category, the ``progress`` table) —
every figure as the aggregate layer publishes it, under disclosure control.

A page reads its own rows through the context's index (``SiteContext.rows_where``), so a
province's thousands of villages cost one pass over each table, not one per page.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..aggregate.cells import Cell
from .context import SiteContext
from .links import count, county_link, org_link, plan_link
from .pages_exit import village_summary
from .search import summary_front
from .text import MISSING, MISSING_NOTE, WIDE, date_text, esc, front, md, table, withheld_note, yuan

DEPTH = 1
JIUYOU_NOTE = (
    "“九有”情况：逐项的核验记录；没有记录的项是“台账中无记录”，不表示该村已达到或没有达到。"
)


def _figures(ctx: SiteContext, c: Cell) -> str:
    rows = [
        ["在册户（帮扶户、监测户）", ctx.count(c.households)],
        ["未退出监测的户", ctx.count(c.monitored)],
        ["已结对户（统计日期在执行的方案）", ctx.count(c.paired)],
        ["本月应回访 / 已回访", f"{ctx.count(c.due)} / {ctx.count(c.done)}"],
        ["逾期未回访的户", ctx.count(c.overdue)],
        ["有增收项目的户", ctx.count(c.income_project)],
        [f"{ctx.figs.year} 年走访、回访和慰问条目", ctx.count(c.visits)],
        ["计划金额（元，在执行方案按村分摊）", yuan(c.planned)],
        ["已交付金额（元）", yuan(c.delivered)],
        ["最近一次进度报告", esc(date_text(c.last_report)) if c.last_report else MISSING],
    ]
    return table(["项目", "数字"], rows, cls="bf-table bf-facts", numeric={1})


def _months(ctx: SiteContext, rows: list[dict]) -> str:
    out = []
    for r in sorted(rows, key=lambda r: (r["month"], r["category"])):
        out.append(
            [
                f'<span class="bf-nowrap">{esc(r["month"])}</span>',
                esc(r["category"]),
                ctx.count(r["households_monitored"]),
                ctx.count(r["households_paired"]),
                ctx.count(r["households_visited"]),
                ctx.count(r["entries"]),
                yuan(r["amount_yuan"]),
            ]
        )
    return table(
        ["月份", "监测类别", "监测户", "已结对户", "已走访户", "帮扶条目", "交付金额（元）"],
        out,
        numeric={2, 3, 4, 5, 6},
    )


def village_page(ctx: SiteContext, vid: str) -> str:
    v = ctx.model.villages[vid]
    name = ctx.village_name(vid)
    county = ctx.county_name(v.county)
    township = ctx.model.townships.get(v.township)
    c = ctx.figs.village.get(vid) or Cell()
    line = f"乡镇（街道）：{ctx.township_name(v.township)}；区县：{county}"
    out = [front(f"{name}（{county}）", **WIDE, **summary_front(line)), f"# {md(name)}", ""]
    facts = [
        ["区县", county_link(ctx, v.county, DEPTH)],
        [
            "乡镇（街道）",
            esc(ctx.township_name(v.township))
            + (
                f"（{esc('、'.join(township.key_lists))}）"
                if township and township.key_lists
                else ""
            )
            + f"，见{county_link(ctx, v.county, DEPTH)}的乡镇表",
        ],
        ["重点名单", esc("、".join(v.key_lists)) or "—"],
        ["九有情况", village_summary(ctx, vid, DEPTH)],
    ]
    out += [table(["项目", "内容"], facts, cls="bf-table bf-facts"), JIUYOU_NOTE, ""]
    out += ["## 结对方案和帮扶主体", ""]
    targets = ctx.rows_where("plan_targets", "village", [vid])
    plans = sorted(c.plans | c.ended | {t["plan"] for t in targets})
    plan_rows = {r["id"]: r for r in ctx.rows_where("plans", "id", plans)}
    by_plan = {t["plan"]: t for t in targets}
    rows = []
    for pid in plans:
        p = plan_rows.get(pid, {})
        t = by_plan.get(pid, {})
        rows.append(
            [
                plan_link(ctx, pid, DEPTH),
                esc(p.get("state", "—")),
                "是" if t.get("village_targeted") else "否",
                count(ctx, t.get("households")) if t else MISSING,
            ]
        )
    out.append(table(["方案", "统计日状况", "村为帮扶对象", "在本村帮扶的户"], rows, numeric={3}))
    orgs = sorted(c.orgs)
    out += [
        "<p>帮扶主体："
        + (
            "、".join(org_link(ctx, o, DEPTH) for o in orgs)
            if orgs
            else "（暂无在执行或已结束的方案）"
        )
        + "</p>",
        "",
        "方案列出的是以本村或本村的户为帮扶对象的方案；帮扶主体是其中在执行和已结束方案的主体。",
        "",
    ]
    out += ["## 数字", "", _figures(ctx, c), ""]
    out += ["## 逐月监测和走访", ""]
    months = ctx.rows_where("progress", "village", [vid])
    if months:
        out += [
            "每月处于监测期的户、已结对的户、有走访或交付记录的户，以及帮扶条目和交付金额，"
            "按监测类别分列（开放数据 `progress.csv` 中本村的行）。",
            "",
            _months(ctx, months),
        ]
    elif v.county in ctx.figs.households_recorded:
        out += ["台账中没有本村处于监测期的户，也没有以本村的户为对象的帮扶条目。", ""]
    else:
        out += ["台账中无记录：台账中没有本区县的帮扶户记录。", ""]
    out += [
        "",
        withheld_note(ctx.threshold) + MISSING_NOTE,
    ]
    return "\n".join(out) + "\n"


def each(ctx: SiteContext) -> Iterator[tuple[str, str]]:
    """Each key village's page (path, Markdown), made when asked for (``site.generate``)."""
    for vid in sorted(ctx.model.villages):
        if ctx.model.villages[vid].key_lists:
            yield f"villages/{vid}.md", village_page(ctx, vid)
