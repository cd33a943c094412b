"""``bangfu bench --merge N``: N synthetic provinces' packages merged into a national one.

Each province is a ``bangfu demo --province`` ledger (its own places and ids) exported as a
package; generating and exporting them is timed separately and never counted. The measured
steps are ``bangfu merge`` over the N packages, and the same with the national site, each in
its own process under the benchmark's wrapper (wall time, peak memory).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bangfu.config import Config, UsageError

from .bench import _measure, machine
from .benchtypes import AS_OF, MARKER, BenchOptions, Report, Step, fill_step

GENERATOR = 1


def province_name(k: int) -> str:
    return f"合成省{k:02d}"


def _rows(package: Path) -> int:
    """Data rows of a package's CSV tables (what the merge reads)."""
    total = 0
    for p in sorted(package.glob("*.csv")):
        with open(p, "rb") as fh:
            total += max(sum(1 for _ in fh) - 1, 0)
    return total


def packages(cfg: Config, opts: BenchOptions, n: int, households: int, report: Report) -> Path:
    """``n`` province packages of ``households`` each, made unless identical ones exist."""
    from bangfu import synth
    from bangfu.pipeline import Pipeline
    from bangfu.publish.extracts import export

    root = opts.out / f"merge-{n}x{households}"
    marker = root / MARKER
    want = {"provinces": n, "households": households, "seed": opts.seed, "generator": GENERATOR}
    try:
        have = json.loads(marker.read_text("utf-8"))
    except (OSError, ValueError):
        have = {}
    pkgs = root / "packages"
    if {k: have.get(k) for k in want} == want and len(list(pkgs.glob("*/datapackage.json"))) == n:
        report.generation.append(
            {"size": n * households, "seconds": 0.0, "reused": True, "files": have.get("files")}
        )
        print(f"  复用已生成的 {n} 个合成省的数据包", flush=True)
        return pkgs
    if root.exists():
        shutil.rmtree(root)
    t = time.perf_counter()
    workers = opts.workers or synth.default_workers()
    for k in range(1, n + 1):
        work = root / "work"
        synth.generate(
            cfg,
            synth.SynthOptions(
                households, opts.seed + k, work, workers=workers, province=province_name(k)
            ),
        )
        pipe = Pipeline(Config.make(work / "data", work / "schemas", AS_OF))
        pipe.refuse_if_errors("export")
        export(pipe.aggregate(pipe.cfg.as_of), pkgs / f"p{k:02d}")
        shutil.rmtree(work)  # only the package is kept: it is what a province publishes
        print(f"  {province_name(k)}：已生成并导出", flush=True)
    seconds = time.perf_counter() - t
    files = sum(1 for p in pkgs.rglob("*") if p.is_file())
    marker.write_text(json.dumps({**want, "files": files}, ensure_ascii=False), "utf-8")
    report.generation.append(
        {"size": n * households, "seconds": round(seconds, 1), "reused": False, "files": files}
    )
    print(f"  生成并导出 {n} 个省用时 {seconds:.1f} 秒（不计入测量）", flush=True)
    return pkgs


def run_merge_bench(cfg: Config, opts: BenchOptions, n: int, households: int) -> Report:
    if n < 1 or households < 1:
        raise UsageError("--merge 和 --merge-households 需要正整数")
    opts.out.mkdir(parents=True, exist_ok=True)
    report = Report(
        machine=machine(),
        options={
            "merge": n,
            "merge_households": households,
            "seed": opts.seed,
            "as_of": AS_OF,
            "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    print(f"合并 {n} 个合成省（每省 {households:,} 户）：", flush=True)
    pkgs = packages(cfg, opts, n, households, report)
    if opts.generate_only:
        return report
    dirs = [str(p) for p in sorted(pkgs.iterdir()) if (p / "datapackage.json").is_file()]
    rows = sum(_rows(Path(d)) for d in dirs)
    size = n * households
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-merge-") as tmp:
        tmpd = Path(tmp)
        for name, label, extra in (
            ("merge", f"合并 {n} 个省的数据包", []),
            (
                "merge-site",
                f"合并 {n} 个省并生成全国汇总网站",
                ["--site", str(tmpd / "site"), "--src", str(tmpd / "src")],
            ),
        ):
            print(f"  {label} …", end="", flush=True)
            cmd = [
                sys.executable,
                "-m",
                "bangfu",
                "merge",
                *dirs,
                "--out",
                str(tmpd / name),
                *extra,
            ]
            step = fill_step(Step(size, name, label, rows), _measure(cmd, opts.timeout))
            if step.status == "ok":
                step.note = f"{n} 个数据包，共 {rows:,} 行"
            report.steps.append(step)
            shown = f"{step.wall:.2f} 秒" if step.wall is not None else step.status
            print(f" {shown}", flush=True)
    return report
