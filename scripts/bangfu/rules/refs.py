"""Every reference resolves: households → villages, plans → campaign/organizations/targets,
reports → plan, report entries → a target of that plan, anything → sources and counties."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding
from ..model import Model
from ..schema import is_placeholder
from .base import at


def _ref(model: Model, rec, parts, value, kind: str, code: str, label: str):
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
                        "ref.unknown-source",
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
                    "ref.unknown-village",
                    "村",
                )
            )
        elif k == "organization":
            found.append(
                _ref(
                    model, rec, ("county",), d.get("county"), "county", "ref.unknown-county", "区县"
                )
            )
        elif k == "campaign":
            for i, c in enumerate(d.get("counties") or []):
                found.append(
                    _ref(model, rec, ("counties", i), c, "county", "ref.unknown-county", "区县")
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
                                "ref.unknown-county",
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
                        "ref.unknown-county",
                        "区县",
                    )
                )
        elif k == "plan":
            found.extend(_plan(model, rec, d))
        elif k == "report":
            found.extend(_report(model, rec, d))
        yield from (f for f in found if f is not None)


def _plan(model: Model, rec, d):
    yield _ref(model, rec, ("county",), d.get("county"), "county", "ref.unknown-county", "区县")
    yield _ref(
        model, rec, ("campaign",), d.get("campaign"), "campaign", "ref.unknown-campaign", "专项行动"
    )
    for i, o in enumerate(d.get("organizations") or []):
        yield _ref(
            model,
            rec,
            ("organizations", i),
            o,
            "organization",
            "ref.unknown-organization",
            "帮扶主体",
        )
    targets = d.get("targets") or {}
    if isinstance(targets, dict):
        for i, v in enumerate(targets.get("villages") or []):
            yield _ref(
                model, rec, ("targets", "villages", i), v, "village", "ref.unknown-village", "村"
            )
        for i, h in enumerate(targets.get("households") or []):
            yield _ref(
                model,
                rec,
                ("targets", "households", i),
                h,
                "household",
                "ref.unknown-household",
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
        yield at(rec, "ref.unknown-plan", ("plan",), f"方案 {plan_id} 不存在")
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
                yield at(
                    rec, "ref.unknown-household", ("entries", i, "household"), f"户 {h} 不存在"
                )
            elif h not in households and model.exists("household", h):
                yield at(
                    rec,
                    "ref.not-a-target",
                    ("entries", i, "household"),
                    f"户 {h} 不是方案 {plan_id} 的帮扶户",
                )
        if isinstance(v, str):
            if not model.known("village", v):
                yield at(rec, "ref.unknown-village", ("entries", i, "village"), f"村 {v} 不存在")
            elif v not in villages and v in model.villages:
                yield at(
                    rec,
                    "ref.not-a-target",
                    ("entries", i, "village"),
                    f"村 {v} 不是方案 {plan_id} 的帮扶村",
                )
