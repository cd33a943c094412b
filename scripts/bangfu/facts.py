"""Facts stage: the public-safe facts of each record, as columnar (Arrow) tables.

``record_facts(kind, data)`` turns one parsed record into rows of the fact tables below. It
reads only what the aggregate layer counts — ids, references, categories, states, dates,
amounts — and never a private field (names, ID numbers, phones, addresses, members, health
notes, free text). ``FactTables`` collects the rows of many records into Arrow tables, which
``bangfu.aggregate`` loads into DuckDB; every public figure is defined there, in SQL.

Rows are tuples in the column order of ``SCHEMA`` (dates as ISO text, so that the loader can
cache a record's facts with its parse, keyed by the file's content hash: a rebuild after 100
changed files computes the facts of those 100 only); a value the record does not hold (or
holds with the wrong type, which the checker reports) is ``None``. Their short texts are the
record's own strings, interned by the parser, or interned here where a fact is made (a report's
first day), so that the cache and the records hold each word once.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from .record import IN_COLUMNS, unpack_facts
from .rules.base import date_of, period_of
from .rules.dates import label_period
from .rules.records import counts_as_filed

EXIT_STEP = "退出公示"
AMOUNT = pa.float64()  # yuan; the store casts to DECIMAL(38, 6) and sums exactly

SCHEMA: dict[str, pa.Schema] = {
    "county": pa.schema([("id", pa.string()), ("province", pa.string())]),
    "township": pa.schema([("id", pa.string()), ("county", pa.string())]),
    "village": pa.schema([("id", pa.string()), ("township", pa.string()), ("county", pa.string())]),
    "household": pa.schema(
        [
            ("id", pa.string()),
            ("village", pa.string()),
            ("category", pa.string()),
            ("status", pa.string()),
            ("tier", pa.string()),
            ("income_projects", pa.bool_()),
            ("start", pa.date32()),  # first identification step (exit notice excluded)
            ("exit", pa.date32()),  # last exit notice or exit step, when the status is 退出
            ("ident", pa.date32()),  # last identification step of any kind
        ]
    ),
    "organization": pa.schema([("id", pa.string())]),
    "campaign": pa.schema(
        [
            ("id", pa.string()),
            ("start", pa.date32()),
            ("end", pa.date32()),
            ("tracked_from", pa.date32()),
        ]
    ),
    "plan": pa.schema(
        [
            ("id", pa.string()),
            ("campaign", pa.string()),
            ("status", pa.string()),
            ("start", pa.date32()),
            ("end", pa.date32()),
            ("tracked_from", pa.date32()),
            ("lists_households", pa.bool_()),
            ("planned", AMOUNT),  # sum of the measures' amounts; null when none states one
            ("measures", pa.int32()),
        ]
    ),
    "plan_village": pa.schema([("plan", pa.string()), ("village", pa.string())]),
    "plan_household": pa.schema([("plan", pa.string()), ("household", pa.string())]),
    "plan_org": pa.schema(
        [("plan", pa.string()), ("organization", pa.string()), ("position", pa.int32())]
    ),
    "report": pa.schema(
        [
            ("plan", pa.string()),
            ("period", pa.string()),  # the report's id: 2020-04, 2020-W18, 2020-Q2
            ("label_start", pa.date32()),  # first day the label covers
            ("year_from", pa.int32()),  # years of the report's period
            ("year_to", pa.int32()),
            ("submitted", pa.date32()),
            ("submitted_time", pa.string()),
            ("filed", pa.bool_()),  # counts as filed (rules.records.counts_as_filed)
        ]
    ),
    "entry": pa.schema(
        [
            ("plan", pa.string()),
            ("period", pa.string()),
            ("kind", pa.string()),
            ("date", pa.date32()),
            ("household", pa.string()),
            ("village", pa.string()),
            ("amount", AMOUNT),
            ("income_project", pa.bool_()),
        ]
    ),
}


def _str(v) -> str | None:
    return v if isinstance(v, str) else None


def _list(v) -> list:
    return v if isinstance(v, list) else []


def _dict(v) -> dict:
    return v if isinstance(v, dict) else {}


def _day(v) -> str | None:
    """A date as its ISO text (facts are cached with marshal, which has no date type)."""
    return v if date_of(v) is not None else None


def _span(v) -> tuple[str | None, str | None]:
    """A period's start and end, both or neither (``rules.base.period_of``)."""
    return (v["start"], v["end"]) if period_of(v) is not None else (None, None)


def _amount(v) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


