"""What supervisors look at first: status changes, income crossing the monitoring line,
new report entries and their total, new organizations and plans, deletions, correction
notes, changed supervisor lists, policy changes and their effect. Only public fields are
quoted."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Model
from ..policy import PolicyIndex
from .diff import MISSING, get
from .history import Pair

RISK_CLEARED = {"风险已消除", "稳定脱贫", "退出"}


@dataclass(frozen=True, slots=True)
class Highlight:
    topic: str  # status / income / entries / organization / plan / household / removed / corrections / supervisors / policy
    text: str
    file: str


def _num(v) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    return f"{v:,.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else f"{v:,}"


def _income(d) -> tuple[object, object]:
    inc = d.get("income") if isinstance(d, dict) else None
    if not isinstance(inc, dict):
        return None, None
    return inc.get("per_capita"), inc.get("year")


def _place(model: Model, d) -> str:
    v = model.villages.get(d.get("village")) if isinstance(d.get("village"), str) else None
    if v is None:
        return ""
    county = model.get("county", v.county)
    cname = county.data.get("name", v.county) if county else v.county
    return f"（{cname} {v.name}）"


def _entries_total(entries) -> tuple[int, float]:
    n, total = 0, 0.0
    for e in entries:
        if isinstance(e, dict):
            n += 1
            a = e.get("amount")
            if isinstance(a, int | float) and not isinstance(a, bool):
                total += a
    return n, total


def collect(pairs: list[Pair], model: Model) -> list[Highlight]:
    index = PolicyIndex(model)
    out: list[Highlight] = []
    for p in pairs:
        old, new = p.old_data, p.new_data
        file = p.record.file
        add = lambda topic, text, file=file: out.append(Highlight(topic, text, file))  # noqa: E731
        if p.status == "removed":
            name = (old or {}).get("name") if isinstance(old, dict) else None
            what = {
                "household": "户",
                "organization": "帮扶主体",
                "plan": "方案",
                "report": "进度报告",
                "county": "区县",
                "campaign": "专项行动",
                "policy": "政策参数",
                "source": "来源文件",
            }.get(p.kind or "", "文件")
            rid = p.record.id or file
            add("removed", f"删除了{what} {rid}" + (f"（{name}）" if isinstance(name, str) else ""))
            continue
        if not isinstance(new, dict):
            continue
        old = old if isinstance(old, dict) else {}
        k = p.kind
        if k == "household":
            rid = new.get("id", "")
            place = _place(model, new)
            if p.status == "added":
                add(
                    "household",
                    f"新增户 {rid}{place}：{new.get('category', '')}，{new.get('status', '')}",
                )
            elif old.get("status") != new.get("status"):
                mark = (
                    "（风险消除）"
                    if new.get("status") in RISK_CLEARED and old.get("status") not in RISK_CLEARED
                    else ""
                )
                add(
                    "status",
                    f"户 {rid}{place} 监测状态：{old.get('status', '（空）')} → "
                    f"{new.get('status', '（空）')}{mark}",
                )
            if old and old.get("warning_tier") != new.get("warning_tier"):
                add(
                    "status",
                    f"户 {rid} 预警等级：{old.get('warning_tier') or '（无）'} → "
                    f"{new.get('warning_tier') or '（无）'}",
                )
            out.extend(_crossing(p, model, index, file))
        elif k == "report":
            if p.status == "added":
                added = [e for e in new.get("entries") or []]
            else:
                added = [
                    get(new, ch.new_parts)
                    for ch in (p.diff.changes if p.diff else [])
                    if ch.op == "added"
                    and ch.old_parts is None
                    and ch.new_parts
                    and len(ch.new_parts) == 2
                    and ch.new_parts[0] == "entries"
                ]
            n, total = _entries_total(added)
            if n:
                verb = "新报告" if p.status == "added" else "报告"
                add(
                    "entries",
                    f"方案 {new.get('plan', '')} {verb} {new.get('id', '')}：新增帮扶条目 "
                    f"{n} 条，金额合计 {_num(round(total, 2))} 元",
                )
        elif k == "organization" and p.status == "added":
            add(
                "organization",
                f"新帮扶主体：{new.get('name', new.get('id', ''))}"
                f"（{new.get('kind', '')}，所在区县 {new.get('county', '')}）",
            )
        elif k == "plan":
            if p.status == "added":
                amount = sum(
                    a
                    for m in new.get("measures") or []
                    if isinstance(m, dict) and isinstance(a := m.get("amount"), int | float)
                )
                orgs = "、".join(o for o in new.get("organizations") or [] if isinstance(o, str))
                add(
                    "plan",
                    f"新结对帮扶方案：{new.get('name', new.get('id', ''))}（{new.get('form', '')}，"
                    f"帮扶主体 {orgs}，计划金额合计 {_num(amount)} 元）",
                )
            elif old.get("status") != new.get("status"):
                add(
                    "plan",
                    f"方案 {new.get('id', '')} 状态：{old.get('status', '（空）')} → "
                    f"{new.get('status', '（空）')}",
                )
        elif k == "county" and old.get("supervisors") != new.get("supervisors"):
            add(
                "supervisors",
                f"区县 {new.get('id', '')} 的审核人名单有改动（需维护者批准，"
                "合并后运行 bangfu codeowners）",
            )
        old_c = c if isinstance(c := old.get("corrections"), list) else []
        new_c = c if isinstance(c := new.get("corrections"), list) else []
        if len(new_c) > len(old_c):
            add(
                "corrections",
                f"{new.get('id', file)} 新增更正说明 {len(new_c) - len(old_c)} 条"
                "（更正历史记录，请核对原因和原值）",
            )
    return out


def _crossing(p: Pair, model: Model, index: PolicyIndex, file: str) -> list[Highlight]:
    old, new = p.old_data if isinstance(p.old_data, dict) else {}, p.new_data
    (a, ya), (b, yb) = _income(old), _income(new)
    if not isinstance(b, int | float) or isinstance(b, bool):
        return []
    county = (
        model.county_of_village(new.get("village")) if isinstance(new.get("village"), str) else None
    )
    pb = index.for_county(county, yb if isinstance(yb, int) else None) if county else None
    if pb is None or pb.line is None:
        return []
    rid = new.get("id", "")
    if not isinstance(a, int | float) or isinstance(a, bool) or get(old, ("income",)) is MISSING:
        if p.status == "added":
            side = "低于" if b < pb.line else "不低于"
            return [
                Highlight(
                    "income",
                    f"新增户 {rid} 人均纯收入 {_num(b)} 元，{side}监测线 "
                    f"{_num(pb.line)} 元（依据 {pb.id}）",
                    file,
                )
            ]
        return []
    pa = index.for_county(county, ya if isinstance(ya, int) else None) or pb
    la = pa.line if pa.line is not None else pb.line
    if (a < la) == (b < pb.line):
        return []
    if b >= pb.line:
        text = (
            f"户 {rid} 人均纯收入 {_num(a)} → {_num(b)} 元，升到监测线 {_num(pb.line)} 元以上"
            f"（依据 {pb.id}）"
        )
    else:
        text = (
            f"户 {rid} 人均纯收入 {_num(a)} → {_num(b)} 元，降到监测线 {_num(pb.line)} 元以下，"
            f"需关注返贫风险（依据 {pb.id}）"
        )
    return [Highlight("income", text, file)]


def policy(pairs: list[Pair], effect: list[str]) -> list[Highlight]:
    """One note per changed policy record or campaign, then the effect on the ledger (counts
    only, computed in ``effects``)."""
    out = []
    for p in pairs:
        rec = p.record
        what = "政策参数" if p.kind == "policy" else "专项行动"
        verb = {"added": "新增", "removed": "删除"}.get(p.status, "改动")
        fields = sorted({ch.label.split(" · ")[0] for ch in (p.diff.changes if p.diff else [])})
        which = f"（{'、'.join(fields)}）" if fields else ""
        out.append(
            Highlight(
                "policy",
                f"{verb}了{what} {rec.id or rec.file}{which}：需维护者批准；本次记录仍按现行政策检查",
                rec.file,
            )
        )
    first = pairs[0].record.file
    out += [Highlight("policy", f"政策改动的影响：{line}", first) for line in effect]
    return out
