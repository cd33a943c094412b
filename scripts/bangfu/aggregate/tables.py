"""The open-data tables: descriptive columns projected from the records through the schemas'
allow-list (``bangfu.public``), figures read from the aggregate store (``figures.sql``).

Rows hold exact figures here; ``NOT_RECORDED`` marks a figure the ledger does not hold (an
empty cell, never 0). Disclosure control (``bangfu.aggregate.protect``) then withholds small
and recoverable household cells (``None``, written ``<N``). No table has a row per household.
"""

from __future__ import annotations

from pathlib import Path

from . import tables_places, tables_plans, tables_progress
from .builder import Builder
from .columns import Table


def build(store, model, schemas_dir: Path, threshold: int) -> dict[str, Table]:
    """Every public table, by name, in publishing order."""
    b = Builder(store, model, schemas_dir, threshold)
    tables = [
        *tables_places.build(b),
        *tables_plans.build(b),
        *tables_progress.build(b),
    ]
    return {t.name: t for t in tables}
