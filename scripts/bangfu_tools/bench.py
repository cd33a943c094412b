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
from pathlib import Path

from bangfu.config import Config, UsageError

from .benchtypes import (
    AS_OF,
    GENERATOR,
    MARKER,
    BenchOptions,
    Report,
    Step,
    fill_step,
)

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


def available_commands() -> set[str]:
    from bangfu.cli import COMMANDS, build_parser

    build_parser()
    return set(COMMANDS)


# --- corpora -------------------------------------------------------------------------------


def corpus(cfg: Config, size: int, opts: BenchOptions, report: Report) -> Path:
    """The corpus for ``size`` households, generated unless an identical one is already there."""
    from bangfu import synth
    from bangfu.load import scan

    shape = shape_text(opts.places)
    root = opts.out / (f"corpus-{size}-{shape}" if shape else f"corpus-{size}")
    marker = root / MARKER
    want = {"households": size, "seed": opts.seed, "generator": GENERATOR, "places": shape}
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
        synth.SynthOptions(
            size,
            opts.seed,
            root,
            workers=opts.workers or synth.default_workers(),
            shape=opts.places,
        ),
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


def shape_text(places: tuple[int, int, int] | None) -> str | None:
    """``(100, 10, 10)`` → ``"100x10x10"`` (the corpus folder and the report say it so)."""
    return "x".join(str(n) for n in places) if places else None


# --- the steps -----------------------------------------------------------------------------


def _sample_files(files: list[tuple[str, tuple, bool]], n: int) -> list[tuple[str, tuple]]:
    """``n`` record files spread evenly over the corpus (so every kind is represented)."""
    from bangfu.record import classify

    recs = [(p, rel) for p, rel, _ in files if p.endswith(".yaml") and classify(rel)]
    if n >= len(recs):
        return recs
    step = len(recs) / n
    return [recs[int(i * step)] for i in range(n)]


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
        st = fill_step(Step(size, name, label, records), _measure(cmd, tmo, **kw), ok)
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
            "places": shape_text(opts.places),
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
