"""The monitoring cycle (rules.cycle, rules.tiers): the figures count the derived warning tier,
the stated one only where the region's policy derives none; no finding of the cycle carries a
private value; the demo walks every category through to exit. The rules themselves are pinned
by the golden cases tests/cases/*/cycle-*."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import yaml

from bangfu import check, incremental
from bangfu.aggregate import status_of
from bangfu.cache import DIRNAME
from bangfu.codes import ASSIST_VISIT_GAP
from bangfu.config import Config
from bangfu.pipeline import Pipeline
from bangfu.policy import PolicyIndex
from bangfu.rules.tiers import derive

from .conftest import CASES, DEFAULT_AS_OF, ROOT, bangfu, make_case

AS_OF = dt.date.fromisoformat(DEFAULT_AS_OF)


def load_schema(kind: str) -> dict:
    return json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text("utf-8"))


PRIVATE = ("张测试", "11010519491231002X", "13700000000", "测试省测试县东乡柳村一组")


def _tiers(tmp_path, case: str) -> Counter:
    root = make_case(tmp_path, CASES / case)
    model = Pipeline(Config.make(root / "data", root / "schemas")).model
    return +status_of(model, AS_OF).tiers.get("tc-alpha", Counter())


def test_the_figures_count_the_derived_tier(tmp_path):
    # h-0001, h-0004, h-0005 derive 橙; h-0003 红 (a sudden drop from 因病); the 低保户 none;
    # the exited household is no longer counted
    assert _tiers(tmp_path / "a", "valid/cycle-rules") == Counter({"橙": 3, "红": 1})
    # stated 黄, derived 橙: the derived tier is counted (and the checker reports the stated one)
    assert _tiers(tmp_path / "b", "invalid/cycle-tier-mismatch") == Counter({"橙": 1})
    # a 低保户 is not graded: its stated tier is not counted
    assert _tiers(tmp_path / "c", "invalid/cycle-tier-exempt-stated") == Counter()


def test_the_stated_tier_is_counted_where_the_policy_derives_none(tmp_path):
    assert _tiers(tmp_path, "valid/cycle-rules-off") == Counter({"红": 1})


def test_tiers_are_derived_in_the_policy_order_and_need_the_dibao_standard(tmp_path):
    root = make_case(tmp_path, CASES / "valid" / "cycle-rules")
    model = Pipeline(Config.make(root / "data", root / "schemas")).model
    pol = PolicyIndex(model).for_county("tc-alpha", 2023)
    base = {"category": "边缘易致贫户", "income": {"year": 2023, "per_capita": 4800}}
    assert derive(base, pol) == (True, "橙")  # 橙 comes before 黄 in the policy's list
    assert derive({**base, "income": {"year": 2023, "per_capita": 6000}}, pol) == (True, "黄")
    sudden = {"kind": "收入骤减", "cause": "因病", "date": "2024-01-02"}
    assert derive({**base, "sudden_hardship": sudden}, pol) == (True, "红")
    # below the 低保 standard a sudden drop qualifies for 低保: not 红
    poor = {**base, "income": {"year": 2023, "per_capita": 3000}, "sudden_hardship": sudden}
    assert derive(poor, pol) == (True, "黄")
    left = {"category": "支出型困难户", "income": {"year": 2023, "per_capita": 3000}}
    assert derive(left, pol) == (True, None)
    left["former_assistance"] = {"program": "低保", "until": "2023-01-01"}
    assert derive(left, pol) == (True, "黄")
    ml = {k: v for k, v in pol.data["monitoring_line"].items() if k != "dibao_standard"}
    no_std = type(pol)(**{**_fields(pol), "data": {**pol.data, "monitoring_line": ml}})
    assert derive(base, no_std) == (False, None)


def _fields(pol) -> dict:
    return {f: getattr(pol, f) for f in pol.__dataclass_fields__}


def test_cycle_findings_hold_no_private_value(tmp_path):
    for i, case in enumerate(sorted((CASES / "invalid").glob("cycle-*"))):
        if not (case / "data" / "policy" / "tp-cycle.yaml").exists():
            continue
        root = make_case(tmp_path / str(i), case)
        proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
        findings = json.loads(proc.stdout)["findings"]
        assert findings, case.name
        for f in findings:
            assert not any(p in f["message"] for p in PRIVATE), (case.name, f["code"])


def test_the_cycle_fields_are_public_and_exit_keeps_the_category():
    props = load_schema("household")["properties"]
    for name in ("income_history", "sudden_hardship", "former_assistance", "household_plan"):
        assert props[name]["x-visibility"] == "public"
    ident = props["identification"]["properties"]
    assert {ident[k]["x-visibility"] for k in ("procedure", "exclusions", "exception_review")} == {
        "public"
    }
    # an exited household still carries its category: the exit case of every category is valid
    cats = props["category"]["enum"]
    folder = CASES / "valid" / "cycle-exit-every-category" / "data" / "households"
    exited = [yaml.safe_load(p.read_text("utf-8")) for p in sorted(folder.rglob("*.yaml"))]
    assert sorted(h["category"] for h in exited) == sorted(cats)
    assert {h["status"] for h in exited} == {"退出"}


def test_the_demo_exits_households_in_every_category(demo_data):
    cats = load_schema("household")["properties"]["category"]["enum"]
    seen: dict[str, set] = {}
    for p in (demo_data / "households").rglob("*.yaml"):
        h = yaml.safe_load(p.read_text("utf-8"))
        seen.setdefault(h["category"], set()).add(h["status"])
        assert h["household_plan"]["measures"]
        assert h["identification"]["procedure"] in ("防返贫监测", "低收入人口认定")
    assert set(seen) == set(cats)
    assert all("退出" in s for s in seen.values()), seen


def test_a_household_checked_alone_gets_the_same_visit_finding_as_a_full_check(
    tmp_path, monkeypatch
):
    """Its visits sit in reports the quick path (incremental.run_few) reads only because a
    visit cadence is in force: the reports of the household's county are read with it."""
    root = make_case(tmp_path, CASES / "invalid" / "cycle-visit-gap")
    (root / DIRNAME).mkdir()
    monkeypatch.setenv("BANGFU_CACHE", "1")
    cfg = Config.make(root / "data", as_of=DEFAULT_AS_OF)
    full = check.run(cfg).findings  # writes the reference index
    hh = root / "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"
    few, read, _ = incremental.run_few(cfg, check.wanted(cfg, [hh]))
    assert [(f.code, f.message) for f in few] == [(f.code, f.message) for f in full]
    assert full[0].code == ASSIST_VISIT_GAP.code and "共 2 段" in full[0].message
    assert any(r.kind == "report" for r in read)
    # without a cadence no report is read for a household
    pol = root / "data/policy/tp-cycle.yaml"
    text = pol.read_text("utf-8")
    pol.write_text(text[: text.index("visits:")] + text[text.index("gradual_exit_months:") :])
    check.run(cfg)
    _, read, _ = incremental.run_few(cfg, check.wanted(cfg, [hh]))
    assert not any(r.kind == "report" for r in read)


