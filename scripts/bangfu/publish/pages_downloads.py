"""数据下载: every file of the open data package, with its size and row count, a data
dictionary per table (from the table schemas, ``tableschema.table_schema``), and how to open
the files in Excel or WPS.

The page is written after the package (``site.build`` writes the package first), so the
sizes are those of the files users download; without a package (a build without data) the
sizes show as 台账中无记录's dash.
"""

from __future__ import annotations

import json
from pathlib import Path

from .context import SiteContext
from .sqlite import DICTIONARY
from .sqlite import FILENAME as SQLITE
from .tableschema import EXCEL_DIR, WORKBOOK, table_schema
from .text import WIDE, esc, front, table

DESCRIPTOR = "datapackage.json"
TYPE_NAMES = {
    "string": "文本",
    "integer": "整数",
    "number": "数值",
    "boolean": "是/否",
    "date": "日期",
}


def size_text(n: int | None) -> str:
    """A file size as a page shows it, with the exact bytes in ``data-bytes``."""
    if n is None:
        return "—"
    if n < 1024:
        shown = f"{n} 字节"
    elif n < 1024 * 1024:
        shown = f"{n / 1024:.1f} KB"
    else:
        shown = f"{n / 1024 / 1024:.1f} MB"
    return f'<span class="bf-size" data-bytes="{n}" title="{n:,} 字节">{shown}</span>'


def _file(package: Path | None, rel: str) -> str:
    """A link to a file of the package with its size."""
    size = None
    if package is not None and (package / rel).is_file():
        size = (package / rel).stat().st_size
    return (
        f'<a class="bf-download" href="data/{esc(rel)}"><code>{esc(rel)}</code></a> '
        f"{size_text(size)}"
    )


def _howto() -> list[str]:
    return [
        "## 怎样打开",
        "",
        "- **Excel（Windows / Mac）**：打开 "
        f"<code>{EXCEL_DIR}/</code> 文件夹里的 CSV（带 BOM、表头是中文，双击即可打开，不会乱码），"
        f"或打开工作簿 <code>{WORKBOOK}</code>（每张表一个工作表，另有“说明”和“字段说明”工作表）。"
        "打开上面的标准 CSV 时请用“数据 → 从文本/CSV”，文件原始格式选“65001: Unicode (UTF-8)”。",
        f"- **WPS 表格**：直接打开工作簿或 <code>{EXCEL_DIR}/</code> 中的 CSV；"
        "打开标准 CSV 时用“数据 → 导入数据”，编码选 UTF-8，分隔符选逗号。",
        f"- **SQL、Datasette**：<code>{SQLITE}</code> 是全部表的 SQLite 数据库，"
        f"可用 <code>datasette {SQLITE}</code> 或 DB Browser for SQLite 打开；"
        f"<code>{DICTIONARY}</code> 表是数据字典。",
        "- **Python、R、DuckDB**：读 Parquet 文件（列已按类型存好），"
        f"或用 Frictionless 读 <code>{DESCRIPTOR}</code>（表结构、缺失值和外键都在其中）。",
        "",
    ]


def _dictionary(ctx: SiteContext, name: str, t) -> list[str]:
    schema = table_schema(t)
    rows = []
    for f in schema["fields"]:
        c = f.get("constraints", {})
        notes = []
        if c.get("required"):
            notes.append("必填")
        if f["name"] in schema["primaryKey"]:
            notes.append("主键")
        if c.get("enum"):
            notes.append("取值：" + "、".join(str(v) for v in c["enum"]))
        rows.append(
            [
                f"<code>{esc(f['name'])}</code>",
                esc(f.get("title", "")),
                esc(TYPE_NAMES.get(f["type"], f["type"])),
                esc(f.get("description", "")) + (f"（{esc('；'.join(notes))}）" if notes else ""),
            ]
        )
    refs = [
        f"<code>{esc(','.join(fk['fields']))}</code> → "
        f'<a href="#{esc(fk["reference"]["resource"])}">{esc(fk["reference"]["resource"])}</a>'
        for fk in schema.get("foreignKeys", [])
    ]
    out = [
        f'<details class="bf-dictionary" id="dict-{esc(name)}"><summary>{esc(t.title)}'
        f"（{esc(name)}）的字段</summary>",
        "",
        table(["列名", "标题", "类型", "说明"], rows),
    ]
    if refs:
        out.append(f"<p>关联：{'；'.join(refs)}</p>")
    out += ["</details>", ""]
    return out


