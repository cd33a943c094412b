"""A safe, bounded YAML reader that keeps the line and column of every node.

libyaml (through PyYAML's C parser) produces events; this module builds plain Python
data from them, with YAML 1.2 core scalars (dates stay strings; no digit separators, so
``1_000`` is text), and enforces the limits that make hostile files harmless: no tags beyond
the core schema, no duplicate keys, bounded depth and node count (alias expansion included),
numbers within ±10^15 and finite, no control characters in any value or key once escapes
are decoded, UTF-8 only.
"""

from __future__ import annotations

import re

import yaml
from yaml import events as ev

from .codes import make
from .findings import Finding, json_path

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 200_000
MAX_NUMBER = 10**15  # no count, amount or year in the ledger comes near; ids are text
_MAX_INT_CHARS = len(str(MAX_NUMBER)) + 1  # sign included: longer is out of range

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {
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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# in a decoded value (after "\0", "\x1b", "\x9b", "\N" … escapes): C1 controls too
_DECODED_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")

try:  # libyaml is part of the PyYAML wheels we pin; the pure parser is the fallback.
    _Parser = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Parser = yaml.SafeLoader


class Parsed:
    """A parsed document: its data, its findings, and (computed on first use) the line and
    column of every node. Files parsed on the fast path carry no positions until a finding
    needs one; then the text is parsed again by the position-keeping builder."""

    __slots__ = ("data", "findings", "_positions", "_source")

    def __init__(
        self,
        data: object = None,
        positions: dict | None = None,
        findings: list[Finding] | None = None,
        source=None,
    ):
        self.data = data
        self.findings = findings if findings is not None else []
        self._positions = positions
        # text, or a callable returning the text, for the lazy re-parse
        self._source = source

    def __repr__(self) -> str:
        return f"Parsed(data={self.data!r}, findings={self.findings!r})"

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Parsed)
            and self.data == other.data
            and self.findings == other.findings
        )

    @property
    def positions(self) -> dict[tuple, tuple[int, int]]:
        if self._positions is None:
            self._positions = _reparse_positions(self._source, self.data)
            self._source = None
        return self._positions

    @positions.setter
    def positions(self, value: dict[tuple, tuple[int, int]]) -> None:
        self._positions = value
        self._source = None

    def where(self, parts: tuple | list) -> tuple[int, int]:
        """Line and column of the node at ``parts``, or of its nearest existing parent."""
        parts = tuple(parts)
        positions = self.positions
        while parts:
            pos = positions.get(parts)
            if pos:
                return pos
            parts = parts[:-1]
        return positions.get((), (1, 1))


def _reparse_positions(source, data) -> dict:
    if source is None or data is None:
        return {}
    try:
        text = source() if callable(source) else source
    except (OSError, UnicodeDecodeError):
        return {}
    if not isinstance(text, str):
        return {}
    again = Parsed(positions={})
    try:
        _build(text, "", again)
    except (_Stop, yaml.YAMLError):
        return {}
    # a file changed on disk since it was read keeps whatever positions still fit
    return again._positions or {}


class _Stop(Exception):
    """Parsing stops at the first hostile construct; the finding points at the YAML mark."""

    def __init__(self, code: str, file: str, message: str, mark, path: tuple = (), column=None):
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
    if tag not in _ALLOWED_TAGS:
        raise _Stop("yaml.forbidden-tag", file, f"不允许使用 YAML 标签 {tag}", e.start_mark, path)
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
        raise _Stop(
            "encoding.control-char",
            file,
            f"{json_path(path)} 处的值含有控制字符 U+{ord(m.group()):04X}（解码转义后）",
            e.start_mark,
            path,
        )
    return v


def _too_large(e: ev.ScalarEvent, file: str, path: tuple) -> _Stop:
    return _Stop(
        "yaml.number-too-large",
        file,
        f"{json_path(path)} 处的数字超出 ±10^15 或不是有限数",
        e.start_mark,
        path,
    )


