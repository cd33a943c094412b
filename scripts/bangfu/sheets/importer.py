"""``bangfu import``: filled forms → records, all or nothing.

1. read the workbook (or CSV) within limits, refuse formulas, extra sheets, damaged files;
2. turn every form sheet into would-be records (``parse``, then ``filing`` / ``progress``),
   collecting cell findings;
3. run the real checker on the data folder with the would-be files in place, and report
   every *new* error at the cell it came from (``overlay``);
4. only when nothing is wrong, write the changed files (all staged first, then renamed).

Importing the same file twice changes nothing. An existing progress report is never
rewritten, except by a sheet marked as a correction (see ``progress``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..codes import (
    SHEET_CONFLICT,
    SHEET_EXTRA_SHEET,
    SHEET_UNKNOWN_FORM,
    WRITE_CONFLICT,
    Code,
    make,
)
from ..config import Config
from ..findings import ERROR, Finding
from ..pipeline import Pipeline
from ..yamlio import WriteError, write_all, writing
from . import filing, progress
from . import options as opts
from .errors import cell_finding
from .forms import (
    FILING,
    FORMS,
    INSTRUCTIONS_SHEET,
    OPTIONS_SHEET,
    PROGRESS,
    Form,
    form_of_title,
    form_sheet_name,
)
from .overlay import check_overlay
from .parse import Parser
from .parsed import Parsed
from .read import Book, SheetData, read
from .records import Draft, Planned, read_text

# each form kind's builder: a parsed sheet → would-be records in the draft
BUILDERS: dict[str, Callable[[Draft, Parsed], None]] = {
    FILING: filing.build,
    PROGRESS: progress.build,
}


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


def run(
    cfg: Config, path: Path, *, dry_run: bool = False, identities: list | None = None
) -> Outcome:
    """Plan and write under the data folder's write lock, so two imports never both plan
    against the same ledger and overwrite each other (the second gets ``write.locked``)."""
    if dry_run:
        return _run(cfg, path, dry_run=True, identities=identities)
    try:
        with writing(cfg.data_root) as recovered:
            out = _run(cfg, path, dry_run=False, identities=identities)
            out.findings[:0] = recovered
            return out
    except WriteError as exc:
        return Outcome(findings=list(exc.findings))


def _run(cfg: Config, path: Path, *, dry_run: bool, identities: list | None) -> Outcome:
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
    model.unpack()  # read, compared and written over many times: decoded once and kept
    lists = opts.build(model, cfg.schemas_dir)
    for hid in sorted(model.ids("household")):  # any household may be named by its id
        lists["households"].add(hid, hid)
    parser = Parser(file, cfg.schemas_dir, lists, cfg.as_of)
    draft = Draft(cfg, file, model, lists, identities=identities)
    # filing sheets first: a progress sheet may name the plan a filing sheet adds
    for sheet, form in sorted(sheets, key=lambda sf: sf[1].kind != FILING):
        before = len(parser.findings)
        p = parser.parse(sheet, form)
        if p is None or len(parser.findings) > before:
            continue
        BUILDERS[form.kind](draft, p)
    out.findings.extend(parser.findings)
    out.findings.extend(draft.findings)
    out.notes.extend(draft.notes)
    if not out.ok:
        return out
    planned = draft.finish()
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


def _form_sheets(book: Book, out: Outcome) -> list[tuple[SheetData, Form]]:
    """The form sheets of the book and their forms; the helper sheets are skipped, and any
    other sheet is a finding."""
    found = []
    for sheet in book.sheets:
        form = _form_of(book, sheet, out)
        if form is not None:
            found.append((sheet, form))
    if out.ok and not found:
        first = book.sheets[0].name if book.sheets else "?"
        out.findings.append(
            _sheet_finding(book, SHEET_UNKNOWN_FORM, first, 1, "工作簿中没有报备表或进度表")
        )
    filings = [s for s, f in found if f.kind == FILING]
    for extra in filings[1:]:
        out.findings.append(
            _sheet_finding(book, SHEET_CONFLICT, extra.name, 1, "一个工作簿只能有一张报备表")
        )
    return found


def _form_of(book: Book, sheet: SheetData, out: Outcome) -> Form | None:
    """The form a sheet holds, by its name (in a workbook) and its title (A1)."""
    if not book.is_csv and sheet.name in (INSTRUCTIONS_SHEET, OPTIONS_SHEET):
        return None
    named = [f for f in FORMS.values() if form_sheet_name(f, sheet.name)]
    if not book.is_csv and not named:
        out.findings.append(
            _sheet_finding(
                book,
                SHEET_EXTRA_SHEET,
                sheet.name,
                1,
                f"工作簿中有模板以外的工作表“{sheet.name}”",
                f"只保留“{INSTRUCTIONS_SHEET}”“{OPTIONS_SHEET}”和表单工作表（报备、进度），删除其他工作表后再导入。",
            )
        )
        return None
    if not sheet.rows:
        if book.is_csv:
            out.findings.append(
                _sheet_finding(book, SHEET_UNKNOWN_FORM, sheet.name, 1, "文件是空的")
            )
        return None
    first_row, cells = sheet.rows[0]
    form = form_of_title(cells[0].value if cells else None)
    if form is None or (named and form not in named):
        titles = "”或“".join(f.title for f in FORMS.values())
        out.findings.append(
            _sheet_finding(
                book,
                SHEET_UNKNOWN_FORM,
                sheet.name,
                first_row,
                f"第一格不是表名“{titles}”，认不出是哪一种表",
            )
        )
        return None
    return form


def _sheet_finding(
    book: Book, code: Code, sheet: str, row: int, message: str, hint: str | None = None
) -> Finding:
    return cell_finding(code, book.file, sheet, row, 1, "", message, hint)


# -- writing ------------------------------------------------------------------------------


def commit(root: Path, planned: list[Planned]) -> list[Path]:
    """Write every file or none (see ``yamlio.write_all``; the caller holds the lock).
    A target that changed since it was read for planning (an editor, a tool not taking the
    lock) is refused: compare-and-swap, so the import never overwrites what it did not see."""
    moved = [
        make(
            WRITE_CONFLICT,
            "/".join((root.name, *pl.rel)),
            "导入期间这个文件被新建或改动了，本次没有写入任何文件",
        )
        for pl in planned
        if read_text(root.joinpath(*pl.rel)) != pl.existing
    ]
    if moved:
        raise WriteError(moved)
    return write_all([(root.joinpath(*pl.rel), pl.text) for pl in planned], root)
