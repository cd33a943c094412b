"""Sub-command ``bangfu bench``: the benchmark on synthetic county- and province-size corpora."""

from __future__ import annotations

import sys
from pathlib import Path

from ..cli import command, common, config
from ..config import UsageError
from .tooling import tooling


def _sizes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x.replace("_", "")) for x in text.split(",") if x.strip())
    except ValueError as exc:
        raise UsageError(f"--sizes “{text}” 应是用逗号分隔的户数，如 20000,200000") from exc


def _bench(args) -> int:
    bench, steps = tooling("bench"), tooling("benchsteps")
    report_mod = tooling("benchreport")
    if args.show:
        try:
            sys.stdout.write(report_mod.summary(report_mod.load_report(Path(args.show))))
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(f"无法读取结果文件 {args.show}：{exc}") from exc
        return 0
    from ..synth import parse_shape

    cfg = config(args)
    if args.merge is not None:
        return _bench_merge(cfg, args)
    sizes = (
        _sizes(args.sizes)
        if args.sizes
        else (bench.QUICK_SIZES if args.quick else bench.DEFAULT_SIZES)
    )
    sample = args.sample if args.sample is not None else (60 if args.quick else 300)
    opts = bench.BenchOptions(
        sizes=sizes,
        out=Path(args.out),
        seed=args.seed,
        sample=sample,
        quick=args.quick,
        generate_only=args.generate_only,
        timeout=args.timeout,
        workers=args.workers,
        steps=steps.parse_steps(args.steps) if args.steps else None,
        step_timeouts=steps.parse_timeouts(args.step_timeout),
        baseline_ref=args.baseline_ref,
        repeat=args.repeat,
        places=parse_shape(args.places) if args.places else None,
    )
    report = bench.run_bench(cfg, opts)
    sys.stdout.write("\n" + report_mod.summary(report))
    if report.steps:
        path = report_mod.save(report, opts.out)
        print(f"结果已写入 {path}")
    return 0


def _bench_merge(cfg, args) -> int:
    bench, report_mod = tooling("bench"), tooling("benchreport")
    opts = bench.BenchOptions(
        sizes=(),
        out=Path(args.out),
        seed=args.seed,
        generate_only=args.generate_only,
        timeout=args.timeout,
        workers=args.workers,
    )
    report = tooling("bench_merge").run_merge_bench(cfg, opts, args.merge, args.merge_households)
    sys.stdout.write("\n" + report_mod.summary(report))
    if report.steps:
        print(f"结果已写入 {report_mod.save(report, opts.out)}")
    return 0


def _bench_args(p):
    p.add_argument(
        "--sizes", default=None, help="语料规模（户数），逗号分隔；默认 20000,200000,500000"
    )
    p.add_argument(
        "--places",
        default=None,
        metavar="区县x乡镇x村",
        help="在参考数据旁加一个这样规模的合成省（区县数x每县乡镇数x每乡镇村数，如 100x10x10），"
        "合成的户都在其中，以测出随地方和帮扶主体数目增长的开销",
    )
    p.add_argument("--quick", action="store_true", help="快速试跑：只测 2000 户，小样本基线")
    p.add_argument("--seed", type=int, default=1, help="生成语料的随机种子")
    p.add_argument(
        "--sample", type=int, default=None, help="基线工具抽样的文件数（默认 300，--quick 时 60）"
    )
    p.add_argument(
        "--out", default="build/bench", help="语料和结果 JSON 的位置（默认 build/bench）"
    )
    p.add_argument("--timeout", type=float, default=3600.0, help="每一步的时间上限（秒）")
    p.add_argument("--workers", type=int, default=None, help="生成语料用的进程数（默认 CPU 核数）")
    p.add_argument("--generate-only", action="store_true", help="只生成（或复用）语料，不测量")
    p.add_argument(
        "--merge",
        type=int,
        default=None,
        metavar="N",
        help="改为测量 bangfu merge：生成 N 个合成省的数据包（不计入测量），合并为全国数据包",
    )
    p.add_argument(
        "--merge-households",
        type=int,
        default=2000,
        metavar="户数",
        help="--merge 时每个合成省的户数（默认 2000）",
    )
    p.add_argument(
        "--steps",
        default=None,
        help="只测这些步骤，逗号分隔：check-nocache、check-cold、check-warm、incr-1、incr-100、"
        "site、site-rebuild、export、tools（对照工具），或 check（全部检查）、incr、all（默认）",
    )
    p.add_argument(
        "--step-timeout",
        default=None,
        metavar="步骤=秒,…",
        help="单个步骤的时间上限，如 site=1800,export=900（其余用 --timeout）；超时如实记为“超时”",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="每个 bangfu 步骤重复几次（与基线交替），取最快一次；各次用时记在结果里",
    )
    p.add_argument(
        "--baseline-ref",
        default=None,
        metavar="REF",
        help="同时测量 REF（如 main 的某个提交）的代码：同一份语料、同一次运行、逐步交替，"
        "报告每一步 基线/当前 的用时比和双方的峰值内存",
    )
    p.add_argument(
        "--show",
        default=None,
        metavar="JSON",
        help="不测量，只把保存的结果（如 build/bench/latest.json）重新打印成表格",
    )
    common(p, as_of=False)


command(
    "bench",
    "基准测试：在县级和省级规模的合成数据上测量检查、增量检查、网站和导出的速度",
    _bench_args,
)(_bench)
