"""Every public table in one SQLite file (for Datasette and SQL users), typed by its table
schema, with the same rows in the same order as the CSV files.

Columns follow ``Column.type`` (integer → INTEGER, number → REAL, boolean → INTEGER 0/1,
date and string → TEXT). An empty CSV cell (台账中无记录) is NULL; a withheld figure is NULL
*and* 1 in the companion column ``<column>_suppressed`` that follows it, as in the Parquet
files. Primary and foreign keys are declared (not enforced), so Datasette links the tables.
A table ``_columns`` holds the data dictionary (table, column, type, title, description).

The same tables give the same bytes: the file is written with a fixed page size, no journal
and no timestamps, then rebuilt by ``VACUUM INTO`` so the pages are laid out from the rows
alone; the header's change counters are those of a fresh file.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from ..aggregate import Table
from .packed import Packed
from .parquet import flag_name, typed_columns

FILENAME = "bangfu-tables.sqlite"
RESOURCE = "bangfu-tables-sqlite"
MEDIATYPE = "application/vnd.sqlite3"
PAGE_SIZE = 4096
DICTIONARY = "_columns"
_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT"}


class SqliteValueError(ValueError):
    """Two rows with the same primary key (only possible for unchecked data)."""

    def __init__(self, table: str):
        super().__init__(f"表 {table} 中有主键重复的行，无法写成 SQLite")
        self.table = table


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _create(table: Table | Packed) -> str:
    cols = []
    for col in table.columns:
        cols.append(f"{_q(col.name)} {_TYPES.get(col.type, 'TEXT')}")
        if col.suppressed:
            cols.append(f"{_q(flag_name(col.name))} INTEGER NOT NULL")
    if table.primary_key:
        cols.append(f"PRIMARY KEY ({', '.join(_q(k) for k in table.primary_key)})")
    for fk in table.foreign_keys:
        ref = fk["reference"]
        cols.append(
            f"FOREIGN KEY ({', '.join(_q(f) for f in fk['fields'])}) REFERENCES "
            f"{_q(ref['resource'])} ({', '.join(_q(f) for f in ref['fields'])})"
        )
    return f"CREATE TABLE {_q(table.name)} (\n  " + ",\n  ".join(cols) + "\n)"


def _rows(table: Table | Packed):
    """The table's rows as SQLite takes them: the Parquet file's typed columns, a date as its
    ISO text (sqlite3 stores a boolean as the integer 0 or 1 by itself; its date adapter is
    deprecated, so dates are not left to it)."""
    columns = []
    for _, kind, values in typed_columns(table):
        if kind == "date":
            values = [None if v is None else v.isoformat() for v in values]
        columns.append(values)
    return zip(*columns, strict=True)


def _dictionary(tables: dict[str, Table] | dict[str, Packed]):
    for name, t in tables.items():
        for col in t.columns:
            yield (name, col.name, col.type, col.title, col.description)
            if col.suppressed:
                yield (
                    name,
                    flag_name(col.name),
                    "boolean",
                    f"{col.title}不公开",
                    f"为 1 时 {col.name} 为空，表示这个数字不公开（CSV 中写作“{t.marker}”）；"
                    f"为 0 且 {col.name} 为空时表示台账中无记录。",
                )


def write_sqlite(tables: dict[str, Table] | dict[str, Packed], path: Path) -> None:
    """Write the SQLite file of ``tables`` at ``path`` (which must not exist): the same bytes
    for the same tables, packed or not. The rows are inserted into a work file in a temporary
    folder, which ``VACUUM INTO`` then writes out at ``path``."""
    with tempfile.TemporaryDirectory(prefix="bangfu-sqlite-") as tmp:
        work = Path(tmp) / "work.sqlite"
        con = sqlite3.connect(work, isolation_level=None)
        try:
            con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            con.execute("PRAGMA journal_mode = OFF")
            con.execute("PRAGMA synchronous = OFF")
            con.execute("BEGIN")
            for table in tables.values():
                con.execute(_create(table))
                n = len(table.columns) + sum(1 for c in table.columns if c.suppressed)
                try:
                    con.executemany(
                        f"INSERT INTO {_q(table.name)} VALUES ({', '.join('?' * n)})",
                        _rows(table),
                    )
                except sqlite3.IntegrityError:
                    raise SqliteValueError(table.name) from None
            con.execute(
                f'CREATE TABLE {DICTIONARY} ("table" TEXT, "column" TEXT, type TEXT,'
                ' title TEXT, description TEXT, PRIMARY KEY ("table", "column"))'
            )
            con.executemany(f"INSERT INTO {DICTIONARY} VALUES (?, ?, ?, ?, ?)", _dictionary(tables))
            con.execute("COMMIT")
            con.execute("VACUUM INTO ?", [str(path)])
        finally:
            con.close()


def describe(tables: dict[str, Table]) -> str:
    return (
        "全部公开数据表的 SQLite 数据库（可用 Datasette、DB Browser for SQLite 或任何 SQL 工具打开）："
        f"每张表一个同名的表，行和列与 CSV 相同；空单元格为 NULL，不公开的数字也是 NULL，"
        "并在紧随其后的“<列名>_suppressed”列中为 1；主键和外键已声明。"
        f"{DICTIONARY} 表是数据字典（表、列、类型、标题、说明）。"
        f"共 {len(tables)} 张表：{'、'.join(tables)}。"
    )