def _household(d: dict) -> dict[str, list]:
    steps = [s for s in _list(_dict(d.get("identification")).get("steps")) if isinstance(s, dict)]
    dated = [(s.get("step"), _day(s.get("date"))) for s in steps]
    starts = [x for step, x in dated if x and step != EXIT_STEP]
    exits = [x for step, x in dated if x and step == EXIT_STEP]
    # the exit procedure a region's policy sets (rules.steps): the exit is its last step
    exit_days = [_day(s.get("date")) for s in _list(d.get("exit_steps")) if isinstance(s, dict)]
    exits += [x for x in exit_days if x]
    every = [x for _, x in dated if x]
    ip = d.get("income_projects")
    status = _str(d.get("status"))
    row = (
        d.get("id"),
        _str(d.get("village")),
        _str(d.get("category")),
        status,
        _str(d.get("warning_tier")),
        isinstance(ip, int) and not isinstance(ip, bool) and ip > 0,
        min(starts) if starts else None,
        max(exits) if exits and status == "退出" else None,
        max(every) if every else None,
    )
    return {"household": [row]}


def _county(d: dict) -> dict[str, list]:
    cid = d["id"]
    out: dict[str, list] = {
        "county": [(cid, _str(d.get("province")))],
        "township": [],
        "village": [],
    }
    for t in _list(d.get("townships")):
        if not isinstance(t, dict) or not isinstance(t.get("id"), str):
            continue
        out["township"].append((t["id"], cid))
        for v in _list(t.get("villages")):
            if isinstance(v, dict) and isinstance(v.get("id"), str):
                out["village"].append((v["id"], t["id"], cid))
    return out


def _plan(d: dict) -> dict[str, list]:
    pid = d["id"]
    start, end = _span(d.get("period"))
    targets = _dict(d.get("targets"))
    measures = [m for m in _list(d.get("measures")) if isinstance(m, dict)]
    amounts = [a for a in (_amount(m.get("amount")) for m in measures) if a is not None]
    orgs = list(dict.fromkeys(o for o in _list(d.get("organizations")) if isinstance(o, str)))
    return {
        "plan": [
            (
                pid,
                _str(d.get("campaign")),
                _str(d.get("status")),
                start,
                end,
                _day(d.get("reports_tracked_from")),
                isinstance(targets.get("households"), list),
                float(sum(Decimal(repr(a)) for a in amounts)) if amounts else None,
                len(measures),
            )
        ],
        "plan_village": [
            (pid, v) for v in dict.fromkeys(_list(targets.get("villages"))) if isinstance(v, str)
        ],
        "plan_household": [
            (pid, h) for h in dict.fromkeys(_list(targets.get("households"))) if isinstance(h, str)
        ],
        "plan_org": [(pid, o, i + 1) for i, o in enumerate(orgs)],
    }


def _report(d: dict) -> dict[str, list]:
    plan, label = _str(d.get("plan")), d["id"]
    covered = label_period(label)
    period = period_of(d.get("period"))
    t = d.get("submitted_time")
    rows: dict[str, list] = {
        "report": [
            (
                plan,
                label,
                sys.intern(covered[0].isoformat()) if covered else None,
                period[0].year if period else None,
                period[1].year if period else None,
                _day(d.get("submitted")),
                t if isinstance(t, str) else None,
                counts_as_filed(d),
            )
        ],
        "entry": [],
    }
    for e in _list(d.get("entries")):
        if not isinstance(e, dict) or not isinstance(e.get("kind"), str):
            continue
        rows["entry"].append(
            (
                plan,
                label,
                e["kind"],
                _day(e.get("date")),
                _str(e.get("household")),
                _str(e.get("village")),
                _amount(e.get("amount")) or 0.0,
                e.get("income_project") is True,
            )
        )
    return rows


def _campaign(d: dict) -> dict[str, list]:
    start, end = _span(d.get("period"))
    return {"campaign": [(d["id"], start, end, _day(d.get("reports_tracked_from")))]}


_BY_KIND = {
    "household": _household,
    "county": _county,
    "plan": _plan,
    "report": _report,
    "campaign": _campaign,
    "organization": lambda d: {"organization": [(d["id"],)]},
}


def record_facts(kind: str | None, data) -> dict[str, list]:
    """The fact rows of one record (empty for kinds nothing is counted from, or for a record
    whose id is not a string)."""
    fn = _BY_KIND.get(kind or "")
    if fn is None or not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return {}
    return fn(data)


