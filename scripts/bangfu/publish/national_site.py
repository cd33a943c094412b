"""``bangfu merge --site``: a small national website over the merged package.

One MkDocs page: the provinces table (the ``provinces`` table of the national package, with a
national row by the same partial-total rule), links to the national package and to each
province's package, which are copied next to the page. The full site (lists, progress, org
pages) is built from a ledger's records by ``bangfu site``; a national package has no records,
so that site is not rebuilt here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..aggregate import NOT_RECORDED, WITHHELD
from ..config import UsageError
from ..trash import discarded
from ..writes import WriteError, os_failure
from .extracts import DESCRIPTOR, swap_in
from .national import PARTIAL, TABLE, MergeResult, totals
from .site import mkdocs_build
from .tableschema import EXCEL_DIR, WORKBOOK
from .text import MISSING, MISSING_NOTE, esc, front, link, table

MARKER = "data/" + DESCRIPTOR
FIXED_EPOCH = 946684800  # 2000-01-01: the build date when no province's data date is known


@dataclass(frozen=True, slots=True)
class NationalSite:
    out: Path
    pages: int
    files: int


def slug(province: str) -> str:
    """The folder of a province's package on the site: stable for a name."""
    return "p-" + hashlib.sha256(province.encode("utf-8")).hexdigest()[:10]


def _count(row: dict, name: str, threshold: int) -> str:
    value = row[name]
    if value is NOT_RECORDED:
        return MISSING
    if value is WITHHELD:
        parts = row[f"{name}_suppressed_parts"]
        at_least = row[f"{name}_disclosed"] + parts
        note = f"{PARTIAL}：{parts} 个区县的数字不公开，合计至少 {at_least:,}"
        return f'<abbr class="bf-partial" title="{esc(note)}">≥ {at_least:,}</abbr>'
    return f"{value:,}"


def _money(value) -> str:
    if value is WITHHELD:
        return f'<abbr class="bf-partial" title="{esc(PARTIAL)}">{esc(PARTIAL)}</abbr>'
    return MISSING if value is None else f"{value:,.0f}"


def page(res: MergeResult, threshold: int) -> str:
    rows = res.provinces
    out = [front("全国汇总"), "# 结对帮扶公开台账 · 全国汇总", ""]
    if res.synthetic:
        out += [
            '!!! warning "演示数据"',
            "    本页的数字来自合成的演示数据（synthetic），人物、地方与数字均为虚构，不是真实记录。",
            "",
        ]
    out += [
        f"由 {len(rows)} 个省的公开数据包合并而成（`bangfu merge`）。户级数据从不离开各省，"
        "这里只有各省公开的汇总数字。",
        "",
    ]
    headers = [
        "省级",
        "区县",
        "乡镇",
        "村",
        "监测户数",
        "已结对户数",
        "帮扶主体",
        "方案",
        "执行中方案",
        "已交付金额（元）",
        "数据包",
    ]
    body = []
    for r in rows:
        href = f"provinces/{slug(r['province'])}/{DESCRIPTOR}"
        body.append(
            [
                esc(r["province"]),
                *(f"{r[k]:,}" for k in ("counties", "townships", "villages")),
                _count(r, "households", threshold),
                _count(r, "households_paired", threshold),
                *(f"{r[k]:,}" for k in ("organizations", "plans", "plans_running")),
                _money(r["delivered_amount_yuan"]),
                link(href, DESCRIPTOR),
            ]
        )
    nation = {k: sum(r[k] for r in rows) for k in ("counties", "townships", "villages")}
    nation |= {k: sum(r[k] for r in rows) for k in ("organizations", "plans", "plans_running")}
    for name in ("households", "households_paired"):
        t = totals(rows, name)
        nation |= {
            name: t.value,
            f"{name}_disclosed": t.disclosed,
            f"{name}_suppressed_parts": t.suppressed,
        }
    known = [r["delivered_amount_yuan"] for r in rows if r["delivered_amount_yuan"] is not None]
    partial = any(v is WITHHELD for v in known)
    body.append(
        [
            "<strong>合计</strong>",
            *(f"{nation[k]:,}" for k in ("counties", "townships", "villages")),
            _count(nation, "households", threshold),
            _count(nation, "households_paired", threshold),
            *(f"{nation[k]:,}" for k in ("organizations", "plans", "plans_running")),
            _money(WITHHELD if partial else sum(known) if known else None),
            link(f"data/{DESCRIPTOR}", "全国"),
        ]
    )
    out.append(table(headers, body, id_="bf-provinces", numeric=set(range(1, 10))))
    out += [
        f"- “≥ N”：{PARTIAL}。有区县的户数不公开（少于 {threshold} 户，或可由其他数字推算出这样的数字）时，合计也不公开；"
        f"N 是公开部分加上每个不公开的区县至少 1 户，真实合计不小于 N。",
        f"- {MISSING_NOTE}",
        "- 已交付金额：各省台账中有进度报告的方案的已交付金额之和。",
        "",
        "## 下载",
        "",
        f"全国数据包：{link('data/' + DESCRIPTOR, DESCRIPTOR)}（Frictionless 数据包描述）、"
        f"{link('data/' + WORKBOOK, WORKBOOK)}（Excel 工作簿）、"
        f"{link('data/' + TABLE + '.csv', TABLE + '.csv')}（各省汇总）；"
        "每张表都有 CSV（UTF-8）和 Parquet 两种格式，"
        f"Excel 用户可用 {link('data/' + EXCEL_DIR + '/', EXCEL_DIR + '/')} 中带 BOM 的 CSV。",
        "",
        "各省的数据包见上表最后一列。",
        "",
    ]
    return "\n".join(out)


