"""``bangfu site``: write the Markdown pages, run MkDocs, add the open data.

Input: the aggregate stage of the pipeline (``pipeline.Aggregate``: model, monitoring status,
figures, the open-data tables); the command has already refused data with errors. Output: a
build folder holding a copy of ``site/`` (markers filled in from the records) plus the
generated pages and a ``mkdocs.yml`` → ``mkdocs build --strict`` in a subprocess → the
extracts written into ``<out>/data``.

Two halves: ``prepare`` writes the pages and the package (it reads the aggregate, which holds
every record), ``finish`` runs MkDocs and puts the site in place (it needs only ``Prepared``).
``build`` runs both here; ``bangfu site`` runs ``prepare`` in a child (``forked.hand_over``)
and ``finish`` once that child has ended, so MkDocs does not run beside every record's memory.

Deterministic: the build date is the data's last commit date (``pipeline.last_update``), or,
outside git, the latest date found in the records — never the clock. MkDocs reads it from
``SOURCE_DATE_EPOCH`` for the sitemap and its gzip header.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from .. import resources
from ..config import UsageError, cores, workers_set
from ..trash import discarded
from . import (
    admin,
    pages_assumptions,
    pages_campaign,
    pages_changes,
    pages_downloads,
    pages_guide,
    pages_lists,
    pages_misc,
    pages_orgs,
    pages_plan,
    pages_progress,
    pages_village,
    render_hook,
    search,
)
from .context import SiteContext
from .pagefiles import PageFiles
from .tableschema import LICENSE
from .text import beijing_text

if TYPE_CHECKING:
    from ..pipeline import Aggregate
    from ..releases import Releases

SITE_DIR = resources.site()
MKDOCS_YML = resources.mkdocs_yml()
OUT_MARKER = "search/search_index.json"
RENDER_HOOK = Path(__file__).with_name("render_hook.py")  # tables skip Markdown's HTML parse
FAST_HOOK = Path(__file__).with_name("render_fast.py")  # pages per plan and village: no Markdown
THEME_HOOK = Path(__file__).with_name("theme_fast.py")  # … and the theme's page filled in


class SiteError(Exception):
    """The site was not built (a failed MkDocs build); message in Chinese."""


@dataclass(frozen=True, slots=True)
class SiteResult:
    out: Path
    pages: int
    files: int
    seconds: float
    synthetic: bool
    as_of: dt.date
    updated: str


def _epoch(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso).timestamp())


def context(agg: Aggregate) -> SiteContext:
    return SiteContext(
        agg.model,
        agg.cfg.schemas_dir,
        agg.as_of,
        agg.updated,
        agg.synthetic,
        agg.threshold,
        agg.status,
        agg.figs,
        agg.tables,
    )


def footer(ctx: SiteContext) -> dict[str, str]:
    """What the footer of every page says (``site/overrides/main.html``)."""
    return {
        "updated": beijing_text(ctx.updated),
        "as_of": ctx.as_of.isoformat(),
        "licence": LICENSE["title"],
        "licence_id": LICENSE["name"],
    }


def generate(
    ctx: SiteContext,
    src: Path,
    package: Path | None = None,
    releases: Releases | None = None,
    ready: Callable[[], None] | None = None,
) -> list[str]:
    """Write the MkDocs project (docs + mkdocs.yml) into ``src``; returns the generated pages
    (paths under ``src/docs``, in the order written). Each page is written as it is made and
    not kept: at 500,000 households the pages per plan held 1.7 GB of the build's process
    when all were kept until the end (its peak, 11.2 GB, came after them).
    ``package``: the open data package (the downloads page lists its files and their sizes);
    ``ready``: called before that page, once every other file is written, to wait until the
    package is complete (the package's other process goes on meanwhile: at 500,000
    households, writing the pages took 10 s that it spent idle when they came last);
    ``releases``: the data releases (最近更新 and ``feed.xml``)."""
    with discarded(src):  # the last build's pages: removed by another process meanwhile
        docs = src / "docs"
        shutil.copytree(SITE_DIR, docs)
        for path in sorted(docs.rglob("*.md")):
            rel = path.relative_to(docs).as_posix()
            text = path.read_text("utf-8")
            if rel == "index.md":
                text = text.replace("[[home:figures]]", pages_misc.home_figures(ctx))
            path.write_text(pages_guide.fill(ctx, text, f"site/{rel}", rel.count("/")), "utf-8")
        out = PageFiles(docs)
        for mod in (pages_lists, pages_progress, pages_orgs, pages_misc, pages_assumptions):
            out.write(mod.pages(ctx).items())
        for each in (pages_village.each, pages_plan.each, pages_campaign.each):  # per village…
            out.write(each(ctx))
        out.write(pages_changes.pages(ctx, releases).items())
        (docs / pages_changes.FEED).write_text(pages_changes.feed(ctx, releases), "utf-8")
        (src / render_hook.FRONT_FILE).write_text(render_hook.front_file(out.fronts), "utf-8")
        _mkdocs_project(ctx, src)
        if ready is not None:
            ready()
        out.write(pages_downloads.pages(ctx, package).items())
        return out.names


def _mkdocs_project(ctx: SiteContext, src: Path) -> None:
    """The search's user dictionary and ``mkdocs.yml``."""
    # whole names and their sub-words in the Chinese search index (see search.py)
    (src / "jieba-user.txt").write_text(search.user_dict(ctx), "utf-8")
    conf = yaml.safe_load(MKDOCS_YML.read_text("utf-8"))
    conf["docs_dir"] = "docs"
    conf["theme"]["custom_dir"] = "docs/overrides"
    conf.setdefault("extra", {})["synthetic"] = ctx.synthetic
    conf["extra"]["updated"] = ctx.updated
    conf["extra"]["footer"] = footer(ctx)
    for i, plugin in enumerate(conf.get("plugins") or []):
        if plugin == "search" or (isinstance(plugin, dict) and "search" in plugin):
            opts = dict(plugin["search"] or {}) if isinstance(plugin, dict) else {}
            opts["jieba_dict_user"] = str((src / "jieba-user.txt").resolve())
            conf["plugins"][i] = {"search": opts}
    conf["hooks"] = [
        *(conf.get("hooks") or []),
        str(search.HOOK),
        str(RENDER_HOOK),
        str(FAST_HOOK),
        str(THEME_HOOK),
    ]
    (src / "mkdocs.yml").write_text(
        yaml.safe_dump(conf, allow_unicode=True, sort_keys=False), "utf-8"
    )


