"""The public view: an allow-list taken from the schemas' ``x-visibility`` marks.

A property reaches public output only if it, and every property above it, is marked
``x-visibility: public``. Anything unmarked is private. Household records are never
projected at all: only aggregates about households are published.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .schema import bundled, node_at

NEVER_PUBLIC_KINDS = frozenset({"household"})


def _is_public(node: dict) -> bool:
    return node.get("x-visibility") == "public"


@cache
def public_fields(schemas_dir: Path, kind: str) -> tuple[str, ...]:
    """Top-level properties of ``kind`` that are public, in schema order."""
    schema = bundled(schemas_dir)[kind]
    return tuple(
        name for name in schema.get("properties", {}) if _is_public(node_at(schema, [name]))
    )


def project(schemas_dir: Path, kind: str, data: dict) -> dict:
    """A deep copy of ``data`` holding only allow-listed properties."""
    if kind in NEVER_PUBLIC_KINDS:
        raise ValueError(f"{kind} records are never published; aggregate them instead")
    schema = bundled(schemas_dir)[kind]
    return _project(schema, [], data)


def _project(schema: dict, parts: list, value):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            node = node_at(schema, parts + [k])
            if _is_public(node):
                out[k] = _project(schema, parts + [k], v)
        return out
    if isinstance(value, list):
        # items inherit the array's visibility; their own properties are checked in turn
        return [_project(schema, parts + [i], v) for i, v in enumerate(value)]
    return value


def public_paths(schemas_dir: Path, kind: str) -> list[str]:
    """Every public JSON path of ``kind`` (``$.townships[].villages[].name`` style), for docs and tests."""
    schema = bundled(schemas_dir)[kind]
    out: list[str] = []

    def walk(parts: list, label: str):
        node = node_at(schema, parts)
        for name in node.get("properties", {}):
            child = node_at(schema, parts + [name])
            if not _is_public(child):
                continue
            path = f"{label}.{name}"
            out.append(path)
            if child.get("type") == "array" or "items" in child:
                walk(parts + [name, 0], path + "[]")
            else:
                walk(parts + [name], path)

    walk([], "$")
    return out


def suppress(count: int, threshold: int) -> int | None:
    """Small-cell suppression: counts in 1..threshold-1 are withheld (None); 0 stays 0."""
    if count and 0 < count < threshold:
        return None
    return count


def shown(count: int | None, threshold: int) -> str:
    """How a possibly suppressed count is displayed: ``<N`` when withheld."""
    return f"<{threshold}" if count is None else f"{count:,}"
