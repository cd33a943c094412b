"""Reading a filled form safely: .xlsx (streamed, formulas kept as formulas so they can be
refused) or .csv, with limits checked before anything large is read.

Limits (a clear error, never a hang): the file is at most ``MAX_FILE_BYTES``; an .xlsx's
members unpack to at most ``MAX_UNZIPPED_BYTES`` (``MAX_MEMBER_BYTES`` each, compression ratio
at most ``MAX_RATIO``); a sheet has at most ``MAX_ROWS`` rows, of which only the first
``MAX_COLS`` columns are read. Rows are streamed (openpyxl read-only mode), so a 100,000-row
sheet is refused after reading its dimension or, failing that, ``MAX_ROWS`` rows.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..codes import SHEET_CORRUPT, SHEET_NOT_XLSX, SHEET_TOO_LARGE, SHEET_TOO_MANY_ROWS, Code, make
from ..findings import Finding

MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_UNZIPPED_BYTES = 300 * 1024 * 1024
MAX_MEMBER_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_RATIO = 200
MAX_ROWS = 10_000
MAX_COLS = 40
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(slots=True)
class Cell:
    value: object  # None, str, int, float, bool, datetime
    formula: bool = False


@dataclass(slots=True)
class SheetData:
    name: str
    rows: list[tuple[int, list[Cell]]]  # (1-based row number, cells from column A)


@dataclass(slots=True)
class Book:
    file: str
    sheets: list[SheetData] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    is_csv: bool = False


def _fail(book: Book, code: Code, message: str) -> Book:
    book.findings.append(make(code, book.file, message, line=0, column=0))
    return book


def read(path: Path, display: str | None = None) -> Book:
    """Read ``path`` (.xlsx or .csv); problems become findings on the returned book."""
    book = Book(file=display or str(path))
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        return _fail(book, SHEET_CORRUPT, f"无法读取文件：{exc.strerror}")
    if size > MAX_FILE_BYTES:
        return _fail(
            book,
            SHEET_TOO_LARGE,
            f"文件有 {size / 1048576:.1f} MB，超过上限 {MAX_FILE_BYTES // 1048576} MB",
        )
    if head.startswith(OLE2_MAGIC):
        return _fail(
            book,
            SHEET_NOT_XLSX,
            "这是旧版 Excel 97-2003（.xls）格式或设置了打开密码的文件，不是 .xlsx 工作簿",
        )
    if path.suffix.lower() == ".csv":
        book.is_csv = True
        return _read_csv(path, book)
    if not head.startswith(b"PK"):
        return _fail(
            book,
            SHEET_CORRUPT,
            "文件不是有效的 .xlsx 工作簿（不是 zip 格式），可能已损坏或被改了扩展名",
        )
    problem = _zip_guard(path)
    if problem:
        code, message = problem
        return _fail(book, code, message)
    try:
        book.findings.extend(_prescan_rows(path, book.file))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, zlib.error):
        return _fail(book, SHEET_CORRUPT, "工作簿已损坏（zip 内容不完整，可能下载或复制时被截断）")
    if book.findings:
        return book
    return _read_xlsx(path, book)


def _zip_guard(path: Path) -> tuple[Code, str] | None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                return (
                    SHEET_TOO_LARGE,
                    f"工作簿内部有 {len(infos)} 个部件，超过上限 {MAX_MEMBERS}",
                )
            total = 0
            for info in infos:
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > MAX_MEMBER_BYTES or (
                    info.file_size > 1024 * 1024 and ratio > MAX_RATIO
                ):
                    return SHEET_TOO_LARGE, (
                        f"工作簿部件 {info.filename} 解压后有 "
                        f"{info.file_size / 1048576:.0f} MB，疑似压缩炸弹，拒绝读取"
                    )
            if total > MAX_UNZIPPED_BYTES:
                return (
                    SHEET_TOO_LARGE,
                    f"工作簿解压后共 {total / 1048576:.0f} MB，超过上限 {MAX_UNZIPPED_BYTES // 1048576} MB",
                )
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                return (
                    SHEET_CORRUPT,
                    "zip 文件中没有 Excel 工作簿（缺少 xl/workbook.xml），不是 .xlsx 文件",
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return SHEET_CORRUPT, "工作簿已损坏（zip 结构不完整，可能下载或复制时被截断）"
    return None


def _read_xlsx(path: Path, book: Book) -> Book:
    import openpyxl

    wb = None
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel extensions it does not read (data validation lists
            # from other sheets, conditional formats); they do not affect the values.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\..*")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
            for ws in wb.worksheets:
                sheet = SheetData(ws.title, [])
                book.sheets.append(sheet)
                declared = _declared_rows(ws)
                if declared > MAX_ROWS:
                    book.findings.append(_too_many(book.file, ws.title, declared))
                    continue
                for rownum, cells in enumerate(ws.iter_rows(max_col=MAX_COLS), start=1):
                    if rownum > MAX_ROWS:
                        book.findings.append(_too_many(book.file, ws.title, rownum, at_least=True))
                        break
                    row = [
                        Cell(getattr(c, "value", None), getattr(c, "data_type", None) == "f")
                        for c in cells
                    ]
                    if any(c.value is not None for c in row):
                        sheet.rows.append((rownum, row))
            if not wb.worksheets:
                book.findings.append(make(SHEET_CORRUPT, book.file, "工作簿中没有工作表"))
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        book.sheets.clear()
        book.findings.append(
            make(SHEET_CORRUPT, book.file, f"工作簿已损坏，无法读取（{exc.__class__.__name__}）")
        )
    finally:
        if wb is not None:
            wb.close()
    return book


def _declared_rows(ws) -> int:
    try:
        dim = ws.calculate_dimension(force=False)
    except Exception:  # no or unreadable dimension: count while streaming instead
        return 0
    tail = dim.split(":")[-1]
    digits = "".join(ch for ch in tail if ch.isdigit())
    return int(digits) if digits else 0


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")


def _count_rows(zf: zipfile.ZipFile, member: str) -> int:
    """<row> tags in a sheet's raw XML, streamed, stopping just past the limit — far faster
    than parsing cells (openpyxl parses a whole sheet that lacks a <dimension> on open)."""
    count, tail = 0, b""
    with zf.open(member) as fh:
        while count <= MAX_ROWS:
            chunk = fh.read(1 << 20)
            if not chunk:
                return count + len(_ROW_TAG.findall(tail))
            data = tail + chunk
            cut = max(len(data) - 64, 0)
            count += len(_ROW_TAG.findall(data, 0, cut))
            tail = data[cut:]
    return count


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part → sheet name, from workbook.xml and its relationships (best effort)."""
    import xml.etree.ElementTree as ET

    try:
        ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
        ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target", "") for r in rels}
        out = {}
        for sh in book.iter(f"{ns_main}sheet"):
            t = target.get(sh.get(f"{ns_rel}id"), "")
            out[t.lstrip("/") if t.startswith("/") else "xl/" + t] = sh.get("name", "")
        return out
    except Exception:  # names are only for the message
        return {}