def _declared(package: Path) -> list[str]:
    """The files a package's datapackage.json lists (plus its Excel copies)."""
    desc = json.loads((package / DESCRIPTOR).read_text("utf-8"))
    files = [DESCRIPTOR, WORKBOOK]
    for r in desc.get("resources", []):
        files.append(r["path"])
        if r.get("type") == "table":
            files.append(f"{EXCEL_DIR}/{r['path']}")
    return [f for f in files if (package / f).is_file()]


def _epoch(package: Path) -> int:
    desc = json.loads((package / DESCRIPTOR).read_text("utf-8"))
    try:
        return int(dt.datetime.fromisoformat(desc["created"]).timestamp())
    except (KeyError, TypeError, ValueError):
        return FIXED_EPOCH


def _check_out(out: Path, inputs: list[Path]) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"输出位置 {out} 是一个文件，不是文件夹")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(
            f"{out} 不是空文件夹，也不是先前生成的全国汇总网站；为避免覆盖其他文件，请换一个 --site"
        )
    for p in inputs:
        here = p.resolve()
        if here == out or out in here.parents or here in out.parents:
            raise UsageError(f"--site {out} 与数据包 {p} 重叠；请换一个 --site")


def generate(res: MergeResult, src: Path, threshold: int) -> None:
    with discarded(src):  # the last build's pages (``bangfu.trash``)
        (src / "docs").mkdir(parents=True)
        (src / "docs" / "index.md").write_text(page(res, threshold), "utf-8")
        conf = {
            "site_name": "结对帮扶公开台账 · 全国汇总",
            "docs_dir": "docs",
            "use_directory_urls": False,
            "strict": True,
            "theme": {"name": "material", "language": "zh", "font": False},
            "plugins": [],
            "markdown_extensions": ["admonition", "tables", "md_in_html"],
            "extra": {"generator": False},
        }
        (src / "mkdocs.yml").write_text(yaml.safe_dump(conf, allow_unicode=True), "utf-8")


def build(res: MergeResult, out: Path, src: Path) -> NationalSite:
    out, src = Path(out).resolve(), Path(src).resolve()
    national = res.export.out
    _check_out(out, [national, *res.packages.values()])
    desc = json.loads((national / DESCRIPTOR).read_text("utf-8"))
    threshold = desc["bangfu"]["small_cell_threshold"]
    generate(res, src, threshold)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
        try:
            site = tmp / "site"
            mkdocs_build(src, site, _epoch(national), shards=1)  # a few pages, no hooks
            shutil.copytree(national, site / "data")
            for province, package in sorted(res.packages.items()):
                folder = site / "provinces" / slug(province)
                for rel in _declared(package):
                    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(package / rel, folder / rel)
            site.chmod(0o755)
            swap_in(site, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        raise WriteError([os_failure(exc, str(out))]) from None
    files = [p for p in out.rglob("*") if p.is_file()]
    return NationalSite(out, sum(p.suffix == ".html" for p in files), len(files))
