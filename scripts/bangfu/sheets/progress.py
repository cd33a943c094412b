"""The progress sheet (进度表) → one report's would-be record. A report already on file is
never rewritten, except by a sheet marked as a correction (更正人 + 更正说明), which keeps the
original entries in the report's ``corrections``; importing the same sheet again is a no-op."""

from __future__ import annotations

import copy

from ..codes import SHEET_CONFLICT, SHEET_REPORT_EXISTS, SHEET_REQUIRED
from ..rules.dates import label_period
from ..yamlsafe import parse as parse_yaml
from .forms import YES
from .parsed import Parsed, Row, Where
from .paths import ENTRY_COLUMNS, REPORT_FIELDS, json_path, put
from .records import Draft, Planned, read_text


def build(d: Draft, p: Parsed) -> None:
    """Plan the report of one progress sheet; findings go to ``d``."""
    plan_id, label = p.text("plan"), p.text("period")
    plan = _plan(d, plan_id)
    covered = label_period(label) if label is not None else None
    if plan_id is None or label is None or plan is None or covered is None:
        return  # the parser already reported the unknown plan or the bad period
    plan_data, plan_rel = plan
    in_plan = plan_data.get("period")
    period = in_plan if isinstance(in_plan, dict) else {}
    start = max(covered[0].isoformat(), str(period.get("start") or ""))
    end = min(covered[1].isoformat(), str(period.get("end") or "9999-12-31"))
    if start > end:
        d.bad(
            SHEET_CONFLICT,
            p.cell("period"),
            f"报送期 {label}（{covered[0]} 至 {covered[1]}）不在方案期间 "
            f"{period.get('start')} 至 {period.get('end')} 内",
        )
        return
    rel = (*plan_rel[:3], "reports", f"{label}.yaml")
    if rel in d.planned:
        d.bad(
            SHEET_CONFLICT,
            p.cell("period"),
            f"同一个工作簿中有两张方案 {plan_id} 报送期 {label} 的进度表",
        )
        return
    cells: dict[str, Where] = {"$": p.cell("plan"), "$.period": p.cell("period")}
    cells.update({json_path("$", path): p.cell(key) for key, path in REPORT_FIELDS.items()})
    entries = _entries(d, p, cells)
    data: dict = {"period": {"start": start, "end": end}, "entries": entries}
    for key, path in REPORT_FIELDS.items():
        put(data, path, p.get(key))
    data = d.ordered(data, "report")
    by, reason = p.text("correction_by"), p.text("correction_reason")
    if (by is None) != (reason is None):
        key = "correction_reason" if by is not None else "correction_by"
        d.bad(SHEET_REQUIRED, p.cell(key), "更正时“更正人”和“更正说明”都要填写")
        return
    old_text = read_text(d.cfg.data_root.joinpath(*rel))
    if old_text is not None:
        kept = _against_existing(d, p, rel, old_text, data, cells)
        if kept is None:
            return
        data = kept
    d.planned[rel] = Planned(rel, data, "report", cells)


def _plan(d: Draft, plan_id: str | None) -> tuple[dict, tuple[str, ...]] | None:
    """The plan a progress sheet names: planned by a filing sheet in the same workbook, or
    on file; its data and its place."""
    if plan_id is None:
        return None
    planned = d.plans.get(plan_id)
    if planned is not None:
        return planned.data, planned.rel
    rec = d.existing("plan", plan_id)
    if rec is not None:
        return rec.data, rec.rel
    return None


def _entries(d: Draft, p: Parsed, cells: dict[str, Where]) -> list[dict]:
    entries: list[dict] = []
    for r in p.sections.get("entries", []):
        e = _entry(d, p, r)
        if e is None:
            continue
        base = f"$.entries[{len(entries)}]"
        cells[base] = p.where(r, "date")
        for key, path in ENTRY_COLUMNS.items():
            if key in r.values:
                cells[json_path(base, path)] = p.where(r, key)
        entries.append(e)
    return entries


def _entry(d: Draft, p: Parsed, r: Row) -> dict | None:
    h, v = r.get("household"), r.get("village")
    if (h is None) == (v is None):
        d.bad(
            SHEET_REQUIRED if h is None else SHEET_CONFLICT,
            p.where(r, "household"),
            "帮扶户和帮扶村要填其中一个" if h is None else "帮扶户和帮扶村只能填一个",
        )
        return None
    e: dict = {}
    for key, path in ENTRY_COLUMNS.items():
        value = r.get(key)
        if value is not None:
            put(e, path, value == YES if key == "income_project" else value)
    return e


def _against_existing(
    d: Draft, p: Parsed, rel: tuple[str, ...], old_text: str, data: dict, cells: dict[str, Where]
) -> dict | None:
    """The report to write when one is on file: the old one when nothing changed, the old
    one with the new entries and a correction when the sheet is a correction; None (with a
    finding) when the report cannot be read or would be rewritten without a correction."""
    plan_id, label = data["plan"], data["id"]
    shown = "/".join(rel)
    old = parse_yaml(old_text, shown).data
    if not isinstance(old, dict):
        d.bad(SHEET_CONFLICT, p.cell("period"), f"已有的报告 data/{shown} 无法读取，请先修好它")
        return None
    by = p.text("correction_by")
    same = {k: old.get(k) for k in data} == data
    if same or (by is not None and old.get("entries") == data["entries"]):
        d.notes.append(f"方案 {plan_id} 报送期 {label} 的进度与已有报告相同，未改动。")
        return old
    if by is None:
        d.bad(
            SHEET_REPORT_EXISTS,
            p.cell("period"),
            f"方案 {plan_id} 报送期 {label} 的进度报告已经存在（data/{shown}），"
            "已报送的内容不能改写",
        )
        return None
    kept = copy.deepcopy(old)
    corrections = list(kept.get("corrections") or [])
    note = {"date": p.get("submitted"), "by": by, "reason": p.get("correction_reason")}
    if old.get("period") != data["period"]:
        corrections.append({**note, "path": "$.period", "original": old.get("period")})
    corrections.append({**note, "path": "$.entries", "original": old.get("entries") or []})
    kept["period"] = data["period"]
    kept["entries"] = data["entries"]
    kept["corrections"] = corrections
    cells[f"$.corrections[{len(corrections) - 1}]"] = p.cell("correction_reason")
    return d.ordered(kept, "report")
