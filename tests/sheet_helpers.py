"""Helpers for the spreadsheet tests: fill a generated template the way a person would
(by the labels and headers they see), hash the data tree, save a sheet as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
from pathlib import Path

import openpyxl

from .conftest import DEFAULT_AS_OF, bangfu

AS_OF = DEFAULT_AS_OF


def tree_hash(root: Path) -> str:
    """A hash of every file (path and bytes) under ``root``."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            p = Path(dirpath) / name
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def run(repo: Path, *args: str):
    return (
        bangfu(*args, "--as-of", AS_OF, cwd=repo)
        if args[0] in ("import", "check")
        else bangfu(*args, cwd=repo)
    )


def template(repo: Path, form: str, out: str, *extra: str) -> Path:
    proc = bangfu("template", "--form", form, *extra, "-o", out, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return repo / out


def _norm(text) -> str:
    return str(text or "").split("（隐私")[0].rstrip("*").strip()


def find_label_row(ws, label: str) -> int:
    for row in range(1, ws.max_row + 1):
        if _norm(ws.cell(row, 1).value) == label:
            return row
    raise KeyError(label)


def section_layout(ws, marker: str) -> tuple[int, dict[str, int]]:
    """(first data row, header → column) of a 【section】."""
    row = find_label_row(ws, marker)
    headers = {
        _norm(ws.cell(row + 1, c).value): c
        for c in range(1, ws.max_column + 1)
        if ws.cell(row + 1, c).value
    }
    return row + 2, headers


def fill(
    path: Path,
    sheet: str,
    fields: dict | None = None,
    sections: dict | None = None,
    out: Path | None = None,
) -> Path:
    """Type values into a template: header fields by label, section rows by header."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for label, value in (fields or {}).items():
        ws.cell(find_label_row(ws, label), 2, value)
    for marker, rows in (sections or {}).items():
        first, headers = section_layout(ws, marker)
        if len(rows) > 20:
            ws.insert_rows(first + 1, len(rows))
        for i, values in enumerate(rows):
            for header, value in values.items():
                ws.cell(first + i, headers[header], value)
    target = out or path
    wb.save(target)
    wb.close()
    return target


def to_csv(xlsx: Path, sheet: str, out: Path, encoding: str = "utf-8-sig") -> Path:
    """The sheet as Excel's “save as CSV” would write it."""
    wb = openpyxl.load_workbook(xlsx)
    ws = wb[sheet]
    with out.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        for row in ws.iter_rows(values_only=True):
            w.writerow(
                [
                    "" if v is None else (v.date().isoformat() if isinstance(v, dt.datetime) else v)
                    for v in row
                ]
            )
    wb.close()
    return out


# the forms the sheet tests fill in (test_sheets.py, test_sheets_bad_input.py)

ENTRIES = [
    {
        "走访日期": dt.date(2024, 4, 3),
        "帮扶户": "h-0001（柳村）",
        "活动类别": "走访",
        "帮扶内容": "入户了解春耕准备",
        "金额（元）": 200,
    },
    {
        "走访日期": "2024-04-09",
        "帮扶村": "东乡柳村（tc-alpha-east-willow）",
        "活动类别": "消费扶贫",
        "帮扶内容": "采购农产品",
        "金额（元）": 1350.5,
        "增收项目": "是",
    },
]


def progress(repo, name="p.xlsx", period="2024-04", entries=ENTRIES, **fields):
    path = template(repo, "progress", name, "--plan", "tp-one")
    values = {"报送期": period, "报送日期": dt.date(2024, 4, 25), **fields}
    return fill(path, "进度", values, {"【帮扶内容】": entries})


FILING_FIELDS = {
    "方案名称": "柳村春季帮扶方案",
    "所在区县": "测试县（tc-alpha）",
    "专项行动": "测试专项行动（tk-campaign）",
    "结对形式": "一对多",
    "开始日期": dt.date(2024, 3, 1),
    "结束日期": dt.date(2024, 12, 31),
    "方案状态": "执行中",
}


# a new household as the filing form's row (fake person)
NEW_HOUSEHOLD = {
    "对象类型": "帮扶户",
    "所在村": "东乡松村（tc-alpha-east-pine）",
    "户主姓名": "李示例",
    "联系电话": "13600000000",
    "家庭住址": "东乡松村三组",
    "监测类别": "脱贫不稳定户",
    "监测状态": "风险未消除",
    "家庭人口": 4,
    "收入年度": 2023,
    "人均纯收入（元）": 5200,
}
