"""推定与说明: every value the ledger assumes rather than reads from a source, with its reason.

Generated from the records: each policy record marked ``basis: assumption`` (with its
``reason``), each field named in a record's ``provenance`` (inferred, derived, borrowed or a
project rule, with its note), and each policy record that covers only an unnamed part of its
region. Other pages mark the same fields 推定 with ``mark`` and link here.
"""

from __future__ import annotations

from ..schema import bundled, title_at
from .context import SiteContext
from .text import esc, front, link, table

PAGE = "assumptions.md"
HTML = "assumptions.html"
BASIS = {
    "inferred": "推定",
    "derived": "推定（换算）",
    "borrowed": "推定（借用）",
    "project": "项目规则",
}
KINDS = (("policy", "政策参数"), ("campaign", "专项行动"), ("organization", "帮扶主体"))


def provenance(data: dict) -> dict[str, dict]:
    """field → its provenance entry, for the fields a record marks as not stated by a source."""
    out = {}
    for p in (data or {}).get("provenance") or []:
        if isinstance(p, dict) and isinstance(p.get("field"), str):
            out[p["field"]] = p
    return out


def anchor(kind: str, id_: str) -> str:
    return f"{kind}-{id_}"


def href(kind: str, id_: str, depth: int = 0) -> str:
    return f"{'../' * depth}{HTML}#{anchor(kind, id_)}"


def mark(kind: str, data: dict, field: str, value_md: str, depth: int = 0) -> str:
    """``value_md`` followed by a 推定 link (HTML, so it works in tables and in text) when
    ``field`` (or a field containing it) is marked in the record's provenance."""
    prov = provenance(data)
    hit = next((f for f in prov if field == f or field.startswith(f + ".")), None)
    if hit is None:
        return value_md
    label = BASIS.get(str(prov[hit].get("basis")), "推定")
    return f"{value_md}（{link(href(kind, str(data.get('id', '')), depth), label)}）"


def _where(ctx: SiteContext, kind: str, id_: str) -> str:
    name = ctx.name(kind, id_)
    if kind == "organization":
        return link(ctx.org_href(id_, 0), name)
    if kind == "campaign":
        return link("progress/campaigns.html", name)
    return link("guide.html#lines", name)


def page(ctx: SiteContext) -> str:
    m = ctx.model
    out = [
        front("推定与说明"),
        "# 推定与说明",
        "",
        "台账只记录来源文件写明的内容。来源没有写明、由台账推定、换算或借用的值，以及台账自定的规则，"
        "都在记录中注明理由，并在这一页逐条列出；网站其他页面在这些值旁标注“推定”并链接到这里。"
        "本页由数据记录生成。",
        "",
        "## 推定的政策参数记录 {#records}",
        "",
        "这些记录不是某地文件的规定，而是台账为了能够核对而采用的默认值。检查结果中依据这些记录的，"
        "都在记录编号后标“（推定）”。",
        "",
    ]
    rows = []
    for pid in sorted(m.ids("policy")):
        d = ctx.data("policy", pid)
        if d.get("basis") == "assumption":
            rows.append(
                [
                    f'<span id="{anchor("policy", pid)}"></span>' + _where(ctx, "policy", pid),
                    esc(pid),
                    esc(d.get("reason", "")),
                ]
            )
    out.append(table(["记录", "编号", "理由"], rows) if rows else "台账中没有推定的政策参数记录。")
    out += ["", "## 推定的字段 {#fields}", "", "记录中不是来源直接写明的字段，以及理由或算式。", ""]
    rows = []
    for kind, label in KINDS:
        schema = bundled(ctx.schemas_dir)[kind]
        for rid in sorted(m.ids(kind)):
            d = ctx.data(kind, rid)
            for i, (field, p) in enumerate(provenance(d).items()):
                target = f'<span id="{anchor(kind, rid)}"></span>' if i == 0 else ""
                rows.append(
                    [
                        target + _where(ctx, kind, rid),
                        esc(label),
                        esc(f"{title_at(schema, field.split('.'))}（{field}）"),
                        esc(BASIS.get(str(p.get("basis")), "推定")),
                        esc(p.get("note", "")),
                    ]
                )
    out.append(
        table(["记录", "类型", "字段", "来历", "理由"], rows) if rows else "台账中没有推定的字段。"
    )
    out += [
        "",
        "## 只覆盖未写名称地区的参数 {#parts}",
        "",
        "下面的参数来自某个地区内一份没有写明县名或镇名的文件，台账不把它们自动用到任何区县。",
        "",
    ]
    rows = []
    for pid in sorted(m.ids("policy")):
        d = ctx.data("policy", pid)
        scope = d.get("scope") or {}
        part = scope.get("part") if isinstance(scope, dict) else None
        if isinstance(part, dict):
            where = " ".join(str(scope[k]) for k in ("province", "city") if k in scope)
            rows.append(
                [
                    _where(ctx, "policy", pid),
                    esc(f"{where}下辖某{part.get('level', '')}"),
                    esc(part.get("note", "")),
                ]
            )
    out.append(table(["记录", "适用地区", "说明"], rows) if rows else "没有这样的记录。")
    return "\n".join(out) + "\n"


def pages(ctx: SiteContext) -> dict[str, str]:
    return {PAGE: page(ctx)}
