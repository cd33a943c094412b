"""The tables as one Excel workbook: a sheet per table, Chinese headers, frozen header row.

openpyxl stamps the save time into ``docProps/core.xml`` and into every zip entry; both are
replaced by fixed values so the same data gives a byte-identical workbook.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..aggregate import NOT_RECORDED, WITHHELD, Table
from .extracts import formula_like

FIXED_TIME = dt.datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_INVALID_SHEET = re.compile(r"[\[\]:*?/\\]")
_MODIFIED = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")
_CREATED = re.compile(rb"<dcterms:created([^>]*)>[^<]*</dcterms:created>")
# characters XML 1.0 (and so a workbook) cannot hold; openpyxl raises on them. The checker
# refuses them in records, so they only reach here by a bug, and must not stop publication.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EXCEL_MAX_TEXT = 32_767


def _text(value: str) -> str:
    """Text a workbook can hold: characters it cannot store replaced, at most Excel's length
    (formula-like text is kept exactly and written as a quote-prefixed text cell)."""
    value = _ILLEGAL.sub("\ufffd", value)
    return value[:_EXCEL_MAX_TEXT]


def _number(value):
    """A number a workbook can hold; inf, nan or a huge integer becomes a text note."""
    if isinstance(value, float) and not math.isfinite(value):
        return "非有限数"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return "数值过大"
    if isinstance(value, str):
        return _text(value)
    return value


def _stamp(descriptor: dict) -> dt.datetime:
    """The workbook's created/modified time: the data commit date, else a fixed date."""
    value = descriptor.get("created")
    if isinstance(value, str):
        try:
            t = dt.datetime.fromisoformat(value)
            if t.tzinfo is not None:
                t = t.astimezone(dt.UTC).replace(tzinfo=None)
            return t.replace(microsecond=0)
        except ValueError:
            pass
    return FIXED_TIME


def _sheet_title(title: str, used: set[str]) -> str:
    base = _INVALID_SHEET.sub("_", title)[:31] or "表"
    name, n = base, 2
    while name in used:
        suffix = f"_{n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def _value(ws, col, value, marker: str):
    if value is NOT_RECORDED or value is None:
        return None  # 台账中无记录: an empty cell
    if value is WITHHELD:
        return marker  # withheld by disclosure control
    if col.type == "date":
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            pass
    if col.type in ("string", "date"):
        text = _text(str(value))
        # formula-like text is stored exactly, as a text cell Excel will not evaluate
        return _cell(ws, text) if formula_like(text) else text
    return _number(value)


def _cell(ws, value, font=None):
    """A write-only cell; text is always stored as text, never as a formula, and text that
    looks like one is marked quote-prefixed so that editing the cell keeps it text."""
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"
        if formula_like(value):
            c.quotePrefix = True
    elif isinstance(value, dt.date):
        c.number_format = "yyyy-mm-dd"
    if font is not None:
        c.font = font
    return c


def workbook_bytes(tables: dict[str, Table], descriptor: dict) -> bytes:
    # write-only mode streams rows: several times faster than the normal mode on large tables
    wb = Workbook(write_only=True)
    stamp = _stamp(descriptor)
    props = wb.properties
    props.creator = "bangfu"
    props.lastModifiedBy = "bangfu"
    props.title = descriptor.get("title")
    props.created = stamp
    props.modified = stamp
    bold = Font(bold=True)

    used = {"说明"}
    sheet_names = {name: _sheet_title(t.title, used) for name, t in tables.items()}
    info = wb.create_sheet("说明")
    for letter, width in zip("ABCDEF", (22, 16, 24, 20, 10, 80), strict=True):
        info.column_dimensions[letter].width = width
    lic = descriptor["licenses"][0]
    lines = [
        [_cell(info, descriptor.get("title", ""), Font(bold=True, size=14))],
        [descriptor.get("description", "")],
        ["许可协议", lic["name"], lic["path"]],
        ["版本", descriptor.get("version", "")],
        ["数据提交", descriptor.get("bangfu", {}).get("data_commit", "unknown")],
        [],
        [_cell(info, h, bold) for h in ("表", "工作表", "字段", "标题", "类型", "说明")],
    ]
    for name, t in tables.items():
        for col in t.columns:
            lines.append([name, sheet_names[name], col.name, col.title, col.type, col.description])
    for line in lines:
        info.append([_cell(info, _text(v)) if isinstance(v, str) else v for v in line])

    for name, t in tables.items():
        ws = wb.create_sheet(sheet_names[name])
        ws.freeze_panes = "A2"
        for c, col in enumerate(t.columns, start=1):
            width = max(10, min(40, 2 * len(col.title) + 4))
            ws.column_dimensions[get_column_letter(c)].width = width
        ws.append([_cell(ws, _text(col.title), bold) for col in t.columns])
        marker = t.marker
        cols = t.columns
        for row in t.rows:
            ws.append([_value(ws, col, row.get(col.name), marker) for col in cols])

    buf = io.BytesIO()
    wb.save(buf)
    return _normalise(buf.getvalue(), stamp)


def _normalise(data: bytes, stamp: dt.datetime) -> bytes:
    """Fixed zip entry times and core-properties timestamps, same entry order."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(
                    rb"<dcterms:modified\1>" + iso + rb"</dcterms:modified>", content
                )
                content = _CREATED.sub(
                    rb"<dcterms:created\1>" + iso + rb"</dcterms:created>", content
                )
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, content)
    return out.getvalue()
