"""The real checker on the would-be result of an import: the changed files are parsed and
schema-checked in memory, swapped into the loaded records, and the cross-record rules run on
the merged model. Only errors that were not there before count, reported at their cell."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import model as model_mod
from .. import schema, schemacheck
from ..codes import REGISTRY
from ..config import Config
from ..findings import ERROR, Finding
from ..readone import parse_bytes
from ..record import Record, classify, display
from ..redact import redact
from ..rules import run_all
from ..rules.base import Context
from .errors import cell_finding

if TYPE_CHECKING:
    from .parsed import Where
    from .records import Planned


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.file, f.path, f.code)


def check_overlay(
    cfg: Config, file: str, records: list[Record], model: model_mod.Model, planned: list[Planned]
) -> list[Finding]:
    ctx = Context(as_of=cfg.as_of, schemas_dir=cfg.schemas_dir)
    baseline = {_key(f) for rec in records for f in rec.findings if f.severity == ERROR}
    baseline |= {_key(f) for f in run_all(model, ctx) if f.severity == ERROR}
    changed = {pl.rel: pl for pl in planned if pl.changed}
    if not changed:
        return []
    overlay = []
    by_rel = {}
    for pl in changed.values():
        path = cfg.data_root.joinpath(*pl.rel)
        rec = Record(kind=classify(pl.rel), file=display(path, cfg.data_root), rel=pl.rel)
        parse_bytes(rec, pl.text.encode("utf-8"))
        if rec.data is not None and not rec.findings:
            rec.findings.extend(schemacheck.validate(rec, cfg.schemas_dir))
        by_rel[pl.rel] = rec
        overlay.append(rec)
    merged = [by_rel.pop(r.rel, r) for r in records] + list(by_rel.values())
    new_model = model_mod.build(merged)
    findings = [f for rec in overlay for f in rec.findings]
    findings += list(run_all(new_model, ctx))
    findings = redact(findings, overlay, schema.bundled(cfg.schemas_dir))
    files = {rec.file: changed[rec.rel] for rec in overlay}
    return [
        _at_cell(f, files.get(f.file), file)
        for f in sorted(findings, key=Finding.sort_key)
        if f.severity == ERROR and _key(f) not in baseline
    ]


def _at_cell(f: Finding, pl: Planned | None, file: str) -> Finding:
    """A checker's finding on a would-be file, reported at the cell its value came from (or
    on the file, when no cell gave the value)."""
    where = _lookup(pl.cells, f.path) if pl is not None else None
    if where is None:
        return Finding(
            f.code,
            f.severity,
            f.file,
            f"导入后会出现这个问题：{f.message}",
            f.hint,
            f.line,
            f.column,
            f.path,
        )
    sheet, row, col, header = where
    return cell_finding(
        REGISTRY[f.code],
        file,
        sheet,
        row,
        col,
        header,
        f"{f.message}（写入 {f.file} 的 {f.path} 时）",
        f.hint,
    )


def _lookup(cells: dict[str, Where], path: str) -> Where | None:
    p = path
    while True:
        if p in cells:
            return cells[p]
        if p == "$":
            return None
        cut = max(p.rfind("."), p.rfind("["))
        p = p[:cut] if cut > 0 else "$"
