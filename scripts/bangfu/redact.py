"""The last line of defence: no finding leaves the checker holding a private value.

Messages are written not to quote private fields (schema findings are built from the schema
only, rules quote public fields only); this pass catches what a future message gets wrong.
For every finding about a record it

* cuts the JSON path at a key the schema does not define, unless it may be shown
  (``schema.may_show_key``: a field-name-like key in a public mapping), and masks that key in
  the message and hint (a key typed into a record can be a name);
* masks, in the message and hint, every text of the record held at a path that is not
  public: strings of two characters or more, numbers of four digits or more, and keys that
  may not be shown (any key of a private mapping; an unknown key that does not look like a
  field name).

Words that are part of the schema's own text (titles, descriptions, options, property names)
are not masked: they say nothing about anyone, and masking them would garble the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from .codes import REGISTRY
from .findings import Finding, json_path
from .record import Record
from .schema import is_public, may_show_key, node_at, schema_text

MASK = "＊＊＊"
MIN_TEXT = 2
MIN_NUMBER = 4
_SEGMENT = re.compile(r"\.([^.\[]+)|\[([0-9]+)\]")


def redact(
    findings: list[Finding], records: Iterable[Record], schemas: dict[str, dict]
) -> list[Finding]:
    """``findings`` with private texts of the records they are about masked (same order).
    ``schemas`` maps kind → bundled schema (``schema.bundled``). A file may come with several
    records (both sides of a change): all their texts count."""
    if not findings:
        return findings
    files = {f.file for f in findings}
    by_file: dict[str, list[tuple[str, Record]]] = {}  # (kind, record)
    for r in records:
        if r.file in files and r.kind is not None:
            by_file.setdefault(r.file, []).append((r.kind, r))
    needles: dict[str, tuple[str, ...]] = {}
    memos: dict[str, dict] = {}
    paths: dict[tuple[str, str], tuple[str, set[str]]] = {}
    out = []
    for f in findings:
        recs = [(k, r) for k, r in by_file.get(f.file, ()) if k in schemas]
        if not recs:
            out.append(f)
            continue
        kind = recs[0][0]
        schema = schemas[kind]
        if f.file not in needles:
            found = {
                t for k, r in recs for t in secrets(schemas[k], r.data, memos.setdefault(k, {}))
            }
            needles[f.file] = tuple(sorted(found, key=lambda s: (-len(s), s)))
        key = (kind, f.path)
        if key not in paths:
            paths[key] = safe_path(schema, f.path)
        path, cut = paths[key]
        masks = needles[f.file]
        if cut:
            words = schema_text(schema)
            cut = {c for c in cut if c not in words}
            masks = tuple(sorted(set(masks) | cut, key=lambda s: (-len(s), s)))
        message = mask(f.message, masks)
        registered = REGISTRY.get(f.code)
        static = registered is not None and f.hint == registered.hint
        hint = f.hint if static else mask(f.hint, masks)
        if (message, hint, path) != (f.message, f.hint, f.path):
            f = replace(f, message=message, hint=hint, path=path)
        out.append(f)
    return out


def mask(text: str, needles: Iterable[str]) -> str:
    for n in needles:
        if n in text:
            text = text.replace(n, MASK)
    return text


def secrets(schema: dict, data, memo: dict | None = None) -> tuple[str, ...]:
    """Every text of ``data`` that output must not show, longest first. ``memo`` (shape →
    the public property names there) may be shared between records of the same kind."""
    memo = {} if memo is None else memo
    found: set[str] = set()

    def public_keys(shape: tuple) -> frozenset:
        keys = memo.get(shape)
        if keys is None:
            props = node_at(schema, list(shape)).get("properties", {})
            keys = memo[shape] = frozenset(k for k in props if is_public(schema, shape + (k,)))
        return keys

    def walk(shape: tuple, value) -> None:
        # only public paths are walked: below them, items of lists and values of public
        # properties are public; everything else is private
        if isinstance(value, dict):
            pub = public_keys(shape)
            for k in value.keys() - pub:
                if isinstance(k, str) and len(k) >= MIN_TEXT and not may_show_key(schema, shape, k):
                    found.add(k)  # a key that is itself private content (e.g. a name)
                _private(value[k], found)
            for k in value.keys() & pub:
                v = value[k]
                if isinstance(v, dict | list):
                    walk(shape + (k,), v)
        elif isinstance(value, list):
            sub = shape + (0,)
            for v in value:
                if isinstance(v, dict | list):
                    walk(sub, v)

    if isinstance(data, dict | list):
        walk((), data)
    words = schema_text(schema)
    return tuple(sorted((s for s in found if s not in words), key=lambda s: (-len(s), s)))


def _private(value, found: set[str]) -> None:
    """Everything below a private path is private: keys and values alike."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and len(k) >= MIN_TEXT:
                found.add(k)
            _private(v, found)
    elif isinstance(value, list):
        for v in value:
            _private(v, found)
    elif isinstance(value, str):
        if len(value.strip()) >= MIN_TEXT:
            found.add(value)
            found.add(value.strip())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            texts = {f"{value:g}" if isinstance(value, float) else str(value), str(value)}
        except ValueError:  # an integer too long to print is not printed anywhere either
            return
        found.update(t for t in texts if len(t) >= MIN_NUMBER)


def safe_path(schema: dict, path: str) -> tuple[str, set[str]]:
    """``path`` cut before the first key that may not be shown, and the keys cut off."""
    if not path.startswith("$"):
        return path, set()
    parts: list = []
    rest = path[1:]
    pos = 0
    for m in _SEGMENT.finditer(rest):
        if m.start() != pos:
            break
        key, index = m.group(1), m.group(2)
        if key is not None:
            known = key in node_at(schema, parts).get("properties", {})
            if not known and not may_show_key(schema, parts, key):
                return json_path(parts), {rest[m.start() + 1 :]} | _words(rest[m.start() + 1 :])
            parts.append(key)
        else:
            parts.append(int(index))
        pos = m.end()
    # a key the pattern cannot split (e.g. holding "[" or ".")
    if pos != len(rest):
        return json_path(parts), {rest[pos:].lstrip(".")} | _words(rest[pos:])
    return path, set()


def _words(text: str) -> set[str]:
    """The pieces of a cut-off path tail, so each is masked on its own too."""
    return {w for w in re.split(r"[.\[\]]+", text) if len(w) >= MIN_TEXT and not w.isdigit()}
