"""``bangfu site``: check the data, write the Markdown pages, run MkDocs, add the open data.

Pipeline: load + check (refuse on errors) → model → monitoring status, figures and the
open-data tables → a build folder holding a copy of ``site/`` (markers filled in from the
records) plus the generated pages and a ``mkdocs.yml`` → ``mkdocs build --strict`` in a
subprocess → the extracts written into ``<out>/data``.

Deterministic: the build date is the data's last commit date (``git log -1 --format=%cI``),
or, outside git, the latest date found in the records — never the clock. MkDocs reads it
from ``SOURCE_DATE_EPOCH`` for the sitemap and its gzip header.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import aggregate, render
from .. import check as check_mod
from .. import model as model_mod
from ..config import Config, UsageError
from ..findings import has_errors
from ..rules.base import date_of
from . import (
    pages_assumptions,
    pages_guide,
    pages_lists,
    pages_misc,
    pages_orgs,
    pages_progress,
)
from .context import SiteContext

ROOT = Path(__file__).resolve().parents[3]
SITE_DIR = ROOT / "site"
MKDOCS_YML = ROOT / "mkdocs.yml"
OUT_MARKER = "search/search_index.json"


class SiteError(Exception):
    """The site was not built (data errors or a failed MkDocs build); message in Chinese."""


@dataclass(frozen=True, slots=True)
class SiteResult:
    out: Path
    pages: int
    files: int
    seconds: float
    synthetic: bool
    as_of: dt.date
    updated: str


def last_update(data_root: Path, records) -> str:
    """ISO date-time of the last commit touching the data folder; outside git, the latest
    date in the records (report submissions, entries, source documents), at midnight UTC."""
    from .extracts import release_of

    committed = release_of(data_root).date
    with contextlib.suppress(ValueError):
        dt.datetime.fromisoformat(committed)
        return committed
    latest = None
    for rec in records:
        d = rec.data if isinstance(rec.data, dict) else {}
        cands = [d.get("submitted"), d.get("date")]
        cands += [e.get("date") for e in d.get("entries") or [] if isinstance(e, dict)]
        for c in cands:
            x = date_of(c) if isinstance(c, str) else (c if isinstance(c, dt.date) else None)
            if x and (latest is None or x > latest):
                latest = x
    latest = latest or dt.date(1970, 1, 1)
    return f"{latest.isoformat()}T00:00:00+00:00"


def _epoch(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso).timestamp())


def is_synthetic(records) -> bool:
    return any(isinstance(r.data, dict) and r.data.get("synthetic") is True for r in records)


def context(cfg: Config, as_of: dt.date | None, records) -> SiteContext:
    model = model_mod.build(records)
    updated = last_update(cfg.data_root, records)
    as_of = as_of or dt.datetime.fromisoformat(updated).date()
    agg = aggregate.compute(model, cfg.schemas_dir, as_of)
    return SiteContext(
        model,
        cfg.schemas_dir,
        as_of,
        updated,
        is_synthetic(records),
        agg.threshold,
        agg.status,
        agg.figs,
        agg.tables,
    )


def generate(ctx: SiteContext, src: Path) -> dict[str, str]:
    """Write the MkDocs project (docs + mkdocs.yml) into ``src``; returns generated pages."""
    if src.exists():
        shutil.rmtree(src)
    docs = src / "docs"
    shutil.copytree(SITE_DIR, docs)
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(docs).as_posix()
        text = path.read_text("utf-8")
        if rel == "index.md":
            text = text.replace("[[home:figures]]", pages_misc.home_figures(ctx))
        path.write_text(pages_guide.fill(ctx, text, f"site/{rel}", rel.count("/")), "utf-8")
    pages: dict[str, str] = {}
    for mod in (pages_lists, pages_progress, pages_orgs, pages_misc, pages_assumptions):
        pages.update(mod.pages(ctx))
    for rel, text in pages.items():
        p = docs / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, "utf-8")
    # keep place and organization names whole in the Chinese search index
    names = {ctx.county_name(c) for c in ctx.model.ids("county")}
    names |= {t.name for t in ctx.model.townships.values()} | {
        v.name for v in ctx.model.villages.values()
    }
    names |= {ctx.name("organization", o) for o in ctx.model.ids("organization")}
    words = sorted(
        n.strip() for n in names if n and n.strip() and not any(ch.isspace() for ch in n.strip())
    )
    (src / "jieba-user.txt").write_text("".join(f"{w} 100000 nz\n" for w in words), "utf-8")
    conf = yaml.safe_load(MKDOCS_YML.read_text("utf-8"))
    conf["docs_dir"] = "docs"
    conf["theme"]["custom_dir"] = "docs/overrides"
    conf.setdefault("extra", {})["synthetic"] = ctx.synthetic
    conf["extra"]["updated"] = ctx.updated
    for i, plugin in enumerate(conf.get("plugins") or []):
        if plugin == "search" or (isinstance(plugin, dict) and "search" in plugin):
            opts = dict(plugin["search"] or {}) if isinstance(plugin, dict) else {}
            opts["jieba_dict_user"] = str((src / "jieba-user.txt").resolve())
            conf["plugins"][i] = {"search": opts}
    (src / "mkdocs.yml").write_text(
        yaml.safe_dump(conf, allow_unicode=True, sort_keys=False), "utf-8"
    )
    return pages


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"输出位置 {out} 是一个文件，不是文件夹")
    if out.is_dir() and any(out.iterdir()) and not (out / OUT_MARKER).is_file():
        raise UsageError(
            f"{out} 不是空文件夹，也不是先前生成的网站；为避免覆盖其他文件，请换一个 --out"
        )


def mkdocs_build(src: Path, site_dir: Path, epoch: int) -> None:
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": str(epoch),
        "PYTHONHASHSEED": "0",
        "JIEBA_CACHE": "",
        "PYTHONWARNINGS": "ignore",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--quiet",
            "--config-file",
            str(src / "mkdocs.yml"),
            "--site-dir",
            str(site_dir),
        ],
        cwd=src,
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
    )
    if proc.returncode != 0:
        log = "\n".join(
            line
            for line in (proc.stdout + proc.stderr).splitlines()
            if "jieba" not in line.lower() and "prefix dict" not in line.lower()
        )
        raise SiteError(f"MkDocs 构建失败（--strict）：\n{log.strip()}")


def build(
    cfg: Config, out: Path, src: Path, as_of: dt.date | None = None, with_data: bool = True
) -> SiteResult:
    t0 = time.perf_counter()
    out = Path(out).resolve()
    src = Path(src).resolve()  # MkDocs runs inside src, so relative paths would point elsewhere
    _check_out(out)
    result = check_mod.run(cfg)
    if has_errors(result.findings):
        raise SiteError(
            "数据有错误，不生成网站：\n"
            + render.text(result.findings, result.files_checked).rstrip()
        )
    ctx = context(cfg, as_of, result.records)
    generate(ctx, src)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        mkdocs_build(src, tmp / "site", _epoch(ctx.updated))
        if with_data:
            from .extracts import release_of, sources_of, write_package

            (tmp / "site" / "data").mkdir()
            write_package(
                tmp / "site" / "data",
                ctx.tables,
                sources_of(ctx.model, cfg.schemas_dir),
                release_of(cfg.data_root),
            )
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp / "site", out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    files = [p for p in out.rglob("*") if p.is_file()]
    n_pages = sum(1 for p in files if p.suffix == ".html")
    return SiteResult(
        out, n_pages, len(files), time.perf_counter() - t0, ctx.synthetic, ctx.as_of, ctx.updated
    )
