"""Small helpers shared by the rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..checksums import date_of
from ..codes import Code, make
from ..findings import Finding, json_path
from ..record import Record


@dataclass(frozen=True, slots=True)
class Context:
    as_of: dt.date
    schemas_dir: Path | None = None  # the schemas checked against (None: the package's own)


class Unplaced:
    """A record's stand-in for findings that are counted, never shown (``cycle.supervisor_rows``):
    they carry no line or column, so that the file is not read again to place them."""

    __slots__ = ("file",)

    def __init__(self, rec: Record):
        self.file = rec.file

    def at(self, parts) -> tuple[int, int]:
        return 0, 0  # no place (``codes.make``'s default)


def at(rec: Record | Unplaced, code: Code, parts, message: str, **kw) -> Finding:
    parts = tuple(parts)
    line, col = rec.at(parts)
    return make(code, rec.file, message, line=line, column=col, path=json_path(parts), **kw)


def period_of(value) -> tuple[dt.date, dt.date] | None:
    if not isinstance(value, dict):
        return None
    s, e = date_of(value.get("start")), date_of(value.get("end"))
    if s is None or e is None:
        return None
    return s, e
