"""Checking a few files (``bangfu check PATH…``, the pre-commit path) without reading the rest.

What a file's findings can depend on: the file itself; the small reference kinds (sources,
counties with their townships and villages, organizations, campaigns, policy), which are
always read; for a report, its plan; for a household under a visit cadence, the reports of
its county that name it (its visits); for a household or plan id, the other files that hold
the same id (duplicates); and whether the households and plans it names exist. The last three
come from the reference index a full check writes (``refindex.RefIndex``): each file it names
is stat-checked and read again if it changed, an id the index does not know is looked for
where its file would be, and every file in a record folder whose stamp changed since the
index was written (a file added, removed or renamed there) is read, so a new file holding
any id, under any name, is seen; a report the index does not know as it is now (its stamp
differs, or it is not listed) is read whatever it names. The person names the privacy rule
looks for come from the households read and, for the rest, from keyed digests the full check
stored (``privacy.known``). The findings equal a full check's, restricted to the files.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from . import model as model_mod
from .cache import stamp
from .config import Config
from .findings import Finding
from .load import STAMPED_DIRS, dir_stamp, load_some, order_key, scan
from .privacy import known
from .record import Record, classify, expected_stem, households_named, under
from .refindex import INDEXED_KINDS, open_index
from .rules import run_all
from .rules.base import Context

REFERENCE_DIRS = ("sources", "counties", "organizations", "campaigns", "policy")
# above this share of the indexed files, one full (parallel, cached) pass is cheaper
MAX_SHARE = 0.1
MIN_LIMIT = 2000


def _targets(root: Path, wanted: list[str]) -> list[tuple[str, tuple[str, ...]]] | None:
    out: list[tuple[str, tuple[str, ...]]] = []
    for w in wanted:
        parts = tuple(w.split("/"))[1:]
        if not parts:
            return None  # the whole data folder
        path = root.joinpath(*parts)
        if _real_dir(str(path)):
            out.extend((p, parts + rel) for p, rel, _ in scan(path))
        else:
            out.append((str(path), parts))
    return out


def run_few(cfg: Config, wanted: list[str]) -> tuple[list[Finding], list[Record], int] | None:
    """(findings, records read, files checked), or None when a full check is the way."""
    root = cfg.data_root
    index = open_index(root, cfg.schemas_dir)
    if index is None:
        return None
    targets = _targets(root, wanted)
    limit = max(MIN_LIMIT, index.files * MAX_SHARE)
    if targets is None or len(targets) > limit:
        return None
    fresh = _changed_folders(root, index, limit - len(targets))
    if fresh is None:
        return None
    loaded: dict[tuple[str, ...], tuple[Record, list[Finding]]] = {}
    external: dict[str, set[str]] = {k: set() for k in INDEXED_KINDS}

    def load(items) -> list[Record]:
        items = [(p, rel) for p, rel in items if rel not in loaded]
        out = []
        for rec, sf, st in load_some(items, root, cfg.schemas_dir):
            loaded[rec.rel] = (rec, sf)
            out.append(rec)
            if (
                st is not None
                and rec.kind in INDEXED_KINDS
                and rec.id is not None
                and isinstance(rec.data, dict)
            ):
                index.note(rec.kind, rec.id, "/".join(rec.rel), st)
            if st is not None and rec.kind == "report":
                index.note_report(rec, st)
        return out

    refs: list[tuple[str, tuple[str, ...]]] = []
    for d in REFERENCE_DIRS:
        if (root / d).is_dir():
            refs.extend((p, (d,) + rel) for p, rel, _ in scan(root / d))
    load(refs)
    target_recs = load(targets)
    for county, households in _visit_counties(loaded, target_recs).items():
        load(_contact_reports(root, index, county, households))
    load(fresh)
    target_rels = {rel for _, rel in targets}
    villages = _villages(loaded)

    def find(kind: str, id_: str, load_all_holders: bool) -> None:
        """Settle whether ``id_`` exists; with ``load_all_holders``, read every file holding it."""
        seen = False
        for rel, st in index.lookup(kind, id_):
            parts = tuple(rel.split("/"))
            if parts in loaded:
                continue
            path = str(root.joinpath(*parts))
            try:
                now = stamp(os.stat(path))
            except OSError:
                continue  # gone since it was indexed
            if now == st and not load_all_holders:
                external[kind].add(id_)
                seen = True
            else:
                load([(path, parts)])
        if load_all_holders or not seen:
            load(_probe(root, kind, id_, villages))

    for _kind, _stem, rel, _st in index.broken():
        parts = tuple(rel.split("/"))
        path = str(root.joinpath(*parts))
        load([(path, parts)])  # few; read so the model knows them as unreadable
    for rec in target_recs:
        d = rec.data
        if not isinstance(d, dict):
            continue
        if rec.kind in INDEXED_KINDS and isinstance(d.get("id"), str):
            find(rec.kind, d["id"], load_all_holders=True)
        if rec.kind == "report" and isinstance(d.get("plan"), str):
            find("plan", d["plan"], load_all_holders=True)
    # households named by the plans and reports being checked
    have = {r.id for r, _ in loaded.values() if r.kind == "household"}
    for rec in target_recs:
        if not isinstance(rec.data, dict):
            continue
        for h in households_named(rec):
            if h not in have and h not in external["household"]:
                find("household", h, load_all_holders=False)
    # person names of the households not read (the privacy rule; see privacy.known)
    names = known.unread(index.path, root, loaded, target_rels)
    if names is None:
        return None
    load(names.to_read)
    index.save()

    records = [loaded[k][0] for k in sorted(loaded, key=order_key)]
    for rec in records:
        rec.findings.extend(loaded[rec.rel][1])
    m = model_mod.build(records)
    for kind, ids in external.items():
        m.external[kind] |= ids
    m.unread_names = names.digests
    findings = [f for rec in records if rec.rel in target_rels for f in rec.findings]
    findings.extend(
        f
        for f in run_all(m, Context(as_of=cfg.as_of, schemas_dir=cfg.schemas_dir))
        if under(f.file, wanted)
    )
    findings.sort(key=Finding.sort_key)
    return findings, records, len(targets)


def _visit_counties(loaded, target_recs) -> dict[str, set[str]]:
    """County → the ids of the households checked there, when a policy sets a visit cadence
    (``rules.cycle``): a household's visits sit in the reports of its county's plans."""
    if not any(
        rec.kind == "policy" and isinstance(rec.data, dict) and rec.data.get("visits")
        for rec, _ in loaded.values()
    ):
        return {}
    out: dict[str, set[str]] = {}
    for r in target_recs:
        if r.kind == "household" and len(r.rel) > 2:
            out.setdefault(r.rel[1], set()).add(r.id or "")
    return dict(sorted(out.items()))


def _contact_reports(root: Path, index, county: str, households: set[str]):
    """The report files of ``county`` to read with its ``households``: those whose entries
    name one of them when the index was written, and every report file the index does not
    know as it is now (added, or changed since). Without the county in the index: all."""
    folder = root / "plans" / county
    if not _real_dir(str(folder)):
        return []
    files = [(p, ("plans", county) + rel) for p, rel, _ in scan(folder)]
    known = index.reports(county)
    if known is None:
        return files
    out = []
    for path, parts in files:
        if classify(parts) != "report":
            continue  # the plans themselves hold no visits
        entry = known.get("/".join(parts))
        if entry is not None and not households.intersection(entry[1]):
            try:
                if stamp(os.lstat(path)) == entry[0]:
                    continue  # unchanged, and names none of them
            except OSError:
                continue  # gone since it was listed
        out.append((path, parts))
    return out


def _real_dir(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _subdirs(path: str) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return sorted(
                (e for e in it if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)),
                key=lambda e: e.name,
            )
    except OSError:
        return []


def _changed_folders(root: Path, index, limit: float) -> list[tuple[str, tuple[str, ...]]] | None:
    """The files of every record folder (``load.STAMPED_DIRS``) whose stamp differs from the
    index's: files were added, removed or renamed there since. None when they are more than
    ``limit`` (a full check is then cheaper)."""
    if index.dirs is None:
        return None
    out: list[tuple[str, tuple[str, ...]]] = []
    for top in sorted(STAMPED_DIRS):
        for county in _subdirs(str(root / top)):
            for leaf in _subdirs(county.path):
                rel = (top, county.name, leaf.name)
                try:
                    st = dir_stamp(leaf.stat(follow_symlinks=False))
                except OSError:
                    continue
                if st is not None and not index.dir_changed("/".join(rel), st):
                    continue
                out.extend((p, rel + r) for p, r, _ in scan(leaf.path))
                if len(out) > limit:
                    return None
    return out


def _villages(loaded) -> list[tuple[str, str]]:
    out = []
    for rec, _ in loaded.values():
        if rec.kind != "county" or not isinstance(rec.data, dict):
            continue
        for t in rec.data.get("townships") or []:
            if isinstance(t, dict):
                for v in t.get("villages") or []:
                    if isinstance(v, dict) and isinstance(v.get("id"), str):
                        out.append((expected_stem(rec.rel, "county"), v["id"]))
    return out


def _probe(root: Path, kind: str, id_: str, villages) -> list[tuple[str, tuple[str, ...]]]:
    """Files not in the index that would hold ``id_`` where the layout puts it."""
    out: list[tuple[str, tuple[str, ...]]] = []
    if "/" in id_ or id_.startswith("."):
        return out
    if kind == "household":
        for county, village in villages:
            parts = ("households", county, village, f"{id_}.yaml")
            p = root.joinpath(*parts)
            if p.is_file():
                out.append((str(p), parts))
    elif kind == "plan":
        plans = root / "plans"
        try:
            counties = sorted(e.name for e in os.scandir(plans) if e.is_dir())
        except OSError:
            counties = []
        for county in counties:
            parts = ("plans", county, id_, "plan.yaml")
            p = root.joinpath(*parts)
            if p.is_file():
                out.append((str(p), parts))
    return out
