"""``bangfu merge``: a national package from provinces' public packages.

A province's public package is the unit of federation: only its public tables travel, never a
household record. Each input is checked (a bangfu package of this software's table layout,
files equal to what its ``datapackage.json`` declares), read into DuckDB (its Parquet copy when
there is one, else its CSV) with every column typed by the table schema and suppressed cells
kept as such (null plus a ``_suppressed`` flag, never a number), then each table is
concatenated with a ``province`` column. A row two packages hold identically is kept once
(its ``province`` lists both); the same id with different content in two packages is a
conflict and nothing is written. Every problem is a finding; the output is written by the
export's writers into a temporary folder and swapped into place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import model as model_mod
from ..aggregate import NOT_RECORDED, WITHHELD, WITHHELD_MARKER, Column, Table, compute
from ..codes import (
    MERGE_CONFLICT,
    MERGE_DAMAGED,
    MERGE_MISSING,
    MERGE_NOT_PACKAGE,
    MERGE_PROVINCE_UNCLEAR,
    MERGE_SCHEMA_VERSION,
    make,
)
from ..findings import Finding
from ..schema import PACKAGE_SCHEMAS
from .extracts import DESCRIPTOR
from .parquet import flag_name
from .tableschema import PARQUET_SUFFIX

MAX_DESCRIPTOR = 64 * 1024 * 1024
PROVINCE = "province"
MAX_CONFLICTS = 20  # conflicts listed per table; the rest are counted
_SQL_TYPES = {
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "string": "VARCHAR",
}
_HASH = re.compile(r"sha256:[0-9a-f]{64}\Z")


class MergeError(Exception):
    """Nothing was merged; ``findings`` say why."""

    def __init__(self, findings: list[Finding]):
        super().__init__("; ".join(f"[{f.code}] {f.message}" for f in findings))
        self.findings = findings


@dataclass
class Source:
    """One province's package, checked and ready to read."""

    path: Path
    label: str  # how findings name it: the path as given
    descriptor: dict
    threshold: int
    marker: str | None
    files: dict[str, tuple[str, Path]] = field(default_factory=dict)  # table → (format, file)
    province: str = ""


def layout() -> dict[str, Table]:
    """The tables (columns, keys, titles) this software writes, without rows."""
    return compute(model_mod.build([]), PACKAGE_SCHEMAS, dt.date(2000, 1, 1)).tables


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name + '"'


# ---------------------------------------------------------------- opening a package


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def _fields_match(resource: dict, table: Table) -> bool:
    schema = resource.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        return False
    have = [(f.get("name"), f.get("type")) for f in schema["fields"] if isinstance(f, dict)]
    return have == [(c.name, c.type) for c in table.columns] and schema.get("primaryKey") == list(
        table.primary_key
    )


