"""Semantic diff of one record: which fields changed, labelled with the schema titles.

Values are carried only for fields the schema marks ``x-visibility: public`` (the field and
every field above it). Anything else, including fields the schema does not know, is reported
as "隐私字段已修改" with no value, so a summary built from this diff is safe to post publicly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from ..findings import json_path
from ..record import SEALED_FIELD
from ..schema import is_public, node_at, path_shape

PRIVATE_NOTE = "隐私字段已修改"
MISSING = object()


@dataclass(slots=True)
class FieldChange:
    op: str  # "changed" | "added" | "removed"
    label: str  # schema titles, e.g. "帮扶条目第 2 项 · 金额（元）"
    path: str  # JSON path on the side that exists (head side, else base side)
    private: bool
    # where the change sits on each side; None only for list items that exist on one side
    old_parts: tuple | None
    new_parts: tuple | None
    old: object = None  # only for public fields, and only their public parts
    new: object = None
    old_text: str = ""  # the same, as text labelled with schema titles
    new_text: str = ""

    def as_dict(self) -> dict:
        d = {"op": self.op, "label": self.label, "path": self.path, "private": self.private}
        if self.private:
            d["note"] = PRIVATE_NOTE
        else:
            d["old"], d["new"] = self.old, self.new
            d["old_text"], d["new_text"] = self.old_text, self.new_text
        return d


@dataclass(slots=True)
class Diff:
    changes: list[FieldChange] = field(default_factory=list)


def canon(value) -> str:
    """A canonical text form, so 1 ≠ 1.0 ≠ true and key order does not matter."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class SchemaView:
    """Titles and visibility of the paths of one record kind."""

    def __init__(self, schema: dict):
        self.schema = schema
        self._node = lru_cache(maxsize=None)(self._node_uncached)

    def _node_uncached(self, shape: tuple) -> dict:
        return node_at(self.schema, shape)

    shape = staticmethod(path_shape)

    def node(self, parts) -> dict:
        return self._node(self.shape(parts))

    def known(self, parts) -> bool:
        """True when every key on the path is a property the schema defines."""
        n: tuple = ()
        for p in self.shape(parts):
            parent = self._node(n)
            if isinstance(p, str) and p not in parent.get("properties", {}):
                return False
            n = n + (p,)
        return True

    def public(self, parts) -> bool:
        return is_public(self.schema, parts)

    def title(self, parts) -> str:
        t = self.node(parts).get("title")
        return t or self.schema.get("title", "记录")

    def label(self, parts) -> str:
        """“帮扶条目第 2 项 · 金额（元）”: list titles with item numbers, then the field title."""
        segs = []
        for i, p in enumerate(parts):
            if isinstance(p, int):
                segs.append(f"{self.title(parts[:i])}第 {p + 1} 项")
        last = parts[-1] if parts else None
        if last is None:
            return self.schema.get("title", "记录")
        if isinstance(last, str):
            segs.append(self.title(parts))
        return " · ".join(segs)


def _known_prefix(view: SchemaView, parts: tuple) -> tuple:
    """The longest prefix of ``parts`` that the schema knows (unknown keys are not shown)."""
    for n in range(len(parts), -1, -1):
        if view.known(parts[:n]):
            return parts[:n]
    return ()


def diff(view: SchemaView, old, new) -> Diff:
    out = Diff()
    _walk(view, (), (), old, new, out.changes)
    return out


def _emit(view: SchemaView, out: list, op: str, old_parts, new_parts, old, new) -> None:
    parts = new_parts if new_parts is not None and op != "removed" else old_parts
    if view.public(parts):
        o = None if old is MISSING else project(view, old_parts or parts, old)
        n = None if new is MISSING else project(view, new_parts or parts, new)
        out.append(
            FieldChange(
                op,
                view.label(parts),
                json_path(parts),
                False,
                old_parts,
                new_parts,
                o,
                n,
                "" if old is MISSING else show(view, old_parts or parts, old),
                "" if new is MISSING else show(view, new_parts or parts, new),
            )
        )
        return
    if parts[:1] == (SEALED_FIELD,):  # the record's private fields, sealed (privacy.seal)
        parts = shown = (SEALED_FIELD,)
        label = "隐私字段（密文）"
    else:
        shown = _known_prefix(view, parts)
        label = view.label(shown) if shown else "记录"
        if shown != parts:
            label += "（未定义字段）"
    fc = FieldChange(
        "changed" if shown != parts else op, label, json_path(shown), True, old_parts, new_parts
    )
    # several unknown keys under one parent collapse into one line
    if out and out[-1].private and out[-1].path == fc.path and out[-1].label == fc.label:
        return
    out.append(fc)


def _walk(view: SchemaView, op_: tuple, np_: tuple, old, new, out: list) -> None:
    if old is not MISSING and new is not MISSING and canon(old) == canon(new):
        return
    if old is MISSING or new is MISSING:  # a key added to or dropped from a mapping
        _emit(view, out, "added" if old is MISSING else "removed", op_, np_, old, new)
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for k in list(old) + [k for k in new if k not in old]:
            _walk(view, op_ + (k,), np_ + (k,), old.get(k, MISSING), new.get(k, MISSING), out)
        return
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and view.public(np_)
        and _composite(old + new)
    ):
        _walk_list(view, op_, np_, old, new, out)
        return
    _emit(view, out, "changed", op_, np_, old, new)


def _composite(items: list) -> bool:
    return any(isinstance(v, dict | list) for v in items)


def _walk_list(view: SchemaView, op_: tuple, np_: tuple, old: list, new: list, out: list) -> None:
    a = [canon(v) for v in old]
    b = [canon(v) for v in new]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            _walk(view, op_ + (i1 + k,), np_ + (j1 + k,), old[i1 + k], new[j1 + k], out)
        for i in range(i1 + paired, i2):
            _emit(view, out, "removed", op_ + (i,), None, old[i], MISSING)
        for j in range(j1 + paired, j2):
            _emit(view, out, "added", None, np_ + (j,), MISSING, new[j])


def get(data, parts):
    """The value at ``parts`` inside ``data``, or MISSING."""
    cur = data
    for p in parts:
        in_list = isinstance(p, int) and isinstance(cur, list) and 0 <= p < len(cur)
        in_map = isinstance(p, str) and isinstance(cur, dict) and p in cur
        if not (in_list or in_map):
            return MISSING
        cur = cur[p]
    return cur


def show(view: SchemaView, parts: tuple, value) -> str:
    """A value as plain text, keeping only the public parts of composite values."""
    if value is None or value is MISSING:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    if isinstance(value, dict):
        bits = []
        for k, v in value.items():
            if view.public(parts + (k,)):
                bits.append(f"{view.title(parts + (k,))} {show(view, parts + (k,), v)}")
        return "，".join(bits) if bits else "（隐私内容）"
    if isinstance(value, list):
        if _composite(value):
            return f"{len(value)} 项"
        return "、".join(show(view, parts + (i,), v) for i, v in enumerate(value)) or "（无）"
    return str(value)


def project(view: SchemaView, parts: tuple, value):
    """A copy of ``value`` keeping only its public parts."""
    if isinstance(value, dict):
        return {
            k: project(view, parts + (k,), v) for k, v in value.items() if view.public(parts + (k,))
        }
    if isinstance(value, list):
        return [project(view, parts + (i,), v) for i, v in enumerate(value)]
    return value
