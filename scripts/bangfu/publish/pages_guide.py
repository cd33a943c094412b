"""Hand-written pages with figures filled in from the records, so the text cannot drift.

A hand-written page in ``site/`` may hold markers ``[[kind:arg:field]]``:

- ``[[policy:ID:line]]`` (监测线, 元), ``[[policy:ID:dibao_standard]]``, ``[[policy:ID:multiple]]``,
  ``[[policy:ID:notice_min_days]]``, ``[[policy:ID:revisit:STATUS]]``, ``[[policy:ID:year]]``,
  ``[[policy:ID:threshold]]``
- ``[[campaign:ID:cadence]]`` (the reporting rule in words), ``[[campaign:ID:name]]``,
  ``[[campaign:ID:plans]]``, ``[[campaign:ID:orgs]]`` (plans and organizations in the data),
  ``[[campaign:ID:quota:COUNTY]]``, ``[[campaign:ID:quota-total]]``
- ``[[source:ID]]`` — a citation linking to the source list
- ``[[count:LIST]]`` — how many places the data holds on a key list
- ``[[block:NAME]]`` — a generated table (revisit, tiers, campaigns, quotas, categories, sources)

An unknown marker or a missing record stops the build, naming the marker.
"""

from __future__ import annotations

import re

from ..config import UsageError
from ..monitor import deadline_text
from .context import SiteContext
from .text import esc, md, table

MARKER = re.compile(r"\[\[([a-z-]+):([^\]\n]*)\]\]")
WEEKDAYS = "一二三四五六日"


def _num(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v:,}" if isinstance(v, int) else str(v)


def cadence_text(r: dict) -> str:
    """The reporting rule of a campaign, in words: ``bangfu.monitor.deadline_text``, from the
    same record fields the deadline rule reads."""
    return deadline_text(r)


def _policy_field(ctx: SiteContext, pid: str, rest: list[str]) -> str:
    rec = ctx.model.get("policy", pid)
    if rec is None:
        raise KeyError(pid)
    d = rec.data
    ml = d.get("monitoring_line") or {}
    key = rest[0] if rest else ""
    if key == "line":
        from ..policy import _line

        v = _line(ml)
    elif key == "dibao_standard":
        v = ml["dibao_standard"]
    elif key == "multiple":
        v = ml["dibao_multiple"]
    elif key == "notice_min_days":
        v = d["notice_min_days"]
    elif key == "revisit":
        v = d["revisit_days"][rest[1]]
    elif key == "year":
        return str(d["year"])
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
        return md(cadence_text(d["reporting"]))
    if key == "name":
        return md(d["name"])
    if key == "quota":
        return _num(next(q["households"] for q in d["quotas"] if q["county"] == rest[1]))
    if key in ("plans", "orgs"):
        plans = [ctx.model.get("plan", p).data for p in ctx.model.ids("plan")]
        plans = [p for p in plans if p.get("campaign") == cid]
        if key == "plans":
            return str(len(plans))
        return str(len({o for p in plans for o in p.get("organizations") or []}))
    if key == "quota-total":
        return _num(sum(q["households"] for q in d["quotas"]))
    raise KeyError(key)


def _count(ctx: SiteContext, name: str) -> str:
    m = ctx.model
    n = sum(name in (m.get("county", c).data.get("key_lists") or []) for c in m.ids("county"))
    n += sum(name in t.key_lists for t in m.townships.values())
    n += sum(name in v.key_lists for v in m.villages.values())
    return str(n)


def source_link(ctx: SiteContext, sid: str, depth: int = 0) -> str:
    rec = ctx.model.get("source", sid)
    if rec is None:
        raise KeyError(sid)
    return f"[来源：{md(rec.data.get('title', sid))}]({'../' * depth}sources.md#{sid})"