def open_package(path: Path, tables: dict[str, Table], ours: str) -> Source | Finding:
    """The package at ``path`` as a Source, or the finding that says why it cannot be merged."""
    label = str(path)
    if path.is_file() and path.name == DESCRIPTOR:
        path = path.parent
    if not path.exists():
        return make(MERGE_MISSING, label, f"找不到数据包 {label}")
    if not path.is_dir():
        return make(MERGE_MISSING, label, f"{label} 不是文件夹（数据包是一个文件夹）")
    desc_file = path / DESCRIPTOR
    try:
        if desc_file.stat().st_size > MAX_DESCRIPTOR:
            raise ValueError("too large")
        desc = json.loads(desc_file.read_text("utf-8"))
    except FileNotFoundError:
        return make(MERGE_NOT_PACKAGE, label, f"{label} 中没有 {DESCRIPTOR}，不是数据包")
    except (OSError, ValueError):
        return make(MERGE_NOT_PACKAGE, label, f"{label}/{DESCRIPTOR} 无法读取或不是 JSON")
    meta = desc.get("bangfu") if isinstance(desc, dict) else None
    if not isinstance(meta, dict) or not isinstance(desc.get("resources"), list):
        return make(
            MERGE_NOT_PACKAGE, label, f"{label} 不是 bangfu 导出的数据包（没有 bangfu 部分）"
        )
    if meta.get("national"):
        return make(MERGE_NOT_PACKAGE, label, f"{label} 是合并得到的全国数据包，不是省的数据包")
    declared = meta.get("schema_version")
    if declared != ours:
        return make(
            MERGE_SCHEMA_VERSION,
            label,
            f"{label} 的表结构版本是 {declared or '（未写明）'}，本程序的是 {ours}",
        )
    threshold = meta.get("small_cell_threshold")
    marker = meta.get("suppressed_marker")
    if (
        not isinstance(threshold, int)
        or isinstance(threshold, bool)
        or threshold < 1
        or marker != (WITHHELD_MARKER if threshold > 1 else None)
    ):
        return make(MERGE_NOT_PACKAGE, label, f"{label} 的小数字门槛或不公开标记写得不对")
    resources = {r.get("name"): r for r in desc["resources"] if isinstance(r, dict)}
    src = Source(path, label, desc, threshold, marker)
    for name, table in tables.items():
        csv_res = resources.get(name)
        if not isinstance(csv_res, dict) or csv_res.get("path") != f"{name}.csv":
            return make(MERGE_NOT_PACKAGE, label, f"{label} 缺少表 {name}（{name}.csv）")
        if not _fields_match(csv_res, table):
            return make(
                MERGE_SCHEMA_VERSION, label, f"{label} 中表 {name} 的列与本程序的表结构不同"
            )
        pq_res = resources.get(name + PARQUET_SUFFIX)
        fmt, res = "csv", csv_res
        if (
            isinstance(pq_res, dict)
            and pq_res.get("path") == f"{name}.parquet"
            and (path / f"{name}.parquet").is_file()
        ):
            fmt, res = "parquet", pq_res
        file = path / res["path"]
        if not file.is_file():
            return make(MERGE_NOT_PACKAGE, label, f"{label} 缺少文件 {res['path']}")
        want = res.get("hash")
        try:
            ok = isinstance(want, str) and _HASH.match(want) and _sha256(file) == want
        except OSError:
            return make(MERGE_NOT_PACKAGE, label, f"无法读取 {label}/{res['path']}")
        if not ok:
            return make(
                MERGE_DAMAGED,
                label,
                f"{label}/{res['path']} 与 {DESCRIPTOR} 中记下的校验值不符（文件已损坏或被改动）",
            )
        src.files[name] = (fmt, file)
    return src


# ---------------------------------------------------------------- reading into DuckDB


def _csv_expr(col: Column, marker: str | None) -> list[str]:
    c, sql = ident(col.name), _SQL_TYPES[col.type]
    if col.suppressed and marker:
        m = literal(marker)
        return [
            f"CASE WHEN {c} = {m} THEN NULL ELSE CAST({c} AS {sql}) END AS {c}",
            f"coalesce({c} = {m}, false) AS {ident(flag_name(col.name))}",
        ]
    out = [f"CAST(NULLIF({c}, '') AS {sql}) AS {c}"]
    if col.suppressed:
        out.append(f"false AS {ident(flag_name(col.name))}")
    return out


def _pq_expr(col: Column) -> list[str]:
    c = ident(col.name)
    out = [f"CAST({c} AS {_SQL_TYPES[col.type]}) AS {c}"]
    if col.suppressed:
        f = ident(flag_name(col.name))
        out.append(f"coalesce(CAST({f} AS BOOLEAN), false) AS {f}")
    return out


def source_table(i: int, name: str) -> str:
    return ident(f"s{i}__{name}")


def load(con, i: int, src: Source, tables: dict[str, Table]) -> Finding | None:
    """Each table of ``src`` as a typed DuckDB table ``s<i>__<name>``."""
    import duckdb

    for name, table in tables.items():
        fmt, file = src.files[name]
        rel = f"{src.label}/{file.name}"
        names = [c.name for c in table.columns]
        try:
            if fmt == "parquet":
                want = []
                for col in table.columns:
                    want += [col.name] + ([flag_name(col.name)] if col.suppressed else [])
                have = [
                    r[0]
                    for r in con.execute(
                        f"DESCRIBE SELECT * FROM read_parquet({literal(str(file))})"
                    ).fetchall()
                ]
                if have != want:
                    return make(MERGE_DAMAGED, src.label, f"{rel} 的列与表结构不符")
                exprs = [e for col in table.columns for e in _pq_expr(col)]
                source = f"read_parquet({literal(str(file))})"
            else:
                with open(file, encoding="utf-8", newline="") as fh:
                    header = fh.readline().rstrip("\n")
                if header != ",".join(names):
                    return make(MERGE_DAMAGED, src.label, f"{rel} 的表头与表结构不符")
                cols = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
                source = (
                    f"read_csv({literal(str(file))}, header=true, delim=',', quote='\"', "
                    f"escape='\"', auto_detect=false, all_varchar=true, columns={cols})"
                )
                exprs = [e for col in table.columns for e in _csv_expr(col, src.marker)]
            con.execute(
                f"CREATE OR REPLACE TABLE {source_table(i, name)} AS SELECT {', '.join(exprs)} FROM {source}"
            )
        except (duckdb.Error, OSError, UnicodeDecodeError) as exc:
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            return make(
                MERGE_DAMAGED,
                src.label,
                f"无法按表结构读取 {rel}（{type(exc).__name__}：{first}）",
            )
    return None


