"""The workbook's cells (``xlsx``): what the writer is given for each value of a column, and a
sheet's rows as it takes them (``records``), converted column by column.

A text cell is text a workbook can hold (characters it cannot hold replaced, at most Excel's
length); a number a number (inf, nan or a huge integer a text note); an ISO date a date;
台账中无记录 an empty cell; a withheld figure the table's marker. A column whose every value
is already its cell is taken as it is, checked once for the whole column."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction

from ..aggregate import NOT_RECORDED, WITHHELD, Column

_HUGE = 10**15  # integers from here on are written as a note (Excel keeps 15 digits)
# characters XML 1.0 (and so a workbook) cannot hold. The checker refuses them in records, so
# they only reach here by a bug, and must not stop publication.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EXCEL_MAX_TEXT = 32_767


def text(value: str) -> str:
    """Text a workbook can hold: characters it cannot store replaced, at most Excel's length
    (formula-like text is kept exactly and written as a quote-prefixed text cell)."""
    value = ILLEGAL.sub("\ufffd", value)
    return value[:_EXCEL_MAX_TEXT]


def _text_cell(marker: str):
    """A text column's value: text (at most Excel's length, characters a workbook cannot hold
    replaced); NOT_RECORDED (台账中无记录) an empty cell; a withheld value the marker."""

    def cell(value):
        if value is None or value is NOT_RECORDED:
            return None
        if value is WITHHELD:
            return marker
        return text(value if type(value) is str else str(value))

    return cell


def _number_cell(marker: str):
    """A number as a number; inf, nan or a huge integer a text note; anything else (only by
    a bug) its text."""

    def cell(value):
        kind = type(value)
        if kind is int:
            return value if -_HUGE < value < _HUGE else "数值过大"
        if kind is float:
            return value if math.isfinite(value) else "非有限数"
        if value is None or value is NOT_RECORDED:
            return None
        if value is WITHHELD:
            return marker
        if kind is bool:
            return value
        if isinstance(value, int):
            return int(value) if -_HUGE < value < _HUGE else "数值过大"
        if isinstance(value, float | Decimal | Fraction):
            return float(value) if math.isfinite(value) else "非有限数"
        return text(str(value))

    return cell


def _date_cell(marker: str):
    """An ISO date as an Excel date; text that is not one stays text."""
    text = _text_cell(marker)

    def cell(value):
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        return text(value)

    return cell


_CELLS = {"string": _text_cell, "date": _date_cell}


def _plain_texts(values: list) -> bool:
    """Whether every value of a text column is text the workbook holds as it is, or no value
    (the writer takes each as it is: ``_text_cell``'s result)."""
    texts = [v for v in values if v is not None] if None in values else values
    return not ILLEGAL.search("\n".join(texts)) and max(map(len, texts), default=0) <= (
        _EXCEL_MAX_TEXT
    )


def _plain_numbers(values: list, kinds: set) -> bool:
    """Whether every value of a number column is a finite number or integer in range, a
    boolean, or no value (the writer takes each as it is: ``_number_cell``'s result)."""
    nums = [v for v in values if v is not None] if type(None) in kinds else values
    if not nums:
        return True
    if not (min(nums) > -_HUGE and max(nums) < _HUGE):
        return False
    return float not in kinds or all(map(math.isfinite, nums))


def _cells(column: Column, values: list, marker: str) -> list:
    """A column's cells as the writer takes them: the values themselves where each is already
    what its cell function gives (checked once for the whole column), else each converted."""
    kinds = set(map(type, values))
    if column.type == "string":
        plain = kinds <= {str, type(None)} and _plain_texts(values)
    else:
        numbers = column.type not in _CELLS and kinds <= {int, float, bool, type(None)}
        plain = numbers and _plain_numbers(values, kinds)
    if plain:
        return values
    return list(map(_CELLS.get(column.type, _number_cell)(marker), values))


def records(keys: list[str], columns, rows, marker: str) -> Iterator[dict]:
    """The rows (tuples in column order) as the writer takes them, one dict per row, built
    from the sheet's columns converted one at a time (``_cells``). A sheet of no rows gets one
    empty row, so that its header is written."""
    if not rows:
        return iter([dict.fromkeys(keys)])
    if not keys:  # a table of no columns: an empty row for each
        return iter([{} for _ in rows])
    cells = [
        _cells(c, list(values), marker)
        for c, values in zip(columns, zip(*rows, strict=True), strict=True)
    ]
    return map(dict, map(functools.partial(zip, keys), zip(*cells, strict=True)))
