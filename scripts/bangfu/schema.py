"""Schema stage: the JSON Schemas in ``schemas/``, bundled and compiled once."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path

import jsonschema_rs

from . import resources
from .checksums import FORMATS
from .codes import (
    RECORD_PLACEHOLDER,
    SCHEMA_ADDITIONAL_PROPERTIES,
    SCHEMA_CONST,
    SCHEMA_DATE,
    SCHEMA_ENUM,
    SCHEMA_FORMAT,
    SCHEMA_INVALID,
    SCHEMA_LENGTH,
    SCHEMA_MAX_ITEMS,
    SCHEMA_MAXIMUM,
    SCHEMA_MIN_ITEMS,
    SCHEMA_MINIMUM,
    SCHEMA_ONE_OF,
    SCHEMA_PATTERN,
    SCHEMA_REQUIRED,
    SCHEMA_RESIDENT_ID_CHECKSUM,
    SCHEMA_TYPE,
    SCHEMA_UNIQUE_ITEMS,
    SCHEMA_USCC_CHECKSUM,
    Code,
    make,
)
from .findings import Finding, json_path
from .record import SEALED_FIELD, Record

PACKAGE_SCHEMAS = resources.schemas()
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
def id_pattern(schemas_dir: Path = PACKAGE_SCHEMAS) -> re.Pattern:
    """The rule for every id (``$defs/id`` of ``common.schema.json``); use ``fullmatch``."""
    common = json.loads((schemas_dir / COMMON).read_text("utf-8"))
    return re.compile(common["$defs"]["id"]["pattern"])


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


# --- visibility: which paths may be quoted ------------------------------------------------


def is_public(schema: dict, parts) -> bool:
    """True when every key on ``parts`` is a property the schema defines and marks
    ``x-visibility: public`` (list indices inherit their list's class). Unknown keys and
    unmarked properties are private; the record root is public."""
    return _is_public(_Key(schema), path_shape(parts))


_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,39}\Z")


def may_show_key(schema: dict, parts, key: str) -> bool:
    """Whether a key the schema does not define, found in the mapping at ``parts``, may be
    quoted (a misspelt field name is worth showing; a name typed as a key is not): only in a
    public mapping, and only when it looks like a field name (ASCII, at most 40 characters)."""
    return is_public(schema, parts) and bool(_FIELD_NAME.match(key))


def path_shape(parts) -> tuple:
    """A JSON path with every list index as 0: the schema describes all items alike."""
    return tuple(0 if isinstance(p, int) else p for p in parts)


class _Key:
    """A bundled schema as a cache key (the dicts come from ``bundled`` and are never
    mutated, so identity is equality)."""

    __slots__ = ("schema",)

    def __init__(self, schema: dict):
        self.schema = schema

    def __hash__(self) -> int:
        return id(self.schema)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Key) and other.schema is self.schema


@cache
def _is_public(key: _Key, shape: tuple) -> bool:
    if not shape:
        return True
    parent, last = shape[:-1], shape[-1]
    if not _is_public(key, parent):
        return False
    if isinstance(last, int):
        return True
    node = node_at(key.schema, list(parent))
    child = node.get("properties", {}).get(last)
    return child is not None and node_at(key.schema, list(shape)).get("x-visibility") == "public"


def schema_text(schema: dict) -> str:
    """The schema's own words (titles, descriptions, options, property names) as one text."""
    return _schema_text(_Key(schema))


@cache
def _schema_text(key: _Key) -> str:
    return json.dumps(key.schema, ensure_ascii=False)


# --- schema findings: built from the schema only, never from the instance ----------------

_KEYWORD_CODES = {
    "required": SCHEMA_REQUIRED,
    "type": SCHEMA_TYPE,
    "enum": SCHEMA_ENUM,
    "const": SCHEMA_CONST,
    "pattern": SCHEMA_PATTERN,
    "minimum": SCHEMA_MINIMUM,
    "maximum": SCHEMA_MAXIMUM,
    "exclusiveMinimum": SCHEMA_MINIMUM,
    "exclusiveMaximum": SCHEMA_MAXIMUM,
    "additionalProperties": SCHEMA_ADDITIONAL_PROPERTIES,
    "minItems": SCHEMA_MIN_ITEMS,
    "maxItems": SCHEMA_MAX_ITEMS,
    "uniqueItems": SCHEMA_UNIQUE_ITEMS,
    "minLength": SCHEMA_LENGTH,
    "maxLength": SCHEMA_LENGTH,
    "oneOf": SCHEMA_ONE_OF,
    "anyOf": SCHEMA_ONE_OF,
    "minProperties": SCHEMA_REQUIRED,
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


def _limit(node: dict, keyword: str, kind) -> object:
    """A limit as the schema states it (the validator's copy when the keyword sits in a
    branch ``node_at`` does not follow)."""
    v = node.get(keyword)
    return v if v is not None else getattr(kind, "limit", "?")


def _describe(err, schema: dict, parts: list) -> tuple[Code, str, list]:
    """Code, message and path of one schema error. Only the schema speaks here (titles,
    limits, options); the instance's values, and the keys of a mapping that is not public,
    never reach the message or the path."""
    kind = err.kind
    name = kind.name
    title = title_at(schema, parts)
    node = node_at(schema, parts)
    if name == "required":
        prop = kind.property
        sub = title_at(schema, parts + [prop])
        return SCHEMA_REQUIRED, f"缺少必填字段 {prop}（{sub}）", parts
    if name == "additionalProperties":
        if all(may_show_key(schema, parts, k) for k in kind.unexpected):
            extra = "、".join(kind.unexpected)
            return (
                SCHEMA_ADDITIONAL_PROPERTIES,
                f"“{title}”中有不认识的字段：{extra}",
                parts + [kind.unexpected[0]],
            )
        # the path stops at the mapping; the finding still points at the key's line
        n = len(kind.unexpected)
        return (
            SCHEMA_ADDITIONAL_PROPERTIES,
            f"“{title}”中有 {n} 个不认识的字段（字段名可能含个人信息，不显示）",
            parts,
        )
    if name == "type":
        want = "或".join(_TYPE_NAMES.get(t, t) for t in kind.types)
        return SCHEMA_TYPE, f"{title}应为{want}", parts
    if name == "enum":
        options = "、".join(str(o) for o in node.get("enum", []))
        tail = f"；可选：{options}" if options else ""
        return SCHEMA_ENUM, f"{title}的值不在可选范围内{tail}", parts
    if name == "const":
        fixed = node.get("const")
        shown = f"：{fixed}" if isinstance(fixed, str | int | float) else ""
        return SCHEMA_CONST, f"{title}必须是固定值{shown}", parts
    if name == "format":
        fmt = kind.format
        if fmt == "uscc":
            return SCHEMA_USCC_CHECKSUM, f"{title}的校验位不对", parts
        if fmt == "cn-resident-id":
            return SCHEMA_RESIDENT_ID_CHECKSUM, f"{title}的出生日期或校验位不对", parts
        if fmt == "date":
            return SCHEMA_DATE, f"{title}不是真实存在的日期", parts
        return SCHEMA_FORMAT, f"{title}格式不对", parts
    if name in ("minimum", "exclusiveMinimum"):
        return SCHEMA_MINIMUM, f"{title}不能小于 {_limit(node, name, kind)}", parts
    if name in ("maximum", "exclusiveMaximum"):
        return SCHEMA_MAXIMUM, f"{title}不能大于 {_limit(node, name, kind)}", parts
    if name == "pattern":
        desc = node.get("description", "")
        return SCHEMA_PATTERN, f"{title}的格式不对。{desc}", parts
    if name == "minItems":
        return SCHEMA_MIN_ITEMS, f"{title}至少要有 {_limit(node, name, kind)} 项", parts
    if name == "maxItems":
        return SCHEMA_MAX_ITEMS, f"{title}最多 {_limit(node, name, kind)} 项", parts
    if name == "minLength":
        return SCHEMA_LENGTH, f"{title}至少要有 {_limit(node, name, kind)} 个字", parts
    if name == "maxLength":
        return SCHEMA_LENGTH, f"{title}不能超过 {_limit(node, name, kind)} 个字", parts
    if name == "uniqueItems":
        return SCHEMA_UNIQUE_ITEMS, f"{title}中有重复的项", parts
    if name == "minProperties":
        return SCHEMA_REQUIRED, f"{title}至少要填写一项", parts
    if name in ("oneOf", "anyOf"):
        desc = node.get("description", "")
        return SCHEMA_ONE_OF, f"{title}的字段组合不符合要求。{desc}", parts
    code = _KEYWORD_CODES.get(name, SCHEMA_INVALID)
    return code, f"{title}不符合数据规范（{name}）", parts


PLACEHOLDER = "待填写"
_WRAPPERS = frozenset({"oneOf", "anyOf", "allOf", "if", "then", "not"})


def is_placeholder(value) -> bool:
    """A value still holding the skeleton placeholder ``待填写`` (surrounding spaces aside)."""
    return isinstance(value, str) and value.strip() == PLACEHOLDER


def has_placeholder(node) -> bool:
    """Whether any value is still the skeleton placeholder (``placeholders`` without paths,
    stopping at the first)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, str):
            if PLACEHOLDER in n and n.strip() == PLACEHOLDER:
                return True
        elif isinstance(n, dict):
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
    return False


def placeholders(node, parts=()) -> list[tuple]:
    """Paths of every value left as the skeleton placeholder ``待填写``."""
    if isinstance(node, str):
        return [parts] if is_placeholder(node) else []
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
    out, seen = [], set()
    data = rec.data
    if sealed := SEALED_FIELD in data:  # a required private field may be in the ciphertext
        data = {k: v for k, v in data.items() if k != SEALED_FIELD}
    holes = placeholders(rec.data) if has_placeholder(rec.data) else []  # rare: look first
    for h in holes:
        line, col = rec.at(h)
        title = title_at(schema, list(h))
        out.append(
            make(
                RECORD_PLACEHOLDER,
                rec.file,
                f"“{title}”还是骨架里的“{PLACEHOLDER}”",
                line=line,
                column=col,
                path=json_path(h),
            )
        )
    for err in v.iter_errors(data):
        parts = list(err.instance_path)
        gap = sealed and err.kind.name == "required"  # privacy.seal
        if gap and not is_public(schema, [*parts, getattr(err.kind, "property", "")]):
            continue
        if holes and _covered(tuple(parts), err.kind.name, holes):
            continue
        code, message, where = _describe(err, schema, parts)
        key = (code, tuple(where))
        if key in seen:
            continue
        seen.add(key)
        at = where
        kind = err.kind
        if (
            isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties)
            and where == parts
        ):
            at = parts + [kind.unexpected[0]]
        line, col = rec.at(at)
        out.append(make(code, rec.file, message, line=line, column=col, path=json_path(where)))
    return out
