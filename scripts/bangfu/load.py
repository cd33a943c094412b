"""Load stage: find record files under ``data/``, read them safely, classify them by path."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .codes import make
from .findings import Finding
from .yamlsafe import MAX_BYTES, Parsed, decode, parse

# path pattern (relative to the data root, as parts) → record kind
KINDS = ("source", "county", "organization", "campaign", "policy", "household", "plan", "report")
_FLAT = {"sources": "source", "counties": "county", "organizations": "organization",
         "campaigns": "campaign", "policy": "policy"}


@dataclass(slots=True)
class Record:
    kind: str | None
    file: str  # display path, e.g. data/households/cq-x/cq-x-y-z/h-1.yaml
    rel: tuple[str, ...]  # parts relative to the data root
    parsed: Parsed = field(default_factory=Parsed)

    @property
    def data(self):
        return self.parsed.data

    @property
    def findings(self) -> list[Finding]:
        return self.parsed.findings

    @property
    def id(self) -> str | None:
        d = self.parsed.data
        if isinstance(d, dict) and isinstance(d.get("id"), str):
            return d["id"]
        return None

    def at(self, parts) -> tuple[int, int]:
        return self.parsed.where(parts)


def classify(rel: tuple[str, ...]) -> str | None:
    """Record kind from a path relative to the data root, or None when it fits no kind."""
    n = len(rel)
    if n == 2 and rel[0] in _FLAT:
        return _FLAT[rel[0]]
    if n == 4 and rel[0] == "households":
        return "household"
    if n == 4 and rel[0] == "plans" and rel[3] == "plan.yaml":
        return "plan"
    if n == 5 and rel[0] == "plans" and rel[3] == "reports":
        return "report"
    return None


def expected_stem(rel: tuple[str, ...], kind: str) -> str:
    """The id a file at ``rel`` must carry (plans are named by their folder)."""
    if kind == "plan":
        return rel[2]
    return rel[-1][: -len(".yaml")]


def display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve().parent).as_posix()
    except ValueError:
        return path.as_posix()


def iter_files(data_root: Path) -> Iterator[Path]:
    """Every file under the data root, in a stable order (hidden files skipped)."""
    for dirpath, dirnames, filenames in os.walk(data_root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def read_record(path: Path, data_root: Path) -> Record:
    """Read and parse one file; every problem becomes a finding on the record."""
    file = display(path, data_root)
    try:
        rel = path.resolve().relative_to(data_root.resolve()).parts
    except ValueError:
        rel = (path.name,)
    kind = classify(rel) if path.suffix == ".yaml" else None
    rec = Record(kind=kind, file=file, rel=rel)
    if path.suffix != ".yaml":
        rec.findings.append(make("file.not-yaml", file, f"“{path.name}”不是 .yaml 记录文件"))
        return rec
    if kind is None:
        rec.findings.append(make("file.unknown-kind", file,
                                 "文件所在位置不对应任何记录类型", line=1, column=1))
        return rec
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            rec.findings.append(make("file.too-large", file,
                                     f"文件有 {size / 1048576:.1f} MB，超过上限 {MAX_BYTES // 1048576} MB",
                                     line=1, column=1))
            return rec
        raw = path.read_bytes()
    except OSError as exc:
        rec.findings.append(make("file.unreadable", file, f"无法读取文件：{exc.strerror}"))
        return rec
    return parse_bytes(rec, raw)


def parse_bytes(rec: Record, raw: bytes) -> Record:
    text, problems = decode(raw, rec.file)
    if problems:
        rec.findings.extend(problems)
        return rec
    rec.parsed = parse(text, rec.file)
    if rec.parsed.data is not None and not isinstance(rec.parsed.data, dict):
        rec.findings.append(make("record.not-mapping", rec.file,
                                 "记录最外层必须是字段映射（字段: 值）", line=1, column=1))
        rec.parsed.data = None
    elif rec.parsed.data is None and not rec.findings:
        rec.findings.append(make("yaml.empty", rec.file, "文件中没有内容", line=1, column=1))
    return rec


def load_paths(paths: Iterable[Path], data_root: Path) -> list[Record]:
    return [read_record(p, data_root) for p in paths]
