"""``bangfu export``: the open data package (CSV, Parquet, SQLite, datapackage.json), Excel
variants.

Everything is written into a temporary folder next to the output and swapped into place at the
end, so a failed export never leaves a half-written package. The same data gives byte-identical
files: stable row and column order, no clock (release metadata comes from the data's commit).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import forked
from .. import model as model_mod
from ..aggregate import Table
from ..config import PublishRefused, UsageError
from ..public import project
from ..writes import WriteError
from .csvtext import csv_pair
from .release import Release
from .tableschema import EXCEL_DIR, WORKBOOK, package_descriptor, package_meta
from .validate import package_findings

if TYPE_CHECKING:
    from ..pipeline import Aggregate

DESCRIPTOR = "datapackage.json"


def sources_of(model: model_mod.Model, schemas_dir: Path) -> list[dict]:
    """The seed documents in ``data/sources/`` as Data Package sources."""
    out = []
    for _, rec in sorted(model.by_kind["source"].items()):
        if not isinstance(rec.data, dict):
            continue
        p = project(schemas_dir, "source", rec.data)
        extra = [str(p[k]) for k in ("issuer", "number", "date") if p.get(k)]
        extra.append(f"编号 {rec.id}")
        out.append({"title": f"{p.get('title', rec.id)}（{'，'.join(extra)}）"})
    return out


# ---------------------------------------------------------------- the package


@dataclass(frozen=True, slots=True)
class ExportResult:
    out: Path
    tables: dict[str, int]  # table → rows
    files: int
    bytes: int


def _file(folder: Path, rel: str, data: bytes) -> dict:
    (folder / rel).write_bytes(data)
    return {"path": rel, "bytes": len(data), "hash": "sha256:" + hashlib.sha256(data).hexdigest()}


def start_package(
    folder: Path,
    tables: dict[str, Table],
    sources: list[dict],
    release: Release,
    meta: dict | None = None,
) -> forked.Job:
    """Write every file of the package into ``folder`` (which must exist and be empty); the
    workbook is written by a second process (``forked``) while this one writes the others and
    the caller goes on. Use the job as a ``with`` block, or ``wait`` for it before the workbook
    is read or its size stated; on an error in these files the workbook's process is stopped.
    ``meta`` is passed to ``package_meta`` (a merged package's name and notes)."""
    from .parquet import ParquetValueError, parquet_bytes
    from .sqlite import FILENAME as SQLITE
    from .sqlite import SqliteValueError, sqlite_bytes
    from .xlsx import pack, write_workbook

    synthetic = any(r.get("synthetic") for t in tables.values() for r in t.rows)
    (folder / EXCEL_DIR).mkdir()
    about = package_meta(tables, sources, release, synthetic, meta)
    # a fresh process: one forked from this one would copy every page the two read (``forked``)
    # its tables as tuples: they reach it pickled, and dicts took it 1.6 times the memory
    packed = pack(tables)
    job = forked.start("Excel 工作簿", write_workbook, folder / WORKBOOK, packed, about, fresh=True)
    del packed  # the child has its own copy
    try:  # every other file, while the workbook is written
        resources = {}
        for name, table in tables.items():
            canonical, excel = csv_pair(table)
            resources[name] = _file(folder, f"{name}.csv", canonical)
            try:
                parquet = parquet_bytes(table)
            except ParquetValueError as exc:
                raise PublishRefused(f"{exc}（先运行 bangfu check 修正数据）") from None
            resources[name]["parquet"] = _file(folder, f"{name}.parquet", parquet)
            (folder / EXCEL_DIR / f"{name}.csv").write_bytes(excel)
        try:
            database = _file(folder, SQLITE, sqlite_bytes(tables))
        except SqliteValueError as exc:
            raise PublishRefused(f"{exc}（先运行 bangfu check 修正数据）") from None
        descriptor = package_descriptor(about, tables, resources, database=database)
        text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
        (folder / DESCRIPTOR).write_text(text, encoding="utf-8", newline="\n")
    except BaseException:
        job.stop()
        raise
    return job


def swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp``: rename the old folder away, rename the new one in."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
    os.replace(out, old / out.name)
    try:
        os.replace(tmp, out)
    except OSError:
        os.replace(old / out.name, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def check_out(out: Path, data_root: Path | None = None) -> None:
    """Refuse an output folder inside the data folder, a file, or a foreign non-empty folder."""
    out = Path(out)
    if data_root is not None:
        root = Path(data_root).resolve()
        if out.resolve() == root or root in out.resolve().parents:
            raise UsageError(f"输出文件夹 {out} 在数据文件夹 {data_root} 内；请换一个 --out")
    if out.exists() and not out.is_dir():
        raise UsageError(f"输出位置 {out} 是一个文件，不是文件夹")
    if out.is_dir() and any(out.iterdir()) and not (out / DESCRIPTOR).is_file():
        raise UsageError(
            f"{out} 不是空文件夹，也不是先前导出的数据包（没有 {DESCRIPTOR}）；"
            "为避免覆盖其他文件，请换一个 --out"
        )


def export(agg: Aggregate, out: Path) -> ExportResult:
    """Write the open data package of ``agg`` into ``out`` (swapped in only once complete);
    the command has already refused data with errors."""
    out = Path(out)
    check_out(out, agg.cfg.data_root)
    return publish(out, agg.tables, sources_of(agg.model, agg.cfg.schemas_dir), agg.release)


def publish(
    out: Path,
    tables: dict[str, Table],
    sources: list[dict],
    release: Release,
    meta: dict | None = None,
) -> ExportResult:
    """Write the package into a temporary folder next to ``out``, validate it (``validate``;
    an invalid package is a ``WriteError`` and replaces nothing) and swap it into place:
    ``out`` holds the old package or the new one, never a mix."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        with start_package(tmp, tables, sources, release, meta):
            problems = package_findings(tmp, DESCRIPTOR)  # reads no part of the workbook
            if problems:
                raise WriteError(problems)
        os.chmod(tmp, 0o755)
        swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = [p for p in sorted(out.rglob("*")) if p.is_file()]
    return ExportResult(
        out,
        {n: len(t.rows) for n, t in tables.items()},
        len(files),
        sum(p.stat().st_size for p in files),
    )
