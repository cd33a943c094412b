"""Deleting a record that others still point at: find the references at head without
loading the whole repository — ``git grep`` narrows the files, then only those are parsed."""

from __future__ import annotations

from collections.abc import Iterator

from ..codes import HISTORY_REFERENCED_RECORD_DELETED, make
from ..findings import Finding, json_path
from ..readone import parse_bytes
from ..record import Record, classify, expected_stem
from .gitio import Git

KIND_NAMES = {
    "county": "区县",
    "household": "户",
    "organization": "帮扶主体",
    "campaign": "专项行动",
    "plan": "方案",
    "source": "来源文件",
    "policy": "政策参数",
    "report": "进度报告",
}
# which folders can hold a reference to a record of each kind
_WHERE = {
    "household": ("data/plans",),
    "organization": ("data/plans",),
    "plan": ("data/plans",),
    "campaign": ("data/plans",),
    "source": ("data",),
    "county": ("data",),
}


def refs_of(kind: str | None, d) -> Iterator[tuple[str, str, tuple]]:
    """(target kind, id, where) for every reference the record makes."""
    if not isinstance(d, dict):
        return
    for i, s in enumerate(d.get("sources") or []):
        if isinstance(s, dict) and isinstance(s.get("document"), str):
            yield "source", s["document"], ("sources", i, "document")
    if kind == "organization" and isinstance(d.get("county"), str):
        yield "county", d["county"], ("county",)
    elif kind == "campaign":
        for i, c in enumerate(d.get("counties") or []):
            if isinstance(c, str):
                yield "county", c, ("counties", i)
        for key in ("quotas", "targets"):
            for i, q in enumerate(d.get(key) or []):
                if isinstance(q, dict) and isinstance(q.get("county"), str):
                    yield "county", q["county"], (key, i, "county")
    elif kind == "policy":
        scope = d.get("scope")
        if isinstance(scope, dict) and isinstance(scope.get("county"), str):
            yield "county", scope["county"], ("scope", "county")
    elif kind == "plan":
        for key, target in (("county", "county"), ("campaign", "campaign")):
            if isinstance(d.get(key), str):
                yield target, d[key], (key,)
        for i, o in enumerate(d.get("organizations") or []):
            if isinstance(o, str):
                yield "organization", o, ("organizations", i)
        targets = d.get("targets")
        if isinstance(targets, dict):
            for i, h in enumerate(targets.get("households") or []):
                if isinstance(h, str):
                    yield "household", h, ("targets", "households", i)
    elif kind == "report":
        if isinstance(d.get("plan"), str):
            yield "plan", d["plan"], ("plan",)
        for i, e in enumerate(d.get("entries") or []):
            if isinstance(e, dict) and isinstance(e.get("household"), str):
                yield "household", e["household"], ("entries", i, "household")


def stems(paths: list[str]) -> dict[str, set[str]]:
    """kind → ids present, read from the paths alone (an id always equals its file's stem)."""
    out: dict[str, set[str]] = {}
    for p in paths:
        rel = tuple(p.split("/")[1:])
        kind = classify(rel) if p.endswith(".yaml") else None
        if kind:
            out.setdefault(kind, set()).add(expected_stem(rel, kind))
    return out


def deleted_still_referenced(
    git: Git, head: str, deleted: list[Record], head_paths: list[str]
) -> list[Finding]:
    """Findings for records removed at head whose id something at head still references."""
    present = stems(head_paths)
    gone: dict[tuple[str, str], Record] = {}
    for rec in deleted:
        if rec.kind not in _WHERE:
            continue
        rid = rec.id or expected_stem(rec.rel, rec.kind)
        if rid not in present.get(rec.kind, set()):
            gone[(rec.kind, rid)] = rec
    if not gone:
        return []
    out: list[Finding] = []
    # a county's households and plans live in folders named after it
    for (kind, rid), rec in gone.items():
        if kind == "county":
            for p in head_paths:
                if p.startswith((f"data/households/{rid}/", f"data/plans/{rid}/")):
                    out.append(
                        make(
                            HISTORY_REFERENCED_RECORD_DELETED,
                            rec.file,
                            f"删除了区县 {rid}，但 {p} 等记录仍在该区县的文件夹中",
                        )
                    )
                    break
    prefixes = sorted({w for kind, _ in gone for w in _WHERE[kind]})
    if "data" in prefixes:
        prefixes = ["data"]
    words = sorted({rid for _, rid in gone})
    candidates = [p for p in git.grep(head, words, prefixes) if p.endswith(".yaml")]
    blobs = git.read(head, candidates)
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(candidates):
        raw = blobs.get(path)
        if raw is None:
            continue
        rel = tuple(path.split("/")[1:])
        rec = parse_bytes(Record(kind=classify(rel), file=path, rel=rel), raw)
        for kind, rid, parts in refs_of(rec.kind, rec.data):
            if (kind, rid) in gone:
                found.setdefault((kind, rid), []).append(f"{path} 的 {json_path(parts)}")
    for key, where in sorted(found.items()):
        more = f" 等 {len(where)} 处" if len(where) > 3 else ""
        out.append(
            make(
                HISTORY_REFERENCED_RECORD_DELETED,
                gone[key].file,
                f"删除了{KIND_NAMES.get(key[0], key[0])} {key[1]}，但 "
                f"{'、'.join(where[:3])}{more}仍引用它",
            )
        )
    return out
