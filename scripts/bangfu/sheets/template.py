"""Writing a form workbook: a blank template (``bangfu template``) or one filled from records
(``bangfu export-forms``). Both use the layout in ``forms.py``, so what is exported imports
back unchanged."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..rules.base import date_of
from ..yamlio import write_all
from . import options as opts
from .forms import (
    INSTRUCTIONS_SHEET,
    NOTE,
    OPTIONS_SHEET,
    PRIVATE_NOTE,
    Col,
    Form,
    Section,
)
from .read import MAX_ROWS

PRIVATE_FILL = PatternFill("solid", fgColor="F8CBAD")  # orange: 隐私，不公开
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FILL = PatternFill("solid", fgColor="BDD7EE")
BOLD = Font(bold=True)
DATE_FORMAT = "yyyy-mm-dd"
NUMBER_FORMAT = "0.00"
TEXT_FORMAT = "@"


@dataclass
class Filled:
    """Values for one form sheet: header fields and section rows (key → value).
    Choice values are ids; they are written as the dropdown's “名称（编号）” label."""

    fields: dict[str, object] = field(default_factory=dict)
    sections: dict[str, list[dict[str, object]]] = field(default_factory=dict)


class Writer:
    def __init__(self, lists: dict[str, opts.Choices], schemas_dir: Path):
        self.lists = lists
        self.schemas_dir = schemas_dir
        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self.options: Worksheet | None = None
        self.option_cols: dict[str, str] = {}  # list spec → absolute range on the options sheet
        self.instructions = self.wb.create_sheet(INSTRUCTIONS_SHEET)

    # -- the hidden options sheet --------------------------------------------------------------
    def _range(self, spec: str) -> str | None:
        if spec in self.option_cols:
            return self.option_cols[spec]
        choices = opts.get(self.lists, self.schemas_dir, spec)
        if not choices.labels:
            return None
        ws = self._options_sheet()
        n = len(self.option_cols) + 1
        letter = get_column_letter(n)
        ws.cell(1, n, spec).font = BOLD
        for i, label in enumerate(choices.labels, start=2):
            ws.cell(i, n, label)
        ws.column_dimensions[letter].width = 40
        ref = f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${len(choices.labels) + 1}"
        self.option_cols[spec] = ref
        return ref

    def _options_sheet(self) -> Worksheet:
        """The hidden sheet the dropdowns read their lists from (made on first use)."""
        if self.options is None:
            self.options = self.wb.create_sheet(OPTIONS_SHEET)
            self.options.sheet_state = "hidden"
        return self.options

    def _validation(self, ws, col: Col, ref: str) -> None:
        if col.kind == "choice":
            rng = self._range(col.choices)
            if rng is None:
                return
            dv = DataValidation(type="list", formula1=rng, allow_blank=True)
            dv.error = f"请从下拉列表中选择{col.header}"
        elif col.kind == "number":
            dv = DataValidation(
                type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True
            )
            dv.error = f"{col.header}只填不小于 0 的数字，不写单位"
        elif col.kind == "integer":
            dv = DataValidation(
                type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
            )
            dv.error = f"{col.header}只填整数"
        elif col.kind == "date":
            dv = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(2000,1,1)",
                formula2="DATE(2100,12,31)",
                allow_blank=True,
            )
            dv.error = f"{col.header}要填日期，如 2020-04-15"
        else:
            return
        dv.errorTitle = "填写有误"
        dv.showErrorMessage = True
        ws.add_data_validation(dv)
        dv.add(ref)

    def _value(self, col: Col, value):
        if value is None:
            return None
        if col.kind == "choice":
            if isinstance(value, bool):
                return "是" if value else "否"
            choices = opts.get(self.lists, self.schemas_dir, col.choices)
            return choices.by_id.get(value, value)
        if col.kind == "date" and isinstance(value, str):
            return date_of(value) or value
        return value

    @staticmethod
    def _format(cell, col: Col) -> None:
        if col.kind == "date":
            cell.number_format = DATE_FORMAT
        elif col.kind == "number":
            cell.number_format = NUMBER_FORMAT
        elif col.kind in ("text", "period", "choice"):
            cell.number_format = TEXT_FORMAT

    # -- a form sheet ----------------------------------------------------------------------------
    def form_sheet(
        self, form: Form, name: str, filled: Filled | None = None, spare: int = 5
    ) -> None:
        filled = filled or Filled()
        ws = self.wb.create_sheet(name)
        ws["A1"] = form.title
        ws["A1"].font = Font(bold=True, size=14)
        ws["A2"] = NOTE
        ws["A2"].font = Font(italic=True, color="808080")
        ws.column_dimensions["A"].width = 14
        row = 3
        for col in form.fields:
            label = ws.cell(row, 1, col.label)
            label.font = BOLD
            label.fill = PRIVATE_FILL if col.private else HEADER_FILL
            cell = ws.cell(row, 2, self._value(col, filled.fields.get(col.key)))
            self._format(cell, col)
            self._validation(ws, col, cell.coordinate)
            if col.note:
                ws.cell(row, 3, col.note).font = Font(color="808080")
            row += 1
        widths: dict[int, int] = {1: 14, 2: 40}
        for section in form.sections:
            row = self._section(ws, section, row, filled, spare, widths)
        for ci, width in widths.items():
            ws.column_dimensions[get_column_letter(ci)].width = width
        ws.freeze_panes = "A3"
        self.wb.active = self.wb.sheetnames.index(name)

    def _section(
        self,
        ws: Worksheet,
        section: Section,
        row: int,
        filled: Filled,
        spare: int,
        widths: dict[int, int],
    ) -> int:
        """Write a section below ``row`` (marker, column headers, rows); returns its last row."""
        row += 1
        marker = ws.cell(row, 1, section.marker)
        marker.font = BOLD
        marker.fill = SECTION_FILL
        row += 1
        for ci, col in enumerate(section.columns, start=1):
            h = ws.cell(row, ci, col.label)
            h.font = BOLD
            h.alignment = Alignment(wrap_text=True, vertical="center")
            h.fill = PRIVATE_FILL if col.private else HEADER_FILL
            note = col.note
            if col.private:
                note = (
                    f"{PRIVATE_NOTE}：只存入数据仓库的隐私字段，不出现在公开网站和开放数据中。"
                    + (note or "")
                )
            if note:
                h.comment = Comment(note, "bangfu", width=260, height=90)
            widths[ci] = max(widths.get(ci, 0), col.width)
        rows = filled.sections.get(section.key, [])
        first = row + 1
        count = len(rows) + spare if filled.sections else section.blank_rows
        for i in range(count):
            values = rows[i] if i < len(rows) else {}
            for ci, col in enumerate(section.columns, start=1):
                value = i + 1 if col.key == "seq" and i < len(rows) else values.get(col.key)
                cell = ws.cell(first + i, ci, self._value(col, value))
                self._format(cell, col)
        last = first + max(count, 1) - 1
        for ci, col in enumerate(section.columns, start=1):
            letter = get_column_letter(ci)
            self._validation(ws, col, f"{letter}{first}:{letter}{last}")
        return last

    # -- instructions ------------------------------------------------------------------------------
    def instructions_for(self, forms: list[Form], extra: Sequence[str] = ()) -> None:
        ws = self.instructions
        ws.column_dimensions["A"].width = 22
        ws.column_dimensions["B"].width = 12
        ws.column_dimensions["C"].width = 90
        lines: list[tuple] = [("填表说明",)]
        for form in forms:
            lines += [(), (form.title,)]
            lines += [("", "", t) for t in form.intro]
            lines += [(), ("栏目", "要求", "说明")]
            for col in form.fields:
                lines.append((col.header, _need(col), col.note or _kind_text(col)))
            for section in form.sections:
                lines.append((section.marker,))
                for col in section.columns:
                    lines.append((col.header, _need(col), col.note or _kind_text(col)))
        lines += [(), ("通用规则",)]
        lines += [
            ("", "", t)
            for t in (
                "带下拉箭头的格子只能从列表中选择；日期写成 2020-04-15；金额只填数字（单位元），不写“元”字。",
                "不要改动表名（第 1 行）、栏目名称和【】分区标题，不要增删工作表；行不够时在分区中间插入行。",
                "格子里只能填值，不能用公式；从别处复制时请“选择性粘贴 → 数值”。",
                f"橙色栏目是隐私信息（{PRIVATE_NOTE}）：只存入数据仓库，不出现在公开网站和开放数据中。"
                "填好的表格含个人信息，请妥善保管，不要转发到群里。",
                f"每个工作表最多 {MAX_ROWS} 行。",
                "导入：bangfu import 文件.xlsx。全部检查通过才会写入，任何一处错误都不会写入任何文件；同一文件导入两次不会重复写入。",
                "也可以把表单工作表另存为 CSV（UTF-8 或 GBK 编码）后导入：一个 CSV 是一张表，按第一格的表名识别是报备表还是进度表。",
                *extra,
            )
        ]
        for r, line in enumerate(lines, start=1):
            for c, text in enumerate(line, start=1):
                cell = ws.cell(r, c, text)
                if len(line) == 1 or r == 1:
                    cell.font = Font(bold=True, size=14 if r == 1 else 11)
                cell.alignment = Alignment(wrap_text=True, vertical="top")

    def save(self, path: Path) -> None:
        """Write the workbook atomically (``yamlio.write_all``)."""
        buf = io.BytesIO()
        self.wb.save(buf)
        write_all([(path, buf.getvalue())])


def _need(col: Col) -> str:
    need = "必填" if col.required else "选填"
    return need + ("，隐私" if col.private else "")


def _kind_text(col: Col) -> str:
    return {
        "date": "日期，如 2020-04-15",
        "number": "数字，单位元",
        "integer": "整数",
        "choice": "从下拉列表中选择",
        "period": "报送期，如 2020-04",
    }.get(col.kind, "文字")


def make_template(
    model,
    schemas_dir: Path,
    form: Form,
    *,
    county: str | None = None,
    plan: str | None = None,
    filled: Filled | None = None,
) -> Writer:
    """A blank form (or one pre-filled with ``filled``) with dropdowns for the region."""
    w = Writer(opts.build(model, schemas_dir, county=county, plan=plan), schemas_dir)
    w.instructions_for([form])
    w.form_sheet(form, form.sheet, filled)
    return w
