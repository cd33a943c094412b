"""``bangfu export-forms``: a plan and its reports back in the form layout — one 报备 sheet
and one 进度-<报送期> sheet per report — so that importing the export changes nothing.

The export carries the households' private fields (it is the same working document the
staff filled in); it is written for the people who maintain the records, never published.
A household whose private fields are sealed (``privacy.seal``) shows them only when the given
key opens it; otherwise its private cells say ``SEALED_PLACEHOLDER``, which the import reads as
"keep the sealed value", so the export imports back unchanged with or without a key."""

from __future__ import annotations

from pathlib import Path

from ..config import UsageError
from ..model import Model
from ..privacy import seal
from ..record import SEALED_FIELD, Record
from ..schema import bundled, is_public
from . import options as opts
from .forms import FILING_FORM, HOUSEHOLD, PROGRESS_FORM, SEALED_PLACEHOLDER, VILLAGE
from .paths import (
    ENTRY_COLUMNS,
    HOUSEHOLD_COLUMNS,
    MEASURE_COLUMNS,
    PLAN_FIELDS,
    REPORT_FIELDS,
    get,
)
from .template import Filled, Writer, make_template


def household_columns(schema: dict, data: dict, identities: list) -> dict[str, object]:
    """The household columns of a target row: the private ones from what ``identities`` open;
    ``SEALED_PLACEHOLDER`` in each private column of a sealed record they do not open."""
    whole: dict | None = data
    if SEALED_FIELD in data:
        try:
            whole = seal.open_record(schema, data, identities) if identities else None
        except seal.SealError:
            whole = None
    out: dict[str, object] = {}
    for k, path in HOUSEHOLD_COLUMNS.items():
        if whole is None and not is_public(schema, tuple(path.split("."))):
            out[k] = SEALED_PLACEHOLDER
        else:
            out[k] = get(whole if whole is not None else data, path)
    return out


def filing_values(model: Model, rec: Record, schema: dict, identities: list) -> Filled:
    """The filing sheet of a plan on file (and of the households it targets)."""
    d = rec.data
    f = Filled(fields={key: get(d, path) for key, path in PLAN_FIELDS.items()})
    f.sections["organizations"] = [{"organization": o} for o in d.get("organizations") or []]
    targets = d.get("targets") if isinstance(d.get("targets"), dict) else {}
    rows: list[dict[str, object]] = []
    for key in targets:
        for tid in targets.get(key) or []:
            if key == "villages":
                rows.append({"target": VILLAGE, "village": tid})
                continue
            row: dict[str, object] = {"target": HOUSEHOLD, "household": tid}
            h = model.get("household", tid)
            if h is not None:
                row["village"] = h.data.get("village")
                row.update(household_columns(schema, h.data, identities))
            rows.append(row)
    f.sections["targets"] = rows
    f.sections["measures"] = [
        {key: get(m, path) for key, path in MEASURE_COLUMNS.items()}
        for m in d.get("measures") or []
        if isinstance(m, dict)
    ]
    return f


def progress_values(report: dict) -> Filled:
    """The progress sheet of a report on file."""
    f = Filled(fields={key: get(report, path) for key, path in REPORT_FIELDS.items()})
    f.sections["entries"] = [
        {key: get(e, path) for key, path in ENTRY_COLUMNS.items()}
        for e in report.get("entries") or []
        if isinstance(e, dict)
    ]
    return f


def export(
    model: Model, schemas_dir: Path, plan_id: str, out: Path, identities: list | None = None
) -> tuple[int, int]:
    """Write the workbook; returns (progress sheets, target households whose private fields
    stay sealed: ``identities`` do not open them)."""
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
    schema = bundled(schemas_dir)["household"]
    filing = filing_values(model, rec, schema, identities or [])
    w.form_sheet(FILING_FORM, FILING_FORM.sheet, filing)
    for r in reports:
        w.form_sheet(
            PROGRESS_FORM, f"{PROGRESS_FORM.sheet}-{r.data.get('id')}", progress_values(r.data)
        )
    w.wb.active = w.wb.sheetnames.index(FILING_FORM.sheet)
    w.save(out)
    sealed = sum(1 for r in filing.sections["targets"] if SEALED_PLACEHOLDER in r.values())
    return len(reports), sealed


def template(
    model: Model,
    schemas_dir: Path,
    kind: str,
    out: Path,
    *,
    plan: str | None = None,
    county: str | None = None,
) -> None:
    plan_rec = model.get("plan", plan) if plan is not None else None
    if plan is not None and plan_rec is None:
        raise UsageError(f"方案 {plan} 不存在")
    if county is not None and model.get("county", county) is None:
        raise UsageError(f"区县 {county} 不存在")
    filled: Filled | None
    if kind == "filing":
        filled = Filled(fields={"county": county})
        if plan_rec is not None:
            # keep the targets editable: whole-county dropdowns, sections pre-filled
            schema = bundled(schemas_dir)["household"]
            filled = filing_values(model, plan_rec, schema, [])
            county = plan_rec.data.get("county")
        w = make_template(model, schemas_dir, FILING_FORM, county=county, filled=filled)
    else:
        filled = Filled(fields={"plan": plan}) if plan else None
        w = make_template(
            model, schemas_dir, PROGRESS_FORM, county=county, plan=plan, filled=filled
        )
    w.save(out)