def _prescan_rows(path: Path, file: str) -> list[Finding]:
    out = []
    with zipfile.ZipFile(path) as zf:
        names = None
        for info in zf.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            if _count_rows(zf, info.filename) > MAX_ROWS:
                names = names if names is not None else _sheet_names(zf)
                out.append(
                    _too_many(file, names.get(info.filename) or info.filename, 0, at_least=True)
                )
    return out


def _too_many(file: str, sheet: str, rows: int, at_least: bool = False) -> Finding:
    n = f"超过 {MAX_ROWS} 行" if at_least else f"有 {rows} 行"
    return make(
        SHEET_TOO_MANY_ROWS,
        file,
        f"工作表“{sheet}”{n}，上限是 {MAX_ROWS} 行",
        path=f"{sheet}!A{MAX_ROWS + 1}",
        line=MAX_ROWS + 1,
        column=1,
    )


def _read_csv(path: Path, book: Book) -> Book:
    raw = path.read_bytes()
    text = None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        return _fail(book, SHEET_CORRUPT, "CSV 文件不是 UTF-8 或 GBK 编码的文字，无法读取")
    sheet = SheetData(path.stem, [])
    book.sheets.append(sheet)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        for rownum, values in enumerate(reader, start=1):
            if rownum > MAX_ROWS:
                book.findings.append(_too_many(book.file, sheet.name, rownum, at_least=True))
                break
            row = [Cell(v if v.strip() else None) for v in values[:MAX_COLS]]
            if any(c.value is not None for c in row):
                sheet.rows.append((rownum, row))
    except csv.Error as exc:
        book.sheets.clear()
        return _fail(book, SHEET_CORRUPT, f"CSV 文件格式有误：{exc}")
    return book
