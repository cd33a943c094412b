"""A page per pairing plan: its campaign, county and organizations, its targets (villages and
household counts, as published), its measures as recorded, and its reports by period with
amounts (the ``report_entries`` table) and whether each period was reported on time.

Figures come from the open-data tables (``plans``, ``plan_targets``, ``plan_organizations``,
``report_entries``) and the monitoring status, grouped once for all plans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from .context import SiteContext
from .links import campaign_link, count, county_link, org_link, village_link
from .pages_orgs import TIMELINESS_NOTE
from .search import summary_front
from .text import MISSING, MISSING_NOTE, WIDE, date_text, esc, front, md, table, withheld_note, yuan

DEPTH = 1


def _facts(ctx: SiteContext, pid: str, p: dict, row: dict) -> str:
    period = p.get("period") or {}
    span = " 至 ".join(str(x) for x in (period.get("start"), period.get("end")) if x)
    last = ctx.figs.plan_last_report.get(pid)
    rows = [
        ["所在区县", county_link(ctx, p.get("county"), DEPTH)],
        ["专项行动", campaign_link(ctx, p.get("campaign"), DEPTH)],
        ["结对形式", esc(p.get("form") or "—")],
        ["方案状态（记录）", esc(p.get("status") or "—")],
        ["统计日状况", esc(row.get("state") or "—")],
        ["帮扶期间", esc(span) or MISSING],
        ["进度报告记录起始日", esc(p.get("reports_tracked_from") or "—")],
        ["帮扶户数", count(ctx, row.get("target_households"))],
        ["计划金额（元）", yuan(row.get("planned_amount_yuan"))],
        ["已交付金额（元）", yuan(row.get("delivered_amount_yuan"))],
        ["进度报告期数", ctx.count(row.get("reports"))],
        ["最近一次进度报告", esc(date_text(last)) if last else MISSING],
    ]
    return table(["项目", "内容"], rows, cls="bf-table bf-facts")


def _measures(p: dict) -> str:
    rows = []
    for m in p.get("measures") or []:
        if not isinstance(m, dict):
            continue
        amount = m.get("amount")
        ok = isinstance(amount, int | float) and not isinstance(amount, bool)
        rows.append(
            [
                esc(m.get("kind") or "—"),
                esc(m.get("description") or "—"),
                yuan(amount if ok else None),
            ]
        )
    return table(["措施类别", "措施内容", "计划金额（元）"], rows, numeric={2})


def _reports(ctx: SiteContext, entries: list[dict], periods: list) -> list[str]:
    by_period: dict[str, list[dict]] = defaultdict(list)
    for r in entries:
        by_period[r["period"]].append(r)
    state = {p.label: p for p in periods}
    labels = sorted(set(by_period) | set(state))
    if not labels:
        return ["台账中无记录：台账中没有本方案的进度报告，也没有要求报送的期。", ""]
    rows = []
    for label in labels:
        ps = state.get(label)
        kinds = sorted(by_period.get(label, []), key=lambda r: r["kind"])
        timing = [
            esc(ps.deadline_text) if ps else "—",
            esc(ps.submitted_text) if ps else "—",
            esc(ps.state) if ps else "—",
        ]
        if not kinds:
            rows.append([esc(label), "—", MISSING, MISSING, MISSING, *timing])
        for i, r in enumerate(kinds):
            rows.append(
                [
                    esc(label) if i == 0 else "",
                    esc(r["kind"]),
                    ctx.count(r["entries"]),
                    yuan(r["amount_yuan"]),
                    ctx.count(r["households_reached"]),
                    *(timing if i == 0 else ["", "", ""]),
                ]
            )
    return [
        table(
            ["报送期", "活动类别", "条目", "金额（元）", "涉及户", "截止", "报送", "是否按时"],
            rows,
            numeric={2, 3, 4},
        ),
        TIMELINESS_NOTE,
        "",
    ]


def plan_page(ctx: SiteContext, pid: str, row: dict, orgs, targets, entries, periods) -> str:
    p = ctx.pub("plan", pid)
    name = p.get("name") or pid
    line = f"区县：{row['county_name']}" if row.get("county_name") else ""
    out = [front(name, **WIDE, **summary_front(line)), f"# {md(name)}", ""]
    out += [_facts(ctx, pid, p, row), ""]
    out += ["## 帮扶主体", ""]
    if orgs:
        out += [
            "<p>" + "、".join(org_link(ctx, o["organization"], DEPTH) for o in orgs) + "</p>",
            "",
        ]
    else:
        out += ["台账中无记录。", ""]
    out += ["## 帮扶对象", ""]
    trows = [
        [
            village_link(ctx, t["village"], DEPTH),
            esc(t.get("township_name") or "—"),
            esc(t.get("county_name") or "—"),
            "是" if t["village_targeted"] else "否",
            count(ctx, t["households"]),
        ]
        for t in targets
    ]
    out += [
        table(["村", "乡镇", "区县", "村为帮扶对象", "帮扶户"], trows, numeric={4}),
        "帮扶户只列户数，不列户；方案只列帮扶村、不列户时户数为“—”（台账中无记录）。",
        "",
    ]
    out += ["## 帮扶措施", "", _measures(p), ""]
    out += ["## 进度报告", ""]
    out += _reports(ctx, entries, periods)
    out += [
        withheld_note(ctx.threshold) + MISSING_NOTE,
    ]
    return "\n".join(out) + "\n"


def each(ctx: SiteContext) -> Iterator[tuple[str, str]]:
    """Each plan's page (path, Markdown), made when asked for: ``bangfu site`` writes each
    one before the next is made (``site.generate``)."""
    for row in ctx.tables["plans"].rows:
        pid = row["id"]
        yield (
            f"plans/{pid}.md",
            plan_page(
                ctx,
                pid,
                row,
                sorted(
                    ctx.rows_where("plan_organizations", "plan", [pid]), key=lambda r: r["position"]
                ),
                ctx.rows_where("plan_targets", "plan", [pid]),
                ctx.rows_where("report_entries", "plan", [pid]),
                ctx.periods_of([pid]),
            ),
        )
