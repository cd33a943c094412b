"""The open-data workbook (``bangfu.publish.xlsx``) on small synthetic tables: cell semantics,
formula-like text stored as text, byte-identical output, and tables too long for one sheet
split into several (the row limit lowered for the test)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import pytest
from openpyxl import load_workbook

from bangfu.aggregate import NOT_RECORDED, WITHHELD, WITHHELD_MARKER, Column, Table
from bangfu.config import PublishRefused
from bangfu.publish import xlsx
from bangfu.publish.tableschema import WORKBOOK
from bangfu.publish.xlsx import workbook_bytes
from bangfu.publish.xlsx_zip import ZIP_TIME, rezip

DESCRIPTOR = {
    "title": "测试开放数据（演示数据）",
    "description": "合成数据，仅用于测试",
    "version": "0.0.0+test",
    "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
    "created": "2024-05-06T07:08:09+08:00",
    "bangfu": {"data_commit": "0" * 40},
}


def tables() -> dict[str, Table]:
    """Synthetic tables: counties, villages, a table with a county column, one with a village
    column and one with neither."""
    counties = Table(
        "counties",
        "区县",
        "",
        [Column("id", "string", "区县编号", ""), Column("name", "string", "区县名称", "")],
        [{"id": "tc-alpha", "name": "测试甲县"}, {"id": "tc-beta", "name": "测试乙县"}],
    )
    villages = Table(
        "villages",
        "村（社区）",
        "",
        [Column("id", "string", "村编号", ""), Column("county", "string", "所在区县", "")],
        [{"id": "tc-alpha-v1", "county": "tc-alpha"}, {"id": "tc-beta-v1", "county": "tc-beta"}],
    )
    plans = Table(
        "plans",
        "结对帮扶方案",
        "",
        [Column("id", "string", "方案编号", ""), Column("county", "string", "区县", "")],
        [
            {"id": "p1", "county": "tc-beta"},
            {"id": "p2", "county": "tc-alpha"},
            {"id": "p3", "county": "tc-beta"},
            {"id": "p4", "county": None},
            {"id": "p5", "county": "tc-beta"},
        ],
    )
    progress = Table(
        "progress",
        "帮扶进度",
        "",
        [Column("village", "string", "村", ""), Column("n", "integer", "户数", "")],
        [
            {"village": "tc-beta-v1", "n": 1},
            {"village": "tc-alpha-v1", "n": 2},
            {"village": "tc-gone-v9", "n": 3},
        ],
    )
    entries = Table(
        "report_entries",
        "进度报告汇总",
        "",
        [Column("n", "integer", "序号", "")],
        [{"n": i} for i in range(1, 6)],
    )
    return {t.name: t for t in (counties, villages, plans, progress, entries)}


def open_book(blob: bytes):
    return load_workbook(io.BytesIO(blob))


def values(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def sheet_xml(blob: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]


# ---------------------------------------------------------------- cells


def test_cells_keep_their_meaning():
    cols = [
        Column("name", "string", "名称", ""),
        Column("day", "date", "日期", ""),
        Column("n", "integer", "户数", "", suppressed=True),
        Column("amount", "number", "金额", ""),
        Column("ok", "boolean", "是否", ""),
        Column("note", "string", "备注", ""),
    ]
    rows = [
        {"name": "测试甲", "day": "2024-03-01", "n": WITHHELD, "amount": 12.5, "ok": True},
        {"name": "测试乙", "day": "不是日期", "n": NOT_RECORDED, "amount": -3, "ok": False},
        {"name": "测试丙", "day": None, "n": 7, "amount": NOT_RECORDED, "note": "x" * 40_000},
    ]
    table = Table("t", "测试表", "", cols, rows, threshold=5)
    wb = open_book(workbook_bytes({"t": table}, DESCRIPTOR))
    assert wb.sheetnames == ["说明", "字段说明", "测试表"]
    ws = wb["测试表"]
    assert ws.freeze_panes == "A2"
    got = values(ws)
    assert got[0] == ["名称", "日期", "户数", "金额", "是否", "备注"]
    assert ws.cell(1, 1).font.b
    assert got[1][:5] == ["测试甲", dt.datetime(2024, 3, 1), WITHHELD_MARKER, 12.5, True]
    assert ws.cell(2, 2).is_date and ws.cell(2, 2).number_format == "yyyy-mm-dd"
    # an unparseable date stays text; NOT_RECORDED (台账中无记录) is an empty cell
    assert got[2][:5] == ["测试乙", "不是日期", None, -3, False]
    assert got[3][:4] == ["测试丙", None, 7, None]
    assert got[3][5] == "x" * 32_767  # Excel's longest text
    assert got[2][3] == -3 and ws.cell(2, 4).data_type == "n"
    assert ws.cell(1, 1).quotePrefix is False and ws.cell(2, 4).quotePrefix is False
    # a table of no rows still has its header
    empty = Table("e", "空表", "", cols[:2], [])
    assert values(open_book(workbook_bytes({"e": empty}, DESCRIPTOR))["空表"])[0] == [
        "名称",
        "日期",
    ]


def test_a_column_is_taken_as_it_is_only_where_every_value_needs_nothing():
    """The writer takes a text or number column's values as they are when every one of them
    is already its cell (checked once per column); one value that is not — a character a
    workbook cannot hold, a huge integer, inf or nan, a withheld figure — and every value of
    that column is converted alone, as each would be."""
    cols = [
        Column("plain", "string", "文本", ""),
        Column("dirty", "string", "含控制字符", ""),
        Column("small", "number", "数", ""),
        Column("huge", "integer", "大数", ""),
        Column("inf", "number", "无穷", ""),
        Column("nan", "number", "非数", ""),
        Column("held", "integer", "户数", "", suppressed=True),
        Column("ok", "boolean", "是否", ""),
    ]
    rows = [
        {"plain": "测试甲", "dirty": "a\x01b", "small": 1, "huge": 10**16, "inf": 1.5},
        {"plain": None, "dirty": "正常", "small": 2.5, "huge": 3, "inf": float("inf")},
        {"plain": "", "dirty": None, "small": None, "huge": -(10**15), "nan": float("nan")},
    ]
    for i, row in enumerate(rows):
        row.update(held=[WITHHELD, 4, None][i], ok=[True, None, False][i])
        row.setdefault("nan", 2.0)
    got = values(
        open_book(workbook_bytes({"t": Table("t", "测试表", "", cols, rows)}, DESCRIPTOR))["测试表"]
    )
    assert [r[0] for r in got[1:]] == ["测试甲", None, None]  # an empty text is no cell
    assert [r[1] for r in got[1:]] == ["a\ufffdb", "正常", None]
    assert [r[2] for r in got[1:]] == [1, 2.5, None]
    assert [r[3] for r in got[1:]] == ["数值过大", 3, "数值过大"]
    assert [r[4] for r in got[1:]] == [1.5, "非有限数", None]
    assert [r[5] for r in got[1:]] == [2.0, 2.0, "非有限数"]
    assert [r[6] for r in got[1:]] == [WITHHELD_MARKER, 4, None]
    assert [r[7] for r in got[1:]] == [True, None, False]


def test_formula_like_text_is_text_never_a_formula():
    bad = ["=1+1", '=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\tx"]
    cols = [Column("name", "string", "名称", ""), Column("amount", "number", "金额", "")]
    rows = [{"name": b, "amount": b} for b in bad]  # text in a number column too
    title = Table("t", "测试表", "", cols, rows)
    blob = workbook_bytes({"t": title}, {**DESCRIPTOR, "title": "=测试标题"})
    wb = open_book(blob)
    ws = wb["测试表"]
    for r, text in enumerate(bad, start=2):
        for c in (1, 2):
            assert ws.cell(r, c).value == text and ws.cell(r, c).data_type == "s", (r, c)
        # a text column's cells stay text when edited, formula-like or not
        assert ws.cell(r, 1).quotePrefix, r
    assert wb["说明"]["A1"].value == "=测试标题" and wb["说明"]["A1"].quotePrefix
    assert ws.cell(1, 1).quotePrefix is False  # the header is not
    assert not any(b"<f>" in x for x in sheet_xml(blob))


# ---------------------------------------------------------------- deterministic


_SCRIPT = """
import hashlib, sys
sys.path.insert(0, sys.argv[1])
import test_workbook as t
from bangfu.publish import xlsx
xlsx.MAX_ROWS = 3
print(hashlib.sha256(xlsx.workbook_bytes(t.tables(), t.DESCRIPTOR)).hexdigest())
"""


def test_same_tables_give_the_same_bytes(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)  # the split sheets too
    first = workbook_bytes(tables(), DESCRIPTOR)
    assert workbook_bytes(tables(), DESCRIPTOR) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {ZIP_TIME}
        assert {i.external_attr for i in z.infolist()} == {0o644 << 16}
        assert z.testzip() is None
        core = z.read("docProps/core.xml").decode()
    # the descriptor's date, in UTC
    assert core.count("2024-05-05T23:08:09Z") == 2 and "bangfu" in core
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        here = os.path.dirname(__file__)
        proc = subprocess.run(
            [sys.executable, "-c", _SCRIPT, here], env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        digests.add(proc.stdout.strip())
    assert digests == {hashlib.sha256(first).hexdigest()}


def test_another_date_gives_another_stamp_only_in_the_properties():
    a = workbook_bytes(tables(), DESCRIPTOR)
    b = workbook_bytes(tables(), {**DESCRIPTOR, "created": "2025-01-01T00:00:00Z"})
    with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
        differ = [n for n in za.namelist() if za.read(n) != zb.read(n)]
    assert differ == ["docProps/core.xml"]


def _archive(comment: bytes = b"", extra: bytes = b"", core: bool = True) -> bytes:
    """A small zip as a writer might lay it out (stored, no descriptors), with an archive
    comment, an extra field on its entries or no core properties."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        names = ["[Content_Types].xml", "docProps/core.xml"] if core else ["[Content_Types].xml"]
        for name in names:
            info = zipfile.ZipInfo(name, date_time=(2026, 12, 4, 1, 2, 3))
            info.extra = extra
            z.writestr(info, "<x/>")
        z.comment = comment
    return buf.getvalue()


