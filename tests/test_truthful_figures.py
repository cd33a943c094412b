"""The public site, the open data and ``bangfu status`` state only what the ledger records.

Pinned on the real ``data/`` at a date long after the 2020 campaigns (``--as-of 2026-11-30``):
the 16 Qingshui organizations are not shown as failing to report when the ledger tracks none
of their reports, amounts and household figures the ledger does not hold are 台账中无记录
(— on pages, an empty declared-missing cell in CSV) and not 0, and the 2020 plans are ended,
not running. A recorded zero still shows 0. Deadlines follow the campaign records: Chaoyang's
monthly form by the 25th of the same month, Qingshui's weekly report by Tuesday 18:00.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from frictionless import validate

from bangfu import monitor
from bangfu.aggregate import status_of
from bangfu.aggregate.builder import amount, amount_of, amount_sql
from bangfu.aggregate.store import Store
from bangfu.config import Config
from bangfu.findings import has_errors
from bangfu.pipeline import Pipeline
from bangfu.publish import pages_orgs
from bangfu.publish.site import context
from bangfu.yamlsafe import Parsed

from .conftest import ROOT, bangfu, built_site

DATA = ROOT / "data"
AS_OF = "2026-11-30"
QINGSHUI_PLAN = "data/plans/gs-qingshui/qingshui-2020-gaoqiao"
MISSING = "台账中无记录"


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _cards(html: str) -> dict[str, str]:
    """Home-page card label → value text."""
    found = re.findall(
        r'<div class="bf-card-value">(.*?)</div><div class="bf-card-label">(.*?)</div>', html
    )
    return {_text(label): _text(value).strip() for value, label in found}


def _table_rows(html: str, table_id: str | None = None) -> list[list[str]]:
    if table_id:
        html = html[html.index(f'id="{table_id}"') :]
    body = html[: html.index("</table>")]
    return [
        [_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory, f"real-site-{AS_OF}", DATA, "--as-of", AS_OF)


def _copy_data(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(DATA, root / "data")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    return root


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


VISIT = {"date": "2020-05-14", "village": "gs-qingshui-shanmen-gaoqiao", "kind": "走访"}


def _weekly_report(root: Path, label: str, submitted: str, time: str | None) -> None:
    start, end = {"2020-W20": ("2020-05-12", "2020-05-17")}[label]
    rep = {
        "id": label,
        "plan": "qingshui-2020-gaoqiao",
        "period": {"start": start, "end": end},
        "submitted": submitted,
    }
    if time is not None:
        rep["submitted_time"] = time
    rep["entries"] = [VISIT]  # a visit without an amount
    _write(root / QINGSHUI_PLAN / "reports" / f"{label}.yaml", rep)


def _checked(root: Path, as_of: str = AS_OF) -> Pipeline:
    pipe = Pipeline(Config.make(root / "data", as_of=as_of))
    assert not has_errors(pipe.result.findings), [f.code for f in pipe.result.findings]
    return pipe


# ---------------------------------------------------------------- 1. absence is not failure


def test_organizations_without_tracked_reports_are_not_shown_as_unreported_or_late(real_site):
    pages = sorted((real_site / "orgs").glob("*.html"))
    assert len(pages) == 17  # the index and the 16 Qingshui organizations
    for page in pages:
        text = _text(page.read_text("utf-8"))
        assert "未报" not in text and "逾期" not in text, page.name
    index = (real_site / "orgs" / "index.html").read_text("utf-8")
    timeliness = [row[-1] for row in _table_rows(index, "bf-orgs")[1:]]
    assert len(timeliness) == 16 and set(timeliness) == {"—"}
    assert MISSING in _text(index)
    search = json.loads((real_site / "search" / "search_index.json").read_text("utf-8"))
    org_docs = [d for d in search["docs"] if d["location"].startswith("orgs/")]
    assert org_docs
    for doc in org_docs:
        assert "未报" not in doc["text"] and "逾期" not in doc["text"], doc["location"]


def test_status_does_not_report_missing_weekly_reports_the_ledger_never_tracked():
    res = bangfu("status", "--data", str(DATA), "--as-of", AS_OF, "--format", "json", cwd=ROOT)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert len(out["report_timeliness"]) == 16
    for org in out["report_timeliness"].values():
        assert all(org[k] is None for k in monitor.TIMELY), org
        assert org[MISSING] == 8  # eight ISO weeks from 12 May to 30 June 2020
    assert out["monitored_households"] is None
    text = bangfu("status", "--data", str(DATA), "--as-of", AS_OF, cwd=ROOT).stdout
    assert "未报" not in text and MISSING in text


def test_plan_amounts_not_in_the_ledger_are_empty_cells_not_zero(real_site):
    package = real_site / "data"
    plans = _rows(package / "plans.csv")
    assert len(plans) == 6
    for row in plans:
        assert row["planned_amount_yuan"] == "" and row["delivered_amount_yuan"] == "", row["id"]
        assert row["target_households"] == ""  # the plans name villages, not households
        assert row["reports"] == "0"  # a count of what the ledger holds: a recorded zero
    villages = _rows(package / "villages.csv")
    assert villages and all(r["amount_yuan"] == "" for r in villages)
    assert all(r["households"] == "" and r["households_paired"] == "" for r in villages)
    counties = _rows(package / "counties.csv")
    assert all(r["households"] == "" for r in counties)
    desc = json.loads((package / "datapackage.json").read_text("utf-8"))
    for res in desc["resources"]:
        if res["type"] == "table":  # the Parquet copies are file resources
            assert "" in res["schema"]["missingValues"]
    report = validate(str(package / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def test_org_pages_show_dash_for_amounts_not_in_the_ledger(real_site):
    html = (real_site / "orgs" / "gs-qingshui-taoyuan-peixun.html").read_text("utf-8")
    rows = _table_rows(html[html.index("统计日状况") :])  # from inside the header row
    assert len(rows) == 1
    plan = rows[0]
    assert plan[5] == "已结束"
    assert plan[6:9] == ["—", "—", "—"]  # planned, delivered, last report
    assert 'title="台账中无记录"' in html and "—：台账中无记录" in _text(html)


def test_home_page_shows_no_zero_for_households_visits_or_amounts_not_recorded(real_site):
    html = (real_site / "index.html").read_text("utf-8")
    cards = _cards(html)
    assert cards["监测户"] == "—"
    assert cards["2026 年走访"] == "—"
    assert cards["2026 年交付"] == "—"
    assert "—：台账中无记录" in _text(html)


# ---------------------------------------------------------------- 2. ended plans


def test_ended_2020_plans_are_not_counted_as_running_in_2026(real_site):
    cards = _cards((real_site / "index.html").read_text("utf-8"))
    assert cards["在执行方案"] == "0"
    assert cards["重点村有结对"] == "0 / 106"
    rows = _table_rows((real_site / "lists" / "supervised.html").read_text("utf-8"), "bf-list")
    villages = rows[1:]
    assert len(villages) == 6
    assert all(r[3] == "0" and r[4] == "1" for r in villages), villages  # running, ended
    plans = _rows(real_site / "data" / "plans.csv")
    assert {r["state"] for r in plans} == {"已结束"}
    assert {r["plans"] for r in _rows(real_site / "data" / "villages.csv")} == {"0"}


def _plan_state(m, plan: dict, as_of: dt.date) -> str:
    """The plan's state as the aggregate layer defines it (figures.sql, table ps)."""
    rec = m.by_kind["plan"][plan["id"]]
    rec.parsed, rec.facts = Parsed(plan), None
    store = Store.from_model(m, as_of)
    try:
        ((state,),) = store.rows("SELECT state FROM ps WHERE id = ?", [plan["id"]])
    finally:
        store.close()
    return state


