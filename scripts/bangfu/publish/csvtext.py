"""The package's CSV files: the canonical CSV (UTF-8, LF, field names, values exactly as
recorded) and the copy for spreadsheet users (BOM, CRLF, Chinese titles, formula-like text
neutralised).

A value's text depends only on its column's type, so each column's converter is chosen once
and the table is converted column by column; the two copies share every column but the text
ones. An empty cell is 台账中无记录 (or no value) and the marker a withheld figure, both
declared missing values of the table schema.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from decimal import Decimal

from ..aggregate import NOT_RECORDED, WITHHELD, Column, Table
from .formulas import neutralise
from .packed import Packed, values_of

BOM = b"\xef\xbb\xbf"


def _number(value) -> str:
    """A number's text without an exponent: an integer as it is, any other number by its
    shortest round-trip form (Python's ``repr`` of the float)."""
    if type(value) is float:
        text = repr(value)
        if "e" not in text and "n" not in text:  # no exponent, not inf or nan
            return text
    if isinstance(value, int):
        return str(value)
    return format(Decimal(repr(float(value))), "f")


def _text_of(kind: str, defuse: bool) -> Callable[[object], str]:
    """How a recorded value of a column of type ``kind`` is written."""
    if kind == "boolean":
        return lambda v: "true" if v else "false"
    if kind == "integer":
        return lambda v: str(int(v))  # type: ignore[call-overload]
    if kind == "number":
        return _number
    if kind == "string" and defuse:
        return lambda v: neutralise(str(v))
    return str  # date, string


def converter(column: Column, marker: str, *, defuse: bool = False) -> Callable[[object], str]:
    """The CSV text of a value of ``column``; with ``defuse`` (the Excel copy) formula-like
    text is neutralised. Numbers stay numbers either way."""
    text = _text_of(column.type, defuse)

    def cell(value) -> str:
        if value is None or value is NOT_RECORDED:
            return ""  # 台账中无记录: a declared missing value
        if value is WITHHELD:
            return marker  # withheld by disclosure control: a declared missing value
        return text(value)

    return cell


def cell(column: Column, value, marker: str, *, defuse: bool = False) -> str:
    """The CSV text of one value (``converter`` of its column)."""
    return converter(column, marker, defuse=defuse)(value)


# the types of a column's values that may share one text per distinct value (``_column``)
_ONE_TYPE_EQUAL = frozenset({str, int, type(None), type(NOT_RECORDED), type(WITHHELD)})


def _column(
    table: Table | Packed, column: Column, values: list, *, defuse: bool = False
) -> list[str]:
    """The texts of ``values`` (some of the rows of ``column``)."""
    kinds = set(map(type, values))
    if kinds == {str} and _text_of(column.type, defuse) is str:
        return values  # text written as it is: checked once for the whole column
    if kinds == {int} and column.type in ("integer", "number"):
        return list(map(str, values))  # an integer's text, whichever way its column is typed
    convert = converter(column, table.marker, defuse=defuse)
    if kinds <= _ONE_TYPE_EQUAL:
        # values equal only within one type (no bool beside 1, no 1.0): each distinct value
        # converted once (a plan's id, name and period repeat on each of its rows: at 200,000
        # households, report_entries has 1,064,934 rows, 30,000 plans, 12 periods, 10 kinds)
        text = {v: convert(v) for v in set(values)}
        return list(map(text.__getitem__, values))
    return list(map(convert, values))


_QUOTED = re.compile(r'[,"\r\n]')  # a field holding one of these is quoted (QUOTE_MINIMAL)


def _plain(header: list[str], columns: list[list[str]]) -> bool:
    """Whether no field needs quoting, so each line is its fields joined by commas, as the
    ``csv`` writer would write them (which also quotes the one empty field of a row of one
    column: such a table is left to it)."""
    if len(header) < 2:
        return False
    return not any(_QUOTED.search("\x00".join(texts)) for texts in (header, *columns))


def _lines(header: list[str], columns: list[list[str]], end: str, first: bool) -> str:
    """The CSV text of some rows (given as columns), after the header line when ``first``.
    Rows are written alike whichever way (the ``csv`` writer's or joined by commas), so the
    rows of a table may be written a part at a time."""
    if _plain(header, columns):
        body = end.join(map(",".join, zip(*columns, strict=True)))
        return (",".join(header) + end if first else "") + (body + end if columns[0] else "")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=end, quoting=csv.QUOTE_MINIMAL)
    if first:
        w.writerow(header)
    w.writerows(zip(*columns, strict=True))
    return buf.getvalue()


# rows converted and encoded at a time (``csv_parts``): at 500,000 households report_entries
# has 3.9 million rows, and its file made at once held about 1 GB of the process writing it
PART_ROWS = 100_000


def csv_parts(table: Table | Packed, *, excel: bool = False) -> Iterator[bytes]:
    """The canonical CSV (with ``excel``, the copy for spreadsheet users), in parts of at most
    ``PART_ROWS`` rows: their bytes joined are the file."""
    header = [c.title if excel else c.name for c in table.columns]
    end = "\r\n" if excel else "\n"
    rows = table.rows
    for start in range(0, max(len(rows), 1), PART_ROWS):
        part = rows[start : start + PART_ROWS]
        columns = [
            _column(table, c, values_of(table, c.name, part), defuse=excel) for c in table.columns
        ]
        data = _lines(header, columns, end, start == 0).encode("utf-8")
        yield BOM + data if excel and start == 0 else data


def csv_bytes(table: Table | Packed, *, excel: bool = False) -> bytes:
    """The canonical CSV, or with ``excel`` the copy for spreadsheet users."""
    return b"".join(csv_parts(table, excel=excel))
