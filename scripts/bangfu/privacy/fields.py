"""Which fields the privacy rule reads, taken from the schemas.

Public free text: every public path of a kind (``public.public_paths``, the same allow-list
the site and extracts are built from) whose value is a string with no ``enum``, ``const``,
``pattern`` or ``format``. Constrained strings are left out: their shape is the schema's
business, and a field whose shape is a phone (an organization's public ``office_phone``) may
hold a phone by design. Ids are checked separately, with the file names.

Person names: the private fields that hold a person's name, per kind. Only those the schema
still marks private are read.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from ..public import NEVER_PUBLIC_KINDS, public_paths
from ..schema import KIND_FILES, bundled, node_at

ITEMS = "[]"
# where a person's name is kept, as paths with ITEMS for "every item of the list"
NAME_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "household": (("head", "name"), ("members", ITEMS, "name")),
    "organization": (("leader", "name"),),
    "county": (("townships", ITEMS, "contact", "name"),),
}
_STEP = re.compile(r"\.([^.\[]+)|(\[\])")
_CONSTRAINED = ("enum", "const", "pattern", "format")


def _steps(label: str) -> tuple[str, ...]:
    return tuple(m.group(1) or ITEMS for m in _STEP.finditer(label[1:]))


def _schema_parts(steps: tuple[str, ...]) -> list:
    return [0 if s == ITEMS else s for s in steps]


@cache
def free_text_paths(schemas_dir: Path, kind: str) -> tuple[tuple[str, ...], ...]:
    """The public free-text paths of ``kind`` (none for kinds that are never published)."""
    if kind in NEVER_PUBLIC_KINDS or kind not in KIND_FILES:
        return ()
    schema = bundled(schemas_dir)[kind]
    out = []
    for label in public_paths(schemas_dir, kind):
        steps = _steps(label)
        node = node_at(schema, _schema_parts(steps))
        if node.get("type") == "string" and not any(k in node for k in _CONSTRAINED):
            out.append(steps)
    return tuple(out)


@cache
def name_paths(schemas_dir: Path, kind: str) -> tuple[tuple[str, ...], ...]:
    """The person-name paths of ``kind`` that the schema marks private."""
    if kind not in KIND_FILES:
        return ()
    public = {_steps(label) for label in public_paths(schemas_dir, kind)}
    return tuple(p for p in NAME_FIELDS.get(kind, ()) if p not in public)


def strings_at(data, steps: tuple[str, ...]) -> list[tuple[tuple[int, ...], str]]:
    """(list indices, text) for every non-empty string at ``steps``; ``parts_of`` turns the
    indices into JSON path parts (only needed for the few that are reported)."""
    # the shapes nearly every record's paths have, walked without the general walk's lists:
    # a field, a field of a field, a field of every item of a list
    n = len(steps)
    if 0 < n <= 3 and ITEMS not in steps[::2] and data.__class__ is dict:
        if n == 1:
            v = data.get(steps[0])
            return [((), v)] if v.__class__ is str and v else []
        node = data.get(steps[0])
        if n == 2 and steps[1] != ITEMS:
            v = node.get(steps[1]) if node.__class__ is dict else None
            return [((), v)] if v.__class__ is str and v else []
        if n == 3 and steps[1] == ITEMS:
            if node.__class__ is not list:
                return []
            key = steps[2]
            return [
                ((i,), v)
                for i, item in enumerate(node)
                if item.__class__ is dict and (v := item.get(key)).__class__ is str and v
            ]
    return [(idx, v) for idx, v in _walk(data, steps) if v.__class__ is str and v]


def parts_of(steps: tuple[str, ...], indices: tuple[int, ...]) -> tuple:
    it = iter(indices)
    return tuple(next(it) if s == ITEMS else s for s in steps)


def _walk(data, steps: tuple[str, ...]) -> list[tuple[tuple[int, ...], object]]:
    level: list[tuple[tuple[int, ...], object]] = [((), data)]
    for step in steps:
        if step == ITEMS:
            level = [
                (idx + (i,), item)
                for idx, node in level
                if node.__class__ is list
                for i, item in enumerate(node)
            ]
        else:
            level = [
                (idx, node[step]) for idx, node in level if node.__class__ is dict and step in node
            ]
        if not level:
            break
    return level
