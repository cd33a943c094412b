"""Hand-written pages with figures filled in from the records, so the text cannot drift.

A hand-written page in ``site/`` may hold markers ``[[kind:arg:field]]``:

- ``[[policy:ID:line]]`` (监测线, 元), ``[[policy:ID:multiple]]``, ``[[policy:ID:urban_monthly]]``,
  ``[[policy:ID:notice_min_days]]``, ``[[policy:ID:revisit:STATUS]]``, ``[[policy:ID:year]]``
  (未写明 when the source has none), ``[[policy:ID:threshold]]``, ``[[policy:ID:where]]``
  (the region in words), ``[[policy:ID:basis]]`` (来源 or a 推定 link)
- ``[[campaign:ID:cadence]]`` (the reporting rule in words), ``[[campaign:ID:name]]``,
  ``[[campaign:ID:plans]]``, ``[[campaign:ID:orgs]]`` (plans and organizations in the data),
  ``[[campaign:ID:quota:COUNTY]]``, ``[[campaign:ID:quota-total]]``
- ``[[source:ID]]`` or ``[[source:ID:SECTION]]`` — a citation (with the section) linking to the
  source list
- ``[[count:LIST]]`` — how many places the data holds on a key list
- ``[[block:NAME]]`` — a generated table (lines, revisit, tiers, campaigns, phases, quotas, sources,
  rules: the monitoring rules of ``rules.catalog``)
- ``[[example:plan]]``, ``[[example:period]]`` — a plan of the data that has reports and the
  next period it has not reported yet, so the commands shown on the site run as written
  (``tests/test_site_commands.py`` runs them)

An unknown marker or a missing record stops the build, naming the marker.
"""

from __future__ import annotations

import datetime as dt
import re

from ..config import UsageError
from ..monitor import reporting_rule_text
from ..rules.dates import label_period
from . import pages_rules
from .context import SiteContext
from .pages_assumptions import href as assumption_href
from .pages_assumptions import mark
from .text import esc, link, md, table

MARKER = re.compile(r"\[\[([a-z-]+):([^\]\n]*)\]\]")


def _num(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v:,}" if isinstance(v, int) else str(v)


def visits_text(v: object) -> str:
    """A campaign's visiting requirement (visits to the assisted, not reports to an authority)."""
    if not isinstance(v, dict) or not v.get("cadence"):
        return "来源没有规定"
    kinds = "、".join(v.get("kinds") or []) or "走访"
    who = f"对{v['targets']}" if v.get("targets") else ""
    cond = "有条件的" if v.get("conditional") else ""
    return f"{cond}{who}{v['cadence']}{kinds}"


def period_text(period: object) -> str:
    p = period if isinstance(period, dict) else {}
    start, end = p.get("start"), p.get("end")
    if start and end:
        return f"{start} 至 {end}"
    if end:
        return f"开始日期来源未写明，至 {end}"
    if start:
        return f"自 {start} 起，来源未写结束日期"
    return "来源未写明"


def campaign_facts(ctx: SiteContext, c: dict, depth: int = 0) -> list[str]:
    """The facts of a campaign record as Markdown lines, 推定 fields marked."""
    auth = mark("campaign", c, "authority", md(c.get("authority", "—")), depth)
    per = mark("campaign", c, "period", md(period_text(c.get("period"))), depth)
    out = [
        f"组织机关：{auth}；期间：{per}。  ",
        f"报送要求：{md(reporting_rule_text(c.get('reporting') or {}))}。  ",
        f"走访要求：{md(visits_text(c.get('visits')))}。",
        "",
    ]
    el = c.get("exit_line")
    if isinstance(el, dict) and el.get("amount") is not None:
        base = f"（{el['prices_year']} 年不变价）" if el.get("prices_year") else ""
        out += [
            f"脱贫标准线：{md(el.get('name', ''))}，人均纯收入 {_num(el['amount'])} 元{base}。",
            "",
        ]
    if c.get("phases"):
        out += ["**阶段**", "", _phases(c, depth), ""]
    return out


def _phases(c: dict, depth: int) -> str:
    rows = []
    for ph in c.get("phases") or []:
        span = " 至 ".join(x for x in (ph.get("start"), ph.get("end")) if x)
        rows.append(
            [
                esc(ph.get("name", "")),
                esc(ph.get("stated", "")),
                mark("campaign", c, "phases", esc(span), depth) if span else "—",
                esc("、".join(ph.get("deadlines") or [])) or "—",
            ]
        )
    return table(["阶段", "来源写法", "台账记的日期", "期限"], rows)


def _policy_name(d: dict, depth: int) -> str:
    name = esc(d.get("name", d.get("id", "")))
    if d.get("basis") == "assumption":
        return f"{name}（{link(assumption_href('policy', str(d.get('id', '')), depth), '推定')}）"
    return name


