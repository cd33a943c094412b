"""Ids are unique and match the file's path; records sit in their county's folder."""

from __future__ import annotations

from collections.abc import Iterator

from ..codes import (
    ID_DUPLICATE,
    ID_MISMATCH_PATH,
    PATH_WRONG_COUNTY,
    PATH_WRONG_PLAN,
    PATH_WRONG_VILLAGE,
)
from ..findings import Finding
from ..model import Model
from ..record import expected_stem
from ..schema import id_pattern
from .base import at

_KIND_NAMES = {
    "county": "区县",
    "township": "乡镇",
    "village": "村",
    "household": "户",
    "organization": "帮扶主体",
    "campaign": "专项行动",
    "plan": "方案",
    "policy": "政策参数",
    "source": "来源文件",
}


def check(model: Model, ctx) -> Iterator[Finding]:
    for rec, parts, kind, first in model.duplicates:
        value = rec.data
        for p in parts:
            value = value[p]
        yield at(
            rec,
            ID_DUPLICATE,
            parts,
            f"{_KIND_NAMES.get(kind, kind)}编号 {value} 已在 {first.file} 中使用",
        )
    for rec in model.records:
        if rec.kind is None or not isinstance(rec.data, dict):
            continue
        rid = rec.data.get("id")
        if not isinstance(rid, str) or not id_pattern().fullmatch(rid.lower()):
            continue  # the schema reports a missing or malformed id
        want = expected_stem(rec.rel, rec.kind)
        if rid != want:
            yield at(rec, ID_MISMATCH_PATH, ("id",), f"编号 {rid} 与文件位置要求的 {want} 不一致")
        yield from _placement(model, rec)


def _placement(model: Model, rec) -> Iterator[Finding]:
    d = rec.data
    if rec.kind == "household":
        village = (
            model.villages.get(d.get("village")) if isinstance(d.get("village"), str) else None
        )
        if village is None:
            return
        if rec.rel[1] != village.county:
            yield at(
                rec,
                PATH_WRONG_COUNTY,
                ("village",),
                f"本户所在村不属于区县 {rec.rel[1]}，文件却在 households/{rec.rel[1]}/ 下",
            )
        elif rec.rel[2] != village.id:
            yield at(
                rec,
                PATH_WRONG_VILLAGE,
                ("village",),
                f"本户所在村与文件所在的文件夹 households/{rec.rel[1]}/{rec.rel[2]}/ 不一致",
            )
    elif rec.kind == "plan":
        county = d.get("county")
        if isinstance(county, str) and rec.rel[1] != county:
            yield at(
                rec,
                PATH_WRONG_COUNTY,
                ("county",),
                f"方案属于区县 {county}，文件却在 plans/{rec.rel[1]}/ 下",
            )
    elif rec.kind == "report":
        plan = d.get("plan")
        if isinstance(plan, str) and rec.rel[2] != plan:
            yield at(
                rec,
                PATH_WRONG_PLAN,
                ("plan",),
                f"报告属于方案 {plan}，文件却在 plans/{rec.rel[1]}/{rec.rel[2]}/ 下",
            )
