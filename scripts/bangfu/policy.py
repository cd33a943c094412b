"""Policy parameters from ``data/policy/``: which monitoring line and intervals apply where.

Nothing here is a number from a document: every figure comes from a policy record.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Model


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    year: int
    line: float | None
    notice_min_days: int | None
    revisit_days: dict
    small_cell_threshold: int | None
    specificity: int


def _line(ml: dict) -> float | None:
    if not isinstance(ml, dict):
        return None
    if ml.get("basis") == "固定金额" and isinstance(ml.get("amount"), int | float):
        return float(ml["amount"])
    std, mult = ml.get("dibao_standard"), ml.get("dibao_multiple")
    if isinstance(std, int | float) and isinstance(mult, int | float):
        return round(float(std) * float(mult), 2)
    return None


def _specificity(scope: dict, county: dict) -> int | None:
    """How closely a policy's scope matches a county: 3 county, 2 city, 1 province, 0 national;
    None when it does not apply."""
    scope = scope or {}
    if "county" in scope:
        return 3 if scope["county"] == county.get("id") else None
    if "city" in scope:
        ok = scope["city"] == county.get("city") and scope.get(
            "province", county.get("province")
        ) == county.get("province")
        return 2 if ok else None
    if "province" in scope:
        return 1 if scope["province"] == county.get("province") else None
    return 0


def all_policies(model: Model) -> list[tuple[dict, Policy]]:
    out = []
    for rec in model.by_kind["policy"].values():
        d = rec.data
        if not isinstance(d.get("year"), int):
            continue
        out.append(
            (
                d.get("scope") or {},
                Policy(
                    id=d["id"],
                    year=d["year"],
                    line=_line(d.get("monitoring_line")),
                    notice_min_days=d.get("notice_min_days"),
                    revisit_days=d.get("revisit_days") or {},
                    small_cell_threshold=d.get("small_cell_threshold"),
                    specificity=0,
                ),
            )
        )
    return out


class PolicyIndex:
    """Resolves the policy for (county, year): most specific scope first, then latest year ≤ year."""

    def __init__(self, model: Model):
        self.model = model
        self.policies = all_policies(model)
        self._cache: dict[tuple[str, int], Policy | None] = {}

    def for_county(self, county_id: str | None, year: int | None) -> Policy | None:
        key = (county_id or "", year or 0)
        if key in self._cache:
            return self._cache[key]
        crec = self.model.get("county", county_id) if county_id else None
        county = crec.data if crec else {}
        best = None
        best_key = None
        for scope, p in self.policies:
            spec = _specificity(scope, county)
            if spec is None or (year is not None and p.year > year):
                continue
            k = (spec, p.year)
            if best_key is None or k > best_key:
                best, best_key = p, k
        if (
            best is None and year is not None
        ):  # income year earlier than every policy: use the earliest
            cands = [(_specificity(s, county), p) for s, p in self.policies]
            cands = [(s, p) for s, p in cands if s is not None]
            if cands:
                best = min(cands, key=lambda sp: (-sp[0], sp[1].year))[1]
        self._cache[key] = best
        return best

    def small_cell_threshold(self) -> int:
        """The strictest small-cell threshold any policy record sets (default 1 = no suppression)."""
        vals = [p.small_cell_threshold for _, p in self.policies if p.small_cell_threshold]
        return max(vals) if vals else 1
