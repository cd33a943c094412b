"""Policy parameters from ``data/policy/``: which monitoring line and intervals apply where.

Nothing here is a number from a document: every figure comes from a policy record, and every
resolved ``Policy`` carries the id of the record that supplied it (rules name it in their
messages). A record whose source has no year (``year`` left out) applies from any year; a
record whose source covers only an unnamed part of its region (``scope.part``) applies to no
county; a record marked ``basis: assumption`` is the project's own default and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .model import Model


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    year: int | None
    line: float | None
    notice_min_days: int | None
    revisit_days: dict
    small_cell_threshold: int | None
    specificity: int
    assumed: bool = False
    # the whole record: the cycle rules (``rules.cycle``) read their optional parameters from
    # it; a parameter the record does not set turns its rule off for the region
    data: dict = field(default_factory=dict, compare=False, hash=False)

    def get(self, name: str, default=None):
        return self.data.get(name, default)

    @property
    def dibao_standard(self) -> float | None:
        ml = self.data.get("monitoring_line")
        std = ml.get("dibao_standard") if isinstance(ml, dict) else None
        return float(std) if isinstance(std, int | float) and not isinstance(std, bool) else None

    @property
    def label(self) -> str:
        """How a finding names the record: its id, marked 推定 when it is an assumption."""
        return f"{self.id}（推定）" if self.assumed else self.id


def _line(ml: dict) -> float | None:
    if not isinstance(ml, dict):
        return None
    if isinstance(ml.get("amount"), int | float):
        return float(ml["amount"])
    std, mult = ml.get("dibao_standard"), ml.get("dibao_multiple")
    if isinstance(std, int | float) and isinstance(mult, int | float):
        return round(float(std) * float(mult), 2)
    return None


def _year_key(p: Policy) -> int:
    return p.year if p.year is not None else -1


def _specificity(scope: dict, county: dict) -> int | None:
    """How closely a policy's scope matches a county: 3 county, 2 city, 1 province, 0 national;
    None when it does not apply."""
    scope = scope or {}
    if "part" in scope:  # an unnamed county or township inside the scope: cannot be matched
        return None
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
        year = d.get("year")
        if year is not None and not isinstance(year, int):
            continue
        out.append(
            (
                d.get("scope") or {},
                Policy(
                    id=d["id"],
                    year=year,
                    line=_line(d.get("monitoring_line")),
                    notice_min_days=d.get("notice_min_days"),
                    revisit_days=d.get("revisit_days") or {},
                    small_cell_threshold=d.get("small_cell_threshold"),
                    specificity=0,
                    assumed=d.get("basis") == "assumption",
                    data=d,
                ),
            )
        )
    return out


class PolicyIndex:
    """Resolves the policy for (county, year): most specific scope first, then latest year ≤ year
    (a record without a year applies to every year, after any record with one)."""

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
            if spec is None or (year is not None and p.year is not None and p.year > year):
                continue
            k = (spec, _year_key(p))
            if best_key is None or k > best_key:
                best, best_key = p, k
        if (
            best is None and year is not None
        ):  # income year earlier than every policy: use the earliest
            cands = [
                (spec, p) for s, p in self.policies if (spec := _specificity(s, county)) is not None
            ]
            if cands:
                best = min(cands, key=lambda sp: (-sp[0], _year_key(sp[1])))[1]
        self._cache[key] = best
        return best

    def counties_where(self, sets: Callable[[Policy], bool]) -> set[str]:
        """The counties for which some policy that can apply to them (``for_county``, in any
        year: one whose scope matches the county) ``sets``; a household elsewhere is judged
        by no policy that does."""
        out = set()
        for cid, crec in self.model.by_kind["county"].items():
            county = crec.data if isinstance(crec.data, dict) else {}
            if any(_specificity(s, county) is not None and sets(p) for s, p in self.policies):
                out.add(cid)
        return out

    def small_cell_threshold(self) -> int:
        """The strictest small-cell threshold any policy record sets (default 1 = no suppression)."""
        vals = [p.small_cell_threshold for _, p in self.policies if p.small_cell_threshold]
        return max(vals) if vals else 1