def test_plan_state_comes_from_status_and_dates_together():
    m = Pipeline(Config.make(DATA)).model
    plan = dict(m.get("plan", "qingshui-2020-gaoqiao").data)
    assert _plan_state(m, plan, dt.date(2020, 5, 11)) == "未开始"
    assert _plan_state(m, plan, dt.date(2020, 6, 1)) == "执行中"
    assert _plan_state(m, plan, dt.date(2020, 6, 30)) == "执行中"
    assert _plan_state(m, plan, dt.date(2026, 11, 30)) == "已结束"
    # a stale 执行中 does not keep a plan running past its period; other statuses decide
    assert _plan_state(m, {**plan, "status": "执行中"}, dt.date(2026, 11, 30)) == "已结束"
    assert _plan_state(m, {**plan, "status": "已终止"}, dt.date(2020, 6, 1)) == "已终止"
    assert _plan_state(m, {**plan, "status": "已完成"}, dt.date(2020, 6, 1)) == "已完成"
    assert _plan_state(m, {**plan, "status": "草拟"}, dt.date(2020, 6, 1)) == "草拟"


# ---------------------------------------------------------------- a recorded zero


def test_recorded_zero_amounts_still_show_zero(tmp_path):
    root = _copy_data(tmp_path)
    plan_path = root / QINGSHUI_PLAN / "plan.yaml"
    plan = yaml.safe_load(plan_path.read_text("utf-8"))
    plan["measures"][0]["amount"] = 0
    _write(plan_path, plan)
    _weekly_report(root, "2020-W20", "2020-05-19", "17:00")
    out = tmp_path / "pkg"
    res = bangfu(
        "export", "--data", str(root / "data"), "--out", str(out), "--as-of", AS_OF, cwd=root
    )
    assert res.returncode == 0, res.stderr
    row = next(r for r in _rows(out / "plans.csv") if r["id"] == "qingshui-2020-gaoqiao")
    assert (row["planned_amount_yuan"], row["delivered_amount_yuan"], row["reports"]) == (
        "0",
        "0",
        "1",
    )
    other = next(r for r in _rows(out / "plans.csv") if r["id"] == "qingshui-2020-liwan")
    assert other["planned_amount_yuan"] == "" and other["delivered_amount_yuan"] == ""
    village = next(
        r for r in _rows(out / "villages.csv") if r["id"] == "gs-qingshui-shanmen-gaoqiao"
    )
    assert village["amount_yuan"] == "0"
    assert validate(str(out / "datapackage.json")).valid
    ctx = context(_checked(root).aggregate(dt.date(2026, 11, 30)))
    page = pages_orgs.pages(ctx)["orgs/gs-qingshui-taoyuan-peixun.md"]
    plan_row = _table_rows(page[page.index("统计日状况") :])[0]
    assert plan_row[6:9] == ["0", "0", "2020-05-19"]
    # the ledger tracks this plan's reports from its first one (W20): later weeks are judged
    periods = [p for p in ctx.status.periods if p.plan == "qingshui-2020-gaoqiao"]
    assert periods[0].label == "2020-W20" and periods[0].state == "按时"
    assert {p.state for p in periods[1:]} == {"未报"}


