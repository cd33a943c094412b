"""重点名单: key counties, deep-poverty townships, key villages and supervised villages, each
row with its pairing coverage (active plans, organizations, last report)."""

from __future__ import annotations

from ..aggregate.cells import Cell
from . import pages_exit
from .context import SiteContext
from .links import village_link
from .text import MISSING, MISSING_NOTE, WIDE, date_text, esc, filter_box, front, link, md, table

LISTS = [
    ("counties", "重点区县", "county", ("国家级扶贫开发工作重点区县", "市级扶贫开发工作重点区县")),
    ("townships", "深度贫困乡镇", "township", ("深度贫困乡镇",)),
    ("villages", "定点攻坚村", "village", ("定点攻坚村",)),
    ("supervised", "挂牌督战村", "village", ("挂牌督战村",)),
]


def _coverage(ctx: SiteContext, cell: Cell | None, depth: int) -> list[str]:
    cell = cell or Cell()
    orgs = sorted(cell.orgs)
    org_links = "、".join(
        link(ctx.org_href(o, depth), ctx.name("organization", o)) for o in orgs[:6]
    )
    if len(orgs) > 6:
        org_links += f" 等 {len(orgs)} 家"
    last = esc(date_text(cell.last_report)) if cell.last_report else MISSING
    return [str(len(cell.plans)), str(len(cell.ended)), org_links or "—", last]


def _members(ctx: SiteContext, level: str, names: tuple[str, ...]) -> list:
    m = ctx.model
    if level == "county":
        return [
            c
            for c in ctx.counties()
            if set(ctx.data("county", c).get("key_lists") or ()) & set(names)
        ]
    if level == "township":
        towns = [t for t in m.townships.values() if set(t.key_lists) & set(names)]
        return sorted(towns, key=lambda t: (ctx.counties().index(t.county), t.id))
    villages = [v for v in m.villages.values() if set(v.key_lists) & set(names)]
    order = {c: i for i, c in enumerate(ctx.counties())}
    return sorted(villages, key=lambda v: (order.get(v.county, 0), v.township, v.id))


def index_page(ctx: SiteContext) -> str:
    out = [
        front("重点名单"),
        "# 重点名单",
        "",
        "下列名单来自各地公开文件，按名单列出每个地方在统计日期的结对覆盖情况："
        "在执行和已结束的帮扶方案数、参与这些方案的帮扶主体，以及最近一次进度报告的报送日期。",
        "",
    ]
    for slug, label, level, names in LISTS:
        n = len(_members(ctx, level, names))
        out.append(f"- [{label}]({slug}.md)：{n} 个")
    out.append("- [重点村“九有”达标情况](exit-standard.md)：重点村逐项的出列标准核验记录")
    out += [
        "",
        "覆盖情况不统计草拟和已终止的方案；方案期间已过即为已结束，不算在执行。"
        "“最近报告”是这些方案最近一次进度报告的报送日期。" + MISSING_NOTE,
    ]
    return "\n".join(out) + "\n"


def list_page(ctx: SiteContext, slug: str) -> str:
    _, label, level, names = next(x for x in LISTS if x[0] == slug)
    members = _members(ctx, level, names)
    depth = 1
    out = [front(label, **WIDE), f"# {label}", ""]
    f = ctx.figs
    headers_cov = ["在执行方案", "已结束方案", "帮扶主体", "最近报告"]
    if level == "county":
        out += [f"共 {len(members)} 个区县。", "", filter_box("bf-list", "输入区县名称筛选"), ""]
        rows = []
        for c in members:
            d = ctx.data("county", c)
            rows.append(
                [
                    link(ctx.county_href(c, depth), ctx.county_name(c)),
                    esc(d.get("province", "")),
                    esc("、".join(d.get("key_lists") or [])),
                    esc(d.get("office_phone", "") or "—"),
                    *_coverage(ctx, f.county.get(c), depth),
                ]
            )
        out.append(
            table(
                ["区县", "省级", "名单", "扶贫办电话", *headers_cov],
                rows,
                id_="bf-list",
                numeric={4, 5},
            )
        )
    elif level == "township":
        out += [
            f"共 {len(members)} 个乡镇。",
            "",
            filter_box("bf-list", "输入乡镇或区县名称筛选"),
            "",
        ]
        rows = []
        for t in members:
            rows.append(
                [
                    link(ctx.county_href(t.county, depth), ctx.county_name(t.county)),
                    esc(t.name),
                    str(len(t.villages)),
                    *_coverage(ctx, f.township.get(t.id), depth),
                ]
            )
        out.append(
            table(
                ["区县", "乡镇", "台账中的村", *headers_cov], rows, id_="bf-list", numeric={2, 3, 4}
            )
        )
    else:
        out += [
            f"共 {len(members)} 个村，按所在区县分组。",
            "",
            filter_box("bf-list", "输入村、乡镇或区县名称筛选"),
            "",
        ]
        rows = []
        for v in members:
            rows.append(
                [
                    link(ctx.county_href(v.county, depth), ctx.county_name(v.county)),
                    esc(ctx.township_name(v.township)),
                    village_link(ctx, v.id, depth),
                    *_coverage(ctx, f.village.get(v.id), depth),
                ]
            )
        out.append(table(["区县", "乡镇", "村", *headers_cov], rows, id_="bf-list", numeric={3, 4}))
        # one heading per county, so that searching a village name lands on its county group
        out += ["", "## 按区县", ""]
        by_county: dict[str, list] = {}
        for v in members:
            by_county.setdefault(v.county, []).append(v)
        for c, vs in by_county.items():
            out += [
                f"### {md(ctx.county_name(c))}",
                "",
                "、".join(f"{md(ctx.township_name(v.township))}{md(v.name)}" for v in vs),
                "",
            ]
    out += [
        "",
        "在执行方案：统计日期在方案期间内的方案；期间已过为已结束。" + MISSING_NOTE,
        "",
        "数据来源见各区县记录的 `sources` 字段和[来源文件](../sources.md)。",
    ]
    return "\n".join(out) + "\n"


def pages(ctx: SiteContext) -> dict[str, str]:
    out = {"lists/index.md": index_page(ctx), **pages_exit.pages(ctx)}
    for slug, *_ in LISTS:
        out[f"lists/{slug}.md"] = list_page(ctx, slug)
    return out
