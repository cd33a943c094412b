"""The public view: an allow-list taken from the schemas' ``x-visibility`` marks.

A property reaches public output only if it, and every property above it, is marked
``x-visibility: public``. Anything unmarked is private. Household records are never
projected at all: only aggregates about households are published.
"""

from __future__ import annotations

from pathlib import Path

from .schema import bundled, is_public, node_at

NEVER_PUBLIC_KINDS = frozenset({"household"})


def project(schemas_dir: Path, kind: str, data: dict) -> dict:
    """A deep copy of ``data`` holding only allow-listed properties (``schema.is_public``)."""
    if kind in NEVER_PUBLIC_KINDS:
        raise ValueError(f"{kind} records are never published; aggregate them instead")
    schema = bundled(schemas_dir)[kind]
    return _project(schema, (), data, _answers(schema))


# ``is_public``'s answer for each path of text keys met so far, per bundled schema (kept with
# its schema, so the id is not reused): the plans table projects every plan, and asking
# ``is_public`` each time took 2.3 of 3.5 s at 200,000 households
_ANSWERS: dict[int, tuple[dict, dict[tuple, bool]]] = {}


def _answers(schema: dict) -> dict[tuple, bool]:
    entry = _ANSWERS.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _ANSWERS[id(schema)] = (schema, {})
    return entry[1]


def _project(schema: dict, shape: tuple, value, answers: dict[tuple, bool] | None):
    """``answers``: None below a key that is not text (1, 1.0 and True compare equal as keys
    but not as paths): there, ``is_public`` is asked each time."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            sub = (*shape, k)
            below = answers if type(k) is str else None
            if below is None:
                public = is_public(schema, sub)
            elif (known := below.get(sub)) is not None:
                public = known
            else:
                public = below[sub] = is_public(schema, sub)
            if public:
                out[k] = _project(schema, sub, v, below)
        return out
    if isinstance(value, list):
        # items inherit the array's visibility; their own properties are checked in turn
        sub = (*shape, 0)
        return [_project(schema, sub, v, answers) for v in value]
    return value


def public_paths(schemas_dir: Path, kind: str) -> list[str]:
    """Every public JSON path of ``kind`` (``$.townships[].villages[].name`` style), for docs and tests."""
    schema = bundled(schemas_dir)[kind]
    out: list[str] = []

    def walk(parts: list, label: str):
        node = node_at(schema, parts)
        for name in node.get("properties", {}):
            child = node_at(schema, parts + [name])
            if not is_public(schema, (*parts, name)):
                continue
            path = f"{label}.{name}"
            out.append(path)
            if child.get("type") == "array" or "items" in child:
                walk(parts + [name, 0], path + "[]")
            else:
                walk(parts + [name], path)

    walk([], "$")
    return out
