"""Person names of the households a check of a few files does not read, kept as keyed digests.

The privacy rule (``privacy.rule``) looks for every person name of a county in the public text
checked against that county. A full check reads every household. A check of a few files
(``incremental.run_few``) reads the reference kinds (counties and organizations: their names
it has) and only a few households; the names of the others come from here.

Written by the full check that writes the reference index, into the index's folder: per county,
every household file in ``households/<county>/<village>/`` (readable or not) and every household
elsewhere that the rule checks against the county (its village is there), each with its stat
stamp, its ``village`` and the keyed digests (``pii.name_digest``) of the person names it
holds; the lengths of those names; and which county each village was in. The key is random
per write. Plain names are never written: the cache folder sits in the working copy. (The
digests keep names out of plain sight, out of a grep or a copy of the cache; whoever holds the
folder and its key can still test guesses, so they are no encryption.)

Read by a check of a few files, for each county its files are checked against:

- a listed file it reads anyway (a target, a household it needed) counts with its names now;
- a listed file whose stamp is unchanged counts with its digests;
- a listed file that changed, and a household file now in ``households/<county>/`` that is
  not listed (added since), are read, so their names now count; a listed file that is gone
  counts no more;
- a village moved between counties since (the county records changed): the households listed
  with it under its old county count for the new one, and no more for the old one unless
  they sit in its folder;

so the names are a full check's. A missing or foreign store, or more than ``MAX_READS`` files
to read, sends the check to a full one. Not seen: a household file outside
``households/<county>/`` that was added or edited since the index, or whose village did not
exist then, and that names a village of the county. Such a file is in the wrong folder itself
(``path.wrong-county``, reported by the full check on every pull request, which also sees its
names); until the next full check, a few-file check of the county's records does not know its
names. Stamps are trusted as the reference index trusts them (size, mtime, ctime and inode).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
from collections import defaultdict
from pathlib import Path

from ..cache import Stamps, stamp
from ..load import order_key, scan
from ..model import Model
from ..model import build as build_model
from ..record import Record, classify
from ..schema import PACKAGE_SCHEMAS
from ..writes import replace_file
from .pii import DIGEST_SIZE, NameDigests, is_person_name, name_digest
from .rule import checked_counties, names_of

VERSION = 1
HOUSEHOLDS = "households"
MARKER = "names.marshal"
# more files than this to read for names: a full (parallel, cached) check is cheaper
MAX_READS = 200
_CODE = ("known.py", "rule.py", "fields.py", "pii.py")


@functools.cache
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


def _villages(model: Model) -> dict[str, str]:
    """Which county each village is in: what decides, besides a household's own file, which
    counties its names count for."""
    return {v.id: v.county for v in model.villages.values()}


def _marker(index_path: Path) -> tuple[bytes, dict] | None:
    """(key, villages) of the store in ``index_path``, if this code wrote it."""
    try:
        version, code, key, villages = marshal.loads((index_path / MARKER).read_bytes())
    except Exception:  # noqa: BLE001 — missing or corrupt: no store
        return None
    if (
        version != VERSION
        or code != _fingerprint()
        or type(key) is not bytes
        or type(villages) is not dict
    ):
        return None
    return key, villages


def present(index_path: Path) -> bool:
    """True when ``index_path`` holds a names store written by this code."""
    return _marker(index_path) is not None


def write(index_path: Path, model: Model, schemas_dir: Path | None, stamps: Stamps) -> None:
    """Store the names of every household file of a fully loaded tree: ``model`` is the
    model of its records, whose stat stamps ``stamps`` holds by their position."""
    schemas_dir = schemas_dir or PACKAGE_SCHEMAS
    key = os.urandom(16)
    entries: dict[str, dict[str, tuple]] = defaultdict(dict)
    lengths: dict[str, set[int]] = defaultdict(set)
    for rec, st in zip(model.records, stamps, strict=True):
        if not _may_hold_names(rec.rel):
            continue
        rel = "/".join(rec.rel)
        names = {n for n in names_of(rec, schemas_dir) if is_person_name(n)}
        blob = b"".join(sorted(name_digest(key, n) for n in names))
        village = rec.data.get("village") if isinstance(rec.data, dict) else None
        item = (st, blob, village if isinstance(village, str) else "")
        for c in checked_counties(model, rec):
            entries[c][rel] = item
            lengths[c].update(len(n) for n in names)
    written = set()
    try:
        for c in sorted(entries):
            path = _county_file(index_path, c)
            blob = marshal.dumps((VERSION, c, key, tuple(sorted(lengths[c])), entries[c]))
            replace_file(path, blob)
            written.add(path)
        for old in index_path.glob("names-*.marshal"):
            if old not in written:
                with contextlib.suppress(OSError):
                    old.unlink()
        marker = (VERSION, _fingerprint(), key, _villages(model))
        replace_file(index_path / MARKER, marshal.dumps(marker))
    except OSError:
        return  # no store: a check of a few files becomes a full one


def _read_county(index_path: Path, county: str, key: bytes) -> tuple[tuple, dict] | None:
    """(name lengths, entries) stored for ``county`` with ``key``, or None."""
    try:
        v, c, k, lengths, entries = marshal.loads(_county_file(index_path, county).read_bytes())
    except Exception:  # noqa: BLE001 — missing or corrupt: nothing known
        return None
    if (
        v != VERSION
        or c != county
        or k != key  # left from an earlier, interrupted write
        or type(lengths) is not tuple
        or not all(type(n) is int for n in lengths)
        or type(entries) is not dict
    ):
        return None
    return lengths, entries


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
    marker = _marker(index_path)
    if marker is None:
        return None
    key, then = marker
    recs: list[Record] = [loaded[k][0] for k in sorted(loaded, key=order_key)]
    provisional = build_model(recs)
    now = _villages(provisional)
    moved = {v for v in then.keys() | now.keys() if then.get(v) != now.get(v)}
    out = Unread()
    have = {"/".join(parts) for parts in loaded}
    base = str(root) + "/"

    def take(c: str, entries: dict, only: set[str] | None, listed: set[str], blobs: list) -> None:
        for rel, item in entries.items():
            if type(rel) is not str or type(item) is not tuple or len(item) != 3:
                continue
            stamp_then, blob, village = item
            if only is not None and village not in only:
                continue
            if village in moved and now.get(village) != c and rel.split("/")[1:2] != [c]:
                continue  # its village is no longer the county's
            listed.add(rel)
            if rel in have:
                continue  # read: its names now are in the model
            try:
                st = stamp(os.stat(base + rel))
            except (OSError, ValueError):
                continue  # gone since
            if st == stamp_then and type(blob) is bytes and len(blob) % DIGEST_SIZE == 0:
                blobs.append(blob)
            else:
                have.add(rel)
                out.to_read.append((base + rel, tuple(rel.split("/"))))  # changed since

    for c in _counties(provisional, targets):
        # the county's own list; households of villages moved to it are on their old county's
        moved_in: dict[str, set[str]] = defaultdict(set)
        for v in moved:
            if now.get(v) == c and then.get(v) not in (None, c):
                moved_in[then[v]].add(v)
        listed: set[str] = set()
        blobs: list[bytes] = []
        lengths: set[int] = set()
        for s, only in [(c, None), *sorted(moved_in.items())]:
            store = _read_county(index_path, s, key)
            if store is not None:  # (none: no household then, or every one is read below)
                lengths.update(store[0])
                take(c, store[1], only, listed, blobs)
        if "/" not in c and not c.startswith(".") and (root / HOUSEHOLDS / c).is_dir():
            for path, parts, _hidden in scan(root / HOUSEHOLDS / c):
                rel = f"{HOUSEHOLDS}/{c}/" + "/".join(parts)
                parts = (HOUSEHOLDS, c, *parts)
                if rel not in listed and rel not in have and _may_hold_names(parts):
                    have.add(rel)
                    out.to_read.append((path, parts))  # added since
        if len(out.to_read) > MAX_READS:
            return None
        blob = b"".join(blobs)
        digests = [blob[i : i + DIGEST_SIZE] for i in range(0, len(blob), DIGEST_SIZE)]
        out.digests[c] = NameDigests(key, digests, lengths)
    return out


def _may_hold_names(rel: tuple[str, ...]) -> bool:
    """A household's file (others are read by every check, or hold no person names)."""
    return classify(rel) == "household" and rel[-1].endswith(".yaml")


def _counties(model: Model, targets: set[tuple]) -> list[str]:
    """The counties the records at ``targets`` are checked against (``rule.checked_counties``,
    and the folder they sit in, against which their ids and file names are checked)."""
    counties: set[str] = set()
    for rec in model.records:
        if rec.rel in targets:
            counties.update(checked_counties(model, rec))
            if len(rec.rel) > 2:
                counties.add(rec.rel[1])
    return sorted(counties)
