"""The package's cell converters, chosen once per column (``csvtext``, ``parquet.typed_columns``,
the SQLite rows): each gives what the one-value definitions give, on awkward values too."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sqlite3
from decimal import Decimal
from fractions import Fraction

import pytest

from bangfu.aggregate import NOT_RECORDED, WITHHELD, Column, Table
from bangfu.publish import csvtext
from bangfu.publish.csvtext import cell, csv_bytes
from bangfu.publish.parquet import ParquetValueError, arrow_table, typed_columns
from bangfu.publish.sqlite import write_sqlite

NUMBER = Column("amount", "number", "金额", "")


def reference_number(value) -> str:
    """The number's text as the package has always written it (no exponent)."""
    if isinstance(value, int):
        return str(value)
    return format(Decimal(repr(float(value))), "f")


def awkward_numbers() -> list:
    rng = random.Random(20261204)
    values: list = [0.0, -0.0, 0.1, 1.5, -3.5, 100.0, 1e15, 1e16, 1.5e16, 1e-4, 1e-5, 1e-7]
    values += [5e-324, 1.7976931348623157e308, 123456789.125, 2.675, 1 / 3, -2 / 3]
    values += [float("inf"), float("-inf"), float("nan")]
    values += [rng.uniform(-1e6, 1e6) for _ in range(2000)]
    values += [10 ** rng.uniform(-12, 22) for _ in range(2000)]
    values += [0, -7, 10**20, Decimal("12.50"), Fraction(1, 8), True]
    return values


def test_a_number_is_written_as_the_reference_writes_it():
    for value in awkward_numbers():
        assert cell(NUMBER, value, "*") == reference_number(value), value
    text = cell(NUMBER, 1e16, "*")
    assert text == "10000000000000000" and "e" not in text
    assert cell(NUMBER, 1e-7, "*") == "0.0000001"


def fake_table() -> Table:
    columns = [
        Column("id", "string", "编号", ""),
        Column("households", "integer", "户数", "", suppressed=True),
        NUMBER,
        Column("open", "boolean", "在办", ""),
        Column("start", "date", "开始日期", ""),
    ]
    rows = [
        {"id": "=SUM(A1)", "households": 12, "amount": 1e16, "open": True, "start": "2026-01-31"},
        {
            "id": "合成村",
            "households": WITHHELD,
            "amount": NOT_RECORDED,
            "open": False,
            "start": dt.date(2026, 2, 1),
        },  # fmt: skip
        {"id": "-负号开头", "households": None, "amount": 0.5, "open": None, "start": None},
        {"id": "", "households": 0, "amount": -0.0, "open": True, "start": NOT_RECORDED},
    ]
    return Table("fake", "合成表（测试）", "合成数据", columns, rows, ["id"], [], 5)


def test_the_two_copies_and_each_cell_is_its_converter():
    table = fake_table()
    canonical, excel = csv_bytes(table), csv_bytes(table, excel=True)
    assert excel.startswith(b"\xef\xbb\xbf") and b"\r\n" in excel and b"\r\n" not in canonical
    rows = list(csv.reader(io.StringIO(canonical.decode())))
    assert rows[0] == ["id", "households", "amount", "open", "start"]
    want = [[cell(c, r.get(c.name), table.marker) for c in table.columns] for r in table.rows]
    assert rows[1:] == want
    assert rows[1] == ["=SUM(A1)", "12", "10000000000000000", "true", "2026-01-31"]
    assert rows[2] == ["合成村", "*", "", "false", "2026-02-01"]
    assert rows[4] == ["", "0", "-0.0", "true", ""]
    copy = list(csv.reader(io.StringIO(excel.decode("utf-8-sig"))))
    assert copy[0][:2] == ["编号", "户数"]
    assert [r[0] for r in copy[1:]] == ["'=SUM(A1)", "合成村", "'-负号开头", ""]
    assert [r[1:] for r in copy[1:]] == [r[1:] for r in rows[1:]]  # only text is defused