def province_of(con, i: int, src: Source) -> str | Finding:
    """The one province a package's counties are in."""
    rows = con.execute(
        f"SELECT DISTINCT province FROM {source_table(i, 'counties')} "
        "WHERE province IS NOT NULL ORDER BY 1"
    ).fetchall()
    names = [r[0] for r in rows]
    if len(names) == 1:
        return names[0]
    what = "没有写明省级的区县" if not names else f"属于 {len(names)} 个省（{'、'.join(names)}）"
    return make(
        MERGE_PROVINCE_UNCLEAR,
        src.label,
        f"{src.label} 的区县{what}；合并的单位是一个省的数据包",
    )


# ---------------------------------------------------------------- concatenation


def with_province(table: Table) -> list[Column]:
    """The merged table's columns: a leading ``province`` unless the table has one."""
    if any(c.name == PROVINCE for c in table.columns):
        return list(table.columns)
    col = Column(
        PROVINCE,
        "string",
        "省级",
        "该行来自哪个省的公开数据包（取自该数据包区县表的省级）；"
        "几个省的数据包中完全相同的一行只保留一次，列出这几个省，以“;”分隔。",
        required=True,
    )
    return [col, *table.columns]


def concatenate(con, name: str, table: Table, sources: list[Source]) -> None:
    """``u__<name>``: the rows of every source, identical rows once, with ``__province``."""
    cols = []
    for col in table.columns:
        cols += [col.name] + ([flag_name(col.name)] if col.suppressed else [])
    listed = ", ".join(ident(c) for c in cols)
    parts = " UNION ALL ".join(
        f"SELECT {literal(s.province)} AS __p, {listed} FROM {source_table(i, name)}"
        for i, s in enumerate(sources)
    )
    con.execute(
        f"CREATE TABLE {ident('u__' + name)} AS SELECT "
        f"string_agg(DISTINCT __p, ';' ORDER BY __p) AS __province, {listed} "
        f"FROM ({parts}) GROUP BY ALL"
    )


def conflicts(con, name: str, table: Table) -> list[Finding]:
    """Ids (primary keys) held by two packages with different content."""
    pk = ", ".join(ident(k) for k in table.primary_key)
    rows = con.execute(
        f"SELECT {', '.join(f'CAST({ident(k)} AS VARCHAR)' for k in table.primary_key)}, "
        f"string_agg(__province, '、' ORDER BY __province), count(*) OVER () "
        f"FROM {ident('u__' + name)} GROUP BY {pk} HAVING count(*) > 1 ORDER BY {pk} "
        f"LIMIT {MAX_CONFLICTS}"
    ).fetchall()
    out = []
    for row in rows:
        key = " × ".join(str(v) for v in row[: len(table.primary_key)])
        out.append(
            make(
                MERGE_CONFLICT,
                f"{name}.csv",
                f"表 {name} 中编号 {key} 在 {row[-2]} 的数据包中内容不同",
            )
        )
    if rows and rows[0][-1] > MAX_CONFLICTS:
        out.append(
            make(
                MERGE_CONFLICT,
                f"{name}.csv",
                f"表 {name} 中另有 {rows[0][-1] - MAX_CONFLICTS} 个编号冲突未列出",
            )
        )
    return out


def _number(value):
    """A merged number as the export writes it: integral amounts stay integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def merged_rows(con, name: str, table: Table, columns: list[Column]) -> list[dict]:
    """The rows of ``u__<name>`` as the export's row dicts (withheld: WITHHELD; not
    recorded: NOT_RECORDED), sorted by primary key like the export."""
    cur = con.execute(f"SELECT * FROM {ident('u__' + name)}")
    names = [d[0] for d in cur.description]
    own = {c.name for c in table.columns}
    rows = []
    for raw in cur.fetchall():
        rec = dict(zip(names, raw, strict=True))
        row = {}
        for col in columns:
            if col.name not in own:  # the added province column
                row[col.name] = rec["__province"]
                continue
            value = rec[col.name]
            if col.suppressed:
                if rec[flag_name(col.name)]:
                    value = WITHHELD
                elif value is None:
                    value = NOT_RECORDED
                elif col.type == "number":
                    value = _number(value)
            elif col.type == "number":
                value = _number(value)
            row[col.name] = value
        rows.append(row)
    rows.sort(key=lambda r: tuple(str(r[k]) for k in table.primary_key))
    return rows
