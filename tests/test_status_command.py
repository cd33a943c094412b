"""``bangfu status`` for supervisors: --county / --township, the per-place summary first, the
three formats, and a true snapshot on --as-of (a household identified after the date is not
counted; one with no identification date is counted and named; an exit after the date still
counts as monitored)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from .conftest import CASES, DEFAULT_AS_OF, bangfu, make_case

HH = Path("data/households/tc-alpha/tc-alpha-east-willow")


def _household(root: Path, hid: str, village_dir: Path = HH, **changes) -> None:
    d = yaml.safe_load((root / HH / "h-0001.yaml").read_text("utf-8"))
    d.update(id=hid, **changes)
    d["village"] = village_dir.name
    (root / village_dir).mkdir(parents=True, exist_ok=True)
    (root / village_dir / f"{hid}.yaml").write_text(
        yaml.safe_dump(d, allow_unicode=True, sort_keys=False), "utf-8"
    )


def _steps(*pairs) -> dict:
    out = []
    for step, date, *until in pairs:
        out.append({"step": step, "date": date, **({"until": until[0]} if until else {})})
    return {"steps": out}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    root = make_case(tmp_path_factory.mktemp("status"), None)
    # a second county with two townships, one household in each
    beta = {
        "id": "tc-beta",
        "name": "乙县",
        "province": "测试省",
        "townships": [
            {
                "id": "tc-beta-north",
                "name": "北乡",
                "villages": [{"id": "tc-beta-n1", "name": "北一村"}],
            },
            {
                "id": "tc-beta-south",
                "name": "南乡",
                "villages": [{"id": "tc-beta-s1", "name": "南一村"}],
            },
        ],
        "sources": [{"document": "test-source", "section": "附件1"}],
    }
    (root / "data/counties/tc-beta.yaml").write_text(
        yaml.safe_dump(beta, allow_unicode=True, sort_keys=False), "utf-8"
    )
    _household(root, "h-0101", Path("data/households/tc-beta/tc-beta-n1"))
    _household(root, "h-0102", Path("data/households/tc-beta/tc-beta-s1"), warning_tier="红")
    # identified in 2024-06, after the snapshot date 2024-03-01 used below
    _household(
        root,
        "h-0002",
        identification=_steps(
            ("排查发现", "2024-06-01"),
            ("评议公示", "2024-06-03", "2024-06-09"),
            ("公告录入", "2024-06-12"),
        ),
    )
    # no identification date at all: counted, and named as undated
    d = yaml.safe_load((root / HH / "h-0001.yaml").read_text("utf-8"))
    del d["identification"]
    d["id"] = "h-0003"
    (root / HH / "h-0003.yaml").write_text(yaml.safe_dump(d, allow_unicode=True), "utf-8")
    # exited with a notice in 2024-08: monitored on 2024-03-01, exited on 2025-01-01
    _household(
        root,
        "h-0004",
        status="退出",
        income={"year": 2024, "per_capita": 20000},
        guarantees={
            k: True
            for k in ("food", "clothing", "medical", "education", "housing", "drinking_water")
        },
        identification=_steps(
            ("排查发现", "2024-01-05"),
            ("评议公示", "2024-01-10", "2024-01-16"),
            ("公告录入", "2024-01-20"),
            ("退出公示", "2024-08-01", "2024-08-07"),
        ),
    )
    return root


def _json(root: Path, *args: str) -> dict:
    res = bangfu("status", "--format", "json", *args, cwd=root)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _place(doc: dict, county: str, township: str | None = None) -> dict:
    (row,) = [p for p in doc["places"] if (p["county"], p["township"]) == (county, township)]
    return row


def test_ledger_checks_clean(ledger):
    res = bangfu("check", "--as-of", "2025-01-01", "--format", "json", cwd=ledger)
    errors = [f for f in json.loads(res.stdout)["findings"] if f["severity"] == "error"]
    assert not errors, errors


def test_snapshot_leaves_out_households_identified_after_as_of(ledger):
    early = _json(ledger, "--as-of", "2024-03-01")
    alpha = _place(early, "tc-alpha")
    # h-0001, h-0003 (undated, counted) and h-0004 (exit notice later: still monitored)
    assert (alpha["monitored"], alpha["exited"]) == (3, 0)
    assert (alpha["undated"], alpha["identified_after_as_of"]) == (1, 1)
    assert "h-0002" not in {r["household"] for r in early["overdue_revisits"]}
    late = _json(ledger, "--as-of", "2025-01-01")
    alpha = _place(late, "tc-alpha")
    assert (alpha["monitored"], alpha["exited"], alpha["identified_after_as_of"]) == (3, 1, 0)
    assert "h-0002" in {r["household"] for r in late["overdue_revisits"]}
    assert late["monitored_households"] == 5  # 3 in tc-alpha, 2 in tc-beta


def test_county_summary_comes_first_and_filters_narrow_everything(ledger):
    whole = _json(ledger, "--as-of", "2025-01-01")
    assert list(whole)[:3] == ["as_of", "filters", "places"]
    assert [p["county"] for p in whole["places"]] == ["tc-alpha", "tc-beta"]
    beta = _json(ledger, "--as-of", "2025-01-01", "--county", "tc-beta")
    assert beta["filters"] == {"county": "tc-beta", "township": None}
    assert [p["county"] for p in beta["places"]] == ["tc-beta"]
    assert beta["monitored_households"] == 2
    assert {r["county"] for r in beta["overdue_revisits"]} <= {"tc-beta"}
    assert set(beta["warning_tiers"]) == {"tc-beta"}
    south = _json(ledger, "--as-of", "2025-01-01", "--township", "tc-beta-south")
    assert south["filters"] == {"county": "tc-beta", "township": "tc-beta-south"}
    row = _place(south, "tc-beta", "tc-beta-south")
    assert row["monitored"] == 1 and row["warning_tiers"]["红"] == 1
    assert south["monitored_households"] == 1
    # the report timeliness of the base plan belongs to tc-alpha's village only
    assert _json(ledger, "--as-of", "2025-01-01", "--county", "tc-beta")["report_timeliness"] == {}
    assert _json(ledger, "--as-of", "2025-01-01", "--county", "tc-alpha")["report_timeliness"]


@pytest.mark.parametrize(
    "args",
    [
        ("--county", "tc-nowhere"),
        ("--township", "tc-nowhere"),
        ("--county", "tc-alpha", "--township", "tc-beta-north"),
    ],
)
def test_unknown_or_mismatched_place_is_a_usage_error(ledger, args):
    res = bangfu("status", "--as-of", "2025-01-01", *args, cwd=ledger)
    assert res.returncode == 2 and "Traceback" not in res.stderr and res.stderr.strip()


def test_text_and_csv_carry_the_same_figures(ledger):
    args = ("--as-of", "2024-03-01", "--county", "tc-alpha")
    doc = _json(ledger, *args)
    text = bangfu("status", *args, cwd=ledger).stdout
    assert text.index("各区县概况") < text.index("逾期未回访")
    assert (
        "测试县：监测户 3，已退出 0，认定日期台账中无记录（已计入） 1，统计日期后认定（未计入） 1"
        in text
    )
    res = bangfu("status", "--format", "csv", *args, cwd=ledger)
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0]) == ["section", "county", "township", "subject", "measure", "value"]
    summary = {r["measure"]: r["value"] for r in rows if r["section"] == "places"}
    place = _place(doc, "tc-alpha")
    assert summary["monitored"] == str(place["monitored"])
    assert summary["identified_after_as_of"] == "1"
    assert summary["warning_tiers.黄"] == str(place["warning_tiers"]["黄"])
    overdue = {r["subject"] for r in rows if r["section"] == "overdue_revisits"}
    assert overdue == {r["household"] for r in doc["overdue_revisits"]}


def test_a_county_without_household_records_is_not_recorded_in_every_format(ledger):
    (ledger / "data/counties/tc-gamma.yaml").write_text(
        "id: tc-gamma\nname: 丙县\nprovince: 测试省\nsources:\n  - document: test-source\n", "utf-8"
    )
    try:
        gamma = _place(_json(ledger, "--as-of", "2025-01-01"), "tc-gamma")
        assert gamma["monitored"] is None and gamma["warning_tiers"]["红"] is None
        text = bangfu("status", "--as-of", "2025-01-01", "--county", "tc-gamma", cwd=ledger).stdout
        assert "丙县：监测户 台账中无记录" in text
        out = bangfu(
            "status", "--as-of", "2025-01-01", "--county", "tc-gamma", "--format", "csv", cwd=ledger
        )
        row = next(
            r for r in csv.DictReader(io.StringIO(out.stdout)) if r["measure"] == "monitored"
        )
        assert row["value"] == ""
    finally:
        (ledger / "data/counties/tc-gamma.yaml").unlink()


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_output_is_deterministic(ledger, fmt):
    args = ("status", "--as-of", "2025-01-01", "--format", fmt)
    assert bangfu(*args, cwd=ledger).stdout == bangfu(*args, cwd=ledger).stdout


SUPERVISOR = {
    "cycle-no-household-plan": "no_household_plan",
    "cycle-visit-gap": "visit_gap",
    "cycle-gradual-exit-ended": "gradual_exit_ended",
}


def _alpha(root: Path, as_of: str, fmt: str = "json") -> str:
    proc = bangfu("status", "--format", fmt, "--as-of", as_of, "--county", "tc-alpha", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("case,key", sorted(SUPERVISOR.items()))
def test_status_counts_the_cycle_findings_for_supervisors(tmp_path, case, key):
    """Per place, the monitored households the checker's cycle rules find lacking their 一户一策,
    with a visit gap or past their 渐退期 — the same households ``bangfu check`` reports, on
    the same as-of date; before the household was identified it is not counted."""
    root = make_case(tmp_path, CASES / "invalid" / case)
    check = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
    reported = {f["file"] for f in json.loads(check.stdout)["findings"]}
    (place,) = json.loads(_alpha(root, DEFAULT_AS_OF))["places"]
    assert place[key] == len(reported) == 1 and key not in place["not_applicable"]
    for k in SUPERVISOR.values():  # the other figures: 0, or 不适用 where their rule is off
        if k != key:
            assert place[k] == 0 or (place[k] is None and k in place["not_applicable"]), place
    (before,) = json.loads(_alpha(root, "2023-12-31"))["places"]
    assert before[key] == 0 and before["identified_after_as_of"] == 1
    rows = list(csv.DictReader(io.StringIO(_alpha(root, DEFAULT_AS_OF, "csv"))))
    got = {r["measure"]: r["value"] for r in rows if r["section"] == "places"}
    assert got[key] == "1"
    text = _alpha(root, DEFAULT_AS_OF, "text")
    for out in (text, json.dumps(place, ensure_ascii=False)):
        assert not any(p in out for p in ("张测试", "11010519491231002X", "13700000000"))


def test_the_gradual_exit_figure_follows_the_as_of_date(tmp_path):
    # the 6-month 渐退期 from 2024-05-01 ends on 2024-11-01
    root = make_case(tmp_path, CASES / "invalid" / "cycle-gradual-exit-ended")
    during = json.loads(_alpha(root, "2024-10-31"))["places"][0]
    after = json.loads(_alpha(root, "2024-11-02"))["places"][0]
    assert (during["gradual_exit_ended"], after["gradual_exit_ended"]) == (0, 1)
    assert "渐退期已满未退出 1" in _alpha(root, "2024-11-02", "text")


def test_a_cycle_figure_is_not_applicable_where_the_policy_sets_no_rule(tmp_path):
    """The base case's policy sets no 一户一策, visit cadence or 渐退期: the figures are 不适用,
    not 0 (and not 台账中无记录: the county holds households)."""
    root = make_case(tmp_path, None)
    (place,) = json.loads(_alpha(root, DEFAULT_AS_OF))["places"]
    assert place["monitored"] is not None
    assert place["not_applicable"] == list(SUPERVISOR.values())
    assert all(place[k] is None for k in SUPERVISOR.values())
    assert "缺一户一策 不适用" in _alpha(root, DEFAULT_AS_OF, "text")
    rows = list(csv.DictReader(io.StringIO(_alpha(root, DEFAULT_AS_OF, "csv"))))
    got = {r["measure"]: r["value"] for r in rows if r["section"] == "places"}
    assert {got[k] for k in SUPERVISOR.values()} == {"不适用"}


def test_an_exit_by_the_regions_exit_procedure_is_dated_by_its_steps(tmp_path):
    """An exited household of a region with its own exit procedure records no 退出公示 among
    its identification steps: its exit is dated by its exit_steps, so before them it still
    counts as monitored on the as-of date."""
    root = make_case(tmp_path, CASES / "valid" / "cycle-exit-procedure")
    (during,) = json.loads(_alpha(root, "2024-05-31"))["places"]  # 审核确认 on 2024-06-03
    (after,) = json.loads(_alpha(root, "2024-06-03"))["places"]
    assert (during["monitored"], during["exited"]) == (1, 0)
    assert (after["monitored"], after["exited"]) == (0, 1)


def test_the_visit_figure_is_not_applicable_where_no_household_is_in_its_categories(tmp_path):
    """A visit cadence covers the categories its policy lists: in a place where no household
    is of those categories the figure is 不适用, not 0."""
    root = make_case(tmp_path, CASES / "invalid" / "cycle-visit-gap")
    pol = root / "data/policy/tp-cycle.yaml"
    text = pol.read_text("utf-8")
    assert "  categories:\n    - 建档立卡贫困户\n" in text
    pol.write_text(text.replace("    - 建档立卡贫困户\n", "    - 特困供养户\n", 1), "utf-8")
    (place,) = json.loads(_alpha(root, DEFAULT_AS_OF))["places"]
    assert place["visit_gap"] is None and "visit_gap" in place["not_applicable"]
