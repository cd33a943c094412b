"""``bangfu import``: filled forms → records, all or nothing.

1. read the workbook (or CSV) within limits, refuse formulas, extra sheets, damaged files;
2. turn every form sheet into would-be records, collecting cell findings;
3. run the real checker on the data folder with the would-be files in place, and report
   every *new* error at the cell it came from;
4. only when nothing is wrong, write the changed files (all staged first, then renamed).

Importing the same file twice changes nothing. An existing progress report is never
rewritten, except by a sheet marked as a correction (更正人 + 更正说明), which keeps the
original entries in the report's ``corrections``.
"""

from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import model as model_mod
from ..codes import make
from ..config import Config
from ..findings import ERROR, Finding
from ..load import Record
from ..pipeline import Pipeline
from ..readfile import read_bounded
from ..rules.dates import label_period
from ..yamlio import WriteError, update_text, write_all, writing
from ..yamlsafe import parse as parse_yaml
from . import options as opts
from .errors import cell_finding
from .forms import (
    FILING,
    FORMS,
    INSTRUCTIONS_SHEET,
    OPTIONS_SHEET,
    VILLAGE,
    YES,
    form_of_title,
    form_sheet_name,
)
from .overlay import check_overlay
from .parse import Parsed, Parser, Row
from .read import Book, read

Where = tuple[str, int, int, str]  # sheet, row, column, header

# filing-form columns that describe a household (a village row must leave them empty)
HOUSEHOLD_COLUMNS = (
    "head_name",
    "head_phone",
    "address",
    "category",
    "status",
    "household_size",
    "income_year",
    "per_capita",
)


@dataclass
class Planned:
    """One record file the import would write."""

    rel: tuple[str, ...]
    data: dict
    kind: str
    cells: dict[str, Where] = field(default_factory=dict)  # JSON path → cell
    existing: str | None = None
    text: str = ""

    @property
    def changed(self) -> bool:
        return self.text != self.existing


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


def run(cfg: Config, path: Path, *, dry_run: bool = False) -> Outcome:
    """Plan and write under the data folder's write lock, so two imports never both plan
    against the same ledger and overwrite each other (the second gets ``write.locked``)."""
    if dry_run:
        return _run(cfg, path, dry_run=True)
    try:
        with writing(cfg.data_root) as recovered:
            out = _run(cfg, path, dry_run=False)
            out.findings[:0] = recovered
            return out
    except WriteError as exc:
        return Outcome(findings=list(exc.findings))


def _run(cfg: Config, path: Path, *, dry_run: bool) -> Outcome:
    file = str(path)
    book = read(path, file)
    out = Outcome(findings=list(book.findings))
    if book.findings:
        return out
    sheets = _form_sheets(book, out)
    if not out.ok:
        return out
    pipe = Pipeline(cfg)  # records with their own findings: the baseline of check_overlay
    records, model = pipe.records, pipe.model
    lists = opts.build(model, cfg.schemas_dir)
    for hid in sorted(model.ids("household")):  # any household may be named by its id
        lists["households"].add(hid, hid)
    parser = Parser(file, cfg.schemas_dir, lists, cfg.as_of)
    builder = Builder(cfg, file, model, lists)
    for sheet, form in sorted(sheets, key=lambda sf: sf[1].kind != FILING):
        before = len(parser.findings)
        p = parser.parse(sheet, form)
        if p is None or len(parser.findings) > before:
            continue
        builder.add(p)
    out.findings.extend(parser.findings)
    out.findings.extend(builder.findings)
    out.notes.extend(builder.notes)
    if not out.ok:
        return out
    planned = builder.finish()
    out.findings.extend(check_overlay(cfg, file, records, model, planned))
    out.planned = planned
    if not out.ok or dry_run:
        return out
    try:
        out.written = commit(cfg.data_root, [p for p in planned if p.changed])
    except WriteError as exc:
        out.findings.extend(exc.findings)
    return out


# -- sheets -------------------------------------------------------------------------------


