"""The parse cache: what reading, parsing and schema-checking a file gave, keyed by its content.

Kept in ``.bangfu-cache/`` next to the data folder (git-ignored), when that folder is a Git
checkout or already has a ``.bangfu-cache/`` (a plain copy of a data folder is never written
to by a check). A file whose stat stamp
(size, mtime, ctime, inode) is unchanged since the cache was written is taken from it; a file
whose stamp changed is read and hashed, and a known hash is still a hit. The cache is bound to
a fingerprint of the schemas and of the code that produces its contents, is written
atomically, and a missing, foreign or corrupt cache is simply ignored. ``BANGFU_CACHE=0``
turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

VERSION = 1
ENV = "BANGFU_CACHE"
DIRNAME = ".bangfu-cache"
# files modified this close to the cache's own write time are re-hashed (racy stamps)
RACY_SECONDS = 2.0
_CODE_FILES = ("yamlsafe.py", "load.py", "schema.py", "checksums.py", "codes.py", "cache.py")


def enabled() -> bool:
    return os.environ.get(ENV, "1") not in ("0", "false", "no", "off")


def cache_dir(data_root: Path) -> Path:
    return data_root.parent / DIRNAME


def usable(data_root: Path) -> bool:
    parent = data_root.parent
    return (parent / DIRNAME).is_dir() or (parent / ".git").exists()


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def fingerprint(schemas_dir: Path | None) -> str:
    """Changes whenever the schemas or the code that fills the cache change."""
    h = hashlib.blake2b(digest_size=12)
    h.update(f"v{VERSION}".encode())
    here = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        try:
            h.update((here / name).read_bytes())
        except OSError:
            h.update(name.encode())
    try:
        import yaml_rs

        h.update(str(yaml_rs.__version__).encode())
    except ImportError:  # pragma: no cover
        h.update(b"no-yaml-rs")
    if schemas_dir is not None:
        from .schema import bundled

        h.update(json.dumps(bundled(schemas_dir), sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


@dataclass
class ParseCache:
    """``files``: rel path → (stamp, digest); ``entries``: digest + kind → cached result.

    A result is ``(data, parse_findings, schema_findings)``, findings as tuples without the
    file name (see ``load.finding_tuple``)."""

    path: Path | None
    written_ns: int = 0
    files: dict[str, tuple] = field(default_factory=dict)
    entries: dict[bytes, tuple] = field(default_factory=dict)
    dirty: bool = False

    @staticmethod
    def key(dig: bytes, kind: str | None) -> bytes:
        return dig + (kind or "").encode()

    def digest_by_stamp(self, rel: str, st: tuple) -> bytes | None:
        """The cached digest of a file whose stamp is unchanged (and not racy)."""
        known = self.files.get(rel)
        if type(known) is not tuple or len(known) != 2 or known[0] != st:
            return None
        if st[1] >= self.written_ns - int(RACY_SECONDS * 1e9):
            return None
        return known[1]

    def result(self, dig: bytes, kind: str | None) -> tuple | None:
        r = self.entries.get(self.key(dig, kind))
        if type(r) is not tuple or len(r) != 3:
            return None
        return r

    def put(self, rel: str, st: tuple, dig: bytes, kind: str | None, result: tuple) -> None:
        self.files[rel] = (st, dig)
        self.entries[self.key(dig, kind)] = result
        self.dirty = True

    def save(self, keep: set[str] | None = None) -> None:
        """Write atomically; entries no longer used by any file are dropped."""
        if self.path is None or not self.dirty:
            return
        files = self.files if keep is None else {r: v for r, v in self.files.items() if r in keep}
        used = {v[1] for v in files.values()}
        entries = {k: v for k, v in self.entries.items() if k[:16] in used}
        blob = marshal.dumps((VERSION, time.time_ns(), files, entries))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".parse.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
        except OSError:
            return  # a read-only checkout still checks, just without a cache
        self.dirty = False


def open_cache(data_root: Path, schemas_dir: Path | None) -> ParseCache:
    if not enabled() or not usable(data_root):
        return ParseCache(None)
    path = cache_dir(data_root) / f"parse-{fingerprint(schemas_dir)}.marshal"
    try:
        raw = path.read_bytes()
    except OSError:
        return ParseCache(path)
    try:
        version, written, files, entries = marshal.loads(raw)
        if version != VERSION or not isinstance(files, dict) or not isinstance(entries, dict):
            raise ValueError("foreign cache")
        return ParseCache(path, written, files, entries)
    except Exception:  # noqa: BLE001 — a corrupt cache is ignored, never fatal
        return ParseCache(path)
