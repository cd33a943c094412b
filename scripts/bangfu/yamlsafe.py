"""A safe, bounded YAML reader that keeps the line and column of every node.

libyaml (through PyYAML's C parser) produces events; this module builds plain Python
data from them, with YAML 1.2 core scalars (dates stay strings), and enforces the
limits that make hostile files harmless: no tags beyond the core schema, no duplicate
keys, bounded depth and node count (alias expansion included), UTF-8 only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from yaml import events as ev

from .codes import make
from .findings import Finding, json_path

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 200_000

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {None, "!", _CORE + "str", _CORE + "int", _CORE + "float", _CORE + "bool",
                 _CORE + "null", _CORE + "map", _CORE + "seq"}
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(
    r"[-+]?((0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\Z|[-+]?(0|[1-9][0-9]*)[eE][-+]?[0-9]+\Z"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

try:  # libyaml is part of the PyYAML wheels we pin; the pure parser is the fallback.
    _Parser = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Parser = yaml.SafeLoader


@dataclass(slots=True)
class Parsed:
    data: object = None
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def where(self, parts: tuple | list) -> tuple[int, int]:
        """Line and column of the node at ``parts``, or of its nearest existing parent."""
        parts = tuple(parts)
        while parts:
            pos = self.positions.get(parts)
            if pos:
                return pos
            parts = parts[:-1]
        return self.positions.get((), (1, 1))


class _Stop(Exception):
    def __init__(self, finding: Finding):
        self.finding = finding


def _scalar(e: ev.ScalarEvent, file: str, path: tuple):
    tag = e.tag
    if tag not in _ALLOWED_TAGS:
        raise _Stop(make("yaml.forbidden-tag", file, f"不允许使用 YAML 标签 {tag}",
                         line=e.start_mark.line + 1, column=e.start_mark.column + 1,
                         path=json_path(path)))
    v = e.value
    if tag == _CORE + "str" or tag == "!" or (tag is None and not e.implicit[0]):
        return v
    if v in _NULL and tag in (None, _CORE + "null"):
        return None
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    if _INT.match(v) and tag in (None, _CORE + "int"):
        return int(v)
    if _FLOAT.match(v) and tag in (None, _CORE + "float"):
        return float(v)
    return v


def parse(text: str, file: str) -> Parsed:
    """Parse one YAML document held in ``text``; problems become findings, never exceptions."""
    out = Parsed()
    if not text.strip():
        out.findings.append(make("yaml.empty", file, "文件是空的", line=1, column=1))
        return out
    m = _CONTROL.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        out.findings.append(make("encoding.control-char", file,
                                 f"第 {line} 行第 {col} 列有控制字符 U+{ord(m.group()):04X}",
                                 line=line, column=col))
        return out
    try:
        _build(text, file, out)
    except _Stop as stop:
        out.data = None
        out.positions = {}
        out.findings.append(stop.finding)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        col = mark.column + 1 if mark else 1
        lines = text.splitlines()
        src = lines[line - 1] if 0 < line <= len(lines) else ""
        if "\t" in src[: len(src) - len(src.lstrip())] or "found character '\\t'" in str(exc):
            out.findings.append(make("yaml.tab-indent", file, f"第 {line} 行用 Tab 缩进",
                                     line=line, column=col))
        else:
            problem = exc.problem or exc.context or "无法解析"
            out.findings.append(make("yaml.syntax", file, f"YAML 语法错误：{problem}",
                                     line=line, column=col))
        out.data = None
        out.positions = {}
    except yaml.YAMLError as exc:  # reader errors (e.g. non-printable characters)
        out.findings.append(make("yaml.syntax", file, f"YAML 无法解析：{exc}", line=1, column=1))
        out.data = None
        out.positions = {}
    return out


def _build(text: str, file: str, out: Parsed) -> None:
    loader = _Parser(text)
    try:
        anchors: dict[str, tuple[object, int]] = {}
        # stack frames: [container, path, pending_key, keys_seen, size, anchor, is_map]
        stack: list[list] = []
        nodes = 0
        docs = 0
        root = None

        def place(value, mark, size):
            nonlocal root
            if not stack:
                root = value
                out.positions[()] = (mark.line + 1, mark.column + 1)
                return ()
            top = stack[-1]
            top[4] += size
            if top[6]:
                if top[2] is _NOKEY:
                    # this value is a key
                    if not isinstance(value, str):
                        raise _Stop(make("yaml.complex-key", file, "字段名必须是普通文字",
                                         line=mark.line + 1, column=mark.column + 1,
                                         path=json_path(top[1])))
                    if value in top[3]:
                        raise _Stop(make("yaml.duplicate-key", file,
                                         f"字段“{value}”在同一层级出现了两次",
                                         line=mark.line + 1, column=mark.column + 1,
                                         path=json_path(top[1] + (value,))))
                    top[3].add(value)
                    top[2] = value
                    out.positions[top[1] + (value,)] = (mark.line + 1, mark.column + 1)
                    return None
                key = top[2]
                top[0][key] = value
                top[2] = _NOKEY
                return top[1] + (key,)
            idx = len(top[0])
            top[0].append(value)
            path = top[1] + (idx,)
            out.positions[path] = (mark.line + 1, mark.column + 1)
            return path

        def cur_path():
            if not stack:
                return ()
            top = stack[-1]
            if top[6]:
                return top[1] + ((top[2],) if top[2] is not _NOKEY else ())
            return top[1] + (len(top[0]),)

        while True:
            e = loader.get_event()
            if e is None or isinstance(e, ev.StreamEndEvent):
                break
            if isinstance(e, ev.DocumentStartEvent):
                docs += 1
                if docs > 1:
                    raise _Stop(make("yaml.multiple-documents", file, "一个文件中只能有一条记录",
                                     line=e.start_mark.line + 1, column=1))
                continue
            if isinstance(e, (ev.StreamStartEvent, ev.DocumentEndEvent)):
                continue
            if isinstance(e, ev.ScalarEvent):
                nodes += 1
                if nodes > MAX_NODES:
                    raise _Stop(make("yaml.too-many-nodes", file, f"内容超过 {MAX_NODES} 个节点",
                                     line=e.start_mark.line + 1, column=e.start_mark.column + 1))
                value = _scalar(e, file, cur_path())
                if e.anchor:
                    anchors[e.anchor] = (value, 1)
                place(value, e.start_mark, 1)
                continue
            if isinstance(e, (ev.MappingStartEvent, ev.SequenceStartEvent)):
                if e.tag not in _ALLOWED_TAGS:
                    raise _Stop(make("yaml.forbidden-tag", file, f"不允许使用 YAML 标签 {e.tag}",
                                     line=e.start_mark.line + 1, column=e.start_mark.column + 1,
                                     path=json_path(cur_path())))
                if stack and stack[-1][6] and stack[-1][2] is _NOKEY:
                    raise _Stop(make("yaml.complex-key", file, "字段名必须是普通文字",
                                     line=e.start_mark.line + 1, column=e.start_mark.column + 1,
                                     path=json_path(stack[-1][1])))
                if len(stack) >= MAX_DEPTH:
                    raise _Stop(make("yaml.too-deep", file, f"嵌套超过 {MAX_DEPTH} 层",
                                     line=e.start_mark.line + 1, column=e.start_mark.column + 1))
                nodes += 1
                is_map = isinstance(e, ev.MappingStartEvent)
                container = {} if is_map else []
                path = cur_path()
                # register the container in its parent now so positions follow document order
                if stack:
                    parent = stack[-1]
                    if parent[6]:
                        parent[0][parent[2]] = container
                        parent[2] = _NOKEY
                    else:
                        parent[0].append(container)
                        out.positions[path] = (e.start_mark.line + 1, e.start_mark.column + 1)
                else:
                    out.positions[()] = (e.start_mark.line + 1, e.start_mark.column + 1)
                stack.append([container, path, _NOKEY, set(), 1, e.anchor, is_map])
                continue
            if isinstance(e, (ev.MappingEndEvent, ev.SequenceEndEvent)):
                frame = stack.pop()
                if frame[5]:
                    anchors[frame[5]] = (frame[0], frame[4])
                if stack:
                    stack[-1][4] += frame[4]
                else:
                    root = frame[0]
                continue
            if isinstance(e, ev.AliasEvent):
                target = anchors.get(e.anchor)
                if target is None:
                    raise _Stop(make("yaml.syntax", file, f"别名 *{e.anchor} 没有对应的锚点",
                                     line=e.start_mark.line + 1, column=e.start_mark.column + 1))
                value, size = target
                nodes += size
                if nodes > MAX_NODES:
                    raise _Stop(make("yaml.too-many-nodes", file,
                                     f"别名展开后超过 {MAX_NODES} 个节点（可能是“十亿笑声”式的恶意文件）",
                                     line=e.start_mark.line + 1, column=e.start_mark.column + 1))
                place(value, e.start_mark, size)
                continue
        out.data = root
    finally:
        loader.dispose()


class _NoKey:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<no key>"


_NOKEY = _NoKey()


def decode(raw: bytes, file: str) -> tuple[str | None, list[Finding]]:
    """Bytes → text, refusing BOMs and anything that is not UTF-8."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return None, [make("encoding.bom", file, "文件以 UTF-8 BOM 开头", line=1, column=1)]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [make("encoding.not-utf8", file, "文件是 UTF-16 编码，需要 UTF-8", line=1, column=1)]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [make("encoding.not-utf8", file,
                           f"第 {line} 行第 {col} 列的字节 0x{raw[exc.start]:02X} 不是有效的 UTF-8",
                           line=line, column=col)]
