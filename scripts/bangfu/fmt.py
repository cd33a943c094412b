"""``bangfu fmt``: rewrite records in the canonical layout, keeping comments and never
changing data (the result is re-read and compared before anything is written)."""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml.error import YAMLError

from .codes import make
from .findings import Finding
from .load import display
from .yamlio import atomic_write, dump_fast, yaml_rt
from .yamlsafe import decode, parse


def canonical(text: str) -> str:
    y = yaml_rt()
    doc = y.load(text)
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def already_canonical(text: str, data) -> bool:
    """Cheap answer for the common case: a file that is exactly the canonical text of its data
    (after any leading comment lines) needs no ruamel round trip, which costs ~10 ms a file."""
    body = text
    while body.startswith("#"):
        nl = body.find("\n")
        if nl < 0:
            return False
        body = body[nl + 1 :]
    fast = dump_fast(data) if isinstance(data, dict) else None
    return fast is not None and body == fast


def format_file(path: Path, data_root: Path, check_only: bool) -> tuple[list[Finding], bool]:
    """Returns (findings, changed)."""
    file = display(path, data_root)
    raw = path.read_bytes()
    had_bom = raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:] if had_bom else raw
    text, problems = decode(body, file)
    if problems:
        return problems, False
    text_lf = text.replace("\r\n", "\n")
    before = parse(text_lf, file)
    if before.findings:
        return before.findings, False
    if not had_bom and already_canonical(text, before.data):
        return [], False
    try:
        new = canonical(text_lf)
    except (YAMLError, RecursionError, ValueError) as exc:
        return [make("fmt.unsafe", file, f"无法整理：{exc.__class__.__name__}")], False
    after = parse(new, file)
    if after.findings or after.data != before.data:
        return [make("fmt.unsafe", file, "整理后数据会改变，文件保持原样")], False
    if new == text and not had_bom:
        return [], False
    if check_only:
        line = _first_diff_line(text, new)
        return [
            make("fmt.not-canonical", file, "文件格式与规范格式不同", line=line, column=1)
        ], True
    inside = path.resolve().is_relative_to(data_root.resolve())
    atomic_write(path, new, data_root if inside else None)  # journalled inside the data folder
    return [], True


def _first_diff_line(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), start=1):
        if x != y:
            return i
    return min(len(a.splitlines()), len(b.splitlines())) + 1
