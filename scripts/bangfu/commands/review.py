"""``bangfu review`` (pull-request summary and history guard) and ``bangfu codeowners``."""

from __future__ import annotations

import sys
from pathlib import Path

from ..cli import command
from ..config import UsageError, today


def _review(args) -> int:
    from ..privacy import keyfile
    from ..review.core import build
    from ..review.summary import RENDERERS

    if args.key and not args.private:
        raise UsageError("--key 只能和 --private 一起用（在本机核对隐私字段改了哪些）")
    ids = keyfile.identities(args.key) if args.private else []
    review = build(Path(args.repo), args.base, args.head, today(args.as_of), ids)
    sys.stdout.write(RENDERERS[args.format](review, private=args.private))
    return 1 if review.blocking else 0


def _review_args(p):
    p.add_argument("base", help="比较的起点，如 origin/main（从它与 HEAD 的共同祖先开始比较）")
    p.add_argument("head", help="比较的终点，如 HEAD")
    p.add_argument(
        "--format",
        choices=["markdown", "text", "json"],
        default="text",
        help="输出格式：markdown（PR 评论）、text 或 json",
    )
    p.add_argument(
        "--private",
        action="store_true",
        help="也显示逐户数值（户的监测类别、收入、预警等级，帮扶条目的内容和金额）。"
        "只供区县审核人在本机使用；不要用于拉取请求评论、任务摘要或 CI 日志"
        "（见 site/threat-model.md）。隐私字段在任何情况下都不显示",
    )
    p.add_argument(
        "--key",
        default=None,
        metavar="FILE",
        help="与 --private 一起用：age 私钥文件（也可设环境变量 BANGFU_KEY_FILE），"
        "解开两边的密文，列出改了哪些隐私字段（只列字段名称，不显示值）",
    )
    p.add_argument("--repo", default=".", help="Git 仓库所在文件夹（默认当前文件夹）")
    p.add_argument(
        "--as-of",
        default=None,
        metavar="YYYY-MM-DD",
        help="把这一天当作“今天”（也可设环境变量 BANGFU_AS_OF）",
    )


command(
    "review",
    "逐条总结两个 Git 提交之间的记录改动，检查历史记录保护，列出需要的审核人",
    _review_args,
)(_review)


def _codeowners(args) -> int:
    from ..config import Config
    from ..review import codeowners as co
    from .generated import check_or_write

    cfg = Config.make(args.data, args.schemas)
    root = cfg.data_root.parent
    mfile = Path(args.maintainers) if args.maintainers else root / co.MAINTAINERS_FILE
    mtext = mfile.read_text("utf-8") if mfile.is_file() else None
    if args.maintainers and mtext is None:
        raise UsageError(f"维护者名单 {mfile} 不存在")
    text = co.render(co.from_data(cfg.data_root, mtext))
    out = Path(args.out) if args.out else root / co.CODEOWNERS_FILE
    return check_or_write(out, text, args.check, "与区县记录的审核人不一致", "bangfu codeowners")


def _codeowners_args(p):
    p.add_argument(
        "--check", action="store_true", help="只检查是否过期，不改文件；过期时退出码为 1"
    )
    p.add_argument("--out", default=None, help="输出文件（默认 数据文件夹旁的 .github/CODEOWNERS）")
    p.add_argument(
        "--maintainers",
        default=None,
        help="维护者名单（默认 .github/maintainers.txt；每行一个 GitHub 账号或团队）",
    )
    p.add_argument("--data", default="data", help="数据文件夹（默认 data）")
    p.add_argument(
        "--schemas", default=None, help="schemas 文件夹（默认：数据文件夹旁的 schemas/）"
    )


command(
    "codeowners", "根据区县记录的审核人生成 .github/CODEOWNERS（--check 只检查）", _codeowners_args
)(_codeowners)
