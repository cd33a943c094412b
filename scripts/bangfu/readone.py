"""Reading one record file: the checks before it is opened (``precheck``), read + decode +
parse (``read_record``, ``parse_bytes``), and the whole of one file's work in the loader
(``parse_one``: read, parse, schema-check, facts; the result is what the parse cache keeps,
put back on a record by ``fill``)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from .cache import digest
from .codes import (
    FILE_HIDDEN,
    FILE_NOT_YAML,
    FILE_UNKNOWN_KIND,
    RECORD_NOT_MAPPING,
    YAML_EMPTY,
    make,
)
from .findings import Finding
from .readfile import FileStat, lstat_problem, read_bounded, too_large
from .record import Record, classify, hidden, locate, pack, pack_facts, packed
from .yamlsafe import MAX_BYTES, Parsed, decode, parse


def precheck(
    path: str,
    file: str,
    kind: str | None,
    rel: tuple[str, ...] | None = None,
    taken: tuple | OSError | None = None,
) -> tuple[FileStat, None] | tuple[None, Finding]:
    """What is checked before a file is read, without opening it: not hidden, a regular file
    (not a link, pipe, socket or device), a .yaml name, a known location, not too large.
    Returns the file's ``lstat``, or the one finding that stops it being read. ``taken``: its
    ``lstat`` as a listing of the tree took it (``readfile.stat_values``)."""
    if rel is not None and hidden(rel):
        return None, make(
            FILE_HIDDEN,
            file,
            "以“.”开头的文件或文件夹不是记录，不会被读取",
            line=1,
            column=1,
        )
    found = lstat_problem(path, file, taken)
    if found[1] is not None:
        return found
    st = found[0]
    if not path.endswith(".yaml"):
        name = os.path.basename(path)
        return None, make(FILE_NOT_YAML, file, f"“{name}”不是 .yaml 记录文件", line=1, column=1)
    if kind is None:
        return None, make(
            FILE_UNKNOWN_KIND, file, "文件所在位置不对应任何记录类型", line=1, column=1
        )
    if st.st_size > MAX_BYTES:
        return None, too_large(file, st.st_size, MAX_BYTES)
    return st, None


def read_record(path: Path, data_root: Path) -> Record:
    """Read and parse one file; every problem becomes a finding on the record."""
    file, rel = locate(path, data_root)
    if rel is None:
        rel = (path.name,)
    kind = classify(rel) if path.name.endswith(".yaml") else None
    rec = Record(kind=kind, file=file, rel=rel)
    _st, problem = precheck(str(path), file, kind, rel)
    if problem is None:
        raw, problem = read_bounded(str(path), file, MAX_BYTES, checked=True)
        if raw is not None:
            return parse_bytes(rec, raw)
    if problem is not None:
        rec.findings.append(problem)
    return rec


def parse_bytes(rec: Record, raw: bytes) -> Record:
    if len(raw) > MAX_BYTES:  # bytes from elsewhere (a Git object, a sheet import)
        rec.findings.append(too_large(rec.file, len(raw), MAX_BYTES))
        return rec
    text, problems = decode(raw, rec.file)
    if text is None:
        rec.findings.extend(problems)
        return rec
    rec.parsed = parse(text, rec.file)
    if rec.parsed.data is not None and not isinstance(rec.parsed.data, dict):
        rec.findings.append(
            make(
                RECORD_NOT_MAPPING,
                rec.file,
                "记录最外层必须是字段映射（字段: 值）",
                line=1,
                column=1,
            )
        )
        rec.parsed.data = None
    elif rec.parsed.data is None and not rec.findings:
        rec.findings.append(make(YAML_EMPTY, rec.file, "文件中没有内容", line=1, column=1))
    return rec


class FileText:
    """Re-reads a file's text for the lazy line-number re-parse (see ``yamlsafe.Parsed``)."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path

    def __call__(self) -> str:
        raw, problem = read_bounded(self.path, self.path)
        if problem is not None or raw is None:
            raise OSError(problem.message if problem else "unreadable")
        return raw.decode("utf-8")


def finding_tuple(f: Finding) -> tuple:
    return (f.code, f.severity, f.message, f.hint, f.line, f.column, f.path)


def finding_from(t, file: str) -> Finding:
    code, severity, message, hint, line, column, path = t
    return Finding(
        code=code,
        severity=severity,
        file=file,
        message=message,
        hint=hint,
        line=line,
        column=column,
        path=path,
    )


def parse_one(path: str, file: str, rel: tuple, kind: str | None, schemas_dir: str | None):
    """Read, parse and schema-check one file: (digest, (data, parse findings, schema
    findings, facts)). The facts' short texts are the data's own (interned by the parser) or
    interned where ``facts`` makes them, like the data: stored once in memory and the cache."""
    raw, problem = read_bounded(path, file, MAX_BYTES, checked=True)
    if raw is None:
        return None, (None, [finding_tuple(problem)] if problem is not None else [], [], None)
    rec = parse_bytes(Record(kind=kind, file=file, rel=rel), raw)
    schema_findings = []
    if schemas_dir is not None and rec.data is not None and not rec.findings:
        from .schemacheck import validate  # imported when used: readers that only parse start fast

        schema_findings = validate(rec, _schemas_path(schemas_dir), raw)
    from .facts import record_facts  # imported when used (pyarrow): as above

    return digest(raw), (
        rec.data,  # its keys and short strings interned by the parser
        [finding_tuple(f) for f in rec.findings],
        [finding_tuple(f) for f in schema_findings],
        record_facts(kind, rec.data),
    )


@functools.lru_cache(maxsize=8)
def _schemas_path(schemas_dir: str) -> Path:
    """One ``Path`` per folder: the schema check's caches are keyed by it, and the same object
    is found without hashing a new one per file."""
    return Path(schemas_dir)


def kept(kind: str | None, result: tuple) -> tuple:
    """A (data, parse findings, schema findings, facts) result as the parse cache keeps it: a
    clean bulk record's data packed (``record.pack``), so that a later load holds it as bytes.
    Packed here, as it goes into the cache, not by the workers: a load that parses a record
    now holds its data decoded, as the rules read it (decoding a million records one by one
    cost more than their parse's results in one piece)."""
    data, pf, sf, facts = result
    return pack(kind, data, not pf and not sf), pf, sf, pack_facts(facts)


def fill(rec: Record, result, schema_f: list, i: int, path: str) -> bool:
    """Put a (data, parse findings, schema findings, facts) result on a record: one just
    parsed, or one from the parse cache, whose clean bulk records' data is packed (``kept``).
    False: a malformed result (read it again)."""
    if type(result) is not tuple or len(result) != 4:
        return False
    rec.facts = result[3] if type(result[3]) in (dict, bytes) else None
    if not result[1] and not result[2] and result[0] is not None:
        parsed = packed(result[0], FileText(path))
        if parsed is None:
            return False
        rec.parsed = parsed
        return True
    try:
        data, pf, sf, _facts = result
        if type(data) is tuple:  # packed, though a record with findings never is: damaged
            return False
        findings = [finding_from(t, rec.file) for t in pf]
        schema = [finding_from(t, rec.file) for t in sf]
    except (TypeError, ValueError):
        return False
    rec.parsed = Parsed(data, None if data is not None else {}, findings, FileText(path))
    schema_f[i] = schema
    return True
