"""The would-be records of an import and what the builders share while making them: the
ledger as loaded, the dropdown lists, the findings, and the files planned so far.

Written records keep their keys in the order of their schema's ``properties``."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..codes import SHEET_CONFLICT, Code
from ..config import Config
from ..findings import Finding
from ..model import Model
from ..readfile import read_bounded
from ..record import SEALED_FIELD, Record
from ..schema import bundled, id_pattern, node_at
from ..yamlio import update_text
from .errors import cell_finding
from .options import Choices
from .parsed import Parsed, Row, Where


@dataclass
class Planned:
    """One record file the import would write."""

    rel: tuple[str, ...]
    data: dict
    kind: str
    cells: dict[str, Where] = field(default_factory=dict)  # JSON path → cell
    existing: str | None = None
    text: str = ""

    @property
    def changed(self) -> bool:
        return self.text != self.existing


@dataclass
class Draft:
    """The state the filing and progress builders share across the sheets of one workbook:
    a progress sheet may name a plan, or a household, that a filing sheet beside it adds."""

    cfg: Config
    file: str
    model: Model
    lists: dict[str, Choices]
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    planned: dict[tuple[str, ...], Planned] = field(default_factory=dict)
    plans: dict[str, Planned] = field(default_factory=dict)  # plan id → its planned file
    identities: list | None = None  # the keys that open sealed records (None: BANGFU_KEY_FILE)

    def bad(self, code: Code, where: Where, message: str, hint: str | None = None) -> None:
        sheet, row, col, header = where
        self.findings.append(cell_finding(code, self.file, sheet, row, col, header, message, hint))

    def dup(self, p: Parsed, r: Row, key: str, message: str) -> None:
        self.bad(SHEET_CONFLICT, p.where(r, key), message, "删除重复的行。")

    def existing(self, kind: str, id_: str) -> Record | None:
        return self.model.get(kind, id_)

    def opened(self, rec: Record) -> dict:
        """A record's data to build on: with its sealed private fields put back (``sealed``
        kept beside them) when the import's key opens it, so that a row changing one private
        value keeps the others; otherwise its data as loaded."""
        data = rec.data
        if SEALED_FIELD not in data or not self.identities or rec.kind is None:
            return data
        from ..privacy import seal

        try:
            whole = seal.open_record(bundled(self.cfg.schemas_dir)[rec.kind], data, self.identities)
        except seal.SealError:
            return data
        return data if whole is None else {**whole, SEALED_FIELD: data[SEALED_FIELD]}

    def ordered(self, data: dict, kind: str, *parts: str) -> dict:
        """``data`` with its keys in the order the schema of ``kind`` lists them (at ``parts``
        inside the record); keys the schema does not know keep their order, after those."""
        node = node_at(bundled(self.cfg.schemas_dir)[kind], parts)
        out = {k: data[k] for k in node.get("properties", {}) if k in data}
        out.update({k: v for k, v in data.items() if k not in out})
        return out

    def finish(self) -> list[Planned]:
        """Every planned file with its current text and the text it would get."""
        from ..privacy.convert import sealed_for_import

        for pl in self.planned.values():
            pl.existing = read_text(self.cfg.data_root.joinpath(*pl.rel))
            data = sealed_for_import(self.cfg, self.model, pl.rel, pl.data, self.identities)
            pl.text = update_text(data, pl.existing)
        return list(self.planned.values())


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def valid_id(value: str) -> bool:
    return bool(id_pattern().fullmatch(value))


def read_text(path: Path) -> str | None:
    """The current text of a record file; None when there is none; "" when something is there
    that check would not read (a link, a pipe, too large, not UTF-8): the import then refuses
    to write over it."""
    if not os.path.lexists(path):
        return None
    raw, problem = read_bounded(str(path), str(path))
    if problem is not None or raw is None:
        return ""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""
