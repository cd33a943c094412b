"""Every public table as Parquet, typed by its table schema.

Columns follow ``Column.type`` (integer → int64, number → double, boolean → bool, date →
date32, string → UTF-8). An empty CSV cell (台账中无记录, or no value) is a null. The CSV writes
a withheld figure as the marker (``*``) in a numeric column; Parquet has no such text, so a
withheld figure is a null *and* ``true`` in a companion boolean column ``<column>_suppressed``
that follows it: null + false is 台账中无记录, null + true is 不公开.

The file is the same bytes for the same table: no pandas metadata, fixed writer options, and
pyarrow's ``created_by`` names only its version.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from ..aggregate import NOT_RECORDED, WITHHELD, Column, Table
from .packed import Packed, values_of

MEDIATYPE = "application/vnd.apache.parquet"
SUPPRESSED_SUFFIX = "_suppressed"
_TYPES = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "string": pa.string(),
}


class ParquetValueError(ValueError):
    """A value the column's type cannot hold (only possible for unchecked data)."""

    def __init__(self, table: str, column: str):
        super().__init__(f"表 {table} 的列 {column} 中有不是该类型的值，无法写成 Parquet")
        self.table, self.column = table, column


def flag_name(column: str) -> str:
    return column + SUPPRESSED_SUFFIX


def fields(table: Table) -> list[dict]:
    """The Parquet file's columns as Table Schema fields (for datapackage.json)."""
    out = []
    for col in table.columns:
        out.append({"name": col.name, "type": col.type, "title": col.title})
        if col.suppressed:
            out.append(
                {
                    "name": flag_name(col.name),
                    "type": "boolean",
                    "title": f"{col.title}不公开",
                    "description": (
                        f"为 true 时 {col.name} 为空，表示这个数字不公开"
                        f"（CSV 中写作“{table.marker}”）；为 false 且 {col.name} 为空时表示台账中无记录。"
                    ),
                }
            )
    return out


def describe(table: Table) -> str:
    flags = [flag_name(c.name) for c in table.columns if c.suppressed]
    text = (
        f"{table.title}（{table.name}.csv）的 Parquet 版本：同样的行和列，列的类型按表结构"
        "（integer、number、boolean、date、string），CSV 中的空单元格为空值（null）。"
    )
    if flags:
        text += (
            f"不公开的数字（CSV 中的“{table.marker}”）也是空值，并在紧随其后的布尔列"
            f"（{'、'.join(flags)}）中为 true；该列为 false 而数字为空时表示台账中无记录。"
        )
    return text


def _missing(v) -> bool:
    return v is None or v is NOT_RECORDED or v is WITHHELD


def _date(table: Table | Packed, col: Column):
    def convert(value):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ParquetValueError(table.name, col.name) from None

    return convert


def typed_values(table: Table | Packed, col: Column, values: list) -> list:
    """The values of a column as its type holds them, converted in one pass (the type is
    looked at once per column); an empty text is an empty CSV cell: a missing value."""
    kind = col.type
    try:
        if kind == "integer":
            return [None if _missing(v) else int(v) for v in values]
        if kind == "number":
            return [None if _missing(v) else float(v) for v in values]
        if kind == "boolean":
            return [None if _missing(v) else bool(v) for v in values]
        if kind == "date":
            date = _date(table, col)
            return [None if _missing(v) else date(v) for v in values]
        return [None if _missing(v) else (str(v) or None) for v in values]
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, ParquetValueError):
            raise
        raise ParquetValueError(table.name, col.name) from None


def typed_columns(table: Table | Packed) -> list[tuple[str, str, list]]:
    """Every column of the Parquet file and the SQLite table, in order: name, type and typed
    values; a column that can be withheld is followed by its ``_suppressed`` flags."""
    out = []
    for col in table.columns:
        name = col.name
        column = values_of(table, name)
        out.append((name, col.type, typed_values(table, col, column)))
        if col.suppressed:
            out.append((flag_name(name), "boolean", [v is WITHHELD for v in column]))
    return out


def arrow_table(table: Table | Packed) -> pa.Table:
    arrays, names = [], []
    for name, kind, values in typed_columns(table):
        try:
            arrays.append(pa.array(values, _TYPES[kind]))
        except (TypeError, ValueError, OverflowError, pa.ArrowException):
            raise ParquetValueError(table.name, name) from None
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def parquet_bytes(table: Table | Packed) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(
        arrow_table(table),
        sink,
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=True,
        row_group_size=1 << 20,
        version="2.6",
    )
    return sink.getvalue().to_pybytes()
