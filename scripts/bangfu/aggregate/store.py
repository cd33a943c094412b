"""The aggregate store: the fact tables in an in-process DuckDB database, with every public
figure defined once by ``figures.sql``.

Besides the facts (``bangfu.facts``), the script reads four small inputs computed here from
records, because they are rules of the calendar and of policy rather than figures:
``params`` (the as-of date), ``revisit_days`` (the revisit interval that the policy of each
county sets for each status, in the year of the as-of date), ``expected`` (the reporting
periods a campaign's rule asks of each of its plans, clipped to the plan's and the campaign's
periods; ``monitor.expected_periods``), ``derived_tier`` (the warning tier each household's
policy derives from its record, ``rules.tiers.derive``; only households whose policy derives
one) and ``supervisor`` (for each household whose policy sets the rule, whether it lacks its
一户一策, has a visit gap or is past its 渐退期 on the as-of date: ``rules.cycle.supervisor_rows``,
the checker's own rule functions).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from typing import TypeVar

import duckdb
import pyarrow as pa

from .. import facts as facts_mod
from ..config import workers_set
from ..monitor import CONTACT_KINDS, MONITORED, expected_periods
from ..policy import PolicyIndex
from ..rules.base import period_of
from ..rules.cycle import supervisor_rows
from ..rules.tiers import derive, households_under, policy_of

_EXACT = {"entry": ("amount",), "plan": ("planned",)}  # amount columns, per fact table
EXPECTED = pa.schema(
    [
        ("plan", pa.string()),
        ("label", pa.string()),
        ("start", pa.date32()),
        ("end", pa.date32()),
        ("due", pa.date32()),
        ("due_time", pa.string()),
    ]
)
DERIVED_TIER = pa.schema([("household", pa.string()), ("tier", pa.string())])
SUPERVISOR = pa.schema([("household", pa.string()), ("code", pa.string()), ("found", pa.bool_())])
REVISIT_DAYS = pa.schema([("county", pa.string()), ("status", pa.string()), ("days", pa.int32())])


@cache
def script() -> tuple[str, ...]:
    text = resources.files(__package__).joinpath("figures.sql").read_text("utf-8")
    return tuple(s.strip() for s in text.split("\n;\n") if s.strip())


# the table (or macro) a statement of figures.sql makes or changes
_WRITES = re.compile(
    r"^\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:TABLE|VIEW|MACRO)"
    r"|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)",
    re.IGNORECASE | re.MULTILINE,
)


@cache
def _plan() -> tuple[tuple[str, str, frozenset[str]], ...]:
    """(statement, the table it writes, the script's tables it reads) for every statement."""
    code = [re.sub(r"--[^\n]*", "", s) for s in script()]
    writes = []
    for s, c in zip(script(), code, strict=True):
        m = _WRITES.search(c)
        if m is None:
            raise RuntimeError(f"figures.sql: a statement that writes no table: {s[:80]!r}")
        writes.append(m.group(1))
    made = set(writes)
    return tuple(
        (s, w, frozenset(set(re.findall(r"\w+", c)) & made) - {w})
        for s, c, w in zip(script(), code, writes, strict=True)
    )


def statements(wanted: Iterable[str] | None = None) -> list[str]:
    """The statements of figures.sql, in order, that the tables ``wanted`` need (all of them
    for None): those that write a wanted table, and in turn those that write what they read.
    A name that merely looks like a table (a column called like one) only adds statements."""
    plan = _plan()
    if wanted is None:
        return [s for s, _, _ in plan]
    reads: dict[str, set[str]] = {}
    for _, w, r in plan:
        reads.setdefault(w, set()).update(r)
    todo = list(wanted)
    if missing := sorted(set(todo) - reads.keys()):
        raise ValueError(f"figures.sql makes no table {missing}")
    need: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in need:
            need.add(name)
            todo += reads[name]
    return [s for s, w, _ in plan if w in need]


# The script's tables read from Python: ``cells``, ``status``, ``tables_*`` and ``protect``
# (a test checks that those modules name no other). They stay until the store closes; every
# other table the script makes is dropped after the last statement that reads or changes
# it, so the intermediate steps (entries with their places, households by month…) do not
# stay in memory beside the figures.
READ = frozenset(
    {
        "campaign_fig",
        "campaign_paired",
        "fig",
        "fig_category",
        "fig_plan",
        "ledger",
        "org_fig",
        "org_timeliness",
        "period_state",
        "plan_fig",
        "plan_last",
        "plan_org_fig",
        "plan_target_fig",
        "progress_fig",
        "ps",
        "recorded_county",
        "report_entry_fig",
        "revisit",
        "stat",
        "status_periods",
        "status_place",
        "tier",
    }
)


def tables_made() -> frozenset[str]:
    """Every table figures.sql makes."""
    return frozenset(w for _, w, _ in _plan())


def schedule(wanted: Iterable[str] | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """``statements(wanted)``, each with the tables to drop once it has run: those neither
    read from Python (``READ``) nor wanted, after the last chosen statement naming them."""
    writes = {s: (w, r) for s, w, r in _plan()}
    chosen = statements(wanted)
    keep = READ | set(wanted or ())
    last: dict[str, int] = {}
    for i, stmt in enumerate(chosen):
        w, r = writes[stmt]
        for name in (w, *r):
            last[name] = i
    after: dict[int, list[str]] = {}
    for name, i in last.items():
        if name not in keep:
            after.setdefault(i, []).append(name)
    return [(stmt, tuple(sorted(after.get(i, ())))) for i, stmt in enumerate(chosen)]


def expected_rows(model) -> list[tuple]:
    """(plan, label, start, end, due, due time; dates as ISO text) for every plan whose campaign sets a
    reporting rule; the SQL keeps only carried-out plans."""
    out = []
    for pid in sorted(model.ids("plan")):
        plan = model.get("plan", pid).data
        camp_id = plan.get("campaign")
        camp = model.get("campaign", camp_id) if isinstance(camp_id, str) else None
        reporting = (camp.data.get("reporting") if camp else None) or {}
        pp = period_of(plan.get("period"))
        if not pp or not isinstance(reporting, dict) or not reporting.get("cadence"):
            continue
        start, end = pp
        cp = period_of(camp.data.get("period")) if camp else None
        if cp:
            start, end = max(start, cp[0]), min(end, cp[1])
        due_time = reporting.get("time") if isinstance(reporting.get("time"), str) else None
        for label, ps, pe, due in expected_periods(reporting, start, end):
            out.append((pid, label, ps.isoformat(), pe.isoformat(), due.isoformat(), due_time))
    return out


def revisit_rows(model, as_of: dt.date) -> list[tuple]:
    policies = PolicyIndex(model)
    out = []
    for cid in sorted(model.ids("county")):
        pol = policies.for_county(cid, as_of.year)
        for status, days in sorted(((pol.revisit_days or {}) if pol else {}).items()):
            if isinstance(days, int) and not isinstance(days, bool):
                out.append((cid, status, days))
    return out


def tier_rows(model) -> list[tuple]:
    """(household, derived tier or None) for every household whose policy derives tiers."""
    policies = PolicyIndex(model)
    out = []
    for hid, rec in households_under(model, policies, lambda p: bool(p.get("warning_tiers"))):
        d = rec.data
        if not isinstance(d, dict):
            continue
        applies, tier = derive(d, policy_of(model, policies, d))
        if applies:
            out.append((hid, tier))
    return out


T = TypeVar("T")
# called once the facts are read; gives what lets go of the records' memory (or None)
ReleaseHook = Callable[[], Callable[[], None] | None]


def beside(task: Callable[[], None] | None, work: Callable[[], T]) -> T:
    """``work()``, with ``task`` run meanwhile in a thread (None: none); the thread has ended
    when this returns or raises, and an error of ``task`` is raised once ``work`` is done.

    At 500,000 households ``Model.release`` takes 5 s of one core, and the database's build
    (13 s) leaves one core idle for a quarter of its time: one after the other they took
    18.5–20.9 s (three traced builds), side by side 17.3–17.5 s (two), the letting-go
    slowed to 7–8 s by sharing the cores with DuckDB's threads."""
    if task is None:
        return work()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            task()
        except BaseException as e:  # noqa: BLE001 — raised in the caller's thread below
            failed.append(e)

    thread = threading.Thread(target=run, name="bangfu-release", daemon=True)
    thread.start()
    try:
        out = work()
    finally:
        thread.join()
    if failed:
        raise failed[0]
    return out


# DuckDB's memory for the store's tables and its queries' intermediates. Measured by building
# the store alone from the facts of 500,000 households (its inputs 0.9 GB): with DuckDB's
# default (80 % of the machine's memory) the build added 3.3 GB at its peak and kept 1.8 GB
# until the store closed; with 1 GB, 1.2 GB and 0.5 GB, in the same time (14.7-16.1 s against
# 12.6-16.0 s; 500 MB and 700 MB took 19 s). A county's store stays far below it.
MEMORY_LIMIT = "1GB"


class Store:
    """One DuckDB connection holding the facts and the figures for one as-of date."""

    def __init__(
        self,
        facts: dict[str, pa.Table],
        as_of: dt.date,
        revisit,
        expected,
        tiers=(),
        supervisor=(),
        wanted: Iterable[str] | None = None,
    ):
        """``wanted``: the script's tables the caller reads (None: every figure); only the
        statements they need run."""
        self.as_of = as_of
        # BANGFU_WORKERS, when set, caps DuckDB's threads as it caps the processes reading a
        # tree (the test workers set 1: they already keep every core busy)
        threads = workers_set()
        # the database's memory is capped (``MEMORY_LIMIT``); beyond it DuckDB writes blocks
        # to files in a folder of its own, removed at ``close`` (or when the store is dropped)
        self._spill = tempfile.mkdtemp(prefix="bangfu-store-")
        self._removed = weakref.finalize(self, shutil.rmtree, self._spill, True)
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": self._spill,
        }
        if threads:
            config["threads"] = threads
        self.con = duckdb.connect(":memory:", config=config)
        self.capped = True  # False once a statement needed more (``_retried``)
        self._keep = dict(facts)  # Arrow tables must outlive the views registered on them
        self._keep["revisit_days"] = facts_mod.arrow_table(REVISIT_DAYS, revisit)
        self._keep["expected"] = facts_mod.arrow_table(EXPECTED, expected)
        self._keep["derived_tier"] = facts_mod.arrow_table(DERIVED_TIER, list(tiers))
        self._keep["supervisor"] = facts_mod.arrow_table(SUPERVISOR, list(supervisor))
        self._keep["contact_kind"] = pa.table({"kind": sorted(CONTACT_KINDS)})
        self._keep["monitored_status"] = pa.table({"status": list(MONITORED)})
        for name, table in self._keep.items():
            if name in _EXACT:  # amounts: summed as decimals, never as floats
                self.con.register(f"_{name}", table)
                self.execute(
                    f'CREATE TEMP TABLE "{name}" AS SELECT * REPLACE ('
                    + ", ".join(f"CAST({c} AS DECIMAL(38, 6)) AS {c}" for c in _EXACT[name])
                    + f') FROM "_{name}"'
                )
            else:
                self.con.register(name, table)
        self.execute("CREATE TEMP TABLE params AS SELECT CAST(? AS DATE) AS as_of", [as_of])
        for stmt, done in schedule(wanted):
            self.execute(stmt)
            for name in done:  # no later statement nor reader needs it
                self.execute(f'DROP TABLE IF EXISTS "{name}"')

    def execute(self, sql: str, params=()) -> None:
        """Run one statement on the database (``_retried``)."""
        self._retried(lambda: self.con.execute(sql, list(params)))

    def _retried(self, run: Callable[[], T]) -> T:
        """``run()`` (a statement, or a query and its fetch). One that needs more memory than
        ``MEMORY_LIMIT`` allows (part of a query's state cannot be written out) runs again,
        and the rest of the store's statements after it, under DuckDB's own limit: a failed
        statement changed nothing, and the figures do not depend on the limit."""
        try:
            return run()
        except duckdb.OutOfMemoryException:
            if not self.capped:
                raise
            self.capped = False
            self.con.execute("RESET memory_limit")
            return run()

    @classmethod
    def from_model(
        cls,
        model,
        as_of: dt.date,
        wanted: Iterable[str] | None = None,
        release: ReleaseHook | None = None,
        supervisor: Callable[[], list[tuple]] | None = None,
    ) -> Store:
        """The store of ``model``'s facts. ``release`` is called once they are all read from
        the records, before the database is built; it gives the letting-go of the records'
        memory (``Model.release``), or None: that runs in a thread while DuckDB builds the
        database (which holds no record, and runs without the interpreter's lock), and has
        ended when the store is returned. ``supervisor``: where another process computed
        ``supervisor_rows(model, as_of)`` (the check's, ``Pipeline.publishable``), a call that
        gives them once ``release`` has returned; else they are computed here."""
        facts = facts_mod.from_model(model)
        revisit, expected, tiers = (
            revisit_rows(model, as_of),
            expected_rows(model),
            tier_rows(model),
        )
        rows = supervisor_rows(model, as_of) if supervisor is None else None
        let_go = release() if release is not None else None
        if supervisor is not None:
            rows = supervisor()
        return beside(
            let_go, lambda: cls(facts, as_of, revisit, expected, tiers, rows or (), wanted)
        )

    def rows(self, sql: str, params=()) -> list[tuple]:
        return self._retried(lambda: self.con.execute(sql, list(params)).fetchall())

    def dicts(self, sql: str, params=()) -> list[dict]:
        def run() -> list[dict]:
            cur = self.con.execute(sql, list(params))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

        return self._retried(run)

    def close(self) -> None:
        self.con.close()
        self._removed()
