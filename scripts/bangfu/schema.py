"""Schema stage: the JSON Schemas in ``schemas/``, bundled and compiled once."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

import jsonschema_rs

from .checksums import FORMATS
from .codes import make
from .findings import Finding, json_path
from .load import Record

PACKAGE_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
COMMON = "common.schema.json"
KIND_FILES = {
    "source": "source.schema.json",
    "county": "county.schema.json",
    "organization": "organization.schema.json",
    "campaign": "campaign.schema.json",
    "policy": "policy.schema.json",
    "household": "household.schema.json",
    "plan": "plan.schema.json",
    "report": "report.schema.json",
}


def _rewrite_refs(node, defs_prefix: str):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith(COMMON + "#/$defs/"):
                out[k] = "#/$defs/" + v.split("/")[-1]
            else:
                out[k] = _rewrite_refs(v, defs_prefix)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, defs_prefix) for v in node]
    return node


@cache
def bundled(schemas_dir: Path) -> dict[str, dict]:
    """kind → a self-contained schema (the shared ``$defs`` copied in)."""
    common = json.loads((schemas_dir / COMMON).read_text("utf-8"))
    out = {}
    for kind, name in KIND_FILES.items():
        schema = json.loads((schemas_dir / name).read_text("utf-8"))
        schema = _rewrite_refs(schema, "")
        defs = copy.deepcopy(common["$defs"])
        defs.update(schema.get("$defs", {}))
        schema["$defs"] = defs
        out[kind] = schema
    return out


@cache
def validators(schemas_dir: Path) -> dict[str, jsonschema_rs.Draft202012Validator]:
    return {
        kind: jsonschema_rs.Draft202012Validator(s, validate_formats=True, formats=FORMATS)
        for kind, s in bundled(schemas_dir).items()
    }


def node_at(schema: dict, parts) -> dict:
    """The sub-schema describing the instance at ``parts`` (follows $ref, properties, items)."""
    defs = schema.get("$defs", {})

    def deref(n):
        seen = 0
        while isinstance(n, dict) and "$ref" in n and seen < 10:
            target = defs.get(n["$ref"].split("/")[-1], {})
            n = {**target, **{k: v for k, v in n.items() if k != "$ref"}}
            seen += 1
        return n

    n = deref(schema)
    for p in parts:
        if isinstance(p, int):
            n = deref(n.get("items", {}))
        else:
            n = deref(n.get("properties", {}).get(p, {}))
    return n


def title_at(schema: dict, parts) -> str:
    parts = list(parts)
    while parts:
        t = node_at(schema, parts).get("title")
        if t:
            return t
        parts.pop()
    return schema.get("title", "记录")


_KEYWORD_CODES = {
    "required": "schema.required",
    "type": "schema.type",
    "enum": "schema.enum",
    "const": "schema.const",
    "pattern": "schema.pattern",
    "minimum": "schema.minimum",
    "maximum": "schema.maximum",
    "exclusiveMinimum": "schema.minimum",
    "exclusiveMaximum": "schema.maximum",
    "additionalProperties": "schema.additional-properties",
    "minItems": "schema.min-items",
    "maxItems": "schema.max-items",
    "uniqueItems": "schema.unique-items",
    "minLength": "schema.length",
    "maxLength": "schema.length",
    "oneOf": "schema.one-of",
    "minProperties": "schema.required",
}
_TYPE_NAMES = {
    "string": "文字",
    "integer": "整数",
    "number": "数字",
    "boolean": "true 或 false",
    "object": "字段映射",
    "array": "列表",
    "null": "空值",
}


def _describe(err, schema: dict, parts: list) -> tuple[str, str, list]:
    kind = err.kind
    name = kind.name
    title = title_at(schema, parts)
    node = node_at(schema, parts)
    if name == "required":
        prop = kind.property
        sub = title_at(schema, parts + [prop])
        return "schema.required", f"缺少必填字段 {prop}（{sub}）", parts
    if name == "additionalProperties":
        extra = "、".join(kind.unexpected)
        return (
            "schema.additional-properties",
            f"“{title}”中有不认识的字段：{extra}",
            parts + [kind.unexpected[0]],
        )
    if name == "type":
        want = "或".join(_TYPE_NAMES.get(t, t) for t in kind.types)
        return "schema.type", f"{title}应为{want}", parts
    if name == "enum":
        options = "、".join(
            str(o) for o in node.get("enum", kind.options if hasattr(kind, "options") else [])
        )
        return "schema.enum", f"{title}的值不在可选范围内；可选：{options}", parts
    if name == "format":
        fmt = kind.format
        if fmt == "uscc":
            return "schema.uscc-checksum", f"{title}的校验位不对", parts
        if fmt == "cn-resident-id":
            return "schema.resident-id-checksum", f"{title}的出生日期或校验位不对", parts
        if fmt == "date":
            return "schema.date", f"{title}不是真实存在的日期", parts
        return "schema.format", f"{title}格式不对", parts
    if name in ("minimum", "exclusiveMinimum"):
        return "schema.minimum", f"{title}不能小于 {kind.limit}", parts
    if name in ("maximum", "exclusiveMaximum"):
        return "schema.maximum", f"{title}不能大于 {kind.limit}", parts
    if name == "pattern":
        desc = node.get("description", "")
        return "schema.pattern", f"{title}的格式不对。{desc}", parts
    code = _KEYWORD_CODES.get(name, "schema.invalid")
    return code, f"{title}不符合要求：{err.message}", parts


PLACEHOLDER = "待填写"
_WRAPPERS = frozenset({"oneOf", "anyOf", "allOf", "if", "then", "not"})


def placeholders(node, parts=()) -> list[tuple]:
    """Paths of every value left as the skeleton placeholder ``待填写``."""
    if isinstance(node, str):
        return [parts] if node.strip() == PLACEHOLDER else []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    return [p for k, v in items for p in placeholders(v, parts + (k,))]


def _covered(parts: tuple, kind: str, holes: list[tuple]) -> bool:
    """A schema error at or under a placeholder (or a combinator error above one) adds
    nothing to the ``record.placeholder`` finding."""
    return any(
        parts[: len(h)] == h or (kind in _WRAPPERS and h[: len(parts)] == parts) for h in holes
    )


def validate(rec: Record, schemas_dir: Path) -> list[Finding]:
    if rec.data is None or rec.kind is None:
        return []
    v = validators(schemas_dir)[rec.kind]
    schema = bundled(schemas_dir)[rec.kind]
    out = []
    seen = set()
    holes = placeholders(rec.data)
    for h in holes:
        line, col = rec.at(h)
        title = title_at(schema, list(h))
        out.append(
            make(
                "record.placeholder",
                rec.file,
                f"“{title}”还是骨架里的“{PLACEHOLDER}”",
                line=line,
                column=col,
                path=json_path(h),
            )
        )
    for err in v.iter_errors(rec.data):
        parts = list(err.instance_path)
        if holes and _covered(tuple(parts), err.kind.name, holes):
            continue
        code, message, where = _describe(err, schema, parts)
        key = (code, tuple(where))
        if key in seen:
            continue
        seen.add(key)
        line, col = rec.at(where)
        out.append(make(code, rec.file, message, line=line, column=col, path=json_path(where)))
    return out