def downloads_page(ctx: SiteContext, package: Path | None) -> str:
    desc = {}
    if package is not None and (package / DESCRIPTOR).is_file():
        desc = json.loads((package / DESCRIPTOR).read_text("utf-8"))
    out = [
        front("数据下载", **WIDE),
        "# 数据下载",
        "",
        "网站上的全部数字都来自下面这些开放数据表。表中只有公开字段和汇总数字，没有任何户级记录；"
        f"涉及少于 {ctx.threshold} 户的数字、以及可由合计推算出这类数字的格子写作“*”，不公开"
        "（见[数据保护](disclosure.md)）。空单元格表示台账中无记录，不等于 0。"
        "每一行在编号旁边都写有区县、乡镇、村、帮扶主体和方案的名称，不必关联别的表就能读。",
        "",
    ]
    if desc.get("version") and not str(desc["version"]).endswith("+unknown"):
        out += [f"数据包版本：<code>{esc(desc['version'])}</code>。", ""]
    out += _howto()
    out += [
        "## 整个数据包",
        "",
        table(
            ["文件", "内容"],
            [
                [
                    _file(package, DESCRIPTOR),
                    "Frictionless 数据包描述：每张表的表结构（字段、类型、缺失值、主键和外键）、"
                    "许可协议、来源和每个文件的大小与校验值。",
                ],
                [
                    _file(package, WORKBOOK),
                    "Excel 工作簿：每张表一个工作表，另有“说明”和“字段说明”工作表。",
                ],
                [_file(package, SQLITE), "SQLite 数据库：全部表，另有数据字典表。"],
            ],
            cls="bf-table bf-files",
        ),
        "## 各表文件",
        "",
    ]
    rows = []
    for name, t in ctx.tables.items():
        rows.append(
            [
                f'<a href="#{esc(name)}">{esc(t.title)}</a>',
                f'<span class="bf-rows" data-table="{esc(name)}" data-rows="{len(t.rows)}">'
                f"{len(t.rows):,}</span>",
                _file(package, f"{name}.csv"),
                _file(package, f"{EXCEL_DIR}/{name}.csv"),
                _file(package, f"{name}.parquet"),
            ]
        )
    out.append(
        table(
            ["表", "行数", "CSV（UTF-8）", "Excel 用 CSV（带 BOM）", "Parquet"],
            rows,
            numeric={1},
            cls="bf-table bf-files",
        )
    )
    out += [
        "",
        "Parquet 和 SQLite 中，不公开的数字为空值，并在紧随其后的 `<列名>_suppressed` 列中为真。",
        "",
        "## 数据字典",
        "",
    ]
    for name, t in ctx.tables.items():
        out += [f'<h3 id="{esc(name)}">{esc(t.title)}（{esc(name)}）</h3>', ""]
        out += [f"<p>{esc(t.description)}</p>", ""]
        out += _dictionary(ctx, name, t)
    out += [
        "记录的全部字段见[数据字典（记录）](dictionary.md)；"
        "记录原文（YAML）在本项目的 Git 仓库 `data/` 文件夹中，可以查看每条记录的修改历史。"
        "数据的变化见[最近更新](changes.md)。",
    ]
    return "\n".join(out) + "\n"


def pages(ctx: SiteContext, package: Path | None = None) -> dict[str, str]:
    return {"downloads.md": downloads_page(ctx, package)}
