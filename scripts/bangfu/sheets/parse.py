"""One form sheet → typed values with the cell each came from (``parsed``); every problem is
a cell finding: a formula, a broken layout (unknown or repeated labels, sections, columns),
a missing required value, or a cell ``values`` cannot convert."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..codes import SHEET_BAD_LAYOUT, SHEET_FORMULA, SHEET_REQUIRED, Code
from ..findings import Finding
from . import options as opts
from . import values
from .errors import cell_finding
from .forms import NOTE_PREFIX, SEALED_PLACEHOLDER, Col, Form, Section, normalize_label
from .parsed import Parsed, Row, Value
from .read import Cell, SheetData

Rows = list[tuple[int, list[Cell]]]


class Parser:
    def __init__(
        self, file: str, schemas_dir: Path, lists: dict[str, opts.Choices], as_of: dt.date
    ):
        self.file = file
        self.ctx = values.Context(lists, schemas_dir, as_of)
        self.findings: list[Finding] = []

    # -- findings ------------------------------------------------------------------------
    def bad(
        self,
        code: Code,
        sheet: str,
        row: int,
        col: int,
        header: str,
        message: str,
        hint: str | None = None,
    ) -> None:
        self.findings.append(cell_finding(code, self.file, sheet, row, col, header, message, hint))

    def _layout(
        self, sheet: str, row: int, col: int, message: str, hint: str | None = None
    ) -> None:
        self.bad(SHEET_BAD_LAYOUT, sheet, row, col, "", message, hint)

    def _had_error(self, sheet: str, row: int, col: int) -> bool:
        ref_tail = f"{sheet}!"
        return any(
            f.line == row and f.column == col and f.path.startswith(ref_tail) for f in self.findings
        )

    # -- layout --------------------------------------------------------------------------
    def parse(self, sheet: SheetData, form: Form) -> Parsed | None:
        if self._formulas(sheet):
            return None
        rows = list(sheet.rows)
        out = Parsed(form, sheet.name, rows[0][0])
        i = self._header_block(out, rows)
        self._check_fields(out)
        while i < len(rows):
            i = self._section(out, rows, i)
        for s in form.sections:
            if s.key not in out.sections:
                self._layout(
                    sheet.name,
                    out.title_row,
                    1,
                    f"缺少分区{s.marker}",
                    "从 bangfu template 生成的模板中复制该分区。",
                )
        return out

    def _formulas(self, sheet: SheetData) -> bool:
        """Report every formula cell; True when there was one."""
        before = len(self.findings)
        for rownum, cells in sheet.rows:
            for ci, c in enumerate(cells, start=1):
                if c.formula or (isinstance(c.value, str) and c.value.startswith("=")):
                    # the formula is not quoted: the cell may be a private column
                    self.bad(
                        SHEET_FORMULA,
                        sheet.name,
                        rownum,
                        ci,
                        "",
                        "单元格中是公式，导入只接受填写的值",
                    )
        return len(self.findings) > before

    def _header_block(self, out: Parsed, rows: Rows) -> int:
        """Read the header block (label in A, value in B) below the title; returns the index
        of the first section row."""
        by_label = {normalize_label(c.header): c for c in out.form.fields}
        i = 1
        while i < len(rows) and not _is_marker(rows[i][1]):
            rownum, cells = rows[i]
            i += 1
            label = values.text_or_none(cells[0].value) if cells else None
            if label is None:
                if any(c.value is not None for c in cells):
                    self._layout(out.sheet, rownum, 1, "表头区的这一行没有栏目名称（A 列）")
                continue
            if label.startswith(NOTE_PREFIX):
                continue
            col = by_label.get(normalize_label(label))
            if col is None:
                self._layout(
                    out.sheet,
                    rownum,
                    1,
                    f"不认识的表头栏目“{label}”；可用的栏目："
                    + "、".join(c.header for c in out.form.fields),
                )
                continue
            if col.key in out.field_rows:
                self._layout(out.sheet, rownum, 1, f"表头栏目“{label}”出现了两次")
                continue
            out.field_rows[col.key] = (rownum, col.header)
            raw = cells[1].value if len(cells) > 1 else None
            value = self.convert(col, raw, out.sheet, rownum, 2)
            if value is not None:
                out.fields[col.key] = Value(value, rownum, 2, col.header)
        return i

    def _check_fields(self, out: Parsed) -> None:
        """Every header field is there, and every required one is filled."""
        for col in out.form.fields:
            if col.key not in out.field_rows:
                self._layout(
                    out.sheet,
                    out.title_row,
                    1,
                    f"表头区缺少栏目“{col.header}”",
                    "从 bangfu template 生成的模板中复制缺少的行。",
                )
            elif col.required and col.key not in out.fields:
                row, _, header = out.at(col.key)
                if not self._had_error(out.sheet, row, 2):
                    self.bad(SHEET_REQUIRED, out.sheet, row, 2, header, f"必须填写{col.header}")

    def _section(self, out: Parsed, rows: Rows, i: int) -> int:
        """Read the section whose marker is ``rows[i]``; returns the index after it."""
        sheet = out.sheet
        rownum, cells = rows[i]
        marker = values.text_or_none(cells[0].value) or ""
        section = {s.marker: s for s in out.form.sections}.get(marker.replace(" ", ""))
        i += 1
        if section is None:
            self._layout(
                sheet,
                rownum,
                1,
                f"不认识的分区“{marker}”；可用的分区："
                + "、".join(s.marker for s in out.form.sections),
            )
            return _next_marker(rows, i)
        if section.key in out.sections:
            self._layout(sheet, rownum, 1, f"分区{section.marker}出现了两次")
        if i >= len(rows) or _is_marker(rows[i][1]):
            self._layout(sheet, rownum, 1, f"分区{section.marker}下面缺少栏目名称行")
            return i
        header_row, header_cells = rows[i]
        colmap = self._columns(section, sheet, header_row, header_cells)
        data = out.sections.setdefault(section.key, [])
        end = _next_marker(rows, i + 1)
        if colmap is not None:
            for rownum, cells in rows[i + 1 : end]:
                row = self._row(section, colmap, sheet, rownum, cells)
                if row is not None:
                    data.append(row)
        return end

    def _columns(
        self, section: Section, sheet: str, rownum: int, cells: list[Cell]
    ) -> dict[int, Col] | None:
        by_label = {normalize_label(c.header): c for c in section.columns}
        colmap: dict[int, Col] = {}
        ok = True
        for ci, c in enumerate(cells, start=1):
            label = values.text_or_none(c.value)
            if label is None:
                continue
            col = by_label.get(normalize_label(label))
            if col is None:
                self._layout(
                    sheet,
                    rownum,
                    ci,
                    f"分区{section.marker}中有不认识的栏目“{label}”；可用的栏目："
                    + "、".join(c.header for c in section.columns),
                )
                ok = False
            elif col in colmap.values():
                self._layout(sheet, rownum, ci, f"栏目“{label}”出现了两次")
                ok = False
            else:
                colmap[ci] = col
        for col in section.columns:
            if col.required and col not in colmap.values():
                self._layout(sheet, rownum, 1, f"分区{section.marker}缺少栏目“{col.header}”")
                ok = False
        return colmap if ok else None

    def _row(
        self, section: Section, colmap: dict[int, Col], sheet: str, rownum: int, cells: list[Cell]
    ) -> Row | None:
        row_values: dict[str, Value] = {}
        filled = False
        for ci, c in enumerate(cells, start=1):
            if c.value is None or (isinstance(c.value, str) and not c.value.strip()):
                continue
            col = colmap.get(ci)
            if col is None:
                self._layout(sheet, rownum, ci, "这一列没有栏目名称，内容无法导入")
                continue
            if col.key != "seq":
                filled = True
            v = self.convert(col, c.value, sheet, rownum, ci)
            if v is not None:
                row_values[col.key] = Value(v, rownum, ci, col.header)
        if not filled:
            return None
        by_col = {col.key: ci for ci, col in colmap.items()}
        for col in section.columns:
            if (
                col.required
                and col.key not in row_values
                and not self._had_error(sheet, rownum, by_col.get(col.key, 0))
            ):
                self.bad(
                    SHEET_REQUIRED,
                    sheet,
                    rownum,
                    by_col.get(col.key, 1),
                    col.header,
                    f"必须填写{col.header}",
                )
        return Row(rownum, row_values)

    # -- cell values ---------------------------------------------------------------------
    def convert(self, col: Col, raw: object, sheet: str, row: int, ci: int) -> object:
        """The typed value of one cell, or None (blank, or an error was recorded). A private
        cell holding the sealed placeholder of ``export-forms`` counts as blank: the record's
        sealed value is kept as it is."""
        if col.private and isinstance(raw, str) and raw.strip() == SEALED_PLACEHOLDER:
            return None
        value, problem = values.convert(self.ctx, col, raw)
        if problem is not None:
            code, message = problem
            self.bad(code, sheet, row, ci, col.header, message)
        return value


def _is_marker(cells: list[Cell]) -> bool:
    return (
        bool(cells) and isinstance(cells[0].value, str) and cells[0].value.strip().startswith("【")
    )


def _next_marker(rows: Rows, i: int) -> int:
    """The index of the first section marker at or after ``i`` (or the end)."""
    while i < len(rows) and not _is_marker(rows[i][1]):
        i += 1
    return i