def _form_sheets(book: Book, out: Outcome):
    found = []
    for sheet in book.sheets:
        if not book.is_csv and sheet.name in (INSTRUCTIONS_SHEET, OPTIONS_SHEET):
            continue
        named = [f for f in FORMS.values() if form_sheet_name(f, sheet.name)]
        if not book.is_csv and not named:
            out.findings.append(
                cell_finding(
                    "sheet.extra-sheet",
                    book.file,
                    sheet.name,
                    1,
                    1,
                    "",
                    f"工作簿中有模板以外的工作表“{sheet.name}”",
                    f"只保留“{INSTRUCTIONS_SHEET}”“{OPTIONS_SHEET}”和表单工作表（报备、进度），删除其他工作表后再导入。",
                )
            )
            continue
        if not sheet.rows:
            if book.is_csv:
                out.findings.append(
                    cell_finding(
                        "sheet.unknown-form", book.file, sheet.name, 1, 1, "", "文件是空的"
                    )
                )
            continue
        first_row, cells = sheet.rows[0]
        form = form_of_title(cells[0].value if cells else None)
        if form is None or (named and form not in named):
            out.findings.append(
                cell_finding(
                    "sheet.unknown-form",
                    book.file,
                    sheet.name,
                    first_row,
                    1,
                    "",
                    "第一格不是表名“"
                    + "”或“".join(f.title for f in FORMS.values())
                    + "”，认不出是哪一种表",
                )
            )
            continue
        found.append((sheet, form))
    if out.ok and not found:
        out.findings.append(
            cell_finding(
                "sheet.unknown-form",
                book.file,
                book.sheets[0].name if book.sheets else "?",
                1,
                1,
                "",
                "工作簿中没有报备表或进度表",
            )
        )
    filings = [s for s, f in found if f.kind == FILING]
    for extra in filings[1:]:
        out.findings.append(
            cell_finding(
                "sheet.conflict", book.file, extra.name, 1, 1, "", "一个工作簿只能有一张报备表"
            )
        )
    return found


