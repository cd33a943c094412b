"""Fidelity to the five source documents: every fact the reference data and the policy guide
state is pinned here to the document and section it comes from, and the section of the seed
text is checked to contain the supporting number or phrase. A value the ledger assumes instead
(an inferred, derived or borrowed field; a ``basis: assumption`` record) must be marked in its
record and is listed on the built site's 推定与说明 page.

The seeds live outside the repository (``../shared/seeds`` next to the checkout, or
``$BANGFU_SEEDS``); the two compilations are in traditional characters, so their evidence
phrases are written as the seed writes them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT, require_system

DATA = ROOT / "data"
SEEDS = Path(os.environ.get("BANGFU_SEEDS", ROOT.parent / "shared" / "seeds"))
GUIDE = ROOT / "site" / "guide.md"

NORMALIZED = "normalized-assistance-work-plans"
SPIRITUAL = "spiritual-poverty-work-plans"
CHAOYANG = "chaoyang-volunteer-campaign-2020"
CHONGQING = "chongqing-social-org-guide-2020"
QINGSHUI = "qingshui-supervised-villages-2020"

# (document, section) → (start marker, end marker) in the seed text; the section is the text
# from the first occurrence of the start marker to the next occurrence of the end marker.
SECTIONS = {
    (NORMALIZED, "篇一"): ("常態化幫扶工作方案篇一", "常態化幫扶工作方案篇二"),
    (NORMALIZED, "篇二"): ("常態化幫扶工作方案篇二", "常態化幫扶工作方案篇三"),
    (NORMALIZED, "篇五"): ("常態化幫扶工作方案篇五", "常態化幫扶工作方案篇六"),
    (NORMALIZED, "篇九"): ("常態化幫扶工作方案篇九", "常態化幫扶工作方案篇十"),
    (SPIRITUAL, "第三篇 二、主要任务"): ("第三篇:", "三、工作措施"),
    (SPIRITUAL, "第五篇"): ("第五篇:", "六、當前工作"),
    (CHAOYANG, "落款"): ("朝阳市精神文明建设办公室", "关于深入开展志愿服务助力脱贫攻坚活动\n"),
    (CHAOYANG, "二、服务对象"): ("二、服务对象", "三、服务范围"),
    (CHAOYANG, "三、服务范围"): ("三、服务范围", "四、工作任务"),
    (CHAOYANG, "五、服务形式"): ("五、服务形式", "六、工作步骤"),
    (CHAOYANG, "六、工作步骤"): ("六、工作步骤", "七、工作要求"),
    (CHAOYANG, "七、工作要求"): ("七、工作要求", "附：1"),
    (CHAOYANG, "附件2"): ("附件2：", "\x00"),
    (CHONGQING, "落款"): (
        "重庆市社会组织工作领导小组办公室 重庆市扶贫开发领导小组办公室",
        "工作指引",
    ),
    (CHONGQING, "第二条"): ("第二条", "第三条"),
    (CHONGQING, "第三条"): ("第三条", "第四条"),
    (CHONGQING, "第四条"): ("第四条", "第五条"),
    (CHONGQING, "第五条"): ("第五条", "第六条"),
    (CHONGQING, "第六至十条"): ("第六条", "第十一条"),
    (CHONGQING, "第十八条"): ("第十八条", "附件:"),
    (CHONGQING, "附件1"): ("附件1\n", "附件2\n"),
    (QINGSHUI, "落款"): (
        "清民发〔2020〕103号",
        "清水县社会组织助力挂牌督战贫困村\n脱贫攻坚工作实施方案\n为",
    ),
    (QINGSHUI, "二、作战任务"): ("二、作战任务", "三、时间安排"),
    (QINGSHUI, "三、时间安排"): ("三、时间安排", "四、人员分工"),
    (QINGSHUI, "四、人员分工"): ("四、人员分工", "五、工作要求"),
    (QINGSHUI, "五、工作要求"): ("五、工作要求", "\x00"),
}


def _seed(document: str) -> str:
    path = SEEDS / f"{document}.txt"
    require_system(f"source document {path}", path.is_file())
    return path.read_text("utf-8")


def section_text(document: str, section: str) -> str:
    start, end = SECTIONS[(document, section)]
    text = _seed(document)
    i = text.index(start)
    j = text.find(end, i + len(start))
    return text[i : j if j >= 0 else len(text)]


def _record(ref: str) -> dict:
    kind, rid = ref.split("/", 1)
    folder = {"policy": "policy", "campaign": "campaigns", "organization": "organizations"}
    if kind == "plan":
        path = DATA / "plans" / "gs-qingshui" / rid / "plan.yaml"
    else:
        path = DATA / folder[kind] / f"{rid}.yaml"
    return yaml.safe_load(path.read_text("utf-8"))


def _at(data, dotted: str):
    for part in dotted.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _norm(v):
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return v.isoformat() if hasattr(v, "isoformat") else v


# (record, field, value, document, section, evidence phrases in the section)
FACTS = [
    # --- policy: 篇一 (a township under 遂宁市) -------------------------------------------
    (
        "policy/monitoring-line-6000",
        "scope.city",
        "遂宁市",
        NORMALIZED,
        "篇一",
        ["遂寧市鄉村振興局", "我鎮"],
    ),
    ("policy/monitoring-line-6000", "scope.part.level", "乡镇", NORMALIZED, "篇一", ["結合我鎮"]),
    (
        "policy/monitoring-line-6000",
        "monitoring_line.amount",
        6000,
        NORMALIZED,
        "篇一",
        ["家庭年人均純收入低于6000元"],
    ),
    (
        "policy/monitoring-line-6000",
        "notice_min_days",
        5,
        NORMALIZED,
        "篇一",
        ["評議公示", "時間不少于5天"],
    ),
    (
        "policy/monitoring-line-6000",
        "revisit_days.风险未消除",
        31,
        NORMALIZED,
        "篇一",
        ["未消除風險戶每月應回訪一次"],
    ),
    (
        "policy/monitoring-line-6000",
        "revisit_days.风险已消除",
        183,
        NORMALIZED,
        "篇一",
        ["已消除風險監測戶至少半年回訪一次"],
    ),
    (
        "policy/monitoring-line-6000",
        "revisit_days.稳定脱贫",
        365,
        NORMALIZED,
        "篇一",
        ["已穩定脫貧戶一年至少回訪一次"],
    ),
    # --- policy: 篇五 (a county under 安康市, 陕西省) -------------------------------------
    (
        "policy/ankang-dibao-multiple",
        "scope.province",
        "陕西省",
        NORMALIZED,
        "篇五",
        ["陜西省低收入人口動態監測信息平臺"],
    ),
    (
        "policy/ankang-dibao-multiple",
        "scope.city",
        "安康市",
        NORMALIZED,
        "篇五",
        ["安康市居民家庭經濟狀況核對系統"],
    ),
    (
        "policy/ankang-dibao-multiple",
        "scope.part.level",
        "区县",
        NORMALIZED,
        "篇五",
        ["建立我縣低收入人口數據庫"],
    ),
    (
        "policy/ankang-dibao-multiple",
        "monitoring_line.dibao_multiple",
        1.5,
        NORMALIZED,
        "篇五",
        ["1.5倍的困難對象實施監測"],
    ),
    (
        "policy/ankang-dibao-multiple",
        "monitoring_line.amount",
        7245,
        NORMALIZED,
        "篇五",
        ["農村監測標準7245元/年"],
    ),
    (
        "policy/ankang-dibao-multiple",
        "monitoring_line.urban_monthly",
        915,
        NORMALIZED,
        "篇五",
        ["城市監測標準915元/月"],
    ),
    (
        "policy/ankang-dibao-multiple",
        "warning_tiers.0.tier",
        "红",
        NORMALIZED,
        "篇五",
        ["紅色預警對象", "還未達到最低生活保障條件"],
    ),
    (
        "policy/ankang-dibao-multiple",
        "warning_tiers.1.tier",
        "橙",
        NORMALIZED,
        "篇五",
        ["橙色預警對象", "準1.5倍的低收入家庭"],
    ),
    (
        "policy/ankang-dibao-multiple",
        "warning_tiers.2.tier",
        "黄",
        NORMALIZED,
        "篇五",
        ["黃色預警對象", "脫貧不穩定戶、邊緣易致貧戶、突發嚴重困難戶"],
    ),
    # --- policy: the monitoring cycle (issue 15) ------------------------------------------
    (
        "policy/monitoring-line-6000",
        "procedures.防返贫监测",
        ["分析研判", "信息核实", "评议公示", "复查审核", "部门比对", "公告录入"],
        NORMALIZED,
        "篇一",
        ["1.分析研判", "2.信息核實", "3.評議公示", "4.復查審核", "5.部門比對", "6.公告錄入"],
    ),
    (
        "policy/monitoring-line-6000",
        "exclusion_exception",
        "民主评议",
        NORMALIZED,
        "篇一",
        ["特殊情況由村(社區)民主評議認定"],
    ),
    (
        "policy/monitoring-line-6000",
        "categories",
        ["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"],
        NORMALIZED,
        "篇一",
        ["脫貧不穩定戶。指", "邊緣易致貧戶。指", "突發嚴重困難戶。指"],
    ),
    (
        "policy/ankang-dibao-multiple",
        "categories",
        ["低保户", "特困供养户", "低保边缘户", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]
        + ["其他低收入户"],
        NORMALIZED,
        "篇五",
        [
            "城鄉低保對象、特困供養人員、低保邊緣人口、脫貧不穩定人員、邊緣易致貧人員、"
            "突發嚴重困難人員和其他低收入人口"
        ],
    ),
    (
        "policy/ankang-dibao-multiple",
        "exit.procedure",
        ["家庭经济状况调查", "初审公示", "审核确认"],
        NORMALIZED,
        "篇五",
        ["(五)動態退出", "經家庭經濟狀況調查、初審公示、鎮政府審核確認后動態退出"],
    ),
    (
        "policy/ankang-dibao-multiple",
        "exit.notice",
        "初审公示",
        NORMALIZED,
        "篇五",
        ["初審公示、鎮政府審核確認后動態退出"],
    ),
    (
        "policy/guangxi-gradual-exit",
        "gradual_exit_months",
        6,
        NORMALIZED,
        "篇九",
        ["給予6個月的救助漸退期"],
    ),
    (
        "policy/guangxi-gradual-exit",
        "categories",
        ["低保户", "特困供养户", "低保边缘户", "支出型困难户"],
        NORMALIZED,
        "篇九",
        ["已認定為特困人員、低保、低保邊緣家庭、支出型困難家庭的"],
    ),
    (
        "policy/village-team-household-plans",
        "scope.part.level",
        "村",
        SPIRITUAL,
        "第三篇 二、主要任务",
        ["局駐XXX村工作組"],
    ),
    (
        "policy/village-team-household-plans",
        "year",
        2018,
        SPIRITUAL,
        "第三篇 二、主要任务",
        ["2018精準扶貧工作方案"],
    ),
    (
        "policy/village-team-household-plans",
        "household_plan.required",
        True,
        SPIRITUAL,
        "第三篇 二、主要任务",
        ["“一戶一策”幫扶方案"],
    ),
    # --- campaign: Chaoyang ----------------------------------------------------------------
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "authority",
        "朝阳市精神文明建设办公室",
        CHAOYANG,
        "落款",
        ["朝阳市精神文明建设办公室", "2020年3月24日"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "phases.0.stated",
        "2020年3月下旬—4月上旬",
        CHAOYANG,
        "六、工作步骤",
        ["调查摸底，制定方案（2020年3月下旬—4月上旬）"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "phases.1.stated",
        "2020年4月中旬—8月底",
        CHAOYANG,
        "六、工作步骤",
        ["定期走访，开展帮扶（2020年4月中旬—8月底）"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "phases.2.stated",
        "2020年9月上旬",
        CHAOYANG,
        "六、工作步骤",
        ["检验成效，认真总结（2020年9月上旬）"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "reporting.cadence",
        "每月",
        CHAOYANG,
        "七、工作要求",
        ["帮扶情况实行月报送制度"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "reporting.day_of_month",
        25,
        CHAOYANG,
        "七、工作要求",
        ["每月25日前"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "reporting.months",
        [4, 5, 6, 7, 8, 9],
        CHAOYANG,
        "七、工作要求",
        ["在4—9月的每月25日前"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "forms.0.due",
        "2020-04-10",
        CHAOYANG,
        "七、工作要求",
        ["于4月10日前报市文明办指导科报备"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "forms.1.name",
        "朝阳市志愿服务帮扶贫困户实施情况进度表（附件2）",
        CHAOYANG,
        "附件2",
        ["朝阳市志愿服务帮扶贫困户实施情况进度表", "每月25日前"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "quotas.0.households",
        30,
        CHAOYANG,
        "三、服务范围",
        ["北票市30户"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "quotas.1.households",
        30,
        CHAOYANG,
        "三、服务范围",
        ["凌源市30户"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "quotas.2.households",
        25,
        CHAOYANG,
        "三、服务范围",
        ["朝阳县25户"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "quotas.3.households",
        25,
        CHAOYANG,
        "三、服务范围",
        ["建平县25户"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "quotas.4.households",
        20,
        CHAOYANG,
        "三、服务范围",
        ["喀左县20户"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "quotas.5.households",
        10,
        CHAOYANG,
        "三、服务范围",
        ["双塔区10户"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "quotas.6.households",
        10,
        CHAOYANG,
        "三、服务范围",
        ["龙城区10户"],
    ),
    (
        "campaign/chaoyang-2020-volunteer-assistance",
        "counties",
        [
            "ln-beipiao",
            "ln-lingyuan",
            "ln-chaoyangxian",
            "ln-jianping",
            "ln-kazuo",
            "ln-shuangta",
            "ln-longcheng",
        ],
        CHAOYANG,
        "三、服务范围",
        ["北票市", "凌源市", "朝阳县", "建平县", "喀左县", "双塔区", "龙城区"],
    ),
    # --- campaign: Chongqing guide ---------------------------------------------------------
    (
        "campaign/chongqing-2020-social-org-guide",
        "authority",
        "重庆市社会组织工作领导小组办公室、重庆市扶贫开发领导小组办公室",
        CHONGQING,
        "落款",
        ["2020年5月14日"],
    ),
    (
        "campaign/chongqing-2020-social-org-guide",
        "period.start",
        "2020-05-14",
        CHONGQING,
        "落款",
        ["2020年5月14日"],
    ),
    (
        "campaign/chongqing-2020-social-org-guide",
        "visits.cadence",
        "每季度",
        CHONGQING,
        "第五条",
        ["有条件的按季度进行走访、电话回访"],
    ),
    (
        "campaign/chongqing-2020-social-org-guide",
        "visits.kinds",
        ["走访", "电话回访"],
        CHONGQING,
        "第五条",
        ["走访、电话回访"],
    ),
    (
        "campaign/chongqing-2020-social-org-guide",
        "visits.conditional",
        True,
        CHONGQING,
        "第五条",
        ["有条件的"],
    ),
    (
        "campaign/chongqing-2020-social-org-guide",
        "visits.targets",
        "容易返贫、致贫的帮扶对象",
        CHONGQING,
        "第五条",
        ["易返贫、易致贫的帮扶对象"],
    ),
    (
        "campaign/chongqing-2020-social-org-guide",
        "counties.0",
        "cq-wanzhou",
        CHONGQING,
        "附件1",
        ["万州区", "国家级扶贫开发工作重点区县"],
    ),
    (
        "campaign/chongqing-2020-social-org-guide",
        "counties.17",
        "cq-zhongxian",
        CHONGQING,
        "附件1",
        ["忠县", "市级扶贫开发工作重点区县"],
    ),
    # --- campaign: Qianjiang (spiritual-poverty-work-plans, 第五篇) ------------------------
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "period.end",
        "2016-12-31",
        SPIRITUAL,
        "第五篇",
        ["決戰一年半,到2016年底"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "phases.0.deadlines",
        ["2015-07-17"],
        SPIRITUAL,
        "第五篇",
        ["動員部署階段(2015年7月17日前)"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "phases.1.deadlines",
        ["2015-07-31"],
        SPIRITUAL,
        "第五篇",
        ["制定規劃階段(2015年7月31日前)"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "phases.2.deadlines",
        ["2015-12", "2016-10"],
        SPIRITUAL,
        "第五篇",
        ["全面實施階段(2015年12月前、2016年10月前)"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "phases.3.deadlines",
        ["2015-12", "2016-11"],
        SPIRITUAL,
        "第五篇",
        ["驗收總結階段(2015年12月前、2016年11月前)"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "exit_line.amount",
        2300,
        SPIRITUAL,
        "第五篇",
        ["國家農村扶貧標準2300元(2010年不變價)"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "exit_line.prices_year",
        2010,
        SPIRITUAL,
        "第五篇",
        ["2010年不變價"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "targets.0.villages",
        25,
        SPIRITUAL,
        "第五篇",
        ["實現25個貧困村脫貧,5122戶18442人越過扶貧標準線"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "targets.0.households",
        5122,
        SPIRITUAL,
        "第五篇",
        ["5122戶18442人"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "targets.0.people",
        18442,
        SPIRITUAL,
        "第五篇",
        ["5122戶18442人"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "targets.1.villages",
        40,
        SPIRITUAL,
        "第五篇",
        ["2016年實現40個貧困村脫貧"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "targets.1.households",
        6308,
        SPIRITUAL,
        "第五篇",
        ["6308戶22199人"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "targets.1.people",
        22199,
        SPIRITUAL,
        "第五篇",
        ["6308戶22199人"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "totals.villages",
        65,
        SPIRITUAL,
        "第五篇",
        ["65個貧困村全部脫貧"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "totals.households",
        11430,
        SPIRITUAL,
        "第五篇",
        ["11430戶40641人"],
    ),
    (
        "campaign/qianjiang-2015-2016-poverty-exit",
        "totals.people",
        40641,
        SPIRITUAL,
        "第五篇",
        ["11430戶40641人"],
    ),
    # --- campaign: Qingshui ----------------------------------------------------------------
    (
        "campaign/qingshui-2020-supervised-villages",
        "authority",
        "清水县民政局",
        QINGSHUI,
        "落款",
        ["清水县民政局", "2020年5月12日"],
    ),
    (
        "campaign/qingshui-2020-supervised-villages",
        "period.start",
        "2020-05-12",
        QINGSHUI,
        "三、时间安排",
        ["从本方案印发之日开始"],
    ),
    (
        "campaign/qingshui-2020-supervised-villages",
        "period.end",
        "2020-06-30",
        QINGSHUI,
        "三、时间安排",
        ["确保6月底前全面完成任务"],
    ),
    (
        "campaign/qingshui-2020-supervised-villages",
        "reporting.cadence",
        "每周",
        QINGSHUI,
        "五、工作要求",
        ["每周二下午18时前"],
    ),
    (
        "campaign/qingshui-2020-supervised-villages",
        "reporting.weekday",
        2,
        QINGSHUI,
        "五、工作要求",
        ["每周二"],
    ),
    (
        "campaign/qingshui-2020-supervised-villages",
        "reporting.time",
        "18:00",
        QINGSHUI,
        "五、工作要求",
        ["下午18时前"],
    ),
    (
        "campaign/qingshui-2020-supervised-villages",
        "counties",
        ["gs-qingshui"],
        QINGSHUI,
        "落款",
        ["清水县民政局"],
    ),
]

# campaign fields the tests above do not pin but that the record marks (or that are labels)
BOOKKEEPING = {"id", "name", "sources", "provenance", "basis", "reason", "synthetic"}


def _fact_id(f) -> str:
    return f"{f[0]}:{f[1]}"


@pytest.mark.parametrize("fact", FACTS, ids=_fact_id)
def test_data_fact_is_stated_in_its_source_section(fact):
    ref, field, value, document, section, evidence = fact
    rec = _record(ref)
    assert _norm(_at(rec, field)) == value
    assert document in {s["document"] for s in rec["sources"]}
    text = section_text(document, section)
    for phrase in evidence:
        assert phrase in text, f"{document} {section} does not contain {phrase!r}"


def _pinned_or_marked(ref: str, rec: dict) -> set[str]:
    pinned = {f[1].split(".")[0] for f in FACTS if f[0] == ref}
    marked = {p["field"].split(".")[0] for p in rec.get("provenance") or []}
    return pinned | marked


def _records(folder: str, kind: str):
    for path in sorted((DATA / folder).glob("*.yaml")):
        rec = yaml.safe_load(path.read_text("utf-8"))
        yield f"{kind}/{rec['id']}", rec


@pytest.mark.parametrize(
    "ref,rec",
    [
        *_records("policy", "policy"),
        *_records("campaigns", "campaign"),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_every_policy_and_campaign_field_is_pinned_to_a_source_or_marked(ref, rec):
    """A field of a policy or campaign record is either pinned above to its source section,
    or the record says it is not stated by its source (provenance), or the record as a whole
    is an assumption with a reason."""
    if rec.get("basis") == "assumption":
        assert rec.get("reason")
        return
    fields = set(rec) - BOOKKEEPING
    unaccounted = fields - _pinned_or_marked(ref, rec)
    assert not unaccounted, f"{ref}: {sorted(unaccounted)} neither pinned to a source nor marked"


def test_monitoring_line_6000_has_no_invented_year_and_is_scoped_to_its_township():
    rec = _record("policy/monitoring-line-6000")
    assert "year" not in rec
    assert rec["scope"]["part"]["level"] == "乡镇"
    assert "篇一" in {s.get("section") for s in rec["sources"]}


def test_ankang_record_holds_no_back_derived_or_borrowed_values():
    rec = _record("policy/ankang-dibao-multiple")
    ml = rec["monitoring_line"]
    assert "dibao_standard" not in ml  # 7245 ÷ 1.5 is not stated by 篇五
    assert "year" not in rec  # 原文“20xx年”
    assert "notice_min_days" not in rec and "revisit_days" not in rec  # 篇五 states neither
    assert {s.get("section") for s in rec["sources"]} == {"篇五"}
    text = section_text(NORMALIZED, "篇五")
    assert "20xx年農村監測標準" in text


def test_default_line_applied_beyond_its_source_is_a_separate_assumption_record():
    rec = _record("policy/default-monitoring-assumed")
    assert rec["basis"] == "assumption" and rec["reason"]
    assert rec["scope"] == {}
    assert "monitoring-line-6000" in rec["reason"] or any(
        "monitoring-line-6000" in p["note"] for p in rec["provenance"]
    )


def test_chongqing_quarterly_visits_are_not_a_reporting_cadence():
    rec = _record("campaign/chongqing-2020-social-org-guide")
    assert "reporting" not in rec
    assert "end" not in rec["period"]  # the guide sets no end date


def test_qianjiang_campaign_has_no_invented_cadence_or_start():
    rec = _record("campaign/qianjiang-2015-2016-poverty-exit")
    assert "reporting" not in rec
    assert "start" not in rec["period"]
    assert [p["name"] for p in rec["phases"]] == ["动员部署", "制定规划", "全面实施", "验收总结"]


# --- organizations and plans: Qingshui 四、人员分工 ----------------------------------------
GROUPS = re.compile(r"第([一二三四五六])组:(\S+?)\n成 员:(.+)")


def _groups() -> dict[str, tuple[str, list[str]]]:
    text = section_text(QINGSHUI, "四、人员分工")
    return {m[0]: (m[1], m[2].split("、")) for m in GROUPS.findall(text)}


def test_qingshui_plans_pair_the_source_groups_with_their_villages():
    groups = _groups()
    assert len(groups) == 6
    orgs = {r["id"]: r for _, r in _records("organizations", "organization")}
    by_village = {}
    for path in sorted((DATA / "plans" / "gs-qingshui").glob("*/plan.yaml")):
        plan = yaml.safe_load(path.read_text("utf-8"))
        names = sorted(orgs[o]["name"] for o in plan["organizations"])
        by_village[plan["name"]] = names
    for _num, (village, members) in groups.items():
        plan = next(n for n in by_village if village in n)
        assert by_village[plan] == sorted(members)


@pytest.mark.parametrize("ref,rec", list(_records("organizations", "organization")), ids=str)
def test_organization_facts_are_stated_or_marked_inferred(ref, rec):
    members = {n for _, (_, ms) in _groups().items() for n in ms}
    assert rec["name"] in members
    assert rec["county"] == "gs-qingshui"
    marked = {p["field"] for p in rec.get("provenance") or []}
    assert {"kind", "category"} <= marked  # 四、人员分工 lists names only
    assert "supervising_unit" not in rec  # no source names a 业务主管单位
    stated = {"id", "name", "county", "sources", "provenance"}
    assert set(rec) - stated <= marked


# --- the guide -------------------------------------------------------------------------------
# (phrase in site/guide.md, document, section, evidence in the section)
GUIDE_FACTS = [
    ("不到 6000 元", NORMALIZED, "篇一", ["低于6000元"]),
    ("超过 6000 元", NORMALIZED, "篇一", ["雖高于6000元"]),
    ("篇二定为 1.5 倍", NORMALIZED, "篇二", ["準1.5倍,且家庭財產狀況"]),
    ("篇九定为 2 倍", NORMALIZED, "篇九", ["準2倍(具體以市公布的標準為準)"]),
    ("1. **分析研判**", NORMALIZED, "篇一", ["1.分析研判"]),
    ("2. **信息核实**", NORMALIZED, "篇一", ["2.信息核實", "1-5項"]),
    ("3. **评议公示**", NORMALIZED, "篇一", ["3.評議公示", "有駐村工作隊的參與評議"]),
    ("4. **复查审核**", NORMALIZED, "篇一", ["4.復查審核", "報市鄉村振興局"]),
    ("5. **部门比对**", NORMALIZED, "篇一", ["5.部門比對"]),
    ("6. **公告录入**", NORMALIZED, "篇一", ["6.公告錄入", "全國防返貧監測信息系統"]),
    (
        "第 3、5、6、7 项",
        NORMALIZED,
        "篇一",
        ["3.法定贍養", "5.家庭成員", "6.拒絕接受", "7.整戶長期(一年以上)"],
    ),
    ("在这五项之外还要看**饮水安全**", NORMALIZED, "篇一", ["“兩不愁三保障”及飲水安全"]),
    (
        "每月一次，风险已消除的至少每半年一次，稳定脱贫的至少每年一次",
        NORMALIZED,
        "篇一",
        ["每月應回訪一次", "至少半年回訪一次", "一年至少回訪一次"],
    ),
    ("动态退出", NORMALIZED, "篇五", ["(五)動態退出", "初審公示"]),
    ("篇二的“自主申报”", NORMALIZED, "篇二", ["(一)自主申報"]),
    ("篇五的“自主申报”", NORMALIZED, "篇五", ["一是自主申報"]),
    ("红色最急", NORMALIZED, "篇五", ["紅、橙、黃“三類標識”"]),
    ("九项既不能漏", SPIRITUAL, "第三篇 二、主要任务", ["“九有”標準", "既不漏項也不加碼"]),
    (
        "每月至少走访全村所有贫困户一次",
        SPIRITUAL,
        "第三篇 二、主要任务",
        ["每月走訪全村所有貧困戶不少于1次"],
    ),
    ("“一户一策”", SPIRITUAL, "第三篇 二、主要任务", ["“一戶一策”幫扶方案"]),
    ("八类人群", CHONGQING, "第三条", ["(八)因遭受严重自然灾害"]),
    ("“三聚焦”", CHONGQING, "第十八条", ["“三聚焦”"]),
    (
        "重点领域包括残疾人帮扶、医疗救助、教育帮扶、扶持产业和志愿帮扶",
        CHONGQING,
        "第四条",
        ["残疾人帮扶、医疗救助、教育帮扶、产业扶持、志愿帮扶"],
    ),
    (
        "（第五条（七））",
        CHONGQING,
        "第五条",
        ["(七)要将参与开展脱贫攻坚工作纳入本组织年度工作计划"],
    ),
    (
        "**有条件的按季度上门走访或电话回访**（第五条（八））",
        CHONGQING,
        "第五条",
        ["有条件的按季度进行走访、电话回访"],
    ),
    ("（第五条（九））", CHONGQING, "第五条", ["定期向主管单位和登记机关报送工作经验和成效"]),
    ("16 家社会组织分成六组", QINGSHUI, "四、人员分工", ["由16家社会组织分村结对", "第六组"]),
    ("以结对帮扶和消费扶贫为主", QINGSHUI, "二、作战任务", ["建立结对关系", "参与消费扶贫"]),
    ("一对一、多对一或一对多", CHAOYANG, "五、服务形式", ["“一对一”“多对一”和“一对多”"]),
    ("与建档立卡贫困户结对", CHAOYANG, "二、服务对象", ["全市范围内建档立卡贫困户"]),
    ("4 月 10 日前报市文明办", CHAOYANG, "七、工作要求", ["于4月10日前报市文明办指导科报备"]),
    ("4—9 月每月 25 日前报送实施情况进度表", CHAOYANG, "七、工作要求", ["在4—9月的每月25日前"]),
    (
        "每周二 18 时前向社会组织管理局报送",
        QINGSHUI,
        "五、工作要求",
        ["每周二下午18时前向社会组织管理局上报"],
    ),
]


@pytest.mark.parametrize("fact", GUIDE_FACTS, ids=lambda f: f[0][:20])
def test_guide_statement_is_stated_in_its_source_section(fact):
    phrase, document, section, evidence = fact
    assert phrase in GUIDE.read_text("utf-8")
    text = section_text(document, section)
    for e in evidence:
        assert e in text, f"{document} {section} does not contain {e!r}"


@pytest.mark.parametrize(
    "wrong",
    [
        "全国通用",  # the 6000 line is a township's, under 遂宁
        "后来又加上",  # no source says drinking water was added later
        "农户也可以自己申请",  # not in 篇一's identification procedure
        "1. **排查发现**",  # step 1 is 分析研判
        "次月 25 日",  # Chaoyang: the 25th of the same month, April–September
        "截止日是下个月的规定日期",
    ],
)
def test_guide_makes_no_statement_the_sources_contradict(wrong):
    assert wrong not in GUIDE.read_text("utf-8")


def test_guide_cites_a_section_with_every_source():
    text = GUIDE.read_text("utf-8")
    cites = re.findall(r"\[\[source:([^\]]+)\]\]", text)
    assert cites
    assert all(":" in c and c.split(":", 1)[1] for c in cites), cites


@pytest.mark.parametrize("document", [CHAOYANG, CHONGQING, QINGSHUI])
def test_guide_and_data_do_not_copy_source_sentences(document):
    """Our own words: no run of 20 characters of a (simplified-character) seed appears in the
    guide or in a data record's free text."""
    seed = re.sub(r"\s+", "", _seed(document))
    runs = {seed[i : i + 20] for i in range(len(seed) - 19)}
    texts = [GUIDE.read_text("utf-8")]
    for p in sorted(DATA.rglob("*.yaml")):  # a title or a name is a name, not a sentence
        texts.append(re.sub(r"(?m)^(title|name): .*$", "", p.read_text("utf-8")))
    for t in texts:
        t = re.sub(r"\s+", "", t)
        copied = [t[i : i + 20] for i in range(len(t) - 19) if t[i : i + 20] in runs]
        assert not copied, copied[:3]


