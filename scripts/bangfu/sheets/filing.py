"""The filing sheet (报备表) → the plan's would-be record (header fields, organizations,
targets, measures) and the records of the households it targets (``households``)."""

from __future__ import annotations

import copy

from ..codes import SHEET_BAD_CHOICE, SHEET_CONFLICT, SHEET_UNKNOWN_VILLAGE
from .forms import VILLAGE
from .households import household
from .parsed import Parsed, Row, Where
from .paths import HOUSEHOLD_COLUMNS, MEASURE_COLUMNS, PLAN_FIELDS, json_path, put
from .records import Draft, Planned, digest, valid_id


def build(d: Draft, p: Parsed) -> None:
    """Plan the plan record (and its households); findings go to ``d``."""
    county = p.text("county") or ""
    plan_id = _plan_id(d, p, county)
    if plan_id is None:
        return
    old = d.existing("plan", plan_id)
    if old is not None and old.data.get("county") != county:
        d.bad(
            SHEET_CONFLICT,
            p.cell("county"),
            f"方案 {plan_id} 已登记在区县 {old.data.get('county')}，不能改到 {county}",
        )
        return
    rel = old.rel if old is not None else ("plans", county, plan_id, "plan.yaml")
    data = copy.deepcopy(old.data) if old is not None else {}
    cells: dict[str, Where] = {"$": (p.sheet, p.title_row, 1, "")}
    new: dict = {}
    for key, path in PLAN_FIELDS.items():
        cells[json_path("$", path)] = p.cell(key)
        value = plan_id if key == "plan" else p.get(key)
        if value is not None:
            put(new, path, value)
    new["organizations"] = _organizations(d, p, cells)
    villages, households = _targets(d, p, plan_id, county, cells)
    new["targets"] = _merge_targets(data.get("targets"), villages, households)
    measures = _measures(p, cells)
    if measures or "measures" in data:
        new["measures"] = measures
    data.update(new)
    pl = Planned(rel, d.ordered(data, "plan"), "plan", cells)
    d.planned[rel] = pl
    d.plans[plan_id] = pl
    # progress sheets in the same workbook may name the new plan and its new households
    name = p.text("name")
    d.lists["plans"].add(plan_id, f"{name}（{plan_id}）", name)
    for hid in households:
        d.lists["households"].add(hid, hid)


def _plan_id(d: Draft, p: Parsed, county: str) -> str | None:
    """The plan's id as filled in, or one made from county, campaign and name when blank;
    None (with a finding) when the filled one is not a valid id."""
    plan_id = p.text("plan")
    if plan_id is None:
        name_key = digest("plan", county, p.text("campaign") or "", p.text("name") or "")
        return f"{county}-{name_key[:8]}"
    if not valid_id(plan_id):
        d.bad(
            SHEET_BAD_CHOICE,
            p.cell("plan"),
            f"方案编号“{plan_id}”只能含小写字母、数字和连字符（3–64 个字符）",
        )
        return None
    return plan_id


def _organizations(d: Draft, p: Parsed, cells: dict[str, Where]) -> list[str]:
    orgs: list[str] = []
    for r in p.sections.get("organizations", []):
        org = r.text("organization")
        if org is None:
            continue
        if org in orgs:
            d.dup(p, r, "organization", f"帮扶主体 {org} 重复")
            continue
        cells[f"$.organizations[{len(orgs)}]"] = p.where(r, "organization")
        orgs.append(org)
    return orgs


def _measures(p: Parsed, cells: dict[str, Where]) -> list[dict]:
    measures: list[dict] = []
    for r in p.sections.get("measures", []):
        base = f"$.measures[{len(measures)}]"
        cells[base] = p.where(r, "kind")
        m: dict = {}
        for key, path in MEASURE_COLUMNS.items():
            if key in r.values:
                cells[json_path(base, path)] = p.where(r, key)
                put(m, path, r.get(key))
        measures.append(m)
    return measures


def _merge_targets(old: object, villages: list[str], households: list[str]) -> dict:
    """The plan's targets: the keys in the old record's order, an empty list only where the
    old record had the key."""
    old_targets = old if isinstance(old, dict) else {}
    chosen = {"villages": villages, "households": households}
    keys = [k for k in old_targets if k in chosen] + [k for k in chosen if k not in old_targets]
    return {k: chosen[k] for k in keys if chosen[k] or k in old_targets}


def _targets(
    d: Draft, p: Parsed, plan_id: str, county: str, cells: dict[str, Where]
) -> tuple[list[str], list[str]]:
    villages: list[str] = []
    households: list[str] = []
    for index, r in enumerate(p.sections.get("targets", []), start=1):
        vid = r.text("village")
        if vid is None or not _in_county(d, p, r, vid, county):
            continue
        if r.get("target") == VILLAGE:
            if _village_target(d, p, r, vid, villages):
                cells[f"$.targets.villages[{len(villages)}]"] = p.where(r, "village")
                villages.append(vid)
            continue
        hid = household(d, p, r, plan_id, vid, index)
        if hid is None:
            continue
        named = "household" if "household" in r.values else None
        if hid in households:
            d.dup(p, r, named or "head_name", f"帮扶户 {hid} 重复")
            continue
        cells[f"$.targets.households[{len(households)}]"] = p.where(r, named or "village")
        households.append(hid)
    return villages, households


def _in_county(d: Draft, p: Parsed, r: Row, vid: str, county: str) -> bool:
    v = d.model.villages.get(vid)
    if v is not None and v.county != county:
        d.bad(
            SHEET_UNKNOWN_VILLAGE,
            p.where(r, "village"),
            f"村 {vid} 属于区县 {v.county}，不属于本方案的区县 {county}",
        )
        return False
    return True


def _village_target(d: Draft, p: Parsed, r: Row, vid: str, villages: list[str]) -> bool:
    """A 帮扶村 row: True when the village is a new target of the plan."""
    extra = [k for k in ("household", *HOUSEHOLD_COLUMNS) if k in r.values]
    if extra:
        d.bad(
            SHEET_CONFLICT,
            p.where(r, extra[0]),
            "对象类型是“帮扶村”，这一格应留空（户的信息只在对象类型为“帮扶户”时填写）",
        )
        return False
    if vid in villages:
        d.dup(p, r, "village", f"帮扶村 {vid} 重复")
        return False
    return True