# -- building records ---------------------------------------------------------------------


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class Builder:
    """Would-be records from parsed sheets; cross-row and cross-record problems as findings."""

    def __init__(self, cfg: Config, file: str, model: model_mod.Model, lists):
        self.cfg = cfg
        self.file = file
        self.model = model
        self.lists = lists
        self.findings: list[Finding] = []
        self.notes: list[str] = []
        self.planned: dict[tuple[str, ...], Planned] = {}
        self.plans: dict[str, Planned] = {}

    def bad(self, code, p: Parsed | str, row, col, header, message, hint=None):
        sheet = p.sheet if isinstance(p, Parsed) else p
        self.findings.append(cell_finding(code, self.file, sheet, row, col, header, message, hint))

    def add(self, p: Parsed) -> None:
        if p.form.kind == FILING:
            self._filing(p)
        else:
            self._progress(p)

    def finish(self) -> list[Planned]:
        out = []
        for pl in self.planned.values():
            pl.existing = _read_text(self.cfg.data_root.joinpath(*pl.rel))
            pl.text = update_text(pl.data, pl.existing)
            out.append(pl)
        return out

    def _existing(self, kind: str, id_: str) -> Record | None:
        return self.model.get(kind, id_)

    # -- filing: plan, targets, households --------------------------------------------------
    def _filing(self, p: Parsed) -> None:
        county = p.get("county")
        name = p.get("name")
        plan_id = p.get("plan")
        row, col, header = p.at("plan")
        if plan_id is None:
            plan_id = (
                f"{county}-{_digest('plan', county or '', p.get('campaign') or '', name or '')[:8]}"
            )
        elif not _valid_id(plan_id):
            self.bad(
                "sheet.bad-choice",
                p,
                row,
                col,
                header,
                f"方案编号“{plan_id}”只能含小写字母、数字和连字符（3–64 个字符）",
            )
            return
        old = self._existing("plan", plan_id)
        if old is not None and old.data.get("county") != county:
            r, c, h = p.at("county")
            self.bad(
                "sheet.conflict",
                p,
                r,
                c,
                h,
                f"方案 {plan_id} 已登记在区县 {old.data.get('county')}，不能改到 {county}",
            )
            return
        rel = old.rel if old is not None else ("plans", county, plan_id, "plan.yaml")
        data = copy.deepcopy(old.data) if old is not None else {}
        cells: dict[str, Where] = {"$": (p.sheet, p.title_row, 1, "")}
        for key, path in (
            ("plan", "$.id"),
            ("name", "$.name"),
            ("county", "$.county"),
            ("campaign", "$.campaign"),
            ("form", "$.form"),
            ("start", "$.period.start"),
            ("end", "$.period.end"),
            ("status", "$.status"),
        ):
            r, c, h = p.at(key)
            cells[path] = (p.sheet, r, c, h)
        new = {
            "id": plan_id,
            "name": name,
            "county": county,
            "campaign": p.get("campaign"),
            "form": p.get("form"),
        }
        orgs = []
        for r in p.sections.get("organizations", []):
            org = r.get("organization")
            if org in orgs:
                self._dup(p, r, "organization", f"帮扶主体 {org} 重复")
                continue
            cells[f"$.organizations[{len(orgs)}]"] = _where(p, r, "organization")
            orgs.append(org)
        new["organizations"] = orgs
        villages, households = self._targets(p, plan_id, county, cells)
        old_targets = data.get("targets") if isinstance(data.get("targets"), dict) else {}
        chosen = {"villages": villages, "households": households}
        keys = [k for k in old_targets if k in chosen] + [k for k in chosen if k not in old_targets]
        new["targets"] = {k: chosen[k] for k in keys if chosen[k] or k in old_targets}
        new["period"] = {"start": p.get("start"), "end": p.get("end")}
        measures = []
        for r in p.sections.get("measures", []):
            m = {"kind": r.get("kind"), "description": r.get("description")}
            if r.get("amount") is not None:
                m["amount"] = r.get("amount")
            base = f"$.measures[{len(measures)}]"
            cells[base] = _where(p, r, "kind")
            for k in ("kind", "description", "amount"):
                if k in r.values:
                    cells[f"{base}.{k}"] = _where(p, r, k)
            measures.append(m)
        if measures or "measures" in data:
            new["measures"] = measures
        if p.get("status") is not None:
            new["status"] = p.get("status")
        for key, value in new.items():
            data[key] = value
        data = _order(
            data,
            (
                "id",
                "name",
                "county",
                "campaign",
                "form",
                "organizations",
                "targets",
                "period",
                "measures",
                "status",
            ),
        )
        pl = Planned(rel, data, "plan", cells)
        self.planned[rel] = pl
        self.plans[plan_id] = pl
        # progress sheets in the same workbook may name the new plan and its new households
        self.lists["plans"].add(plan_id, f"{name}（{plan_id}）", name)
        for hid in households:
            self.lists["households"].add(hid, hid)

    def _dup(self, p: Parsed, r: Row, key: str, message: str) -> None:
        sheet, row, col, header = _where(p, r, key)
        self.bad("sheet.conflict", sheet, row, col, header, message, "删除重复的行。")

    def _targets(self, p: Parsed, plan_id: str, county: str, cells) -> tuple[list, list]:
        villages: list[str] = []
        households: list[str] = []
        for index, r in enumerate(p.sections.get("targets", []), start=1):
            vid = r.get("village")
            if vid is None:
                continue
            v = self.model.villages.get(vid)
            if v is not None and v.county != county:
                sheet, row, col, header = _where(p, r, "village")
                self.bad(
                    "sheet.unknown-village",
                    sheet,
                    row,
                    col,
                    header,
                    f"村 {vid} 属于区县 {v.county}，不属于本方案的区县 {county}",
                )
                continue
            if r.get("target") == VILLAGE:
                extra = [k for k in ("household", *HOUSEHOLD_COLUMNS) if k in r.values]
                if extra:
                    sheet, row, col, header = _where(p, r, extra[0])
                    self.bad(
                        "sheet.conflict",
                        sheet,
                        row,
                        col,
                        header,
                        "对象类型是“帮扶村”，这一格应留空（户的信息只在对象类型为“帮扶户”时填写）",
                    )
                    continue
                if vid in villages:
                    self._dup(p, r, "village", f"帮扶村 {vid} 重复")
                    continue
                cells[f"$.targets.villages[{len(villages)}]"] = _where(p, r, "village")
                villages.append(vid)
                continue
            hid = self._household(p, r, plan_id, vid, index)
            if hid is None:
                continue
            if hid in households:
                self._dup(
                    p,
                    r,
                    "household" if "household" in r.values else "head_name",
                    f"帮扶户 {hid} 重复",
                )
                continue
            cells[f"$.targets.households[{len(households)}]"] = _where(
                p, r, "household" if "household" in r.values else "village"
            )
            households.append(hid)
        return villages, households

    def _household(self, p: Parsed, r: Row, plan_id: str, vid: str, index: int) -> str | None:
        hid = r.get("household")
        head = r.get("head_name")
        if hid is not None and not _valid_id(hid):
            sheet, row, col, header = _where(p, r, "household")
            self.bad(
                "sheet.bad-choice",
                sheet,
                row,
                col,
                header,
                f"户编号“{hid}”只能含小写字母、数字和连字符（3–64 个字符）",
            )
            return None
        if hid is None:
            if head is None:
                sheet, row, col, header = _where(p, r, "household")
                self.bad(
                    "sheet.required",
                    sheet,
                    row,
                    col or 4,
                    "户编号",
                    "已有的户填户编号；新户须填户主姓名等信息，户编号留空",
                )
                return None
            hid = self._match_household(vid, head, r.get("head_phone")) or self._new_household_id(
                plan_id, vid, index
            )
        old = self._existing("household", hid)
        if old is not None and old.data.get("village") != vid:
            sheet, row, col, header = _where(p, r, "village")
            self.bad(
                "sheet.conflict",
                sheet,
                row,
                col,
                header,
                f"户 {hid} 登记在村 {old.data.get('village')}，与这里填的 {vid} 不一致",
            )
            return None
        fields = HOUSEHOLD_COLUMNS
        if old is None:
            missing = [
                k for k in ("category", "status", "income_year", "per_capita") if k not in r.values
            ]
            for k in missing:
                sheet, row, col, header = _where(p, r, k)
                self.bad(
                    "sheet.required", sheet, row, col, header, f"新的帮扶户 {hid} 必须填写{header}"
                )
            if missing:
                return None
        elif not any(k in r.values for k in fields):
            return hid  # a target by id only: the household record is left as it is
        if ("income_year" in r.values) != ("per_capita" in r.values):
            k = "per_capita" if "income_year" in r.values else "income_year"
            sheet, row, col, header = _where(p, r, k)
            self.bad("sheet.required", sheet, row, col, header, "收入年度和人均纯收入要一起填写")
            return None
        year = r.get("income_year")
        if year is not None and year > self.cfg.as_of.year:
            sheet, row, col, header = _where(p, r, "income_year")
            self.bad("sheet.future-date", sheet, row, col, header, f"收入年度 {year} 还没到")
            return None
        county = self.model.villages[vid].county
        rel = old.rel if old is not None else ("households", county, vid, f"{hid}.yaml")
        prev = self.planned.get(rel)
        if prev is not None:
            return hid
        data = copy.deepcopy(old.data) if old is not None else {"id": hid, "village": vid}
        base_cells: dict[str, Where] = {
            "$": _where(p, r, "household" if "household" in r.values else "village")
        }
        for k, path in (
            ("category", "$.category"),
            ("status", "$.status"),
            ("household_size", "$.household_size"),
            ("income_year", "$.income.year"),
            ("per_capita", "$.income.per_capita"),
            ("head_name", "$.head.name"),
            ("head_phone", "$.head.phone"),
            ("address", "$.address"),
        ):
            if k in r.values:
                base_cells[path] = _where(p, r, k)
        for k in ("category", "status", "household_size", "address"):
            if r.get(k) is not None:
                data[k] = r.get(k)
        if year is not None:
            data["income"] = {"year": year, "per_capita": r.get("per_capita")}
        if r.get("head_name") is not None or r.get("head_phone") is not None:
            head_rec = dict(data.get("head") or {})
            if r.get("head_name") is not None:
                head_rec["name"] = r.get("head_name")
            if r.get("head_phone") is not None:
                head_rec["phone"] = r.get("head_phone")
            data["head"] = _order(head_rec, ("name", "id_number", "phone"))
        data = _order(
            data,
            (
                "id",
                "village",
                "category",
                "risk_causes",
                "household_size",
                "income",
                "guarantees",
                "status",
                "warning_tier",
                "income_projects",
                "identification",
                "head",
                "address",
            ),
        )
        self.planned[rel] = Planned(rel, data, "household", base_cells)
        return hid

    def _match_household(self, vid: str, head: str, phone: str | None) -> str | None:
        """An existing household in the same village whose head has this name (and phone)."""
        found = []
        for hid, rec in self.model.by_kind["household"].items():
            d = rec.data
            h = d.get("head") if isinstance(d.get("head"), dict) else {}
            if (
                d.get("village") == vid
                and h.get("name") == head
                and (phone is None or h.get("phone") in (None, phone))
            ):
                found.append(hid)
        return found[0] if len(found) == 1 else None

    def _new_household_id(self, plan_id: str, vid: str, index: int) -> str:
        n = 0
        while True:
            hid = "h-" + _digest("household", plan_id, vid, str(index), str(n))[:10]
            if self._existing("household", hid) is None and all(
                pl.data.get("id") != hid for pl in self.planned.values() if pl.kind == "household"
            ):
                return hid
            n += 1

    # -- progress: one report -------------------------------------------------------------
    def _progress(self, p: Parsed) -> None:
        plan_id = p.get("plan")
        label = p.get("period")
        pr, pc, ph = p.at("plan")
        plan_pl = self.plans.get(plan_id)
        plan_rec = self._existing("plan", plan_id) if plan_id else None
        if plan_pl is not None:
            plan, plan_rel = plan_pl.data, plan_pl.rel
        elif plan_rec is not None:
            plan, plan_rel = plan_rec.data, plan_rec.rel
        else:
            return  # the parser already reported the unknown plan
        covered = label_period(label)
        period = plan.get("period") if isinstance(plan.get("period"), dict) else {}
        start = max(covered[0].isoformat(), str(period.get("start") or ""))
        end = min(covered[1].isoformat(), str(period.get("end") or "9999-12-31"))
        lr, lc, lh = p.at("period")
        if start > end:
            self.bad(
                "sheet.conflict",
                p,
                lr,
                lc,
                lh,
                f"报送期 {label}（{covered[0]} 至 {covered[1]}）不在方案期间 "
                f"{period.get('start')} 至 {period.get('end')} 内",
            )
            return
        rel = (*plan_rel[:3], "reports", f"{label}.yaml")
        if rel in self.planned:
            self.bad(
                "sheet.conflict",
                p,
                lr,
                lc,
                lh,
                f"同一个工作簿中有两张方案 {plan_id} 报送期 {label} 的进度表",
            )
            return
        cells: dict[str, Where] = {
            "$": (p.sheet, pr, pc, ph),
            "$.id": (p.sheet, lr, lc, lh),
            "$.period": (p.sheet, lr, lc, lh),
            "$.plan": (p.sheet, pr, pc, ph),
        }
        sr, sc, sh = p.at("submitted")
        cells["$.submitted"] = (p.sheet, sr, sc, sh)
        entries = []
        for r in p.sections.get("entries", []):
            e = self._entry(p, r)
            if e is None:
                continue
            base = f"$.entries[{len(entries)}]"
            cells[base] = _where(p, r, "date")
            for k in (
                "date",
                "household",
                "village",
                "kind",
                "content",
                "amount",
                "income_project",
            ):
                if k in r.values:
                    cells[f"{base}.{k}"] = _where(p, r, k)
            entries.append(e)
        data = {
            "id": label,
            "plan": plan_id,
            "period": {"start": start, "end": end},
            "submitted": p.get("submitted"),
            "entries": entries,
        }
        by, reason = p.get("correction_by"), p.get("correction_reason")
        if (by is None) != (reason is None):
            key = "correction_reason" if by is not None else "correction_by"
            r, c, h = p.at(key)
            self.bad("sheet.required", p, r, c, h, "更正时“更正人”和“更正说明”都要填写")
            return
        old_text = _read_text(self.cfg.data_root.joinpath(*rel))
        if old_text is not None:
            old = parse_yaml(old_text, "/".join(rel)).data
            if not isinstance(old, dict):
                self.bad(
                    "sheet.conflict",
                    p,
                    lr,
                    lc,
                    lh,
                    f"已有的报告 data/{'/'.join(rel)} 无法读取，请先修好它",
                )
                return
            same = {k: old.get(k) for k in data} == data
            if same or (by is not None and old.get("entries") == entries):
                self.notes.append(f"方案 {plan_id} 报送期 {label} 的进度与已有报告相同，未改动。")
                data = old
            elif by is None:
                self.bad(
                    "sheet.report-exists",
                    p,
                    lr,
                    lc,
                    lh,
                    f"方案 {plan_id} 报送期 {label} 的进度报告已经存在（data/{'/'.join(rel)}），"
                    "已报送的内容不能改写",
                )
                return
            else:
                kept = copy.deepcopy(old)
                corrections = list(kept.get("corrections") or [])
                note = {"date": p.get("submitted"), "by": by, "reason": reason}
                if old.get("period") != data["period"]:
                    corrections.append({**note, "path": "$.period", "original": old.get("period")})
                corrections.append(
                    {**note, "path": "$.entries", "original": old.get("entries") or []}
                )
                kept["period"] = data["period"]
                kept["entries"] = entries
                kept["corrections"] = corrections
                data = _order(kept, ("id", "plan", "period", "submitted", "entries", "corrections"))
                cells[f"$.corrections[{len(corrections) - 1}]"] = (
                    p.sheet,
                    *p.at("correction_reason"),
                )
        self.planned[rel] = Planned(rel, data, "report", cells)

    def _entry(self, p: Parsed, r: Row) -> dict | None:
        h, v = r.get("household"), r.get("village")
        if (h is None) == (v is None):
            sheet, row, col, header = _where(p, r, "household")
            self.bad(
                "sheet.required" if h is None else "sheet.conflict",
                sheet,
                row,
                col,
                header,
                "帮扶户和帮扶村要填其中一个" if h is None else "帮扶户和帮扶村只能填一个",
            )
            return None
        e = {"date": r.get("date")}
        if h is not None:
            e["household"] = h
        else:
            e["village"] = v
        e["kind"] = r.get("kind")
        for k in ("content", "amount"):
            if r.get(k) is not None:
                e[k] = r.get(k)
        if r.get("income_project") is not None:
            e["income_project"] = r.get("income_project") == YES
        return e