def where_text(d: dict) -> str:
    scope = d.get("scope") or {}
    where = " ".join(str(scope[k]) for k in ("province", "city", "county") if k in scope)
    part = scope.get("part")
    if isinstance(part, dict):
        where += f"下辖某{part.get('level', '')}（原文未写名称）"
    return where or "不限地区"


def _policy_field(ctx: SiteContext, pid: str, rest: list[str], depth: int = 0) -> str:
    rec = ctx.model.get("policy", pid)
    if rec is None:
        raise KeyError(pid)
    d = rec.data
    ml = d.get("monitoring_line") or {}
    key = rest[0] if rest else ""
    if key == "line":
        from ..policy import _line

        v = _line(ml)
    elif key == "multiple":
        v = ml["dibao_multiple"]
    elif key == "urban_monthly":
        v = ml["urban_monthly"]
    elif key == "where":
        return md(where_text(d))
    elif key == "basis":
        if d.get("basis") == "assumption":
            return link(assumption_href("policy", pid, depth), "推定")
        return "来源"
    elif key == "notice_min_days":
        v = d["notice_min_days"]
    elif key == "revisit":
        v = d["revisit_days"][rest[1]]
    elif key == "year":
        return str(d["year"]) if d.get("year") else "未写明"
    elif key == "threshold":
        v = d["small_cell_threshold"]
    else:
        raise KeyError(key)
    return _num(v)


def _campaign_field(ctx: SiteContext, cid: str, rest: list[str]) -> str:
    rec = ctx.model.get("campaign", cid)
    if rec is None:
        raise KeyError(cid)
    d = rec.data
    key = rest[0] if rest else ""
    if key == "cadence":
        return md(reporting_rule_text(d["reporting"]))
    if key == "name":
        return md(d["name"])
    if key == "quota":
        return _num(next(q["households"] for q in d["quotas"] if q["county"] == rest[1]))
    if key in ("plans", "orgs"):
        plans = [ctx.data("plan", p) for p in ctx.model.ids("plan")]
        plans = [p for p in plans if p.get("campaign") == cid]
        if key == "plans":
            return str(len(plans))
        return str(len({o for p in plans for o in p.get("organizations") or []}))
    if key == "quota-total":
        return _num(sum(q["households"] for q in d["quotas"]))
    raise KeyError(key)


def _count(ctx: SiteContext, name: str) -> str:
    m = ctx.model
    n = sum(name in (ctx.data("county", c).get("key_lists") or []) for c in m.ids("county"))
    n += sum(name in t.key_lists for t in m.townships.values())
    n += sum(name in v.key_lists for v in m.villages.values())
    return str(n)


def source_link(ctx: SiteContext, sid: str, depth: int = 0, section: str = "") -> str:
    rec = ctx.model.get("source", sid)
    if rec is None:
        raise KeyError(sid)
    where = f"，{md(section)}" if section else ""
    return f"[来源：{md(rec.data.get('title', sid))}{where}]({'../' * depth}sources.md#{sid})"


