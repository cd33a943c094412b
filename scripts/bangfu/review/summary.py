"""Rendering a review as Markdown (pull-request comment and job summary), plain text or JSON.

Every value that comes from a record is escaped for Markdown and cannot mention anyone
(``@`` is broken with a zero-width space); private fields never carry a value.

By default the output is safe for any member of the records repository (see
``site/threat-model.md``): record ids, field titles, the kind of change, blocking reasons and
the required reviewers, but no per-household value — not even of fields classified public,
since one household is one family and the site shows households only as suppressed
aggregates. Household records and report entries (each about one household or village) show
which fields changed, not their values; highlights about a household say what changed, not to
what. ``private=True`` (``bangfu review --private``, for a county's reviewers on their own
machine) shows those values too; private fields stay hidden either way.
"""

from __future__ import annotations

import json

from ..findings import ERROR, Finding
from ..public import NEVER_PUBLIC_KINDS
from .core import RecordChange, Review
from .diff import PRIVATE_NOTE, FieldChange

MARKER = "<!-- bangfu-review -->"
STATUS_TITLES = {"added": "新增", "modified": "修改", "removed": "删除", "renamed": "移动"}
OP_TITLES = {"changed": "修改", "added": "新增", "removed": "删除"}
MAX_RECORDS = 300  # records listed in detail; the rest are counted
MAX_FIELDS = 40  # field rows per record
MAX_HIGHLIGHTS = 200
# a pull-request comment holds at most 65,536 characters; record details stop before that,
# and ``capped`` cuts the whole comment there
MAX_MARKDOWN = 60_000
ARTIFACT = "bangfu-review"  # the workflow uploads the full report under this name

HOUSEHOLD_NOTE = "逐户信息，摘要不显示数值"
PRIVATE_FLAG = "--private"
PRIVATE_WARNING = (
    "本摘要含逐户数值（bangfu review --private），只供本区县审核人在本机查看；"
    "不要贴到拉取请求评论、任务摘要、CI 日志或其他共享渠道。"
)
# what a highlight about a household says by default: the topic, never the values
HOUSEHOLD_TOPICS = {
    "household": "新增",
    "status": "监测状态或预警等级有改动",
    "income": "人均纯收入有改动，需核对与监测线的关系",
    "removed": "已删除",
    "corrections": "新增更正说明",
}
HOUSEHOLD_TOPIC_OTHER = "有需要关注的改动"