def _report(month: int, entries: str) -> str:
    return (
        f"id: 2024-{month:02d}\nplan: tp-one\nperiod:\n  start: 2024-{month:02d}-01\n"
        f"  end: 2024-{month:02d}-28\nsubmitted: 2024-{month:02d}-28\nentries:\n{entries}"
    )


VISIT = "  - date: 2024-{m:02d}-10\n    household: h-0001\n    kind: 走访\n    content: 入户走访\n"
OTHER = (
    "  - date: 2024-{m:02d}-12\n    village: tc-alpha-east-willow\n    kind: 消费扶贫\n"
    "    content: 采购农产品\n    amount: 100\n"
)


def test_a_household_checked_alone_reads_only_the_reports_that_name_it(tmp_path, monkeypatch):
    """Under a visit cadence the reference index says which reports name a household: those
    are read with it, with every report added or changed since the index; the others are not.
    After each edit (made without a full check in between) the finding equals a full check's."""
    root = make_case(tmp_path, CASES / "invalid" / "cycle-visit-gap")
    (root / DIRNAME).mkdir()
    monkeypatch.setenv("BANGFU_CACHE", "1")
    reports = root / "data/plans/tc-alpha/tp-one/reports"
    (reports / "2024-04.yaml").write_text(_report(4, OTHER.format(m=4)), "utf-8")
    cfg = Config.make(root / "data", as_of=DEFAULT_AS_OF)
    hh = root / "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"

    def quick_equals_full() -> set[str]:
        few, read, _ = incremental.run_few(cfg, check.wanted(cfg, [hh]))
        full = [f for f in check.run(cfg).findings if f.file.endswith("h-0001.yaml")]
        assert [(f.code, f.message) for f in few] == [(f.code, f.message) for f in full]
        return {r.rel[-1] for r in read if r.kind == "report"}

    check.run(cfg)  # writes the index
    assert quick_equals_full() == {"2024-03.yaml"}  # 2024-04 names no household
    # an edit that makes 2024-04 name the household: read (its stamp changed), a visit more
    (reports / "2024-04.yaml").write_text(
        _report(4, OTHER.format(m=4) + VISIT.format(m=4)), "utf-8"
    )
    assert quick_equals_full() == {"2024-03.yaml", "2024-04.yaml"}
    # a new report naming it, and the first one gone
    (reports / "2024-05.yaml").write_text(_report(5, VISIT.format(m=5)), "utf-8")
    (reports / "2024-03.yaml").unlink()
    assert quick_equals_full() == {"2024-04.yaml", "2024-05.yaml"}
    few, _, _ = incremental.run_few(cfg, check.wanted(cfg, [hh]))
    assert [f.code for f in few] == [ASSIST_VISIT_GAP.code]  # the gap after May is still there