class FactTables:
    """Rows of many records, collected per table; ``arrow()`` gives the Arrow tables."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {name: [] for name in SCHEMA}

    def add(self, facts: dict[str, list]) -> None:
        for name, rows in facts.items():
            self.rows[name].extend(rows)

    def add_records(self, records: Iterable) -> FactTables:
        for rec in records:
            self.add(facts_of(rec))
        return self

    def arrow(self) -> dict[str, pa.Table]:
        return {name: arrow_table(schema, self.rows[name]) for name, schema in SCHEMA.items()}


def arrow_table(schema: pa.Schema, rows: list[tuple]) -> pa.Table:
    """Rows (tuples in the schema's column order, dates as ISO text) as an Arrow table: read
    by Arrow as one struct array, then the dates parsed from their text (turning the rows
    into columns in Python took 2.6 s of 4.3 for the 1.8 million entries at 200,000
    households). A row of the wrong length is refused (``pyarrow.ArrowInvalid``)."""
    return pa.Table.from_struct_array(pa.array(rows, type=text_struct(schema))).cast(schema)


def text_struct(schema: pa.Schema) -> pa.StructType:
    """A table's rows as Arrow reads them from Python: its dates as ISO text."""
    return pa.struct([f.with_type(pa.string()) if f.type == pa.date32() else f for f in schema])


_SUBMITTED = SCHEMA["report"].get_field_index("submitted")
_DATE = SCHEMA["entry"].get_field_index("date")


def recorded_days(facts: dict[str, list]) -> list[str | None]:
    """The days a clean record's facts hold (``pipeline.last_update``): a report's submission
    and its entries' dates. They are every ``submitted``, ``date`` and entry date of a record
    without findings: the schemas give a household none of them, and a report no ``date`` and
    entries with a ``kind`` each (``_report`` keeps those)."""
    return [r[_SUBMITTED] for r in facts.get("report", ())] + [
        r[_DATE] for r in facts.get("entry", ())
    ]


_ENTRY = tuple(SCHEMA["entry"].get_field_index(c) for c in ("kind", "date", "household"))


def entry_contacts(rec) -> list[tuple[str, str | None, str | None]]:
    """(kind, date as ISO text or None, household or None) of each of a report's entries
    that is a mapping with a text kind (``_report``), from its facts."""
    k, d, h = _ENTRY
    return [(r[k], r[d], r[h]) for r in facts_of(rec).get("entry", ())]


def contact_days(reports, columns, kinds, as_of: dt.date) -> dict[str, list[dt.date]]:
    """Household → sorted days of the entries of ``kinds`` in ``reports`` dated on or before
    ``as_of`` (``entry_contacts``: an entry with a text kind, a valid date and a household).
    A report at a cell of the parse cache's ``columns`` (``factcache.Columns``) gives its
    entries from there, all such reports' at once, laid flat; the others from their facts."""
    out: dict[str, list[dt.date]] = defaultdict(list)
    rest = reports
    if columns is not None:
        cells = [r.cell for r in reports if r.cell >= 0 and r.facts is not None]
        table = columns.fields_at("entry", cells, ("kind", "date", "household")) if cells else None
        if table is not None:
            rest = [r for r in reports if not (r.cell >= 0 and r.facts is not None)]
            kind = pc.is_in(table["kind"], value_set=pa.array(sorted(kinds), pa.string()))
            day = pc.less_equal(table["date"], pa.scalar(as_of, pa.date32()))  # null: not kept
            found = table.filter(pc.and_(pc.and_(kind, day), pc.is_valid(table["household"])))
            days = found["date"].to_pylist()
            for hh, when in zip(found["household"].to_pylist(), days, strict=True):
                out[hh].append(when)
    for rep in rest:
        for k, text, hh in entry_contacts(rep):
            if k not in kinds or text is None or hh is None:
                continue
            when = date_of(text)
            if when is not None and when <= as_of:
                out[hh].append(when)
    return {k: sorted(v) for k, v in out.items()}


def facts_of(rec) -> dict[str, list]:
    """The record's facts: those the loader cached with its parse (decoded where packed),
    else computed now (as for a record whose facts are in the columns: ``IN_COLUMNS``)."""
    facts = rec.facts
    if type(facts) is dict:
        return facts
    facts = unpack_facts(facts) if facts is not IN_COLUMNS else None
    return facts if facts is not None else record_facts(rec.kind, rec.data)


def from_model(model) -> dict[str, pa.Table]:
    """The fact tables of every record of ``model`` that was indexed (duplicates and
    unreadable records left out, as the figures always did). Where the model's records came
    with the parse cache's columns (``Model.columns``), a record taken from the cache adds
    its entry's rows from there (``factcache``), the others their own facts."""
    indexed = [r for index in model.by_kind.values() for r in index.values()]
    indexed += [r for reps in model.reports_by_plan.values() for r in reps]
    tables = model.columns.tables(indexed) if model.columns is not None else None
    return tables if tables is not None else FactTables().add_records(indexed).arrow()
