"""The tables as one Excel workbook: a sheet per table, Chinese headers, frozen header row.

Written with rustpy-xlsxwriter (Python bindings of the Rust crate rust_xlsxwriter), which
streams each sheet about five times faster than xlsxwriter, the Python library this module
used before, on this project's tables (``bangfu bench --baseline-ref`` measures the two side
by side). A table with more rows than a sheet holds (``MAX_ROWS``, header included) is split
into several sheets, by county where the table names a county or a village, else in
consecutive chunks; the 说明 sheet lists every sheet with the table and the rows it holds,
and 字段说明 every column.

The same data gives a byte-identical workbook: the core properties carry the descriptor's date
(``_stamp``; the writer would put the time of writing), and the zip entries' times and modes
are fixed values (``xlsx_zip``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from rustpy_xlsxwriter import FastExcel, Format

from ..aggregate import Column, Table
from .packed import Packed, pack
from .xlsx_cells import ILLEGAL, records
from .xlsx_cells import text as cell_text
from .xlsx_zip import core_properties, rezip

MAX_ROWS = 1_048_576  # rows in one Excel sheet, header included; tests lower it to test splitting
FIXED_TIME = dt.datetime(2000, 1, 1)
INFO_SHEET = "说明"
FIELDS_SHEET = "字段说明"
_INVALID_SHEET = re.compile(r"[\[\]:*?/\\]")
_SHEET_NAME_UNITS = 31  # Excel counts a sheet name in UTF-16 code units
_LABEL_UNITS = 12  # at most this much of a split sheet's name is its county
_UNKNOWN_COUNTY = "区县未知"


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
    return _INVALID_SHEET.sub("_", ILLEGAL.sub("_", name))


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


def _county_of(table: Packed, tables: dict[str, Packed]):
    """A row → county id function when ``table`` names a county or a village, else None."""
    names = {c.name for c in table.table.columns}
    if "county" in names:
        return table.field("county")
    if "village" in names and "villages" in tables:
        villages = tables["villages"]
        vid, vcounty = villages.field("id"), villages.field("county")
        county = {vid(v): vcounty(v) for v in villages.rows}
        village = table.field("village")
        return lambda row: county.get(village(row))
    return None


def _groups(table: Packed, tables: dict[str, Packed]) -> list[tuple[str, str, list]]:
    """(label, scope, rows) of each part of a table too long for one sheet: one per county
    (in county id order, rows of no known county last), else one part of all rows."""
    county_of = _county_of(table, tables)
    if county_of is None:
        return [("", "", table.rows)]
    parts: dict[str | None, list] = {}
    for row in table.rows:
        key = county_of(row)
        parts.setdefault(key if isinstance(key, str) and key else None, []).append(row)
    label = {}
    if "counties" in tables:
        counties = tables["counties"]
        cid, cname = counties.field("id"), counties.field("name")
        label = {cid(c): cname(c) for c in counties.rows}
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


def _sheets(tables: dict[str, Packed]) -> list[_Sheet]:
    """Every data sheet in order: one per table, or several for a table too long for one."""
    used = {INFO_SHEET.lower(), FIELDS_SHEET.lower()}
    per_sheet = MAX_ROWS - 1  # the header takes a row
    out = []
    for name, p in tables.items():
        t = p.table
        if len(p.rows) <= per_sheet:
            out.append(_Sheet(name, _sheet_title(t.title, used), "全部行", p.rows))
            continue
        for label, scope, rows in _groups(p, tables):
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


def _keys(titles: list[str]) -> list[str]:
    """The header of a sheet, one key per column (the writer takes a row as a dict): a title
    given twice gets a number."""
    seen: set[str] = set()
    out = []
    for title in titles:
        key, n = title, 1
        while key in seen:
            n += 1
            key = f"{title}（{n}）"
        seen.add(key)
        out.append(key)
    return out


class _Formats:
    """The workbook's formats. Every cell of a text column is quote-prefixed, so that it stays
    text when edited, formula-like text included (the writer sets formats by column)."""

    def __init__(self):
        self.bold = Format().set_bold()
        self.text = Format().set_quote_prefix()
        self.date = Format().set_num_format("yyyy-mm-dd")
        self.big = Format().set_bold().set_font_size(14).set_quote_prefix()

    def of(self, column: Column):
        return {"string": self.text, "date": self.date}.get(column.type)


def _width(title: str) -> int:
    return max(10, min(40, 2 * len(title) + 4))


# ---------------------------------------------------------------- workbook


def _lines(descriptor: dict) -> list[str]:
    lic = descriptor["licenses"][0]
    return [
        descriptor.get("title") or "",
        descriptor.get("description") or "",
        f"许可协议：{lic['name']}（{lic['path']}）",
        f"版本：{descriptor.get('version', '')}",
        f"数据提交：{descriptor.get('bangfu', {}).get('data_commit', 'unknown')}",
    ]


def _info_sheets(
    book, fmt: _Formats, tables: dict[str, Packed], sheets: list[_Sheet], descriptor: dict
) -> None:
    """说明: what the workbook is (title, licence, version, data commit) above a list of its
    sheets; 字段说明: every column of every table."""
    lines = _lines(descriptor)
    merged = [
        (r, 0, r, 3, cell_text(text), fmt.big if r == 0 else fmt.text)
        for r, text in enumerate(lines)
    ]
    keys = ["表", "工作表", "范围", "行数"]
    listed = [dict(zip(keys, (s.table, s.name, s.scope, len(s.rows)), strict=True)) for s in sheets]
    book.sheet(
        INFO_SHEET,
        listed or [dict.fromkeys(keys, "")],
        header_row=len(lines) + 1,
        merge_ranges=merged,
        header_format=fmt.bold,
        column_widths=[22, 28, 40, 10],
        column_formats=[fmt.text, fmt.text, fmt.text, None],
    )
    by_table: dict[str, list[str]] = {}
    for s in sheets:
        by_table.setdefault(s.table, []).append(s.name)
    keys = ["表", "工作表", "字段", "标题", "类型", "说明"]
    fields = []
    for name, t in tables.items():
        names = by_table[name]
        where = names[0] if len(names) == 1 else f"{names[0]} 等 {len(names)} 个工作表"
        for col in t.table.columns:
            values = (name, where, col.name, col.title, col.type, col.description)
            fields.append(dict(zip(keys, [cell_text(v) for v in values], strict=True)))
    book.sheet(
        FIELDS_SHEET,
        fields or [dict.fromkeys(keys, "")],
        header_format=fmt.bold,
        column_widths=[22, 28, 20, 16, 10, 80],
        column_formats=[fmt.text] * len(keys),
    )
    book.freeze(row=1, sheet=FIELDS_SHEET)


def write_workbook(path, tables: dict[str, Packed], descriptor: dict) -> None:
    """The workbook of packed tables (``pack``) written to ``path`` (``forked.start`` runs
    this in a second process)."""
    with open(path, "wb") as f:
        f.write(workbook_bytes(tables, descriptor))


def workbook_bytes(tables: dict[str, Table] | dict[str, Packed], descriptor: dict) -> bytes:
    tables = pack(tables)
    sheets = _sheets(tables)
    fmt = _Formats()
    buf = io.BytesIO()
    book = FastExcel(buf)
    _info_sheets(book, fmt, tables, sheets, descriptor)
    for s in sheets:
        t = tables[s.table].table
        keys = _keys([cell_text(c.title) for c in t.columns])
        book.sheet(
            s.name,
            records(keys, t.columns, s.rows, t.marker),
            header_format=fmt.bold,
            column_widths=[_width(c.title) for c in t.columns],
            column_formats=[fmt.of(c) for c in t.columns],
        )
        book.freeze(row=1, sheet=s.name)
    book.save()
    return rezip(
        buf.getvalue(),
        core_properties(cell_text(descriptor.get("title") or ""), _stamp(descriptor)),
    )
