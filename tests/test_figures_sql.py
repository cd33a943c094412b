"""Statements of ``figures.sql`` written for speed give the rows of their plain definitions.

``report_entry_fig`` counts distinct households and villages from distinct rows joined back,
and ``progress_fig`` finds the paired household-months by a join and the visited households
from their rows per month (at 500,000 households, 4.2 s and 3.3 s as the plain definitions
below, which a correlated ``EXISTS`` and ``count(DISTINCT …)`` per group made slow). Each is
run beside its plain definition on the same store, on data where the difference matters: a
household in two carried-out plans in one month, a household with two entries in one group.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bangfu.aggregate import store as store_mod
from bangfu.aggregate.store import Store
from bangfu.config import Config
from bangfu.pipeline import Pipeline
from bangfu.synth import SynthOptions, generate

ROOT = Path(__file__).resolve().parents[1]

PLAIN = {
    "report_entry_fig": """
SELECT plan, period, kind, count(*) AS entries, sum(amount) AS amount,
  count(DISTINCT household) FILTER (WHERE hh_village IS NOT NULL) AS households,
  count(DISTINCT own_village) AS villages
FROM ent GROUP BY plan, period, kind""",
    "progress_fig": """
WITH counts AS (
  SELECT village, month, category, count(*) AS monitored,
    count(*) FILTER (WHERE EXISTS (
      SELECT 1 FROM plan_hh x JOIN ps ON ps.id = x.plan
      WHERE x.household = hm.household AND ps.carried_out
        AND ps.start <= hm.me AND ps."end" >= hm.ms)) AS paired
  FROM hh_month hm GROUP BY village, month, category
), reached AS (
  SELECT hh.village, strftime(e.date, '%Y-%m') AS month, hh.category,
    count(DISTINCT e.household) AS visited, count(*) AS entries, sum(e.amount) AS amount
  FROM ent e JOIN hh ON hh.id = e.household
  WHERE hh.category IS NOT NULL AND strftime(e.date, '%Y-%m') IN (SELECT month FROM month)
  GROUP BY hh.village, strftime(e.date, '%Y-%m'), hh.category
)
SELECT COALESCE(c.village, r.village) AS village, COALESCE(c.month, r.month) AS month,
  COALESCE(c.category, r.category) AS category,
  COALESCE(c.monitored, 0) AS monitored, COALESCE(c.paired, 0) AS paired,
  COALESCE(r.visited, 0) AS visited, COALESCE(r.entries, 0) AS entries,
  COALESCE(r.amount, 0) AS amount
FROM counts c FULL JOIN reached r
  ON r.village = c.village AND r.month = c.month AND r.category = c.category""",
}


@pytest.fixture(scope="module", params=["2025-09-30", "2026-06-30"])
def store(request, tmp_path_factory, monkeypatch_module):
    """Every table of the script kept (none dropped after its last reader), for a synthetic
    ledger of 600 households (8 per plan), one plan copied under a new id and its reports'
    entries each given twice, on two as-of dates."""
    out = tmp_path_factory.mktemp("figsql") / "demo"
    generate(Config.make(ROOT / "data"), SynthOptions(households=600, seed=3, out=out))
    # a second plan for the households of the first: each is paired twice in its months
    first = sorted((out / "data" / "plans").glob("*/*/plan.yaml"))[0]
    pid = first.parent.name
    copy = first.parent.with_name(pid + "-b") / "plan.yaml"
    copy.parent.mkdir()
    text = first.read_text("utf-8").replace(f"id: {pid}\n", f"id: {pid}-b\n")
    copy.write_text(text.replace("name: （演示）", "name: （演示）第二个"), "utf-8")
    # and every entry of its reports twice: two entries of a household in one group and month
    for report in sorted((first.parent / "reports").glob("*.yaml")):
        data = yaml.safe_load(report.read_text("utf-8"))
        data["entries"] = data["entries"] * 2
        report.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    cfg = Config.make(out / "data", None, request.param)
    monkeypatch_module.setattr(
        store_mod, "schedule", lambda wanted=None: [(s, ()) for s in store_mod.statements(wanted)]
    )
    s = Store.from_model(Pipeline(cfg).model, dt.date.fromisoformat(request.param))
    yield s
    s.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _one(store, sql: str) -> int:
    ((n,),) = store.rows(sql)
    return n


def test_the_data_holds_the_cases_where_the_rewrite_could_differ(store):
    """Without these the comparisons below could not fail for the reasons that matter."""
    assert _one(
        store,
        """SELECT count(*) FROM (
          SELECT hm.household, hm.month FROM hh_month hm
          JOIN plan_hh x ON x.household = hm.household JOIN ps ON ps.id = x.plan
          WHERE ps.carried_out AND ps.start <= hm.me AND ps."end" >= hm.ms
          GROUP BY ALL HAVING count(*) > 1)""",
    ), "no household-month in two carried-out plans"
    assert _one(
        store,
        """SELECT count(*) FROM (SELECT plan, period, kind, household FROM ent
          WHERE hh_village IS NOT NULL GROUP BY ALL HAVING count(*) > 1)""",
    ), "no household with two entries in one group"
    assert _one(
        store,
        """SELECT count(*) FROM (SELECT hh.village, strftime(e.date, '%Y-%m'), e.household
          FROM ent e JOIN hh ON hh.id = e.household WHERE hh.category IS NOT NULL
          GROUP BY ALL HAVING count(*) > 1)""",
    ), "no household with two entries in one month"


@pytest.mark.parametrize("table", sorted(PLAIN))
def test_a_rewritten_statement_gives_the_rows_of_its_plain_definition(store, table):
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE plain_{table} AS {PLAIN[table]}")
    for a, b in ((table, f"plain_{table}"), (f"plain_{table}", table)):
        assert _one(store, f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})") == 0
    assert _one(store, f"SELECT count(*) FROM {table}") > 0
    types = [
        store.rows(f"SELECT column_name, column_type FROM (DESCRIBE {t})")
        for t in (table, f"plain_{table}")
    ]
    assert types[0] == types[1]
