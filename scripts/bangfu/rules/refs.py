"""Every reference resolves: households → villages, plans → campaign/organizations/targets,
reports → plan, report entries → a target of that plan, anything → sources and counties."""

from __future__ import annotations

from collections.abc import Iterator

from ..codes import (
    REF_NOT_A_TARGET,
    REF_UNKNOWN_CAMPAIGN,
    REF_UNKNOWN_COUNTY,
    REF_UNKNOWN_HOUSEHOLD,
    REF_UNKNOWN_ORGANIZATION,
    REF_UNKNOWN_PLAN,
    REF_UNKNOWN_SOURCE,
    REF_UNKNOWN_VILLAGE,
    Code,
)
from ..findings import Finding
from ..model import Model
from ..schemacheck import is_placeholder
from .base import at


def _ref(model: Model, rec, parts, value, kind: str, code: Code, label: str):
    if not isinstance(value, str) or is_placeholder(value):  # reported as record.placeholder
        return None
    if not model.known(kind, value):
        return at(rec, code, parts, f"{label} {value} 不存在")
    return None


def check(model: Model, ctx) -> Iterator[Finding]:
    for rec in model.records:
        d = rec.data
        if rec.kind is None or not isinstance(d, dict):
            continue
        found = []
        for i, s in enumerate(d.get("sources") or []):
            if isinstance(s, dict):
                found.append(
                    _ref(
                        model,
                        rec,
                        ("sources", i, "document"),
                        s.get("document"),
                        "source",
                        REF_UNKNOWN_SOURCE,
                        "来源文件",
                    )
                )
        k = rec.kind
        if k == "household":
            found.append(
                _ref(
                    model,
                    rec,
                    ("village",),
                    d.get("village"),
                    "village",
                    REF_UNKNOWN_VILLAGE,
                    "村",
                )
            )
        elif k == "organization":
            found.append(
                _ref(model, rec, ("county",), d.get("county"), "county", REF_UNKNOWN_COUNTY, "区县")
            )
        elif k == "campaign":
            for i, c in enumerate(d.get("counties") or []):
                found.append(
                    _ref(model, rec, ("counties", i), c, "county", REF_UNKNOWN_COUNTY, "区县")
                )
            for field in ("quotas", "targets"):
                for i, q in enumerate(d.get(field) or []):
                    if isinstance(q, dict):
                        found.append(
                            _ref(
                                model,
                                rec,
                                (field, i, "county"),
                                q.get("county"),
                                "county",
                                REF_UNKNOWN_COUNTY,
                                "区县",
                            )
                        )
        elif k == "policy":
            scope = d.get("scope") or {}
            if isinstance(scope, dict):
                found.append(
                    _ref(
                        model,
                        rec,
                        ("scope", "county"),
                        scope.get("county"),
                        "county",
                        REF_UNKNOWN_COUNTY,
                        "区县",
                    )
                )
        elif k == "plan":
            found.extend(_plan(model, rec, d))
        elif k == "report":
            found.extend(_report(model, rec, d))
        yield from (f for f in found if f is not None)


def _plan(model: Model, rec, d):
    yield _ref(model, rec, ("county",), d.get("county"), "county", REF_UNKNOWN_COUNTY, "区县")
    yield _ref(
        model, rec, ("campaign",), d.get("campaign"), "campaign", REF_UNKNOWN_CAMPAIGN, "专项行动"
    )
    for i, o in enumerate(d.get("organizations") or []):
        yield _ref(
            model,
            rec,
            ("organizations", i),
            o,
            "organization",
            REF_UNKNOWN_ORGANIZATION,
            "帮扶主体",
        )
    targets = d.get("targets") or {}
    if isinstance(targets, dict):
        for i, v in enumerate(targets.get("villages") or []):
            yield _ref(
                model, rec, ("targets", "villages", i), v, "village", REF_UNKNOWN_VILLAGE, "村"
            )
        for i, h in enumerate(targets.get("households") or []):
            yield _ref(
                model,
                rec,
                ("targets", "households", i),
                h,
                "household",
                REF_UNKNOWN_HOUSEHOLD,
                "户",
            )


def _report(model: Model, rec, d):
    plan_id = d.get("plan")
    if not isinstance(plan_id, str):
        return
    plan = model.get("plan", plan_id)
    if plan is None:
        if plan_id in model.broken["plan"]:
            return
        yield at(rec, REF_UNKNOWN_PLAN, ("plan",), f"方案 {plan_id} 不存在")
        return
    targets = plan.data.get("targets") or {}
    villages = set(targets.get("villages") or []) if isinstance(targets, dict) else set()
    households = set(targets.get("households") or []) if isinstance(targets, dict) else set()
    for i, e in enumerate(d.get("entries") or []):
        if not isinstance(e, dict):
            continue
        h, v = (None if is_placeholder(x) else x for x in (e.get("household"), e.get("village")))
        if isinstance(h, str):
            if not model.known("household", h):
                yield at(rec, REF_UNKNOWN_HOUSEHOLD, ("entries", i, "household"), f"户 {h} 不存在")
            elif h not in households and model.exists("household", h):
                yield at(
                    rec,
                    REF_NOT_A_TARGET,
                    ("entries", i, "household"),
                    f"户 {h} 不是方案 {plan_id} 的帮扶户",
                )
        if isinstance(v, str):
            if not model.known("village", v):
                yield at(rec, REF_UNKNOWN_VILLAGE, ("entries", i, "village"), f"村 {v} 不存在")
            elif v not in villages and v in model.villages:
                yield at(
                    rec,
                    REF_NOT_A_TARGET,
                    ("entries", i, "village"),
                    f"村 {v} 不是方案 {plan_id} 的帮扶村",
                )
