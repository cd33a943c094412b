"""The schema check of one record: the compiled validators (and their faster screens) and
the findings they give, each built from the schema only, never from the value it refuses:
a private field's value is never quoted. ``validate`` is the one entry point."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jsonschema_rs

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
from .schema import bundled, is_public, may_show_key, node_at, title_at


@cache
def validators(schemas_dir: Path) -> dict[str, jsonschema_rs.Draft202012Validator]:
    return {
        kind: jsonschema_rs.Draft202012Validator(s, validate_formats=True, formats=FORMATS)
        for kind, s in bundled(schemas_dir).items()
    }


DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_SCREEN_FORMATS = {k: f for k, f in FORMATS.items() if k != "date"}


@cache
def screens(schemas_dir: Path) -> dict[str, jsonschema_rs.Draft202012Validator | None]:
    """kind → a validator that accepts a record only if ``validators`` does, for records whose
    text holds no year 0000 (``may_differ``), several times faster: it checks dates with the
    validator's own compiled ``date`` format instead of calling ``is_valid_date`` for every
    date. On a string that matches ``DATE_PATTERN`` the two agree but for the year 0000 (the
    compiled format takes it; ``test_perf_paths`` tries every month and day of many years), so
    a kind gets a screen only if each of its ``date`` formats sits beside that pattern. A
    record the screen refuses is validated again by ``validators``, which gives the findings."""
    return {
        kind: jsonschema_rs.Draft202012Validator(s, validate_formats=True, formats=_SCREEN_FORMATS)
        if _dates_patterned(s)
        else None
        for kind, s in bundled(schemas_dir).items()
    }


def _dates_patterned(node) -> bool:
    if isinstance(node, dict):
        if node.get("format") == "date" and node.get("pattern") != DATE_PATTERN:
            return False
        return all(_dates_patterned(v) for v in node.values())
    if isinstance(node, list):
        return all(_dates_patterned(v) for v in node)
    return True


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


_PLACEHOLDER_BYTES = PLACEHOLDER.encode()


def may_hold_placeholder(raw: bytes) -> bool:
    """Whether a record read from these bytes can hold the placeholder: only if they hold it
    as written or an escape (a double-quoted ``\\u5f85…`` or an escaped line break) that
    could make it. Folding a line break gives a space, never the placeholder."""
    return _PLACEHOLDER_BYTES in raw or b"\\" in raw


def may_differ(raw: bytes) -> bool:
    """Whether ``screens`` may accept a record read from these bytes that ``validators``
    refuses: only if a date in it can be of the year 0000 (written so, or by an escape)."""
    return b"0000-" in raw or b"\\" in raw


def validate(rec: Record, schemas_dir: Path, raw: bytes | None = None) -> list[Finding]:
    """The schema's findings on one record (and ``record.placeholder`` for every value left
    as the skeleton placeholder). ``raw``: the file's bytes, when at hand, so that a record
    that cannot hold the placeholder is not searched for it, and a valid record is found
    valid by its kind's ``screens`` validator; the findings are the same either way."""
    if rec.data is None or rec.kind is None:
        return []
    v = validators(schemas_dir)[rec.kind]
    schema = bundled(schemas_dir)[rec.kind]
    out, seen = [], set()
    data = rec.data
    if sealed := SEALED_FIELD in data:  # a required private field may be in the ciphertext
        data = {k: v for k, v in data.items() if k != SEALED_FIELD}
    holes = (  # rare: look first
        placeholders(rec.data)
        if (raw is None or may_hold_placeholder(raw)) and has_placeholder(rec.data)
        else []
    )
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
    screen = screens(schemas_dir)[rec.kind] if raw is not None and not may_differ(raw) else None
    errors = () if screen is not None and screen.is_valid(data) else v.iter_errors(data)
    for err in errors:
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
