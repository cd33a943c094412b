"""The site's reference pages, rendered from the code and the schemas so they cannot drift:
the error-code list (``codes.REGISTRY``) and the data dictionary (the schemas' public fields,
each kind's file location from ``layout``). The README's generated sections are tooling
(``bangfu_tools.readme``, ``bangfu docs``)."""

from __future__ import annotations

from pathlib import Path

from .codes import REGISTRY
from .findings import ERROR
from .layout import PLACES
from .rules.catalog import BY_CODE, anchor
from .schema import bundled, node_at


def md_cell(text: str) -> str:
    """Escape text for a Markdown table cell."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", "<br>")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace("`", "\\`")
    )


def error_codes_markdown() -> str:
    out = [
        "# 错误代码",
        "",
        "`bangfu check` 报告的每个问题都有一个稳定的代码。错误（error）会让检查失败；"
        "警告（warning）只提示，不阻止合并。",
        "",
        "监测规则产生的代码在“依据”一栏链接到[政策指南](guide.md#rules)中的规则："
        "它依据的文件和章节、由哪个政策参数决定。",
        "",
        "| 代码 | 级别 | 含义 | 怎么改 | 依据 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for code in sorted(REGISTRY):
        c = REGISTRY[code]
        level = "错误" if c.severity == ERROR else "警告"
        rule = BY_CODE.get(code)
        basis = f"[{md_cell(rule.title)}](guide.md#{anchor(rule)})" if rule else ""
        out.append(
            f'| <span id="{code}">`{code}`</span> | {level} | {md_cell(c.title)} '
            f"| {md_cell(c.hint)} | {basis} |"
        )
    return "\n".join(out) + "\n"


def _type_of(node: dict) -> str:
    if "enum" in node:
        return "可选值：" + "、".join(str(v) for v in node["enum"])
    if "const" in node:
        return f"固定为 {node['const']}"
    t = node.get("type", "")
    names = {
        "string": "文字",
        "integer": "整数",
        "number": "数字",
        "boolean": "是/否",
        "object": "字段组",
        "array": "列表",
    }
    label = names.get(t, t or "任意")
    if node.get("format") == "date":
        label = "日期 YYYY-MM-DD"
    return label


def data_dictionary_markdown(schemas_dir: Path) -> str:
    """One table per record kind listing only allow-listed fields (household records list
    their public fields, which are published as aggregates only)."""
    schemas = bundled(schemas_dir)
    out = [
        "# 数据字典",
        "",
        "由 `schemas/` 自动生成。只列出公开字段（x-visibility: public）；"
        "隐私字段只存在于数据仓库中，从不出现在网站和开放数据里。"
        "户记录从不逐户公开，其公开字段只用于汇总统计。",
        "",
    ]
    for kind in PLACES:
        schema = schemas[kind]
        out += [
            f"## {schema['title']}（{kind}）",
            "",
            md_cell(schema.get("description", "")),
            "",
            f"文件位置：`data/{PLACES[kind].pattern}`",
            "",
            "| 字段 | 名称 | 类型 | 必填 | 说明 |",
            "| --- | --- | --- | --- | --- |",
        ]

        _dictionary_rows(schema, [], "", set(schema.get("required", [])), out)
        out.append("")
    return "\n".join(out)


def _dictionary_rows(schema: dict, parts: list, label: str, required: set, out: list) -> None:
    node = node_at(schema, parts)
    for name in node.get("properties", {}):
        child = node_at(schema, parts + [name])
        if child.get("x-visibility") != "public":
            continue
        path = f"{label}.{name}" if label else name
        req = "是" if name in required else ""
        out.append(
            f"| `{path}` | {md_cell(child.get('title', ''))} | {md_cell(_type_of(child))} | {req} "
            f"| {md_cell(child.get('description', ''))} |"
        )
        if child.get("type") == "array":
            items = node_at(schema, parts + [name, 0])
            if items.get("properties"):
                _dictionary_rows(
                    schema, parts + [name, 0], path + "[]", set(items.get("required", [])), out
                )
        elif child.get("properties"):
            _dictionary_rows(schema, parts + [name], path, set(child.get("required", [])), out)
