"""Aggregate stage: the public tables, built from the model through the schemas' allow-list.

``build_tables(model, schemas_dir, as_of)`` returns every public table by name. The extracts
(CSV, Frictionless data package, Excel) and the site's progress pages are written from these
tables, so both show the same figures.

- Record fields reach a table only when the schemas mark them public (``bangfu.public``);
  values are read from the projected (allow-listed) record, never from the raw one.
- Column titles, descriptions and enum constraints come from the JSON Schemas.
- No table has a row per household. Household counts in ``1 .. threshold-1`` are suppressed
  (``None`` in ``rows``); ``Table.marker`` is how a suppressed cell is written (``<5``).
- A figure the ledger does not record is ``NOT_RECORDED`` in a count column and ``None``
  elsewhere, written as an empty cell (a declared missing value), never as 0: household
  counts where the county has no household record, planned amounts where no measure states
  one, delivered amounts where no progress report is in the ledger (``bangfu.recorded``).
- Plans count as running by ``bangfu.recorded`` (status and dates, on ``as_of``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from .model import Model
from .policy import PolicyIndex
from .public import NEVER_PUBLIC_KINDS, public_paths, suppress
from .recorded import (
    STATES,
    carried_out,
    counties_with_households,
    plan_state,
    ran_during,
    reported_plans,
)
from .schema import bundled, node_at

TYPES = ("string", "integer", "number", "boolean", "date")
LIST_SEPARATOR = ";"


class _NotRecorded:
    """台账中无记录 in a count column, where ``None`` means a suppressed cell."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_RECORDED"


NOT_RECORDED = _NotRecorded()
EXIT_STEP = "退出公示"

# stable English column names for the key-list flags (the titles are the list names themselves)
FLAG_NAMES = {
    "国家级扶贫开发工作重点区县": "national_key_county",
    "市级扶贫开发工作重点区县": "municipal_key_county",
    "深度贫困乡镇": "deep_poverty_township",
    "定点攻坚村": "targeted_village",
    "挂牌督战村": "supervised_village",
    "贫困村": "poor_village",
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # string | integer | number | boolean | date
    title: str
    description: str
    enum: tuple | None = None
    required: bool = False
    suppressed: bool = False  # a household count that small-cell suppression may withhold

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type}")


@dataclass(slots=True)
class Table:
    name: str
    title: str
    description: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    # Frictionless style: {"fields": [...], "reference": {"resource": name, "fields": [...]}}
    foreign_keys: list[dict] = field(default_factory=list)
    threshold: int = 1  # small-cell threshold in force

    @property
    def marker(self) -> str:
        """How a suppressed count is written (the same as the site shows)."""
        return f"<{self.threshold}"

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# ---------------------------------------------------------------- columns from the schemas


class _Cols:
    """Builds columns whose title, description, type and enum are read from a schema."""

    def __init__(self, schemas_dir: Path):
        self.schemas = bundled(schemas_dir)
        self.schemas_dir = schemas_dir
        self._public: dict[str, set[str]] = {}

    def _check_public(self, kind: str, parts: tuple) -> None:
        if kind not in self._public:
            self._public[kind] = set(public_paths(self.schemas_dir, kind))
        label = "$" + "".join("[]" if isinstance(p, int) else f".{p}" for p in parts)
        label = label.replace(".[]", "[]")
        if label not in self._public[kind]:
            raise ValueError(f"{kind} {label} is not public in the schemas; it cannot be a column")

    def field(
        self,
        kind: str,
        parts: tuple,
        name: str | None = None,
        *,
        title: str | None = None,
        description: str | None = None,
        required: bool = False,
    ) -> Column:
        self._check_public(kind, parts)
        node = node_at(self.schemas[kind], list(parts))
        enum = None
        if "enum" in node and all(isinstance(v, str) for v in node["enum"]):
            ctype, enum = "string", tuple(node["enum"])
        elif node.get("type") == "array":
            ctype = "string"
        elif node.get("format") == "date":
            ctype = "date"
        elif node.get("type") in ("integer", "number", "boolean"):
            ctype = node["type"]
        else:
            ctype = "string"
        desc = description or node.get("description", "")
        if node.get("type") == "array":
            desc = f"{desc}多项以“{LIST_SEPARATOR}”分隔。"
        return Column(
            name or "_".join(str(p) for p in parts if not isinstance(p, int)),
            ctype,
            title or node.get("title", name or parts[-1]),
            desc,
            enum,
            required,
        )

    def flags(self, kind: str, parts: tuple) -> list[Column]:
        """One boolean column per value of a key-list enum."""
        self._check_public(kind, parts)
        node = node_at(self.schemas[kind], list(parts))
        items = node_at(self.schemas[kind], list(parts) + [0])
        out = []
        for i, value in enumerate(items.get("enum", [])):
            out.append(
                Column(
                    FLAG_NAMES.get(value, f"key_list_{i + 1}"),
                    "boolean",
                    value,
                    f"是否在重点名单“{value}”中（{node.get('title', '重点名单')}）。",
                    required=True,
                )
            )
        return out

    def enum_of(self, kind: str, parts: tuple) -> tuple:
        return tuple(node_at(self.schemas[kind], list(parts)).get("enum", ()))