def test_rezip_keeps_the_entries_and_refuses_a_layout_it_does_not_know():
    core = b"<cp:coreProperties/>"
    out = rezip(_archive(), core)
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert z.testzip() is None and z.read("docProps/core.xml") == core
        assert z.read("[Content_Types].xml") == b"<x/>"
        assert {i.date_time for i in z.infolist()} == {ZIP_TIME}
    extra = struct.pack("<HH", 0xCAFE, 2) + b"\0\0"  # an unknown extra field, 2 bytes long
    for bad, why in (
        (_archive(comment=b"note"), "结尾记录"),
        (_archive(extra=extra), "附加字段"),
        (_archive(core=False), "core.xml"),
        (b"not a zip at all", "结尾记录"),
    ):
        with pytest.raises(PublishRefused, match=why) as caught:
            rezip(bad, core)
        assert "Excel 工作簿" in str(caught.value) and "Traceback" not in str(caught.value)
        # the workbook's own process hands the refusal back pickled: the message stays whole
        assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)


# ---------------------------------------------------------------- row limit


def test_a_table_that_fits_stays_one_sheet():
    wb = open_book(workbook_bytes(tables(), DESCRIPTOR))
    assert wb.sheetnames == [
        "说明",
        "字段说明",
        "区县",
        "村（社区）",
        "结对帮扶方案",
        "帮扶进度",
        "进度报告汇总",
    ]


