"""The parse cache: what reading, parsing and schema-checking a file gave, keyed by its content.

Kept in ``.bangfu-cache/`` next to the data folder (git-ignored), when that folder is a Git
checkout or already has a ``.bangfu-cache/`` (a plain copy of a data folder is never written
to by a check). A file whose stat stamp (size, mtime, ctime, inode) is unchanged since the
cache was written is taken from it; a file whose stamp changed is read and hashed, and a known
hash is still a hit. The cache is bound to a fingerprint of the schemas and of the code that
produces its contents, is written atomically, and a missing, foreign or corrupt cache is
simply ignored. ``BANGFU_CACHE=0`` turns it off."""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import os
import shutil
import struct
import time
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from .record import Record, expected_stem, households_named
from .writes import replace_file

if TYPE_CHECKING:
    from .readfile import FileStat

VERSION = 4  # 2: facts in results; 3: bulk records' data packed; 4: facts and stamps packed
ENV = "BANGFU_CACHE"
DIRNAME = ".bangfu-cache"
# files modified this close to the cache's own write time are re-hashed (racy stamps)
RACY_SECONDS = 2.0
CODE_FILES = (
    "yamlsafe.py",
    "yamlbuild.py",
    "yamlfast.py",
    "readfile.py",
    "record.py",
    "readone.py",
    "load.py",
    "schema.py",
    "schemacheck.py",
    "checksums.py",
    "codes.py",
    "cache.py",
    "facts.py",  # results carry the record's facts
    "factcache.py",  # … also kept as columns beside the cache
    "rules/base.py",  # … computed with these
    "rules/dates.py",
    "rules/records.py",
    "findings.py",
)
# what the files above import but cannot change a cached result (test_perf_paths checks that
# every import of a file above is listed in one of the two)
CODE_IMPORTS_ELSEWHERE = {
    "config.py": "settings read at run time (workers, cache on or off)",
    "layout.py": "the kind of a path, which is part of the cache key",
    "writes.py": "the names of the writers' staging files",
    "resources.py": "where the package's schemas are; the schemas themselves are hashed",
    "model.py": "types only: the rules' functions above take a record's data",
    "collector.py": "when the cyclic garbage collector runs, which no result depends on",
    "forked.py": "which process lists the tree (``load.listing``), which no result depends on",
}


def enabled() -> bool:
    return os.environ.get(ENV, "1") not in ("0", "false", "no", "off")


def cache_dir(data_root: Path) -> Path:
    return data_root.parent / DIRNAME


def usable(data_root: Path) -> bool:
    parent = data_root.parent
    return (parent / DIRNAME).is_dir() or (parent / ".git").exists()


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def stamp(st: os.stat_result | FileStat) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


_STAMP = struct.Struct("<QqqQ")  # size, mtime and ctime in ns (maybe before 1970), inode
STAMP_BYTES = _STAMP.size


def pack_stamp(st: tuple) -> bytes | None:
    """A stamp as bytes, kept with the file's digest (one object per file, not six); None
    where a value does not fit (a time past 2262): such a file's content hash decides."""
    try:
        return _STAMP.pack(*st)
    except struct.error:
        return None


