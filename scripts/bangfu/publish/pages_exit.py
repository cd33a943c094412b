"""重点村“九有”达标情况: every key village × the nine items of the village exit standard, each
cell 达标 / 未达标 / 台账中无记录 (three different states: an item without a record is never
shown as 未达标), with the village's exit (出列) when recorded. The items and their order come
from the county schema (``rules.villages.items``); the standard's source from the rule catalog."""

from __future__ import annotations

from ..codes import POLICY_VILLAGE_EXIT_UNMET
from ..rules.catalog import BY_CODE
from ..rules.villages import items
from .context import SiteContext
from .links import village_link
from .pages_rules import source_md
from .text import MISSING, WIDE, esc, filter_box, front, link, table

PAGE = "lists/exit-standard.md"
MET, UNMET = "达标", "未达标"


def _part(d: dict, key: str) -> dict:
    """A sub-mapping of a village's record ({} when absent)."""
    v = d.get(key)
    return v if isinstance(v, dict) else {}


def _village(ctx: SiteContext, vid: str) -> dict:
    v = ctx.model.villages[vid]
    for t in ctx.pub("county", v.county).get("townships") or []:
        if isinstance(t, dict) and t.get("id") == v.township:
            for d in t.get("villages") or []:
                if isinstance(d, dict) and d.get("id") == vid:
                    return d
    return {}


def _when(d: dict) -> str:
    return str(d.get("date") or d.get("year") or "")


def state(item) -> str | None:
    """达标 / 未达标, or None: 台账中无记录."""
    if not isinstance(item, dict) or not isinstance(item.get("met"), bool):
        return None
    return MET if item["met"] else UNMET


def _cell(item) -> str:
    s = state(item)
    if s is None:
        return MISSING
    cls = "bf-met" if s == MET else "bf-unmet"
    when = _when(item)
    return f'<span class="{cls}">{s}</span>' + (f"<br><small>{esc(when)}</small>" if when else "")


def village_summary(ctx: SiteContext, vid: str, depth: int) -> str:
    """A village's 九有 in one cell: the count of items by state and its exit, linked to the
    page of all key villages; ``MISSING`` when the ledger holds neither."""
    d = _village(ctx, vid)
    std, ex = _part(d, "exit_standard"), _part(d, "exit")
    if not std and not ex:
        return MISSING
    states = [state(std.get(k)) for k, _ in items(ctx.schemas_dir)]
    text = (
        f"{MET} {states.count(MET)} 项，{UNMET} {states.count(UNMET)} 项，"
        f"台账中无记录 {states.count(None)} 项"
    )
    if ex and ex.get("year"):
        text += f"；{ex['year']} 年出列"
    return esc(text) + "（" + link(f"{'../' * depth}lists/exit-standard.html", "逐项") + "）"


def page(ctx: SiteContext) -> str:
    keys = items(ctx.schemas_dir)
    order = {c: i for i, c in enumerate(ctx.counties())}
    villages = sorted(
        (v for v in ctx.model.villages.values() if v.key_lists),
        key=lambda v: (order.get(v.county, 0), v.township, v.id),
    )
    depth = 1
    rows, tally = [], {k: {MET: 0, UNMET: 0, None: 0} for k, _ in keys}
    for v in villages:
        d = _village(ctx, v.id)
        std, ex = _part(d, "exit_standard"), _part(d, "exit")
        for k, _ in keys:
            tally[k][state(std.get(k))] += 1
        rows.append(
            [
                village_link(ctx, v.id, depth),
                link(ctx.county_href(v.county, depth), ctx.county_name(v.county))
                + "<br><small>"
                + esc(ctx.township_name(v.township))
                + "</small>",
                esc(f"{ex['year']} 年出列") if ex and ex.get("year") else MISSING,
                *[_cell(std.get(k)) for k, _ in keys],
            ]
        )
    rule = BY_CODE[POLICY_VILLAGE_EXIT_UNMET.code]
    summary = [
        [esc(title), str(tally[k][MET]), str(tally[k][UNMET]), str(tally[k][None])]
        for k, title in keys
    ]
    out = [
        front("重点村“九有”达标情况", **WIDE),
        "# 重点村“九有”达标情况",
        "",
        "贫困村出列的“九有”标准共九项：主导产业、集体收入、群众服务中心、教育卫生文化服务、"
        "硬化通村公路、入户安全饮水、安全农村电网、入户广电通信光纤和清洁生活能源。"
        f"下表列出每个重点村（在任一重点名单上的村）逐项的核验记录（{source_md(ctx, rule, depth)}）。",
        "",
        f"每格有三种状态：**{MET}**、**{UNMET}**（格中注明核验日期或年度），"
        "以及 —（台账中无记录：台账没有这一项的核验记录，不等于未达标）。"
        "“出列”一栏是该村退出贫困村序列的年度。"
        f"村记为出列、而某项在出列时记为未达标，检查会报告（[规则说明](../guide.md#rules)）。",
        "",
        "## 各项汇总",
        "",
        table(
            ["项目", f"{MET}的村", f"{UNMET}的村", "台账中无记录的村"], summary, numeric={1, 2, 3}
        ),
        "",
        "## 逐村",
        "",
        f"共 {len(villages)} 个重点村。",
        "",
        filter_box("bf-exit", "输入村、乡镇或区县名称筛选"),
        "",
        table(["村", "区县、乡镇", "出列", *[esc(t) for _, t in keys]], rows, id_="bf-exit"),
        "",
        "核验的佐证和来源写在各区县记录的 `exit_standard` 字段中（见[数据字典](../dictionary.md)）。",
    ]
    return "\n".join(out) + "\n"


def pages(ctx: SiteContext) -> dict[str, str]:
    return {PAGE: page(ctx)}
