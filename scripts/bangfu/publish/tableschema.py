"""Frictionless descriptors (Data Package v2, Table Schema v2) for the aggregate tables.

Everything here is derived from ``bangfu.aggregate.Table``; the column titles, descriptions and
enums in turn come from the JSON Schemas, so nothing is written twice.
"""

from __future__ import annotations

import hashlib
import json

from ..aggregate import WITHHELD_MARKER, Table
from .release import Release

PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
TABLE_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
PACKAGE_NAME = "bangfu-ledger"
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "知识共享署名 4.0 国际许可协议（Creative Commons Attribution 4.0 International）",
}
EXCEL_DIR = "excel"
WORKBOOK = "bangfu-tables.xlsx"
PARQUET_SUFFIX = "-parquet"  # resource name of a table's Parquet copy: counties-parquet
# the layout of the package (files, the bangfu section, how cells are written); bump it when
# a change makes packages of different versions unmergeable
FORMAT_VERSION = 1


def table_schema(table: Table) -> dict:
    fields = []
    for col in table.columns:
        f: dict[str, object] = {
            "name": col.name,
            "type": col.type,
            "title": col.title,
            "description": col.description,
        }
        constraints: dict[str, object] = {}
        if col.required or col.name in table.primary_key:
            constraints["required"] = True
        if col.enum:
            constraints["enum"] = list(col.enum)
        if col.suppressed:
            constraints["minimum"] = 0
        if constraints:
            f["constraints"] = constraints
        fields.append(f)
    schema = {
        "$schema": TABLE_PROFILE,
        "fields": fields,
        # "" is 台账中无记录 (not recorded); the marker is a figure withheld by disclosure control
        "missingValues": ["", table.marker] if table.threshold > 1 else [""],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(fk["fields"]), "reference": dict(fk["reference"])}
            for fk in table.foreign_keys
        ]
    return schema


def schema_version(tables: dict[str, Table]) -> str:
    """``<format>-<fingerprint>``: equal for two packages exactly when they have the same
    package layout and the same tables with the same columns, types, suppressed columns and
    keys (titles and descriptions may differ), so their tables can be concatenated."""
    shape = [
        [
            name,
            [[c.name, c.type, c.suppressed] for c in t.columns],
            list(t.primary_key),
        ]
        for name, t in tables.items()
    ]
    digest = hashlib.sha256(json.dumps(shape, separators=(",", ":")).encode()).hexdigest()
    return f"{FORMAT_VERSION}-{digest[:16]}"


def description(threshold: int, synthetic: bool, national: str = "") -> str:
    """The package description; ``national`` (a merged package) replaces the sentence on
    where the version comes from."""
    marker = WITHHELD_MARKER
    parts = [
        "结对帮扶公开台账的开放数据：区县、乡镇、村（含重点名单标记）、帮扶主体、专项行动、"
        "结对帮扶方案及其帮扶对象和帮扶主体、进度报告汇总，以及按村 × 月份 × 监测类别的帮扶进度。",
        "只含各记录中标记为公开的字段；没有任何户级数据，户数均为汇总数。",
    ]
    if threshold > 1:
        parts.append(
            f"为保护个人信息，涉及 1 至 {threshold - 1} 户的数字（户数，以及这些户的条目数和金额）不公开，"
            f"可由合计或其他公开表推算出这类数字的格子也不公开（次级隐藏），都写作“{marker}”"
            f"（在表结构中声明为缺失值 missingValues）；0 照常公开。方法见网站“数据保护”页面。"
        )
    parts += [
        "空单元格表示台账中无记录（台账没有这项数字，不等于 0），在表结构中声明为缺失值；"
        "0 是台账记录的零。",
        "每张表一个 UTF-8 编码、LF 换行的 CSV 文件；列表值以“;”分隔。",
        "全部表另有一个 SQLite 数据库文件（bangfu-tables.sqlite），表名、行和列与 CSV 相同。"
        "每张表另有一个同名的 Parquet 文件（资源名以 -parquet 结尾），行和列与 CSV 相同，"
        "列的类型按表结构；空单元格为空值（null），不公开的数字也是空值，"
        "并在紧随其后的“<列名>_suppressed”布尔列中为 true。",
        "这些 CSV 中的值与台账记录完全一致，不做任何改动。",
        f"Excel 用户请打开 {EXCEL_DIR}/ 文件夹中带 BOM 的 CSV（表头为中文标题，双击即可打开、不会乱码），"
        f"或工作簿 {WORKBOOK}（每张表一个工作表，首行冻结，另有“说明”和“字段说明”工作表）。"
        f"为防止电子表格把文字当作公式执行，{EXCEL_DIR}/ 中以 =、+、-、@、制表符或回车开头的文字单元格"
        "前加了一个英文单引号（'）；工作簿中这样的文字原样保存为文本单元格（带文本前缀标记）；数字列不受影响。",
        national or "版本号取自数据最后一次提交的日期和提交编号，",
        "同一份数据生成的文件逐字节相同。",
    ]
    if synthetic:
        parts.append("注意：本数据包含合成的演示数据（synthetic 列为 true 的行），不是真实记录。")
    return "".join(parts)