def test_typed_columns_feed_parquet_and_sqlite_alike(tmp_path):
    table = fake_table()
    columns = {name: (kind, values) for name, kind, values in typed_columns(table)}
    assert list(columns) == ["id", "households", "households_suppressed", "amount", "open", "start"]
    assert columns["id"][1] == ["=SUM(A1)", "合成村", "-负号开头", None]  # empty text: missing
    assert columns["households"][1] == [12, None, None, 0]
    assert columns["households_suppressed"] == ("boolean", [False, True, False, False])
    assert columns["start"][1] == [dt.date(2026, 1, 31), dt.date(2026, 2, 1), None, None]
    assert arrow_table(table).to_pydict()["amount"] == [1e16, None, 0.5, -0.0]
    con = sqlite3.connect(":memory:")
    con.deserialize(sqlite_file({"fake": table}, tmp_path / "fake.sqlite"))
    got = con.execute("SELECT * FROM fake ORDER BY rowid").fetchall()
    assert got[1] == ("合成村", None, 1, None, 0, "2026-02-01")
    assert got[0] == ("=SUM(A1)", 12, 0, 1e16, 1, "2026-01-31")


@pytest.mark.parametrize(
    ("column", "value"),
    [("households", "十二"), ("start", "2026-02-30"), ("amount", "很多"), ("households", 1e400)],
)
def test_a_value_its_column_cannot_hold_names_table_and_column(column, value):
    table = fake_table()
    table.rows[0][column] = value
    with pytest.raises(ParquetValueError) as caught:
        arrow_table(table)
    assert (caught.value.table, caught.value.column) == ("fake", column)
    assert "fake" in str(caught.value) and column in str(caught.value)


def test_a_packed_table_gives_the_same_files(tmp_path):
    """The workbook's process writes its share of the CSV, Parquet and SQLite files from the
    tables packed (``packed``: rows as tuples in column order): the same bytes as from the
    rows as dicts, a row lacking a key (an empty cell) included."""
    from bangfu.publish.packed import pack, values_of
    from bangfu.publish.parquet import parquet_bytes

    table = fake_table()
    del table.rows[1]["open"]
    packed = pack({"fake": table})["fake"]
    assert packed.rows[1][3] is None and values_of(packed, "open") == values_of(table, "open")
    for excel in (False, True):
        assert csv_bytes(packed, excel=excel) == csv_bytes(table, excel=excel)
    assert parquet_bytes(packed) == parquet_bytes(table)
    one = sqlite_file({"fake": packed}, tmp_path / "packed.sqlite")
    assert one == sqlite_file({"fake": table}, tmp_path / "table.sqlite")
    assert values_of(packed, "no-such-column") == [None] * len(table.rows)


def sqlite_file(tables: dict, path) -> bytes:
    """The bytes of the SQLite file that the package's writer writes at ``path``."""
    write_sqlite(tables, path)
    return path.read_bytes()


