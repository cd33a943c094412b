"""The real reference data in data/: counts per kind and the facts taken from the seeds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bangfu.check import run
from bangfu.codes import DATE_OUTSIDE_PARENT
from bangfu.config import Config
from bangfu.model import build

REPO = Path(__file__).resolve().parents[1]

KEY_VILLAGES_PER_COUNTY = {
    "万州区": 7,
    "云阳县": 7,
    "巫山县": 4,
    "巫溪县": 7,
    "奉节县": 5,
    "开州区": 6,
    "城口县": 4,
    "黔江区": 3,
    "秀山县": 4,
    "武隆区": 3,
    "彭水县": 9,
    "酉阳县": 9,
    "石柱县": 5,
    "丰都县": 4,
    "涪陵区": 2,
    "南川区": 2,
    "忠县": 2,
    "潼南区": 2,
    "北碚区": 1,
    "渝北区": 1,
    "巴南区": 1,
    "长寿区": 1,
    "江津区": 1,
    "合川区": 1,
    "永川区": 1,
    "綦江区": 1,
    "大足区": 1,
    "璧山区": 1,
    "铜梁区": 1,
    "荣昌区": 1,
    "梁平区": 1,
    "垫江县": 1,
    "万盛经开区": 1,
}


@pytest.fixture(scope="module")
def result():
    cfg = Config.make(REPO / "data", as_of="2026-01-01")
    res = run(cfg)
    return res, build(res.records)


def test_reference_data_passes_check(result):
    res, _ = result
    assert [f for f in res.findings if f.severity == "error"] == []


def test_no_households_in_reference_data(result):
    _, m = result
    assert not m.by_kind["household"]
    assert not (REPO / "data/households").exists() or not any(
        (REPO / "data/households").rglob("*.yaml")
    )


def test_every_record_names_a_source(result):
    _, m = result
    for kind in ("county", "organization", "campaign", "plan", "policy"):
        for rec in m.by_kind[kind].values():
            assert rec.data.get("sources"), rec.file
    assert len(m.by_kind["source"]) == 5


def test_chongqing_key_lists(result):
    _, m = result
    counties = [r.data for r in m.by_kind["county"].values() if r.data["province"] == "重庆市"]
    lists = Counter(k for c in counties for k in c.get("key_lists", []))
    assert lists == {"国家级扶贫开发工作重点区县": 14, "市级扶贫开发工作重点区县": 4}
    assert all(c.get("office_phone") for c in counties if c.get("key_lists"))
    deep = [t for t in m.townships.values() if "深度贫困乡镇" in t.key_lists]
    assert len(deep) == 18
    key = [v for v in m.villages.values() if "定点攻坚村" in v.key_lists]
    assert len(key) == 100
    per_county = Counter(m.get("county", v.county).data["name"] for v in key)
    assert dict(per_county) == KEY_VILLAGES_PER_COUNTY
    # spot checks from the interleaved two-column table
    by_name = {
        (m.get("county", v.county).data["name"], m.townships[v.township].name, v.name) for v in key
    }
    assert ("奉节县", "平安乡", "桃树村") in by_name
    assert ("万州区", "白土镇", "大林村") in by_name
    assert ("丰都县", "保和镇", "余家坝村") in by_name
    assert ("万盛经开区", "石林镇", "庙坝村") in by_name


def test_deep_poverty_contacts_are_private_fields(result):
    _, m = result
    rec = m.get("county", "cq-fengdu")
    township = next(t for t in rec.data["townships"] if "深度贫困乡镇" in t.get("key_lists", []))
    assert set(township["contact"]) >= {"name", "mobile"}


def test_qingshui(result):
    _, m = result
    supervised = [v for v in m.villages.values() if "挂牌督战村" in v.key_lists]
    assert sorted(v.name for v in supervised) == sorted(
        ["高桥村", "梨湾村", "史沟村", "腰套村", "麦池村", "梅江村"]
    )
    orgs = [r for r in m.by_kind["organization"].values() if r.data["county"] == "gs-qingshui"]
    assert len(orgs) == 16
    plans = [r.data for r in m.by_kind["plan"].values() if r.data["county"] == "gs-qingshui"]
    assert len(plans) == 6
    assert sorted(len(p["organizations"]) for p in plans) == [1, 1, 3, 3, 4, 4]
    assert {o for p in plans for o in p["organizations"]} == {r.id for r in orgs}
    camp = m.get("campaign", "qingshui-2020-supervised-villages").data
    assert camp["period"]["end"] == "2020-06-30"
    reporting = {k: v for k, v in camp["reporting"].items() if k != "sources"}
    assert reporting == {"cadence": "每周", "weekday": 2, "time": "18:00", "due_period": "下一期"}
    assert camp["reporting"]["sources"][0]["section"].startswith("五、工作要求（二）")


def test_chaoyang_campaign(result):
    _, m = result
    camp = m.get("campaign", "chaoyang-2020-volunteer-assistance").data
    assert len(camp["phases"]) == 3
    assert camp["reporting"]["cadence"] == "每月" and camp["reporting"]["day_of_month"] == 25
    # 七、工作要求 3：4—9 月的每月 25 日前报当月进度表，截止日在所报月份之内
    assert camp["reporting"]["due_period"] == "本期"
    assert camp["reporting"]["sources"][0]["section"].startswith("七、工作要求 3．信息报送")
    assert camp["reporting"]["months"] == [4, 5, 6, 7, 8, 9]
    quotas = {m.get("county", q["county"]).data["name"]: q["households"] for q in camp["quotas"]}
    assert quotas == {
        "北票市": 30,
        "凌源市": 30,
        "朝阳县": 25,
        "建平县": 25,
        "喀左县": 20,
        "双塔区": 10,
        "龙城区": 10,
    }


def test_qianjiang_targets(result):
    _, m = result
    camp = m.get("campaign", "qianjiang-2015-2016-poverty-exit").data
    assert camp["totals"] == {"villages": 65, "households": 11430, "people": 40641}
    by_year = {t["year"]: (t["villages"], t["households"], t["people"]) for t in camp["targets"]}
    assert by_year == {2015: (25, 5122, 18442), 2016: (40, 6308, 22199)}
    assert sum(v[1] for v in by_year.values()) == camp["totals"]["households"]


def test_policy_parameters(result):
    _, m = result
    township = m.get("policy", "monitoring-line-6000").data
    assert township["monitoring_line"] == {"basis": "固定金额", "amount": 6000}
    assert township["notice_min_days"] == 5
    assert set(township["revisit_days"]) == {"风险未消除", "风险已消除", "稳定脱贫"}
    ankang = m.get("policy", "ankang-dibao-multiple").data
    assert {t["tier"] for t in ankang["warning_tiers"]} == {"红", "橙", "黄"}
    assert ankang["monitoring_line"]["amount"] == 7245
    assert ankang["monitoring_line"]["urban_monthly"] == 915


def test_policy_from_an_unnamed_township_or_county_applies_to_no_county_of_its_own(result):
    """篇一 (a township under 遂宁) and 篇五 (a county under 安康) name no place the ledger can
    match; every real county resolves to the separate, marked default record instead, and a
    finding built on it says 推定."""
    from bangfu.policy import PolicyIndex

    _, m = result
    index = PolicyIndex(m)
    for cid in m.ids("county"):
        pol = index.for_county(cid, 2024)
        assert pol is not None and pol.id == "default-monitoring-assumed"
        assert pol.assumed and pol.label == "default-monitoring-assumed（推定）"
        assert index.for_county(cid, None).id == "default-monitoring-assumed"


def test_no_real_plan_runs_outside_its_campaign(result):
    res, _ = result
    assert not [f for f in res.findings if f.code == DATE_OUTSIDE_PARENT.code]
