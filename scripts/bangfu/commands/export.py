"""Sub-commands for open data: ``bangfu export`` and ``bangfu changelog``."""

from __future__ import annotations

import sys
from pathlib import Path

from ..cli import command, common, config


def _export(args) -> int:
    from ..collector import kept
    from ..pipeline import Pipeline
    from ..publish.extracts import check_out, export

    cfg = config(args)
    check_out(Path(args.out), cfg.data_root)  # before the check: a usage error comes first
    pipe = kept(Pipeline(cfg))  # not freed as the command ends (``collector``)
    agg = pipe.aggregate(cfg.as_of) if args.no_check else pipe.publishable("export", cfg.as_of)
    result = export(agg, Path(args.out))
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


command(
    "export",
    "导出开放数据：Frictionless 数据包（CSV + datapackage.json）和 Excel 文件",
    _export_args,
)(_export)


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


command("changelog", "列出两个提交之间公开数据表的变化（Markdown，用于发布说明）", _changelog_args)(
    _changelog
)


def _merge(args) -> int:
    from ..config import PublishRefused
    from ..publish.merge import MergeError
    from ..publish.national import merge
    from ..render import text

    try:
        res = merge([Path(p) for p in args.packages], Path(args.out))
    except (MergeError, PublishRefused) as exc:
        findings = getattr(exc, "findings", None)
        if findings is None:
            print(f"bangfu merge: {exc}", file=sys.stderr)
        else:
            sys.stdout.write("".join(text(findings, 0).splitlines(keepends=True)[:-1]))
            print(f"没有合并：{len(findings)} 个问题，没有写入任何文件。")
        return 1
    rows = sum(res.export.tables.values())
    print(
        f"已合并 {len(res.provinces)} 个省的数据包到 {res.export.out}："
        f"{len(res.export.tables)} 张表，共 {rows:,} 行；{res.export.files} 个文件，"
        f"{res.export.bytes / 1024:,.1f} KB。"
    )
    if args.site:
        from ..publish.national_site import build
        from ..publish.site import SiteError

        try:
            site = build(res, Path(args.site), Path(args.src))
        except SiteError as exc:
            print(f"bangfu merge: {exc}", file=sys.stderr)
            return 1
        print(f"已生成全国汇总网站：{site.out}，{site.pages} 个页面，{site.files} 个文件。")
    return 0


def _merge_args(p):
    p.add_argument(
        "packages",
        nargs="+",
        metavar="PKG_DIR",
        help="各省的数据包文件夹（bangfu export 的输出，含 datapackage.json）",
    )
    p.add_argument(
        "--out", default="build/national", help="全国数据包的输出文件夹（默认 build/national）"
    )
    p.add_argument(
        "--site",
        default=None,
        metavar="DIR",
        help="另外生成全国汇总网站到这个文件夹（各省汇总页，附全国和各省的数据包）",
    )
    p.add_argument(
        "--src",
        default="build/national-site-src",
        help="全国汇总网站的 Markdown 页面和 mkdocs.yml 放在这里（默认 build/national-site-src）",
    )


command(
    "merge",
    "合并各省的公开数据包为全国数据包（CSV、Parquet、工作簿和 datapackage.json）；"
    "编号冲突、不是数据包或表结构版本不同时不合并",
    _merge_args,
)(_merge)
