"""Aggregate stage: every public figure, defined once in SQL (``figures.sql``) over the fact
tables of ``bangfu.facts``, then put under disclosure control.

``compute(model, schemas_dir, as_of)`` gives the one ``Result`` that the site's pages, the
open-data extracts and ``bangfu status`` all read: the public tables, the site's cells and the
monitoring status. No other module counts households, plans, entries or amounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import collector
from ..monitor import Status
from ..policy import PolicyIndex
from . import cells, protect, status, tables
from .cells import Figures
from .columns import (
    FLAG_NAMES,
    LIST_SEPARATOR,
    NOT_RECORDED,
    WITHHELD,
    WITHHELD_MARKER,
    Column,
    Table,
)
from .store import ReleaseHook, Store

__all__ = [
    "FLAG_NAMES",
    "LIST_SEPARATOR",
    "NOT_RECORDED",
    "WITHHELD",
    "WITHHELD_MARKER",
    "Result",
    "Column",
    "Table",
    "compute",
]


@dataclass(frozen=True)
class Result:
    as_of: dt.date
    threshold: int  # small-cell threshold in force (policy data)
    tables: dict[str, Table]  # the open-data tables, by name, in publishing order
    figs: Figures  # the site's cells
    status: Status  # revisits, tiers, report timeliness


def compute(
    model,
    schemas_dir: Path,
    as_of: dt.date,
    release: ReleaseHook | None = None,
    supervisor: Callable[[], list[tuple]] | None = None,
) -> Result:
    """``release``: called once the store has read the records, giving what lets go of
    them (run beside the database's build); ``supervisor``: the supervisor rows computed by
    another process (both: ``Store.from_model``)."""
    threshold = PolicyIndex(model).small_cell_threshold()
    store = Store.from_model(model, as_of, release=release, supervisor=supervisor)
    try:
        protected = protect.inputs(store)
        # millions of rows and objects, in no cycle: the collector walked them again and
        # again as they were made (at 200,000 households, tables 8.7 → 7.6 s, status
        # 3.9 → 1.7 s); they are freed by reference counting as ever
        with collector.held():
            result = Result(
                as_of,
                threshold,
                tables.build(store, model, schemas_dir, threshold),
                cells.read(store),
                status.read(store),
            )
    finally:
        store.close()  # the database's memory goes back before disclosure control
    # the disclosure decision in two processes (the second stopped if anything here fails);
    # not beside the tables: DuckDB builds them on every core already
    shares = protect.PlanShares(result, protected)
    with protect.start(threshold, protected, shares) as half:
        protect.protect(result, protected, half, shares)
    return result


def status_of(model, as_of: dt.date) -> Status:
    """The monitoring status alone (``compute(...).status``, without the tables): only the
    statements of figures.sql that the status tables need run."""
    store = Store.from_model(model, as_of, status.TABLES)
    try:
        with collector.held():  # as in ``compute``
            return status.read(store)
    finally:
        store.close()
