"""The steps of ``bangfu bench`` that run bangfu itself, chosen with ``--steps``, each with
its own time limit (``--step-timeout``), for today's code and, with ``--baseline-ref REF``, for
the code at REF too (``benchimpl``): same corpus, same run, interleaved step by step (today's,
then the baseline's) so that machine noise hits both; the ratio baseline/today is reported
per step, with the peak memory of each side.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bangfu.config import UsageError

from .benchimpl import BASELINE, Caches, Impl, edit_values, measure, preread, terminate_as_exit

STEPS = (
    "check-nocache",
    "check-cold",
    "check-warm",
    "incr-1",
    "incr-100",
    "site",
    "site-rebuild",
    "export",
)
TOOLS = "tools"  # check-jsonschema and PyYAML + jsonschema on a sample (bench.run_size)
ALIASES = {
    "check": STEPS[:5],
    "incr": ("incr-1", "incr-100"),
    "all": (*STEPS, TOOLS),
}
COMMAND = {"site": "site", "site-rebuild": "site", "export": "export"}  # the others: check
LABELS = {
    "check-nocache": "全量检查（关闭解析缓存）",
    "check-cold": "全量检查（无缓存）",
    "check-warm": "全量检查（有缓存）",
    "incr-1": "增量检查（改 1 个文件）",
    "incr-100": "增量检查（改 100 个文件）",
    "site": "生成网站",
    "site-rebuild": "改 100 个文件后重新生成网站",
    "export": "导出开放数据",
}

# --- options ---------------------------------------------------------------------------------


def parse_steps(text: str | None) -> tuple[str, ...]:
    """``--steps check,site,tools`` → the chosen steps in their running order."""
    if not text:
        return ALIASES["all"]
    known = (*STEPS, TOOLS)
    chosen: set[str] = set()
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        if word not in known and word not in ALIASES:
            raise UsageError(
                f"--steps 中的“{word}”不是已知步骤；可选：{'、'.join(known)}，"
                f"或 {'、'.join(ALIASES)}"
            )
        chosen.update(ALIASES.get(word, (word,)))
    if not chosen:
        raise UsageError("--steps 至少要选一个步骤")
    return tuple(s for s in known if s in chosen)


def parse_timeouts(text: str | None) -> dict[str, float]:
    """``--step-timeout site=1800,export=900`` → seconds per step (aliases expand)."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        name, _, value = part.partition("=")
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if seconds <= 0 or not name:
            raise UsageError(f"--step-timeout 中的“{part}”应写成 步骤=秒数，如 site=1800")
        for step in parse_steps(name.strip()):
            out[step] = seconds
    return out


# --- the steps -------------------------------------------------------------------------------