def check_out(out: Path) -> None:
    """Refuse an output folder that is a file, or a foreign non-empty folder."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"输出位置 {out} 是一个文件，不是文件夹")
    if out.is_dir() and any(out.iterdir()) and not (out / OUT_MARKER).is_file():
        raise UsageError(
            f"{out} 不是空文件夹，也不是先前生成的网站；为避免覆盖其他文件，请换一个 --out"
        )


MAX_SHARDS = 4


def shard_count() -> int:
    """MkDocs processes for one site: one per core (``BANGFU_WORKERS`` if set), at most
    ``MAX_SHARDS``."""
    return max(1, min(workers_set() or cores(), MAX_SHARDS))


def mkdocs_build(src: Path, site_dir: Path, epoch: int, shards: int | None = None) -> int:
    """``mkdocs build --strict`` of ``src`` into ``site_dir``, by ``shards`` MkDocs processes
    at once (default ``shard_count``), each rendering its share of the pages per plan and
    village (``render_hook``: the site is the same byte for byte); returns how many pages
    the other shards rendered. A failed shard is a ``SiteError`` with its messages."""
    n = shards or shard_count()
    base = {
        **os.environ,
        "SOURCE_DATE_EPOCH": str(epoch),
        "PYTHONHASHSEED": "0",
        "JIEBA_CACHE": "",
        "PYTHONWARNINGS": "ignore",
        "NO_MKDOCS_2_WARNING": "1",
    }
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".bangfu-shards-", dir=site_dir.parent) as tmp:
        work = Path(tmp)
        outs = [site_dir] + [work / f"site-{k}" for k in range(1, n)]
        procs = []
        try:
            for k, out in enumerate(outs):
                env = dict(base)
                if n > 1:
                    env[render_hook.SHARD_ENV] = f"{k}/{n}"
                    env[render_hook.MANIFEST_ENV] = str(work / f"pages-{k}.txt")
                log = (work / f"log-{k}.txt").open("w", encoding="utf-8")
                with log:
                    procs.append(start_mkdocs(src, out, env, log))
            for k, proc in enumerate(procs):
                try:
                    code = proc.wait(timeout=3600)
                except subprocess.TimeoutExpired:
                    raise SiteError("MkDocs 构建超过一小时，已停止") from None
                if code != 0:
                    raise SiteError(_failure((work / f"log-{k}.txt").read_text("utf-8")))
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        moved = 0
        for k in range(1, n):
            manifest = work / f"pages-{k}.txt"
            uris = manifest.read_text("utf-8").splitlines() if manifest.is_file() else None
            if uris is None or not all((outs[k] / uri).is_file() for uri in uris):
                raise SiteError(f"MkDocs 构建失败：第 {k + 1} 个进程没有留下它生成的页面")
            for uri in uris:
                target = site_dir / uri
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(outs[k] / uri, target)
                moved += 1
    return moved


def start_mkdocs(src: Path, site_dir: Path, env: dict[str, str], log) -> subprocess.Popen:
    """One ``mkdocs build --strict`` of ``src`` into ``site_dir``, its output into ``log``."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",  # not --quiet: MkDocs 1.6 then counts no warning (mkdocs#4126)
            "--config-file",
            str(src / "mkdocs.yml"),
            "--site-dir",
            str(site_dir),
        ],
        cwd=src,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _failure(output: str) -> str:
    """The failed build's warnings and errors (else all it printed but its progress lines)."""
    lines = [_ANSI.sub("", line).rstrip() for line in output.splitlines()]
    wanted = [line for line in lines if line.startswith(("WARNING", "ERROR", "Aborted"))]
    if not wanted:
        wanted = [
            line
            for line in lines
            if line.strip()
            and not line.startswith("INFO")
            and "jieba" not in line.lower()
            and "prefix dict" not in line.lower()
        ]
    return "MkDocs 构建失败（--strict）：\n" + "\n".join(wanted).strip()


