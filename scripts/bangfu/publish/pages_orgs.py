"""帮扶主体: an index and one page per organization — plans, targets, pledged and delivered,
report timeliness."""

from __future__ import annotations

from collections import Counter, defaultdict

from ..aggregate.columns import NOT_RECORDED
from ..monitor import TIMELY, UNTRACKED, timeliness_text
from .context import SiteContext
from .links import plan_link
from .pages_assumptions import mark
from .text import (
    MISSING,
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

TIMELINESS_NOTE = (
    "只对台账记录其进度报告的报送期判断是否按时：从方案或专项行动的“进度报告记录起始日”起，"
    "没有规定时从方案第一份报告所在的期起。更早的期，以及没有报告、也没有规定起始日的方案，"
    "都是“台账中无记录”，不判断是否按时。"
)

FIELDS = [
    ("kind", "主体类型"),
    ("category", "业务类别"),
    ("uscc", "统一社会信用代码"),
    ("supervising_unit", "业务主管单位"),
    ("office_phone", "办公电话"),
]


def _plans_of(ctx: SiteContext) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for pid in sorted(ctx.model.ids("plan")):
        for o in ctx.data("plan", pid).get("organizations") or []:
            out[o].append(pid)
    return out


def index_page(ctx: SiteContext, plans_of) -> str:
    out = [
        front("帮扶主体", **WIDE),
        "# 帮扶主体",
        "",
        "参与结对帮扶的社会组织、志愿服务队伍、企业和单位。点名称查看它的方案、承诺与交付、报送及时性。",
        "",
        filter_box("bf-orgs", "输入名称、类型或区县筛选"),
        "",
    ]
    rows = []
    for oid in sorted(ctx.model.ids("organization")):
        d = ctx.pub("organization", oid)
        c = ctx.status.by_org.get(oid, Counter())
        rows.append(
            [
                link(ctx.org_href(oid, 1), d.get("name", oid)),
                mark("organization", d, "kind", esc(d.get("kind", "")), 1),
                mark("organization", d, "category", esc(d.get("category", "—")), 1),
                esc(ctx.county_name(d["county"]) if d.get("county") else "—"),
                str(len(plans_of.get(oid, []))),
                esc(text) if (text := timeliness_text(c)) else MISSING,
            ]
        )
    out.append(
        table(
            ["名称", "类型", "类别", "所在区县", "方案", "报送及时性（按期）"],
            rows,
            id_="bf-orgs",
            numeric={4},
        )
    )
    out += ["", TIMELINESS_NOTE + MISSING_NOTE]
    return "\n".join(out) + "\n"


def org_page(ctx: SiteContext, oid: str, plans: list[str], kinds_by_plan: dict) -> str:
    f = ctx.figs
    d = ctx.pub("organization", oid)
    name = d.get("name", oid)
    out = [front(name, **WIDE), f"# {md(name)}", ""]
    rows = [
        [esc(label), mark("organization", d, k, esc(d[k]), 1)] for k, label in FIELDS if d.get(k)
    ]
    if d.get("county"):
        rows.append(
            ["所在区县", link(ctx.county_href(d["county"], 1), ctx.county_name(d["county"]))]
        )
    if d.get("domains"):
        rows.append(["帮扶领域", esc("、".join(d["domains"]))])
    out.append(table(["项目", "内容"], rows, cls="bf-table bf-facts"))
    out += ["## 结对方案", ""]
    prow = []
    pledged: Counter = Counter()
    delivered_by_kind: dict[str, float] = defaultdict(float)
    plan_rows = {r["id"]: r for r in ctx.rows_where("plans", "id", plans)}
    for pid in plans:
        p = ctx.pub("plan", pid)
        row = plan_rows.get(pid, {})
        t = p.get("targets") or {}
        villages = esc("、".join(ctx.village_name(v) for v in t.get("villages") or []))
        hh = row.get("target_households")  # as published (disclosure control)
        shown = hh not in (None, 0, NOT_RECORDED)
        target = (
            "、".join(x for x in (villages, f"{ctx.count(hh)} 户" if shown else "") if x) or "—"
        )
        period = p.get("period") or {}
        for x in p.get("measures") or []:
            if isinstance(x.get("amount"), int | float):
                pledged[x.get("kind", "其他")] += x["amount"]
        camp = p.get("campaign")
        last = f.plan_last_report.get(pid)
        prow.append(
            [
                plan_link(ctx, pid, 1),
                esc(ctx.name("campaign", camp) if camp else "—"),
                esc(p.get("form", "")),
                target,
                esc(f"{period.get('start', '')} 至 {period.get('end', '')}"),
                esc(row.get("state", "")),
                yuan(row.get("planned_amount_yuan")),
                yuan(row.get("delivered_amount_yuan")),
                esc(date_text(last)) if last else MISSING,
            ]
        )
        for kind, amount in kinds_by_plan.get(pid, ()):
            delivered_by_kind[kind] += amount
    out.append(
        table(
            [
                "方案",
                "专项行动",
                "形式",
                "帮扶对象",
                "期间",
                "统计日状况",
                "计划金额（元）",
                "已交付（元）",
                "最近报告",
            ],
            prow,
            numeric={6, 7},
        )
    )
    out += [
        "多个主体共同承担的方案（多对一、多对多），金额按方案整体列出，不拆分到各主体。"
        "统计日状况按方案状态和期间判断，期间已过的方案为已结束。" + MISSING_NOTE,
        "",
    ]
    out += ["## 承诺与交付", ""]
    if pledged:
        out.append(
            table(
                ["措施类别", "计划金额（元）"],
                [[esc(k), yuan(v)] for k, v in sorted(pledged.items())],
                numeric={1},
            )
        )
    else:
        out += ["计划金额：台账中无记录（这些方案的措施都没有写金额）。", ""]
    reported = [pid for pid in plans if plan_rows.get(pid, {}).get("reports")]
    if reported:
        out.append(
            table(
                ["活动类别", "已交付金额（元）"],
                [
                    [esc(k), yuan(v)]
                    for k, v in sorted(delivered_by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
                ],
                numeric={1},
            )
        )
    else:
        out += ["已交付金额：台账中无记录（台账中没有这些方案的进度报告）。", ""]
    out += [
        "## 报送及时性",
        "",
        "按所属专项行动的报送周期逐期核对（规则见[政策指南](../guide.md#reporting)）。",
        "",
    ]
    c = ctx.status.by_org.get(oid, Counter())
    if timeliness_text(c) is None:
        out += [f"{UNTRACKED}。" + TIMELINESS_NOTE, ""]
        return "\n".join(out) + "\n"
    states = [*TIMELY, UNTRACKED]
    out.append(table(states, [[str(c.get(k, 0)) for k in states]], numeric=set(range(len(states)))))
    out += [TIMELINESS_NOTE, ""]
    late = [p for p in ctx.periods_of(plans) if p.state in ("逾期", "未报")]
    if late:
        rows = [
            [
                esc(ctx.name("plan", p.plan)),
                esc(p.label),
                esc(p.deadline_text),
                esc(p.submitted_text),
                esc(p.state),
            ]
            for p in late[:50]
        ]
        out += [
            "",
            "逾期或未报的期次"
            + (f"（前 50 期，共 {len(late)} 期）" if len(late) > 50 else "")
            + "：",
            "",
        ]
        out.append(table(["方案", "报送期", "截止", "报送", "状态"], rows))
    return "\n".join(out) + "\n"


def pages(ctx: SiteContext) -> dict[str, str]:
    plans_of = _plans_of(ctx)
    kinds_by_plan: dict[str, list] = defaultdict(list)
    for r in ctx.tables["report_entries"].rows:
        if published(r["amount_yuan"]):
            kinds_by_plan[r["plan"]].append((r["kind"], published(r["amount_yuan"])))
    out = {"orgs/index.md": index_page(ctx, plans_of)}
    for oid in sorted(ctx.model.ids("organization")):
        out[f"orgs/{oid}.md"] = org_page(ctx, oid, plans_of.get(oid, []), kinds_by_plan)
    return out
