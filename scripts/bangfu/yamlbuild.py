"""The careful YAML reader behind ``yamlsafe.parse``: libyaml's events (through PyYAML's C
parser) built into plain Python data, with the line and column of every node, YAML 1.2 core
scalars, and the limits that make hostile files harmless. Files the fast path (``yamlfast``)
does not take are read here, and so is every lazy re-parse for positions."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml import events as ev

from .codes import (
    ENCODING_CONTROL_CHAR,
    YAML_COMPLEX_KEY,
    YAML_DUPLICATE_KEY,
    YAML_FORBIDDEN_TAG,
    YAML_MULTIPLE_DOCUMENTS,
    YAML_NUMBER_TOO_LARGE,
    YAML_SYNTAX,
    YAML_TOO_DEEP,
    YAML_TOO_MANY_NODES,
    Code,
    make,
)
from .findings import json_path

MAX_DEPTH = 32
MAX_NODES = 200_000
MAX_NUMBER = 10**15  # no count, amount or year in the ledger comes near; ids are text
_MAX_INT_CHARS = len(str(MAX_NUMBER)) + 1  # sign included: longer is out of range

_CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = {
    None,
    "!",
    _CORE + "str",
    _CORE + "int",
    _CORE + "float",
    _CORE + "bool",
    _CORE + "null",
    _CORE + "map",
    _CORE + "seq",
}
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(
    r"[-+]?((0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\Z|[-+]?(0|[1-9][0-9]*)[eE][-+]?[0-9]+\Z"
)
# in a decoded value (after "\0", "\x1b", "\x9b", "\N" … escapes): C1 controls too
_DECODED_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")

_Parser: type[yaml.CSafeLoader] | type[yaml.SafeLoader]
try:  # libyaml is part of the PyYAML wheels we pin; the pure parser is the fallback.
    _Parser = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Parser = yaml.SafeLoader


class Stop(Exception):
    """Parsing stops at the first hostile construct; the finding points at the YAML mark."""

    def __init__(self, code: Code, file: str, message: str, mark, path: tuple = (), column=None):
        super().__init__(code)
        self.finding = make(
            code,
            file,
            message,
            line=mark.line + 1,
            column=mark.column + 1 if column is None else column,
            path=json_path(path),
        )


def _scalar(e: ev.ScalarEvent, file: str, path: tuple):
    tag = e.tag
    if tag not in ALLOWED_TAGS:
        raise Stop(YAML_FORBIDDEN_TAG, file, f"不允许使用 YAML 标签 {tag}", e.start_mark, path)
    v = e.value
    if tag == _CORE + "str" or tag == "!" or (tag is None and not e.implicit[0]):
        return _text(v, e, file, path)
    if v in _NULL and tag in (None, _CORE + "null"):
        return None
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    if _INT.match(v) and tag in (None, _CORE + "int"):
        # bounded before int(): thousands of digits would raise, or stall the rules
        n = int(v) if len(v) <= _MAX_INT_CHARS else None
        if n is None or not -MAX_NUMBER <= n <= MAX_NUMBER:
            raise _too_large(e, file, path)
        return n
    if _FLOAT.match(v) and tag in (None, _CORE + "float"):
        f = float(v)
        if not -MAX_NUMBER <= f <= MAX_NUMBER:  # also refuses inf and nan
            raise _too_large(e, file, path)
        return f
    return _text(v, e, file, path)


def _text(v: str, e: ev.ScalarEvent, file: str, path: tuple) -> str:
    m = _DECODED_CONTROL.search(v)
    if m:
        raise Stop(
            ENCODING_CONTROL_CHAR,
            file,
            f"{json_path(path)} 处的值含有控制字符 U+{ord(m.group()):04X}（解码转义后）",
            e.start_mark,
            path,
        )
    return v


def _too_large(e: ev.ScalarEvent, file: str, path: tuple) -> Stop:
    return Stop(
        YAML_NUMBER_TOO_LARGE,
        file,
        f"{json_path(path)} 处的数字超出 ±10^15 或不是有限数",
        e.start_mark,
        path,
    )


class _NoKey:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<no key>"


_NOKEY = _NoKey()


class _Frame:
    """One open mapping or sequence while its events arrive."""

    __slots__ = ("container", "path", "key", "keys", "size", "anchor", "is_map")

    def __init__(self, container: Any, path: tuple, anchor: str | None, is_map: bool):
        self.container = container  # a dict when ``is_map``, else a list
        self.path = path  # of the container itself
        self.key: object = _NOKEY  # a mapping's key waiting for its value
        self.keys: set[str] = set()  # a mapping's keys so far
        self.size = 1  # nodes, aliases counted as what they expand to
        self.anchor = anchor
        self.is_map = is_map


def build(text: str, file: str, positions: dict) -> object:
    """The data of the one document in ``text``; the line and column of every node go into
    ``positions`` (path → (line, column)). Raises ``Stop`` at the first hostile construct,
    ``yaml.YAMLError`` on a syntax error."""
    loader = _Parser(text)
    try:
        anchors: dict[str | None, tuple[object, int]] = {}
        stack: list[_Frame] = []
        nodes = 0
        docs = 0
        root = None

        def place(value, mark, size):
            nonlocal root
            if not stack:
                root = value
                positions[()] = (mark.line + 1, mark.column + 1)
                return ()
            top = stack[-1]
            top.size += size
            if top.is_map:
                if top.key is _NOKEY:
                    # this value is a key
                    if not isinstance(value, str):
                        raise Stop(YAML_COMPLEX_KEY, file, "字段名必须是普通文字", mark, top.path)
                    if value in top.keys:
                        raise Stop(
                            YAML_DUPLICATE_KEY,
                            file,
                            f"字段“{value}”在同一层级出现了两次",
                            mark,
                            top.path + (value,),
                        )
                    top.keys.add(value)
                    top.key = value
                    positions[top.path + (value,)] = (mark.line + 1, mark.column + 1)
                    return None
                key = top.key
                top.container[key] = value
                top.key = _NOKEY
                return top.path + (key,)
            idx = len(top.container)
            top.container.append(value)
            path = top.path + (idx,)
            positions[path] = (mark.line + 1, mark.column + 1)
            return path

        def cur_path():
            if not stack:
                return ()
            top = stack[-1]
            if top.is_map:
                return top.path + ((top.key,) if top.key is not _NOKEY else ())
            return top.path + (len(top.container),)

        while True:
            e = loader.get_event()
            if e is None or isinstance(e, ev.StreamEndEvent):
                break
            if isinstance(e, ev.DocumentStartEvent):
                docs += 1
                if docs > 1:
                    raise Stop(
                        YAML_MULTIPLE_DOCUMENTS,
                        file,
                        "一个文件中只能有一条记录",
                        e.start_mark,
                        column=1,
                    )
                continue
            if isinstance(e, (ev.StreamStartEvent, ev.DocumentEndEvent)):
                continue
            if isinstance(e, ev.ScalarEvent):
                nodes += 1
                if nodes > MAX_NODES:
                    raise Stop(
                        YAML_TOO_MANY_NODES, file, f"内容超过 {MAX_NODES} 个节点", e.start_mark
                    )
                value = _scalar(e, file, cur_path())
                if e.anchor:
                    anchors[e.anchor] = (value, 1)
                place(value, e.start_mark, 1)
                continue
            if isinstance(e, (ev.MappingStartEvent, ev.SequenceStartEvent)):
                if e.tag not in ALLOWED_TAGS:
                    raise Stop(
                        YAML_FORBIDDEN_TAG,
                        file,
                        f"不允许使用 YAML 标签 {e.tag}",
                        e.start_mark,
                        cur_path(),
                    )
                if stack and stack[-1].is_map and stack[-1].key is _NOKEY:
                    raise Stop(
                        YAML_COMPLEX_KEY,
                        file,
                        "字段名必须是普通文字",
                        e.start_mark,
                        stack[-1].path,
                    )
                if len(stack) >= MAX_DEPTH:
                    raise Stop(YAML_TOO_DEEP, file, f"嵌套超过 {MAX_DEPTH} 层", e.start_mark)
                nodes += 1
                is_map = isinstance(e, ev.MappingStartEvent)
                container: dict | list = {} if is_map else []
                path = cur_path()
                mark: Any = e.start_mark  # never None for a parser's events
                # register the container in its parent now so positions follow document order
                if stack:
                    parent = stack[-1]
                    if parent.is_map:
                        parent.container[parent.key] = container
                        parent.key = _NOKEY
                    else:
                        parent.container.append(container)
                        positions[path] = (mark.line + 1, mark.column + 1)
                else:
                    positions[()] = (mark.line + 1, mark.column + 1)
                stack.append(_Frame(container, path, e.anchor, is_map))
                continue
            if isinstance(e, (ev.MappingEndEvent, ev.SequenceEndEvent)):
                frame = stack.pop()
                if frame.anchor:
                    anchors[frame.anchor] = (frame.container, frame.size)
                if stack:
                    stack[-1].size += frame.size
                else:
                    root = frame.container
                continue
            if isinstance(e, ev.AliasEvent):
                target = anchors.get(e.anchor)
                if target is None:
                    raise Stop(YAML_SYNTAX, file, f"别名 *{e.anchor} 没有对应的锚点", e.start_mark)
                value, size = target
                nodes += size
                if nodes > MAX_NODES:
                    raise Stop(
                        YAML_TOO_MANY_NODES,
                        file,
                        f"别名展开后超过 {MAX_NODES} 个节点（可能是“十亿笑声”式的恶意文件）",
                        e.start_mark,
                    )
                place(value, e.start_mark, size)
                continue
        return root
    finally:
        loader.dispose()
