"""The reference index: which files hold which household and plan ids, kept in the parse
cache's folder (``cache.cache_dir``), bound to the same fingerprint (``cache.fingerprint``).

Written by every full check; read by checks of a few files (``bangfu check PATH…``), which
then load only those files, the small reference kinds, and the files the index names for
the ids they touch. Every file the index names is stat-checked before it is trusted, so a
stale index costs a re-read, never a wrong answer. It also holds, per county, every report
file with the households its entries name (``reports``): a household checked under a visit
cadence is read with the reports that name it, not with every report of its county."""

from __future__ import annotations

import marshal
import shutil
import time
import zlib
from pathlib import Path

from .cache import VERSION, Stamps, cache_dir, enabled, fingerprint, usable
from .record import Record, expected_stem, households_named
from .writes import replace_file

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
    stamps: Stamps,
    dirs: dict[str, tuple | None] | None = None,
) -> Path | None:
    """Index the household and plan ids of a fully loaded tree (replaces any older index).
    ``stamps``: the records' stat stamps, by their position (``load.Tree``); ``dirs``: the
    stamps of the record folders, taken before they were listed. Returns the index's folder
    (None: no index written)."""
    if not enabled() or not usable(data_root):
        return None
    path = index_dir(data_root, schemas_dir)
    kinds = (*INDEXED_KINDS, REPORTS)
    shards: dict[tuple[str, int], dict] = {(k, n): {} for k in kinds for n in range(SHARDS)}
    broken = []
    files = 0
    for rec, st in zip(records, stamps, strict=True):
        files += 1
        if rec.kind not in INDEXED_KINDS and rec.kind != "report":
            continue
        rel = "/".join(rec.rel)
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