def test_reports_tracked_from_marks_earlier_periods_not_recorded(tmp_path):
    root = _copy_data(tmp_path)
    camp_path = root / "data/campaigns/qingshui-2020-supervised-villages.yaml"
    camp = yaml.safe_load(camp_path.read_text("utf-8"))
    camp["reports_tracked_from"] = "2020-06-01"
    _write(camp_path, camp)
    m = _checked(root).model
    periods = [p for p in status_of(m, dt.date(2026, 11, 30)).periods]
    by_label = {p.label: p.state for p in periods if p.plan == "qingshui-2020-liwan"}
    assert by_label["2020-W22"] == MISSING  # starts 25 May, before tracking began
    assert by_label["2020-W23"] == "未报"  # starts 1 June: tracked, and no report
    plan_path = root / "data/plans/gs-qingshui/qingshui-2020-liwan/plan.yaml"
    plan = yaml.safe_load(plan_path.read_text("utf-8"))
    plan["reports_tracked_from"] = "2020-06-22"
    _write(plan_path, plan)
    m = _checked(root).model
    states = {
        p.label: p.state
        for p in status_of(m, dt.date(2026, 11, 30)).periods
        if p.plan == "qingshui-2020-liwan"
    }
    assert states["2020-W23"] == MISSING and states["2020-W26"] == "未报"


