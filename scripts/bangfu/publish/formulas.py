"""Text a spreadsheet would run as a formula: recognised here once, for the Excel copies of
the CSV files (``csvtext``). The workbook (``xlsx``) needs no such change: its text cells are
quote-prefixed, so a spreadsheet keeps them as text."""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: str) -> bool:
    """Text a spreadsheet would run as a formula if typed into a cell."""
    return value.startswith(FORMULA_PREFIXES)


def neutralise(value: str) -> str:
    """For spreadsheet-oriented copies only: a formula-like text cell gets a leading
    apostrophe. The canonical CSV keeps every value exactly as recorded."""
    return "'" + value if formula_like(value) else value
