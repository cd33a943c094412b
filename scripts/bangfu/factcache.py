"""The parse cache's facts as columns: for every entry of the cache (``cache.ParseCache``),
its rows of each fact table (``facts.SCHEMA``), kept beside it as one Arrow file
(``facts-<fingerprint>.arrow``), read whole when a command first makes figures.

Each fact table is one column of lists: the list at position ``i`` holds the rows of the
cache's ``i``-th entry, typed as the table. A record taken from the cache knows its entry's
position (``Record.cell``); the fact tables of a model are then the lists of its records'
positions, taken in the model's order and laid flat, without a Python object per row
(``facts.from_model``). At 500,000 households the records' facts, decoded one by one, took
10.6 s and the process grew to 6.4 GB; taken from here, 3.0 s and 5.9 GB.

The file is written after the whole parse cache is (``write``), from the previous file's lists
for the entries that stayed and the facts of the new entries, and names the parse cache's
write time and size: it is used only with that cache (``read``), and a missing, foreign or
damaged file is ignored (the records' own facts are read instead). A journal written beside
the cache (few files changed: ``cache.ParseCache``) leaves both files as they are: its entries
have no position here, and their records add their own facts."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .cache import ParseCache
from .facts import SCHEMA, facts_of, text_struct
from .record import IN_COLUMNS, Record, unpack_facts
from .writes import temp_path

__all__ = ["Columns", "Lists", "read", "write"]

# the schema's metadata: the parse cache's write time and number of entries
WRITTEN, COUNT = b"bangfu.written", b"bangfu.entries"


class Lists:
    """Rows of many entries (or records), one list per entry per table: ``add`` each one's
    facts in turn, ``arrays`` gives the list arrays."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {name: [] for name in SCHEMA}
        self.offsets: dict[str, list[int]] = {name: [0] for name in SCHEMA}

    def add(self, facts: dict[str, list]) -> None:
        for name, rows in self.rows.items():
            got = facts.get(name)
            if got:
                rows.extend(got)
            self.offsets[name].append(len(rows))

    def arrays(self) -> dict[str, pa.Array]:
        """Per table, the list of each entry's rows, typed as the table (dates parsed)."""
        return {
            name: pa.ListArray.from_arrays(
                pa.array(self.offsets[name], type=pa.int32()),
                pa.array(self.rows[name], type=text_struct(schema)).cast(pa.struct(schema)),
            )
            for name, schema in SCHEMA.items()
        }


class Columns:
    """The facts of every entry of one parse cache, as written beside it: ``cell(key)``, an
    entry's position; ``lists()``, per table, position → rows, read at first use (a command
    that makes no figures never reads them); None when the file has changed since."""

    def __init__(self, path: Path, meta: dict, keys) -> None:
        self.path, self.meta = path, meta
        self.size = int(meta[COUNT])
        self._cells = {k: i for i, k in enumerate(keys)}
        self._lists: dict[str, pa.ChunkedArray] | None = None

    def lists(self) -> dict[str, pa.ChunkedArray] | None:
        if self._lists is None:
            self._lists = self._read(tuple(SCHEMA))
        return self._lists

    def _read(self, names: tuple[str, ...]) -> dict[str, pa.ChunkedArray] | None:
        """The lists of the tables ``names`` (only theirs are read); None: not readable."""
        with contextlib.suppress(OSError, pa.ArrowException, ValueError):
            # read, not mapped: a file changed in place under a map would end the process
            with pa.OSFile(str(self.path)) as source:
                schema = pa.ipc.open_file(source).schema
                fields = [schema.get_field_index(name) for name in names]
                options = pa.ipc.IpcReadOptions(included_fields=fields)
                table = pa.ipc.open_file(source, options=options).read_all()
            if _fits(schema, self.meta) and table.num_rows == self.size:
                return {name: table.column(name) for name in names}
        return None

    def cell(self, key: bytes) -> int:
        return self._cells.get(key, -1)

    def place(self, rec: Record, key: bytes) -> None:
        """Point a record loaded from the cache entry ``key`` at that entry's lists, where
        these columns hold them: its facts are then read from here (``IN_COLUMNS``)."""
        rec.cell = self._cells.get(key, -1)
        if rec.cell >= 0:
            rec.facts = IN_COLUMNS

    def fields_at(self, name: str, cells: list[int], fields: tuple[str, ...]) -> pa.Table | None:
        """The fields ``fields`` of every row of the table ``name`` in the entries at
        ``cells``, laid flat (no Python object per row): only those fields are taken, not the
        rows, and only that table is read where the lists are not yet (``lists``); None: the
        columns could not be read."""
        columns = self._lists or self._read((name,))
        if columns is None:
            return None
        where = pa.array(cells, type=pa.int64())
        taken = []
        for field in fields:
            lists = pa.chunked_array(
                [
                    pa.ListArray.from_arrays(c.offsets, pc.struct_field(c.values, field))
                    for c in columns[name].chunks
                ],
                type=pa.list_(SCHEMA[name].field(field).type),
            )
            taken.append(lists.take(where).combine_chunks().flatten())
        return pa.table(taken, names=list(fields))

    def tables(self, records: list[Record]) -> dict[str, pa.Table] | None:
        """The fact tables of ``records``, in their order (``facts.from_model``): a record
        loaded from the cache with these columns adds its entry's lists, the others (parsed
        now, or whose facts were let go) their own facts. None: the columns could not be
        read (the records' facts are read instead)."""
        columns = self.lists()
        if columns is None:
            return None
        fresh, cells, n = Lists(), [], self.size
        for rec in records:
            if rec.cell >= 0 and rec.facts is not None:
                cells.append(rec.cell)
            else:
                cells.append(n)
                n += 1
                fresh.add(facts_of(rec))
        extra = fresh.arrays()
        where = pa.array(cells, type=pa.int64())
        out = {}
        for name, lists in columns.items():
            both = pa.chunked_array([*lists.chunks, extra[name]], type=lists.type)
            rows = both.take(where).combine_chunks().flatten()
            out[name] = pa.Table.from_struct_array(rows).cast(SCHEMA[name])
        return out

    def latest_days(self, cells: list[int]) -> list[dt.date] | None:
        """The latest report submission and the latest entry date in the entries at
        ``cells`` (``pipeline.last_update``), each where there is one; None: the columns
        could not be read. Every table's lists are read (the figures read them next); only
        the two date fields are taken (``fields_at``)."""
        if self.lists() is None:
            return None
        out = []
        for name, field in (("report", "submitted"), ("entry", "date")):
            days = self.fields_at(name, cells, (field,))
            latest = pc.max(days[field]).as_py() if days is not None else None
            if latest is not None:
                out.append(latest)
        return out


