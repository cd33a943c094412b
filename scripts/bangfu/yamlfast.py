"""The fast path of ``yamlsafe.parse``: a compiled parser (yaml-rs) reads files that use none
of the YAML features on which it and the careful reader (``yamlbuild``) could differ; its
result is then checked for the same limits. Anything else, and anything it refuses, goes to the
careful reader, which also gives every finding its line and column."""

from __future__ import annotations

import re
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
_DIGIT_SEPARATOR = re.compile(r"[0-9]_|_[0-9]")
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
    """The data of a plain, well-formed record, or None when the event builder must decide."""
    if _yaml_rs is None or _risky(text):
        return None
    try:
        data = _yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 — any refusal means: take the careful path
        return None
    if type(data) is not dict or not data or not 0 <= _plain_nodes(data, 1) <= MAX_NODES:
        return None
    return data


def _plain_nodes(node, depth: int) -> int:
    """Node count of a tree with only str keys and str/int/float/bool/None leaves, within the
    depth limit; -1 for anything else (the event builder then decides)."""
    if depth >= MAX_DEPTH:
        return -1
    n = 1
    if type(node) is dict:
        values = node.values()
        for k in node:
            if type(k) is not str:
                return -1
    else:
        values = node
    for v in values:
        t = type(v)
        if t is str or t is bool or v is None:
            n += 2
        elif t is int:
            if not -MAX_NUMBER <= v <= MAX_NUMBER:
                return -1
            n += 2
        elif t is dict or t is list:
            c = _plain_nodes(v, depth + 1)
            if c < 0:
                return -1
            n += c + 1
        elif t is float and -MAX_NUMBER <= v <= MAX_NUMBER:  # finite
            n += 2
        else:
            return -1
    return n
