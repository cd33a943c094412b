"""The fast path of ``yamlsafe.parse``: a compiled parser (yaml-rs) reads files that use none
of the YAML features on which it and the careful reader (``yamlbuild``) could differ; its
result is then checked for the same limits. Anything else, and anything it refuses, goes to the
careful reader, which also gives every finding its line and column."""

from __future__ import annotations

import re
import sys
from types import ModuleType

from .yamlbuild import MAX_DEPTH, MAX_NODES, MAX_NUMBER

_yaml_rs: ModuleType | None
try:
    import yaml_rs as _yaml_rs
except ImportError:  # pragma: no cover
    _yaml_rs = None

# cheap screens first; the exact patterns run only when a screen fires
_RISKY_CHARS = re.compile(r"[!&*\t\r\\<\[{\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")
_RISKY = re.compile(
    r"[!&*\t\r\\\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ufffe\uffff]"  # tags, anchors, aliases,
    # tabs, CR, escapes, and characters the YAML reader refuses
    r"|<<"  # merge keys
    r"|[\[{](?![\]}])"  # flow collections other than [] and {}
)
# an underscore next to a digit: "1_000", "_1", "1_", "0.5_" are text to the core schema, while
# the compiled parser reads them as numbers
# (written to start with the underscore, so that the search skips to each one: many records
# have none near a digit but many in their field names)
_DIGIT_SEPARATOR = re.compile(r"_(?:(?<=[0-9]_)|(?=[0-9]))")
_LINE_MARKS = ("---", "...", "%", "?")
_RISKY_LINE = re.compile(r"^(?:---|\.\.\.|%|[ ]*\?)", re.MULTILINE)  # documents, directives,
# complex keys
_NUMBER_SCREEN = re.compile(r" [-+]?(?:0[0-9xXoObB_]|\.[iInN])")
_RISKY_NUMBER = re.compile(  # number forms the YAML 1.2 core schema reads as strings
    r"(?:^|[ ])[-+]?(?:0[0-9xXoObB_]|\.(?:inf|Inf|INF|nan|NaN|NAN)\b)", re.MULTILINE
)


# a block scalar with no content at the end of the text (the compiled parser reads "\n")
_EMPTY_BLOCK_AT_END = re.compile(r"[|>][-+0-9]*(?:[ ]+#[^\n]*)?[ \n]*\Z")


def _risky(text: str) -> bool:
    if _RISKY_CHARS.search(text) and _RISKY.search(text):
        return True
    if "_" in text and _DIGIT_SEPARATOR.search(text):
        return True
    if ("|" in text or ">" in text) and _EMPTY_BLOCK_AT_END.search(
        text, text.rfind("\n", 0, len(text.rstrip(" \n"))) + 1
    ):
        return True
    if any(m in text for m in _LINE_MARKS) and _RISKY_LINE.search(text):
        return True
    return bool((_NUMBER_SCREEN.search(text) or text[:1] in "0+-.") and _RISKY_NUMBER.search(text))


def fast_load(text: str):
    """The data of a plain, well-formed record, or None when the event builder must decide.
    Its keys and short strings are interned (see ``interned``)."""
    if _yaml_rs is None or _risky(text):
        return None
    try:
        data = _yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 — any refusal means: take the careful path
        return None
    if type(data) is not dict or not data:
        return None
    count = [0]
    try:
        out = _plain_interned(data, 1, count)
    except _NotPlain:
        return None
    return out if count[0] <= MAX_NODES else None


class _NotPlain(Exception):
    """A node the compiled parser's result may not hold: the event builder decides."""


def _plain_interned(node, depth: int, count: list[int], _intern=sys.intern):
    """A copy of a tree with only str keys and str/int/float/bool/None leaves (finite numbers
    within the limit), within the depth limit, with its keys and short strings interned;
    ``count[0]`` grows by its node count (each key and value a node). Raises ``_NotPlain``
    for anything else. One walk does the limit check and the interning: both visit every
    node, and the records of a large tree are made of few distinct words."""
    if depth >= MAX_DEPTH:
        raise _NotPlain
    n = 1
    if type(node) is dict:
        out: dict | list = {}
        put = out.__setitem__
        for k, v in node.items():
            if type(k) is not str:
                raise _NotPlain
            k = _intern(k)
            t = type(v)
            if t is str:
                put(k, _intern(v) if len(v) <= INTERN_MAX else v)
            elif t is dict or t is list:
                put(k, _plain_interned(v, depth + 1, count))
                n += 1
                continue
            elif t is bool or v is None or _number(t, v):
                put(k, v)
            else:
                raise _NotPlain
            n += 2
    else:
        out = []
        add = out.append
        for v in node:
            t = type(v)
            if t is str:
                add(_intern(v) if len(v) <= INTERN_MAX else v)
            elif t is dict or t is list:
                add(_plain_interned(v, depth + 1, count))
                n += 1
                continue
            elif t is bool or v is None or _number(t, v):
                add(v)
            else:
                raise _NotPlain
            n += 2
    count[0] += n
    return out


def _number(t: type, v) -> bool:
    """A finite int or float within the limit (NaN compares false)."""
    return (t is int or t is float) and -MAX_NUMBER <= v <= MAX_NUMBER


INTERN_MAX = 32  # strings up to this length are interned: ids, dates, categories, field names


def interned(node, _intern=sys.intern):
    """The same data with str keys and short strings interned: repeated words (field names,
    categories, dates) are then stored once, in memory and in the cache, and load faster.
    (The fast path's result is interned as it is checked: ``_plain_interned``.)"""
    if type(node) is dict:
        return {(_intern(k) if type(k) is str else k): interned(v) for k, v in node.items()}
    if type(node) is list:
        return [interned(v) for v in node]
    if type(node) is str and len(node) <= INTERN_MAX:
        return _intern(node)
    return node
