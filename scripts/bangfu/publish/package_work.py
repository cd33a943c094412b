"""The files of the open data package, shared out between this process and the workbook's.

The workbook is written by a fresh process that holds the tables packed (``packed``; see
``forked`` for why it is not a fork); it is the largest single file, so that process starts
with it. The packed tables reach it in a file beside the package, in a folder only this user
may enter (``write_tables``; that process removes it once read): passed as an argument, they
went through a pipe that held this process until that one had read them all (at 200,000
households, 7.5 s against 2.3–3.1 s). Every other file is a *piece* of work on one list
(``plan``), the largest first by an estimate of its cost: each table's canonical CSV, its copy
for spreadsheet users, each table's Parquet file, the SQLite database. The two CSV files are
two pieces: the last large piece decides when the package is done (at 500,000 households, the
largest table's pair was the last piece, 18 s in one process while the other sat idle for the
last 10 s of them; apart, the two processes ended their last pieces 0.1 s apart). Once the
workbook is written, the workbook's process takes pieces from the list; this process takes
them once it has nothing else to do (``Package.finish``: ``bangfu site`` first writes the
site's pages, ``bangfu export`` has nothing else). Each piece is taken by one process only: the
index of the next one is a shared counter (``forked.Counter``) that a process reads and moves
on under its lock.
Whichever process writes a file, its bytes are those of its table alone, so the package is the
same whoever took which piece; the descriptor lists the files in table order once every piece
is done.

Before, this process wrote every file but the workbook while the workbook's process, once done,
sat idle: at 500,000 households the CSV, Parquet and SQLite files took 59 s here and the
workbook 23 s there.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import collector, forked
from ..aggregate import Table
from ..config import PublishRefused
from . import parquet as parquet_mod
from . import sqlite as sqlite_mod
from .csvtext import csv_parts
from .packed import Packed, pack
from .tableschema import EXCEL_DIR, WORKBOOK, package_descriptor

DESCRIPTOR = "datapackage.json"
SQLITE = "sqlite"  # the piece writing the database (of every table)
EXCEL_CSV = "csv-excel"  # the piece writing a table's CSV copy for spreadsheet users
# estimated seconds per million cells (rows × columns) of each piece, from a profile of
# ``bangfu site`` at 200,000 households; only the order of the pieces depends on them
COST = {"csv": 5.0, EXCEL_CSV: 5.0, "parquet": 4.5, SQLITE: 9.0}
KINDS = ("csv", EXCEL_CSV, "parquet")  # the pieces of each table, in this order


@dataclass(frozen=True, slots=True)
class Piece:
    kind: str  # one of KINDS, or SQLITE
    table: str  # "" for SQLITE: the database holds every table


def plan(tables: dict[str, Table] | dict[str, Packed]) -> list[Piece]:
    """Every piece of the package but the workbook, the costliest first (ties in table order)."""
    cells = {name: len(t.rows) * max(1, len(t.columns)) for name, t in tables.items()}
    pieces = [Piece(SQLITE, "")] + [Piece(k, name) for name in tables for k in KINDS]
    cost = {
        p: COST[p.kind] * (sum(cells.values()) if p.kind == SQLITE else cells[p.table])
        for p in pieces
    }
    return sorted(pieces, key=lambda p: -cost[p])  # stable: equal costs keep their order


def _file(folder: Path, rel: str, parts: Iterable[bytes]) -> dict:
    """Write ``parts`` one after another into ``folder``/``rel``; its descriptor entry."""
    with (folder / rel).open("wb") as f:
        return _entry(rel, parts, f.write)


def _entry(
    rel: str, parts: Iterable[bytes], write: Callable[[bytes], object] | None = None
) -> dict:
    """The descriptor entry (path, bytes, hash) of the file made of ``parts``, each passed
    to ``write`` as it is hashed."""
    digest, size = hashlib.sha256(), 0
    for data in parts:
        if write is not None:
            write(data)
        digest.update(data)
        size += len(data)
    return {"path": rel, "bytes": size, "hash": "sha256:" + digest.hexdigest()}


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while data := f.read(1 << 20):
            yield data


def write_piece(piece: Piece, folder: Path, tables: dict[str, Table] | dict[str, Packed]) -> dict:
    """Write ``piece`` into ``folder``; its descriptor entry (path, bytes, hash), empty for
    the copy for spreadsheet users (the descriptor does not list it). The CSV files are
    written a part at a time (``csv_parts``) and the database from its file: none of them is
    held whole."""
    if piece.kind == SQLITE:
        # the database's columns are typed as the Parquet files' are (``typed_columns``): a
        # value its column cannot hold may be met here first
        path = folder / sqlite_mod.FILENAME
        try:
            sqlite_mod.write_sqlite(tables, path)
        except (sqlite_mod.SqliteValueError, parquet_mod.ParquetValueError) as exc:
            raise PublishRefused(f"{exc}（先运行 bangfu check 修正数据）") from None
        return _entry(path.name, _read(path))
    table = tables[piece.table]
    if piece.kind == "parquet":
        try:
            data = parquet_mod.parquet_bytes(table)
        except parquet_mod.ParquetValueError as exc:
            raise PublishRefused(f"{exc}（先运行 bangfu check 修正数据）") from None
        return _file(folder, f"{piece.table}.parquet", [data])
    if piece.kind == EXCEL_CSV:
        _file(folder, f"{EXCEL_DIR}/{piece.table}.csv", csv_parts(table, excel=True))
        return {}
    return _file(folder, f"{piece.table}.csv", csv_parts(table))


def take_pieces(
    folder: Path,
    tables: dict[str, Table] | dict[str, Packed],
    pieces: list[Piece],
    counter: forked.Counter,
) -> dict[int, dict]:
    """Write pieces no process has taken until none is left; their entries by index."""
    done = {}
    while (i := counter.take(len(pieces))) is not None:
        done[i] = write_piece(pieces[i], folder, tables)
    return done


TABLES_FILE = "tables.pickle"


def write_tables(packed: dict[str, Packed], beside: Path) -> Path:
    """The packed tables pickled into a file of a new folder in ``beside`` that only this user
    may enter (no one else can put another file in its place), for the workbook's process to
    read (``read_tables``): written at once, where passing them to it as an argument would hold this
    process until that process had read them all."""
    folder = Path(tempfile.mkdtemp(prefix=".bangfu-tables-", dir=beside))
    path = folder / TABLES_FILE
    try:
        with path.open("xb") as f:
            pickle.dump(packed, f, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        drop(path)
        raise
    return path


def drop(path: Path) -> None:
    """Remove the file ``write_tables`` wrote and its folder (gone already: nothing to do)."""
    shutil.rmtree(path.parent, ignore_errors=True)


def read_tables(tables: Path | dict[str, Packed]) -> dict[str, Packed]:
    """The packed tables: read from the file ``write_tables`` wrote (removed once read) and
    left out of every later collection (``collector.held(freeze=True)``), or as given (no
    second process: ``forked.can_fork``)."""
    if not isinstance(tables, Path):
        return tables
    try:
        # millions of tuples, kept to the process's end: the collector walked them again
        # and again as they were read (at 200,000 households, 5.5 s in 16 full collections)
        with tables.open("rb") as f, collector.held(freeze=True):
            return pickle.load(f)
    finally:
        drop(tables)


def workbook_then_pieces(
    write_workbook: Callable,
    folder: Path,
    tables: Path | dict[str, Packed],
    about: dict,
    pieces,
    counter,
) -> dict[int, dict]:
    """What the workbook's process does: the workbook, then pieces no process has taken;
    the collector held off (a cell or a row of text by the million, in no cycle: at 200,000
    households its full collections walked the tables' long columns 16 times, 2.1 s)."""
    packed = read_tables(tables)
    with collector.held():
        write_workbook(folder / WORKBOOK, packed, about)
        return take_pieces(folder, packed, pieces, counter)


class Package:
    """The package being written (``start``): ``finish`` completes it, ``stop`` gives it up.
    As a ``with`` block: finished at its end, stopped on an error in it."""

    def __init__(self, folder: Path, tables: dict[str, Table], about: dict, write_workbook):
        self.folder, self.tables, self.about = folder, tables, about
        self.pieces = plan(tables)
        self.counter = forked.Counter()
        self._finished = False
        packed = pack(tables)  # the child's own copy, pickled; this process keeps the dicts
        # in a file beside the package (``write_tables``) when a child will read them
        self._file = write_tables(packed, folder.parent) if forked.can_fork() else None
        args = (write_workbook, folder, self._file or packed, about, self.pieces, self.counter)
        try:
            self.job = forked.start("Excel 工作簿", workbook_then_pieces, *args, fresh=True)
        except BaseException:
            self._drop()
            raise

    def finish(self) -> None:
        """Take pieces until none is left, wait for the workbook's process to end (and the
        pieces it took), then write the descriptor. A second call does nothing."""
        if self._finished:
            return
        try:
            mine = take_pieces(self.folder, self.tables, self.pieces, self.counter)
        except BaseException:
            self.stop()  # the tables file too, if the child has not read it
            raise
        try:
            done = mine | self.job.wait()
        finally:
            self._drop()  # read and removed by the child, unless it died first
        entry = {(p.kind, p.table): done[i] for i, p in enumerate(self.pieces)}
        resources = {n: entry["csv", n] | {"parquet": entry["parquet", n]} for n in self.tables}
        descriptor = package_descriptor(
            self.about, self.tables, resources, database=entry[SQLITE, ""]
        )
        text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
        (self.folder / DESCRIPTOR).write_text(text, encoding="utf-8", newline="\n")
        self._finished = True

    def stop(self) -> None:
        self.job.stop()
        self._drop()

    def _drop(self) -> None:
        if self._file is not None:
            drop(self._file)

    def __enter__(self) -> Package:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is not None:
            self.stop()
        else:
            self.finish()
