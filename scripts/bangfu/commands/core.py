"""Sub-commands of ``bangfu``. Each is thin: parse options, call the pipeline, render."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from .. import render
from ..cli import command, common, config
from ..collector import kept
from ..config import Config, UsageError
from ..findings import has_errors
from ..pipeline import Pipeline
from ..privacy import keyfile
from ..writes import WriteError, recover_for_check, write_all, writing


def _check(args) -> int:
    cfg = config(args)
    recovered = recover_for_check(cfg.data_root)  # an interrupted write is finished or undone
    result = kept(Pipeline(cfg, args.paths or None)).result  # not freed as the command ends
    findings = [*recovered, *result.findings]
    identities = keyfile.identities(args.key)
    if identities:  # the private part of what the key opens, against the schema
        from ..privacy.convert import private_findings

        more, n = private_findings(cfg, result.records, identities, result.findings)
        findings = sorted([*findings, *more], key=lambda f: f.sort_key())
        print(f"用密钥打开了 {n} 条记录的隐私字段并一并检查。", file=sys.stderr)
    sys.stdout.write(render.RENDERERS[args.format](findings, result.files_checked))
    return 1 if has_errors(findings) else 0


def _check_args(p):
    p.add_argument("paths", nargs="*", help="只报告这些文件或文件夹的问题（默认整个数据文件夹）")
    p.add_argument("--format", choices=sorted(render.RENDERERS), default="text", help="输出格式")
    keyfile.add_key_option(p)
    common(p)


command("check", "检查记录：结构、引用、日期和政策规则", _check_args)(_check)


def _fmt(args) -> int:
    from ..fmt import format_file, targets

    cfg = config(args)
    files = targets(cfg.data_root, args.paths)
    findings, changed = [], 0
    with contextlib.ExitStack() as stack:
        if not args.check:  # one writer at a time; an interrupted earlier write is recovered
            findings.extend(stack.enter_context(writing(cfg.data_root)))
        for f in files:
            try:
                fs, ch = format_file(f, cfg.data_root, args.check)
            except WriteError as exc:
                fs, ch = exc.findings, False
            findings.extend(fs)
            changed += ch
    findings.sort(key=lambda f: f.sort_key())
    if findings:
        sys.stdout.write(render.text(findings, len(files)))
    verb = "需要整理" if args.check else "已整理"
    print(f"{len(files)} 个文件，{verb} {changed} 个。")
    return 1 if has_errors(findings) else 0


def _fmt_args(p):
    p.add_argument("paths", nargs="*", help="要整理的文件或文件夹（默认整个数据文件夹）")
    p.add_argument(
        "--check", action="store_true", help="只检查，不改文件；有需要整理的文件时退出码为 1"
    )
    common(p, as_of=False)


command("fmt", "按规范格式整理记录（保留注释，不改数据）", _fmt_args)(_fmt)


def _new(args) -> int:
    from ..scaffold import create

    cfg = config(args)
    opts = {
        k: getattr(args, k)
        for k in (
            "id",
            "name",
            "province",
            "county",
            "village",
            "campaign",
            "organization",
            "plan",
            "period",
            "source",
        )
    }
    with writing(cfg.data_root) as recovered:
        if recovered:
            sys.stdout.write(render.text(recovered, 0))
        path = create(args.kind, opts, cfg.data_root, cfg.schemas_dir, cfg.as_of)
    print(f"已创建 {path}")
    return 0


def _new_args(p):
    p.add_argument(
        "kind",
        choices=[
            "source",
            "county",
            "organization",
            "household",
            "campaign",
            "plan",
            "report",
            "policy",
        ],
        help="记录类型",
    )
    for name, help_text in [
        ("id", "编号"),
        ("name", "名称"),
        ("province", "省级名称"),
        ("county", "区县编号（new report 可省略：取方案所在的区县）"),
        ("village", "村编号"),
        ("campaign", "专项行动编号"),
        ("organization", "帮扶主体编号"),
        ("plan", "方案编号"),
        ("period", "报送期，如 2020-04、2020-W18、2020-Q2"),
        ("source", "来源文件编号"),
    ]:
        p.add_argument(f"--{name}", default=None, help=help_text)
    common(p)


command("new", "在正确的位置生成一条新记录的骨架", _new_args)(_new)


def _demo(args) -> int:
    from ..synth import SynthOptions, default_workers, generate, parse_shape

    cfg = config(args)
    opts = SynthOptions(
        households=args.households,
        seed=args.seed,
        out=Path(args.out),
        workers=default_workers(),
        province=args.province,
        shape=parse_shape(args.places) if args.places else None,
    )
    counts = generate(cfg, opts)
    print(
        "已生成演示数据（synthetic）："
        + "，".join(f"{k} {v}" for k, v in counts.items())
        + f"，位于 {Path(args.out) / 'data'}"
    )
    if args.recipient:  # every county's records sealed for these keys (privacy.seal)
        from ..privacy.convert import register_everywhere
        from ..privacy.seal import RECIPIENT

        if not all(RECIPIENT.match(r) for r in args.recipient):
            raise UsageError("--recipient 要写 age 公钥（age1… 共 62 个字符）")
        roles = ["审核人", *["恢复"] * (len(args.recipient) - 1)]
        entries = [{"key": k, "role": r} for k, r in zip(args.recipient, roles, strict=True)]
        out = Config.make(Path(args.out) / "data", Path(args.out) / "schemas", args.as_of)
        plan = register_everywhere(out, entries)
        write_all(plan.files, out.data_root)
        print(f"隐私字段已加密：{plan.sealed} 条记录（第一把公钥为审核人，其余为恢复密钥）。")
    return 0


def _demo_args(p):
    p.add_argument("--households", type=int, default=2000, help="生成多少户（默认 2000）")
    p.add_argument("--seed", type=int, default=1, help="随机种子；同一种子生成完全相同的数据")
    p.add_argument("--out", default="build/demo", help="输出文件夹（默认 build/demo）")
    p.add_argument(
        "--province",
        default=None,
        metavar="名称",
        help="生成一个这样命名的合成省（虚构的区县、乡镇和村，编号互不相同），"
        "而不用参考数据中的地方；用于试验 bangfu merge",
    )
    p.add_argument(
        "--places",
        default=None,
        metavar="区县x乡镇x村",
        help="合成省的地方规模：区县数x每县乡镇数x每乡镇村数（默认 4x3x4；省级规模如 100x10x10）。"
        "不给 --province 时，参考数据保持完整，旁边加一个这样规模的“合成省”，合成的户都在其中",
    )
    p.add_argument(
        "--recipient",
        action="append",
        default=None,
        metavar="age1…",
        help="把每个区县的隐私字段加密给这把公钥（可重复：第一把为审核人，其余为恢复密钥）",
    )
    common(p)


command("demo", "生成带“演示数据”标记的合成数据，用于演示和测试", _demo_args)(_demo)


def _docs(args) -> int:
    from .tooling import tooling

    ok = tooling("readme").readme_sync(Path(args.readme), check=args.check)
    if args.check and not ok:
        print(
            f"{args.readme} 中的命令参考或记录位置表已过期：运行 bangfu docs 重新生成。",
            file=sys.stderr,
        )
        return 1
    print("README 的生成部分已是最新。" if ok else f"已更新 {args.readme} 中的生成部分。")
    return 0


def _docs_args(p):
    p.add_argument("--readme", default="README.md", help="要更新的 README（默认 README.md）")
    p.add_argument("--check", action="store_true", help="只检查是否过期，不改文件")


command("docs", "重新生成 README 中的命令参考和记录位置表（--check 只检查）", _docs_args)(_docs)
