"""The open-data package checks itself: ``bangfu export`` and ``bangfu merge`` validate the
package they have just written with frictionless (the Data Package standard's validator)
before it replaces the old one. An invalid package is a ``write.invalid-package`` finding and
nothing is replaced.

What is validated: the descriptor (Data Package v2), each table's header against its Table
Schema, and the first ``ROWS`` rows of each table (types, constraints, primary key), so the
cost does not grow with the province. Not the later rows, nor the foreign keys (checking them
reads every referenced table whole), nor the bytes and hashes (computed from the very bytes
written): the full validation of whole packages runs in the tests (``tests/test_extracts.py``).
Messages name the file, row and column and the frictionless error type, never a cell's value."""

from __future__ import annotations

from pathlib import Path

from ..codes import WRITE_INVALID_PACKAGE, make
from ..findings import Finding

ROWS = 1000  # rows validated per table
SHOWN = 5  # problems reported per resource


def package_findings(folder: Path, descriptor: str = "datapackage.json") -> list[Finding]:
    """``write.invalid-package`` findings for the package in ``folder``; [] when it is valid."""
    from frictionless import FrictionlessException, Package, Report

    try:
        package = Package.from_descriptor(str(folder / descriptor))
    except FrictionlessException as exc:  # what frictionless.validate reports for it
        report = Report.from_validation(errors=exc.to_errors())
    else:
        # without foreign keys: frictionless reads every referenced table whole to build its
        # lookup even when told to skip the foreign-key errors
        for resource in package.resources:
            if resource.schema:
                resource.schema.foreign_keys = []
        report = package.validate(limit_rows=ROWS)
    if report.valid:
        return []
    out = [make(WRITE_INVALID_PACKAGE, descriptor, _text(e)) for e in report.errors[:SHOWN]]
    for task in report.tasks:
        where = getattr(task, "place", "") or task.name
        out += [make(WRITE_INVALID_PACKAGE, where, _text(e)) for e in task.errors[:SHOWN]]
    return out or [make(WRITE_INVALID_PACKAGE, descriptor, "数据包未通过 frictionless 校验")]


def _text(err) -> str:
    """The rule an error breaks and where (row, column), without the offending value."""
    at = []
    row = getattr(err, "row_number", None)
    if row is not None:
        at.append(f"第 {row} 行")
    field = getattr(err, "field_name", None)
    if field:
        at.append(f"列 {field}")
    rule = f"违反 {err.type}"
    return "，".join([*at, rule]) if at else rule
