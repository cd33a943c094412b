"""``bangfu review BASE HEAD``: what a pull request changes, record by record.

Only the changed files are read at both commits (``git cat-file --batch``), plus the few
files the checker and the history guard need; the working tree is never touched. The
comparison starts at the merge base of BASE and HEAD, like a pull request's diff. The rules
come from BASE: its schemas (privacy classes, validation) and its policy records, so a pull
request cannot change what it is judged by; changes to code, schemas and policy are marked for
the maintainers, policy changes with their effect in counts (``effects``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..codes import REVIEW_CACHE_COMMITTED, REVIEW_POLICY_CHANGED, REVIEW_RULES_CHANGED, make
from ..findings import ERROR, Finding
from ..record import Record
from ..redact import redact
from ..schema import PACKAGE_SCHEMAS, bundled
from . import codeowners, effects, highlights, history, ledger, references, subset
from .diff import FieldChange
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


def _name(kind: str | None, rec: Record | None) -> str | None:
    if rec is None or kind == "household" or not isinstance(rec.data, dict):
        return None
    n = rec.data.get("name") or rec.data.get("title")
    return n if isinstance(n, str) else None


def build(
    repo: str | Path, base: str, head: str, as_of: dt.date, identities: list | None = None
) -> Review:
    """The review of ``head`` against ``base``, judged by the base commit's rules: its
    schemas classify fields as public or private and validate the records, and its policy
    (``data/policy/``, campaigns) is the one the records are checked against. The pull
    request's own schemas, policy and code are only data here (see ``rules_changed``).
    ``identities`` (``--private --key``) name the private fields changed inside the sealed
    values they open (``opened.detail``), never their values."""
    git = Git(repo)
    base_sha, head_sha = git.resolve(base), git.resolve(head)
    start = git.merge_base(base_sha, head_sha)
    changes = git.changes(start, head_sha)
    data = [c for c in changes if (c.new or c.old or "").startswith("data/")]
    other = [c for c in changes if not (c.new or c.old or "").startswith("data/")]
    old_blobs = git.read(start, [c.old for c in data if c.old])
    new_blobs = git.read(head_sha, [c.new for c in data if c.new])
    head_tree = git.tree(head_sha, "data")
    head_paths = ledger.visible(head_tree.files)  # no symlinks, no hidden files
    # files that are not records (hidden, outside the layout, symlinks, …) are findings here
    to_check, layout = ledger.added_files(git, head_sha, changes)

    with tempfile.TemporaryDirectory(prefix="bangfu-review-") as tmp:
        trusted = _base_schemas(git, base_sha, Path(tmp) / "base")
        schemas = bundled(trusted)
        policy_files = [p for p in to_check if _policy_path(p)]
        in_force = _policy_in_force(git, base_sha, head_paths, data)
        checked = subset.check_changed(
            git,
            head_sha,
            [p for p in to_check if not _policy_path(p)],
            head_paths,
            as_of,
            Path(tmp) / "verdict",
            trusted,
            in_force,
        )
        result = checked.result
        findings, files_checked = list(result.findings), result.files_checked
        if policy_files:  # the proposed policy records themselves, under the base schemas
            own = subset.check_changed(
                git, head_sha, policy_files, head_paths, as_of, Path(tmp) / "policy", trusted
            ).result
            findings += own.findings
            files_checked += own.files_checked
        views = history.views(schemas)
        pairs, records = _pairs(data, old_blobs, new_blobs, views)
        if identities:
            from .opened import detail

            detail(records, pairs, views, identities)
        notes = highlights.collect(pairs, checked.model)
        changed_policy = [p for p in pairs if _policy_change(p)]
        if changed_policy:
            effect = effects.policy_effect(
                git, head_sha, in_force, trusted, as_of, Path(tmp) / "effect"
            )
            notes += highlights.policy(changed_policy, effect)
            findings += [_policy_finding(p) for p in changed_policy]
    findings += rules_changed(other) + layout

    verdict = history.review(git, start, head_sha, changes, head_tree.files, views, pairs)
    guard = verdict.findings
    guard += references.deleted_still_referenced(git, head_sha, verdict.deleted, head_paths)
    sides = [r for p in pairs for r in (p.old, p.new) if r is not None]
    guard = redact(guard, sides, schemas)  # no private text of either side leaves
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
        sorted(findings, key=Finding.sort_key),
        _approvals(git, start, changes, pairs),
        files_checked,
    )


def _pairs(data: list[Change], old_blobs, new_blobs, views):
    pairs: list[history.Pair] = []
    records: list[RecordChange] = []
    for c in data:
        # a file that is no record (hidden, symlink, too large, …) has no kind or no data
        old = history.record_at(c.old, old_blobs.get(c.old)) if c.old else None
        new = history.record_at(c.new, new_blobs.get(c.new)) if c.new else None
        pair = history.pair(STATUS[c.status], old, new, views)
        kind = pair.kind
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
    return pairs, records


# --- the rules a pull request is judged by come from the base commit ---------------------

POLICY_FOLDERS = ("data/policy/", "data/campaigns/")
# campaign fields that decide what records must do (deadlines, cadences, quotas, scope)
CAMPAIGN_POLICY_FIELDS = frozenset(
    {"period", "phases", "reporting", "forms", "quotas", "counties", "targets", "totals"}
)
CACHE_FOLDER = ".bangfu-cache/"


def _base_schemas(git: Git, base_sha: str, dest: Path) -> Path:
    """The base commit's ``schemas/`` written to ``dest``; the tool's own schemas when the
    base commit has none (a repository that predates them)."""
    git.extract(base_sha, "schemas", dest)
    found = dest / "schemas"
    return found if (found / "common.schema.json").is_file() else PACKAGE_SCHEMAS


def _policy_path(path: str) -> bool:
    return path.startswith(POLICY_FOLDERS)


def _policy_in_force(
    git: Git, base_sha: str, head_paths: list[str], data: list[Change]
) -> dict[str, bytes | None]:
    """Files to put over head's records so that they are judged by the base commit's policy:
    every policy record as in base (head's new ones left out), and every campaign the pull
    request changes or deletes as in base (a new campaign only governs its new plans)."""
    base_policy = git.ls_tree(base_sha, "data/policy")
    campaigns = sorted(
        {p for c in data for p in (c.old, c.new) if p and p.startswith("data/campaigns/")}
    )
    blobs = git.read(base_sha, base_policy + campaigns)
    out: dict[str, bytes | None] = {p: None for p in head_paths if p.startswith("data/policy/")}
    out.update({p: raw for p, raw in blobs.items() if raw is not None})
    for c in data:  # a moved campaign stays where base had it
        if c.old and c.new and c.old != c.new and out.get(c.old) is not None:
            out.setdefault(c.new, None)
    return out


def _policy_change(p: history.Pair) -> bool:
    """A change to a policy record, or to a campaign's policy-bearing fields."""
    if p.kind == "policy":
        return True
    if p.kind != "campaign":
        return False
    if p.status in ("added", "removed") or p.diff is None:
        return True
    return any(
        str((ch.new_parts or ch.old_parts or ("",))[0]) in CAMPAIGN_POLICY_FIELDS
        for ch in p.diff.changes
    )


def _policy_finding(p: history.Pair) -> Finding:
    rec = p.record
    what = "政策参数" if p.kind == "policy" else "专项行动的政策字段（期限、报送周期、名额等）"
    return make(
        REVIEW_POLICY_CHANGED,
        rec.file,
        f"改动了{what}（{rec.id or rec.file}）：本次仍按目标分支现行的政策检查记录，"
        "改动的影响见“重点关注”；合并需维护者批准",
    )


def rules_changed(other: list[Change]) -> list[Finding]:
    """Files outside ``data/`` (code, tests, workflows, schemas, build files) are judged by the
    base commit's tool and never run by the check: one warning per top-level folder, so the
    maintainers see them. A committed parse cache is refused: a verdict never rests on it."""
    out: list[Finding] = []
    areas: dict[str, list[str]] = {}
    for c in other:
        path = c.new or c.old or ""
        if c.new and path.startswith(CACHE_FOLDER):
            out.append(
                make(
                    REVIEW_CACHE_COMMITTED,
                    path,
                    "提交了检查缓存文件（.bangfu-cache）：缓存只能由检查在本地生成，不能提交",
                )
            )
            continue
        areas.setdefault(path.split("/", 1)[0] if "/" in path else path, []).append(path)
    for area, paths in sorted(areas.items()):
        out.append(
            make(
                REVIEW_RULES_CHANGED,
                paths[0],
                f"改动了 {area} 下的 {len(paths)} 个文件（代码、schemas 或工作流）："
                "本次检查和摘要仍按目标分支的代码和规则生成，合并需维护者批准",
            )
        )
    return out


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
        rec = history.record_at(path, blob)
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
