"""The parse cache: what reading, parsing and schema-checking a file gave, keyed by its content.

Kept in ``.bangfu-cache/`` next to the data folder (git-ignored), when that folder is a Git
checkout or already has a ``.bangfu-cache/`` (a plain copy of a data folder is never written
to by a check). A file whose stat stamp (size, mtime, ctime, inode) is unchanged since the
cache was written is taken from it; a file whose stamp changed is read and hashed, and a known
hash is still a hit. The cache is bound to a fingerprint of the schemas and of the code that
produces its contents, is written atomically, and a missing, foreign or corrupt cache is
simply ignored. ``BANGFU_CACHE=0`` turns it off."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import marshal
import os
import struct
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from .writes import replace_file

if TYPE_CHECKING:
    from collections.abc import Iterator

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
    "refindex.py",  # the reference index, kept under the same fingerprint
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


class Stamps:
    """The stat stamps of a tree's records, by their position in its list (``load.Tree``):
    32 bytes each in one buffer, packed as the cache packs them (``pack_stamp``). A dict of
    path → stamp held about 400 MB at 500,000 households, and only a check that writes the
    reference index reads it. A record without a stamp (refused before it was read) and a
    stamp that does not pack (a time past 2262) are kept aside."""

    __slots__ = ("_buf", "_aside")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._aside: dict[int, tuple | None] = {}

    def append(self, st: tuple | None) -> None:
        packed = pack_stamp(st) if st is not None else None
        if packed is None:
            self._aside[len(self)] = st
            packed = bytes(STAMP_BYTES)
        self._buf += packed

    def __len__(self) -> int:
        return len(self._buf) // STAMP_BYTES

    def __getitem__(self, i: int) -> tuple | None:
        if not 0 <= i < len(self):
            raise IndexError(i)
        if i in self._aside:
            return self._aside[i]
        return _STAMP.unpack_from(self._buf, i * STAMP_BYTES)

    def __iter__(self) -> Iterator[tuple | None]:
        each = _STAMP.iter_unpack(self._buf)
        if not self._aside:
            return each
        aside = self._aside
        return (aside.get(i, st) for i, st in enumerate(each))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stamps) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


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
    kind → cached result (their facts also as columns beside it: ``factcache``). A result is
    ``(data, parse_findings, schema_findings, facts)``, findings as tuples without the file
    name (see ``readone.finding_tuple``), facts as ``facts.record_facts`` gives them, packed
    (``record.pack_facts``), and a clean household's or report's data packed (``record.pack``):
    one object each, not dozens (reading the cache at 500,000 households, 8 s and 2.6 GB
    instead of 15 s and 3.6 GB).

    The journal: a save after a load that changed few files (at most one in
    ``JOURNAL_SHARE``) writes only those files, the entries new to them and the files
    gone, to ``parse-….journal`` beside the cache, which is left as it was (and the columns
    beside it with it); a later read takes the cache and then its journal. Rewriting the
    whole cache and its columns took 21 s at 500,000 households whatever had changed. A
    journal names the write time of the cache it was written on (``written_ns``) and is
    ignored on any other; the whole cache is written again once the journal would grow past
    its share. A file's stamp is judged racy against the write time of the part that holds
    it: the cache's (``written_ns``) or the journal's (``journal_ns``)."""

    path: Path | None
    written_ns: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    entries: dict[bytes, tuple] = field(default_factory=dict)
    dirty: bool = False
    base_count: int = 0  # entries in the cache file itself: the columns' (``factcache``)
    journal_ns: int = 0
    journal: set[str] = field(default_factory=set)  # files whose value is the journal's
    gone: set[str] = field(default_factory=set)  # files of the cache file no longer there
    puts: set[str] = field(default_factory=set)  # files put since the last save

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
        written = self.journal_ns if rel in self.journal else self.written_ns
        if st[1] >= written - int(RACY_SECONDS * 1e9):
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
        self.puts.add(rel)
        self.dirty = True

    def save(self, keep: set[str] | None = None) -> bool:
        """Write atomically: a journal where few files changed (``journal``), else the whole
        cache, whose entries no longer used by any file are dropped (and from this object:
        it is then the cache as written). True: the whole cache was written (its columns are
        to be written again); False: a journal or nothing."""
        if self.path is None or not self.dirty:
            return False
        if keep is not None and self._save_journal(keep):
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
        with contextlib.suppress(OSError):  # it names the cache before: ignored if left
            os.unlink(journal_path(self.path))
        self.files, self.entries, self.written_ns, self.dirty = files, entries, now, False
        self.base_count, self.journal_ns, self.journal, self.gone = len(entries), 0, set(), set()
        self.puts = set()
        return True

    def _save_journal(self, keep: set[str]) -> bool:
        """The journal of every file put or gone since the cache file was written, when they
        are few enough and it can be written; True: written (this object is then the cache
        as read back with it)."""
        if not self.written_ns or self.path is None:
            return False  # no cache file to write it on
        # a file gone and back again was put: the journal holds it as any other
        gone = {r for r in self.gone if r not in keep} | {r for r in self.files if r not in keep}
        changed = {r: self.files[r] for r in self.journal | self.puts if r in keep}
        if len(changed) + len(gone) > len(keep) // JOURNAL_SHARE:
            return False
        used = {v[STAMP_BYTES:] for v in changed.values()}
        later = itertools.islice(self.entries.items(), self.base_count, None)
        entries = {k: v for k, v in later if k[:16] in used}  # the cache file has the rest
        now = time.time_ns()
        try:
            blob = marshal.dumps((VERSION, self.written_ns, now, changed, sorted(gone), entries))
            replace_file(journal_path(self.path), blob)
        except OSError:
            return False
        for rel in gone:
            self.files.pop(rel, None)
        self.journal_ns, self.journal, self.gone = now, set(changed), gone
        self.puts, self.dirty = set(), False
        return True

    def _read_journal(self) -> None:
        """Take the journal written on this cache file, if any (``save``)."""
        if self.path is None:
            return
        try:
            version, on, written, files, gone, entries = marshal.loads(
                journal_path(self.path).read_bytes()
            )
            if version != VERSION or on != self.written_ns or type(written) is not int:
                return
            if type(files) is not dict or type(gone) is not list or type(entries) is not dict:
                return
            if not all(type(r) is str and type(v) is bytes for r, v in files.items()):
                return
            if not all(type(r) is str for r in gone) or not all(type(k) is bytes for k in entries):
                return
        except Exception:  # noqa: BLE001 — none, foreign or damaged: the cache file alone
            return
        for rel in gone:
            self.files.pop(rel, None)
        self.files.update(files)
        self.entries.update(entries)
        self.journal_ns, self.journal, self.gone = written, set(files), set(gone)


JOURNAL_SHARE = 20  # a journal holds at most one file in this many


def journal_path(path: Path) -> Path:
    return path.with_suffix(".journal")


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
        store = ParseCache(path, written, files, entries, base_count=len(entries))
    except Exception:  # noqa: BLE001 — an unreadable or corrupt cache is ignored, never fatal
        return ParseCache(path)
    store._read_journal()
    return store
