"""Findings about cells: the file is the workbook, line/column are the cell's row and column,
the path is ``进度!C7`` and the message starts with ``进度!C7（走访日期）``."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from ..codes import Code, make
from ..findings import Finding


def cell_ref(sheet: str, row: int, col: int) -> str:
    """``('进度', 7, 3)`` → ``进度!C7`` (columns are 1-based)."""
    return f"{sheet}!{get_column_letter(max(col, 1))}{row}"


def cell_finding(
    code: Code,
    file: str,
    sheet: str,
    row: int,
    col: int,
    header: str,
    message: str,
    hint: str | None = None,
) -> Finding:
    ref = cell_ref(sheet, row, col)
    where = f"{ref}（{header}）" if header else ref
    return make(code, file, f"{where}：{message}", line=row, column=col, path=ref, hint=hint)
