"""Charts as inline SVG, generated in pure Python: deterministic, no other host.

Each function returns one ``<figure>`` with no blank line (so Markdown keeps it as a raw HTML
block): the SVG (its own styles inside, so a downloaded copy looks the same), a caption with a
download link (``site/assets/javascripts/charts.js`` saves the inline SVG), and the numbers as a
table in a ``<details>`` — the text alternative, where a withheld cell shows as withheld.
Values may be numbers, ``WITHHELD`` or None (台账中无记录): the chart draws what is published
(``text.published``), the table shows each value as the pages do. Every label is escaped here;
callers pass plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..aggregate.columns import NOT_RECORDED
from .text import number, published, table

PALETTE = ("#1f6f8b", "#e07a1f", "#5a9e47", "#b0413e", "#7a5aa6", "#c9a227", "#4d7ea8", "#8c6d46")
STYLE = (
    "<style>.bf-lbl{font-size:12px;fill:#2b3a42}.bf-val{font-size:11px;fill:#5b6770}"
    ".bf-grid{stroke:#e3e8eb;stroke-width:1}.bf-axis{stroke:#9aa7b0;stroke-width:1}"
    "text{font-family:sans-serif}</style>"
)
W = 720


def _n(x: float) -> str:
    """Compact, stable number formatting for coordinates."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _fmt(v: float) -> str:
    if v >= 10000:
        return f"{v / 10000:.1f}万".replace(".0万", "万")
    return f"{v:,.0f}"


def _cell(v) -> str:
    """A value in the data table: exact, withheld or not recorded as on the pages."""
    if v is NOT_RECORDED:
        v = None
    if isinstance(v, float):
        v = round(v)
    return number(v)