def _block(ctx: SiteContext, name: str, depth: int = 0) -> str:
    m = ctx.model
    if name == "revisit":
        rows = []
        for pid in sorted(m.ids("policy")):
            d = ctx.data("policy", pid)
            rd = d.get("revisit_days") or {}
            if not rd:
                continue
            rows.append(
                [
                    _policy_name(d, depth),
                    *[
                        mark("policy", d, "revisit_days", esc(_num(rd[s])) + " 天", depth)
                        if s in rd
                        else "—"
                        for s in ("风险未消除", "风险已消除", "稳定脱贫")
                    ],
                ]
            )
        return table(["政策参数", "风险未消除", "风险已消除", "稳定脱贫"], rows)
    if name == "tiers":
        rows = []
        for pid in sorted(m.ids("policy")):
            d = ctx.data("policy", pid)
            for t in d.get("warning_tiers") or []:
                rows.append(
                    [
                        _policy_name(d, depth),
                        esc(t.get("tier", "")) + "色",
                        esc(t.get("meaning", "")),
                    ]
                )
        return table(["政策参数", "等级", "对应的家庭"], rows)
    if name == "lines":
        rows = []
        from ..policy import _line

        for pid in sorted(m.ids("policy")):
            d = ctx.data("policy", pid)
            ml = d.get("monitoring_line") or {}
            if not ml:  # a record that sets procedures or cadences only
                continue
            how = (
                "固定金额"
                if ml.get("basis") == "固定金额"
                else f"当地低保标准的 {_num(ml.get('dibao_multiple'))} 倍"
            )
            line = _line(ml)
            urban = (
                f"；城市 {_num(ml['urban_monthly'])} 元/人/月" if ml.get("urban_monthly") else ""
            )
            rows.append(
                [
                    _policy_name(d, depth),
                    mark("policy", d, "scope", esc(where_text(d)), depth),
                    esc(d.get("year") or "未写明"),
                    esc(how),
                    mark(
                        "policy", d, "monitoring_line", esc(_num(line)) + " 元" + esc(urban), depth
                    )
                    if line is not None
                    else "—",
                    mark("policy", d, "notice_min_days", esc(_num(d["notice_min_days"])), depth)
                    if d.get("notice_min_days")
                    else "—",
                ]
            )
        return table(
            ["政策参数", "适用地区", "年度", "确定方式", "监测线（元/人/年）", "公示最少天数"],
            rows,
        )
    if name == "campaigns":
        rows = []
        for cid in sorted(m.ids("campaign")):
            d = ctx.data("campaign", cid)
            forms = "；".join(
                f"{f.get('name', '')}（{f.get('due', '')}）" for f in d.get("forms") or []
            )
            rows.append(
                [
                    esc(d.get("name", cid)),
                    esc(reporting_rule_text(d.get("reporting") or {})),
                    esc(visits_text(d.get("visits"))),
                    esc(forms or "—"),
                ]
            )
        return table(["专项行动", "进度报送", "走访要求", "表格"], rows)
    if name == "quotas":
        rows = []
        for cid in sorted(m.ids("campaign")):
            d = ctx.data("campaign", cid)
            for q in d.get("quotas") or []:
                rows.append(
                    [
                        esc(d.get("name", cid)),
                        esc(ctx.county_name(q.get("county", ""))),
                        esc(q.get("households", "")),
                    ]
                )
        return table(["专项行动", "区县", "帮扶户配额"], rows, numeric={2})
    if name == "rules":
        return pages_rules.block(ctx, depth)
    if name == "sources":
        rows = []
        for sid in sorted(m.ids("source")):
            d = ctx.data("source", sid)
            rows.append(
                [esc(d.get("title", sid)), esc(d.get("issuer", "")), esc(d.get("date", "") or "—")]
            )
        return table(["文件", "发文机关", "日期"], rows)
    raise KeyError(name)


def _next_period(label: str) -> str:
    """The report period after ``label``, written the same way (2025-04, 2025-W18, 2025-Q2);
    ``label`` itself when it names no period."""
    span = label_period(label)
    if span is None:
        return label
    nxt = span[1] + dt.timedelta(days=1)
    if "-W" in label:
        year, week, _ = nxt.isocalendar()
        return f"{year}-W{week:02d}"
    if "-Q" in label:
        return f"{nxt.year}-Q{(nxt.month - 1) // 3 + 1}"
    return f"{nxt.year}-{nxt.month:02d}"


def example(ctx: SiteContext) -> dict[str, str]:
    """A plan for the examples (the first running plan with reports, by id) and the next
    period it has not reported."""
    m = ctx.model
    reported = [p for p in sorted(m.ids("plan")) if m.reports_by_plan.get(p)]
    active = set(ctx.figs.running_plans)
    running = [p for p in reported if p in active] or reported
    if not running:
        return {
            "plan": next(iter(sorted(m.ids("plan"))), "方案编号"),
            "period": f"{ctx.as_of:%Y-%m}",
        }
    plan = running[0]
    starts: dict[str, dt.date] = {}  # report label → first day, in report order
    for r in m.reports_by_plan[plan]:  # their ids only (``Model.release`` keeps them)
        label = str(r.id)
        if span := label_period(label):
            starts.setdefault(label, span[0])
    last = max(starts, key=lambda x: starts[x]) if starts else f"{ctx.as_of:%Y-%m}"
    return {"plan": plan, "period": _next_period(last)}


def fill(ctx: SiteContext, text: str, page: str, depth: int = 0) -> str:
    """Replace every marker; raise ``UsageError`` naming the first bad one."""

    def sub(mo: re.Match) -> str:
        kind, arg = mo.group(1), mo.group(2)
        parts = arg.split(":")
        try:
            if kind == "policy":
                return _policy_field(ctx, parts[0], parts[1:], depth)
            if kind == "campaign":
                return _campaign_field(ctx, parts[0], parts[1:])
            if kind == "source":
                return source_link(ctx, parts[0], depth, ":".join(parts[1:]))
            if kind == "count":
                return _count(ctx, parts[0])
            if kind == "example":
                return example(ctx)[parts[0]]
            if kind == "block":
                return "\n\n" + _block(ctx, parts[0], depth) + "\n"
        except (KeyError, IndexError, StopIteration, TypeError) as exc:
            raise UsageError(f"{page}：标记 {mo.group(0)} 无法填写（{exc!s}）") from exc
        raise UsageError(f"{page}：未知的标记 {mo.group(0)}")

    return MARKER.sub(sub, text)
