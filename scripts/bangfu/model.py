"""Model stage: records indexed by id and cross-referenced, for rules and aggregation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .collector import held
from .record import BULK, Packed, Record, expected_stem

__all__ = ["BULK", "Model", "Township", "Village", "build"]


@dataclass(slots=True)
class Village:
    id: str
    name: str
    county: str
    township: str
    key_lists: tuple[str, ...]
    record: Record
    parts: tuple  # where in the county record


@dataclass(slots=True)
class Township:
    id: str
    name: str
    county: str
    key_lists: tuple[str, ...]
    villages: list[str]
    record: Record
    parts: tuple


@dataclass
class Model:
    records: list[Record] = field(default_factory=list)
    by_kind: dict[str, dict[str, Record]] = field(default_factory=lambda: defaultdict(dict))
    townships: dict[str, Township] = field(default_factory=dict)
    villages: dict[str, Village] = field(default_factory=dict)
    reports_by_plan: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    duplicates: list[tuple[Record, tuple, str, Record]] = field(default_factory=list)
    # ids of records whose file could not be read; references to them are not reported again
    broken: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # ids known to exist in files that were not loaded (a check of a few files, see check.py)
    external: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # county → person names of the households that were not loaded, as keyed digests
    # (``privacy.pii.NameDigests``, from ``privacy.known``; a check of a few files)
    unread_names: dict = field(default_factory=dict)
    # the parse cache's columns the records were loaded with (``factcache.Columns``): their
    # facts are read from there (``facts.from_model``); None: from the records
    columns: Any = None

    def get(self, kind: str, id_: str) -> Record | None:
        return self.by_kind[kind].get(id_)

    def known(self, kind: str, id_: str) -> bool:
        """True when the id exists, or names a file that is present but unreadable."""
        if kind == "village":
            return id_ in self.villages or bool(self.broken["county"])
        return id_ in self.by_kind[kind] or id_ in self.broken[kind] or id_ in self.external[kind]

    def exists(self, kind: str, id_: str) -> bool:
        """True when a readable record with this id exists (loaded or not)."""
        return id_ in self.by_kind[kind] or id_ in self.external[kind]

    def ids(self, kind: str):
        return self.by_kind[kind].keys()

    def release(self, kinds=BULK) -> None:
        """Let go of the data of the records of ``kinds`` (``Record.release``; their ids stay
        indexed): ``bangfu site`` does, once the check has ended and the aggregate has read
        from them what it counts, so that the figures, extracts and pages are made without
        the memory of every household and report (at 100,000 households the build's process
        held 3.0 GB while the workbook was written, 2.3 GB with them let go). Reading such a
        record's data afterwards raises. The parse cache's columns are let go too."""
        self.columns = None
        for rec in self.records:
            if rec.kind in kinds:
                rec.release()

    def unpack(self) -> None:
        """Decode the data of every packed record once and keep it (``Packed.unpack``): for
        the rules, which read every record many times. Before a fork, so that both processes
        share it. The cyclic collector is held off meanwhile: walking the growing heap again
        and again as millions of acyclic containers are made, it found nothing and took half
        the time (at 200,000 households 15.2 s instead of 8.2 s); what was decoded stays out
        of later collections, as the records do (``load_tree``)."""
        with held(freeze=True):
            for rec in self.records:
                if type(rec.parsed) is Packed:
                    rec.parsed.unpack()

    def county_of_village(self, village_id: str) -> str | None:
        v = self.villages.get(village_id)
        return v.county if v else None


def build(records: list[Record]) -> Model:
    """Index every parsed record. Duplicate ids are kept aside for the identity rule."""
    m = Model(records=records)
    for rec in records:
        if rec.kind is None:
            continue
        rid = rec.id  # read without decoding a packed record's data (``Record.head``)
        if rid is None or not rec.mapping:
            m.broken[rec.kind].add(expected_stem(rec.rel, rec.kind))
            continue
        if rec.kind == "report":
            plan = rec.head("plan")
            if isinstance(plan, str):
                m.reports_by_plan[plan].append(rec)
            continue
        index = m.by_kind[rec.kind]
        if rid in index:
            m.duplicates.append((rec, ("id",), rec.kind, index[rid]))
        else:
            index[rid] = rec
        if rec.kind == "county":
            _index_places(m, rec, rid)
    for reps in m.reports_by_plan.values():
        reps.sort(key=lambda r: r.file)
    return m


def _index_places(m: Model, rec: Record, county: str) -> None:
    for ti, t in enumerate(rec.data.get("townships") or []):
        if not isinstance(t, dict) or not isinstance(t.get("id"), str):
            continue
        tparts = ("townships", ti)
        vids = []
        for vi, v in enumerate(t.get("villages") or []):
            if not isinstance(v, dict) or not isinstance(v.get("id"), str):
                continue
            vparts = tparts + ("villages", vi)
            if v["id"] in m.villages:
                m.duplicates.append((rec, vparts + ("id",), "village", m.villages[v["id"]].record))
                continue
            m.villages[v["id"]] = Village(
                v["id"],
                str(v.get("name", "")),
                county,
                t["id"],
                tuple(v.get("key_lists") or ()),
                rec,
                vparts,
            )
            vids.append(v["id"])
        if t["id"] in m.townships:
            m.duplicates.append((rec, tparts + ("id",), "township", m.townships[t["id"]].record))
            continue
        m.townships[t["id"]] = Township(
            t["id"],
            str(t.get("name", "")),
            county,
            tuple(t.get("key_lists") or ()),
            vids,
            rec,
            tparts,
        )
