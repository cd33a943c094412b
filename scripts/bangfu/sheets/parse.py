"""One form sheet → typed values with the cell each came from; every problem is a cell
finding (wrong dropdown value, text in a number cell, unreadable or future date, formula)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import Finding
from ..rules.dates import label_period
from . import options as opts
from .errors import cell_finding
from .forms import NOTE_PREFIX, Col, Form, Section, normalize_label
from .read import Cell, SheetData


@dataclass(slots=True)
class Value:
    value: object
    row: int
    col: int
    header: str


@dataclass(slots=True)
class Row:
    row: int
    values: dict[str, Value]

    def get(self, key: str):
        v = self.values.get(key)
        return None if v is None else v.value


@dataclass(slots=True)
class Parsed:
    form: Form
    sheet: str
    title_row: int
    fields: dict[str, Value] = field(default_factory=dict)
    field_rows: dict[str, tuple[int, str]] = field(default_factory=dict)  # key → (row, label)
    sections: dict[str, list[Row]] = field(default_factory=dict)

    def get(self, key: str):
        v = self.fields.get(key)
        return None if v is None else v.value

    def at(self, key: str) -> tuple[int, int, str]:
        """Row, column and header of a header-block field (column B)."""
        row, label = self.field_rows.get(key, (self.title_row, ""))
        return row, 2, label


_DATE_TEXT = re.compile(
    r"\s*([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?\s*\Z"
)
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2]|W(0[1-9]|[1-4][0-9]|5[0-3])|Q[1-4])\Z")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\Z")


class Parser:
    def __init__(
        self, file: str, schemas_dir: Path, lists: dict[str, opts.Choices], as_of: dt.date
    ):
        self.file = file
        self.schemas_dir = schemas_dir
        self.lists = lists
        self.as_of = as_of
        self.findings: list[Finding] = []

    # -- findings ------------------------------------------------------------------------
    def bad(
        self,
        code: str,
        sheet: str,
        row: int,
        col: int,
        header: str,
        message: str,
        hint: str | None = None,
    ) -> None:
        self.findings.append(cell_finding(code, self.file, sheet, row, col, header, message, hint))

    # -- layout --------------------------------------------------------------------------
    def parse(self, sheet: SheetData, form: Form) -> Parsed | None:
        before = len(self.findings)
        for rownum, cells in sheet.rows:
            for ci, c in enumerate(cells, start=1):
                if c.formula or (isinstance(c.value, str) and c.value.startswith("=")):
                    self.bad(
                        "sheet.formula",
                        sheet.name,
                        rownum,
                        ci,
                        "",
                        # the formula is not quoted: the cell may be a private column
                        "单元格中是公式，导入只接受填写的值",
                    )
        if len(self.findings) > before:
            return None
        rows = list(sheet.rows)
        title_row = rows[0][0]
        out = Parsed(form, sheet.name, title_row)
        by_label = {normalize_label(c.header): c for c in form.fields}
        by_marker = {s.marker: s for s in form.sections}
        i = 1
        # header block: label in A, value in B
        while i < len(rows) and not _is_marker(rows[i][1]):
            rownum, cells = rows[i]
            i += 1
            label = _text(cells[0].value) if cells else None
            if label is None:
                if any(c.value is not None for c in cells):
                    self.bad(
                        "sheet.bad-layout",
                        sheet.name,
                        rownum,
                        1,
                        "",
                        "表头区的这一行没有栏目名称（A 列）",
                    )
                continue
            if label.startswith(NOTE_PREFIX):
                continue
            col = by_label.get(normalize_label(label))
            if col is None:
                self.bad(
                    "sheet.bad-layout",
                    sheet.name,
                    rownum,
                    1,
                    "",
                    f"不认识的表头栏目“{label}”；可用的栏目："
                    + "、".join(c.header for c in form.fields),
                )
                continue
            if col.key in out.field_rows:
                self.bad(
                    "sheet.bad-layout", sheet.name, rownum, 1, "", f"表头栏目“{label}”出现了两次"
                )
                continue
            out.field_rows[col.key] = (rownum, col.header)
            raw = cells[1].value if len(cells) > 1 else None
            value = self.convert(col, raw, sheet.name, rownum, 2)
            if value is not None:
                out.fields[col.key] = Value(value, rownum, 2, col.header)
        for col in form.fields:
            if col.key not in out.field_rows:
                self.bad(
                    "sheet.bad-layout",
                    sheet.name,
                    title_row,
                    1,
                    "",
                    f"表头区缺少栏目“{col.header}”",
                    "从 bangfu template 生成的模板中复制缺少的行。",
                )
            elif col.required and col.key not in out.fields:
                row, _, header = out.at(col.key)
                if not self._had_error(sheet.name, row, 2):
                    self.bad("sheet.required", sheet.name, row, 2, header, f"必须填写{col.header}")
        # sections
        while i < len(rows):
            rownum, cells = rows[i]
            marker = _text(cells[0].value) or ""
            section = by_marker.get(marker.replace(" ", ""))
            i += 1
            if section is None:
                self.bad(
                    "sheet.bad-layout",
                    sheet.name,
                    rownum,
                    1,
                    "",
                    f"不认识的分区“{marker}”；可用的分区："
                    + "、".join(s.marker for s in form.sections),
                )
                while i < len(rows) and not _is_marker(rows[i][1]):
                    i += 1
                continue
            if section.key in out.sections:
                self.bad(
                    "sheet.bad-layout", sheet.name, rownum, 1, "", f"分区{section.marker}出现了两次"
                )
            if i >= len(rows) or _is_marker(rows[i][1]):
                self.bad(
                    "sheet.bad-layout",
                    sheet.name,
                    rownum,
                    1,
                    "",
                    f"分区{section.marker}下面缺少栏目名称行",
                )
                continue
            header_row, header_cells = rows[i]
            i += 1
            colmap = self._columns(section, sheet.name, header_row, header_cells)
            data = out.sections.setdefault(section.key, [])
            while i < len(rows) and not _is_marker(rows[i][1]):
                rownum, cells = rows[i]
                i += 1
                if colmap is not None:
                    row = self._row(section, colmap, sheet.name, rownum, cells)
                    if row is not None:
                        data.append(row)
        for s in form.sections:
            if s.key not in out.sections:
                self.bad(
                    "sheet.bad-layout",
                    sheet.name,
                    title_row,
                    1,
                    "",
                    f"缺少分区{s.marker}",
                    "从 bangfu template 生成的模板中复制该分区。",
                )
        return out

    def _had_error(self, sheet: str, row: int, col: int) -> bool:
        ref_tail = f"{sheet}!"
        return any(
            f.line == row and f.column == col and f.path.startswith(ref_tail) for f in self.findings
        )

    def _columns(self, section: Section, sheet: str, rownum: int, cells: list[Cell]):
        by_label = {normalize_label(c.header): c for c in section.columns}
        colmap: dict[int, Col] = {}
        ok = True
        for ci, c in enumerate(cells, start=1):
            label = _text(c.value)
            if label is None:
                continue
            col = by_label.get(normalize_label(label))
            if col is None:
                self.bad(
                    "sheet.bad-layout",
                    sheet,
                    rownum,
                    ci,
                    "",
                    f"分区{section.marker}中有不认识的栏目“{label}”；可用的栏目："
                    + "、".join(c.header for c in section.columns),
                )
                ok = False
            elif col in colmap.values():
                self.bad("sheet.bad-layout", sheet, rownum, ci, "", f"栏目“{label}”出现了两次")
                ok = False
            else:
                colmap[ci] = col
        for col in section.columns:
            if col.required and col not in colmap.values():
                self.bad(
                    "sheet.bad-layout",
                    sheet,
                    rownum,
                    1,
                    "",
                    f"分区{section.marker}缺少栏目“{col.header}”",
                )
                ok = False
        return colmap if ok else None

    def _row(
        self, section: Section, colmap: dict[int, Col], sheet: str, rownum: int, cells: list[Cell]
    ) -> Row | None:
        values: dict[str, Value] = {}
        filled = False
        for ci, c in enumerate(cells, start=1):
            if c.value is None or (isinstance(c.value, str) and not c.value.strip()):
                continue
            col = colmap.get(ci)
            if col is None:
                self.bad(
                    "sheet.bad-layout", sheet, rownum, ci, "", "这一列没有栏目名称，内容无法导入"
                )
                continue
            if col.key != "seq":
                filled = True
            v = self.convert(col, c.value, sheet, rownum, ci)
            if v is not None:
                values[col.key] = Value(v, rownum, ci, col.header)
        if not filled:
            return None
        by_col = {col.key: ci for ci, col in colmap.items()}
        for col in section.columns:
            if (
                col.required
                and col.key not in values
                and not self._had_error(sheet, rownum, by_col.get(col.key, 0))
            ):
                self.bad(
                    "sheet.required",
                    sheet,
                    rownum,
                    by_col.get(col.key, 1),
                    col.header,
                    f"必须填写{col.header}",
                )
        return Row(rownum, values)

    # -- cell values ---------------------------------------------------------------------
    def convert(self, col: Col, raw, sheet: str, row: int, ci: int):
        """The typed value of one cell, or None (blank, or an error was recorded)."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        h = col.header
        # a private column's content is never quoted back
        shown = "填写的内容" if col.private else f"“{_show(raw)}”"
        if col.kind == "text":
            return _as_text(raw)
        if col.kind in ("number", "integer"):
            num = _as_number(raw)
            if num is None:
                self.bad("sheet.not-a-number", sheet, row, ci, h, f"{shown}不是数字")
                return None
            if col.kind == "integer" and num != int(num):
                self.bad("sheet.not-a-number", sheet, row, ci, h, f"{shown}不是整数")
                return None
            return int(num) if num == int(num) else num
        if col.kind == "date":
            day = _as_date(raw)
            if day is None:
                self.bad(
                    "sheet.not-a-date",
                    sheet,
                    row,
                    ci,
                    h,
                    f"{shown}不是日期（应写成 2020-04-15）",
                )
                return None
            if col.past and day > self.as_of:
                self.bad(
                    "sheet.future-date",
                    sheet,
                    row,
                    ci,
                    h,
                    f"日期 {day.isoformat()} 在未来（今天是 {self.as_of.isoformat()}）",
                )
                return None
            return day.isoformat()
        if col.kind == "period":
            label = _as_period(raw)
            if label is None or label_period(label) is None:
                self.bad(
                    "sheet.not-a-date",
                    sheet,
                    row,
                    ci,
                    h,
                    f"报送期{shown}格式不对（月报 2020-04，周报 2020-W18，季报 2020-Q2）",
                )
                return None
            if label_period(label)[0] > self.as_of:
                self.bad("sheet.future-date", sheet, row, ci, h, f"报送期 {label} 还没有开始")
                return None
            return label
        # choice
        choices = opts.get(self.lists, self.schemas_dir, col.choices)
        text = _as_text(raw)
        found = choices.resolve(text)
        if found is None:
            if col.choices == "villages":
                self.bad("sheet.unknown-village", sheet, row, ci, h, f"村“{text}”不存在")
            else:
                sample = "、".join(choices.labels[:8]) + ("…" if len(choices.labels) > 8 else "")
                self.bad(
                    "sheet.bad-choice",
                    sheet,
                    row,
                    ci,
                    h,
                    f"{shown}不是{h}的可选值" + (f"；可选：{sample}" if sample else ""),
                )
            return None
        return found


def _is_marker(cells: list[Cell]) -> bool:
    return (
        bool(cells) and isinstance(cells[0].value, str) and cells[0].value.strip().startswith("【")
    )


def _text(value) -> str | None:
    if value is None:
        return None
    t = _as_text(value)
    return t or None


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _show(value) -> str:
    t = _as_text(value)
    return t if len(t) <= 40 else t[:40] + "…"


def _as_number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        t = value.strip().replace(",", "").replace("，", "")
        if t.endswith("元"):
            t = t[:-1].strip()
        if _NUMBER.match(t):
            return float(t)
    return None


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = _DATE_TEXT.match(value)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def _as_period(value) -> str | None:
    if isinstance(value, dt.date):  # Excel turned "2020-04" into 2020-04-01
        return f"{value.year:04d}-{value.month:02d}" if value.day == 1 else None
    t = _as_text(value).upper().replace("/", "-").replace(".", "-")
    m = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", t)
    if m:
        t = f"{m.group(1)}-{int(m.group(2)):02d}"
    return t if _PERIOD.match(t) else None