def text_width(s: str, size: int = 12) -> float:
    """Estimated width of a label: a CJK character is one em wide, others about 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in s)


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1
    mag = 10 ** (len(str(int(v))) - 1)
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * mag:
            return m * mag
    return 10 * mag


def legend(names: list[str], left: float, right: float, y0: float = 8) -> tuple[str, float]:
    """Legend entries laid out in rows that wrap before ``right``: (svg, height used)."""
    parts, x, y = [], left, y0
    for si, name in enumerate(names):
        item = 16 + text_width(name) + 16
        if x > left and x + item > right:
            x, y = left, y + 20
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="12" height="12" '
            f'fill="{PALETTE[si % len(PALETTE)]}"/>'
            f'<text x="{_n(x + 16)}" y="{_n(y + 10)}" class="bf-lbl">{escape(name)}</text>'
        )
        x += item
    return "".join(parts), (y - y0 + 20 if names else 0)


def _figure(
    svg: str, title: str, caption: str, w: int, h: float, heads: list[str], rows: list[list]
) -> str:
    cap = escape(caption) + " " if caption else ""
    data = table(
        [escape(x) for x in heads],
        [[escape(str(r[0])), *[_cell(v) for v in r[1:]]] for r in rows],
        numeric=set(range(1, len(heads))),
    ).replace("\n", "")
    return (
        f'<figure class="bf-chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {w} {_n(h)}" width="100%" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{STYLE}{svg}</svg>"
        f'<figcaption>{cap}<a class="bf-chart-download" href="#" '
        f'download="{escape(title)}.svg">下载图表（SVG）</a></figcaption>'
        f'<details class="bf-chart-data"><summary>图表数据（表格）</summary>{data}</details>'
        "</figure>"
    )


def bar_chart(
    title: str,
    items: Sequence[tuple[str, object]],
    unit: str = "",
    caption: str = "",
    color: str = PALETTE[0],
    heads: tuple[str, str] = ("项目", "数值"),
) -> str:
    """Horizontal bars, one per (label, value), in the given order."""
    items = items or [("（无数据）", 0)]
    row, right, top = 26, 90, 10
    left = min(260, max(60, max(text_width(str(label)) for label, _ in items) + 16))
    h = max(60, top * 2 + row * len(items))
    vmax = _nice_max(max(published(v) for _, v in items))
    span = W - left - right
    parts = []
    for i, (label, raw) in enumerate(items):
        v = published(raw)
        y = top + i * row
        bw = span * (v / vmax) if vmax else 0
        parts.append(
            f'<text x="{_n(left - 8)}" y="{_n(y + row / 2 + 4)}" text-anchor="end" '
            f'class="bf-lbl">{escape(str(label))}</text>'
        )
        parts.append(
            f'<rect x="{_n(left)}" y="{_n(y + 4)}" width="{_n(max(bw, 0.5))}" '
            f'height="{row - 8}" fill="{color}"><title>{escape(str(label))}：'
            f"{escape(_fmt(v))}{escape(unit)}</title></rect>"
        )
        parts.append(
            f'<text x="{_n(left + bw + 6)}" y="{_n(y + row / 2 + 4)}" '
            f'class="bf-val">{escape(_fmt(v))}{escape(unit)}</text>'
        )
    head_v = heads[1] + (f"（{unit.strip()}）" if unit.strip() else "")
    return _figure(
        "".join(parts), title, caption, W, h, [heads[0], head_v], [list(x) for x in items]
    )


def stacked_bars(
    title: str,
    labels: list[str],
    series: list[tuple[str, list]],
    caption: str = "",
    head: str = "项目",
) -> str:
    """Horizontal stacked bars: one row per label (every label shown, however many), one
    colour per series, with a legend that wraps onto as many rows as it needs."""
    labels = labels or ["（无数据）"]
    n = len(labels)
    row, right = 22, 24
    left = min(200, max(60, max(text_width(x) for x in labels) + 16))
    leg, leg_h = legend([s for s, _ in series], left, W - right)
    top = 8 + leg_h + 8
    h = top + row * n + 24
    totals = [sum(published(s[1][i]) for s in series) if series else 0 for i in range(n)]
    vmax = _nice_max(max(totals) if totals else 0)
    span = W - left - right
    parts = [leg]
    for k in range(5):
        x = left + span * k / 4
        parts.append(
            f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(top + row * n)}" '
            f'class="bf-grid"/><text x="{_n(x)}" y="{_n(top + row * n + 16)}" '
            f'text-anchor="middle" class="bf-val">{escape(_fmt(vmax * k / 4))}</text>'
        )
    for i, label in enumerate(labels):
        y = top + i * row
        parts.append(
            f'<text x="{_n(left - 8)}" y="{_n(y + row / 2 + 4)}" text-anchor="end" '
            f'class="bf-lbl">{escape(label)}</text>'
        )
        x = left
        for si, (sname, vals) in enumerate(series):
            v = published(vals[i])
            bw = span * v / vmax if vmax else 0
            if bw <= 0:
                continue
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y + 3)}" width="{_n(bw)}" height="{row - 6}" '
                f'fill="{PALETTE[si % len(PALETTE)]}"><title>{escape(label)} {escape(sname)}：'
                f"{escape(_fmt(v))}</title></rect>"
            )
            x += bw
    parts.append(
        f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(top + row * n)}" '
        f'class="bf-axis"/>'
    )
    rows = [[label, *[vals[i] for _, vals in series]] for i, label in enumerate(labels)]
    return _figure("".join(parts), title, caption, W, h, [head, *[s for s, _ in series]], rows)


def line_chart(
    title: str,
    labels: list[str],
    series: list[tuple[str, list]],
    caption: str = "",
    head: str = "月份",
) -> str:
    """One line per series over the labels (e.g. months)."""
    labels = labels or ["（无数据）"]
    w, left, bottom = W, 64, 40
    leg, leg_h = legend([s for s, _ in series], left, w - 24)
    top = 8 + leg_h + 14
    h = top + 206 + bottom
    n = len(labels)
    vmax = _nice_max(max((max(published(x) for x in v) for _, v in series if v), default=0))
    span_w, span_h = w - left - 24, h - top - bottom
    step = span_w / max(n - 1, 1)
    parts = [leg]
    for k in range(5):
        y = h - bottom - span_h * k / 4
        parts.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{w - 24}" y2="{_n(y)}" class="bf-grid"/>'
            f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" class="bf-val">'
            f"{escape(_fmt(vmax * k / 4))}</text>"
        )
    for i, label in enumerate(labels):
        if n <= 16 or i % ((n + 11) // 12) == 0:
            parts.append(
                f'<text x="{_n(left + i * step)}" y="{_n(h - bottom + 18)}" '
                f'text-anchor="middle" class="bf-lbl">{escape(label)}</text>'
            )
    for si, (sname, raw) in enumerate(series):
        vals = [published(v) for v in raw]
        color = PALETTE[si % len(PALETTE)]
        pts = " ".join(
            f"{_n(left + i * step)},{_n(h - bottom - span_h * v / vmax)}"
            for i, v in enumerate(vals)
        )
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for i, v in enumerate(vals):
            parts.append(
                f'<circle cx="{_n(left + i * step)}" cy="{_n(h - bottom - span_h * v / vmax)}" '
                f'r="3" fill="{color}"><title>{escape(labels[i])} {escape(sname)}：'
                f"{escape(_fmt(v))}</title></circle>"
            )
    rows = [[label, *[vals[i] for _, vals in series]] for i, label in enumerate(labels)]
    return _figure("".join(parts), title, caption, w, h, [head, *[s for s, _ in series]], rows)
