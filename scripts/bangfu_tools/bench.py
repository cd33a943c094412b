"""``bangfu bench``: how fast the real commands are on synthetic corpora of county and province
size, next to the usual tools (check-jsonschema; PyYAML + jsonschema) on the same files.

Every step runs as its own process under a small wrapper that reports wall time and the peak
resident memory of the largest process it waited for (``RUSAGE_CHILDREN``); the bangfu steps
themselves, their choice (``--steps``) and the side-by-side run against the code at another
commit (``--baseline-ref``) are in ``benchsteps`` and ``benchimpl``. Corpus generation is timed
separately and never counted. Results go to ``build/bench/`` as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bangfu.config import Config, UsageError

DEFAULT_SIZES = (20_000, 200_000, 500_000)
QUICK_SIZES = (2_000,)
AS_OF = "2026-06-30"
MARKER = ".bangfu-bench.json"
EDIT = "\n# 基准测试改动\n"
GENERATOR = 2  # bumped when synth/demo output changes: older corpora are regenerated
FULL_CHECKS = ("check-nocache", "check-cold", "check-warm")

_WRAPPER = r"""
import json, resource, subprocess, sys, time
timeout = float(sys.argv[1])
t = time.perf_counter()
try:
    p = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    rc, err = p.returncode, p.stderr[-1500:].decode("utf-8", "replace")
except subprocess.TimeoutExpired:
    rc, err = "timeout", ""
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "rc": rc, "maxrss_kb": ru.ru_maxrss,
                  "cpu": ru.ru_utime + ru.ru_stime, "stderr": err}))
"""

_BASELINE_LOOP = r"""
import json, sys, yaml, jsonschema
files, schemas = json.load(open(sys.argv[1], encoding="utf-8"))
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
validators = {k: jsonschema.Draft202012Validator(s) for k, s in schemas.items()}
errors = 0
for path, kind in files:
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=Loader)
    errors += sum(1 for _ in validators[kind].iter_errors(data))
