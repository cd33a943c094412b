"""``bangfu status`` for supervisors: the monitoring status of a scope (the whole ledger, one
county or one township) as text, JSON or CSV.

The figures are those of ``aggregate.status.read`` (defined in ``figures.sql``); this module
only selects the scope and writes them. It never writes a private value: households appear by
their opaque id, places and organizations by their public names.

Shapes (the JSON keys and CSV columns are stable):

* ``places`` — the per-place summary, first: one row per county (or the one township asked
  for), with ``monitored`` / ``exited`` households on the as-of date, ``undated`` (counted,
  but the ledger holds no identification date for them), ``identified_after_as_of`` (held by
  the ledger, identified later, not counted), ``overdue_revisits``, ``warning_tiers`` and
  ``report_periods`` (periods of the plans covering the place, by state), and the monitored
  households the cycle rules find lacking their 一户一策 (``no_household_plan``,
  assist.no-household-plan), with a visit gap (``visit_gap``, assist.visit-gap) or past their
  渐退期 (``gradual_exit_ended``, exit.gradual-ended) on the as-of date. ``null`` is
  台账中无记录: the county holds no household record — except for the keys listed in
  ``not_applicable``: no household of the place is under that rule (its policy does not set
  it; 不适用 in the text and the CSV).
* ``overdue_revisits``, ``monitored_households``, ``warning_tiers``, ``report_timeliness`` —
  as before, restricted to the scope.

CSV is one long table ``section,county,township,subject,measure,value``: the measure is the
JSON key (``warning_tiers.红``); an empty value is 台账中无记录, 不适用 a rule off there.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from .config import UsageError
from .model import Model
from .monitor import TIERS, TIMELY, UNTRACKED, PeriodReport, Status, timeliness_text
from .recorded import NOT_RECORDED_LABEL

__all__ = ["PeriodReport", "Scope", "as_csv", "as_json", "as_text", "scope_of"]

# figure → JSON key, and its Chinese label for the text
_KEYS = {
    "monitored": ("monitored", "监测户"),
    "exited": ("exited", "已退出"),
    "undated": ("undated", "认定日期台账中无记录（已计入）"),
    "identified_later": ("identified_after_as_of", "统计日期后认定（未计入）"),
    "overdue": ("overdue_revisits", "逾期未回访"),
    # the cycle's findings supervisors follow up (rules.cycle.SUPERVISOR_CODES)
    "no_household_plan": ("no_household_plan", "缺一户一策"),
    "visit_gap": ("visit_gap", "走访间隔超过方案规定"),
    "gradual_ended": ("gradual_exit_ended", "渐退期已满未退出"),
}
_CYCLE_FIGS = ("no_household_plan", "visit_gap", "gradual_ended")
NOT_APPLICABLE = "不适用"  # the region's policy does not set the rule (its source is silent)
_TIER_FIGS = dict(zip(("red", "orange", "yellow"), TIERS, strict=True))


@dataclass(frozen=True, slots=True)
class Scope:
    county: str | None = None
    township: str | None = None

    def holds(self, model: Model, county: str, village: str | None = None) -> bool:
        if self.county and county != self.county:
            return False
        if self.township:
            v = model.villages.get(village) if village else None
            return v is not None and v.township == self.township
        return True


def scope_of(model: Model, county: str | None, township: str | None) -> Scope:
    """The scope of ``--county`` / ``--township``; an unknown id is a usage error."""
    if county is not None and model.get("county", county) is None:
        raise UsageError(f"--county {county}：台账中没有这个区县编号")
    if township is not None:
        t = model.townships.get(township)
        if t is None:
            raise UsageError(f"--township {township}：台账中没有这个乡镇编号")
        if county is not None and t.county != county:
            raise UsageError(f"--township {township} 不属于区县 {county}")
        county = t.county
    return Scope(county, township)


def _name(model: Model, kind: str, id_: str) -> str:
    rec = model.get(kind, id_)
    name = rec.data.get("name") if rec else None
    return name if isinstance(name, str) else id_


def _keys(st: Status, scope: Scope) -> list[tuple]:
    if scope.township:
        return [(scope.county, scope.township)]
    return [k for k in st.places if k[1] is None and scope.county in (None, k[0])]


def _place(model: Model, st: Status, key: tuple) -> dict:
    county, township = key
    figs = st.places.get(key, {})
    periods = st.place_periods.get(key, {}).get("", Counter())
    row = {
        "county": county,
        "county_name": _name(model, "county", county),
        "township": township,
        "township_name": model.townships[township].name if township else None,
    }
    row.update({_KEYS[f][0]: figs.get(f) for f in _KEYS})
    recorded = figs.get("monitored") is not None
    # a cycle figure with no household of the place under its rule: the rule is off there
    row["not_applicable"] = [_KEYS[f][0] for f in _CYCLE_FIGS if recorded and figs.get(f) is None]
    row["warning_tiers"] = {t: figs.get(f) if recorded else None for f, t in _TIER_FIGS.items()}
    row["report_periods"] = {s: periods.get(s, 0) for s in (*TIMELY, UNTRACKED)}
    return row


def _timeliness(st: Status, scope: Scope, keys: list[tuple]) -> dict[str, Counter]:
    if scope == Scope():
        return st.by_org
    out: dict[str, Counter] = {}
    for key in keys:
        for org, c in st.place_periods.get(key, {}).items():
            if org:
                out.setdefault(org, Counter()).update(c)
    return dict(sorted(out.items()))


def _sum(values) -> int | None:
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def as_json(model: Model, st: Status, scope: Scope = Scope()) -> dict:
    keys = _keys(st, scope)
    places = [_place(model, st, k) for k in keys]
    overdue = [r for r in st.overdue if scope.holds(model, r.county, r.village)]
    by_org = _timeliness(st, scope, keys)
    if scope == Scope():
        monitored = st.monitored if st.households_recorded else None
    else:
        monitored = _sum(p["monitored"] for p in places)
    return {
        "as_of": st.as_of.isoformat(),
        "filters": {"county": scope.county, "township": scope.township},
        "places": places,
        "overdue_revisits": [
            {
                "household": r.household,
                "village": r.village,
                "county": r.county,
                "status": r.status,
                "last_contact": r.last_contact.isoformat() if r.last_contact else None,
                "due": r.due.isoformat(),
                "days_overdue": r.days_overdue,
            }
            for r in overdue
        ],
        # None: the ledger holds no household record (台账中无记录), not zero households
        "monitored_households": monitored,
        "warning_tiers": {
            p["county"]: p["warning_tiers"] for p in places if any(p["warning_tiers"].values())
        },
        # per organization: counts of tracked periods by state (None when no period of its
        # plans is tracked), and how many periods are 台账中无记录
        "report_timeliness": {
            o: {
                "name": _name(model, "organization", o),
                **{k: (c[k] if any(c.get(s) for s in TIMELY) else None) for k in TIMELY},
                UNTRACKED: c[UNTRACKED],
            }
            for o, c in by_org.items()
        },
    }


def _n(v, key: str = "", place: dict | None = None) -> str:
    if v is None and place is not None and key in place["not_applicable"]:
        return NOT_APPLICABLE
    return NOT_RECORDED_LABEL if v is None else str(v)


def as_text(model: Model, st: Status, scope: Scope = Scope()) -> str:
    doc = as_json(model, st, scope)
    where = "全部区县"
    if scope.county:
        where = _name(model, "county", scope.county)
        if scope.township:
            where += model.townships[scope.township].name
    lines = [f"统计日期：{doc['as_of']}　范围：{where}", "", "各区县概况（统计日期当天）："]
    if not doc["places"]:
        lines.append("  （无）")
    for p in doc["places"]:
        head = p["county_name"] + (p["township_name"] or "")
        figs = "，".join(f"{label} {_n(p[key], key, p)}" for key, label in _KEYS.values())
        tiers = "，".join(f"{t} {_n(n)}" for t, n in p["warning_tiers"].items())
        per = p["report_periods"]
        lines.append(f"  {head}：{figs}；预警 {tiers}；报送 {_periods_text(per)}")
    lines.append("")
    if doc["monitored_households"] is None:
        lines.append(f"逾期未回访：{NOT_RECORDED_LABEL}（台账中没有帮扶户记录）")
    else:
        n, total = len(doc["overdue_revisits"]), doc["monitored_households"]
        lines.append(f"逾期未回访：{n} 户（共监测 {total} 户）")
    for r in doc["overdue_revisits"]:
        v = model.villages.get(r["village"])
        last = r["last_contact"] or "从未回访"
        lines.append(
            f"  {r['household']}  {_name(model, 'county', r['county'])}{v.name if v else ''}"
            f"  {r['status']}  上次 {last}  应于 {r['due']}  逾期 {r['days_overdue']} 天"
        )
    lines += ["", "报送及时性（按帮扶主体，按期计）："]
    if not doc["report_timeliness"]:
        lines.append("  （无）")
    for o, t in doc["report_timeliness"].items():
        c = Counter({k: t[k] or 0 for k in TIMELY} | {UNTRACKED: t[UNTRACKED]})
        text = timeliness_text(c) or f"{NOT_RECORDED_LABEL}（{c[UNTRACKED]} 期）"
        lines.append(f"  {o}  {t['name']}：{text}")
    lines += ["", _NOTE]
    return "\n".join(lines) + "\n"


def _periods_text(per: dict) -> str:
    return timeliness_text(Counter(per)) or f"{NOT_RECORDED_LABEL} {per[UNTRACKED]} 期"


_NOTE = (
    "说明：统计日期之后才认定的户不计入；认定日期台账中无记录的户无法按日期取舍，"
    "照常计入并单列户数；退出公示（或退出程序的最后一步）在统计日期之后的户，当天仍计为监测户。"
)

CSV_COLUMNS = ("section", "county", "township", "subject", "measure", "value")


def as_csv(model: Model, st: Status, scope: Scope = Scope()) -> str:
    doc = as_json(model, st, scope)
    rows: list[tuple] = []
    for p in doc["places"]:
        where = (p["county"], p["township"] or "")
        for key, _ in _KEYS.values():
            value = NOT_APPLICABLE if key in p["not_applicable"] else p[key]
            rows.append(("places", *where, "", key, value))
        for group in ("warning_tiers", "report_periods"):
            for k, v in p[group].items():
                rows.append(("places", *where, "", f"{group}.{k}", v))
    for r in doc["overdue_revisits"]:
        v = model.villages.get(r["village"])
        where = (r["county"], v.township if v else "")
        for key in ("village", "status", "last_contact", "due", "days_overdue"):
            rows.append(("overdue_revisits", *where, r["household"], key, r[key]))
    for o, t in doc["report_timeliness"].items():
        for key in (*TIMELY, UNTRACKED):
            rows.append(("report_timeliness", "", "", o, key, t[key]))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    w.writerows(tuple("" if x is None else x for x in row) for row in rows)
    return out.getvalue()