def _block(ctx: SiteContext, name: str) -> str:
    m = ctx.model
    if name == "revisit":
        rows = []
        for pid in sorted(m.ids("policy")):
            d = m.get("policy", pid).data
            rd = d.get("revisit_days") or {}
            rows.append(
                [
                    esc(d.get("name", pid)),
                    esc(d.get("year", "")),
                    *[
                        esc(_num(rd[s])) + " 天" if s in rd else "—"
                        for s in ("风险未消除", "风险已消除", "稳定脱贫")
                    ],
                ]
            )
        return table(["政策参数", "起始年度", "风险未消除", "风险已消除", "稳定脱贫"], rows)
    if name == "tiers":
        rows = []
        for pid in sorted(m.ids("policy")):
            d = m.get("policy", pid).data
            for t in d.get("warning_tiers") or []:
                rows.append(
                    [
                        esc(d.get("name", pid)),
                        esc(t.get("tier", "")) + "色",
                        esc(t.get("meaning", "")),
                    ]
                )
        return table(["政策参数", "等级", "对应的家庭"], rows)
    if name == "lines":
        rows = []
        from ..policy import _line

        for pid in sorted(m.ids("policy")):
            d = m.get("policy", pid).data
            ml = d.get("monitoring_line") or {}
            scope = d.get("scope") or {}
            where = (
                " ".join(str(scope[k]) for k in ("province", "city", "county") if k in scope)
                or "通用（未限定地区）"
            )
            how = (
                "固定金额"
                if ml.get("basis") == "固定金额"
                else f"低保标准 {_num(ml.get('dibao_standard'))} 元 × {_num(ml.get('dibao_multiple'))}"
            )
            line = _line(ml)
            rows.append(
                [
                    esc(where),
                    esc(d.get("year", "")),
                    esc(how),
                    esc(_num(line)) + " 元" if line is not None else "—",
                    esc(_num(d.get("notice_min_days", "—"))),
                ]
            )
        return table(
            ["适用地区", "起始年度", "确定方式", "监测线（元/人/年）", "公示最少天数"], rows
        )
    if name == "campaigns":
        rows = []
        for cid in sorted(m.ids("campaign")):
            d = m.get("campaign", cid).data
            forms = "；".join(
                f"{f.get('name', '')}（{f.get('due', '')}）" for f in d.get("forms") or []
            )
            rows.append(
                [
                    esc(d.get("name", cid)),
                    esc(cadence_text(d.get("reporting") or {})),
                    esc(forms or "—"),
                ]
            )
        return table(["专项行动", "进度报送", "表格"], rows)
    if name == "quotas":
        rows = []
        for cid in sorted(m.ids("campaign")):
            d = m.get("campaign", cid).data
            for q in d.get("quotas") or []:
                rows.append(
                    [
                        esc(d.get("name", cid)),
                        esc(ctx.county_name(q.get("county", ""))),
                        esc(q.get("households", "")),
                    ]
                )
        return table(["专项行动", "区县", "帮扶户配额"], rows, numeric={2})
    if name == "sources":
        rows = []
        for sid in sorted(m.ids("source")):
            d = m.get("source", sid).data
            rows.append(
                [esc(d.get("title", sid)), esc(d.get("issuer", "")), esc(d.get("date", "") or "—")]
            )
        return table(["文件", "发文机关", "日期"], rows)
    raise KeyError(name)


def fill(ctx: SiteContext, text: str, page: str, depth: int = 0) -> str:
    """Replace every marker; raise ``UsageError`` naming the first bad one."""

    def sub(mo: re.Match) -> str:
        kind, arg = mo.group(1), mo.group(2)
        parts = arg.split(":")
        try:
            if kind == "policy":
                return _policy_field(ctx, parts[0], parts[1:])
            if kind == "campaign":
                return _campaign_field(ctx, parts[0], parts[1:])
            if kind == "source":
                return source_link(ctx, parts[0], depth)
            if kind == "count":
                return _count(ctx, parts[0])
            if kind == "block":
                return "\n\n" + _block(ctx, parts[0]) + "\n"
        except (KeyError, IndexError, StopIteration, TypeError) as exc:
            raise UsageError(f"{page}：标记 {mo.group(0)} 无法填写（{exc!s}）") from exc
        raise UsageError(f"{page}：未知的标记 {mo.group(0)}")

    return MARKER.sub(sub, text)
