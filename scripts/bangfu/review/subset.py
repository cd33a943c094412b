"""The checker's findings for the changed files, without checking the whole repository.

Only what the rules need to judge the changed files is written out from the head commit
into a temporary folder: the small reference kinds (sources, counties, organizations,
campaigns, policy), the changed files, the plans their reports belong to, the households
they name, and any file that could share a changed record's id. The pipeline's check then
runs there, restricted to the changed files, with the schemas (and policy) the caller
trusts — the base commit's.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..pipeline import Pipeline
from ..readone import parse_bytes
from ..record import Record, classify, expected_stem
from .gitio import Git, write_files

SMALL = (
    "data/sources/",
    "data/counties/",
    "data/organizations/",
    "data/campaigns/",
    "data/policy/",
)


def _kind(path: str) -> str | None:
    return classify(tuple(path.split("/")[1:])) if path.endswith(".yaml") else None


def _needed(git: Git, head: str, changed: list[str], head_paths: list[str]) -> set[str]:
    by_stem: dict[tuple[str, str], list[str]] = {}
    plan_of_folder: dict[str, str] = {}
    for p in head_paths:
        kind = _kind(p)
        if kind in ("household", "plan"):
            by_stem.setdefault((kind, expected_stem(tuple(p.split("/")[1:]), kind)), []).append(p)
        if kind == "plan":
            plan_of_folder[p.rsplit("/", 1)[0]] = p
    need = {p for p in head_paths if p.startswith(SMALL)} | set(changed)
    blobs = git.read(head, [p for p in changed if _kind(p) in ("report", "plan")])
    for p in changed:
        kind = _kind(p)
        if kind is None:
            continue
        rel = tuple(p.split("/")[1:])
        if kind in ("household", "plan"):  # records that may carry the same id
            need.update(by_stem.get((kind, expected_stem(rel, kind)), ()))
        raw = blobs.get(p)
        if kind not in ("report", "plan") or raw is None:
            continue
        d = parse_bytes(Record(kind=kind, file=p, rel=rel), raw).data
        if not isinstance(d, dict):
            continue
        ids: list = []  # checked one by one below: the record may not be valid
        if kind == "report":
            folder = p.rsplit("/", 2)[0]
            if folder in plan_of_folder:
                need.add(plan_of_folder[folder])
            if isinstance(d.get("plan"), str):
                need.update(by_stem.get(("plan", d["plan"]), ()))
            ids = [e.get("household") for e in d.get("entries") or [] if isinstance(e, dict)]
        else:
            t = d.get("targets")
            ids = list(t.get("households") or []) if isinstance(t, dict) else []
        for h in ids:
            if isinstance(h, str):
                need.update(by_stem.get(("household", h), ()))
    return need


def check_changed(
    git: Git,
    head: str,
    changed: list[str],
    head_paths: list[str],
    as_of,
    workdir: Path,
    schemas: Path,
    overlay: dict[str, bytes | None] | None = None,
) -> Pipeline:
    """The pipeline over a minimal checkout of ``head`` written into ``workdir`` (use it while
    ``workdir`` exists); its check reports findings only for ``changed``. ``schemas`` are the trusted ones (the base commit's, never head's),
    and ``overlay`` replaces, adds or (None) leaves out files: the base commit's policy
    records, so that a pull request is judged by the policy in force, not the one it proposes."""
    need = sorted(_needed(git, head, changed, head_paths))
    blobs = git.read(head, need)
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    write_files(workdir, {p: raw for p, raw in blobs.items() if raw is not None})
    write_files(workdir, overlay or {})  # None: left out
    cfg = Config((workdir / "data").resolve(), schemas.resolve(), as_of)
    return Pipeline(cfg, [workdir / p for p in changed if (workdir / p).is_file()])
