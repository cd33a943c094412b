"""``bangfu template``, ``bangfu import`` and ``bangfu export-forms``: the spreadsheet bridge."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import render
from ..cli import command, common, config
from ..config import UsageError
from ..privacy import keyfile
from ..sheets.forms import SEALED_PLACEHOLDER


def _model(cfg):
    from ..pipeline import Pipeline

    model = Pipeline(cfg).model
    model.unpack()  # the forms read records' data many times: decoded once and kept
    return model


def _out(value: str) -> Path:
    out = Path(value)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"输出文件 {value} 的扩展名应为 .xlsx")
    return out


def _template(args) -> int:
    from ..sheets.export_forms import template

    cfg = config(args)
    if args.plan and args.county:
        raise UsageError("--plan 和 --county 只能给一个")
    out = _out(args.output)
    template(_model(cfg), cfg.schemas_dir, args.form, out, plan=args.plan, county=args.county)
    print(f"已生成模板 {out}")
    return 0


def _template_args(p):
    p.add_argument(
        "--form",
        required=True,
        choices=["filing", "progress"],
        help="filing：方案报备表（附件1）；progress：实施情况进度表（附件2）",
    )
    p.add_argument("--plan", default=None, help="方案编号：下拉列表只含该方案的对象，表头预先填好")
    p.add_argument("--county", default=None, help="区县编号：下拉列表只含该区县的村、方案")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="输出的工作簿")
    common(p, as_of=False)


command("template", "生成 Excel 填报模板（报备表或进度表），带下拉列表和填表说明", _template_args)(
    _template
)


def _import(args) -> int:
    from ..sheets.importer import run

    cfg = config(args)
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"文件 {args.file} 不存在")
    if path.suffix.lower() not in (".xlsx", ".csv", ".xls", ".xlsm"):
        raise UsageError(f"只能导入 .xlsx 或 .csv 文件，不是 {path.suffix or '无扩展名的文件'}")
    outcome = run(cfg, path, dry_run=args.dry_run, identities=keyfile.identities(args.key))
    if outcome.findings:
        sys.stdout.write(render.text(outcome.findings, 1))
    if not outcome.ok:
        print("导入失败：没有写入任何文件。改正以上问题后重新导入。")
        return 1
    for note in outcome.notes:
        print(note)
    changed = [p for p in outcome.planned if p.changed]
    root = cfg.data_root.parent
    if not changed:
        print("没有变化：表中的内容与现有记录完全一致（已导入过），没有写入任何文件。")
        return 0
    verb = "将写入" if args.dry_run else "已写入"
    for p in changed:
        rel = cfg.data_root.joinpath(*p.rel).relative_to(root).as_posix()
        print(f"{verb} {rel}（{'新建' if p.existing is None else '更新'}）")
    print(
        f"共 {len(changed)} 个文件。"
        + ("（试运行，没有写入）" if args.dry_run else "请运行 bangfu check 后提交。")
    )
    return 0


def _import_args(p):
    p.add_argument(
        "file",
        metavar="FILE.xlsx|FILE.csv",
        help="填好的报备表或进度表。表单类型按表单工作表第 1 行第 1 格的表名识别"
        "（结对帮扶方案报备表 / 结对帮扶实施情况进度表）；CSV 是一张表单工作表另存的 CSV（UTF-8 或 GBK）",
    )
    p.add_argument("--dry-run", action="store_true", help="只检查并列出将写入的文件，不写入")
    keyfile.add_key_option(p)
    common(p)


command(
    "import",
    "导入填好的报备表或进度表（.xlsx 或 .csv）：全部通过才写入，重复导入不会重复写入",
    _import_args,
)(_import)


def _export(args) -> int:
    from ..sheets.export_forms import export

    cfg = config(args)
    out = _out(args.output)
    n, sealed = export(_model(cfg), cfg.schemas_dir, args.plan, out, keyfile.identities(args.key))
    print(f"已导出方案 {args.plan}：报备表 1 张，进度表 {n} 张 → {out}（含隐私信息，请妥善保管）")
    if sealed:
        print(
            f"{sealed} 户的隐私字段是密文，给出的密钥打不开（或没有给出密钥），表中显示“{SEALED_PLACEHOLDER}”；"
            "原样导入时保留原来的密文。"
        )
    return 0


def _export_args(p):
    p.add_argument("--plan", required=True, help="方案编号")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="输出的工作簿")
    keyfile.add_key_option(p)
    common(p, as_of=False)


command(
    "export-forms",
    "把一个方案及其进度报告导出为与模板相同格式的工作簿，可修改后再导入",
    _export_args,
)(_export)
