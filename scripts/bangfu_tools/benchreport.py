"""How ``bangfu bench`` reports: the targets of the issue checked against the largest size
measured, the table of every step, the summary printed at the end, and the results JSON
(written, and read back by ``--show``)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path

from .benchtypes import FULL_CHECKS, Report, Step, pad, width


def targets(report: Report) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for the largest size measured."""
    steps = [s for s in report.steps if not s.impl]  # today's code; the baseline is compared
    if not steps:
        return []
    size = max(s.size for s in steps)
    by = {s.name: s for s in steps if s.size == size}
    out = []

    def ok(flag):
        return "达到" if flag else "未达到"

    def _wall(s) -> float:
        """The step's time; NaN (never "met") when it has none."""
        return s.wall if s.wall is not None else float("nan")

    def peak(s):
        return max(s.peak_mb or 0, s.maxrss_mb or 0)

    full = [by[k] for k in FULL_CHECKS if k in by and by[k].wall and by[k].status == "ok"]
    for s in full:
        out.append(
            (f"{size:,} 户全量检查 ≤ 60 秒（{s.label}）", f"{s.wall:.1f} 秒", ok(_wall(s) <= 60))
        )
        out.append((f"{s.label}峰值内存 ≤ 2 GB", f"{peak(s):,.0f} MB", ok(peak(s) <= 2048)))
    cj = by.get("check-jsonschema")
    for name in FULL_CHECKS:
        ours = by.get(name)
        if cj and cj.rate and ours and ours.rate:
            ratio = ours.rate / cj.rate
            out.append(
                (
                    f"全量检查 ≥ 100 倍 check-jsonschema 的文件/秒（{ours.label}）",
                    f"{ratio:,.0f} 倍（{ours.rate:,.0f} 对 {cj.rate:,.1f} 文件/秒）",
                    ok(ratio >= 100),
                )
            )
    one = by.get("incr-1")
    if one and one.wall is not None:
        out.append(
            (f"{size:,} 户时改 1 个文件的增量检查 ≤ 1 秒", f"{one.wall:.2f} 秒", ok(one.wall <= 1))
        )
    # ``bangfu site`` writes the open data (extracts) into the site too
    site, rebuild = by.get("site"), by.get("site-rebuild")
    if site and site.status == "ok":
        out.append(
            ("生成网站（含开放数据）≤ 3 分钟", f"{site.wall:.1f} 秒", ok(_wall(site) <= 180))
        )
        out.append(("生成网站的峰值内存 ≤ 2 GB", f"{peak(site):,.0f} MB", ok(peak(site) <= 2048)))
    elif site:
        out.append(("生成网站（含开放数据）≤ 3 分钟", site.status, "无法判断"))
    if rebuild and rebuild.status == "ok":
        out.append(
            (
                "改 100 个文件后重新生成网站 ≤ 30 秒",
                f"{rebuild.wall:.1f} 秒",
                ok(_wall(rebuild) <= 30),
            )
        )
    sizes = sorted({s.size for s in steps})
    if len(sizes) >= 2:
        per = []
        for name in ("check-cold", "check-warm", "site", "export"):
            pts = [
                (sz, s.wall / s.records)
                for s in steps
                for sz in [s.size]
                if s.name == name and s.wall and s.records and s.status == "ok"
            ]
            if len(pts) >= 2:
                grow = pts[-1][1] / pts[0][1]
                per.append(f"{name} 每记录用时 ×{grow:.2f}")
                if grow > 1.5:
                    per[-1] += "（非线性）"
        if per:
            flag = all("非线性" not in p for p in per)
            out.append(("用时随记录数线性增长（最小到最大规模）", "；".join(per), ok(flag)))
    return out


def table(report: Report) -> str:
    rows = [
        ("规模（户）", "步骤", "记录数", "用时（秒）", "记录/秒", "峰值内存（MB）", "负载", "备注")
    ]
    for s in report.steps:
        wall = f"{s.wall:.2f}" if s.wall is not None and s.status == "ok" else s.status
        rate = f"{s.rate:,.0f}" if s.rate else "—"
        if s.extrapolated and s.rate:
            full = next(
                (x.records for x in report.steps if x.size == s.size and x.name == "check-cold"),
                None,
            )
            if full:
                s_note = f"外推全量约 {full / s.rate:,.0f} 秒"
                rate += f"（{s_note}）"
        mem = f"{s.maxrss_mb:,.0f}" if s.maxrss_mb else "—"
        if s.peak_mb and s.maxrss_mb and s.peak_mb > s.maxrss_mb * 1.1:
            mem += f"（进程树 {s.peak_mb:,.0f}）"
        load = f"{s.load:.2f}" if s.load is not None else "—"
        rows.append((f"{s.size:,}", s.label, f"{s.records:,}", wall, rate, mem, load, s.note))
    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, r in enumerate(rows):
        lines.append(" | ".join(pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def summary(report: Report) -> str:
    m = report.machine
    out = [f"机器：{m['cores']} 核，内存 {m['memory_gb']} GB，Python {m['python']}"]
    if shape := report.options.get("places"):
        nc, nt, nv = (int(n) for n in shape.split("x"))
        out.append(
            f"地方：参考数据旁加一个合成省 {shape}（{nc:,} 个区县、{nc * nt:,} 个乡镇、"
            f"{nc * nt * nv:,} 个村，每县 2 个演示帮扶主体），合成的户都在其中"
        )
    for g in report.generation:
        how = "复用" if g["reused"] else f"生成用时 {g['seconds']} 秒"
        if g.get("disk_mb") is not None:
            how += f"，磁盘约 {g['disk_mb']:,} MB"
        out.append(f"语料 {g['size']:,} 户：{g.get('files') or 0:,} 个文件（{how}，不计入测量）")
    out.append("")
    if report.steps:
        out.append(table(report))
        from .benchsteps import comparison_text

        if text := comparison_text(report):
            out.append(text)
        t = targets(report)
        if t:
            out.append("目标：")
            out.extend(f"  - {name}：{measured} → {verdict}" for name, measured, verdict in t)
    return "\n".join(out) + "\n"


def load_report(path: Path) -> Report:
    """A report saved by ``save``, to print it again (``bangfu bench --show``)."""
    import json as _json

    raw = _json.loads(path.read_text("utf-8"))
    fields = set(Step.__dataclass_fields__)
    steps = [Step(**{k: v for k, v in s.items() if k in fields}) for s in raw.get("steps", [])]
    return Report(raw.get("machine", {}), raw.get("options", {}), raw.get("generation", []), steps)


def save(report: Report, out: Path) -> Path:
    from .benchsteps import comparison

    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": report.machine,
        "options": report.options,
        "generation": report.generation,
        "steps": [{**asdict(s), "records_per_second": s.rate} for s in report.steps],
        "targets": [{"target": a, "measured": b, "verdict": c} for a, b, c in targets(report)],
        "comparison": comparison(report),
    }
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"bench-{stamp}.json"
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    path.write_text(text, "utf-8")
    (out / "latest.json").write_text(text, "utf-8")
    return path
