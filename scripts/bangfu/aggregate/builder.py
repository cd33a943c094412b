"""What every open-data table module (``tables_places``, ``tables_plans``, ``tables_progress``)
builds on: the ``Builder`` (records, store, columns) and the small helpers for their columns."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ..public import project
from .columns import NOT_RECORDED, Cols, Column, Table, yuan


def fk(column: str, resource: str, target: str | None = None) -> dict:
    return {"fields": [column], "reference": {"resource": resource, "fields": [target or "id"]}}


def valid(rec) -> bool:
    return rec is not None and isinstance(rec.data, dict) and rec.id is not None


def amount(v):
    """A decimal sum from the store as a plain number; None stays None."""
    return None if v is None else yuan(v)


class Builder:
    """What every table reads: the model's records (for descriptive columns), the store (for
    figures) and the columns' definitions."""

    def __init__(self, store, model, schemas_dir: Path, threshold: int):
        self.store = store
        self.m = model
        self.schemas_dir = Path(schemas_dir)
        self.t = threshold
        self.c = Cols(self.schemas_dir)
        self._pub: dict[tuple[str, str], dict] = {}

    def pub(self, kind: str, rec) -> dict:
        key = (kind, rec.file)
        if key not in self._pub:
            self._pub[key] = project(self.schemas_dir, kind, rec.data)
        return self._pub[key]

    def records(self, kind: str) -> list:
        return [r for _, r in sorted(self.m.by_kind[kind].items()) if valid(r)]

    def keyed(self, sql: str) -> dict:
        """First column → the row's other columns (a tuple), or the value when only one."""
        out = {}
        for row in self.store.rows(sql):
            out[row[0]] = row[1] if len(row) == 2 else row[1:]
        return out

    def recorded(self, value):
        """A household count of the store: NULL means the county holds no household record."""
        return NOT_RECORDED if value is None else value

    def place_counts(self, row: tuple | None, n: int) -> list:
        """The first ``n`` household counts of a place's figures row (every place has one)."""
        return [self.recorded(v) for v in (row or (None,) * n)[:n]]

    def table(self, name, title, description, columns: list[Column], rows, pk, fks=()) -> Table:
        names = [c.name for c in columns]
        rows = [{n: row.get(n) for n in names} for row in rows]
        rows.sort(key=lambda r: tuple(str(r[k]) for k in pk))
        return Table(name, title, description, columns, rows, list(pk), list(fks), self.t)


def group(rows, key) -> dict:
    out = defaultdict(list)
    for r in rows:
        out[key(r)].append(r)
    return out
