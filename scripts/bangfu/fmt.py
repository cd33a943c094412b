"""``bangfu fmt``: rewrite records in the canonical layout, keeping comments and never
changing data (the result is re-read and compared before anything is written).

A file is only touched when check can read it: it is read exactly as check reads it (no
links, pipes or devices, bounded, a record in its place, UTF-8, parsed to a mapping); the one
reading finding fmt repairs itself is a UTF-8 BOM. Anything else is reported and left as it is.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import NamedTuple

from ruamel.yaml.error import YAMLError

from .codes import FMT_NOT_CANONICAL, FMT_UNSAFE, make
from .config import UsageError
from .findings import Finding
from .load import scan
from .readfile import read_bounded
from .readone import parse_bytes, precheck
from .record import Record, classify, locate
from .yamlio import atomic_write, dump_fast, yaml_rt
from .yamlsafe import parse

BOM = b"\xef\xbb\xbf"


class Target(NamedTuple):
    path: Path
    file: str  # display path
    rel: tuple[str, ...]  # parts relative to the data root


def targets(data_root: Path, paths: list[str]) -> list[Target]:
    """The entries to format: every entry under each folder (``load.scan``: links and special
    files included, to be refused), or the path itself. Paths must lie in the data folder."""
    out: list[Target] = []
    for p in paths or [str(data_root)]:
        path = Path(p)
        if not os.path.lexists(path):
            raise UsageError(f"路径 {p} 不存在")
        file, rel = locate(path, data_root)
        if rel is None:
            raise UsageError(f"路径 {p} 不在数据文件夹 {data_root} 内")
        if rel == ():  # the data folder itself (which may be reached through a link)
            path = Path(os.path.realpath(data_root))
        try:
            is_dir = stat.S_ISDIR(os.lstat(path).st_mode)
        except OSError:
            is_dir = False
        if is_dir:
            out.extend(
                Target(Path(e), file + "/" + "/".join(r), rel + r) for e, r, _hid in scan(path)
            )
        else:
            out.append(Target(path, file, rel))
    return out


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


def format_file(target: Target, data_root: Path, check_only: bool) -> tuple[list[Finding], bool]:
    """Returns (findings, changed)."""
    path, file, rel = target
    kind = classify(rel) if path.name.endswith(".yaml") else None
    _st, problem = precheck(str(path), file, kind, rel)
    raw = None
    if problem is None:
        raw, problem = read_bounded(str(path), file, checked=True)
    if problem is not None or raw is None:  # read_bounded gives the bytes or the problem
        return [problem] if problem is not None else [], False
    had_bom = raw.startswith(BOM)
    body = raw[3:] if had_bom else raw
    rec = parse_bytes(Record(kind=kind, file=file, rel=rel), body)
    if rec.findings:  # what check would refuse at the reading stage
        return rec.findings, False
    text = body.decode("utf-8")  # parse_bytes found it to be UTF-8
    text_lf = text.replace("\r\n", "\n")
    before = rec.parsed if text_lf == text else parse(text_lf, file)
    if before.findings or before.data != rec.data:
        return before.findings or [make(FMT_UNSAFE, file, "换行符不同时数据不同")], False
    if not had_bom and already_canonical(text, before.data):
        return [], False
    try:
        new = canonical(text_lf)
    except (YAMLError, RecursionError, ValueError) as exc:
        return [make(FMT_UNSAFE, file, f"无法整理：{exc.__class__.__name__}")], False
    after = parse(new, file)
    if after.findings or after.data != before.data:
        return [make(FMT_UNSAFE, file, "整理后数据会改变，文件保持原样")], False
    if new == text and not had_bom:
        return [], False
    if check_only:
        line = _first_diff_line(text, new)
        return [make(FMT_NOT_CANONICAL, file, "文件格式与规范格式不同", line=line, column=1)], True
    inside = path.resolve().is_relative_to(data_root.resolve())
    atomic_write(path, new, data_root if inside else None)  # journalled inside the data folder
    return [], True


def _first_diff_line(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), start=1):
        if x != y:
            return i
    return min(len(a.splitlines()), len(b.splitlines())) + 1
