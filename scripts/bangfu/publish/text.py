"""Escaping record text on its way into Markdown and HTML, and small HTML builders.

Every string that comes from a record passes through ``esc`` (inside HTML) or ``md`` (in
Markdown prose and headings) before it reaches a page, so ``<script>`` or ``[x](javascript:…)``
in a name shows as literal text. Page titles go through ``title`` as well: MkDocs and the theme
put titles into ``<title>`` and the navigation after stripping tags, so there the characters
that could open markup are replaced by their full-width look-alikes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from html import escape

from ..aggregate.columns import NOT_RECORDED, WITHHELD, WITHHELD_MARKER
from ..config import beijing_time

_MD_SPECIAL = "\\`*_{}[]()#+-.!|~<>&"
_FULLWIDTH = str.maketrans(
    {
        "<": "＜",
        ">": "＞",
        "&": "＆",
        '"': "＂",
        "'": "＇",
        "`": "｀",
        "\\": "＼",
        "*": "＊",
        "_": "＿",
        "[": "［",
        "]": "］",
        "#": "＃",
        "|": "｜",
        "\n": " ",
        "\r": " ",
    }
)


def esc(value) -> str:
    """Text for HTML (inside raw HTML blocks)."""
    return escape("" if value is None else str(value), quote=True)


def md(value) -> str:
    """Text for Markdown prose: HTML-escaped, then Markdown punctuation backslash-escaped."""
    text = escape(
        "" if value is None else str(value).replace("\r", " ").replace("\n", " "), quote=True
    )
    out = []
    for ch in text:
        out.append("\\" + ch if ch in "\\`*_{}[]()#+!|~" else ch)
    return "".join(out)


def title(value) -> str:
    """Text for a page title (front matter, ``<title>``, navigation)."""
    return ("" if value is None else str(value)).translate(_FULLWIDTH).strip()


def yaml_str(value: str) -> str:
    """A double-quoted YAML scalar."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# front matter of a data page (wide tables): the theme hides both sidebars, the table gets the
# page's full width
WIDE = {"hide": "[navigation, toc]"}


def front(title_text: str, **extra) -> str:
    lines = ["---", f"title: {yaml_str(title(title_text))}"]
    for k, v in extra.items():
        lines.append(f"{k}: {v}")
    return "\n".join(lines) + "\n---\n\n"


# a figure the ledger does not record: never shown as 0 (see ``bangfu.recorded``)
MISSING = '<abbr class="bf-missing" title="台账中无记录">—</abbr>'
MISSING_NOTE = "—：台账中无记录（台账没有这项数字，不等于 0）。"


def withheld_note(threshold: int, up: str = "../") -> str:
    """What the withheld marker means, with a link to the disclosure page (``up``: the way from
    the page to the site's top)."""
    return (
        f"涉及少于 {threshold} 户的数字，以及可由合计推算出这类数字的格子，显示为“*”"
        f"（不公开，见[数据保护]({up}disclosure.md)）。"
    )


WITHHELD_HTML = f'<abbr class="bf-withheld" title="为保护个人信息不公开">{WITHHELD_MARKER}</abbr>'


def date_text(d: dt.date | None) -> str:
    return d.isoformat() if d else "—"


def beijing_text(iso: str) -> str:
    """An ISO date-time (``2026-11-24T03:56:10+00:00``) as readers write it, in Beijing time:
    ``2026年11月24日 11:56（北京时间）``. A value without an offset is taken as UTC."""
    t = beijing_time(iso)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}（北京时间）"


def published(v) -> float:
    """A table value as a chart or a page total adds it: withheld and not recorded cells
    add nothing (sums of published cells only, so nothing the tables withhold shows)."""
    return 0.0 if v is None or v is WITHHELD or v is NOT_RECORDED else float(v)


def yuan(v) -> str:
    """An amount in 元 as HTML; None (台账中无记录) is ``MISSING``, a withheld one
    ``WITHHELD_HTML``."""
    if v is WITHHELD:
        return WITHHELD_HTML
    return MISSING if v is None else f"{v:,.0f}"


def number(v) -> str:
    """A plain count as HTML; None (台账中无记录) is ``MISSING``, a withheld one
    ``WITHHELD_HTML``."""
    if v is WITHHELD:
        return WITHHELD_HTML
    return MISSING if v is None else f"{v:,}"


def table(
    headers: list[str],
    rows: list[list[str]],
    *,
    id_: str | None = None,
    cls: str = "bf-table",
    numeric: Collection[int] = frozenset(),
) -> str:
    """An HTML table; ``headers`` are trusted page text, ``rows`` cells already escaped.
    Rendered on one logical block with no blank lines so Markdown leaves it alone."""
    ida = f' id="{esc(id_)}"' if id_ else ""
    head = "".join(
        "<th" + (' class="num"' if i in numeric else "") + f">{h}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    for r in rows:
        cells = "".join(
            "<td" + (' class="num"' if i in numeric else "") + f">{c}</td>" for i, c in enumerate(r)
        )
        body.append(f"<tr>{cells}</tr>")
    if not rows:
        body.append(f'<tr><td colspan="{len(headers)}">（暂无）</td></tr>')
    return (
        f'<div class="bf-table-wrap"><table{ida} class="{cls}"><thead><tr>{head}</tr></thead>'
        f"<tbody>\n" + "\n".join(body) + "\n</tbody></table></div>\n"
    )


def filter_box(target: str, placeholder: str) -> str:
    return (
        f'<div class="bf-filter"><input type="search" class="bf-filter-input" '
        f'data-target="{esc(target)}" placeholder="{esc(placeholder)}" aria-label="{esc(placeholder)}">'
        f'<span class="bf-filter-count" data-for="{esc(target)}"></span></div>\n'
    )


def link(href: str, text: str) -> str:
    """An HTML link; ``href`` is built by us (relative page path), ``text`` is escaped."""
    return f'<a href="{esc(href)}">{esc(text)}</a>'
