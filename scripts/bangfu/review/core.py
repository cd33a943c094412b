"""``bangfu review BASE HEAD``: what a pull request changes, record by record.

Only the changed files are read at both commits (``git cat-file --batch``), plus the few
files the checker and the history guard need; the working tree is never touched. The
comparison starts at the merge base of BASE and HEAD, like a pull request's diff.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import model as model_mod
from ..findings import ERROR, Finding
from ..load import Record, classify, parse_bytes
from ..redact import redact
from ..schema import PACKAGE_SCHEMAS, bundled
from . import codeowners, highlights, history, references, subset
from .diff import Diff, FieldChange, SchemaView, diff
from .gitio import Change, Git

STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed"}
KIND_TITLES = {
    "source": "来源文件",
    "county": "区县",
    "organization": "帮扶主体",
    "campaign": "专项行动",
    "policy": "政策参数",
    "household": "户",
    "plan": "结对帮扶方案",
    "report": "进度报告",
}


@dataclass(slots=True)
class RecordChange:
    status: str
    kind: str | None
    id: str | None
    name: str | None  # a public name (never for households)
    old_path: str | None
    new_path: str | None
    fields: list[FieldChange] = field(default_factory=list)
    unreadable: bool = False  # one side could not be parsed (the checker says why)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def kind_title(self) -> str:
        return KIND_TITLES.get(self.kind or "", "文件")


@dataclass(slots=True)
class Approval:
    handles: tuple[str, ...]
    county: str | None
    county_name: str
    maintainers: bool  # routed to the maintainers (no county, or a county without supervisors)
    files: list[str] = field(default_factory=list)
    unsupervised: list[str] = field(default_factory=list)  # counties that name no supervisors yet


@dataclass(slots=True)
class Review:
    base: str
    head: str
    base_sha: str
    head_sha: str
    merge_base: str
    records: list[RecordChange]
    other_files: list[Change]
    highlights: list[highlights.Highlight]
    history: list[Finding]
    findings: list[Finding]
    approvals: list[Approval]
    files_checked: int = 0

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.history + self.findings if f.severity == ERROR]


def _record(path: str, raw: bytes | None) -> Record | None:
    if raw is None:
        return None
    rel = tuple(path.split("/")[1:])
    kind = classify(rel) if path.endswith(".yaml") else None
    rec = Record(kind=kind, file=path, rel=rel)
    return parse_bytes(rec, raw) if kind else rec


def _name(kind: str | None, rec: Record | None) -> str | None:
    if rec is None or kind == "household" or not isinstance(rec.data, dict):
        return None
    n = rec.data.get("name") or rec.data.get("title")
    return n if isinstance(n, str) else None


def build(repo: str | Path, base: str, head: str, as_of: dt.date) -> Review:
    git = Git(repo)
    base_sha, head_sha = git.resolve(base), git.resolve(head)
    start = git.merge_base(base_sha, head_sha)
    changes = git.changes(start, head_sha)
    data = [c for c in changes if (c.new or c.old or "").startswith("data/")]
    other = [c for c in changes if c not in data]
    old_blobs = git.read(start, [c.old for c in data if c.old])
    new_blobs = git.read(head_sha, [c.new for c in data if c.new])
    head_paths = git.ls_tree(head_sha, "data")

    with tempfile.TemporaryDirectory(prefix="bangfu-review-") as tmp:
        result, cfg = subset.check_changed(
            git,
            head_sha,
            [c.new for c in data if c.new],
            head_paths,
            as_of,
            Path(tmp),
            PACKAGE_SCHEMAS,
        )
        schemas = bundled(cfg.schemas_dir)
    pairs: list[history.Pair] = []
    records: list[RecordChange] = []
    for c in data:
        old = _record(c.old, old_blobs.get(c.old)) if c.old else None
        new = _record(c.new, new_blobs.get(c.new)) if c.new else None
        kind = (new or old).kind if (new or old) else None
        pair = history.Pair(STATUS[c.status], kind, old, new)
        if (
            kind
            and c.status in "MR"
            and old is not None
            and new is not None
            and isinstance(old.data, dict)
            and isinstance(new.data, dict)
        ):
            pair.diff = diff(SchemaView(schemas[kind]), old.data, new.data)
        elif kind and c.status in "MR":
            pair.diff = Diff()
        pairs.append(pair)
        side = new if new is not None else old
        records.append(
            RecordChange(
                pair.status,
                kind,
                side.id if side else None,
                _name(kind, side),
                c.old,
                c.new,
                pair.diff.changes if pair.diff else [],
                any(r is not None and r.kind and not isinstance(r.data, dict) for r in (old, new)),
            )
        )

    guard = history.guard(pairs)
    deleted = [
        p.old for p in pairs if p.old is not None and (p.new is None or p.new.id != p.old.id)
    ]
    guard += references.deleted_still_referenced(git, head_sha, deleted, head_paths)
    sides = [r for p in pairs for r in (p.old, p.new) if r is not None]
    guard = redact(guard, sides, schemas)  # no private text of either side leaves
    model = model_mod.build(result.records)
    notes = highlights.collect(pairs, model)
    return Review(
        base,
        head,
        base_sha,
        head_sha,
        start,
        records,
        other,
        notes,
        sorted(guard, key=Finding.sort_key),
        result.findings,
        _approvals(git, start, changes, pairs),
        result.files_checked,
    )


def _approvals(git: Git, start: str, changes: list[Change], pairs) -> list[Approval]:
    """Routing from the base commit: the trusted supervisors and maintainers, not the ones a
    pull request might write in."""
    paths = sorted({p for c in changes for p in (c.old, c.new) if p})
    counties = {
        p.split("/")[2]
        for p in paths
        if p.startswith(("data/households/", "data/plans/")) and p.count("/") >= 3
    }
    org_county: dict[str, str] = {}
    for p in pairs:
        for rec in (p.old, p.new):
            if (
                rec is not None
                and rec.kind == "organization"
                and isinstance(rec.data, dict)
                and isinstance(rec.data.get("county"), str)
            ):
                org_county.setdefault(rec.file, rec.data["county"])
    counties |= set(org_county.values())
    wanted = [f"data/counties/{c}.yaml" for c in sorted(counties)] + [codeowners.MAINTAINERS_FILE]
    blobs = git.read(start, wanted)
    raw = blobs.pop(codeowners.MAINTAINERS_FILE, None)
    routing = codeowners.Routing(
        codeowners.parse_maintainers(raw.decode("utf-8", "replace") if raw is not None else None)
    )
    for path, blob in blobs.items():
        rec = _record(path, blob)
        if rec is not None and isinstance(rec.data, dict) and rec.id:
            routing.supervisors[rec.id] = codeowners.handles(rec.data.get("supervisors"))
            routing.county_names[rec.id] = str(rec.data.get("name") or "")
    groups: dict[tuple, Approval] = {}
    for path in paths:
        owners, county = routing.owners(path, org_county.get(path))
        by_maint = not (county and routing.supervisors.get(county))
        key = (owners, None if by_maint else county)
        if key not in groups:
            groups[key] = Approval(
                owners,
                county if not by_maint else None,
                routing.county_names.get(county or "", "") if not by_maint else "",
                by_maint,
            )
        groups[key].files.append(path)
        if by_maint and county and county not in groups[key].unsupervised:
            groups[key].unsupervised.append(county)
    return sorted(groups.values(), key=lambda a: (a.maintainers, a.county or ""))
