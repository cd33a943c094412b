"""Records that say less than they seem to: a progress report with no entries that does not
declare a period without activity (or is still a skeleton), and provenance notes about fields the record lacks."""

from __future__ import annotations

from collections.abc import Iterator

from ..codes import RECORD_PROVENANCE_FIELD, REPORT_NO_ENTRIES
from ..findings import Finding
from ..model import Model
from ..schemacheck import has_placeholder
from .base import at


def counts_as_filed(report: dict) -> bool:
    """A report is filed for its period when it lists activity, or declares explicitly that
    there was none (``no_activity: true`` with a reason). An empty skeleton is not filed."""
    if not isinstance(report, dict):
        return False
    if not report.get("entries") and not (
        report.get("no_activity") is True and report.get("no_activity_reason")
    ):
        return False
    return not has_placeholder(report)


def _has_field(data, dotted: str) -> bool:
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def check(model: Model, ctx) -> Iterator[Finding]:
    for rec in model.records:
        d = rec.data
        if rec.kind is None or not isinstance(d, dict):
            continue
        for i, p in enumerate(d.get("provenance") or []):
            field = p.get("field") if isinstance(p, dict) else None
            if isinstance(field, str) and not _has_field(d, field):
                yield at(
                    rec,
                    RECORD_PROVENANCE_FIELD,
                    ("provenance", i, "field"),
                    f"推定说明指向的字段 {field} 在本记录中不存在",
                )
        if rec.kind == "report" and d.get("entries") == [] and not counts_as_filed(d):
            yield at(
                rec,
                REPORT_NO_ENTRIES,
                ("entries",),
                "本期没有任何条目，也没有写明本期无活动（no_activity）",
            )
