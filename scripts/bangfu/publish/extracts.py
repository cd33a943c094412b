"""``bangfu export``: the open data package (CSV, Parquet, SQLite, datapackage.json), Excel
variants.

Everything is written into a temporary folder next to the output and swapped into place at the
end, so a failed export never leaves a half-written package. The same data gives byte-identical
files: stable row and column order, no clock (release metadata comes from the data's commit).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import model as model_mod
from ..aggregate import Table
from ..config import UsageError
from ..public import project
from ..writes import WriteError
from .package_work import DESCRIPTOR, Package
from .release import Release
from .tableschema import EXCEL_DIR, package_meta
from .validate import package_findings

if TYPE_CHECKING:
    from ..pipeline import Aggregate


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


def start_package(
    folder: Path,
    tables: dict[str, Table],
    sources: list[dict],
    release: Release,
    meta: dict | None = None,
) -> Package:
    """Start writing every file of the package into ``folder`` (which must exist and be
    empty): the workbook's process starts at once, and the other files are shared out between
    it and this process (``package_work``) once the caller calls ``finish`` (or leaves the
    ``with`` block); on an error in the caller or in these files the workbook's process is
    stopped. ``meta`` is passed to ``package_meta`` (a merged package's name and notes)."""
    from . import xlsx

    synthetic = any(r.get("synthetic") for t in tables.values() for r in t.rows)
    (folder / EXCEL_DIR).mkdir()
    about = package_meta(tables, sources, release, synthetic, meta)
    return Package(folder, tables, about, xlsx.write_workbook)


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
        with start_package(tmp, tables, sources, release, meta) as package:
            package.finish()
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
