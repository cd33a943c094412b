"""Load stage: every record file under ``data/``, read at once: a stable scan of the tree
(``scan``), the files' work (``readone.parse_one``) spread over worker processes, and the parse
cache (``cache``) so that unchanged files are not read again. The record type and the layout
are in ``record``; reading one file is in ``readone``."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import cache as cache_mod
from . import forked
from .config import cores, workers_set
from .findings import Finding
from .layout import kind_of
from .readfile import read_bounded, stat_values
from .readone import fill, kept, parse_one, precheck
from .record import Record, classify
from .writes import is_tool_temp
from .yamlsafe import MAX_BYTES

__all__ = [
    "STAMPED_DIRS",
    "Tree",
    "dir_stamp",
    "iter_files",
    "load_some",
    "load_tree",
    "order_key",
    "scan",
    "worker_count",
]

PARALLEL_MIN = 400  # below this many files to parse, worker processes cost more than they save
CHUNK = 1000
# a parse cache this large takes this process a second or more to read: meanwhile a child lists
# the tree and takes every entry's lstat (``listing``), which would take about as long after it
LISTED_BESIDE_CACHE = 32 << 20


def iter_files(data_root: Path) -> Iterator[Path]:
    """Every entry under the data root that is not a folder, in ``scan`` order."""
    for path, _rel, _hidden in scan(data_root):
        yield Path(path)


def worker_count() -> int:
    # twice the cores: a first read of a large tree waits on the disk as much as it computes
    return workers_set() or max(1, min(2 * cores(), 16))


# folders (relative to the data root, as parts) whose stamps tell a check of a few files that
# records were added, removed or renamed there since the reference index was written
STAMPED_DIRS = frozenset({"households", "plans"})
STAMPED_DEPTH = 3


def scan(
    data_root: Path, dirs: dict[str, tuple | None] | None = None
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


def listing(
    data_root: Path,
) -> tuple[list[tuple[str, tuple[str, ...], bool]], list, dict[str, tuple | None]]:
    """``scan`` of the tree (with its folders' stamps), then each entry's ``lstat`` as
    ``readfile.stat_values`` gives it: plain values, sent cheaply from a child.

    Each file is judged as its lstat found it, as when ``load_tree`` takes the lstat itself:
    an unchanged stamp takes the cached result, and a file that is read is checked again on
    its open descriptor (``readfile.read_bounded``). A change made after the lstat is seen
    by the next run (its stamp differs); the lstats are only taken a second or two earlier
    than this process would have taken them."""
    dirs: dict[str, tuple | None] = {}
    entries = scan(data_root, dirs)
    return entries, [stat_values(path) for path, _rel, _hid in entries], dirs


def _list_beside(root: Path, cache_path: Path | None) -> forked.Job | None:
    """A child listing the tree (``listing``) while this process reads a large parse cache;
    None where the cache is small or absent (this process lists the tree itself)."""
    if cache_path is None or not forked.can_fork():
        return None
    try:
        if cache_path.stat().st_size < LISTED_BESIDE_CACHE:
            return None
    except OSError:
        return None
    try:
        return forked.start("列出数据文件", listing, root, lost="数据文件将在本进程中重新列出")
    except OSError:  # no process could be started: the tree is listed here
        return None


def _listed(job: forked.Job | None, root: Path) -> tuple[list, list | None, dict]:
    """The child's listing, or (where there is none, or it failed or died) the tree listed
    here, with no lstat taken yet."""
    if job is not None:
        try:
            return job.wait()
        except Exception:  # noqa: BLE001 — any failure of the child: listed again here
            pass
    dirs: dict[str, tuple | None] = {}
    return scan(root, dirs), None, dirs


def dir_stamp(st: os.stat_result) -> tuple | None:
    """A folder's stamp; None (matching no later stamp) when it changed so recently that a
    change in the same clock tick would leave it as it is."""
    if st.st_mtime_ns >= time.time_ns() - int(cache_mod.RACY_SECONDS * 1e9):
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _parse_chunk(args) -> bytes:
    import marshal

    items, schemas_dir = args
    return marshal.dumps([parse_one(p, f, tuple(r), k, schemas_dir) for p, f, r, k in items])


class Parsing:
    """The files to parse (the cache's misses) and their results, in the order they were
    added. Few: parsed here, at ``results``. Many: by worker processes, in chunks of
    ``CHUNK``, the first handed over while the tree is still being walked (once enough
    files miss that the workers would all have work), so that they start before the walk
    ends; the rest at ``results``, in chunks that share the tail among the workers."""

    def __init__(self, schemas_dir: str | None, workers: int) -> None:
        self.schemas_dir, self.workers = schemas_dir, workers
        self.items: list[tuple[str, str, tuple, str | None]] = []
        self.sent = 0
        self.pool: Any = None
        self.futures: list = []

    def add(self, item: tuple[str, str, tuple, str | None]) -> None:
        self.items.append(item)
        n = len(self.items)
        if self.workers > 1 and n - self.sent >= CHUNK and n >= CHUNK * self.workers * 4:
            self._send(n, CHUNK)

    def _send(self, end: int, size: int) -> None:
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        for i in range(self.sent, end, size):
            chunk = self.items[i : min(i + size, end)]
            self.futures.append(self.pool.submit(_parse_chunk, (chunk, self.schemas_dir)))
        self.sent = end

    def results(self) -> list:
        import marshal

        items = self.items
        if self.pool is None and (self.workers <= 1 or len(items) < PARALLEL_MIN):
            return [parse_one(p, f, r, k, self.schemas_dir) for p, f, r, k in items]
        left = len(items) - self.sent
        self._send(len(items), max(50, min(CHUNK, left // (self.workers * 4) or 1)))
        out: list = []
        futures, self.futures = self.futures, []
        futures.reverse()
        while futures:  # each chunk's bytes let go of once read
            out.extend(marshal.loads(futures.pop().result()))
        return out

    def close(self) -> None:
        """The workers ended (those still waiting for work, at once): the caller's
        ``finally``, after ``results`` or on any failure."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


@dataclass(slots=True)
class Tree:
    """Every file under a data root, read: records in ``iter_files`` order, and for each the
    findings of the schema check (empty when the record had parse findings)."""

    records: list[Record]
    schema_findings: list[list[Finding]]
    parsed: int = 0  # files that had to be parsed (cache misses)
    cached: int = 0
    stamps: cache_mod.Stamps = field(default_factory=cache_mod.Stamps)  # by record position
    # record folder → stamp (``scan``)
    dirs: dict[str, tuple | None] = field(default_factory=dict)
    changed: bool = True  # False: every file was found unchanged in the cache
    # every record as the rules see it: path, kind and content digest (``content_of``)
    content: bytes | None = None
    columns: Any = None  # the parse cache's facts the records' cells point to (``factcache``)


def load_tree(
    data_root: Path,
    schemas_dir: Path | None = None,
    *,
    workers: int | None = None,
    use_cache: bool = True,
) -> Tree:
    """Read every record under ``data_root`` (parallel across cores, through the parse cache);
    with ``schemas_dir``, also schema-check each record. Same records and findings as
    ``read_record`` + ``schemacheck.validate`` one by one."""
    from .collector import held

    # records are acyclic: the cyclic collector would only cost time (``collector``); what
    # was loaded stays out of later collections (it is freed by reference counting)
    with held(freeze=True):
        return _load_tree(data_root, schemas_dir, workers, use_cache)


def _load_tree(
    data_root: Path, schemas_dir: Path | None, workers: int | None, use_cache: bool
) -> Tree:
    root = data_root.resolve()
    prefix = root.name
    # the cache always holds schema results: none without the schemas
    cache_path = cache_mod.cache_file(root, schemas_dir) if use_cache and schemas_dir else None
    job = _list_beside(root, cache_path)
    try:
        store = cache_mod.read_cache(cache_path)
    except BaseException:
        if job is not None:
            job.stop()
        raise
    columns = None
    if store.path is not None:
        from . import factcache  # imported when used (pyarrow): a cache is kept

        columns = factcache.read(store)
    entries, stats, dirs = _listed(job, root)
    n_workers = worker_count() if workers is None else workers
    records: list[Record] = []
    schema_f: list[list[Finding]] = []
    digests: list[bytes | None] = []  # each record's content digest (None: never read)
    misses: list[tuple[int, str, tuple, str | None, tuple]] = []
    parsing = Parsing(str(schemas_dir) if schemas_dir else None, n_workers)
    keep: set[str] = set()
    stamps, cached = cache_mod.Stamps(), 0  # the stamps by the records' positions
    try:
        for i, (path, rel, hid) in enumerate(entries):
            file = prefix + "/" + "/".join(rel)
            kind = kind_of(rel) if not hid and path.endswith(".yaml") else None
            rec = Record(kind=kind, file=file, rel=rel)
            records.append(rec)
            schema_f.append([])
            digests.append(None)
            taken = stats[i] if stats is not None else None
            checked = precheck(path, file, kind, rel if hid else None, taken)
            if checked[1] is not None:
                rec.findings.append(checked[1])
                stamps.append(None)
                continue
            st = checked[0]
            stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)  # cache.stamp
            relkey = "/".join(rel)
            keep.add(relkey)
            stamps.append(stamp)
            result = None
            if store.path is not None:
                dig = store.digest_by_stamp(relkey, stamp)
                if dig is None and relkey in store.files:
                    # touched but maybe unchanged: the content hash decides
                    raw, _problem = read_bounded(path, file, MAX_BYTES, checked=True)
                    dig = cache_mod.digest(raw) if raw is not None else None
                    hit = store.result(dig, kind) if dig is not None else None
                    if dig is not None and hit is not None:
                        store.put(relkey, stamp, dig, kind, hit)
                if dig is not None:
                    result = store.result(dig, kind)
            if result is not None and fill(rec, result, schema_f, len(records) - 1, path):
                digests[-1] = dig
                cached += 1
                if columns is not None and dig is not None:
                    columns.place(rec, store.key(dig, kind))
                continue
            misses.append((len(records) - 1, path, rel, kind, stamp))
            parsing.add((path, file, rel, kind))
        results = parsing.results()
    finally:
        parsing.close()
    parsed: dict[bytes, Any] = {}  # entry key → the facts parsed now, as the records hold them
    for (i, path, rel, kind, stamp), (dig, result) in zip(misses, results, strict=True):
        fill(records[i], result, schema_f, i, path)
        digests[i] = dig
        if dig is not None and store.path is not None:
            store.put("/".join(rel), stamp, dig, kind, kept(kind, result))
            parsed[store.key(dig, kind)] = result[3]
    changed = True
    if store.path is not None:
        changed = store.dirty or set(store.files) != keep
        if changed:
            store.dirty = True
            if store.save(keep):  # the cells above still point into ``columns``, as read
                factcache.write(store, columns, parsed)
    return Tree(
        records,
        schema_f,
        parsed=len(misses),
        cached=cached,
        stamps=stamps,
        dirs=dirs,
        changed=changed,
        content=content_of(records, digests),
        columns=columns,
    )


def content_of(records: list[Record], digests: list[bytes | None]) -> bytes:
    """A hash of every record as the cross-record rules see it: its display path, its kind
    and its content digest (a file refused before it was read has none: the rules see no
    data in it), in order. Hashed a block of records at a time (at 500,000 households, 1.2
    million records; 0.3 s)."""
    h = hashlib.blake2b(digest_size=20)
    for i in range(0, len(records), 4096):
        block = records[i : i + 4096]
        # no path holds a NUL: the text splits back into the same paths and kinds
        h.update(
            "".join(f"{r.file}\0{r.kind or ''}\0" for r in block).encode("utf-8", "surrogatepass")
        )
        h.update(b"".join(d if d is not None else b"-" * 16 for d in digests[i : i + 4096]))
    h.update(str(len(records)).encode())
    return h.digest()


def order_key(rel: tuple[str, ...]) -> tuple:
    """Sort key giving ``iter_files`` order: at each level, files before folders, by name."""
    return tuple((1, p) for p in rel[:-1]) + ((0, rel[-1]),)


def load_some(
    items: list[tuple[str, tuple[str, ...]]], data_root: Path, schemas_dir: Path | None
) -> list[tuple[Record, list[Finding], tuple | None]]:
    """Read a few files (no cache, no worker processes): (record, schema findings, stamp)."""
    out: list[tuple[Record, list[Finding], tuple | None]] = []
    prefix = data_root.name
    for path, rel in items:
        file = prefix + "/" + "/".join(rel)
        kind = classify(rel) if path.endswith(".yaml") else None
        rec = Record(kind=kind, file=file, rel=rel)
        checked = precheck(path, file, kind, rel)
        if checked[1] is not None:
            rec.findings.append(checked[1])
            out.append((rec, [], None))
            continue
        st = checked[0]
        _dig, result = parse_one(path, file, rel, kind, str(schemas_dir) if schemas_dir else None)
        sf_box: list = [[]]
        fill(rec, result, sf_box, 0, path)
        out.append((rec, sf_box[0], cache_mod.stamp(st)))
    return out
