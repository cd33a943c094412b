"""Dropdown lists: the schemas' enums and the region's counties, villages, organizations,
plans and households, each shown as “名称（编号）” and resolved back to the id on import."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Model
from ..record import Record
from ..schema import bundled, node_at
from .forms import HOUSEHOLD, NO, VILLAGE, YES

_ID_IN_LABEL = re.compile(r"[（(]\s*([a-z0-9][a-z0-9-]*[a-z0-9])\s*[)）]\s*\Z")


@dataclass
class Choices:
    """One dropdown: labels in order, and how typed values map back to ids."""

    labels: list[str] = field(default_factory=list)
    by_label: dict[str, str] = field(default_factory=dict)
    by_id: dict[str, str] = field(default_factory=dict)  # id → label
    by_name: dict[str, list[str]] = field(default_factory=dict)

    def add(self, id_: str, label: str, name: str | None = None) -> None:
        if id_ in self.by_id:
            return
        self.labels.append(label)
        self.by_label[label] = id_
        self.by_id[id_] = label
        if name:
            self.by_name.setdefault(name, []).append(id_)

    def resolve(self, value: str) -> str | None:
        """The id a typed value stands for: the exact label, the id in （…）, the id, or a
        name that is unique in the list."""
        v = value.strip()
        if v in self.by_label:
            return self.by_label[v]
        m = _ID_IN_LABEL.search(v)
        if m and m.group(1) in self.by_id:
            return m.group(1)
        if v in self.by_id:
            return v
        ids = self.by_name.get(v, [])
        return ids[0] if len(ids) == 1 else None


def enum_values(schemas_dir: Path, spec: str) -> list[str]:
    """``enum:plan:measures.0.kind`` → the enum at that place in the plan schema."""
    _, kind, dotted = spec.split(":", 2)
    parts = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    return [str(v) for v in node_at(bundled(schemas_dir)[kind], parts).get("enum", [])]


def _name(rec: Record, key: str = "name") -> str:
    v = rec.data.get(key) if isinstance(rec.data, dict) else None
    return str(v) if v else str(rec.id)


def _records(model: Model, kind: str) -> list[tuple[str, Record]]:
    """The records of a kind by id, in id order."""
    return sorted(model.by_kind[kind].items())


def build(
    model: Model, schemas_dir: Path, *, county: str | None = None, plan: str | None = None
) -> dict[str, Choices]:
    """Every dropdown, limited to ``county`` (or to one plan's county and targets)."""
    lists: dict[str, Choices] = {}
    plan_rec = model.get("plan", plan) if plan else None
    if plan_rec is not None and isinstance(plan_rec.data.get("county"), str):
        county = plan_rec.data["county"]

    c = lists["counties"] = Choices()
    for cid, rec in _records(model, "county"):
        if county in (None, cid):
            c.add(cid, f"{_name(rec)}（{cid}）", _name(rec))

    c = lists["campaigns"] = Choices()
    for kid, rec in _records(model, "campaign"):
        counties = rec.data.get("counties") or []
        if county is None or not counties or county in counties:
            c.add(kid, f"{_name(rec)}（{kid}）", _name(rec))

    c = lists["organizations"] = Choices()
    for oid, rec in _records(model, "organization"):
        c.add(oid, f"{_name(rec)}（{oid}）", _name(rec))

    c = lists["villages"] = Choices()
    wanted_villages = None
    if plan_rec is not None:
        wanted_villages = set((plan_rec.data.get("targets") or {}).get("villages") or [])
    for vid in sorted(model.villages):
        v = model.villages[vid]
        if county not in (None, v.county):
            continue
        if wanted_villages is not None and vid not in wanted_villages:
            continue
        town = model.townships.get(v.township)
        c.add(vid, f"{town.name if town else ''}{v.name}（{vid}）", v.name)

    c = lists["plans"] = Choices()
    targeted: list[str] = []
    for pid, rec in _records(model, "plan"):
        if plan not in (None, pid) or county not in (None, rec.data.get("county")):
            continue
        c.add(pid, f"{_name(rec)}（{pid}）", _name(rec))
        targeted += (rec.data.get("targets") or {}).get("households") or []

    c = lists["households"] = Choices()
    for hid in sorted(set(targeted)):
        hh = model.get("household", hid)
        hv = model.villages.get(hh.data.get("village")) if hh is not None else None
        c.add(hid, f"{hid}（{hv.name}）" if hv else hid)

    c = lists["target-kind"] = Choices()
    c.add(HOUSEHOLD, HOUSEHOLD)
    c.add(VILLAGE, VILLAGE)
    c = lists["yes-no"] = Choices()
    c.add(YES, YES)
    c.add(NO, NO)
    return lists


def get(lists: dict[str, Choices], schemas_dir: Path, spec: str) -> Choices:
    """The dropdown for a column's ``choices`` spec (enums are built on first use)."""
    if spec not in lists:
        c = Choices()
        for v in enum_values(schemas_dir, spec):
            c.add(v, v)
        lists[spec] = c
    return lists[spec]
