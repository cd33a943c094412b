"""Charts as inline SVG, generated in pure Python: deterministic, no script, no other host.

Each function returns one ``<figure>`` on a single line (no blank lines, so Markdown keeps it
as a raw HTML block). Every label is escaped here; callers pass plain text.
"""

from __future__ import annotations

from html import escape

PALETTE = ("#1f6f8b", "#e07a1f", "#5a9e47", "#b0413e", "#7a5aa6", "#c9a227", "#4d7ea8", "#8c6d46")


def _n(x: float) -> str:
    """Compact, stable number formatting for coordinates."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _fmt(v: float) -> str:
    if v >= 10000:
        return f"{v / 10000:.1f}万".replace(".0万", "万")
    return f"{v:,.0f}"


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1
    mag = 10 ** (len(str(int(v))) - 1)
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * mag:
            return m * mag
    return 10 * mag


def _figure(svg: str, title: str, caption: str, w: int, h: int) -> str:
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="bf-chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {w} {h}" width="100%" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{svg}</svg>{cap}</figure>"
    )


def bar_chart(
    title: str,
    items: list[tuple[str, float]],
    unit: str = "",
    caption: str = "",
    color: str = PALETTE[0],
) -> str:
    """Horizontal bars, one per (label, value), in the given order."""
    items = items or [("（无数据）", 0)]
    row, left, right, top = 26, 150, 90, 10
    w = 720
    h = max(60, top * 2 + row * len(items))
    vmax = _nice_max(max(v for _, v in items))
    span = w - left - right
    parts = []
    for i, (label, v) in enumerate(items):
        y = top + i * row
        bw = span * (v / vmax) if vmax else 0
        parts.append(
            f'<text x="{left - 8}" y="{_n(y + row / 2 + 4)}" text-anchor="end" '
            f'class="bf-lbl">{escape(str(label))}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{_n(y + 4)}" width="{_n(max(bw, 0.5))}" '
            f'height="{row - 8}" fill="{color}"><title>{escape(str(label))}：'
            f"{escape(_fmt(v))}{escape(unit)}</title></rect>"
        )
        parts.append(
            f'<text x="{_n(left + bw + 6)}" y="{_n(y + row / 2 + 4)}" '
            f'class="bf-val">{escape(_fmt(v))}{escape(unit)}</text>'
        )
    return _figure("".join(parts), title, caption, w, h)


def stacked_bars(
    title: str, labels: list[str], series: list[tuple[str, list[float]]], caption: str = ""
) -> str:
    """Vertical stacked bars: one column per label, one colour per series, with a legend."""
    labels = labels or ["（无数据）"]
    w, h, left, bottom, top = 720, 300, 56, 48, 34
    n = len(labels)
    totals = [sum(s[1][i] for s in series) if series else 0 for i in range(n)]
    vmax = _nice_max(max(totals) if totals else 0)
    span_w, span_h = w - left - 16, h - top - bottom
    cw = span_w / n
    parts = [
        f'<line x1="{left}" y1="{h - bottom}" x2="{w - 16}" y2="{h - bottom}" class="bf-axis"/>'
    ]
    for k in range(5):
        v = vmax * k / 4
        y = h - bottom - span_h * k / 4
        parts.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{w - 16}" y2="{_n(y)}" class="bf-grid"/>'
            f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" class="bf-val">{escape(_fmt(v))}</text>'
        )
    for i, label in enumerate(labels):
        x = left + i * cw + cw * 0.15
        y = h - bottom
        for si, (sname, vals) in enumerate(series):
            v = vals[i]
            bh = span_h * v / vmax if vmax else 0
            if bh <= 0:
                continue
            y -= bh
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(cw * 0.7)}" height="{_n(bh)}" '
                f'fill="{PALETTE[si % len(PALETTE)]}"><title>{escape(label)} {escape(sname)}：'
                f"{escape(_fmt(v))}</title></rect>"
            )
        if n <= 16 or i % ((n + 11) // 12) == 0:
            parts.append(
                f'<text x="{_n(x + cw * 0.35)}" y="{h - bottom + 16}" text-anchor="middle" '
                f'class="bf-lbl">{escape(label)}</text>'
            )
    lx = left
    for si, (sname, _) in enumerate(series):
        parts.append(
            f'<rect x="{_n(lx)}" y="8" width="12" height="12" fill="{PALETTE[si % len(PALETTE)]}"/>'
            f'<text x="{_n(lx + 16)}" y="18" class="bf-lbl">{escape(sname)}</text>'
        )
        lx += 28 + 13 * len(sname)
    return _figure("".join(parts), title, caption, w, h)


def line_chart(
    title: str, labels: list[str], series: list[tuple[str, list[float]]], caption: str = ""
) -> str:
    """One line per series over the labels (e.g. months)."""
    labels = labels or ["（无数据）"]
    w, h, left, bottom, top = 720, 280, 64, 40, 34
    n = len(labels)
    vmax = _nice_max(max((max(v) for _, v in series if v), default=0))
    span_w, span_h = w - left - 24, h - top - bottom
    step = span_w / max(n - 1, 1)
    parts = []
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
                f'<text x="{_n(left + i * step)}" y="{h - bottom + 18}" text-anchor="middle" '
                f'class="bf-lbl">{escape(label)}</text>'
            )
    lx = left
    for si, (sname, vals) in enumerate(series):
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
        parts.append(
            f'<rect x="{_n(lx)}" y="8" width="12" height="12" fill="{color}"/>'
            f'<text x="{_n(lx + 16)}" y="18" class="bf-lbl">{escape(sname)}</text>'
        )
        lx += 28 + 13 * len(sname)
    return _figure("".join(parts), title, caption, w, h)