def test_tables_over_the_row_limit_are_split_by_county_or_in_chunks(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)  # header + 2 rows a sheet
    wb = open_book(workbook_bytes(tables(), DESCRIPTOR))
    plans = ["结对帮扶方案-测试甲县", "结对帮扶方案-测试乙县-1", "结对帮扶方案-测试乙县-2"]
    plans.append("结对帮扶方案-区县未知")
    progress = ["帮扶进度-测试甲县", "帮扶进度-测试乙县", "帮扶进度-区县未知"]
    entries = ["进度报告汇总-1", "进度报告汇总-2", "进度报告汇总-3"]
    assert wb.sheetnames == ["说明", "字段说明", "区县", "村（社区）", *plans, *progress, *entries]
    for name in wb.sheetnames[1:]:
        assert wb[name].freeze_panes == "A2"
    for name in wb.sheetnames[2:]:
        assert wb[name].max_row <= 3
    # every row once, each county's rows in table order
    assert [values(wb[n])[1:] for n in plans] == [
        [["p2", "tc-alpha"]],
        [["p1", "tc-beta"], ["p3", "tc-beta"]],
        [["p5", "tc-beta"]],
        [["p4", None]],
    ]
    assert [values(wb[n]) for n in progress] == [  # villages → counties by the villages table
        [["村", "户数"], ["tc-alpha-v1", 2]],
        [["村", "户数"], ["tc-beta-v1", 1]],
        [["村", "户数"], ["tc-gone-v9", 3]],
    ]
    assert [r for n in entries for r in values(wb[n])[1:]] == [[i] for i in range(1, 6)]
    # the 说明 sheet says which sheets hold which rows of which table
    info = values(wb["说明"])
    assert info[0][0] == DESCRIPTOR["title"] and info[2][0].startswith("许可协议：CC-BY-4.0")
    listed = {r[1]: (r[0], r[2], r[3]) for r in info if isinstance(r[3], int | float)}
    assert listed["结对帮扶方案-测试乙县-2"] == ("plans", "区县：测试乙县（tc-beta），第 3 行", 1)
    assert listed["帮扶进度-区县未知"] == ("progress", "区县未知", 1)
    assert listed["进度报告汇总-2"] == ("report_entries", "第 3–4 行", 2)
    assert listed["区县"] == ("counties", "全部行", 2)
    assert sorted(listed) == sorted(wb.sheetnames[2:])
    fields = {
        (r[0], r[1]) for r in values(wb["字段说明"]) if r[2] == "id"
    }  # the field list names the sheets
    assert ("plans", "结对帮扶方案-测试甲县 等 4 个工作表") in fields
    assert ("counties", "区县") in fields