def test_the_exit_procedure_names_the_missing_notice_and_replaces_the_generic_one(tmp_path):
    root = make_case(tmp_path, CASES / "invalid" / "cycle-exit-step-missing")
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
    (f,) = json.loads(proc.stdout)["findings"]
    assert f["code"] == "exit.step-missing"
    assert "缺少：初审公示（公示）" in f["message"]
    assert "家庭经济状况调查 → 初审公示 → 审核确认" in f["message"]
    # the region sets its own exit procedure: no 退出公示 among the identification steps is
    # asked for (policy.exit-without-notice stays silent); the exit notice's end is checked
    hh = root / "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"
    rec = yaml.safe_load(hh.read_text("utf-8"))
    rec["exit_steps"].insert(1, {"step": "初审公示", "date": "2024-05-20"})
    hh.write_text(yaml.safe_dump(rec, allow_unicode=True, sort_keys=False), "utf-8")
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
    got = [(f["code"], f["path"]) for f in json.loads(proc.stdout)["findings"]]
    assert got == [("policy.notice-missing-end", "$.exit_steps[1]")]


def test_the_exit_procedure_is_set_only_where_a_source_lists_exit_steps():
    """篇五（五）动态退出 lists the exit steps; 篇一 and 篇九 do not, so their records (and the
    default borrowed from 篇一) set none and the rule is off there."""
    folder = ROOT / "data" / "policy"
    procs = {
        p.stem: (yaml.safe_load(p.read_text("utf-8")).get("exit") or {}).get("procedure")
        for p in sorted(folder.glob("*.yaml"))
    }
    assert procs.pop("ankang-dibao-multiple") == ["家庭经济状况调查", "初审公示", "审核确认"]
    assert not any(procs.values()), procs


def test_a_demo_exit_carries_the_exit_procedure_of_its_region(tmp_path):
    """Where the region's policy sets an exit procedure, the demo's exited household records it
    in exit_steps (and no generic 退出公示), and the checker finds nothing to report on it."""
    import random

    from faker import Faker

    from bangfu import demo

    root = make_case(tmp_path, CASES / "valid" / "cycle-exit-procedure")
    model = Pipeline(Config.make(root / "data", root / "schemas")).model
    village = model.villages["tc-alpha-east-willow"]
    fake = Faker("zh_CN")
    fake.seed_instance(3)
    for k in range(len(demo.CATEGORIES)):  # the first households exit, one per category
        rec, status = demo.household(
            random.Random(k), fake, f"h-01{k:02d}", village, PolicyIndex(model), k
        )
        assert status == "退出" and rec["status"] == "退出"
        assert [s["step"] for s in rec["exit_steps"]] == [
            "家庭经济状况调查",
            "初审公示",
            "审核确认",
        ]
        assert "until" in rec["exit_steps"][1]
        assert "退出公示" not in [s["step"] for s in rec["identification"]["steps"]]
        path = root / "data/households/tc-alpha/tc-alpha-east-willow" / f"{rec['id']}.yaml"
        path.write_text(yaml.safe_dump(rec, allow_unicode=True, sort_keys=False), "utf-8")
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
    codes = {f["code"] for f in json.loads(proc.stdout)["findings"]}
    assert not {c for c in codes if c.startswith(("exit.", "policy.exit", "policy.notice"))}, codes


def test_an_exclusion_without_an_allowed_exception_is_refused_whatever_the_record_says(tmp_path):
    root = make_case(tmp_path, CASES / "invalid" / "cycle-ident-excluded-no-exception")
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
    (f,) = json.loads(proc.stdout)["findings"]
    assert f["code"] == "ident.excluded" and "来源没有规定例外" in f["message"]
    assert "拒绝资产核查" in f["message"]
