"""Where each kind of record lives under ``data/``: the one declaration of the layout.

A pattern is a path relative to the data folder, one part per folder or file name. A part
holding ``{name}`` stands for any one name; ``{id}`` marks the part that must equal the
record's id (``id.mismatch-path``): the file name without ``.yaml``, or, for a plan, its
folder. The loader's classification (``load.classify``), ``bangfu new`` (``scaffold``), the
data dictionary and the README table "记录放在哪里" (``bangfu docs``) all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Place:
    kind: str
    pattern: str
    label: str  # what the README calls the records
    id_label: str = "编号"  # what the README calls the {id} part
    note: str = ""  # said after the path in the README

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.pattern.split("/"))


LAYOUT: tuple[Place, ...] = (
    Place("source", "sources/{id}.yaml", "来源文件"),
    Place("county", "counties/{id}.yaml", "区县（含乡镇、村）"),
    Place("organization", "organizations/{id}.yaml", "帮扶主体"),
    Place("campaign", "campaigns/{id}.yaml", "专项行动"),
    Place("policy", "policy/{id}.yaml", "政策参数"),
    Place("household", "households/{county}/{village}/{id}.yaml", "帮扶户（监测户）"),
    Place("plan", "plans/{county}/{id}/plan.yaml", "结对方案", id_label="方案"),
    Place(
        "report",
        "plans/{county}/{plan}/reports/{id}.yaml",
        "进度报告",
        id_label="报送期",
        note="（每期一个文件，只追加）",
    ),
)
PLACES = {p.kind: p for p in LAYOUT}
# how the README names the other {name} parts
PART_LABELS = {"county": "区县", "village": "村", "plan": "方案"}


def _wild(part: str) -> bool:
    return "{" in part


def _shapes() -> dict[tuple[int, str], list[tuple[str, tuple[tuple[int, str], ...]]]]:
    """(number of parts, first part) → [(kind, the other fixed parts as (index, name))]."""
    out: dict = {}
    for p in LAYOUT:
        parts = p.parts
        assert not _wild(parts[0]), p.pattern  # the first folder names the kind
        fixed = tuple((i, s) for i, s in enumerate(parts) if i and not _wild(s))
        out.setdefault((len(parts), parts[0]), []).append((p.kind, fixed))
    return out


_SHAPES = _shapes()
_ID_AT = {
    p.kind: next((i, s[len("{id}") :]) for i, s in enumerate(p.parts) if s.startswith("{id}"))
    for p in LAYOUT
}


def kind_of(rel: tuple[str, ...]) -> str | None:
    """The record kind whose pattern a path (parts relative to the data folder) fits, or
    None. A ``{…}.yaml`` part takes any name here: a wrong suffix is a finding of its own."""
    if not rel:
        return None
    for kind, fixed in _SHAPES.get((len(rel), rel[0]), ()):
        if all(rel[i] == s for i, s in fixed):
            return kind
    return None


def id_of(rel: tuple[str, ...], kind: str) -> str:
    """The id a record of ``kind`` at ``rel`` must carry."""
    i, suffix = _ID_AT[kind]
    return rel[i][: len(rel[i]) - len(suffix)]


def path_of(kind: str, **names: str) -> Path:
    """The path (relative to the data folder) of a record of ``kind``: ``names`` fill in the
    pattern's parts, e.g. ``path_of("report", county=…, plan=…, id="2020-04")``."""
    return Path(*(s.format(**names) for s in PLACES[kind].parts))


def readme_table() -> str:
    """The README's "记录放在哪里" table."""
    out = ["| 记录 | 文件 |", "| --- | --- |"]
    for p in LAYOUT:
        labels = {**PART_LABELS, "id": p.id_label}
        shown = p.pattern.format(**{k: f"<{v}>" for k, v in labels.items()})
        out.append(f"| {p.label} | `data/{shown}`{p.note} |")
    return "\n".join(out) + "\n"