def path_of(store: ParseCache) -> Path | None:
    if store.path is None:
        return None
    return store.path.with_name(
        store.path.name.replace("parse-", "facts-", 1).replace(".marshal", ".arrow")
    )


def _fits(schema: pa.Schema, meta: dict) -> bool:
    """Whether a columns file's schema is this code's, with the metadata ``meta``."""
    types = {name: pa.list_(pa.struct(table)) for name, table in SCHEMA.items()}
    return {f.name: f.type for f in schema} == types and (schema.metadata or {}) == meta


def read(store: ParseCache) -> Columns | None:
    """The columns written with this parse cache (their schema read, their lists when first
    used); None where there are none, or they were written with another cache or in another
    form."""
    path = path_of(store)
    if path is None or not store.entries:
        return None
    meta = _meta(store)
    try:
        with pa.OSFile(str(path)) as source:
            schema = pa.ipc.open_file(source).schema
    except (OSError, pa.ArrowException, ValueError):
        return None
    keys = itertools.islice(store.entries, store.base_count)  # a journal's entries have none
    return Columns(path, meta, keys) if _fits(schema, meta) else None


def _meta(store: ParseCache) -> dict:
    return {WRITTEN: str(store.written_ns).encode(), COUNT: str(store.base_count).encode()}


def write(store: ParseCache, old: Columns | None, parsed: dict[bytes, object]) -> None:
    """Write the columns of the parse cache just saved (``ParseCache.save``): the lists of
    the entries that ``old`` (the columns read with the cache before) holds, taken from it,
    and the new entries' from their facts: as ``parsed`` holds them (entry key → facts of a
    file parsed in this load), else decoded from the cache. Nothing is kept where it cannot
    be written."""
    path = path_of(store)
    if path is None:
        return
    kept: list[int] = []  # the old lists of the first entries (the cache's order is kept)
    new = Lists()  # the rest's, from their facts
    lists = old.lists() if old is not None else None
    taking = lists is not None
    for key, result in store.entries.items():  # entries that stayed first, in their order
        cell = old.cell(key) if taking and old is not None else -1
        if cell >= 0:
            kept.append(cell)
            continue
        taking = False  # from here on, every entry's lists come from its facts
        facts = parsed.get(key)
        if facts is None and type(result) is tuple and len(result) == 4:
            facts = result[3]
        new.add(unpack_facts(facts) or {})
    arrays = new.arrays()
    columns = {}
    for name, schema in SCHEMA.items():
        taken = lists[name].take(pa.array(kept, pa.int64())) if lists and kept else None
        chunks = list(taken.chunks) if taken is not None else []
        columns[name] = pa.chunked_array([*chunks, arrays[name]], pa.list_(pa.struct(schema)))
    table = pa.table(columns).replace_schema_metadata(_meta(store))
    # streamed to a staging file (private, as the cache's), then renamed over the old one
    tmp = temp_path(path)
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, path)
    except (OSError, pa.ArrowException):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return
    for other in path.parent.glob("facts-*.arrow"):  # written for other schemas or code
        if other != path:
            with contextlib.suppress(OSError):
                other.unlink()
