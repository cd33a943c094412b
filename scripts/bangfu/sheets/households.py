"""A 帮扶户 row of the filing sheet → the household it names (by id, or a new one matched by
head and village or given a new id) and, when the row describes it, its would-be record."""

from __future__ import annotations

import copy

from ..codes import SHEET_BAD_CHOICE, SHEET_CONFLICT, SHEET_FUTURE_DATE, SHEET_REQUIRED
from ..record import SEALED_FIELD
from .parsed import Parsed, Row, Where
from .paths import HOUSEHOLD_COLUMNS, put
from .records import Draft, Planned, digest, valid_id

# what a new household must have
NEW_HOUSEHOLD_COLUMNS = ("category", "status", "income_year", "per_capita")


def household(d: Draft, p: Parsed, r: Row, plan_id: str, vid: str, index: int) -> str | None:
    """The id of the household a target row names, planning its record when the row fills
    any household column; None (with findings) when the row cannot be used."""
    hid = _household_id(d, p, r, plan_id, vid, index)
    if hid is None:
        return None
    old = d.existing("household", hid)
    if old is not None and old.data.get("village") != vid:
        d.bad(
            SHEET_CONFLICT,
            p.where(r, "village"),
            f"户 {hid} 登记在村 {old.data.get('village')}，与这里填的 {vid} 不一致",
        )
        return None
    if old is None:
        missing = [k for k in NEW_HOUSEHOLD_COLUMNS if k not in r.values]
        for k in missing:
            where = p.where(r, k)
            d.bad(SHEET_REQUIRED, where, f"新的帮扶户 {hid} 必须填写{where[3]}")
        if missing:
            return None
    elif not any(k in r.values for k in HOUSEHOLD_COLUMNS):
        return hid  # a target by id only: the household record is left as it is
    if not _income_ok(d, p, r):
        return None
    county = d.model.villages[vid].county
    rel = old.rel if old is not None else ("households", county, vid, f"{hid}.yaml")
    if rel not in d.planned:
        base = d.opened(old) if old is not None else {"id": hid, "village": vid}
        data = _record(d, r, copy.deepcopy(base))
        d.planned[rel] = Planned(rel, data, "household", _cells(p, r))
    return hid


def _household_id(d: Draft, p: Parsed, r: Row, plan_id: str, vid: str, index: int) -> str | None:
    hid = r.text("household")
    if hid is not None and not valid_id(hid):
        d.bad(
            SHEET_BAD_CHOICE,
            p.where(r, "household"),
            f"户编号“{hid}”只能含小写字母、数字和连字符（3–64 个字符）",
        )
        return None
    if hid is not None:
        return hid
    head = r.text("head_name")
    if head is None:
        sheet, row, col, _ = p.where(r, "household")
        d.bad(
            SHEET_REQUIRED,
            (sheet, row, col or 4, "户编号"),
            "已有的户填户编号；新户须填户主姓名等信息，户编号留空",
        )
        return None
    return _match_household(d, vid, head, r.text("head_phone")) or _new_household_id(
        d, plan_id, vid, index
    )


def _income_ok(d: Draft, p: Parsed, r: Row) -> bool:
    """Income year and per-capita income come together, and the year has begun."""
    if ("income_year" in r.values) != ("per_capita" in r.values):
        k = "per_capita" if "income_year" in r.values else "income_year"
        d.bad(SHEET_REQUIRED, p.where(r, k), "收入年度和人均纯收入要一起填写")
        return False
    year = r.get("income_year")
    if isinstance(year, int) and year > d.cfg.as_of.year:
        d.bad(SHEET_FUTURE_DATE, p.where(r, "income_year"), f"收入年度 {year} 还没到")
        return False
    return True


def _cells(p: Parsed, r: Row) -> dict[str, Where]:
    cells = {"$": p.where(r, "household" if "household" in r.values else "village")}
    for key, path in HOUSEHOLD_COLUMNS.items():
        if key in r.values:
            cells[f"$.{path}"] = p.where(r, key)
    return cells


def _record(d: Draft, r: Row, data: dict) -> dict:
    """The household record with the row's values written over ``data``."""
    if r.get("income_year") is not None:
        data["income"] = {}  # the row gives the whole income: year and per-capita together
    for key, path in HOUSEHOLD_COLUMNS.items():
        value = r.get(key)
        if value is not None:
            put(data, path, value)
    if r.get("head_name") is not None or r.get("head_phone") is not None:
        data["head"] = d.ordered(data["head"], "household", "head")
    return d.ordered(data, "household")


def _match_household(d: Draft, vid: str, head: str, phone: str | None) -> str | None:
    """An existing household in the same village whose head has this name (and phone).
    Sealed households are compared when the import's key opens them; those it does not open
    cannot be compared, which a note says (the row becomes a new household)."""
    found, closed = [], 0
    for hid, rec in d.model.by_kind["household"].items():
        if rec.data.get("village") != vid:
            continue
        data = d.opened(rec)
        if data is rec.data and SEALED_FIELD in data:  # sealed, and not opened
            closed += 1
            continue
        h = head_ if isinstance(head_ := data.get("head"), dict) else {}
        if h.get("name") == head and (phone is None or h.get("phone") in (None, phone)):
            found.append(hid)
    note = (
        f"村 {vid} 有 {closed} 户的隐私字段是密文，没有能打开它们的密钥，无法按户主姓名核对"
        "是否已经登记：已有的户请填户编号（或用 --key 导入），否则会新建一户。"
    )
    if closed and not found and note not in d.notes:
        d.notes.append(note)
    return found[0] if len(found) == 1 else None


def _new_household_id(d: Draft, plan_id: str, vid: str, index: int) -> str:
    n = 0
    while True:
        hid = "h-" + digest("household", plan_id, vid, str(index), str(n))[:10]
        if d.existing("household", hid) is None and all(
            pl.data.get("id") != hid for pl in d.planned.values() if pl.kind == "household"
        ):
            return hid
        n += 1
