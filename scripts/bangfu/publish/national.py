"""The national package: ``merge(paths, out)`` runs ``bangfu merge`` and adds the ``provinces``
table, one row per province with its totals.

Totals keep suppression: a total is exact only when every part is published. When some part
is suppressed (a count of 1 to threshold-1 written as ``<5``), the total is not a number: it is
written ``部分不公开`` (a declared missing value), next to the sum of the published parts
(``*_disclosed``) and the number of suppressed parts (``*_suppressed_parts``), so a reader knows
the total lies between ``disclosed + parts`` and ``disclosed + parts × (threshold - 1)``. A part
the ledger does not record (an empty cell) is left out; when no part is recorded the total is
empty as well. The same rule makes the national row of the summary page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..aggregate import NOT_RECORDED, WITHHELD, Column, Table
from ..codes import MERGE_DUPLICATE_PROVINCE, MERGE_THRESHOLD_DIFFERS, make
from ..config import UsageError
from ..findings import Finding
from ..writes import WriteError, os_failure
from . import merge as mg
from .extracts import DESCRIPTOR, ExportResult, check_out, publish
from .parquet import flag_name
from .release import Release
from .tableschema import PACKAGE_NAME, schema_version

PARTIAL = "部分不公开"
TABLE = "provinces"


@dataclass(frozen=True, slots=True)
class Total:
    """A sum over parts some of which may be suppressed or not recorded."""

    disclosed: int = 0  # sum of the published parts
    suppressed: int = 0  # parts not published (each at least 1)
    recorded: int = 0  # parts the ledgers record (published or suppressed)

    def __add__(self, other: Total) -> Total:
        return Total(
            self.disclosed + other.disclosed,
            self.suppressed + other.suppressed,
            self.recorded + other.recorded,
        )

    @property
    def value(self):
        """The total as a table cell: WITHHELD (``部分不公开``) when a part is withheld,
        NOT_RECORDED when no part is recorded, else the exact sum."""
        if self.suppressed:
            return WITHHELD
        if not self.recorded:
            return NOT_RECORDED
        return self.disclosed

    @property
    def at_least(self) -> int:
        return self.disclosed + self.suppressed


@dataclass(slots=True)
class TotalsTable(Table):
    """A table of totals: a suppressed cell here is a partial total, written ``部分不公开``."""

    @property
    def marker(self) -> str:
        return PARTIAL


@dataclass(frozen=True, slots=True)
class MergeResult:
    export: ExportResult
    provinces: list[dict]  # the rows of the provinces table
    packages: dict[str, Path]  # province → its package folder
    synthetic: bool


# ---------------------------------------------------------------- the provinces table


def _count(name: str, title: str, description: str) -> Column:
    return Column(name, "integer", title, description, required=True)


def _totals(name: str, title: str, what: str, threshold: int) -> list[Column]:
    return [
        Column(
            name,
            "integer",
            title,
            f"该省各区县的{what}之和。有区县的数字不公开时，合计也不公开，写作“{PARTIAL}”"
            f"（见后两列）；台账中没有帮扶户记录的区县不计入，全部区县都没有记录时留空。",
            suppressed=True,
        ),
        _count(
            f"{name}_disclosed", f"{title}（公开部分）", f"各区县公开的{what}之和（不含不公开的）。"
        ),
        _count(
            f"{name}_suppressed_parts",
            f"{title}不公开的区县数",
            f"{what}不公开的区县数；每个这样的区县至少有 1 户，"
            "所以合计不少于“公开部分 + 区县数”（不公开的格子可能大于门槛：可由合计推算出小格子的数字也不公开）。",
        ),
    ]


def _columns(threshold: int) -> list[Column]:
    money = "，单位元；没有一项记录时留空（台账中无记录）。"
    return [
        Column(
            "province",
            "string",
            "省级",
            "省、自治区或直辖市（取自该省数据包的区县表）。",
            required=True,
        ),
        _count("counties", "区县数", "该省数据包中的区县数。"),
        _count("townships", "乡镇数", "该省数据包中的乡镇（街道）数。"),
        _count("villages", "村数", "该省数据包中的村（社区）数。"),
        *_totals("households", "监测户数", "监测户数", threshold),
        *_totals("households_paired", "已结对户数", "已结对户数", threshold),
        _count("organizations", "帮扶主体数", "该省数据包中的帮扶主体数。"),
        _count("plans", "方案数", "该省数据包中的结对帮扶方案数。"),
        _count("plans_running", "执行中方案数", "统计日状况为执行中的方案数。"),
        Column("planned_amount_yuan", "number", "计划金额（元）", "各方案计划金额之和" + money),
        Column(
            "delivered_amount_yuan", "number", "已交付金额（元）", "各方案已交付金额之和" + money
        ),
        Column("package_version", "string", "数据包版本", "该省数据包的版本号。", required=True),
        Column("data_commit", "string", "数据提交", "该省数据包的数据提交编号。", required=True),
        Column(
            "synthetic", "boolean", "演示数据", "该省数据包是否含合成的演示数据。", required=True
        ),
    ]


def _total(con, i: int, column: str) -> Total:
    t, f = mg.source_table(i, "counties"), mg.ident(flag_name(column))
    c = mg.ident(column)
    disclosed, suppressed, known = con.execute(
        f"SELECT coalesce(sum({c}), 0), count(*) FILTER (WHERE {f}), count({c}) FROM {t}"
    ).fetchone()
    return Total(int(disclosed), int(suppressed), int(known) + int(suppressed))


def _amount(con, i: int, column: str, withheld: bool = False):
    """A province's sum of a plans' amount column; WITHHELD (部分不公开) when any part is
    withheld."""
    flag = f"count(*) FILTER (WHERE {mg.ident(flag_name(column))})" if withheld else "0"
    (value, hidden) = con.execute(
        f"SELECT sum(CAST({mg.ident(column)} AS DECIMAL(38, 6))), {flag}"
        f" FROM {mg.source_table(i, 'plans')}"
    ).fetchone()
    if hidden:
        return WITHHELD
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def province_rows(con, sources: list[mg.Source]) -> list[dict]:
    rows = []
    for i, s in enumerate(sources):

        def n(table: str, where: str = "", i=i) -> int:
            sql = f"SELECT count(*) FROM {mg.source_table(i, table)}"
            return con.execute(sql + (f" WHERE {where}" if where else "")).fetchone()[0]

        row = {
            "province": s.province,
            "counties": n("counties"),
            "townships": n("townships"),
            "villages": n("villages"),
            "organizations": n("organizations"),
            "plans": n("plans"),
            "plans_running": n("plans", "state = '执行中'"),
            "planned_amount_yuan": _amount(con, i, "planned_amount_yuan"),
            "delivered_amount_yuan": _amount(con, i, "delivered_amount_yuan", withheld=True),
            "package_version": str(s.descriptor.get("version", "")),
            "data_commit": str(s.descriptor["bangfu"].get("data_commit", "")),
            "synthetic": s.descriptor["bangfu"].get("synthetic") is True,
        }
        for name in ("households", "households_paired"):
            total = _total(con, i, name)
            row[name] = total.value
            row[f"{name}_disclosed"] = total.disclosed
            row[f"{name}_suppressed_parts"] = total.suppressed
        rows.append(row)
    rows.sort(key=lambda r: r["province"])
    return rows


def provinces_table(rows: list[dict], threshold: int) -> TotalsTable:
    return TotalsTable(
        TABLE,
        "各省汇总",
        "每个省一行：区县、乡镇、村、帮扶主体和方案的数量，监测户数和已结对户数的合计"
        f"（有区县的数字不公开时合计写作“{PARTIAL}”），计划和已交付金额，以及该省数据包的版本。",
        _columns(threshold),
        rows,
        ["province"],
        [],
        threshold,
    )


def totals(rows: list[dict], name: str) -> Total:
    """The national total of a provinces-table count, by the same rule."""
    out = Total()
    for r in rows:
        value = r[name]
        recorded = value is not NOT_RECORDED or r[f"{name}_suppressed_parts"] > 0
        out = out + Total(r[f"{name}_disclosed"], r[f"{name}_suppressed_parts"], int(recorded))
    return out


# ---------------------------------------------------------------- release and notes


def release(sources: list[mg.Source]) -> Release:
    """The national version: the latest data date of the provinces, and a digest of their
    versions as the "commit" (the same inputs give the same version)."""
    lines = sorted(
        f"{s.province}\t{s.descriptor.get('version')}\t{s.descriptor['bangfu'].get('data_commit')}"
        for s in sources
    )
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:40]
    dates = []
    for s in sources:
        text = s.descriptor["bangfu"].get("data_commit_date")
        with contextlib.suppress(TypeError, ValueError):
            when = dt.datetime.fromisoformat(text)
            if when.tzinfo is not None:  # git's %cI always has an offset
                dates.append((when, text))
    return Release(digest, max(dates)[1] if dates else "unknown")


def meta(sources: list[mg.Source]) -> dict:
    names = "、".join(sorted(s.province for s in sources))
    return {
        "name": PACKAGE_NAME + "-national",
        "title": f"结对帮扶公开台账 · 全国开放数据（{len(sources)} 个省合并）",
        "description": (
            f"本数据包由 {len(sources)} 个省（{names}）的公开数据包合并而成（bangfu merge），"
            "户级数据从不离开各省。除区县表（本有省级列）外，每张表的第一列 province 写明该行来自哪个省；"
            "两个省的数据包中完全相同的一行只保留一次。不公开的数字原样保留，从不加进任何合计；"
            f"各省汇总表（{TABLE}）中，有区县的数字不公开时合计写作“{PARTIAL}”，"
            "并给出公开部分之和与不公开的区县数。版本号取自各省数据中最晚的提交日期和各省版本的摘要，"
        ),
        "bangfu": {
            "national": True,
            "provinces": [
                {
                    "province": s.province,
                    "name": s.descriptor.get("name"),
                    "version": s.descriptor.get("version"),
                    "data_commit": s.descriptor["bangfu"].get("data_commit"),
                    "data_commit_date": s.descriptor["bangfu"].get("data_commit_date"),
                    "synthetic": s.descriptor["bangfu"].get("synthetic") is True,
                }
                for s in sorted(sources, key=lambda s: s.province)
            ],
        },
    }


def _sources(sources: list[mg.Source]) -> list[dict]:
    titles = set()
    for s in sources:
        for item in s.descriptor.get("sources") or []:
            if isinstance(item, dict) and isinstance(item.get("title"), str):
                titles.add(item["title"])
    return [{"title": t} for t in sorted(titles)]


# ---------------------------------------------------------------- the command


def _check_paths(paths: list[Path], out: Path) -> None:
    target = out.resolve()
    for p in paths:
        here = p.resolve()
        if here == target or target in here.parents or here in target.parents:
            raise UsageError(f"输出文件夹 {out} 与输入的数据包 {p} 重叠；请换一个 --out")


def _fail(findings: list[Finding]) -> None:
    if findings:
        raise mg.MergeError(findings)


def merge(paths: list[Path], out: Path) -> MergeResult:
    import duckdb

    out = Path(out)
    _check_paths(paths, out)
    check_out(out)
    layout = mg.layout()
    ours = schema_version(layout)
    findings: list[Finding] = []
    sources: list[mg.Source] = []
    for p in paths:
        got = mg.open_package(Path(p), layout, ours)
        if isinstance(got, Finding):
            findings.append(got)
        else:
            sources.append(got)
    con = duckdb.connect(":memory:")
    try:
        readable: list[mg.Source] = []
        for s in sources:  # every package is checked, so all problems are reported at once
            i = len(readable)
            province = mg.load(con, i, s, layout) or mg.province_of(con, i, s)
            if isinstance(province, Finding):
                findings.append(province)
            else:
                s.province = province
                readable.append(s)
        sources = readable
        if not sources:
            _fail(findings)
        thresholds = sorted({s.threshold for s in sources})
        if len(thresholds) > 1:
            each = "，".join(f"{s.province} {s.threshold}" for s in sources)
            findings.append(
                make(
                    MERGE_THRESHOLD_DIFFERS,
                    sources[0].label,
                    f"各省的小数字门槛不同（{each}）；不公开标记无法统一，没有合并",
                )
            )
        seen: dict[str, str] = {}
        for s in sources:
            if s.province in seen:
                findings.append(
                    make(
                        MERGE_DUPLICATE_PROVINCE,
                        s.label,
                        f"{s.label} 和 {seen[s.province]} 都是 {s.province} 的数据包",
                    )
                )
            seen.setdefault(s.province, s.label)
        _fail(findings)
        threshold = thresholds[0]
        for name, table in layout.items():
            mg.concatenate(con, name, table, sources)
            findings += mg.conflicts(con, name, table)
        _fail(findings)
        tables: dict[str, Table] = {}
        for name, t in layout.items():
            cols = mg.with_province(t)
            rows = mg.merged_rows(con, name, t, cols)
            tables[name] = Table(
                name, t.title, t.description, cols, rows, t.primary_key, t.foreign_keys, threshold
            )
        rows = province_rows(con, sources)
    finally:
        con.close()
    tables[TABLE] = provinces_table(rows, threshold)
    try:
        result = publish(out, tables, _sources(sources), release(sources), meta(sources))
    except OSError as exc:
        raise WriteError([os_failure(exc, str(out / DESCRIPTOR))]) from None
    packages = {s.province: s.path for s in sources}
    synthetic = any(r["synthetic"] for r in rows)
    return MergeResult(result, rows, packages, synthetic)