# ---------------------------------------------------------------- 3. deadlines


def test_chaoyang_progress_form_is_due_by_the_25th_of_the_same_month():
    m = Pipeline(Config.make(DATA)).model
    camp = m.get("campaign", "chaoyang-2020-volunteer-assistance").data
    periods = monitor.expected_periods(
        camp["reporting"], dt.date(2020, 3, 24), dt.date(2020, 12, 31)
    )
    assert [(label, due) for label, _s, _e, due in periods] == [
        (f"2020-{mo:02d}", dt.date(2020, mo, 25)) for mo in range(4, 10)
    ]
    assert "当月 25 日前" in monitor.reporting_rule_text(camp["reporting"])


def test_chaoyang_deadline_on_the_campaigns_page_is_the_same_month(real_site):
    text = _text((real_site / "progress" / "campaigns.html").read_text("utf-8"))
    assert "每月报送一次（4—9 月），当月 25 日前报送该月情况" in text
    assert "次月 25 日" not in text


@pytest.mark.parametrize(
    ("submitted", "time", "state"),
    [
        ("2020-05-19", "17:59", "按时"),
        ("2020-05-19", "18:01", "逾期"),
        ("2020-05-19", None, "按时"),  # a date only is compared as a date
        ("2020-05-20", None, "逾期"),
        ("2020-05-18", "23:00", "按时"),
    ],
)
def test_qingshui_weekly_deadline_is_tuesday_1800(tmp_path, submitted, time, state):
    root = _copy_data(tmp_path)
    _weekly_report(root, "2020-W20", submitted, time)
    m = _checked(root).model
    periods = status_of(m, dt.date(2026, 11, 30)).periods
    w20 = next(p for p in periods if p.plan == "qingshui-2020-gaoqiao" and p.label == "2020-W20")
    assert (w20.due, w20.due_time) == (dt.date(2020, 5, 19), "18:00")
    assert w20.state == state


def test_an_amount_fetched_as_whole_number_or_decimal_is_the_same_number():
    """``amount_sql`` fetches a DECIMAL sum as an integer where it is whole (faster than a
    ``Decimal``): ``amount_of`` gives the very number ``amount`` gives from the decimal, an
    integer for a whole sum and a float otherwise, None for no sum."""
    values = [
        "0", "1", "-1", "12.5", "-0.5", "0.000001", "1234567.891234", "999999999999999",
        "1000000000000000", "-1000000000000000", "123456789012345678.5", "1e20", "0.1", "7.000000",
    ]  # fmt: skip
    con = duckdb.connect()
    con.execute("CREATE TABLE t (amount DECIMAL(38, 6))")
    con.executemany("INSERT INTO t VALUES (CAST(? AS DECIMAL(38, 6)))", [[v] for v in values])
    con.execute("INSERT INTO t VALUES (NULL)")
    rows = con.execute(f"SELECT amount, {amount_sql('amount')} FROM t").fetchall()
    assert len(rows) == len(values) + 1
    for dec, whole, part in rows:
        got, want = amount_of(whole, part), amount(dec)
        assert got == want and type(got) is type(want), (dec, whole, part)
    kinds = {type(amount_of(w, p)) for _, w, p in rows}
    assert kinds == {int, float, type(None)}
    assert any(w is None and p is not None for _, w, p in rows)  # a whole number too large
