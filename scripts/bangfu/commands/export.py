"""Sub-commands for open data: ``bangfu export`` and ``bangfu changelog``."""

from __future__ import annotations

import sys
from pathlib import Path

from ..cli import command, common, config


def _export(args) -> int:
    from ..pipeline import Pipeline
    from ..publish.extracts import check_out, export

    cfg = config(args)
    check_out(cfg, Path(args.out))  # before the check: a usage error comes first
    pipe = Pipeline(cfg)
    if not args.no_check:
        pipe.refuse_if_errors("export")
    result = export(pipe.aggregate(cfg.as_of), Path(args.out))
    rows = sum(result.tables.values())
    print(
        f"已导出开放数据到 {result.out}：{len(result.tables)} 张表，共 {rows:,} 行；"
        f"{result.files} 个文件，{result.bytes / 1024:,.1f} KB。"
    )
    return 0


def _export_args(p):
    p.add_argument("--out", default="public/data", help="输出文件夹（默认 public/data）")
    p.add_argument(
        "--no-check", action="store_true", help="跳过检查直接导出（默认先检查，有错误则不导出）"
    )
    common(p)


_export.add_args = _export_args
command("export", "导出开放数据：Frictionless 数据包（CSV + datapackage.json）和 Excel 文件")(
    _export
)


def _changelog(args) -> int:
    from ..changelog import changelog

    if args.limit < 0:
        from ..config import UsageError

        raise UsageError("--limit 不能为负数")
    cfg = config(args)
    text = changelog(cfg, args.ref_a, args.ref_b, args.limit)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"已写入 {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _changelog_args(p):
    p.add_argument("ref_a", metavar="REF_A", help="较早的 git 引用（提交、分支或标签）")
    p.add_argument("ref_b", metavar="REF_B", help="较新的 git 引用")
    p.add_argument(
        "--limit",
        type=int,
        default=100,
        help="每张表每类变化最多列出多少行（0 表示全部，默认 100）",
    )
    p.add_argument("--output", default=None, help="写入这个 Markdown 文件（默认打印）")
    common(p)


_changelog.add_args = _changelog_args
command("changelog", "列出两个提交之间公开数据表的变化（Markdown，用于发布说明）")(_changelog)
