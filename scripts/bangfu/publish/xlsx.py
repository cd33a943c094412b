"""The tables as one Excel workbook: a sheet per table, Chinese headers, frozen header row.

Written with xlsxwriter in ``constant_memory`` mode: each sheet's rows stream to a temporary file
(removed before returning), so memory does not grow with the tables. A table with more rows than
a sheet holds (``MAX_ROWS``, header included) is split into several sheets, by county where the
table names a county or a village, else in consecutive chunks; the 说明 sheet lists every sheet
with the table and the rows it holds.

The same data gives a byte-identical workbook: the core properties carry the descriptor's date
(``_stamp``), and the zip entries' times and modes (xlsxwriter takes them from its temporary
files) are set to fixed values.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import struct
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import xlsxwriter

from ..aggregate import NOT_RECORDED, WITHHELD, Table
from .formulas import formula_like

MAX_ROWS = 1_048_576  # rows in one Excel sheet, header included; tests lower it to test splitting
FIXED_TIME = dt.datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
INFO_SHEET = "说明"
_INVALID_SHEET = re.compile(r"[\[\]:*?/\\]")
# characters XML 1.0 (and so a workbook) cannot hold. The checker refuses them in records, so
# they only reach here by a bug, and must not stop publication.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EXCEL_MAX_TEXT = 32_767
_SHEET_NAME_UNITS = 31  # Excel counts a sheet name in UTF-16 code units
_LABEL_UNITS = 12  # at most this much of a split sheet's name is its county
_UNKNOWN_COUNTY = "区县未知"


def _text(value: str) -> str:
    """Text a workbook can hold: characters it cannot store replaced, at most Excel's length
    (formula-like text is kept exactly and written as a quote-prefixed text cell)."""
    value = _ILLEGAL.sub("\ufffd", value)
    return value[:_EXCEL_MAX_TEXT]


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


# ---------------------------------------------------------------- sheets


def _units(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _fit(text: str, units: int) -> str:
    """The longest prefix of ``text`` of at most ``units`` UTF-16 code units."""
    out, used = [], 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            break
        out.append(ch)
    return "".join(out)


def _clean(name: str) -> str:
    return _INVALID_SHEET.sub("_", _ILLEGAL.sub("_", name))


def _sheet_title(title: str, used: set[str], suffix: str = "") -> str:
    """A sheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``, no apostrophe
    at either end, not "History", unique ignoring case (``used`` holds the lower-cased names).
    ``title`` is shortened to make room for ``suffix`` (kept whole: callers keep it short)."""
    title, suffix = _clean(title), _clean(suffix)
    n = 1
    while True:
        tail = suffix + (f"_{n}" if n > 1 else "")
        name = (_fit(title, _SHEET_NAME_UNITS - _units(tail)) + tail).strip("'") or "表"
        if name.lower() not in used and name.lower() != "history":
            used.add(name.lower())
            return name
        n += 1


@dataclass(frozen=True, slots=True)
class _Sheet:
    table: str
    name: str
    scope: str  # which rows of the table the sheet holds, for the 说明 sheet
    rows: list


def _county_of(table: Table, tables: dict[str, Table]):
    """A row → county id function when ``table`` names a county or a village, else None."""
    names = {c.name for c in table.columns}
    if "county" in names:
        return lambda row: row.get("county")
    if "village" in names and "villages" in tables:
        county = {v.get("id"): v.get("county") for v in tables["villages"].rows}
        return lambda row: county.get(row.get("village"))
    return None


def _groups(table: Table, tables: dict[str, Table]) -> list[tuple[str, str, list]]:
    """(label, scope, rows) of each part of a table too long for one sheet: one per county
    (in county id order, rows of no known county last), else one part of all rows."""
    county_of = _county_of(table, tables)
    if county_of is None:
        return [("", "", table.rows)]
    parts: dict[str | None, list] = {}
    for row in table.rows:
        key = county_of(row)
        parts.setdefault(key if isinstance(key, str) and key else None, []).append(row)
    counties = tables["counties"].rows if "counties" in tables else []
    label = {c.get("id"): c.get("name") for c in counties}
    out = []
    for key in sorted(parts, key=lambda k: (k is None, k or "")):
        if key is None:
            out.append((_UNKNOWN_COUNTY, _UNKNOWN_COUNTY, parts[key]))
            continue
        name = label.get(key)
        name = name if isinstance(name, str) and name else key
        scope = f"区县：{name}（{key}）" if name != key else f"区县：{key}"
        out.append((name, scope, parts[key]))
    return out


def _sheets(tables: dict[str, Table]) -> list[_Sheet]:
    """Every data sheet in order: one per table, or several for a table too long for one."""
    used = {INFO_SHEET.lower()}
    per_sheet = MAX_ROWS - 1  # the header takes a row
    out = []
    for name, t in tables.items():
        if len(t.rows) <= per_sheet:
            out.append(_Sheet(name, _sheet_title(t.title, used), "全部行", t.rows))
            continue
        for label, scope, rows in _groups(t, tables):
            chunks = range(0, len(rows), per_sheet)
            label = _fit(_clean(label), _LABEL_UNITS)
            for k, start in enumerate(chunks, start=1):
                part = rows[start : start + per_sheet]
                last = start + len(part)
                where = f"第 {last} 行" if last == start + 1 else f"第 {start + 1}–{last} 行"
                tail = label if len(chunks) == 1 else f"{label}-{k}" if label else str(k)
                text = scope if len(chunks) == 1 else f"{scope}，{where}" if scope else where
                out.append(_Sheet(name, _sheet_title(t.title, used, "-" + tail), text, part))
    return out


# ---------------------------------------------------------------- cells


class _Formats:
    """The workbook's cell formats; ``quoted[base]`` is ``base`` quote-prefixed, the format of
    formula-like text (a text cell that stays text when edited)."""

    def __init__(self, wb):
        self.bold = wb.add_format({"bold": True})
        self.big = wb.add_format({"bold": True, "font_size": 14})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        q = {"quote_prefix": True}
        self.quoted = {
            None: wb.add_format(q),
            self.bold: wb.add_format({**q, "bold": True}),
            self.big: wb.add_format({**q, "bold": True, "font_size": 14}),
        }


def _put_text(ws, r: int, c: int, text: str, fmt, base=None) -> None:
    """Text always as a text cell, never a formula; formula-like text quote-prefixed."""
    text = _text(text)
    ws.write_string(r, c, text, fmt.quoted[base] if formula_like(text) else base)


def _put_number(ws, r: int, c: int, value, fmt) -> None:
    """A number as a number; inf, nan or a huge integer becomes a text note."""
    if isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, int):
        if abs(value) >= 10**15:
            ws.write_string(r, c, "数值过大")
        else:
            ws.write_number(r, c, value)
    elif isinstance(value, float | Decimal | Fraction):
        if math.isfinite(value):
            ws.write_number(r, c, float(value))
        else:
            ws.write_string(r, c, "非有限数")
    else:
        _put_text(ws, r, c, str(value), fmt)


def _put_row(ws, r: int, row: dict, cols, marker: str, fmt) -> None:
    for c, col in enumerate(cols):
        value = row.get(col.name)
        if value is NOT_RECORDED or value is None:
            continue  # 台账中无记录: an empty cell
        if value is WITHHELD:
            ws.write_string(r, c, marker)  # withheld by disclosure control
            continue
        kind = col.type
        if kind == "date":
            try:
                ws.write_datetime(r, c, dt.date.fromisoformat(str(value)), fmt.date)
                continue
            except ValueError:
                pass
        if kind in ("string", "date"):
            _put_text(ws, r, c, str(value), fmt)
        else:
            _put_number(ws, r, c, value, fmt)


# ---------------------------------------------------------------- workbook


def _info_sheet(wb, fmt: _Formats, tables, sheets: list[_Sheet], descriptor: dict) -> None:
    ws = wb.add_worksheet(INFO_SHEET)
    for c, width in enumerate((22, 16, 24, 20, 10, 80)):
        ws.set_column(c, c, width)
    lic = descriptor["licenses"][0]
    by_table: dict[str, list[str]] = {}
    for s in sheets:
        by_table.setdefault(s.table, []).append(s.name)
    lines: list[tuple[list, object]] = [
        ([descriptor.get("title", "")], fmt.big),
        ([descriptor.get("description", "")], None),
        (["许可协议", lic["name"], lic["path"]], None),
        (["版本", descriptor.get("version", "")], None),
        (["数据提交", descriptor.get("bangfu", {}).get("data_commit", "unknown")], None),
        ([], None),
        (["表", "工作表", "范围", "行数"], fmt.bold),
    ]
    lines += [([s.table, s.name, s.scope, len(s.rows)], None) for s in sheets]
    lines += [([], None), (["表", "工作表", "字段", "标题", "类型", "说明"], fmt.bold)]
    for name, t in tables.items():
        names = by_table[name]
        where = names[0] if len(names) == 1 else f"{names[0]} 等 {len(names)} 个工作表"
        for col in t.columns:
            lines.append(([name, where, col.name, col.title, col.type, col.description], None))
    for r, (line, base) in enumerate(lines):
        for c, value in enumerate(line):
            if isinstance(value, str):
                _put_text(ws, r, c, value, fmt, base)
            elif value is not None:
                _put_number(ws, r, c, value, fmt)


def write_workbook(path, tables: dict[str, Table], descriptor: dict) -> None:
    """The workbook written to ``path`` (``forked.start`` runs this in a second process)."""
    with open(path, "wb") as f:
        f.write(workbook_bytes(tables, descriptor))


def workbook_bytes(tables: dict[str, Table], descriptor: dict) -> bytes:
    stamp = _stamp(descriptor)
    sheets = _sheets(tables)
    buf = io.BytesIO()
    # xlsxwriter's temporary sheet files go to a folder of our own, removed even on failure
    with tempfile.TemporaryDirectory(prefix="bangfu-xlsx-") as tmp:
        wb = xlsxwriter.Workbook(
            buf,
            {
                "constant_memory": True,
                "tmpdir": tmp,
                # only write_string is used for text; these guard a later write() all the same
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        wb.set_properties(
            {"title": descriptor.get("title") or "", "author": "bangfu", "created": stamp}
        )
        fmt = _Formats(wb)
        _info_sheet(wb, fmt, tables, sheets, descriptor)
        for s in sheets:
            t = tables[s.table]
            ws = wb.add_worksheet(s.name)
            ws.freeze_panes(1, 0)
            for c, col in enumerate(t.columns):
                ws.set_column(c, c, max(10, min(40, 2 * len(col.title) + 4)))
                _put_text(ws, 0, c, col.title, fmt, fmt.bold)
            cols, marker = t.columns, t.marker
            for r, row in enumerate(s.rows, start=1):
                _put_row(ws, r, row, cols, marker, fmt)
        wb.close()
    data = bytearray(buf.getvalue())
    _fix_entries(data)
    return bytes(data)


def _fix_entries(data: bytearray) -> None:
    """Every zip entry's time set to ``ZIP_TIME`` and its mode to 0644, in place (only header
    fields change: the compressed contents and their checksums stay as written)."""
    y, mo, d, h, mi, s = ZIP_TIME
    dos = struct.pack("<HH", (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d)
    end = len(data) - 22  # xlsxwriter writes no archive comment and no zip64 records
    if end < 0 or data[end : end + 4] != b"PK\x05\x06":
        raise ValueError("workbook: unexpected zip layout")
    count, _, offset = struct.unpack_from("<HII", data, end + 10)
    for _ in range(count):
        if data[offset : offset + 4] != b"PK\x01\x02":
            raise ValueError("workbook: unexpected zip layout")
        data[offset + 12 : offset + 16] = dos
        struct.pack_into("<I", data, offset + 38, 0o644 << 16)
        local = struct.unpack_from("<I", data, offset + 42)[0]
        if data[local : local + 4] != b"PK\x03\x04":
            raise ValueError("workbook: unexpected zip layout")
        data[local + 10 : local + 14] = dos
        sizes = struct.unpack_from("<HHH", data, offset + 28)
        offset += 46 + sum(sizes)