print(errors)
"""


@dataclass
class Step:
    size: int
    name: str
    label: str
    records: int
    wall: float | None = None
    maxrss_mb: float | None = None
    cpu: float | None = None
    status: str = "ok"
    note: str = ""
    extrapolated: bool = False
    impl: str = ""  # "" today's code; benchimpl.BASELINE for the code at --baseline-ref
    peak_mb: float | None = None  # peak of the whole process tree (PSS), sampled (benchimpl)
    rss_sum_mb: float | None = None  # peak of its resident sizes summed: shared pages repeated
    load: float | None = None  # 1-minute load average when the step started
    runs: list | None = None  # every repetition's seconds (or status), with --repeat

    @property
    def rate(self) -> float | None:
        if not self.wall or self.status != "ok":
            return None
        return self.records / self.wall


@dataclass
class BenchOptions:
    sizes: tuple[int, ...]
    out: Path
    seed: int = 1
    sample: int = 300
    quick: bool = False
    generate_only: bool = False
    timeout: float = 3600.0
    workers: int | None = None
    steps: tuple[str, ...] | None = None  # benchsteps.parse_steps; None = all
    step_timeouts: dict[str, float] = field(default_factory=dict)
    baseline_ref: str | None = None
    repeat: int = 1  # each bangfu step, interleaved; the fastest is kept


@dataclass
class Report:
    machine: dict
    options: dict
    generation: list[dict] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


def _measure(
    cmd: list[str], timeout: float, cwd: Path | None = None, env: dict | None = None
) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(timeout), *cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {
            "wall": None,
            "rc": "wrapper",
            "maxrss_kb": 0,
            "cpu": None,
            "stderr": proc.stderr[-1500:],
        }


def _fill(step: Step, m: dict, ok_codes=(0,)) -> Step:
    step.wall = m.get("wall")
    step.maxrss_mb = round(m.get("maxrss_kb", 0) / 1024, 1)
    step.cpu = m.get("cpu")
    rc = m.get("rc")
    if rc == "timeout":
        step.status = "超时"
    elif rc not in ok_codes:
        step.status = f"失败（退出码 {rc}）"
        lines = str(m.get("stderr") or "").strip().splitlines()
        step.note = lines[-1][:120] if lines else ""
    return step


def available_commands() -> set[str]:
    from bangfu.cli import COMMANDS, build_parser

    build_parser()
    return set(COMMANDS)


# --- corpora -------------------------------------------------------------------------------


def corpus(cfg: Config, size: int, opts: BenchOptions, report: Report) -> Path:
    """The corpus for ``size`` households, generated unless an identical one is already there."""
    from bangfu import synth
    from bangfu.load import scan

    root = opts.out / f"corpus-{size}"
    marker = root / MARKER
    want = {"households": size, "seed": opts.seed, "generator": GENERATOR}
    try:
        have = json.loads(marker.read_text("utf-8"))
    except (OSError, ValueError):
        have = {}
    if {k: have.get(k) for k in want} == want and (root / "data").is_dir():
        report.generation.append(
            {"size": size, "seconds": 0.0, "reused": True, "files": have.get("files")}
        )
        print(f"  复用已生成的 {size:,} 户语料（{have.get('files', 0):,} 个文件）", flush=True)
        return root
    if root.exists():
        shutil.rmtree(root)
    free = shutil.disk_usage(opts.out).free
    t = time.perf_counter()
    counts = synth.generate(
        cfg,
        synth.SynthOptions(size, opts.seed, root, workers=opts.workers or synth.default_workers()),
    )
    files = len(scan(root / "data"))
    seconds = time.perf_counter() - t
    disk_mb = round((free - shutil.disk_usage(opts.out).free) / 2**20)
    (root / ".bangfu-cache").mkdir(exist_ok=True)  # lets the checker keep its cache here
    marker.write_text(
        json.dumps({**want, "files": files, "counts": counts}, ensure_ascii=False), "utf-8"
    )
    report.generation.append(
        {
            "size": size,
            "seconds": round(seconds, 1),
            "reused": False,
            "files": files,
            "counts": counts,
            "disk_mb": disk_mb,
            "workers": opts.workers or synth.default_workers(),
        }
    )
    print(
        f"  生成 {size:,} 户语料：{files:,} 个文件，用时 {seconds:.1f} 秒，"
        f"占用磁盘约 {disk_mb:,} MB（不计入测量）",
        flush=True,
    )
    return root


# --- the steps -----------------------------------------------------------------------------


def _sample_files(files: list[tuple[str, tuple, bool]], n: int) -> list[tuple[str, tuple]]:
    """``n`` record files spread evenly over the corpus (so every kind is represented)."""
    from bangfu.record import classify

    recs = [(p, rel) for p, rel, _ in files if p.endswith(".yaml") and classify(rel)]
    if n >= len(recs):
        return recs
    step = len(recs) / n
    return [recs[int(i * step)] for i in range(n)]


def _edit(paths: list[str], mark: str = EDIT) -> dict[str, bytes]:
    saved = {}
    for p in paths:
        raw = Path(p).read_bytes()
        saved[p] = raw
        Path(p).write_bytes(raw + mark.encode("utf-8"))
    return saved


def restore_files(saved: dict[str, bytes]) -> None:
    for p, raw in saved.items():
        Path(p).write_bytes(raw)


def run_size(
    cfg: Config,
    size: int,
    root: Path,
    opts: BenchOptions,
    report: Report,
    commands: set[str],
    impls: list | None = None,
) -> None:
    from bangfu.load import scan
    from bangfu.record import classify
    from bangfu.schema import bundled

    from .benchimpl import current
    from .benchsteps import TOOLS, run_steps

    files = scan(root / "data")
    tmo = opts.timeout
    steps = report.steps

    def run(name, label, cmd, records, ok=(0,), **kw):
        print(f"  {label} …", end="", flush=True)
        load = round(os.getloadavg()[0], 2)
        st = _fill(Step(size, name, label, records), _measure(cmd, tmo, **kw), ok)
        st.load = load
        steps.append(st)
        shown = f"{st.wall:.2f} 秒" if st.wall is not None else st.status
        print(f" {shown}", flush=True)
        return st

    households = [p for p, rel, _ in files if classify(rel) == "household"]
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-") as tmp:
        tmpd = Path(tmp)
        run_steps(size, root, files, opts, report, commands, impls or [current()], tmpd)
        if opts.steps is not None and TOOLS not in opts.steps:
            return

        # baselines on the same files: a sample, extrapolated to the corpus
        sample = _sample_files(files, opts.sample)
        schemas = bundled(cfg_schemas(root, cfg))
        households_sample = households[:: max(1, len(households) // opts.sample)][: opts.sample]
        schema_file = tmpd / "household.schema.json"
        schema_file.write_text(json.dumps(schemas["household"], ensure_ascii=False), "utf-8")
        cj = shutil.which("check-jsonschema") or str(
            Path(sys.executable).parent / "check-jsonschema"
        )
        if Path(cj).exists():
            base = [cj, "--schemafile", str(schema_file)]
            _baseline(
                run,
                size,
                steps,
                "check-jsonschema",
                "基线：check-jsonschema（抽样，户记录）",
                base,
                households_sample,
            )
        else:
            steps.append(
                Step(
                    size,
                    "check-jsonschema",
                    "基线：check-jsonschema",
                    0,
                    status="n/a",
                    note="没有安装 check-jsonschema（开发依赖）",
                )
            )

        def loop(paths):
            listing = tmpd / f"files-{len(paths)}.json"
            kinds = dict(sample)
            listing.write_text(
                json.dumps([[[p, classify(kinds[p])] for p in paths], schemas], ensure_ascii=False),
                "utf-8",
            )
            return [sys.executable, "-c", _BASELINE_LOOP, str(listing)]

        _baseline(
            run,
            size,
            steps,
            "pyyaml-jsonschema",
            "基线：PyYAML + jsonschema（抽样）",
            None,
            [p for p, _ in sample],
            make_cmd=loop,
        )


def _baseline(run, size, steps, name, label, base, paths, make_cmd=None) -> None:
    """Time the tool on one file and on the sample; the difference is the per-file cost
    without start-up, extrapolated to the corpus."""
    cmd = make_cmd or (lambda ps: [*base, *ps])
    if len(paths) < 2:
        return
    first = run(name + "-startup", label + "：启动（1 个文件）", cmd(paths[:1]), 1, ok=(0, 1))
    st = run(name, label, cmd(paths), len(paths), ok=(0, 1))
    steps.remove(first)
    if st.status == "ok" and first.status == "ok" and st.wall > first.wall:
        per_file = (st.wall - first.wall) / (len(paths) - 1)
        st.note = (
            f"抽样 {len(paths)} 个文件共 {st.wall:.1f} 秒，扣除启动 {first.wall:.1f} 秒后"
            f"按 {1 / per_file:,.1f} 文件/秒外推"
        )
        st.wall = per_file * st.records
    else:
        st.note = f"抽样 {len(paths)} 个文件"
    st.extrapolated = True


def cfg_schemas(root: Path, cfg: Config) -> Path:
    local = root / "schemas"
    return local if (local / "common.schema.json").is_file() else cfg.schemas_dir


# --- the whole run -------------------------------------------------------------------------


def machine() -> dict:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        cores = os.cpu_count() or 1
    mem = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem = round(int(line.split()[1]) / 1048576, 1)
    except OSError:
        pass
    return {
        "cores": cores,
        "memory_gb": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
    }


def run_bench(cfg: Config, opts: BenchOptions) -> Report:
    if not opts.sizes or any(s <= 0 for s in opts.sizes):
        raise UsageError("--sizes 需要正整数，用逗号分隔，如 20000,200000")
    if opts.repeat < 1:
        raise UsageError("--repeat 需要正整数")
    opts.out.mkdir(parents=True, exist_ok=True)
    report = Report(
        machine=machine(),
        options={
            "sizes": list(opts.sizes),
            "seed": opts.seed,
            "sample": opts.sample,
            "quick": opts.quick,
            "as_of": AS_OF,
            "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    commands = available_commands()
    impls = None
    if not opts.generate_only:
        from .benchimpl import implementations

        impls = implementations(opts.baseline_ref, opts.out)
        report.options["steps"] = list(opts.steps or ())
        report.options["step_timeouts"] = opts.step_timeouts
        report.options["repeat"] = opts.repeat
        report.options["module"] = impls[0].module
        if len(impls) > 1:
            b = impls[1]
            report.options["baseline"] = {
                "ref": opts.baseline_ref,
                "sha": b.sha,
                "module": b.module,
            }
            print(f"基线 {opts.baseline_ref} = {(b.sha or '')[:10]}：{b.module}", flush=True)
    for size in opts.sizes:
        print(f"规模 {size:,} 户：", flush=True)
        root = corpus(cfg, size, opts, report)
        if impls:
            run_size(cfg, size, root, opts, report, commands, impls)
    return report


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
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, r in enumerate(rows):
        lines.append(" | ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def summary(report: Report) -> str:
    m = report.machine
    out = [f"机器：{m['cores']} 核，内存 {m['memory_gb']} GB，Python {m['python']}"]
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
