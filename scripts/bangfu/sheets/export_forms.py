"""``bangfu export-forms``: a plan and its reports back in the form layout — one 报备 sheet
and one 进度-<报送期> sheet per report — so that importing the export changes nothing.

The export carries the households' private fields (it is the same working document the
staff filled in); it is written for the people who maintain the records, never published."""

from __future__ import annotations

from pathlib import Path

from ..config import UsageError
from ..model import Model
from . import options as opts
from .forms import FILING_FORM, HOUSEHOLD, PROGRESS_FORM, VILLAGE
from .template import Filled, Writer, make_template


def filing_values(model: Model, plan_id: str) -> Filled:
    rec = model.get("plan", plan_id)
    d = rec.data
    period = d.get("period") if isinstance(d.get("period"), dict) else {}
    f = Filled(
        fields={
            "plan": d.get("id"),
            "name": d.get("name"),
            "county": d.get("county"),
            "campaign": d.get("campaign"),
            "form": d.get("form"),
            "start": period.get("start"),
            "end": period.get("end"),
            "status": d.get("status"),
        }
    )
    f.sections["organizations"] = [{"organization": o} for o in d.get("organizations") or []]
    targets = d.get("targets") if isinstance(d.get("targets"), dict) else {}
    rows = []
    for key in targets:
        for tid in targets.get(key) or []:
            if key == "villages":
                rows.append({"target": VILLAGE, "village": tid})
                continue
            row = {"target": HOUSEHOLD, "household": tid}
            h = model.get("household", tid)
            if h is not None:
                hd = h.data
                head = hd.get("head") if isinstance(hd.get("head"), dict) else {}
                income = hd.get("income") if isinstance(hd.get("income"), dict) else {}
                row.update(
                    {
                        "village": hd.get("village"),
                        "head_name": head.get("name"),
                        "head_phone": head.get("phone"),
                        "address": hd.get("address"),
                        "category": hd.get("category"),
                        "status": hd.get("status"),
                        "household_size": hd.get("household_size"),
                        "income_year": income.get("year"),
                        "per_capita": income.get("per_capita"),
                    }
                )
            rows.append(row)
    f.sections["targets"] = rows
    f.sections["measures"] = [
        {"kind": m.get("kind"), "description": m.get("description"), "amount": m.get("amount")}
        for m in d.get("measures") or []
        if isinstance(m, dict)
    ]
    return f


def progress_values(report: dict) -> Filled:
    f = Filled(
        fields={
            "plan": report.get("plan"),
            "period": report.get("id"),
            "submitted": report.get("submitted"),
        }
    )
    f.sections["entries"] = [
        {
            "date": e.get("date"),
            "household": e.get("household"),
            "village": e.get("village"),
            "kind": e.get("kind"),
            "content": e.get("content"),
            "amount": e.get("amount"),
            "income_project": e.get("income_project"),
        }
        for e in report.get("entries") or []
        if isinstance(e, dict)
    ]
    return f


def export(model: Model, schemas_dir: Path, plan_id: str, out: Path) -> int:
    """Write the workbook; returns the number of progress sheets."""
    rec = model.get("plan", plan_id)
    if rec is None:
        raise UsageError(f"方案 {plan_id} 不存在")
    county = rec.data.get("county") if isinstance(rec.data.get("county"), str) else None
    lists = opts.build(model, schemas_dir, county=county)
    for hid in (rec.data.get("targets") or {}).get("households") or []:
        lists["households"].add(hid, hid)
    w = Writer(lists, schemas_dir)
    reports = [r for r in model.reports_by_plan.get(plan_id, []) if isinstance(r.data, dict)]
    reports.sort(key=lambda r: str(r.data.get("id")))
    w.instructions_for(
        [FILING_FORM, PROGRESS_FORM],
        [
            f"本工作簿由 bangfu export-forms 从方案 {plan_id} 的记录导出：报备表一张，"
            f"每个报送期一张进度表（工作表名“进度-<报送期>”）。含隐私信息，只供维护记录使用。",
            "已报送的进度不能直接改写；要更正某一期，在该进度表表头填写“更正人”和“更正说明”后再导入。",
        ],
    )
    w.form_sheet(FILING_FORM, FILING_FORM.sheet, filing_values(model, plan_id))
    for r in reports:
        w.form_sheet(
            PROGRESS_FORM, f"{PROGRESS_FORM.sheet}-{r.data.get('id')}", progress_values(r.data)
        )
    w.wb.active = w.wb.sheetnames.index(FILING_FORM.sheet)
    w.save(out)
    return len(reports)


def template(
    model: Model,
    schemas_dir: Path,
    kind: str,
    out: Path,
    *,
    plan: str | None = None,
    county: str | None = None,
) -> None:
    if plan is not None and model.get("plan", plan) is None:
        raise UsageError(f"方案 {plan} 不存在")
    if county is not None and model.get("county", county) is None:
        raise UsageError(f"区县 {county} 不存在")
    if kind == "filing":
        filled = filing_values(model, plan) if plan else Filled(fields={"county": county})
        if plan:  # keep the targets editable: whole-county dropdowns, sections pre-filled
            county = model.get("plan", plan).data.get("county")
        w = make_template(model, schemas_dir, FILING_FORM, county=county, filled=filled)
    else:
        filled = Filled(fields={"plan": plan}) if plan else None
        w = make_template(
            model, schemas_dir, PROGRESS_FORM, county=county, plan=plan, filled=filled
        )
    w.save(out)
