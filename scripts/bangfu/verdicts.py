"""The cross-record rules' findings kept by what they were computed from: a whole-folder check
whose every input is as before takes the findings the rules gave then, instead of running them
again (at 500,000 households, some 70 CPU-seconds and, in ``bangfu site``, a second process
holding a copy of half the records).

What the rules (``rules.run_all``) read, and the key therefore hashes:

- every record as they see it: path, kind and content digest, in order (``Tree.content``,
  taken by the load from the same digests as the parse cache);
- the schemas and the versions of the parser and validator (``cache.fingerprint``);
- the statistics day (``Context.as_of``: a date in the future is one only after it);
- the code: every ``.py`` file of this package, so any change to a rule (or to anything it
  calls) is a miss.

The findings are kept before redaction and sorting (``check._result`` does both, every time).
A kept verdict is one file in the cache folder (``cache.cache_dir``) named by its key, written
atomically (``writes.replace_file``); the newest ``KEEP`` are kept, so a check with today's date
and a site built for another day do not push each other out. A file that is missing, foreign
or damaged is a miss, never an error; where the parse cache is not kept (``BANGFU_CACHE=0``, a
folder that is not a Git checkout) verdicts are neither read nor written. Like the parse cache,
the folder is this working copy's own: never committed (``review.cache-committed``), and CI
reads only the one main saved."""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import sys
from pathlib import Path

from . import cache
from .config import Config
from .findings import Finding
from .load import Tree
from .readone import finding_from, finding_tuple
from .writes import replace_file

VERSION = 1
PREFIX = "verdict-"
KEEP = 8  # verdict files kept (the newest)


@functools.cache
def code_fingerprint(package: Path | None = None) -> str:
    """A hash of every ``.py`` file of the package (its path and bytes) and of the Python
    version: whatever the rules run changes it."""
    root = package or Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{sys.version_info[0]}.{sys.version_info[1]}".encode())
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def key(cfg: Config, tree: Tree) -> str | None:
    """The key of the rules' findings over ``tree`` under ``cfg``; None where none is kept."""
    if tree.content is None:
        return None
    h = hashlib.blake2b(digest_size=20)
    for part in (
        f"v{VERSION}",
        code_fingerprint(),
        cache.fingerprint(cfg.schemas_dir),
        cfg.as_of.isoformat(),
    ):
        h.update(part.encode() + b"\0")
    h.update(tree.content)
    return h.hexdigest()


def _path(cfg: Config, tree: Tree) -> Path | None:
    if not cache.enabled() or not cache.usable(cfg.data_root):
        return None
    k = key(cfg, tree)
    return None if k is None else cache.cache_dir(cfg.data_root) / f"{PREFIX}{k}.marshal"


def cached(cfg: Config, tree: Tree) -> list[Finding] | None:
    """The rules' findings kept for exactly these inputs, in ``rules.RULES`` order; None when
    there are none (or they cannot be read)."""
    path = _path(cfg, tree)
    if path is None:
        return None
    try:
        version, kept = marshal.loads(path.read_bytes())
        if version != VERSION or type(kept) is not list:
            return None
        if not all(_row(t) for t in kept):
            return None
        return [finding_from(t[1:], t[0]) for t in kept]
    except Exception:  # noqa: BLE001 — missing, foreign or damaged: a miss, never fatal
        return None


def _row(t) -> bool:
    """Whether ``t`` is a finding as ``keep`` writes it: its file, then ``finding_tuple``'s
    code, severity, message, hint, line, column and path."""
    return (
        type(t) is tuple
        and len(t) == 8
        and all(type(x) is str for x in (*t[:5], t[7]))
        and type(t[5]) is int
        and type(t[6]) is int
    )


def keep(cfg: Config, tree: Tree, findings: list[Finding]) -> None:
    """Keep the rules' findings for these inputs (older verdicts beyond ``KEEP`` removed); a
    cache folder that cannot be written is left as it is."""
    path = _path(cfg, tree)
    if path is None:
        return
    rows = [(f.file, *finding_tuple(f)) for f in findings]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, marshal.dumps((VERSION, rows)))
        _prune(path.parent, path)
    except OSError:
        return


def _prune(folder: Path, newest: Path) -> None:
    kept = []
    for p in folder.glob(f"{PREFIX}*.marshal"):
        try:
            kept.append((p.stat().st_mtime_ns, p.name, p))
        except OSError:
            continue
    kept.sort(reverse=True)
    for _mtime, _name, p in kept[KEEP:]:
        if p != newest:
            try:
                os.unlink(p)
            except OSError:
                continue