def edit_targets(files) -> tuple[list[str], list[str]]:
    """One household in the middle, and 50 households plus 50 reports spread over the corpus."""
    from bangfu.record import classify

    households = [p for p, rel, _ in files if classify(rel) == "household"]
    reports = [p for p, rel, _ in files if classify(rel) == "report"]
    one = [households[len(households) // 2]] if households else []
    hundred = (
        households[:: max(1, len(households) // 50)][:50]
        + reports[:: max(1, len(reports) // 50)][:50]
    )
    return one, hundred


def run_steps(size, root, files, opts, report, commands, impls: list[Impl], tmpd: Path) -> None:
    """The chosen bangfu steps for every implementation, interleaved, appended to
    ``report.steps``. Site and export outputs go under ``tmpd``."""
    from .benchtypes import AS_OF, EDIT, Step, edit_files, fill_step, restore_files

    wanted = set(opts.steps or ALIASES["all"])
    data = root / "data"
    n_files = len(files)
    caches = Caches(root, impls)
    caches.reset()
    warm = dict.fromkeys((i.key for i in impls), False)
    built = dict.fromkeys((i.key for i in impls), False)
    one, hundred = edit_targets(files)

    def run(name: str, impl: Impl, records: int, extra=(), env=None, fresh=False, record=True):
        """One measured run; ``step`` keeps it, a warm-up (``record=False``) is never kept."""
        label = impl.tag(LABELS[name])
        note = "" if name in wanted and record else "（预热，不计入）"
        print(f"  {label}{note} …", end="", flush=True)
        out = tmpd / (impl.key or "current")
        sub = {
            "site": ["site", "--out", str(out / "site"), "--src", str(out / "src")],
            "export": ["export", "--out", str(out / "export")],
        }.get(name.removesuffix("-rebuild"), ["check"])
        cmd = [sys.executable, "-m", "bangfu", *sub, "--data", str(data), "--as-of", AS_OF]
        load = round(os.getloadavg()[0], 2)
        with caches.use(impl, fresh=fresh):
            m = measure(
                [*cmd, *extra], opts.step_timeouts.get(name, opts.timeout), impl.env | (env or {})
            )
        st = fill_step(Step(size, name, label, records), m)
        st.impl, st.load = impl.key, load
        # the whole tree's proportional peak; never below what one process alone held
        st.peak_mb = round(max(m.get("session_pss_kb", 0), m.get("maxrss_kb", 0)) / 1024, 1)
        st.rss_sum_mb = round(m.get("session_rss_kb", 0) / 1024, 1) or None
        print(f" {f'{st.wall:.2f} 秒' if st.status == 'ok' else st.status}", flush=True)
        if sub[0] == "check" and not extra:
            warm[impl.key] = warm[impl.key] or (st.status == "ok" and not env)
        if sub[0] == "site":
            built[impl.key] = st.status == "ok"
        return st

    def prime(impl: Impl) -> None:
        if not warm[impl.key]:
            run("check-cold", impl, n_files, fresh=True, record=False)

    def step(name: str, records: int, targets=(), env=None) -> None:
        """``name`` for every side, ``--repeat`` times, interleaved; each repetition edits the
        targets afresh (a new mark each time, so no side meets an edit it has cached)."""
        sides = [i for i in impls if name != "site-rebuild" or built[i.key]]
        for impl in impls:
            if impl not in sides:
                st = Step(size, name, impl.tag(LABELS[name]), records, status="跳过")
                st.impl, st.note = impl.key, "网站未能生成"
                report.steps.append(st)
            elif name not in ("check-nocache", "check-cold"):
                prime(impl)
        runs: dict[str, list] = {i.key: [] for i in sides}
        for k in range(max(1, opts.repeat) if name in wanted else 1):
            if name == "site-rebuild":
                saved = edit_values(list(targets), k)
            else:
                saved = edit_files(list(targets), EDIT if k == 0 else f"\n# 基准测试改动 {k}\n")
            try:
                for impl in sides:
                    extra = () if name == "site-rebuild" else targets
                    st = run(name, impl, records, extra, env, fresh=name == "check-cold")
                    runs[impl.key].append(st)
            finally:
                restore_files(saved)
        if name in wanted:
            report.steps.extend(fastest(r) for r in runs.values())

    print("  预读语料文件（不计入测量）…", flush=True)
    preread(files)
    with terminate_as_exit():
        try:
            for name in STEPS:
                if name not in wanted and not (name == "site" and "site-rebuild" in wanted):
                    continue
                command = COMMAND.get(name, "check")
                if command not in commands:
                    for impl in impls:
                        st = Step(size, name, impl.tag(LABELS[name]), n_files, status="n/a")
                        st.impl, st.note = impl.key, f"没有 {command} 命令"
                        report.steps.append(st)
                elif name in ("incr-1", "incr-100", "site-rebuild"):
                    targets = one if name == "incr-1" else hundred
                    if targets:
                        step(name, len(targets), targets)
                else:
                    step(
                        name,
                        n_files,
                        env={"BANGFU_CACHE": "0"} if name == "check-nocache" else None,
                    )
        finally:
            caches.finish()  # also when stopped: the corpus keeps a usable cache


def fastest(runs: list):
    """One step from its repetitions: the fastest, or the first that did not finish; the
    largest memory of any; every time in ``runs``."""
    bad = next((r for r in runs if r.status != "ok"), None)
    pick = bad or min(runs, key=lambda r: r.wall)
    if len(runs) > 1:
        pick.runs = [round(r.wall, 3) if r.status == "ok" else r.status for r in runs]
        pick.maxrss_mb = max(r.maxrss_mb or 0 for r in runs)
        pick.peak_mb = max(r.peak_mb or 0 for r in runs)
        times = "、".join(f"{t:.2f}" if isinstance(t, float) else t for t in pick.runs)
        how = "未全部完成" if bad else "取最快"
        pick.note = "；".join(x for x in (pick.note, f"{len(runs)} 次{how}：{times}") if x)
    return pick


# --- the comparison --------------------------------------------------------------------------


def comparison(report) -> list[dict]:
    """Per size and step measured on both sides: seconds, peak memory, ratio baseline/today."""
    ours = {(s.size, s.name): s for s in report.steps if not s.impl}
    rows = []
    for old in report.steps:
        new = ours.get((old.size, old.name))
        if old.impl != BASELINE or new is None:
            continue
        both = new.status == old.status == "ok" and new.wall and old.wall
        rows.append(
            {
                "size": old.size,
                "step": old.name,
                "label": LABELS.get(old.name, new.label),
                "seconds": new.wall if new.status == "ok" else None,
                "baseline_seconds": old.wall if old.status == "ok" else None,
                "status": new.status,
                "baseline_status": old.status,
                "ratio": round(old.wall / new.wall, 3) if both else None,
                "peak_mb": new.peak_mb or new.maxrss_mb,
                "baseline_peak_mb": old.peak_mb or old.maxrss_mb,
                "load": new.load,
                "baseline_load": old.load,
            }
        )
    return rows


def comparison_text(report) -> str:
    from .benchtypes import pad, width

    rows = comparison(report)
    if not rows:
        return ""
    sha = (report.options.get("baseline") or {}).get("sha", "")[:10]
    head: tuple[str, ...] = ("规模（户）", "步骤", "当前（秒）", f"基线 {sha}（秒）", "基线/当前")
    head += ("当前峰值（MB）", "基线峰值（MB）", "负载（1 分钟）")

    def secs(v, status):
        return f"{v:.2f}" if v is not None else status

    table = [head]
    for r in rows:
        table.append(
            (
                f"{r['size']:,}",
                r["label"],
                secs(r["seconds"], r["status"]),
                secs(r["baseline_seconds"], r["baseline_status"]),
                f"{r['ratio']:.2f}×" if r["ratio"] else "—",
                f"{r['peak_mb'] or 0:,.0f}",
                f"{r['baseline_peak_mb'] or 0:,.0f}",
                f"{r['load']} / {r['baseline_load']}",
            )
        )
    widths = [max(width(t[i]) for t in table) for i in range(len(head))]
    lines = ["与基线对比（同一次运行、同一份语料，交替执行）："]
    for i, t in enumerate(table):
        lines.append(" | ".join(pad(c, w) for c, w in zip(t, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