@functools.cache
def fingerprint(schemas_dir: Path | None) -> str:
    """Changes whenever the schemas or the code that fills the cache change."""
    h = hashlib.blake2b(digest_size=12)
    h.update(f"v{VERSION}".encode())
    here = Path(__file__).resolve().parent
    for name in CODE_FILES:
        try:
            h.update((here / name).read_bytes())
        except OSError:
            h.update(name.encode())
    # the parser, and the validator whose built-in formats screen records (schemacheck):
    # a new version of either, new results
    for dist in ("yaml_rs", "jsonschema_rs"):
        try:
            h.update(metadata.version(dist).encode())
        except metadata.PackageNotFoundError:  # pragma: no cover
            h.update(f"no-{dist}".encode())
    if schemas_dir is not None:
        from .schema import bundled  # imported when used (jsonschema_rs): readers start fast

        h.update(json.dumps(bundled(schemas_dir), sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


@dataclass
class ParseCache:
    """``files``: rel path → packed stamp + digest (``pack_stamp``); ``entries``: digest +
    kind → cached result (their facts also as columns beside it: ``factcache``). A result is ``(data, parse_findings, schema_findings, facts)``, findings as tuples without
    the file name (see ``readone.finding_tuple``), facts as ``facts.record_facts`` gives them,
    packed (``record.pack_facts``), and a clean household's or report's data packed
    (``record.pack``): one object each, not dozens (reading the cache at 500,000 households,
    8 s and 2.6 GB instead of 15 s and 3.6 GB)."""

    path: Path | None
    written_ns: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    entries: dict[bytes, tuple] = field(default_factory=dict)
    dirty: bool = False

    @staticmethod
    def key(dig: bytes, kind: str | None) -> bytes:
        return dig + (kind or "").encode()

    def digest_by_stamp(self, rel: str, st: tuple) -> bytes | None:
        """The cached digest of a file whose stamp is unchanged (and not racy)."""
        known = self.files.get(rel)
        if type(known) is not bytes or len(known) != STAMP_BYTES + 16:
            return None
        if known[:STAMP_BYTES] != (pack_stamp(st) or b""):
            return None
        if st[1] >= self.written_ns - int(RACY_SECONDS * 1e9):
            return None
        return known[STAMP_BYTES:]

    def result(self, dig: bytes, kind: str | None) -> tuple | None:
        r = self.entries.get(self.key(dig, kind))
        if type(r) is not tuple or len(r) != 4:
            return None
        return r

    def put(self, rel: str, st: tuple, dig: bytes, kind: str | None, result: tuple) -> None:
        self.files[rel] = (pack_stamp(st) or b"\xff" * STAMP_BYTES) + dig  # a size no file has
        self.entries[self.key(dig, kind)] = result
        self.dirty = True

    def save(self, keep: set[str] | None = None) -> bool:
        """Write atomically; entries no longer used by any file are dropped (and from this
        object: it is then the cache as written, at ``written_ns``). True: written."""
        if self.path is None or not self.dirty:
            return False
        files = self.files if keep is None else {r: v for r, v in self.files.items() if r in keep}
        used = {v[STAMP_BYTES:] for v in files.values()}
        entries = {k: v for k, v in self.entries.items() if k[:16] in used}
        now = time.time_ns()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_file(self.path, marshal.dumps((VERSION, now, files, entries)))
        except OSError:
            return False  # a read-only checkout still checks, just without a cache
        self.files, self.entries, self.written_ns, self.dirty = files, entries, now, False
        return True


def cache_file(data_root: Path, schemas_dir: Path | None) -> Path | None:
    """Where the parse cache of this tree is kept; None when no cache is kept."""
    if not enabled() or not usable(data_root):
        return None
    return cache_dir(data_root) / f"parse-{fingerprint(schemas_dir)}.marshal"


def open_cache(data_root: Path, schemas_dir: Path | None) -> ParseCache:
    return read_cache(cache_file(data_root, schemas_dir))


def read_cache(path: Path | None) -> ParseCache:
    """The parse cache at ``path`` (``cache_file``); empty where none of this version is read."""
    if path is None:
        return ParseCache(None)
    try:
        version, written, files, entries = marshal.loads(path.read_bytes())
        if version != VERSION or not isinstance(files, dict) or not isinstance(entries, dict):
            raise ValueError("foreign cache")
        return ParseCache(path, written, files, entries)
    except Exception:  # noqa: BLE001 — an unreadable or corrupt cache is ignored, never fatal
        return ParseCache(path)


# --- the reference index: which files hold which household and plan ids ----------------------
#
# Written by every full check; read by checks of a few files (``bangfu check PATH…``), which
# then load only those files, the small reference kinds, and the files the index names for
# the ids they touch. Every file the index names is stat-checked before it is trusted, so a
# stale index costs a re-read, never a wrong answer. It also holds, per county, every report
# file with the households its entries name (``reports``): a household checked under a visit
# cadence is read with the reports that name it, not with every report of its county.

INDEXED_KINDS = ("household", "plan")
REPORTS = "reports"  # the shards of county → {report rel: (stamp, households named)}
SHARDS = 256


def shard_of(id_: str) -> int:
    return zlib.crc32(id_.encode("utf-8")) % SHARDS


def index_dir(data_root: Path, schemas_dir: Path | None) -> Path:
    return cache_dir(data_root) / f"index-{fingerprint(schemas_dir)}"


class RefIndex:
    """``lookup(kind, id)`` → [(rel path, stamp)] of the files that held that id when indexed."""

    def __init__(self, path: Path, meta: dict):
        self.path = path
        self.meta = meta
        self._shards: dict[tuple[str, int], dict] = {}
        self._dirty: set[tuple[str, int]] = set()

    @property
    def files(self) -> int:
        return int(self.meta.get("files", 0))

    @property
    def dirs(self) -> dict[str, tuple | None] | None:
        """Record folder → its stamp when the index was written (``load.scan``)."""
        d = self.meta.get("dirs")
        return d if type(d) is dict else None

    def dir_changed(self, rel: str, st: tuple | None) -> bool:
        """Whether files may have been added, removed or renamed in a record folder since the
        index was written."""
        dirs = self.dirs
        return dirs is None or dirs.get(rel) != st

    def broken(self) -> list[tuple[str, str, str, tuple]]:
        """(kind, expected id, rel path, stamp) of indexed files that could not be read."""
        out = []
        for item in self.meta.get("broken", ()):
            if type(item) is tuple and len(item) == 4:
                out.append(item)
        return out

    def _shard(self, kind: str, n: int) -> dict:
        key = (kind, n)
        if key not in self._shards:
            try:
                shard = marshal.loads((self.path / f"{kind}-{n:03d}.marshal").read_bytes())
                if type(shard) is not dict:
                    raise ValueError
            except Exception:  # noqa: BLE001 — missing or corrupt: an empty shard
                shard = {}
            self._shards[key] = shard
        return self._shards[key]

    def lookup(self, kind: str, id_: str) -> list[tuple[str, tuple]]:
        entries = self._shard(kind, shard_of(id_)).get(id_, ())
        return [e for e in entries if type(e) is tuple and len(e) == 2]

    def reports(self, county: str) -> dict[str, tuple] | None:
        """Report rel path → (stamp, households its entries name) for the reports of
        ``county`` when indexed; None when the index does not hold the county's reports."""
        shard = self._shard(REPORTS, shard_of(county)).get(county)
        return shard if type(shard) is dict else None

    def note_report(self, rec: Record, st: tuple) -> None:
        """Record what a report file now names (after a check of that file)."""
        county = rec.rel[1]
        n = shard_of(county)
        known = self._shard(REPORTS, n).get(county)
        if type(known) is not dict:
            return  # not indexed: the county's reports are all read until a full check
        rel, entry = "/".join(rec.rel), _report_entry(rec, st)
        if known.get(rel) != entry:
            known[rel] = entry
            self._dirty.add((REPORTS, n))

    def note(self, kind: str, id_: str, rel: str, st: tuple) -> None:
        """Record that ``rel`` now holds ``id_`` (after a check of that file)."""
        n = shard_of(id_)
        shard = self._shard(kind, n)
        entries = [
            e for e in shard.get(id_, ()) if type(e) is tuple and len(e) == 2 and e[0] != rel
        ]
        entries.append((rel, st))
        entries.sort()
        if shard.get(id_) != entries:
            shard[id_] = entries
            self._dirty.add((kind, n))

    def save(self) -> None:
        try:
            for kind, n in sorted(self._dirty):
                replace_file(
                    self.path / f"{kind}-{n:03d}.marshal", marshal.dumps(self._shards[(kind, n)])
                )
        except OSError:
            pass
        self._dirty.clear()


def _report_entry(rec: Record, st: tuple) -> tuple:
    """A report's entry in the index: (stamp, the households its entries name)."""
    return (st, tuple(sorted(set(households_named(rec)))))


def open_index(data_root: Path, schemas_dir: Path | None) -> RefIndex | None:
    if not enabled() or not usable(data_root):
        return None
    path = index_dir(data_root, schemas_dir)
    try:
        meta = marshal.loads((path / "meta.marshal").read_bytes())
        if type(meta) is not dict or meta.get("version") != VERSION:
            return None
    except Exception:  # noqa: BLE001 — no usable index: the caller does a full check
        return None
    return RefIndex(path, meta)


def write_index(
    data_root: Path,
    schemas_dir: Path | None,
    records,
    stamps: dict[str, tuple],
    dirs: dict[str, tuple | None] | None = None,
) -> Path | None:
    """Index the household and plan ids of a fully loaded tree (replaces any older index).
    ``dirs``: the stamps of the record folders, taken before they were listed. Returns the
    index's folder (None: no index written)."""
    if not enabled() or not usable(data_root):
        return None
    path = index_dir(data_root, schemas_dir)
    kinds = (*INDEXED_KINDS, REPORTS)
    shards: dict[tuple[str, int], dict] = {(k, n): {} for k in kinds for n in range(SHARDS)}
    broken = []
    files = 0
    for rec in records:
        files += 1
        if rec.kind not in INDEXED_KINDS and rec.kind != "report":
            continue
        rel = "/".join(rec.rel)
        st = stamps.get(rel)
        if st is None:
            continue
        if rec.kind == "report":
            county = rec.rel[1]
            shards[(REPORTS, shard_of(county))].setdefault(county, {})[rel] = _report_entry(rec, st)
            continue
        rid = rec.id
        if not isinstance(rec.data, dict) or rid is None:
            broken.append((rec.kind, expected_stem(rec.rel, rec.kind), rel, st))
            continue
        shards[(rec.kind, shard_of(rid))].setdefault(rid, []).append((rel, st))
    try:
        path.mkdir(parents=True, exist_ok=True)
        for (kind, n), shard in shards.items():
            replace_file(path / f"{kind}-{n:03d}.marshal", marshal.dumps(shard))
        replace_file(
            path / "meta.marshal",
            marshal.dumps(
                {
                    "version": VERSION,
                    "files": files,
                    "broken": broken,
                    "dirs": dict(dirs) if dirs is not None else None,
                    "written": time.time_ns(),
                }
            ),
        )
    except OSError:
        return None
    # indexes made for other schemas or code are of no further use
    for old in cache_dir(data_root).glob("index-*"):
        if old != path and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return path