@dataclass(frozen=True, slots=True)
class Prepared:
    """The pages and the package written, MkDocs not yet run (``prepare`` → ``finish``): all
    that MkDocs and the result need, small enough to pass from the process that holds the
    records to one that does not (``bangfu site`` hands the first half over to a child)."""

    src: Path
    tmp: Path  # the build folder beside ``out``: the package, then the site
    package: Path | None
    epoch: int
    synthetic: bool
    as_of: dt.date
    updated: str


@contextlib.contextmanager
def workspace(out: Path) -> Iterator[Path]:
    """A build folder beside ``out`` (so the finished site is moved, not copied), removed
    afterwards whatever happened."""
    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def prepare(
    agg: Aggregate,
    src: Path,
    tmp: Path,
    with_data: bool = True,
    releases: Releases | None = None,
) -> Prepared:
    """Write the pages of ``agg`` into ``src`` and its open data into ``tmp``/data."""
    src = Path(src).resolve()  # MkDocs runs inside src, so relative paths would point elsewhere
    ctx = context(agg)
    package, job = None, None
    if with_data:  # the workbook's process runs while the pages are written
        from .extracts import sources_of, start_package

        package = tmp / "data"
        package.mkdir()
        sources = sources_of(ctx.model, ctx.schemas_dir)
        job = start_package(package, ctx.tables, sources, agg.release)

    def ready() -> None:  # the web editor's files too before the package's rest is taken on
        admin.write(src / "docs", agg.model.records, ctx.schemas_dir)
        if job is not None:
            job.finish()

    try:
        generate(ctx, src, package, releases, ready)
    except BaseException:
        if job is not None:
            job.stop()
        raise
    return Prepared(src, tmp, package, _epoch(ctx.updated), ctx.synthetic, ctx.as_of, ctx.updated)


def finish(prep: Prepared, out: Path, t0: float) -> SiteResult:
    """Run MkDocs over ``prep`` and put the site, with its open data, at ``out`` (an absolute
    path, the one ``workspace`` was given; replaced only once complete); ``t0``: when the build
    started (``time.perf_counter``)."""
    mkdocs_build(prep.src, prep.tmp / "site", prep.epoch)
    if prep.package is not None:
        os.replace(prep.package, prep.tmp / "site" / "data")
    if out.exists():
        shutil.rmtree(out)
    os.replace(prep.tmp / "site", out)
    files = [n for _, _, names in os.walk(out) for n in names]  # 20× faster than rglob
    n_pages = sum(1 for n in files if n.endswith(".html"))
    return SiteResult(
        out,
        n_pages,
        len(files),
        time.perf_counter() - t0,
        prep.synthetic,
        prep.as_of,
        prep.updated,
    )


def build(
    agg: Aggregate,
    out: Path,
    src: Path,
    with_data: bool = True,
    releases: Releases | None = None,
) -> SiteResult:
    """Build the site of ``agg`` into ``out`` (replaced only once complete), in this process;
    ``releases``: the data releases for 最近更新 and the feed (``bangfu.releases.read``)."""
    t0 = time.perf_counter()
    out = Path(out).resolve()
    with workspace(out) as tmp:
        return finish(prepare(agg, src, tmp, with_data, releases), out, t0)