def parse(text: str, file: str, source=None) -> Parsed:
    """Parse one YAML document held in ``text``; problems become findings, never exceptions.

    ``source`` (a callable returning the text again) lets a fast-path result drop the text
    and re-read it only if a position is ever asked for; by default the text is kept."""
    out = Parsed(positions={})
    if not text.strip():
        out.findings.append(make("yaml.empty", file, "文件是空的", line=1, column=1))
        return out
    m = _CONTROL.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        out.findings.append(
            make(
                "encoding.control-char",
                file,
                f"第 {line} 行第 {col} 列有控制字符 U+{ord(m.group()):04X}",
                line=line,
                column=col,
            )
        )
        return out
    fast = fast_load(text)
    if fast is not None:
        return Parsed(fast, None, [], source if source is not None else text)
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
            out.findings.append(
                make("yaml.tab-indent", file, f"第 {line} 行用 Tab 缩进", line=line, column=col)
            )
        else:
            problem = exc.problem or exc.context or "无法解析"
            out.findings.append(
                make("yaml.syntax", file, f"YAML 语法错误：{problem}", line=line, column=col)
            )
        out.data = None
        out.positions = {}
    except yaml.YAMLError as exc:  # reader errors (e.g. non-printable characters)
        out.findings.append(make("yaml.syntax", file, f"YAML 无法解析：{exc}", line=1, column=1))
        out.data = None
        out.positions = {}
    return out


def _build(text: str, file: str, out: Parsed) -> None:
    loader = _Parser(text)
    positions = out._positions
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
                positions[()] = (mark.line + 1, mark.column + 1)
                return ()
            top = stack[-1]
            top[4] += size
            if top[6]:
                if top[2] is _NOKEY:
                    # this value is a key
                    if not isinstance(value, str):
                        raise _Stop("yaml.complex-key", file, "字段名必须是普通文字", mark, top[1])
                    if value in top[3]:
                        raise _Stop(
                            "yaml.duplicate-key",
                            file,
                            f"字段“{value}”在同一层级出现了两次",
                            mark,
                            top[1] + (value,),
                        )
                    top[3].add(value)
                    top[2] = value
                    positions[top[1] + (value,)] = (mark.line + 1, mark.column + 1)
                    return None
                key = top[2]
                top[0][key] = value
                top[2] = _NOKEY
                return top[1] + (key,)
            idx = len(top[0])
            top[0].append(value)
            path = top[1] + (idx,)
            positions[path] = (mark.line + 1, mark.column + 1)
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
                    raise _Stop(
                        "yaml.multiple-documents",
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
                    raise _Stop(
                        "yaml.too-many-nodes", file, f"内容超过 {MAX_NODES} 个节点", e.start_mark
                    )
                value = _scalar(e, file, cur_path())
                if e.anchor:
                    anchors[e.anchor] = (value, 1)
                place(value, e.start_mark, 1)
                continue
            if isinstance(e, (ev.MappingStartEvent, ev.SequenceStartEvent)):
                if e.tag not in _ALLOWED_TAGS:
                    raise _Stop(
                        "yaml.forbidden-tag",
                        file,
                        f"不允许使用 YAML 标签 {e.tag}",
                        e.start_mark,
                        cur_path(),
                    )
                if stack and stack[-1][6] and stack[-1][2] is _NOKEY:
                    raise _Stop(
                        "yaml.complex-key", file, "字段名必须是普通文字", e.start_mark, stack[-1][1]
                    )
                if len(stack) >= MAX_DEPTH:
                    raise _Stop("yaml.too-deep", file, f"嵌套超过 {MAX_DEPTH} 层", e.start_mark)
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
                        positions[path] = (e.start_mark.line + 1, e.start_mark.column + 1)
                else:
                    positions[()] = (e.start_mark.line + 1, e.start_mark.column + 1)
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
                    raise _Stop(
                        "yaml.syntax", file, f"别名 *{e.anchor} 没有对应的锚点", e.start_mark
                    )
                value, size = target
                nodes += size
                if nodes > MAX_NODES:
                    raise _Stop(
                        "yaml.too-many-nodes",
                        file,
                        f"别名展开后超过 {MAX_NODES} 个节点（可能是“十亿笑声”式的恶意文件）",
                        e.start_mark,
                    )
                place(value, e.start_mark, size)
                continue
        out.data = root
    finally:
        loader.dispose()


# The fast path: a compiled parser (yaml-rs) reads files that use none of the YAML features
# on which it and the rules above could differ; its result is then checked for the same
# limits. Anything else, and anything it rejects, goes to the event builder above, which
# also gives every finding its line and column.
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
        return None, [
            make("encoding.not-utf8", file, "文件是 UTF-16 编码，需要 UTF-8", line=1, column=1)
        ]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            make(
                "encoding.not-utf8",
                file,
                f"第 {line} 行第 {col} 列的字节 0x{raw[exc.start]:02X} 不是有效的 UTF-8",
                line=line,
                column=col,
            )
        ]