def test_split_sheet_names_stay_within_excel_rules(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 2)
    long = "测试" * 20
    counties = Table(
        "counties",
        "区县",
        "",
        [Column("id", "string", "区县编号", ""), Column("name", "string", "区县名称", "")],
        [{"id": f"tc-{i}", "name": f"'{long}[{i}]'"} for i in range(3)],
    )
    items = Table(
        "items",
        "一个名字非常长的测试表格用来检查工作表名称的截断",
        "",
        [Column("county", "string", "区县", "")],
        [{"county": f"tc-{i}"} for i in (0, 1, 2, 2)],
    )
    wb = open_book(workbook_bytes({"counties": counties, "items": items}, DESCRIPTOR))
    names = wb.sheetnames
    assert len(names) == 2 + 3 + 4  # 说明, 字段说明, counties in 3 sheets, items in 4
    assert len({n.lower() for n in names}) == len(names)
    for n in names:
        assert len(n.encode("utf-16-le")) // 2 <= 31, n
        assert not any(ch in n for ch in "[]:*?/\\") and not n.startswith("'"), n
    assert sum(wb[n].max_row - 1 for n in names[5:]) == 4


def test_row_limit_counts_the_header(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 6)  # 5 rows + header fit exactly
    assert "进度报告汇总" in open_book(workbook_bytes(tables(), DESCRIPTOR)).sheetnames
    monkeypatch.setattr(xlsx, "MAX_ROWS", 5)
    names = open_book(workbook_bytes(tables(), DESCRIPTOR)).sheetnames
    assert "进度报告汇总" not in names and "进度报告汇总-2" in names


@pytest.mark.parametrize("limit", [3, 4])
def test_split_sheets_hold_every_row_once(monkeypatch, limit):
    monkeypatch.setattr(xlsx, "MAX_ROWS", limit)
    wb = open_book(workbook_bytes(tables(), DESCRIPTOR))
    got = sorted(
        r[0] for n in wb.sheetnames if n.startswith("结对帮扶方案") for r in values(wb[n])[1:]
    )
    assert got == ["p1", "p2", "p3", "p4", "p5"]


def test_packed_tables_give_the_workbook_the_tables_give(monkeypatch):
    """The workbook's process receives the tables packed (rows as tuples in column order):
    the same bytes as from the tables themselves, split sheets included; a key a row lacks
    is an empty cell either way, and a column a table lacks reads as None in every row."""
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
    tabs = tables()
    tabs["plans"].rows.append({"id": "p9"})  # no county: a sheet of rows of no known county
    packed = xlsx.pack(tabs)
    assert all(p.table.rows == [] for p in packed.values())
    assert packed["plans"].rows[-1] == ("p9", None)
    assert all(type(r) is tuple for p in packed.values() for r in p.rows)
    assert workbook_bytes(packed, DESCRIPTOR) == workbook_bytes(
        tables() | {"plans": tabs["plans"]}, DESCRIPTOR
    )
    assert [packed["villages"].field("nothing")(r) for r in packed["villages"].rows] == [None, None]


def test_the_package_hands_the_workbook_packed_tables(tmp_path, monkeypatch):
    """``start_package`` sends the workbook's process packed tables, never rows as dicts (in
    one process, as they are; with two, in a file: ``test_package_work``)."""
    from bangfu import forked
    from bangfu.publish import extracts
    from bangfu.publish.release import Release

    monkeypatch.setenv("BANGFU_WORKERS", "1")
    sent = {}
    real = forked.start

    def start(name, fn, *args, **kw):
        sent["args"] = args
        return real(name, fn, *args, **kw)

    monkeypatch.setattr(forked, "start", start)
    folder = tmp_path / "pkg"
    folder.mkdir()
    release = Release("0" * 40, "2024-05-06T07:08:09+08:00")
    extracts.start_package(folder, tables(), [], release).finish()
    handed = sent["args"][2]
    assert set(handed) == set(tables()) and all(isinstance(p, xlsx.Packed) for p in handed.values())
    assert (folder / WORKBOOK).read_bytes() == workbook_bytes(tables(), sent["args"][3])
