"""A safe, bounded YAML reader that keeps the line and column of every node.

A plain record is read by a compiled parser (``yamlfast``), anything else by the careful reader
(``yamlbuild``), which builds plain Python data from libyaml's events. Both give YAML 1.2 core
scalars (dates stay strings; no digit separators, so ``1_000`` is text) and enforce the limits
that make hostile files harmless: no tags beyond the core schema, no duplicate keys, bounded
depth and node count (alias expansion included), numbers within ±10^15 and finite, no control
characters in any value or key once escapes are decoded, UTF-8 only. Keys and short strings
of the result are interned (many records share their field names, ids, dates and categories).
"""

from __future__ import annotations

import re

import yaml

from .codes import (
    ENCODING_BOM,
    ENCODING_CONTROL_CHAR,
    ENCODING_NOT_UTF8,
    YAML_EMPTY,
    YAML_SYNTAX,
    YAML_TAB_INDENT,
    make,
)
from .findings import Finding
from .yamlbuild import MAX_DEPTH, MAX_NODES, MAX_NUMBER, Stop, build
from .yamlfast import fast_load, interned

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "MAX_NUMBER", "Parsed", "decode", "parse"]

MAX_BYTES = 4 * 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


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

    @property
    def positions_read(self) -> bool:
        """Whether the positions are at hand (the fast parser leaves them until asked)."""
        return self._positions is not None

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
    positions: dict = {}
    try:
        build(text, "", positions)
    except (Stop, yaml.YAMLError):
        return {}
    # a file changed on disk since it was read keeps whatever positions still fit
    return positions


def parse(text: str, file: str, source=None) -> Parsed:
    """Parse one YAML document held in ``text``; problems become findings, never exceptions.

    ``source`` (a callable returning the text again) lets a fast-path result drop the text
    and re-read it only if a position is ever asked for; by default the text is kept."""
    positions: dict = {}
    out = Parsed(positions=positions)
    if not text.strip():
        out.findings.append(make(YAML_EMPTY, file, "文件是空的", line=1, column=1))
        return out
    m = _CONTROL.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        out.findings.append(
            make(
                ENCODING_CONTROL_CHAR,
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
        out.data = interned(build(text, file, positions))
    except Stop as stop:
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
                make(YAML_TAB_INDENT, file, f"第 {line} 行用 Tab 缩进", line=line, column=col)
            )
        else:
            problem = exc.problem or exc.context or "无法解析"
            out.findings.append(
                make(YAML_SYNTAX, file, f"YAML 语法错误：{problem}", line=line, column=col)
            )
        out.data = None
        out.positions = {}
    except yaml.YAMLError as exc:  # reader errors (e.g. non-printable characters)
        out.findings.append(make(YAML_SYNTAX, file, f"YAML 无法解析：{exc}", line=1, column=1))
        out.data = None
        out.positions = {}
    return out


def decode(raw: bytes, file: str) -> tuple[str | None, list[Finding]]:
    """Bytes → text, refusing BOMs and anything that is not UTF-8."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return None, [make(ENCODING_BOM, file, "文件以 UTF-8 BOM 开头", line=1, column=1)]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [
            make(ENCODING_NOT_UTF8, file, "文件是 UTF-16 编码，需要 UTF-8", line=1, column=1)
        ]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            make(
                ENCODING_NOT_UTF8,
                file,
                f"第 {line} 行第 {col} 列的字节 0x{raw[exc.start]:02X} 不是有效的 UTF-8",
                line=line,
                column=col,
            )
        ]