# --- the built site --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(real_site) -> Path:
    return real_site


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_assumptions_page_lists_every_assumption_record_and_inferred_field(site):
    html = (site / "assumptions.html").read_text("utf-8")
    text = _text(html)
    nav = (site / "index.html").read_text("utf-8")
    assert "assumptions.html" in nav and "推定与说明" in nav
    n_fields = 0
    for folder, kind in (
        ("policy", "policy"),
        ("campaigns", "campaign"),
        ("organizations", "organization"),
    ):
        for _ref, rec in _records(folder, kind):
            if rec.get("basis") == "assumption":
                assert f'id="policy-{rec["id"]}"' in html
                assert rec["reason"] in text
            for p in rec.get("provenance") or []:
                assert f"（{p['field']}）" in text
                assert p["note"] in text
                n_fields += 1
            if rec.get("provenance"):
                assert f'id="{kind}-{rec["id"]}"' in html
    assert n_fields >= 32 + 2 + 4  # 16 organizations × (kind, category), Qianjiang, Chaoyang


def test_organization_pages_show_inferred_kind_and_category_as_estimates(site):
    html = (site / "orgs" / "gs-qingshui-mifeng-chanye-xiehui.html").read_text("utf-8")
    assert "业务主管单位" not in _text(html)
    assert (
        html.count('href="../assumptions.html#organization-gs-qingshui-mifeng-chanye-xiehui"') >= 2
    )
    index = (site / "orgs" / "index.html").read_text("utf-8")
    assert index.count("assumptions.html#organization-") >= 32


def test_guide_page_names_the_6000_line_a_township_value_and_the_default_an_estimate(site):
    text = _text((site / "guide.html").read_text("utf-8"))
    assert "遂宁市辖下一个镇" in text and "6,000 元" in text
    assert "915 元" in text and "7,245 元" in text and "4,830" not in text
    assert "台账默认监测参数（没有本地记录的地区）（推定）" in text
    assert "全国通用" not in text