def package_descriptor(
    about: dict,
    tables: dict[str, Table],
    resources: dict[str, dict],
    database: dict | None = None,
) -> dict:
    """The datapackage.json content: ``about`` (``package_meta``, made once for the package
    and its workbook) and the resources. ``resources`` maps table name → {path, bytes, hash,
    parquet: {path, bytes, hash}}; ``database`` is the SQLite file's {path, bytes, hash}."""
    pkg = dict(about)
    pkg["resources"] = []
    for name, table in tables.items():
        res = resources[name]
        pkg["resources"].append(
            {
                "name": name,
                "type": "table",
                "path": res["path"],
                "scheme": "file",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "title": table.title,
                "description": table.description,
                "bytes": res["bytes"],
                "hash": res["hash"],
                "schema": table_schema(table),
            }
        )
    for name, table in tables.items():
        pkg["resources"].append(parquet_resource(name, table, resources[name]["parquet"]))
    if database is not None:
        pkg["resources"].append(sqlite_resource(tables, database))
    return pkg


def package_meta(
    tables: dict[str, Table],
    sources: list[dict],
    release: Release,
    synthetic: bool,
    meta: dict | None = None,
) -> dict:
    """The descriptor without its resources (what the workbook's 说明 sheet states, known
    before any file is written). ``meta`` (a merged package) may set ``name``, ``title``,
    ``description`` (added after the usual one) and ``bangfu`` (added to that section)."""
    meta = meta or {}
    threshold = max((t.threshold for t in tables.values()), default=1)
    pkg = {
        "$schema": PACKAGE_PROFILE,
        "name": meta.get("name", PACKAGE_NAME) + ("-demo" if synthetic else ""),
        "title": meta.get("title", "结对帮扶公开台账 · 开放数据")
        + ("（演示数据）" if synthetic else ""),
        "description": description(threshold, synthetic, meta.get("description", "")),
        "version": release.version,
        "licenses": [dict(LICENSE)],
        "sources": sources,
        "keywords": ["结对帮扶", "防返贫监测", "社会组织", "开放数据"],
    }
    if release.date != "unknown":
        pkg["created"] = release.date
    pkg["bangfu"] = {
        "data_commit": release.commit,
        "data_commit_date": release.date,
        "small_cell_threshold": threshold,
        "suppressed_marker": WITHHELD_MARKER if threshold > 1 else None,
        "synthetic": synthetic,
        "excel": {"csv_folder": EXCEL_DIR + "/", "workbook": WORKBOOK},
        "schema_version": schema_version(tables),
        "suppressed_columns": {
            name: [c.name for c in t.columns if c.suppressed]
            for name, t in tables.items()
            if any(c.suppressed for c in t.columns)
        },
        **meta.get("bangfu", {}),
    }
    return pkg


def sqlite_resource(tables: dict[str, Table], meta: dict) -> dict:
    """The SQLite file of every table, declared as a file resource (size and hash checked by
    the validator; its tables are those of the CSV resources, listed in ``bangfu``)."""
    from .sqlite import MEDIATYPE, RESOURCE, describe

    return {
        "name": RESOURCE,
        "type": "file",
        "path": meta["path"],
        "scheme": "file",
        "format": "sqlite",
        "mediatype": MEDIATYPE,
        "title": "全部数据表（SQLite 数据库）",
        "description": describe(tables),
        "bytes": meta["bytes"],
        "hash": meta["hash"],
        "bangfu": {"tables": list(tables)},
    }


def parquet_resource(name: str, table: Table, meta: dict) -> dict:
    """A table's Parquet copy, declared as a file resource: the frictionless validator checks
    its size and hash; it does not read Parquet cells (its reader needs pandas and turns a
    null integer into NaN, a type error), so the column layout is given in ``bangfu``."""
    from .parquet import MEDIATYPE, describe, fields

    return {
        "name": name + PARQUET_SUFFIX,
        "type": "file",
        "path": meta["path"],
        "scheme": "file",
        "format": "parquet",
        "mediatype": MEDIATYPE,
        "title": f"{table.title}（Parquet）",
        "description": describe(table),
        "bytes": meta["bytes"],
        "hash": meta["hash"],
        "bangfu": {"table": name, "fields": fields(table)},
    }
