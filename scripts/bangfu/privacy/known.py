"""Person names of the households a check of a few files does not read, kept as keyed digests.

The privacy rule (``privacy.rule``) looks for every person name of a county in the public text
checked against that county. A full check reads every household. A check of a few files
(``incremental.run_few``) reads the reference kinds (counties and organizations: their names
it has) and only a few households; the names of the others come from here.

Written by the full check that writes the reference index, into the index's folder: per county,
every file under ``households/<county>/`` and every household elsewhere that the rule checks
against the county (its village is there), each with its stat stamp and the keyed digests
(``pii.name_digest``) of the person names it holds, and the lengths of those names. The key is
random per write. Plain names are never written: the cache folder sits in the working copy.
(The digests keep names out of plain sight, out of a grep or a copy of the cache; whoever holds
the folder and its key can still test guesses, so they are no encryption.)

Read by a check of a few files, for each county its files are checked against:

- a listed file it reads anyway (a target, a household it needed) counts with its names now;
- a listed file whose stamp is unchanged counts with its digests;
- a listed file that changed, and a file now under ``households/<county>/`` that is not listed
  (added since), are read, so their names now count; a listed file that is gone counts no more;

so the names are a full check's. A missing or foreign store, or more than ``MAX_READS`` files
to read, sends the check to a full one. Not seen: a household file outside
``households/<county>/`` added or edited since the index so that it names a village of the
county. That file is itself in the wrong folder (``path.wrong-county``, reported by the full
check on every pull request, which also sees its names); until the next full check, a
few-file check of the county's records does not know its names.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from collections import defaultdict
from pathlib import Path

from ..cache import atomic_bytes, stamp
from ..load import Record, order_key, scan
from ..model import Model
from ..model import build as build_model
from ..schema import PACKAGE_SCHEMAS
from .pii import DIGEST_SIZE, NameDigests, is_person_name, name_digest
from .rule import checked_counties, names_of

VERSION = 1
HOUSEHOLDS = "households"
MARKER = "names.marshal"
# more files than this to read for names: a full (parallel, cached) check is cheaper
MAX_READS = 200
_CODE = ("known.py", "rule.py", "fields.py", "pii.py")


def _fingerprint() -> str:
    h = hashlib.blake2b(f"v{VERSION}".encode(), digest_size=12)
    here = Path(__file__).resolve().parent
    for name in _CODE:
        try:
            h.update((here / name).read_bytes())
        except OSError:
            h.update(name.encode())
    return h.hexdigest()


def _county_file(index_path: Path, county: str) -> Path:
    return (
        index_path / f"names-{hashlib.blake2b(county.encode(), digest_size=10).hexdigest()}.marshal"
    )


def present(index_path: Path) -> bool:
    """True when ``index_path`` holds a names store written by this code."""
    try:
        return marshal.loads((index_path / MARKER).read_bytes()) == (VERSION, _fingerprint())
    except Exception:  # noqa: BLE001 — missing or corrupt: not present
        return False


def write(
    index_path: Path, model: Model, schemas_dir: Path | None, stamps: dict[str, tuple]
) -> None:
    """Store the names of every file under ``households/`` of a fully loaded tree."""
    schemas_dir = schemas_dir or PACKAGE_SCHEMAS
    key = os.urandom(16)
    entries: dict[str, dict[str, tuple]] = defaultdict(dict)
    lengths: dict[str, set[int]] = defaultdict(set)
    for rec in model.records:
        if rec.rel[0] != HOUSEHOLDS:
            continue
        rel = "/".join(rec.rel)
        names = {n for n in names_of(rec, schemas_dir) if is_person_name(n)}
        blob = b"".join(sorted(name_digest(key, n) for n in names))
        for c in checked_counties(model, rec):
            entries[c][rel] = (stamps.get(rel), blob)
            lengths[c].update(len(n) for n in names)
    written = set()
    try:
        for c in sorted(entries):
            path = _county_file(index_path, c)
            blob = marshal.dumps((VERSION, c, key, tuple(sorted(lengths[c])), entries[c]))
            atomic_bytes(path, blob)
            written.add(path)
        for old in index_path.glob("names-*.marshal"):
            if old not in written:
                with contextlib.suppress(OSError):
                    old.unlink()
        atomic_bytes(index_path / MARKER, marshal.dumps((VERSION, _fingerprint())))
    except OSError:
        return  # no store: a check of a few files becomes a full one


def _read_county(index_path: Path, county: str) -> tuple[bytes, tuple, dict] | None:
    try:
        v, c, key, lengths, entries = marshal.loads(_county_file(index_path, county).read_bytes())
    except Exception:  # noqa: BLE001 — missing or corrupt: nothing known
        return None
    if (
        v != VERSION
        or c != county
        or type(key) is not bytes
        or type(lengths) is not tuple
        or not all(type(n) is int for n in lengths)
        or type(entries) is not dict
    ):
        return None
    return key, lengths, entries


class Unread:
    """What ``unread`` found: per county the digests of the files not read, and the files
    to read for their names."""

    __slots__ = ("digests", "to_read")

    def __init__(self):
        self.digests: dict[str, NameDigests] = {}
        self.to_read: list[tuple[str, tuple[str, ...]]] = []


def unread(
    index_path: Path, root: Path, loaded: dict[tuple[str, ...], tuple], targets: set[tuple]
) -> Unread | None:
    """The names of the households not in ``loaded`` (rel parts → (record, …)), for the
    counties the records at ``targets`` are checked against; None: do a full check."""
    if not present(index_path):
        return None
    recs: list[Record] = [loaded[k][0] for k in sorted(loaded, key=order_key)]
    provisional = build_model(recs)
    counties: set[str] = set()
    for rec in recs:
        if rec.rel in targets:
            counties.update(checked_counties(provisional, rec))
            if len(rec.rel) > 2:
                counties.add(rec.rel[1])  # ids and file names are checked against it too

    out = Unread()
    queued: set[tuple[str, ...]] = set()

    def queue(path: str, parts: tuple[str, ...]) -> None:
        if parts not in loaded and parts not in queued:
            queued.add(parts)
            out.to_read.append((path, parts))

    for c in sorted(counties):
        store = _read_county(index_path, c)
        key, lengths, entries = store or (b"", (), {})
        listed: set[tuple[str, ...]] = set()
        digests: set[bytes] = set()
        for rel, item in entries.items():
            if type(rel) is not str:
                continue
            parts = tuple(rel.split("/"))
            listed.add(parts)
            if parts in loaded:
                continue  # its names now are in the model
            path = str(root.joinpath(*parts))
            try:
                now = stamp(os.stat(path))
            except OSError:
                continue  # gone since
            if (
                type(item) is tuple
                and len(item) == 2
                and item[0] is not None
                and tuple(item[0]) == now
                and type(item[1]) is bytes
                and len(item[1]) % DIGEST_SIZE == 0
            ):
                blob = item[1]
                digests.update(blob[i : i + DIGEST_SIZE] for i in range(0, len(blob), DIGEST_SIZE))
            else:
                queue(path, parts)
        if "/" not in c and not c.startswith(".") and (root / HOUSEHOLDS / c).is_dir():
            for path, rel, _link in scan(root / HOUSEHOLDS / c):
                parts = (HOUSEHOLDS, c, *rel)
                if parts not in listed:
                    queue(path, parts)  # added since
        if store is not None:
            out.digests[c] = NameDigests(key, digests, lengths)
        if len(out.to_read) > MAX_READS:
            return None
    return out
