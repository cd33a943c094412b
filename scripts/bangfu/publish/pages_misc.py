"""首页 headline figures, 数据字典, 错误代码 and 来源文件 (数据下载: ``pages_downloads``)."""

from __future__ import annotations

from ..aggregate.cells import CATEGORIES
from ..aggregate.columns import WITHHELD
from ..docs import data_dictionary_markdown, error_codes_markdown
from . import charts
from .context import SiteContext
from .text import MISSING, MISSING_NOTE, beijing_text, esc, front, md, number, table, yuan


def home_figures(ctx: SiteContext) -> str:
    """The block that replaces ``[[home:figures]]`` in ``site/index.md``."""
    m = ctx.model
    f = ctx.figs
    key = [v for v in m.villages.values() if v.key_lists]
    covered = [v for v in key if f.village.get(v.id) and f.village[v.id].plans]
    delivered = f.delivered_year
    cards = [
        (
            "重点村有结对",
            f"{len(covered)} / {len(key)}",
            "定点攻坚村和挂牌督战村中，统计日期有在执行方案的村",
        ),
        ("帮扶主体", f"{len(m.ids('organization'))}", "台账中的社会组织、志愿队伍和单位"),
        (
            "在执行方案",
            f"{len(f.running_plans)}",
            f"统计日期在方案期间内的方案；另有已结束或已完成的 {len(f.ended_plans)} 个",
        ),
        ("监测户", ctx.count(f.total.monitored), "未退出监测的帮扶户"),
        (f"{f.year} 年走访", number(f.visits_year), "走访、电话回访和慰问条目"),
        (
            f"{f.year} 年交付",
            MISSING if delivered is None else f"{yuan(delivered)} 元",
            "进度报告中的资金和物资折价",
        ),
    ]
    html = ['<div class="bf-cards">']
    for label, value, note in cards:
        html.append(
            f'<div class="bf-card"><div class="bf-card-value">{value}</div>'
            f'<div class="bf-card-label">{esc(label)}</div><div class="bf-card-note">{esc(note)}</div></div>'
        )
    html.append("</div>")
    if any(value == MISSING for _, value, _ in cards):
        html.append(f'<p class="bf-note">{esc(MISSING_NOTE)}</p>')
    out = ["".join(html), ""]
    cats = [(c, f.total.categories[c]) for c in CATEGORIES if f.total.categories[c]]
    if cats:
        rows = [[esc(c), ctx.count(n)] for c, n in cats]
        out += ["**未退出监测的户按类别**", "", table(["监测类别", "户数"], rows, numeric={1})]
        if all(n is not WITHHELD and n >= ctx.threshold for _, n in cats):
            out.append(
                charts.bar_chart("未退出监测的户按类别", cats, " 户", heads=("监测类别", "户数"))
            )
        out.append("")
    out.append(
        f"数据最后更新：**{esc(beijing_text(ctx.updated))}**；统计日期：**{ctx.as_of.isoformat()}**。"
    )
    return "\n".join(out)


def sources_page(ctx: SiteContext) -> str:
    out = [
        front("来源文件"),
        "# 来源文件",
        "",
        "台账中的名单、参数和方案都注明出自下列公开文件。网站上的说明是我们自己的概括，不是原文。",
        "",
    ]
    for sid in sorted(ctx.model.ids("source")):
        d = ctx.pub("source", sid)
        out += [f'<h2 id="{esc(sid)}">{esc(d.get("title", sid))}</h2>', ""]
        facts = [
            ("发文机关", d.get("issuer")),
            ("文号", d.get("number")),
            ("日期", d.get("date")),
            ("适用地区", d.get("region")),
        ]
        for label, v in facts:
            if v:
                out.append(f"- {label}：{md(v)}")
        out.append(f"- 编号：`{esc(sid)}`")
        if d.get("summary"):
            out += ["", md(d["summary"])]
        out.append("")
    return "\n".join(out) + "\n"


def pages(ctx: SiteContext) -> dict[str, str]:
    return {
        "sources.md": sources_page(ctx),
        "dictionary.md": front("数据字典") + data_dictionary_markdown(ctx.schemas_dir),
        "errors.md": front("错误代码") + error_codes_markdown(),
    }