def _where(p: Parsed, r: Row, key: str) -> Where:
    v = r.values.get(key)
    if v is not None:
        return p.sheet, v.row, v.col, v.header
    for sec in p.form.sections:
        for ci, col in enumerate(sec.columns, start=1):
            if col.key == key:
                return p.sheet, r.row, ci, col.header
    return p.sheet, r.row, 1, ""


def _valid_id(value: str) -> bool:
    import re

    return bool(re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]", value))


def _order(d: dict, keys: tuple[str, ...]) -> dict:
    out = {k: d[k] for k in keys if k in d}
    out.update({k: v for k, v in d.items() if k not in out})
    return out


def _read_text(path: Path) -> str | None:
    """The current text of a record file; None when there is none; "" when something is there
    that check would not read (a link, a pipe, too large, not UTF-8): the import then refuses
    to write over it."""
    if not os.path.lexists(path):
        return None
    raw, problem = read_bounded(str(path), str(path))
    if problem is not None or raw is None:
        return ""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""


# -- writing ------------------------------------------------------------------------------


def commit(root: Path, planned: list[Planned]) -> list[Path]:
    """Write every file or none (see ``yamlio.write_all``; the caller holds the lock).
    A target that changed since it was read for planning (an editor, a tool not taking the
    lock) is refused: compare-and-swap, so the import never overwrites what it did not see."""
    moved = [
        make(
            "write.conflict",
            "/".join((root.name, *pl.rel)),
            "导入期间这个文件被新建或改动了，本次没有写入任何文件",
        )
        for pl in planned
        if _read_text(root.joinpath(*pl.rel)) != pl.existing
    ]
    if moved:
        raise WriteError(moved)
    return write_all([(root.joinpath(*pl.rel), pl.text) for pl in planned], root)