def md(text: str) -> str:
    """Escape record text for a Markdown table cell or list item."""
    out = str(text)
    for a, b in (
        ("\\", "\\\\"),
        ("|", "\\|"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("*", "\\*"),
        ("_", "\\_"),
        ("[", "\\["),
        ("]", "\\]"),
        ("`", "\\`"),
        ("#", "\\#"),
        ("~", "\\~"),
        ("@", "@\u200b"),
    ):
        out = out.replace(a, b)
    return out.replace("\r", " ").replace("\n", "<br>")


def code(text: str) -> str:
    """Text for inside a Markdown code span (no escapes apply there)."""
    return str(text).replace("`", "'").replace("\r", " ").replace("\n", " ")


def _counts(r: Review) -> str:
    c = {s: sum(1 for x in r.records if x.status == s) for s in STATUS_TITLES}
    return (
        f"新增 {c['added']} 条、修改 {c['modified']} 条、删除 {c['removed']} 条、"
        f"移动 {c['renamed']} 条记录；其他文件 {len(r.other_files)} 个"
    )


def _finding_line(f: Finding) -> str:
    where = f"{f.file}:{f.line}" if f.line else f.file
    sev = "错误" if f.severity == ERROR else "警告"
    return f"{where} {f.path} [{f.code}] {sev}：{f.message}"


def per_household(rc: RecordChange, fc: FieldChange) -> bool:
    """A change whose values are about one household: any field of a household record, and
    any part of a report's entries (an entry names one household or village)."""
    if rc.kind in NEVER_PUBLIC_KINDS:
        return True
    return rc.kind == "report" and (fc.path == "$.entries" or fc.path.startswith("$.entries["))


def _field_rows(rc: RecordChange, private: bool) -> list[tuple[str, str, str, str]]:
    rows = []
    for fc in rc.fields:
        if fc.private:
            rows.append((fc.label, OP_TITLES[fc.op], PRIVATE_NOTE, ""))
        elif not private and per_household(rc, fc):
            rows.append((fc.label, OP_TITLES[fc.op], HOUSEHOLD_NOTE, ""))
        else:
            rows.append((fc.label, OP_TITLES[fc.op], fc.old_text, fc.new_text))
    return rows


def _field_dict(rc: RecordChange, fc: FieldChange, private: bool) -> dict:
    d = fc.as_dict()
    if not fc.private and not private and per_household(rc, fc):
        for k in ("old", "new", "old_text", "new_text"):
            d.pop(k, None)
        d["note"] = HOUSEHOLD_NOTE
    return d


def highlights(r: Review, private: bool) -> list[tuple[str, str, str]]:
    """(topic, text, file) of each highlight; by default a highlight about a household file
    names the household and the topic only."""
    if private:
        return [(h.topic, h.text, h.file) for h in r.highlights]
    households = {
        p: rc
        for rc in r.records
        if rc.kind in NEVER_PUBLIC_KINDS
        for p in (rc.old_path, rc.new_path)
        if p
    }
    out, seen = [], set()
    for h in r.highlights:
        rc = households.get(h.file)
        if rc is None:
            out.append((h.topic, h.text, h.file))
            continue
        what = HOUSEHOLD_TOPICS.get(h.topic, HOUSEHOLD_TOPIC_OTHER)
        text = (
            f"新增户 {rc.id or h.file}"
            if h.topic == "household"
            else f"户 {rc.id or h.file} {what}"
        )
        if (h.topic, text) not in seen:
            seen.add((h.topic, text))
            out.append((h.topic, text, h.file))
    return out


def _approver_lines(r: Review) -> list[tuple[str, str]]:
    out = []
    for a in r.approvals:
        who = "、".join(a.handles)
        if a.maintainers:
            why = "维护者"
            if a.unsupervised:
                why += f"（区县 {'、'.join(a.unsupervised)} 尚未登记审核人）"
        else:
            why = f"{a.county_name} {a.county} 的审核人".strip()
        out.append((who, f"{why}：{len(a.files)} 个文件"))
    return out


def markdown(r: Review, private: bool = False) -> str:
    L = [
        MARKER,
        "## 帮扶台账改动审核摘要",
        "",
    ]
    if private:
        L += [f"> ⚠️ {PRIVATE_WARNING}", ""]
    L += [
        f"对比 `{code(r.base)}`（{r.merge_base[:8]}）→ `{code(r.head)}`（{r.head_sha[:8]}）：{_counts(r)}。",
        "",
    ]
    blocking = r.blocking
    if blocking:
        L += [f"**❌ 有 {len(blocking)} 个阻止合并的问题**，见下文。", ""]
    else:
        L += ["**✅ 没有阻止合并的问题。**", ""]
    notes = highlights(r, private)
    if notes:
        L += ["### 重点关注", ""]
        L += [f"- {md(text)}" for _t, text, _f in notes[:MAX_HIGHLIGHTS]]
        if len(notes) > MAX_HIGHLIGHTS:
            L.append(f"- ……另有 {len(notes) - MAX_HIGHLIGHTS} 项（用 `bangfu review` 查看全部）")
        L.append("")
    if r.history:
        L += ["### 历史记录保护", ""]
        for f in r.history:
            L.append(f"- `{code(f.file)}` {md(f.path)} **{md(f.message)}**（`{f.code}`）  ")
            L.append(f"  怎么改：{md(f.hint)}")
        L.append("")
    L += ["### 检查结果（改动的文件）", ""]
    if r.findings:
        L += [f"- {md(_finding_line(f))}" for f in r.findings]
    else:
        L.append(
            f"改动的 {r.files_checked} 个文件全部通过检查。"
            if r.files_checked
            else "没有需要检查的记录文件。"
        )
    L.append("")
    L += ["### 需要审核", ""]
    L += [f"- `{who}` — {md(why)}" for who, why in _approver_lines(r)] or ["- （没有改动）"]
    L.append("")
    if r.records:
        L += ["### 逐条记录", ""]
        if len(r.records) > 20:
            L += ["<details><summary>展开全部记录改动</summary>", ""]
        size = sum(len(x) + 1 for x in L)
        shown = 0
        for rc in r.records[:MAX_RECORDS]:
            if size > MAX_MARKDOWN:
                break
            shown += 1
            title = f"{STATUS_TITLES[rc.status]} {rc.kind_title} {rc.id or ''}".rstrip()
            if rc.name:
                title += f"（{rc.name}）"
            path = rc.path if rc.status != "renamed" else f"{rc.old_path} → {rc.new_path}"
            block = [f"#### {md(title)}", "", f"`{code(path)}`", ""]
            if rc.unreadable:
                block += ["文件无法解析，见上面的检查结果。", ""]
            rows = _field_rows(rc, private)
            if rows:
                block += ["| 字段 | 改动 | 原值 | 新值 |", "| --- | --- | --- | --- |"]
                block += [
                    f"| {md(a)} | {b} | {md(c)} | {md(d)} |" for a, b, c, d in rows[:MAX_FIELDS]
                ]
                if len(rows) > MAX_FIELDS:
                    block.append(f"| …… | | 另有 {len(rows) - MAX_FIELDS} 处改动 | |")
                block.append("")
            L += block
            size += sum(len(x) + 1 for x in block)
        if shown < len(r.records):
            L += [
                f"另有 {len(r.records) - shown} 条记录的改动未列出（用 `bangfu review` 查看全部）。",
                "",
            ]
        if len(r.records) > 20:
            L += ["</details>", ""]
    if r.other_files:
        L += ["### 其他文件", ""]
        L += [
            f"- {STATUS_TITLES.get({'A': 'added', 'M': 'modified', 'D': 'removed', 'R': 'renamed'}[c.status])} "
            f"`{code(c.new or c.old or '')}`"
            for c in r.other_files
        ]
        L.append("")
    L.append(
        "<sub>由 `bangfu review` 生成；隐私字段只显示“隐私字段已修改”，不显示内容"
        + (
            "。</sub>"
            if private
            else f"；逐户信息（户和帮扶条目）只列字段和改动类型，数值由区县审核人在本机用 "
            f"`bangfu review {PRIVATE_FLAG}` 查看。</sub>"
        )
    )
    return capped("\n".join(L) + "\n")


def capped(text: str, limit: int = MAX_MARKDOWN) -> str:
    """At most ``limit`` characters, cut at a line end, with a note where the full report is:
    the host rejects a longer comment and would leave the previous one (maybe green) in place.
    The verdict is at the top, so it always survives the cut."""
    if len(text) <= limit:
        return text
    note = (
        f"\n\n**⚠️ 摘要太长（{len(text):,} 个字符），评论只显示前一部分。**"
        f"完整报告见本次运行的附件 `{ARTIFACT}`（Actions → 本次运行 → Artifacts），"
        "或在本地运行 `bangfu review`。\n"
    )
    cut = text.rfind("\n", 0, limit - len(note) - 20)
    head = text[: max(cut, 0)]
    if head.count("<details>") > head.count("</details>"):
        head += "\n\n</details>"
    return head + note


def text(r: Review, private: bool = False) -> str:
    L = [PRIVATE_WARNING] if private else []
    L += [f"对比 {r.base}（{r.merge_base[:8]}）→ {r.head}（{r.head_sha[:8]}）：{_counts(r)}。"]
    blocking = r.blocking
    L.append(
        f"结论：有 {len(blocking)} 个阻止合并的问题。" if blocking else "结论：没有阻止合并的问题。"
    )
    notes = highlights(r, private)
    if notes:
        L += ["", "重点关注："] + [f"  - {text}" for _t, text, _f in notes]
    if r.history:
        L += ["", "历史记录保护："]
        for f in r.history:
            L += [f"  {_finding_line(f)}", f"      怎么改：{f.hint}"]
    L += ["", "检查结果（改动的文件）："]
    L += [f"  {_finding_line(f)}" for f in r.findings] or ["  全部通过。"]
    L += ["", "需要审核："] + [f"  {who} — {why}" for who, why in _approver_lines(r)]
    if r.records:
        L += ["", "逐条记录："]
        for rc in r.records:
            path = rc.path if rc.status != "renamed" else f"{rc.old_path} → {rc.new_path}"
            name = f"（{rc.name}）" if rc.name else ""
            L.append(f"  {STATUS_TITLES[rc.status]} {rc.kind_title} {rc.id or ''}{name}  {path}")
            if rc.unreadable:
                L.append("      文件无法解析，见检查结果")
            for a, b, c, d in _field_rows(rc, private):
                L.append(f"      {a}：{b} {c}" + (f" → {d}" if d else ""))
    if r.other_files:
        L += ["", "其他文件："] + [f"  {c.status} {c.new or c.old}" for c in r.other_files]
    return "\n".join(L) + "\n"


def as_json(r: Review, private: bool = False) -> str:
    doc = {
        "private": private,
        "base": {"ref": r.base, "commit": r.base_sha, "merge_base": r.merge_base},
        "head": {"ref": r.head, "commit": r.head_sha},
        "blocking": len(r.blocking),
        "records": [
            {
                "status": rc.status,
                "kind": rc.kind,
                "id": rc.id,
                "name": rc.name,
                "old_path": rc.old_path,
                "new_path": rc.new_path,
                "unreadable": rc.unreadable,
                "fields": [_field_dict(rc, f, private) for f in rc.fields],
            }
            for rc in r.records
        ],
        "other_files": [
            {"status": c.status, "old_path": c.old, "new_path": c.new} for c in r.other_files
        ],
        "highlights": [
            {"topic": topic, "text": text, "file": file}
            for topic, text, file in highlights(r, private)
        ],
        "history": [f.as_dict() for f in r.history],
        "findings": [f.as_dict() for f in r.findings],
        "approvals": [
            {
                "handles": list(a.handles),
                "county": a.county,
                "maintainers": a.maintainers,
                "unsupervised_counties": a.unsupervised,
                "files": a.files,
            }
            for a in r.approvals
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"markdown": markdown, "text": text, "json": as_json}
