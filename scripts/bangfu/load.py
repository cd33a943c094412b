"""Load stage: find record files under ``data/``, read them safely, classify them by path."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .codes import make
from .findings import Finding
from .readfile import lstat_problem, read_bounded, too_large
from .writes import is_tool_temp
from .yamlsafe import MAX_BYTES, Parsed, decode, parse

# path pattern (relative to the data root, as parts) → record kind
_FLAT = {
    "sources": "source",
    "counties": "county",
    "organizations": "organization",
    "campaigns": "campaign",
    "policy": "policy",
}


@dataclass(slots=True)
class Record:
    kind: str | None
    file: str  # display path, e.g. data/households/cq-x/cq-x-y-z/h-1.yaml
    rel: tuple[str, ...]  # parts relative to the data root
    parsed: Parsed = field(default_factory=Parsed)
    # the record's public-safe facts (``facts.record_facts``), computed with the parse and
    # cached with it by content hash; None: not computed yet
    facts: dict | None = None

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


def hidden(rel: tuple[str, ...]) -> bool:
    """Whether a path (parts relative to the data root) has a hidden file or folder in it."""
    return "/." in "/" + "/".join(rel)


def classify(rel: tuple[str, ...]) -> str | None:
    """Record kind from a path relative to the data root, or None when it fits no kind
    (hidden files and files in hidden folders are never records)."""
    return None if hidden(rel) else _kind(rel)


def _kind(rel: tuple[str, ...]) -> str | None:
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


def locate(path: Path, data_root: Path) -> tuple[str, tuple[str, ...] | None]:
    """(display path, parts relative to the data root or None when outside it) of ``path``.
    The last part is never followed: a symbolic link is named as itself."""
    if path.name in ("", ".", ".."):
        full = os.path.realpath(path)
    else:
        full = os.path.join(os.path.realpath(path.parent), path.name)
    root = os.path.realpath(data_root)
    base = os.path.dirname(root)
    rel = None
    if full.startswith(root + os.sep):
        rel = tuple(full[len(root) + 1 :].split(os.sep))
    elif full == root:
        rel = ()
    if full.startswith(base.rstrip(os.sep) + os.sep):
        return full[len(base.rstrip(os.sep)) + 1 :].replace(os.sep, "/"), rel
    return path.as_posix(), rel


def display(path: Path, root: Path) -> str:
    return locate(path, root)[0]


def iter_files(data_root: Path) -> Iterator[Path]:
    """Every entry under the data root that is not a folder, in ``scan`` order."""
    for path, _rel, _hidden in scan(data_root):
        yield Path(path)


def precheck(
    path: str, file: str, kind: str | None, rel: tuple[str, ...] | None = None
) -> tuple[os.stat_result | None, Finding | None]:
    """What is checked before a file is read, without opening it: not hidden, a regular file
    (not a link, pipe, socket or device), a .yaml name, a known location, not too large.
    Returns the file's ``lstat``, or the one finding that stops it being read."""
    if rel is not None and hidden(rel):
        return None, make(
            "file.hidden",
            file,
            "以“.”开头的文件或文件夹不是记录，不会被读取",
            line=1,
            column=1,
        )
    st, problem = lstat_problem(path, file)
    if problem is not None:
        return None, problem
    if not path.endswith(".yaml"):
        name = os.path.basename(path)
        return None, make("file.not-yaml", file, f"“{name}”不是 .yaml 记录文件", line=1, column=1)
    if kind is None:
        return None, make(
            "file.unknown-kind", file, "文件所在位置不对应任何记录类型", line=1, column=1
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
    if problem is not None:
        rec.findings.append(problem)
        return rec
    return parse_bytes(rec, raw)


def parse_bytes(rec: Record, raw: bytes) -> Record:
    if len(raw) > MAX_BYTES:  # bytes from elsewhere (a Git object, a sheet import)
        rec.findings.append(too_large(rec.file, len(raw), MAX_BYTES))
        return rec
    text, problems = decode(raw, rec.file)
    if problems:
        rec.findings.extend(problems)
        return rec
    rec.parsed = parse(text, rec.file)
    if rec.parsed.data is not None and not isinstance(rec.parsed.data, dict):
        rec.findings.append(
            make(
                "record.not-mapping",
                rec.file,
                "记录最外层必须是字段映射（字段: 值）",
                line=1,
                column=1,
            )
        )
        rec.parsed.data = None
    elif rec.parsed.data is None and not rec.findings:
        rec.findings.append(make("yaml.empty", rec.file, "文件中没有内容", line=1, column=1))
    return rec


# --- the whole tree at once: parallel, cached ------------------------------------------------

PARALLEL_MIN = 400  # below this many files to parse, worker processes cost more than they save
CHUNK = 1000
WORKERS_ENV = "BANGFU_WORKERS"


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


def worker_count() -> int:
    env = os.environ.get(WORKERS_ENV)
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        n = os.cpu_count() or 1
    # twice the cores: a first read of a large tree waits on the disk as much as it computes
    return max(1, min(2 * n, 16))


# folders (relative to the data root, as parts) whose stamps tell a check of a few files that
# records were added, removed or renamed there since the reference index was written
STAMPED_DIRS = frozenset({"households", "plans"})
STAMPED_DEPTH = 3


def scan(
    data_root: Path, dirs: dict[str, tuple] | None = None
) -> list[tuple[str, tuple[str, ...], bool]]:
    """(path, parts relative to the root, is hidden) for every entry under the root that is
    not a folder, in a stable order (at each level, entries before folders, by name).

    Nothing is skipped silently and nothing is followed: symbolic links (to files, folders or
    nowhere), pipes, sockets and devices are listed like files, hidden folders are walked, and
    a folder that cannot be listed is listed itself; all of these are refused with a finding
    when read (``precheck``). Only the writers' own staging files are left out.

    With ``dirs``, the stamp of every record folder (``STAMPED_DIRS`` at ``STAMPED_DEPTH``) is
    put there, taken before the folder is listed."""
    out: list[tuple[str, tuple[str, ...], bool]] = []

    def walk(dirpath: str, rel: tuple[str, ...], hid: bool) -> None:
        if dirs is not None and len(rel) == STAMPED_DEPTH and rel[0] in STAMPED_DIRS:
            with contextlib.suppress(OSError):
                dirs["/".join(rel)] = dir_stamp(os.stat(dirpath))
        try:
            with os.scandir(dirpath) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            if rel:
                out.append((dirpath, rel, hid))  # refused when read
            return
        folders = []
        for e in entries:
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            h = hid or e.name.startswith(".")
            if is_dir:
                folders.append((e, h))
            elif h and is_tool_temp(e.name) and e.is_file(follow_symlinks=False):
                continue
            else:
                out.append((e.path, rel + (e.name,), h))
        for d, h in folders:
            walk(d.path, rel + (d.name,), h)

    walk(str(data_root), (), False)
    return out


def dir_stamp(st: os.stat_result) -> tuple | None:
    """A folder's stamp; None (matching no later stamp) when it changed so recently that a
    change in the same clock tick would leave it as it is."""
    from .cache import RACY_SECONDS

    if st.st_mtime_ns >= time.time_ns() - int(RACY_SECONDS * 1e9):
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _parse_one(path: str, file: str, rel: tuple, kind: str, schemas_dir: str | None):
    """Read, parse and schema-check one file: (digest, (data, parse findings, schema
    findings, facts))."""
    from .cache import digest

    raw, problem = read_bounded(path, file, MAX_BYTES, checked=True)
    if problem is not None or raw is None:
        return None, (None, [finding_tuple(problem)], [], None)
    rec = parse_bytes(Record(kind=kind, file=file, rel=rel), raw)
    schema_findings = []
    if schemas_dir is not None and rec.data is not None and not rec.findings:
        from .schema import validate

        schema_findings = validate(rec, Path(schemas_dir))
    from .facts import record_facts

    return digest(raw), (
        _interned(rec.data),
        [finding_tuple(f) for f in rec.findings],
        [finding_tuple(f) for f in schema_findings],
        _interned_facts(record_facts(kind, rec.data)),
    )


def _interned_facts(facts: dict, _intern=sys.intern) -> dict:
    """Fact rows with their short texts (ids, dates, categories) interned, like the data."""
    return {
        name: [
            tuple(_intern(v) if type(v) is str and len(v) <= 32 else v for v in row) for row in rows
        ]
        for name, rows in facts.items()
    }


def _interned(node, _intern=sys.intern):
    """The same data with keys and short strings interned: repeated words (field names,
    categories, dates) are then stored once, in memory and in the cache, and load faster."""
    if type(node) is dict:
        out = {}
        for k, v in node.items():
            t = type(v)
            if t is str:
                out[_intern(k)] = _intern(v) if len(v) <= 32 else v
            elif t is dict or t is list:
                out[_intern(k)] = _interned(v)
            else:
                out[_intern(k)] = v
        return out
    if type(node) is list:
        return [
            (_intern(v) if len(v) <= 32 else v)
            if type(v) is str
            else _interned(v)
            if type(v) in (dict, list)
            else v
            for v in node
        ]
    return node


def _parse_chunk(args) -> bytes:
    import marshal

    items, schemas_dir = args
    return marshal.dumps([_parse_one(p, f, tuple(r), k, schemas_dir) for p, f, r, k in items])


def _run_chunks(items: list, schemas_dir: str | None, workers: int) -> list:
    import marshal

    if workers <= 1 or len(items) < PARALLEL_MIN:
        return [_parse_one(p, f, r, k, schemas_dir) for p, f, r, k in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(50, min(CHUNK, len(items) // (workers * 4) or 1))
    chunks = [(items[i : i + size], schemas_dir) for i in range(0, len(items), size)]
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    out: list = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for blob in pool.map(_parse_chunk, chunks):
            out.extend(marshal.loads(blob))
    return out


@dataclass(slots=True)
class Tree:
    """Every file under a data root, read: records in ``iter_files`` order, and for each the
    findings of the schema check (empty when the record had parse findings)."""

    records: list[Record]
    schema_findings: list[list[Finding]]
    parsed: int = 0  # files that had to be parsed (cache misses)
    cached: int = 0
    stamps: dict[str, tuple] = field(default_factory=dict)  # rel path → stat stamp
    dirs: dict[str, tuple] = field(default_factory=dict)  # record folder → stamp (``scan``)
    changed: bool = True  # False: every file was found unchanged in the cache


def load_tree(
    data_root: Path,
    schemas_dir: Path | None = None,
    *,
    workers: int | None = None,
    use_cache: bool = True,
) -> Tree:
    """Read every record under ``data_root`` (parallel across cores, through the parse cache);
    with ``schemas_dir``, also schema-check each record. Same records and findings as
    ``read_record`` + ``schema.validate`` one by one."""
    import gc

    # records are acyclic: the cyclic collector, run again and again while millions of
    # containers are made, would only cost time; it runs once at the end instead
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_tree(data_root, schemas_dir, workers, use_cache)
    finally:
        gc.freeze()  # what was loaded stays out of later collections (it is freed by refcount)
        _unfreeze_at_exit()
        if enabled:
            gc.enable()


@cache
def _unfreeze_at_exit() -> None:
    """Frozen objects are skipped by the collection at interpreter exit; native modules
    (DuckDB's bindings) then report their objects as leaked on stderr."""
    import atexit
    import gc

    atexit.register(gc.unfreeze)


def _load_tree(
    data_root: Path, schemas_dir: Path | None, workers: int | None, use_cache: bool
) -> Tree:
    from . import cache as cache_mod

    root = data_root.resolve()
    prefix = root.name
    store = cache_mod.open_cache(root, schemas_dir) if use_cache else cache_mod.ParseCache(None)
    if store.path is not None and schemas_dir is None:
        store = cache_mod.ParseCache(None)  # the cache always holds schema results
    n_workers = worker_count() if workers is None else workers
    records: list[Record] = []
    schema_f: list[list[Finding]] = []
    misses: list[tuple[int, str, str, tuple, str, tuple]] = []
    keep: set[str] = set()
    stamps: dict[str, tuple] = {}
    cached = 0
    dirs: dict[str, tuple] = {}
    for path, rel, hid in scan(root, dirs):
        file = prefix + "/" + "/".join(rel)
        kind = _kind(rel) if not hid and path.endswith(".yaml") else None
        rec = Record(kind=kind, file=file, rel=rel)
        records.append(rec)
        schema_f.append([])
        st, problem = precheck(path, file, kind, rel if hid else None)
        if problem is not None:
            rec.findings.append(problem)
            continue
        stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)  # cache.stamp
        relkey = "/".join(rel)
        keep.add(relkey)
        stamps[relkey] = stamp
        result = None
        if store.path is not None:
            dig = store.digest_by_stamp(relkey, stamp)
            if dig is None and relkey in store.files:
                # touched but maybe unchanged: the content hash decides
                raw, _problem = read_bounded(path, file, MAX_BYTES, checked=True)
                dig = cache_mod.digest(raw) if raw is not None else None
                if dig is not None and store.result(dig, kind) is not None:
                    store.put(relkey, stamp, dig, kind, store.result(dig, kind))
            if dig is not None:
                result = store.result(dig, kind)
        if result is not None and _fill(rec, result, schema_f, len(records) - 1, path):
            cached += 1
            continue
        misses.append((len(records) - 1, path, file, rel, kind, stamp))
    items = [(p, f, r, k) for _, p, f, r, k, _ in misses]
    results = _run_chunks(items, str(schemas_dir) if schemas_dir else None, n_workers)
    for (i, path, _file, rel, kind, stamp), (dig, result) in zip(misses, results, strict=True):
        _fill(records[i], result, schema_f, i, path)
        if dig is not None and store.path is not None:
            store.put("/".join(rel), stamp, dig, kind, result)
    changed = True
    if store.path is not None:
        changed = store.dirty or set(store.files) != keep
        if changed:
            store.dirty = True
            store.save(keep)
    return Tree(
        records,
        schema_f,
        parsed=len(misses),
        cached=cached,
        stamps=stamps,
        dirs=dirs,
        changed=changed,
    )


def order_key(rel: tuple[str, ...]) -> tuple:
    """Sort key giving ``iter_files`` order: at each level, files before folders, by name."""
    return tuple((1, p) for p in rel[:-1]) + ((0, rel[-1]),)


def load_some(
    items: list[tuple[str, tuple[str, ...]]], data_root: Path, schemas_dir: Path | None
) -> list[tuple[Record, list[Finding], tuple | None]]:
    """Read a few files (no cache, no worker processes): (record, schema findings, stamp)."""
    from . import cache as cache_mod

    out = []
    prefix = data_root.name
    for path, rel in items:
        file = prefix + "/" + "/".join(rel)
        kind = classify(rel) if path.endswith(".yaml") else None
        rec = Record(kind=kind, file=file, rel=rel)
        st, problem = precheck(path, file, kind, rel)
        if problem is not None:
            rec.findings.append(problem)
            out.append((rec, [], None))
            continue
        _dig, result = _parse_one(path, file, rel, kind, str(schemas_dir) if schemas_dir else None)
        sf_box: list = [[]]
        _fill(rec, result, sf_box, 0, path)
        out.append((rec, sf_box[0], cache_mod.stamp(st)))
    return out


def _fill(rec: Record, result, schema_f: list, i: int, path: str) -> bool:
    """Put a (data, parse findings, schema findings, facts) result on a record."""
    if type(result) is not tuple or len(result) != 4:
        return False
    rec.facts = result[3] if type(result[3]) is dict else None
    if not result[1] and not result[2] and result[0] is not None:
        rec.parsed = Parsed(result[0], None, [], FileText(path))
        return True
    try:
        data, pf, sf, _facts = result
        findings = [finding_from(t, rec.file) for t in pf]
        schema = [finding_from(t, rec.file) for t in sf]
    except (TypeError, ValueError):
        return False
    rec.parsed = Parsed(data, None if data is not None else {}, findings, FileText(path))
    schema_f[i] = schema
    return True
