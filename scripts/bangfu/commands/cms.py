"""``bangfu cms``: the web editor's configuration (``site/admin/config.json``,
``counties.json`` and ``counties/``), generated."""

from __future__ import annotations

from pathlib import Path

from ..cli import command
from ..config import Config


def _cms(args) -> int:
    from .. import cms, cms_inputs
    from .generated import check_or_write_folder

    cfg = Config.make(args.data, args.schemas)
    if args.fix_names:
        from ..cms_inputs import fix_names

        for old, new in fix_names(cfg.data_root):
            print(f"已改名：{old} → {new.name}")
        return 0
    out = Path(args.out) if args.out else cfg.data_root.parent / cms.CONFIG_DIR
    inputs = cms_inputs.read_inputs(cfg.data_root)
    texts = cms.files(cfg.schemas_dir, inputs, args.repo or cms.DEFAULT_REPO)
    return check_or_write_folder(
        out,
        texts,
        f"{cms.COUNTY_DIR}/*.json",
        args.check,
        "与 schemas 或结对方案不一致",
        "bangfu cms",
    )


def _cms_args(p):
    p.add_argument(
        "--check", action="store_true", help="只检查是否过期，不改文件；过期时退出码为 1"
    )
    p.add_argument(
        "--fix-names",
        action="store_true",
        help="把只有大小写与编号不同的记录文件改名为编号（编辑器保存的文件名是小写的，"
        "如周报 2020-w22.yaml → 2020-W22.yaml），不生成配置",
    )
    p.add_argument(
        "--out",
        default=None,
        help="输出文件夹（默认 数据文件夹旁的 site/admin/：config.json、counties.json 和 counties/）",
    )
    p.add_argument(
        "--repo",
        default=None,
        help="编辑器保存到的 GitHub 仓库 owner/name（默认 bangfu-ledger/ledger）",
    )
    p.add_argument("--data", default="data", help="数据文件夹（默认 data）")
    p.add_argument(
        "--schemas", default=None, help="schemas 文件夹（默认：数据文件夹旁的 schemas/）"
    )


command(
    "cms",
    "根据 schemas 和结对方案生成网页编辑器（/admin/）的配置（--check 只检查）",
    _cms_args,
)(_cms)