def reference_csv(table: Table, *, excel: bool) -> bytes:
    """The CSV as the ``csv`` module writes it, cell by cell (``cell``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if excel else "\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([c.title if excel else c.name for c in table.columns])
    for row in table.rows:
        w.writerow([cell(c, row.get(c.name), table.marker, defuse=excel) for c in table.columns])
    data = buf.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if excel else data


AWKWARD_TEXT = ["", " ", "a,b", 'say "hi"', "line\nbreak", "cr\ronly", "=1+1", "-负", "合成", "\t"]


@pytest.mark.parametrize("part_rows", [None, 1, 3, 7])
@pytest.mark.parametrize("seed", range(6))
def test_columns_taken_whole_give_the_csv_the_csv_module_gives(seed, part_rows, monkeypatch):
    """A column of plain text or integers is taken whole, and a table none of whose fields
    needs quoting is joined line by line: the bytes are those of the ``csv`` module writing
    each cell, whatever mix of values, markers and awkward text a column holds."""
    if part_rows is not None:  # written a few rows at a time: some parts quoted, some not
        monkeypatch.setattr(csvtext, "PART_ROWS", part_rows)
    rng = random.Random(seed)
    plain = seed % 2 == 0  # half the tables hold no field that needs quoting
    texts = [t for t in AWKWARD_TEXT if not plain or not any(ch in t for ch in ',"\r\n')]
    columns = [
        Column("id", "string", "编号", ""),
        Column("n", "integer", "户数", "", suppressed=True),
        Column("amount", "number", "金额", ""),
        Column("day", "date", "日期", ""),
        Column("ok", "boolean", "是否", ""),
    ]
    pools = {
        "id": [f"合成-{i}" for i in range(5)],
        "n": list(range(-3, 30)),
        "amount": [0, 7, 10**20, 0.5, 1e16, -0.0],
        "day": ["2026-01-31", "2026-02-01"],
        "ok": [True, False],
    }
    rows = []
    for _ in range(40):
        row = {}
        for c in columns:
            pick = rng.random()
            if seed >= 2 and pick < 0.15:  # the first tables: every column of one type
                row[c.name] = rng.choice([None, NOT_RECORDED, WITHHELD])
            elif seed >= 2 and c.name == "id" and pick < 0.4:
                row[c.name] = rng.choice(texts)
            else:
                row[c.name] = rng.choice(pools[c.name])
        rows.append(row)
    table = Table("fake", "合成表（测试）", "合成数据", columns, rows, ["id"], [], 5)
    assert csv_bytes(table) == reference_csv(table, excel=False)
    assert csv_bytes(table, excel=True) == reference_csv(table, excel=True)
    parts = list(csvtext.csv_parts(table))
    assert len(parts) == (1 if part_rows is None else -(-len(rows) // part_rows))
    if part_rows is not None and not plain and seed >= 2:  # parts written both ways
        quoted = [b'"' in p for p in parts]
        assert any(quoted) and not all(quoted)
    single = Table("one", "单列表（测试）", "", columns[:1], [{"id": ""}, {"id": "合成"}], ["id"])
    assert csv_bytes(single) == reference_csv(single, excel=False)  # the empty field is quoted
    assert csv_bytes(single).splitlines()[1] == b'""'
    none = Table("none", "空表（测试）", "", columns, [], ["id"])
    for excel in (False, True):
        assert csv_bytes(none, excel=excel) == reference_csv(none, excel=excel)


def test_a_value_repeated_or_equal_across_types_keeps_its_own_text():
    """A column's values are converted once per distinct value where only values of one type
    can be equal (text, integers, the markers); 1, 1.0 and True are equal in Python but not
    in the file, so a column holding them converts each value as it comes."""
    columns = [
        Column("id", "string", "编号", ""),
        Column("n", "integer", "户数", "", suppressed=True),
        Column("amount", "number", "金额", ""),
        Column("flag", "boolean", "是否", ""),
    ]
    rows = []
    for i in range(300):
        rows.append(
            {
                "id": ["合成-1", "=1+1", "-负", "", None, WITHHELD, NOT_RECORDED][i % 7],
                "n": [1, True, 0, False, None, WITHHELD][i % 6],
                "amount": [1, 1.0, True, 0, 0.0, False, NOT_RECORDED, 2.5][i % 8],
                "flag": [True, 1, False, 0, None][i % 5],
            }
        )
    table = Table("mixed", "混合表（测试）", "合成数据", columns, rows, ["id"], [], 5)
    for excel in (False, True):
        assert csv_bytes(table, excel=excel) == reference_csv(table, excel=excel)
    texts = [line.split(b",")[2] for line in csv_bytes(table).splitlines()[1:9]]
    assert texts == [b"1", b"1.0", b"True", b"0", b"0.0", b"False", b"", b"2.5"]
