"""Records that must not claim more than they hold: an empty report is not a filed report,
and a finding built on an assumed policy record says so."""

from __future__ import annotations

import datetime as dt

from bangfu.aggregate import status_of
from bangfu.check import run
from bangfu.codes import POLICY_CATEGORY_INCOME
from bangfu.config import Config
from bangfu.model import build

from .conftest import make_case

REPORT = "data/plans/tc-alpha/tp-one/reports/2024-03.yaml"
HOUSEHOLD = "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"


def _state(root, label: str) -> str:
    res = run(Config.make(root / "data", as_of="2025-01-01"))
    periods = status_of(build(res.records), dt.date(2025, 1, 1)).periods
    return next(p.state for p in periods if p.plan == "tp-one" and p.label == label)


def _empty_report(root, extra: str = "") -> None:
    path = root / REPORT
    text = path.read_text("utf-8")
    path.write_text(text[: text.index("entries:")] + "entries: []\n" + extra, "utf-8")


def test_report_with_empty_entries_is_not_counted_on_time(tmp_path):
    root = make_case(tmp_path, None)
    assert _state(root, "2024-03") == "按时"
    _empty_report(root)
    assert _state(root, "2024-03") == "未报"


def test_report_declaring_no_activity_with_a_reason_is_counted(tmp_path):
    root = make_case(tmp_path, None)
    _empty_report(root, "no_activity: true\nno_activity_reason: 本月汛期封路，无法入户\n")
    assert _state(root, "2024-03") == "按时"


def test_policy_finding_names_the_assumed_record_it_relied_on(tmp_path):
    root = make_case(tmp_path, None)
    pol = root / "data/policy/tp-national.yaml"
    pol.write_text(
        pol.read_text("utf-8").replace(
            "name: 测试监测线\n", "name: 测试监测线\nbasis: assumption\nreason: 测试用的默认值\n"
        ),
        "utf-8",
    )
    hh = root / HOUSEHOLD
    hh.write_text(hh.read_text("utf-8").replace("per_capita: 4800", "per_capita: 8000"), "utf-8")
    res = run(Config.make(root / "data", as_of="2025-01-01"))
    [f] = [f for f in res.findings if f.code == POLICY_CATEGORY_INCOME.code]
    assert "tp-national（推定）" in f.message