def _count(name: str, title: str, description: str) -> Column:
    return Column(name, "integer", title, description, required=False, suppressed=True)


def _plain_count(name: str, title: str, description: str) -> Column:
    return Column(name, "integer", title, description, required=True)


def _amount(name: str, title: str, description: str, required: bool = True) -> Column:
    return Column(name, "number", title, description, required=required)


class _Projector:
    """``bangfu.public.project`` with the schema look-ups memoised by shape (list indices as 0).

    Same allow-list, same result (a test compares them on every demo record); thousands of
    reports with hundreds of thousands of entries otherwise spend most of the time in
    ``node_at``.
    """

    def __init__(self, schemas_dir: Path):
        self.schemas = bundled(schemas_dir)
        self._allowed: dict[tuple, bool] = {}

    def allowed(self, kind: str, shape: tuple) -> bool:
        key = (kind, shape)
        ok = self._allowed.get(key)
        if ok is None:
            node = node_at(self.schemas[kind], list(shape))
            ok = self._allowed[key] = node.get("x-visibility") == "public"
        return ok

    def project(self, kind: str, data: dict) -> dict:
        if kind in NEVER_PUBLIC_KINDS:
            raise ValueError(f"{kind} records are never published; aggregate them instead")
        return self._project(kind, (), data)

    def _project(self, kind: str, shape: tuple, value):
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                sub = shape + (k,)
                if self.allowed(kind, sub):
                    out[k] = self._project(kind, sub, v)
            return out
        if isinstance(value, list):
            sub = shape + (0,)
            return [self._project(kind, sub, v) for v in value]
        return value


# ---------------------------------------------------------------- helpers


def _get(d: dict, *parts):
    for p in parts:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def _joined(values) -> str | None:
    if not isinstance(values, list):
        return None
    vals = [str(v) for v in values if isinstance(v, str | int | float) and not isinstance(v, bool)]
    return LIST_SEPARATOR.join(vals) if vals else None


