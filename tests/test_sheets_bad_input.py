"""Bad spreadsheets: each gives a clear error naming the sheet, row, column and cell, exit 1,
no traceback — and not one file under data/ changes."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
import zipfile

import openpyxl
import pytest

from bangfu.codes import (
    SHEET_BAD_CHOICE,
    SHEET_BAD_LAYOUT,
    SHEET_CONFLICT,
    SHEET_CORRUPT,
    SHEET_EXTRA_SHEET,
    SHEET_FORMULA,
    SHEET_FUTURE_DATE,
    SHEET_NOT_A_DATE,
    SHEET_NOT_A_NUMBER,
    SHEET_NOT_XLSX,
    SHEET_REQUIRED,
    SHEET_TOO_LARGE,
    SHEET_TOO_MANY_ROWS,
    SHEET_UNKNOWN_FORM,
    SHEET_UNKNOWN_VILLAGE,
)

from .conftest import make_case
from .sheet_helpers import ENTRIES, FILING_FIELDS, fill, progress, run, template, tree_hash


@pytest.fixture
def repo(tmp_path):
    return make_case(tmp_path, None)


def refused(repo, path, code: str, where: str | None = None):
    before = tree_hash(repo / "data")
    proc = run(repo, "import", str(path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert f"[{code}]" in proc.stdout, proc.stdout
    if where:
        assert where in proc.stdout, proc.stdout
    assert "没有写入任何文件" in proc.stdout
    assert tree_hash(repo / "data") == before
    return proc


def test_wrong_dropdown_value(repo):
    entries = [dict(ENTRIES[0], 活动类别="串门")]
    proc = refused(
        repo, progress(repo, entries=entries), SHEET_BAD_CHOICE.code, "进度!E11（活动类别）"
    )
    assert "“串门”不是活动类别的可选值" in proc.stdout


def test_text_in_a_number_cell(repo):
    entries = [ENTRIES[0], dict(ENTRIES[1], **{"金额（元）": "一千元"})]
    refused(
        repo, progress(repo, entries=entries), SHEET_NOT_A_NUMBER.code, "进度!G12（金额（元））"
    )


def test_date_in_the_future(repo):
    entries = [dict(ENTRIES[0], 走访日期=dt.date(2025, 6, 1))]
    refused(repo, progress(repo, entries=entries), SHEET_FUTURE_DATE.code, "进度!B11（走访日期）")


def test_date_that_is_not_a_date(repo):
    entries = [dict(ENTRIES[0], 走访日期="4月3号")]
    refused(repo, progress(repo, entries=entries), SHEET_NOT_A_DATE.code, "进度!B11（走访日期）")


def test_entry_for_both_a_household_and_a_village(repo):
    entries = [dict(ENTRIES[0], 帮扶村=ENTRIES[1]["帮扶村"])]
    refused(repo, progress(repo, entries=entries), SHEET_CONFLICT.code, "进度!C11")


def test_submitted_in_the_future(repo):
    refused(
        repo,
        progress(repo, 报送日期=dt.date(2030, 1, 1)),
        SHEET_FUTURE_DATE.code,
        "进度!B5（报送日期）",
    )


def test_unknown_village(repo):
    entries = [dict(ENTRIES[1], 帮扶村="东乡不存在村")]
    refused(repo, progress(repo, entries=entries), SHEET_UNKNOWN_VILLAGE.code, "进度!D11（帮扶村）")


def test_unknown_village_in_filing(repo):
    path = template(repo, "filing", "f.xlsx", "--county", "tc-alpha")
    fill(
        path,
        "报备",
        FILING_FIELDS,
        {
            "【帮扶主体】": [{"帮扶主体": "to-helpers"}],
            "【帮扶对象】": [{"对象类型": "帮扶村", "所在村": "tc-beta-nowhere"}],
        },
    )
    refused(repo, path, SHEET_UNKNOWN_VILLAGE.code, "报备!C")


def test_formula_in_a_cell(repo):
    entries = [ENTRIES[0], dict(ENTRIES[1], **{"金额（元）": "=SUM(G11:G11)*2"})]
    proc = refused(repo, progress(repo, entries=entries), SHEET_FORMULA.code, "进度!G12")
    # the cell is named, its content is not quoted (it could be a private column)
    assert "=SUM(G11:G11)*2" not in proc.stdout


def test_text_starting_with_equals_in_csv(repo, tmp_path):
    from .sheet_helpers import to_csv

    csv_path = to_csv(progress(repo), "进度", tmp_path / "p.csv")
    text = csv_path.read_text("utf-8-sig").replace("采购农产品", '=HYPERLINK("http://x")')
    csv_path.write_text(text, "utf-8-sig")
    refused(repo, csv_path, SHEET_FORMULA.code, "!F12")


def test_extra_sheet(repo):
    path = progress(repo)
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Sheet1")["A1"] = "草稿"
    wb.save(path)
    refused(repo, path, SHEET_EXTRA_SHEET.code, "Sheet1!A1")


def test_unrecognised_form_title(repo):
    path = progress(repo)
    wb = openpyxl.load_workbook(path)
    wb["进度"]["A1"] = "某某统计表"
    wb.save(path)
    refused(repo, path, SHEET_UNKNOWN_FORM.code, "进度!A1")


def test_renamed_header_is_a_layout_error(repo):
    path = progress(repo)
    wb = openpyxl.load_workbook(path)
    ws = wb["进度"]
    ws["E10"] = "类别"
    wb.save(path)
    refused(repo, path, SHEET_BAD_LAYOUT.code, "进度!E10")


def test_missing_required_value(repo):
    entries = [{k: v for k, v in ENTRIES[0].items() if k != "活动类别"}]
    refused(repo, progress(repo, entries=entries), SHEET_REQUIRED.code, "进度!E11（活动类别）")


def _with_rows(tmp_path, name: str, rows: bytes, dimension: bool = True):
    """A workbook made by openpyxl whose 进度 sheet XML is replaced by ``rows`` (fast to
    build at 100,000 rows)."""
    src = tmp_path / f"src-{name}"
    wb = openpyxl.Workbook()
    wb.active.title = "进度"
    wb.active["A1"] = "结对帮扶实施情况进度表"
    wb.save(src)
    out = tmp_path / name
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, rest = data.split(b"<sheetData>", 1)
                if not dimension:
                    head = re.sub(rb"<dimension[^>]*/>", b"", head)
                data = (
                    head
                    + b"<sheetData>"
                    + rows
                    + b"</sheetData>"
                    + rest.split(b"</sheetData>", 1)[1]
                )
            zout.writestr(item, data)
    return out


def test_hundred_thousand_rows_are_refused_quickly(repo, tmp_path):
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="n"><v>%d</v></c><c r="B%d" t="inlineStr"><is><t>h-0001</t></is></c></row>'
        % (i, i, i, i)
        for i in range(1, 100_001)
    )
    path = _with_rows(tmp_path, "huge.xlsx", rows, dimension=False)
    start = time.perf_counter()
    refused(repo, path, SHEET_TOO_MANY_ROWS.code, "进度!A10001")
    assert time.perf_counter() - start < 10  # ~0.4 s here; generous for a loaded machine


def test_sparse_rows_past_the_limit_are_refused(repo, tmp_path):
    rows = (
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe7\xbb\x93</t></is></c></row>'
        b'<row r="20000"><c r="A20000" t="n"><v>1</v></c></row>'
    )
    refused(
        repo, _with_rows(tmp_path, "sparse.xlsx", rows, dimension=False), SHEET_TOO_MANY_ROWS.code
    )


def test_random_bytes(repo, tmp_path):
    path = tmp_path / "random.xlsx"
    path.write_bytes(os.urandom(4096))
    refused(repo, path, SHEET_CORRUPT.code)


def test_truncated_zip(repo, tmp_path):
    good = progress(repo).read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(good[: len(good) // 2])
    refused(repo, path, SHEET_CORRUPT.code)


def test_zip_that_is_not_a_workbook(repo, tmp_path):
    path = tmp_path / "notbook.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "你好")
    refused(repo, path, SHEET_CORRUPT.code)


def test_damaged_sheet_xml(repo, tmp_path):
    src = progress(repo)
    out = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data[: len(data) // 2]
            zout.writestr(item, data)
    refused(repo, out, SHEET_CORRUPT.code)


def test_xls_renamed_to_xlsx(repo, tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4088)
    proc = refused(repo, path, SHEET_NOT_XLSX.code)
    assert "97-2003" in proc.stdout and "另存为" in proc.stdout


def test_zip_bomb_is_refused_before_opening(repo, tmp_path):
    path = tmp_path / "bomb.xlsx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/sharedStrings.xml", b"<sst>" + b"A" * (8 * 1024 * 1024) + b"</sst>")
    path.write_bytes(buf.getvalue())
    start = time.perf_counter()
    refused(repo, path, SHEET_TOO_LARGE.code)
    assert time.perf_counter() - start < 10


def test_unknown_extension_is_a_usage_error(repo, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("x", "utf-8")
    before = tree_hash(repo / "data")
    proc = run(repo, "import", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert tree_hash(repo / "data") == before


def test_one_bad_sheet_stops_the_whole_workbook(repo):
    """All or nothing: a good filing plus a progress sheet with one bad cell writes nothing."""
    out = repo / "tp-one.xlsx"
    assert run(repo, "export-forms", "--plan", "tp-one", "-o", str(out)).returncode == 0
    fill(out, "报备", {"方案名称": "改过的名称"})
    wb = openpyxl.load_workbook(out)
    wb["进度-2024-03"]["G12"] = "很多"
    wb.save(out)
    refused(repo, out, SHEET_NOT_A_NUMBER.code, "进度-2024-03!G12")
