"""The policy guide's list of monitoring rules (``[[block:rules]]``), rendered from the one
catalog ``rules.catalog``: each rule with its source section, the policy field that drives it,
and a link to the finding code it produces on the error-code page (which links back)."""

from __future__ import annotations

from ..findings import ERROR
from ..rules.catalog import CATALOG, Rule, anchor
from .context import SiteContext
from .text import esc, link, md


def _source(ctx: SiteContext, r: Rule, depth: int) -> str:
    if r.document is None:
        return esc(r.section)
    rec = ctx.model.get("source", r.document)
    if rec is None:  # a catalog entry naming a document the ledger lacks is a build error
        raise KeyError(r.document)
    title = rec.data.get("title", r.document)
    return link(f"{'../' * depth}sources.html#{r.document}", title) + "，" + esc(r.section)


def _code(r: Rule, depth: int) -> str:
    if r.code is None:
        return "不产生检查结果（监测数字，见 <code>bangfu status</code>）"
    level = "错误" if r.code.severity == ERROR else "警告"
    href = f"{'../' * depth}errors.html#{r.code.code}"
    return f'<a href="{esc(href)}"><code>{esc(r.code.code)}</code></a>（{level}）'


def block(ctx: SiteContext, depth: int = 0) -> str:
    """One short section per rule (title, then what is checked, its source, the field that
    drives it and its code) — a list rather than a table: the explanations are prose and a
    five-column table of prose is wider than the reading column."""
    parts = []
    for r in CATALOG:
        items = [
            ("台账怎么查", esc(r.explanation)),
            ("依据", _source(ctx, r, depth)),
            ("政策参数或字段", esc(r.field)),
            ("检查结果代码", _code(r, depth)),
        ]
        body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
        parts.append(f'<h3 id="{anchor(r)}">{esc(r.title)}</h3><dl class="bf-rule">{body}</dl>')
    return "\n".join(parts) + "\n"


def source_md(ctx: SiteContext, r: Rule, depth: int = 0) -> str:
    """The rule's source as a Markdown citation for prose (the guide's ``[[source:…]]`` form)."""
    if r.document is None:
        return md(r.section)
    rec = ctx.model.get("source", r.document)
    if rec is None:
        raise KeyError(r.document)
    title = md(rec.data.get("title", r.document))
    return f"[来源：{title}，{md(r.section)}]({'../' * depth}sources.md#{r.document})"