def _sources(pub: dict) -> str | None:
    docs = [s.get("document") for s in pub.get("sources") or [] if isinstance(s, dict)]
    docs = [d for d in dict.fromkeys(docs) if isinstance(d, str)]
    return LIST_SEPARATOR.join(docs) if docs else None


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _num(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Decimal(0)
    return Decimal(str(value))


def _yuan(total: Decimal) -> int | float:
    """Exact decimal sum as a plain number: integral sums stay integers."""
    if total == total.to_integral_value():
        return int(total)
    return float(total)


def _month(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _months(first: dt.date, last: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        start = dt.date(y, m, 1)
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        out.append((f"{y:04d}-{m:02d}", start, nxt - dt.timedelta(days=1)))
        y, m = nxt.year, nxt.month
    return out


def _valid_dict(rec) -> bool:
    return rec is not None and isinstance(rec.data, dict) and rec.id is not None


# ---------------------------------------------------------------- the tables


def build_tables(model: Model, schemas_dir: Path, as_of: dt.date) -> dict[str, Table]:
    """Every public table, by name, in publishing order. ``as_of`` caps the progress months."""
    threshold = PolicyIndex(model).small_cell_threshold()
    return _Builder(model, Path(schemas_dir), as_of, threshold).build()


class _Builder:
    def __init__(self, model: Model, schemas_dir: Path, as_of: dt.date, threshold: int):
        self.m = model
        self.schemas_dir = schemas_dir
        self.as_of = as_of
        self.t = threshold
        self.c = _Cols(schemas_dir)
        self.projector = _Projector(schemas_dir)
        self._pub: dict[tuple[str, str], dict] = {}
        self._index_households()

    def sup(self, n: int) -> int | None:
        return suppress(n, self.t)

    def pub(self, kind: str, rec) -> dict:
        key = (kind, rec.file)
        if key not in self._pub:
            self._pub[key] = self.projector.project(kind, rec.data)
        return self._pub[key]

    def records(self, kind: str) -> list:
        return [r for _, r in sorted(self.m.by_kind[kind].items()) if _valid_dict(r)]

    def table(self, name, title, description, columns, rows, pk, fks=()) -> Table:
        names = [c.name for c in columns]
        rows = [{n: row.get(n) for n in names} for row in rows]
        rows.sort(key=lambda r: tuple(str(r[k]) for k in pk))
        return Table(name, title, description, columns, rows, list(pk), list(fks), self.t)

    # households are read for aggregates only; nothing of them is copied into a row
    def _index_households(self) -> None:
        self.hh: dict[str, dict] = {}
        for hid, rec in sorted(self.m.by_kind["household"].items()):
            if not _valid_dict(rec):
                continue
            d = rec.data
            village = d.get("village")
            if village not in self.m.villages:
                continue
            steps = _get(d, "identification", "steps") or []
            starts = [
                _date(s.get("date"))
                for s in steps
                if isinstance(s, dict) and s.get("step") != EXIT_STEP
            ]
            exits = [
                _date(s.get("date"))
                for s in steps
                if isinstance(s, dict) and s.get("step") == EXIT_STEP
            ]
            starts = [x for x in starts if x]
            exits = [x for x in exits if x]
            category = d.get("category") if isinstance(d.get("category"), str) else None
            self.hh[hid] = {
                "village": village,
                "category": category,
                "start": min(starts) if starts else None,
                "end": max(exits) if exits and d.get("status") == "退出" else None,
            }
        self.recorded = counties_with_households(self.m)
        # plans → targeted households / villages (only households with a readable record count)
        self.plans = self.records("plan")
        self.state = {rec.id: plan_state(rec.data, self.as_of) for rec in self.plans}
        self.plan_hh: dict[str, list[str]] = {}
        self.plan_villages: dict[str, list[str]] = {}
        for rec in self.plans:
            t = rec.data.get("targets") if isinstance(rec.data.get("targets"), dict) else {}
            hh = t.get("households") if isinstance(t.get("households"), list) else []
            vs = t.get("villages") if isinstance(t.get("villages"), list) else []
            self.plan_hh[rec.id] = sorted({h for h in hh if isinstance(h, str) and h in self.hh})
            self.plan_villages[rec.id] = sorted(
                {v for v in vs if isinstance(v, str) and v in self.m.villages}
            )

    def _running(self, rec) -> bool:
        return self.state[rec.id] == "执行中"

    @staticmethod
    def _lists_households(rec) -> bool:
        """The plan records its target households (a list, possibly empty)."""
        return isinstance(_get(rec.data, "targets", "households"), list)

    def _households(self, county: str, n: int):
        """A household count of a place in ``county``: suppressed when small, 台账中无记录
        when the ledger holds no household of the county."""
        return self.sup(n) if county in self.recorded else NOT_RECORDED

    def build(self) -> dict[str, Table]:
        self._entries()
        tables = [
            self.counties(),
            self.townships(),
            self.villages(),
            self.organizations(),
            self.campaigns(),
            self.plans_table(),
            self.plan_targets(),
            self.plan_organizations(),
            self.report_entries(),
            self.progress(),
        ]
        return {t.name: t for t in tables}

    # one pass over every report entry, shared by several tables
    def _entries(self) -> None:
        self.entry_rows: list[tuple] = []  # (plan, period, kind, date, household, village, amount)
        for pid in sorted(self.m.reports_by_plan):
            if pid not in self.m.by_kind["plan"]:
                continue
            for rep in self.m.reports_by_plan[pid]:
                if not _valid_dict(rep) or not isinstance(rep.data.get("id"), str):
                    continue
                period = rep.data["id"]
                pub = self.pub("report", rep)
                for e in pub.get("entries") or []:
                    if not isinstance(e, dict) or not isinstance(e.get("kind"), str):
                        continue
                    hid = e.get("household") if e.get("household") in self.hh else None
                    vid = e.get("village") if e.get("village") in self.m.villages else None
                    self.entry_rows.append(
                        (
                            pid,
                            period,
                            e["kind"],
                            _date(e.get("date")),
                            hid,
                            vid,
                            _num(e.get("amount")),
                        )
                    )

    # ------------------------------------------------------------ places
    @cached_property
    def _place_households(self) -> tuple[dict[str, int], dict[str, int]]:
        """Households by village, and those paired by a running plan (shared by the place
        tables)."""
        by_village: dict[str, int] = defaultdict(int)
        paired: dict[str, set] = defaultdict(set)
        for h in self.hh.values():
            by_village[h["village"]] += 1
        for rec in self.plans:
            if self._running(rec):
                for hid in self.plan_hh[rec.id]:
                    paired[self.hh[hid]["village"]].add(hid)
        return by_village, {v: len(s) for v, s in paired.items()}

    def counties(self) -> Table:
        c = self.c
        hh, paired = self._place_households
        cols = [
            c.field("county", ("id",), required=True),
            c.field("county", ("name",)),
            c.field("county", ("province",)),
            c.field("county", ("city",)),
            c.field("county", ("admin_code",)),
            c.field("county", ("key_lists",)),
            *c.flags("county", ("key_lists",)),
            c.field("county", ("office_phone",)),
            _plain_count("townships", "乡镇数", "台账中该区县的乡镇（街道）数。"),
            _plain_count("villages", "村数", "台账中该区县的村（社区）数。"),
            _count(
                "households",
                "监测户数",
                "台账中该区县的帮扶户（监测户）数；少于门槛的数字不公开；台账中没有该区县的帮扶户记录时留空。",
            ),
            _count(
                "households_paired",
                "已结对户数",
                "统计日期正在执行的方案（按状态和期间判断）列为帮扶对象的户数；少于门槛的数字不公开；台账中没有该区县的帮扶户记录时留空。",
            ),
            c.field("county", ("synthetic",), required=True),
            c.field("county", ("sources",), description="来源文件编号（data/sources/ 中的记录）。"),
        ]
        flags = [col for col in cols if col.name in FLAG_NAMES.values()]
        rows = []
        for rec in self.records("county"):
            p = self.pub("county", rec)
            villages = [v for v in self.m.villages.values() if v.county == rec.id]
            row = {
                k: p.get(k)
                for k in ("id", "name", "province", "city", "admin_code", "office_phone")
            }
            row["key_lists"] = _joined(p.get("key_lists"))
            for f in flags:
                row[f.name] = f.title in (p.get("key_lists") or [])
            row["townships"] = sum(1 for t in self.m.townships.values() if t.county == rec.id)
            row["villages"] = len(villages)
            row["households"] = self._households(rec.id, sum(hh.get(v.id, 0) for v in villages))
            row["households_paired"] = self._households(
                rec.id, sum(paired.get(v.id, 0) for v in villages)
            )
            row["synthetic"] = p.get("synthetic") is True
            row["sources"] = _sources(p)
            rows.append(row)
        return self.table(
            "counties",
            "区县",
            "台账中的区县及其重点名单、下属乡镇和村的数量、帮扶户汇总数。",
            cols,
            rows,
            ["id"],
        )

    def townships(self) -> Table:
        c = self.c
        hh, paired = self._place_households
        base = ("townships", 0)
        cols = [
            c.field("county", base + ("id",), "id", required=True),
            Column("county", "string", "所在区县", "乡镇所在区县的编号。", required=True),
            c.field("county", base + ("name",), "name"),
            c.field("county", base + ("key_lists",), "key_lists"),
            *c.flags("county", base + ("key_lists",)),
            c.field("county", base + ("contact", "role"), "contact_role"),
            _plain_count("villages", "村数", "台账中该乡镇的村（社区）数。"),
            _count(
                "households",
                "监测户数",
                "台账中该乡镇的帮扶户（监测户）数；少于门槛的数字不公开；台账中没有该区县的帮扶户记录时留空。",
            ),
            _count(
                "households_paired",
                "已结对户数",
                "统计日期正在执行的方案（按状态和期间判断）列为帮扶对象的户数；少于门槛的数字不公开；台账中没有该区县的帮扶户记录时留空。",
            ),
        ]
        flags = [col for col in cols if col.name in FLAG_NAMES.values()]
        rows = []
        for rec in self.records("county"):
            p = self.pub("county", rec)
            for t in p.get("townships") or []:
                tid = t.get("id")
                town = self.m.townships.get(tid)
                if town is None or town.county != rec.id:
                    continue
                row = {
                    "id": tid,
                    "county": rec.id,
                    "name": t.get("name"),
                    "key_lists": _joined(t.get("key_lists")),
                    "contact_role": _get(t, "contact", "role"),
                    "villages": len(town.villages),
                    "households": self._households(
                        rec.id, sum(hh.get(v, 0) for v in town.villages)
                    ),
                    "households_paired": self._households(
                        rec.id, sum(paired.get(v, 0) for v in town.villages)
                    ),
                }
                for f in flags:
                    row[f.name] = f.title in (t.get("key_lists") or [])
                rows.append(row)
        return self.table(
            "townships",
            "乡镇（街道）",
            "台账中的乡镇、街道及其重点名单和汇总数。",
            cols,
            rows,
            ["id"],
            [_fk("county", "counties")],
        )

    def villages(self) -> Table:
        c = self.c
        hh, paired = self._place_households
        base = ("townships", 0, "villages", 0)
        cols = [
            c.field("county", base + ("id",), "id", required=True),
            Column("township", "string", "所在乡镇", "村所在乡镇（街道）的编号。", required=True),
            Column("county", "string", "所在区县", "村所在区县的编号。", required=True),
            c.field("county", base + ("name",), "name"),
            c.field("county", base + ("key_lists",), "key_lists"),
            *c.flags("county", base + ("key_lists",)),
            _count(
                "households",
                "监测户数",
                "台账中该村的帮扶户（监测户）数；少于门槛的数字不公开；台账中没有该区县的帮扶户记录时留空。",
            ),
            _count(
                "households_paired",
                "已结对户数",
                "统计日期正在执行的方案（按状态和期间判断）列为帮扶对象的户数；少于门槛的数字不公开；台账中没有该区县的帮扶户记录时留空。",
            ),
            _plain_count(
                "plans",
                "在执行方案数",
                "以该村或该村的户为帮扶对象、统计日期正在执行的方案数（按状态和期间判断）。",
            ),
            _amount(
                "amount_yuan",
                "已交付金额（元）",
                "进度报告中交付给该村及该村各户的资金和物资折价合计，单位元；"
                "台账中没有覆盖该村的方案的进度报告时留空（台账中无记录）。",
                required=False,
            ),
        ]
        flags = [col for col in cols if col.name in FLAG_NAMES.values()]
        plans_of: dict[str, set] = defaultdict(set)
        amount: dict[str, Decimal] = {}  # villages with a delivered amount recorded
        reported = reported_plans(self.m)
        for rec in self.plans:
            covered = set(self.plan_villages[rec.id])
            covered |= {self.hh[h]["village"] for h in self.plan_hh[rec.id]}
            if rec.id in reported and carried_out(rec.data):
                for v in covered:
                    amount.setdefault(v, Decimal(0))
            if self._running(rec):
                for v in covered:
                    plans_of[v].add(rec.id)
        for _, _, _, _, hid, vid, amt in self.entry_rows:
            target = vid or (self.hh[hid]["village"] if hid else None)
            if target:
                amount[target] = amount.get(target, Decimal(0)) + amt
        rows = []
        for rec in self.records("county"):
            p = self.pub("county", rec)
            for t in p.get("townships") or []:
                for v in t.get("villages") or []:
                    vil = self.m.villages.get(v.get("id"))
                    if vil is None or vil.county != rec.id or vil.township != t.get("id"):
                        continue
                    row = {
                        "id": vil.id,
                        "township": vil.township,
                        "county": rec.id,
                        "name": v.get("name"),
                        "key_lists": _joined(v.get("key_lists")),
                        "households": self._households(rec.id, hh.get(vil.id, 0)),
                        "households_paired": self._households(rec.id, paired.get(vil.id, 0)),
                        "plans": len(plans_of.get(vil.id, ())),
                        "amount_yuan": _yuan(amount[vil.id]) if vil.id in amount else None,
                    }
                    for f in flags:
                        row[f.name] = f.title in (v.get("key_lists") or [])
                    rows.append(row)
        return self.table(
            "villages",
            "村（社区）",
            "台账中的村、社区：所在重点名单（每个名单一列 true/false）、帮扶户汇总数、结对方案数和已交付金额。",
            cols,
            rows,
            ["id"],
            [_fk("township", "townships"), _fk("county", "counties")],
        )

    # ------------------------------------------------------------ organizations, campaigns
    def organizations(self) -> Table:
        c = self.c
        k = "organization"
        cols = [
            c.field(k, ("id",), required=True),
            c.field(k, ("name",)),
            c.field(k, ("kind",)),
            c.field(k, ("category",)),
            c.field(k, ("uscc",)),
            c.field(k, ("supervising_unit",)),
            c.field(k, ("county",)),
            c.field(k, ("domains",)),
            c.field(k, ("office_phone",)),
            _plain_count("plans", "参与方案数", "该主体参与的结对帮扶方案数（含全部状态）。"),
            c.field(k, ("synthetic",), required=True),
            c.field(k, ("sources",), description="来源文件编号（data/sources/ 中的记录）。"),
        ]
        plans_of: dict[str, int] = defaultdict(int)
        for rec in self.plans:
            for o in set(rec.data.get("organizations") or []):
                if isinstance(o, str):
                    plans_of[o] += 1
        rows = []
        for rec in self.records(k):
            p = self.pub(k, rec)
            row = {
                n: p.get(n)
                for n in (
                    "id",
                    "name",
                    "kind",
                    "category",
                    "uscc",
                    "supervising_unit",
                    "county",
                    "office_phone",
                )
            }
            row["domains"] = _joined(p.get("domains"))
            row["plans"] = plans_of.get(rec.id, 0)
            row["synthetic"] = p.get("synthetic") is True
            row["sources"] = _sources(p)
            rows.append(row)
        return self.table(
            "organizations",
            "帮扶主体",
            "参与结对帮扶的社会组织、志愿服务队伍、机关单位、企业和行业协会（负责人信息不公开）。",
            cols,
            rows,
            ["id"],
            [_fk("county", "counties")],
        )

    def campaigns(self) -> Table:
        c = self.c
        k = "campaign"
        cols = [
            c.field(k, ("id",), required=True),
            c.field(k, ("name",)),
            c.field(k, ("authority",)),
            c.field(k, ("counties",)),
            c.field(k, ("period", "start"), "period_start"),
            c.field(k, ("period", "end"), "period_end"),
            c.field(k, ("reporting", "cadence"), "reporting_cadence"),
            c.field(k, ("reporting", "day_of_month"), "reporting_day_of_month"),
            c.field(k, ("reporting", "weekday"), "reporting_weekday"),
            c.field(k, ("reporting", "time"), "reporting_time"),
            c.field(k, ("reporting", "due_period"), "reporting_due_period"),
            c.field(k, ("reports_tracked_from",)),
            Column(
                "quota_households",
                "integer",
                "配额户数合计",
                "各区县应结对帮扶户数（配额）之和；行动未设配额时为空。",
            ),
            c.field(k, ("totals", "villages"), "totals_villages"),
            c.field(k, ("totals", "households"), "totals_households"),
            c.field(k, ("totals", "people"), "totals_people"),
            _plain_count("plans", "方案数", "属于该行动的结对帮扶方案数。"),
            c.field(k, ("synthetic",), required=True),
            c.field(k, ("sources",), description="来源文件编号（data/sources/ 中的记录）。"),
        ]
        plans_of: dict[str, int] = defaultdict(int)
        for rec in self.plans:
            plans_of[rec.data.get("campaign")] += 1
        rows = []
        for rec in self.records(k):
            p = self.pub(k, rec)
            quotas = [q.get("households") for q in p.get("quotas") or [] if isinstance(q, dict)]
            quotas = [q for q in quotas if isinstance(q, int) and not isinstance(q, bool)]
            rows.append(
                {
                    "id": p.get("id"),
                    "name": p.get("name"),
                    "authority": p.get("authority"),
                    "counties": _joined(p.get("counties")),
                    "period_start": _get(p, "period", "start"),
                    "period_end": _get(p, "period", "end"),
                    "reporting_cadence": _get(p, "reporting", "cadence"),
                    "reporting_day_of_month": _get(p, "reporting", "day_of_month"),
                    "reporting_weekday": _get(p, "reporting", "weekday"),
                    "reporting_time": _get(p, "reporting", "time"),
                    "reporting_due_period": _get(p, "reporting", "due_period"),
                    "reports_tracked_from": p.get("reports_tracked_from"),
                    "quota_households": sum(quotas) if quotas else None,
                    "totals_villages": _get(p, "totals", "villages"),
                    "totals_households": _get(p, "totals", "households"),
                    "totals_people": _get(p, "totals", "people"),
                    "plans": plans_of.get(rec.id, 0),
                    "synthetic": p.get("synthetic") is True,
                    "sources": _sources(p),
                }
            )
        return self.table(
            "campaigns",
            "专项行动",
            "组织结对帮扶的专项行动：组织机关、期间、报送要求、配额和总目标。",
            cols,
            rows,
            ["id"],
        )

    # ------------------------------------------------------------ plans
    def plans_table(self) -> Table:
        c = self.c
        k = "plan"
        cols = [
            c.field(k, ("id",), required=True),
            c.field(k, ("name",)),
            c.field(k, ("county",)),
            c.field(k, ("campaign",)),
            c.field(k, ("form",)),
            c.field(k, ("status",)),
            Column(
                "state",
                "string",
                "统计日状况",
                "统计日期时方案的状况：草拟、已完成、已终止取自方案状态；"
                "其余按期间判断——期间开始前为未开始，期间内为执行中，期间结束后为已结束。",
                STATES,
                required=True,
            ),
            c.field(k, ("period", "start"), "period_start"),
            c.field(k, ("period", "end"), "period_end"),
            c.field(k, ("reports_tracked_from",)),
            _plain_count("organizations", "帮扶主体数", "参与本方案的帮扶主体数。"),
            _plain_count("target_villages", "帮扶村数", "本方案直接帮扶的村数。"),
            _count(
                "target_households",
                "帮扶户数",
                "本方案列为帮扶对象的户数；少于门槛的数字不公开；方案只列帮扶村、不列户时留空（台账中无记录）。",
            ),
            c.field(
                k,
                ("measures", 0, "kind"),
                "measure_kinds",
                title="措施类别",
                description=f"计划的帮扶措施类别，按方案中的顺序去重，多项以“{LIST_SEPARATOR}”分隔。",
            ),
            _plain_count("measures", "措施数", "计划的帮扶措施项数。"),
            _amount(
                "planned_amount_yuan",
                "计划金额（元）",
                "各项措施计划金额之和，单位元；未写金额的措施不计入，没有一项措施写金额时留空（台账中无记录）。",
                required=False,
            ),
            _plain_count("reports", "进度报告数", "台账中记录的本方案进度报告期数。"),
            _amount(
                "delivered_amount_yuan",
                "已交付金额（元）",
                "进度报告中各条目金额之和，单位元；台账中没有本方案的进度报告时留空（台账中无记录）。",
                required=False,
            ),
            c.field(k, ("synthetic",), required=True),
            c.field(k, ("sources",), description="来源文件编号（data/sources/ 中的记录）。"),
        ]
        # the measure-kinds column is a list, not one enum value
        cols = [
            Column(
                col.name, col.type, col.title, col.description, None, col.required, col.suppressed
            )
            if col.name == "measure_kinds"
            else col
            for col in cols
        ]
        delivered: dict[str, Decimal] = defaultdict(Decimal)
        for pid, *_rest, amt in self.entry_rows:
            delivered[pid] += amt
        rows = []
        for rec in self.plans:
            p = self.pub(k, rec)
            measures = [x for x in p.get("measures") or [] if isinstance(x, dict)]
            kinds = [x.get("kind") for x in measures if isinstance(x.get("kind"), str)]
            orgs = {o for o in p.get("organizations") or [] if isinstance(o, str)}
            reports = {
                r.data.get("id") for r in self.m.reports_by_plan.get(rec.id, ()) if _valid_dict(r)
            }
            rows.append(
                {
                    "id": p.get("id"),
                    "name": p.get("name"),
                    "county": p.get("county"),
                    "campaign": p.get("campaign"),
                    "form": p.get("form"),
                    "status": p.get("status"),
                    "state": self.state[rec.id],
                    "period_start": _get(p, "period", "start"),
                    "period_end": _get(p, "period", "end"),
                    "reports_tracked_from": p.get("reports_tracked_from"),
                    "organizations": len(orgs),
                    "target_villages": len(self.plan_villages[rec.id]),
                    "target_households": (
                        self.sup(len(self.plan_hh[rec.id]))
                        if self._lists_households(rec)
                        else NOT_RECORDED
                    ),
                    "measure_kinds": LIST_SEPARATOR.join(dict.fromkeys(kinds)) or None,
                    "measures": len(measures),
                    "planned_amount_yuan": _planned(measures),
                    "reports": len(reports),
                    "delivered_amount_yuan": (
                        _yuan(delivered.get(rec.id, Decimal(0))) if reports else None
                    ),
                    "synthetic": p.get("synthetic") is True,
                    "sources": _sources(p),
                }
            )
        return self.table(
            "plans",
            "结对帮扶方案",
            "结对帮扶方案：所属行动、结对形式、状态、期间、帮扶对象数量、计划和已交付金额。",
            cols,
            rows,
            ["id"],
            [_fk("county", "counties"), _fk("campaign", "campaigns")],
        )

    def plan_targets(self) -> Table:
        cols = [
            Column("plan", "string", "方案", "方案编号。", required=True),
            Column("village", "string", "村", "帮扶村，或帮扶户所在村的编号。", required=True),
            Column(
                "village_targeted",
                "boolean",
                "村为帮扶对象",
                "方案是否直接把该村列为帮扶村。",
                required=True,
            ),
            _count(
                "households",
                "帮扶户数",
                "方案在该村帮扶的户数（不列户编号）；少于门槛的数字不公开；方案只列帮扶村、不列户时留空（台账中无记录）。",
            ),
        ]
        rows = []
        for rec in self.plans:
            per_village: dict[str, int] = defaultdict(int)
            for h in self.plan_hh[rec.id]:
                per_village[self.hh[h]["village"]] += 1
            direct = set(self.plan_villages[rec.id])
            for v in sorted(direct | set(per_village)):
                rows.append(
                    {
                        "plan": rec.id,
                        "village": v,
                        "village_targeted": v in direct,
                        "households": (
                            self.sup(per_village.get(v, 0))
                            if self._lists_households(rec)
                            else NOT_RECORDED
                        ),
                    }
                )
        return self.table(
            "plan_targets",
            "方案帮扶对象",
            "方案 × 村：方案直接帮扶的村，以及方案所帮扶的户所在的村和户数（不公开户编号）。",
            cols,
            rows,
            ["plan", "village"],
            [_fk("plan", "plans"), _fk("village", "villages")],
        )

    def plan_organizations(self) -> Table:
        cols = [
            Column("plan", "string", "方案", "方案编号。", required=True),
            Column("organization", "string", "帮扶主体", "帮扶主体编号。", required=True),
            Column(
                "position",
                "integer",
                "序号",
                "该主体在方案帮扶主体列表中的位置，从 1 开始。",
                required=True,
            ),
        ]
        rows = []
        for rec in self.plans:
            p = self.pub("plan", rec)
            seen = []
            for o in p.get("organizations") or []:
                if isinstance(o, str) and o not in seen and o in self.m.by_kind["organization"]:
                    seen.append(o)
            rows.extend(
                {"plan": rec.id, "organization": o, "position": i + 1} for i, o in enumerate(seen)
            )
        return self.table(
            "plan_organizations",
            "方案帮扶主体",
            "方案 × 帮扶主体：每个方案由哪些主体承担。",
            cols,
            rows,
            ["plan", "organization"],
            [_fk("plan", "plans"), _fk("organization", "organizations")],
        )

    # ------------------------------------------------------------ reports and progress
    def report_entries(self) -> Table:
        c = self.c
        cols = [
            Column("plan", "string", "方案", "方案编号。", required=True),
            c.field("report", ("id",), "period", required=True),
            c.field("report", ("entries", 0, "kind"), "kind", required=True),
            _plain_count("entries", "条目数", "本期该类别的帮扶条目数。"),
            _amount("amount_yuan", "金额（元）", "本期该类别条目金额之和，单位元。"),
            _count(
                "households_reached",
                "涉及户数",
                "本期该类别条目涉及的不同户数；少于门槛的数字不公开。",
            ),
            _plain_count(
                "villages_reached", "涉及村数", "本期该类别以村为对象的条目涉及的不同村数。"
            ),
        ]
        groups: dict[tuple, list] = {}
        for pid, period, kind, _d, hid, vid, amt in self.entry_rows:
            g = groups.setdefault((pid, period, kind), [0, Decimal(0), set(), set()])
            g[0] += 1
            g[1] += amt
            if hid:
                g[2].add(hid)
            if vid:
                g[3].add(vid)
        rows = [
            {
                "plan": p,
                "period": per,
                "kind": k,
                "entries": g[0],
                "amount_yuan": _yuan(g[1]),
                "households_reached": self.sup(len(g[2])),
                "villages_reached": len(g[3]),
            }
            for (p, per, k), g in groups.items()
        ]
        return self.table(
            "report_entries",
            "进度报告汇总",
            "进度报告条目按方案 × 报送期 × 活动类别汇总：条目数、金额、涉及户数和村数。",
            cols,
            rows,
            ["plan", "period", "kind"],
            [_fk("plan", "plans")],
        )

    def progress(self) -> Table:
        c = self.c
        cols = [
            Column("village", "string", "村", "村编号。", required=True),
            Column("month", "string", "月份", "公历月份，格式 YYYY-MM。", required=True),
            c.field("household", ("category",), "category", required=True),
            _count(
                "households_monitored",
                "监测户数",
                "当月处于监测期的户数（认定之后、退出公示之前）；少于门槛的数字不公开。",
            ),
            _count(
                "households_paired",
                "已结对户数",
                "当月在方案期间内的方案（不含草拟和已终止）列为帮扶对象的监测户数；少于门槛的数字不公开。",
            ),
            _count(
                "households_visited",
                "已走访户数",
                "当月有走访、回访、慰问或交付条目的户数；少于门槛的数字不公开。",
            ),
            _plain_count("entries", "条目数", "当月以这些户为对象的帮扶条目数。"),
            _amount(
                "amount_yuan",
                "交付金额（元）",
                "当月交付给这些户的资金和物资折价合计，单位元；以村为对象的交付见进度报告汇总表。",
            ),
        ]
        months = self._progress_months()
        if not months:
            return self.table(
                "progress",
                "帮扶进度",
                _PROGRESS_DESC,
                cols,
                [],
                ["village", "month", "category"],
                [_fk("village", "villages")],
            )
        first, last = months[0][1], months[-1][2]
        # active plan periods per household
        spans: dict[str, list[dict]] = defaultdict(list)  # household → plans targeting it
        for rec in self.plans:
            for h in self.plan_hh[rec.id]:
                spans[h].append(rec.data)
        visited: dict[tuple[str, str], set] = defaultdict(set)
        entries: dict[tuple, int] = defaultdict(int)
        amounts: dict[tuple, Decimal] = defaultdict(Decimal)
        for _p, _per, _k, d, hid, _vid, amt in self.entry_rows:
            if hid and d and first <= d <= last:
                h = self.hh[hid]
                key = (h["village"], _month(d), h["category"])
                visited[key].add(hid)
                entries[key] += 1
                amounts[key] += amt
        counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for hid, h in self.hh.items():
            if h["category"] is None:
                continue
            for label, ms, me in months:
                if (h["start"] and h["start"] > me) or (h["end"] and h["end"] < ms):
                    continue
                cnt = counts[(h["village"], label, h["category"])]
                cnt[0] += 1
                if any(ran_during(p, ms, me) for p in spans.get(hid, ())):
                    cnt[1] += 1
        rows = []
        for key in sorted(set(counts) | {k for k in visited if k[2] is not None}):
            cnt = counts.get(key, [0, 0])
            rows.append(
                {
                    "village": key[0],
                    "month": key[1],
                    "category": key[2],
                    "households_monitored": self.sup(cnt[0]),
                    "households_paired": self.sup(cnt[1]),
                    "households_visited": self.sup(len(visited.get(key, ()))),
                    "entries": entries.get(key, 0),
                    "amount_yuan": _yuan(amounts.get(key, Decimal(0))),
                }
            )
        return self.table(
            "progress",
            "帮扶进度",
            _PROGRESS_DESC,
            cols,
            rows,
            ["village", "month", "category"],
            [_fk("village", "villages")],
        )

    def _progress_months(self):
        """Months covered by active plans that target households, or by household entries,
        up to the month of ``as_of``."""
        dates = []
        for rec in self.plans:
            if carried_out(rec.data) and self.plan_hh[rec.id]:
                dates += [
                    _date(_get(rec.data, "period", "start")),
                    _date(_get(rec.data, "period", "end")),
                ]
        dates += [r[3] for r in self.entry_rows if r[4]]
        dates = [d for d in dates if d]
        if not dates or min(dates) > self.as_of:
            return []
        return _months(min(dates), min(max(dates), self.as_of))


_PROGRESS_DESC = (
    "村 × 月份 × 监测类别：处于监测期的户数、已结对户数、已走访户数、条目数和交付金额。"
    "只有汇总数字，没有户级记录。"
)


def _planned(measures: list[dict]) -> int | float | None:
    """Sum of the measures' planned amounts; None when no measure states an amount."""
    amounts = [_num(x["amount"]) for x in measures if _is_number(x.get("amount"))]
    return _yuan(sum(amounts, Decimal(0))) if amounts else None


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _last_day(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1) - dt.timedelta(days=1)


def _fk(column: str, resource: str, target: str | None = None) -> dict:
    return {"fields": [column], "reference": {"resource": resource, "fields": [target or "id"]}}
