"""What every open-data table module (``tables_places``, ``tables_plans``, ``tables_progress``)
builds on: the ``Builder`` (records, store, columns) and the small helpers for their columns."""

from __future__ import annotations

from collections import defaultdict
from operator import itemgetter
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


def amount_sql(column: str) -> str:
    """``column`` (a DECIMAL sum) as two columns for ``amount_of``: the whole number when it is
    one (an integer fetched as it is), else the decimal. DuckDB hands a DECIMAL over as a
    ``Decimal`` object: at 900,000 rows, fetching the amounts as decimals took 1.4 s, as whole
    numbers where they are whole 0.6 s, besides ``yuan`` on each."""
    whole = f"({column} = trunc({column}) AND abs({column}) < 1e15)"
    return f"CASE WHEN {whole} THEN CAST({column} AS BIGINT) END, CASE WHEN NOT {whole} THEN {column} END"


def amount_of(whole, part):
    """The two columns of ``amount_sql`` as ``amount`` gives the decimal: the same number."""
    return whole if whole is not None else amount(part)


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
        # names and a village's place names, looked up once: a table of progress names the
        # same few thousand villages and plans on hundreds of thousands of rows
        self._names: dict[tuple[str, str], str | None] = {}
        self._places: dict[str, dict] = {}

    def pub(self, kind: str, rec) -> dict:
        key = (kind, rec.file)
        if key not in self._pub:
            self._pub[key] = project(self.schemas_dir, kind, rec.data)
        return self._pub[key]

    def name(self, kind: str, id_) -> str | None:
        """The public name of a place or record (``None`` when the ledger has none), for the
        name columns that sit next to ids so that a row reads without a join."""
        if not isinstance(id_, str):
            return None
        key = (kind, id_)
        if key not in self._names:
            self._names[key] = self._name(kind, id_)
        return self._names[key]

    def _name(self, kind: str, id_: str) -> str | None:
        if kind == "village":
            v = self.m.villages.get(id_)
            return v.name if v and v.name else None
        if kind == "township":
            t = self.m.townships.get(id_)
            return t.name if t and t.name else None
        rec = self.m.get(kind, id_)
        name = self.pub(kind, rec).get("name") if valid(rec) else None
        return name if isinstance(name, str) and name else None

    def place_names(self, village: str) -> dict:
        """The village's, its township's and its county's names, for a row keyed by village
        (one dict per village: callers unpack it into their rows, never change it)."""
        if village not in self._places:
            v = self.m.villages.get(village)
            self._places[village] = {
                "village_name": self.name("village", village),
                "township_name": self.name("township", v.township) if v else None,
                "county_name": self.name("county", v.county) if v else None,
            }
        return self._places[village]

    def name_column(self, kind: str, name: str, what: str) -> Column:
        """A name column from the schemas (so it is public there), titled for ``what``."""
        parts = {
            "county": ("county", ("name",)),
            "township": ("county", ("townships", 0, "name")),
            "village": ("county", ("townships", 0, "villages", 0, "name")),
            "organization": ("organization", ("name",)),
            "plan": ("plan", ("name",)),
            "campaign": ("campaign", ("name",)),
        }[kind]
        return self.c.field(
            *parts,
            name,
            title=f"{what}名称",
            description=f"{what}的名称（与编号列对应，方便不做关联直接阅读）；台账中没有名称时留空。",
        )

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
        names = tuple(c.name for c in columns)
        # each row holds exactly the columns, in their order (a row built that way is kept)
        rows = [row if tuple(row) == names else {n: row.get(n) for n in names} for row in rows]
        rows.sort(key=_sort_key(pk))
        return Table(name, title, description, columns, rows, list(pk), list(fks), self.t)


def _sort_key(pk):
    """A row's primary key as text (rows sort by it; ``None`` sorts as "None")."""
    get = itemgetter(*pk)
    if len(pk) == 1:
        return lambda row: (str(get(row)),)
    return lambda row: tuple(map(str, get(row)))


def group(rows, key) -> dict:
    out = defaultdict(list)
    for r in rows:
        out[key(r)].append(r)
    return out
