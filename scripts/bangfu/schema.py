"""Schema stage: the JSON Schemas in ``schemas/``, bundled once, and what they say about a
path: its title, whether it may be quoted (visibility). Checking a record against them is
``schemacheck``."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path

from . import resources

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
