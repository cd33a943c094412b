"""What ``parse`` makes of one form sheet: typed values, each with the cell it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from .forms import Form

Where = tuple[str, int, int, str]  # sheet, row, column, header


@dataclass(slots=True)
class Value:
    value: object
    row: int
    col: int
    header: str


@dataclass(slots=True)
class Row:
    row: int
    values: dict[str, Value]

    def get(self, key: str) -> object:
        v = self.values.get(key)
        return None if v is None else v.value

    def text(self, key: str) -> str | None:
        """A text, choice, date or period cell's value (those are strings)."""
        v = self.get(key)
        return v if isinstance(v, str) else None


@dataclass(slots=True)
class Parsed:
    form: Form
    sheet: str
    title_row: int
    fields: dict[str, Value] = field(default_factory=dict)
    field_rows: dict[str, tuple[int, str]] = field(default_factory=dict)  # key → (row, label)
    sections: dict[str, list[Row]] = field(default_factory=dict)

    def get(self, key: str) -> object:
        v = self.fields.get(key)
        return None if v is None else v.value

    def text(self, key: str) -> str | None:
        """A text, choice, date or period field's value (those are strings)."""
        v = self.get(key)
        return v if isinstance(v, str) else None

    def at(self, key: str) -> tuple[int, int, str]:
        """Row, column and header of a header-block field (column B)."""
        row, label = self.field_rows.get(key, (self.title_row, ""))
        return row, 2, label

    def cell(self, key: str) -> Where:
        """The cell of a header-block field."""
        return (self.sheet, *self.at(key))

    def where(self, r: Row, key: str) -> Where:
        """The cell of ``key`` in a section row: where its value came from, or its column
        when it was left empty (column A when the section has no such column)."""
        v = r.values.get(key)
        if v is not None:
            return self.sheet, v.row, v.col, v.header
        for sec in self.form.sections:
            for ci, col in enumerate(sec.columns, start=1):
                if col.key == key:
                    return self.sheet, r.row, ci, col.header
        return self.sheet, r.row, 1, ""
