"""The catalog of monitoring rules: for each rule, the finding code it produces, the source
document and section it follows, the policy field that drives it, and a plain explanation.

It is the one place these are written. The policy guide's rule table (``[[block:rules]]`` in
``site/guide.md``) and the error-code page's links back are rendered from it, and a test holds
it to ``codes.py``: every ``policy.*`` code has an entry, every entry's code is registered (entries hold the
``Code`` constants themselves, so a misspelt one fails at import).

A rule without a code is a figure, not a finding (revisits, warning tiers, report
timeliness): ``bangfu status`` and the progress pages count it. ``document`` is the id of a
record in ``data/sources/``; ``None`` marks a rule of the ledger itself (台账规则) or one whose
source is each campaign's own document.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..codes import (
    ASSIST_NO_HOUSEHOLD_PLAN,
    ASSIST_VISIT_GAP,
    DATE_OUT_OF_ORDER,
    EXIT_GRADUAL_ENDED,
    EXIT_GUARANTEE_UNMET,
    EXIT_INCOME_UNSTABLE,
    EXIT_STEP_MISSING,
    EXIT_STEP_ORDER,
    IDENT_EXCLUDED,
    IDENT_PROCEDURE_UNKNOWN,
    IDENT_STEP_MISSING,
    IDENT_STEP_ORDER,
    POLICY_CATEGORY_INCOME,
    POLICY_CATEGORY_NOT_LISTED,
    POLICY_CAUSE_NOT_LISTED,
    POLICY_DUPLICATE_SCOPE,
    POLICY_EXIT_BELOW_LINE,
    POLICY_EXIT_WITHOUT_NOTICE,
    POLICY_LOW_INCOME_THRESHOLD,
    POLICY_NO_LINE,
    POLICY_NOTICE_MISSING_END,
    POLICY_NOTICE_TOO_SHORT,
    POLICY_VILLAGE_EXIT_UNMET,
    TIER_MISMATCH,
    Code,
)


@dataclass(frozen=True, slots=True)
class Rule:
    key: str  # stable anchor on the guide page: #rule-<key>
    title: str
    code: Code | None  # the finding it produces; None: a figure of bangfu status and the pages
    document: str | None  # data/sources/ id
    section: str  # where in the document (or, without one, where the rule comes from)
    field: str  # the policy (or record) field that drives it
    explanation: str


CATALOG: tuple[Rule, ...] = (
    Rule(
        "identification-order",
        "认定步骤的先后",
        DATE_OUT_OF_ORDER,
        "normalized-assistance-work-plans",
        "篇一 认定程序（分析研判至公告录入六步）",
        "户记录 identification.steps",
        "认定程序的各步按发生先后记下日期；后一步的日期早于前一步时报告。",
    ),
    Rule(
        "notice-days",
        "评议公示的天数",
        POLICY_NOTICE_TOO_SHORT,
        "normalized-assistance-work-plans",
        "篇一 认定程序第 3 步（评议公示）",
        "政策参数 notice_min_days",
        "评议公示和退出公示从开始到截止（含首尾两天）不得少于适用政策参数规定的天数。"
        "政策参数没有规定天数的地区不核对。",
    ),
    Rule(
        "notice-end",
        "公示的截止日期",
        POLICY_NOTICE_MISSING_END,
        "normalized-assistance-work-plans",
        "篇一 认定程序第 3 步（评议公示）",
        "政策参数 notice_min_days",
        "公示类步骤要记下截止日期，才能核对公示天数；没有截止日期时给出警告。",
    ),
    Rule(
        "category-income",
        "监测类别与认定时的收入",
        POLICY_CATEGORY_INCOME,
        "normalized-assistance-work-plans",
        "篇一（一）排查返贫致贫风险农户",
        "政策参数 monitoring_line",
        "脱贫不稳定户、边缘易致贫户、低保边缘户在认定时核实的人均纯收入应低于适用的监测线；"
        "不低于监测线却归入这几类时报告。类别是认定时的事实，以后收入变化不改变它。",
    ),
    Rule(
        "no-line",
        "找不到适用的监测线",
        POLICY_NO_LINE,
        None,
        "台账规则：不借用别处的数字",
        "政策参数 scope、year、monitoring_line",
        "一户所在区县在其收入年度没有适用的监测线时，不核对与收入有关的规则，并给出警告。",
    ),
    Rule(
        "duplicate-scope",
        "同一地区同一年度只有一组参数",
        POLICY_DUPLICATE_SCOPE,
        None,
        "台账规则：每个地区和年度的参数唯一",
        "政策参数 scope、year",
        "同一地区同一年度有两组政策参数时，无法确定该用哪一组，两条记录都报告。",
    ),
    Rule(
        "exit-line",
        "退出时的收入",
        POLICY_EXIT_BELOW_LINE,
        "normalized-assistance-work-plans",
        "篇五（五）动态退出",
        "政策参数 monitoring_line",
        "标为退出的户，最近一次核实的人均纯收入不应低于适用的监测线；低于时报告。"
        "收入是否稳定高于监测线由“退出时收入稳定”一条核对。",
    ),
    Rule(
        "exit-notice",
        "退出要有退出程序",
        POLICY_EXIT_WITHOUT_NOTICE,
        "normalized-assistance-work-plans",
        "篇五（五）动态退出",
        "户记录 identification.steps（退出公示）",
        "标为退出的户要在认定程序中记下“退出公示”一步及其日期（台账推定采用篇五的退出程序："
        "调查、公示、审核确认）；没有时报告。政策参数规定了退出程序（exit.procedure）的地区，"
        "改按“退出程序的步骤齐全”一条核对。",
    ),
    Rule(
        "identification-steps",
        "认定程序的步骤齐全",
        IDENT_STEP_MISSING,
        "normalized-assistance-work-plans",
        "篇一 认定程序（六步）；篇五 低收入人口认定（七个环节）",
        "政策参数 procedures",
        "户记录的认定步骤要包含本户所用程序规定的每一步；缺少的步骤逐一报告。"
        "政策参数没有规定程序的地区不核对。",
    ),
    Rule(
        "identification-sequence",
        "认定步骤符合规定的顺序",
        IDENT_STEP_ORDER,
        "normalized-assistance-work-plans",
        "篇一 认定程序（六步）；篇五 低收入人口认定（七个环节）",
        "政策参数 procedures",
        "各步骤要按程序规定的先后发生（如评议公示在复查审核之前）；顺序不符时报告。",
    ),
    Rule(
        "identification-procedure",
        "写明按哪种程序认定",
        IDENT_PROCEDURE_UNKNOWN,
        "normalized-assistance-work-plans",
        "篇一 认定程序；篇五 低收入人口认定",
        "政策参数 procedures（两种以上时）；户记录 identification.procedure",
        "一个地区的政策规定了不止一种认定程序时，户记录要写明按哪一种认定，才能核对步骤。",
    ),
    Rule(
        "identification-exclusions",
        "不予认定的情形",
        IDENT_EXCLUDED,
        "normalized-assistance-work-plans",
        "篇一 不予认定的情形（第 3、5、6、7 种）",
        "政策参数 exclusions、exclusion_exception；户记录 identification.exclusions、exception_review",
        "户记录有来源列出的不予认定情形时报告，除非记有村（社区）民主评议认定的日期"
        "（来源允许的特殊情况）。",
    ),
    Rule(
        "categories-listed",
        "监测类别以来源列出的为准",
        POLICY_CATEGORY_NOT_LISTED,
        "normalized-assistance-work-plans",
        "篇一 三类监测对象；篇五；篇九",
        "政策参数 categories",
        "户的监测类别要在本地区政策参数列出的类别中；不在时报告。政策参数没有列出类别的地区不核对。",
    ),
    Rule(
        "causes-listed",
        "风险原因以来源列出的为准",
        POLICY_CAUSE_NOT_LISTED,
        "normalized-assistance-work-plans",
        "篇一；篇五",
        "政策参数 risk_causes",
        "风险原因不在本地区来源列出的原因中时给出警告；本项目补充的原因在记录格式中另有标注。",
    ),
    Rule(
        "low-income-groups",
        "低收入分组的收入界限",
        POLICY_LOW_INCOME_THRESHOLD,
        "normalized-assistance-work-plans",
        "篇二 低收入人口分组（低保边缘为低保标准的 1.5 倍以内）；篇五",
        "政策参数 low_income（dibao_edge_multiple、dibao_below_standard）、monitoring_line.dibao_standard",
        "低保户认定时的人均收入应低于低保标准；低保边缘户应不低于低保标准、低于其规定倍数。"
        "没有记录低保标准的地区不核对。",
    ),
    Rule(
        "tier-derived",
        "预警等级按记录推算",
        TIER_MISMATCH,
        "normalized-assistance-work-plans",
        "篇五 分类预警（红、橙、黄）",
        "政策参数 warning_tiers、warning_tier_exempt、monitoring_line.dibao_standard",
        "按收入与低保标准、类别、收支骤变及退出救助情况推算预警等级；填写的等级与推算的不符时报告。"
        "网站和 bangfu status 统计推算的等级；推算不了的地区（没有低保标准）统计填写的等级。",
    ),
    Rule(
        "household-plan",
        "一户一策",
        ASSIST_NO_HOUSEHOLD_PLAN,
        "spiritual-poverty-work-plans",
        "第三篇 二、主要任务（一户一策）",
        "政策参数 household_plan（required、within_days）",
        "监测户要记下为本户制定的帮扶措施；政策参数规定了天数的，须在认定后该天数内制定。"
        "这是提醒，不是错误。",
    ),
    Rule(
        "visit-cadence",
        "按方案规定的频次走访",
        ASSIST_VISIT_GAP,
        "spiritual-poverty-work-plans",
        "第三篇 二、主要任务（每月走访）",
        "政策参数 visits（every_days、categories）",
        "从认定到统计日期，两次走访（含电话回访、慰问）之间超过规定天数时提醒督导人员。",
    ),
    Rule(
        "gradual-exit",
        "救助渐退期",
        EXIT_GRADUAL_ENDED,
        "normalized-assistance-work-plans",
        "篇九 救助渐退期（6 个月）",
        "政策参数 gradual_exit_months；户记录 gradual_exit",
        "进入渐退期的户，渐退期满仍未退出时提醒；没有规定渐退期的地区不核对。",
    ),
    Rule(
        "exit-stable-income",
        "退出时收入稳定",
        EXIT_INCOME_UNSTABLE,
        "normalized-assistance-work-plans",
        "篇一 退出条件（收入持续稳定）；篇五（五）动态退出",
        "政策参数 exit.stable_income_records（“稳定”的年数是本项目的定义）",
        "标为退出的户，最近规定个数的年度收入记录都要不低于监测线；年度不够或有一年低于时报告。",
    ),
    Rule(
        "exit-guarantees",
        "退出时两不愁三保障和饮水安全",
        EXIT_GUARANTEE_UNMET,
        "normalized-assistance-work-plans",
        "篇一 退出条件（两不愁三保障及饮水安全）",
        "政策参数 exit.guarantees；户记录 guarantees",
        "标为退出的户，不愁吃、不愁穿、基本医疗、义务教育、住房安全和饮水安全都要记为达标；"
        "逐项列出未达标或没有记录的项。",
    ),
    Rule(
        "exit-procedure",
        "退出程序的步骤齐全（含公示）",
        EXIT_STEP_MISSING,
        "normalized-assistance-work-plans",
        "篇五（五）动态退出",
        "政策参数 exit.procedure、exit.notice；户记录 exit_steps",
        "规定了退出程序的地区，标为退出的户要在 exit_steps 中记下程序的每一步及日期"
        "（篇五：家庭经济状况调查、初审公示、审核确认）；缺少的步骤逐一报告，缺的是公示时注明。"
        "来源没有列出退出步骤的地区（篇一、篇九）不核对，只按“退出要有退出程序”一条看退出公示。",
    ),
    Rule(
        "exit-sequence",
        "退出步骤符合规定的顺序",
        EXIT_STEP_ORDER,
        "normalized-assistance-work-plans",
        "篇五（五）动态退出",
        "政策参数 exit.procedure；户记录 exit_steps",
        "退出步骤要按规定的先后记录（如家庭经济状况调查在初审公示之前），后一步的日期不早于"
        "前一步；顺序或日期不符时报告。",
    ),
    Rule(
        "village-exit",
        "贫困村出列与“九有”标准",
        POLICY_VILLAGE_EXIT_UNMET,
        "spiritual-poverty-work-plans",
        "第三篇 二、主要任务（五）",
        "区县记录 townships[].villages[].exit、exit_standard",
        "村记为出列，而“九有”中某一项在出列时（或更早）记为未达标时报告。"
        "没有记录的项是“台账中无记录”，不当作未达标；出列后才核验的项不与出列矛盾；"
        "没有记录“九有”的村不套用这一标准。",
    ),
    Rule(
        "revisit",
        "按状况定期回访",
        None,
        "normalized-assistance-work-plans",
        "篇一（一）建立防返贫动态监测台账",
        "政策参数 revisit_days",
        "从最近一次走访、电话回访或慰问算起（从未联系的，从认定程序最后一步算起），"
        "超过该户状况对应的天数仍没有新的联系，即为逾期回访；已退出的户不再计算。"
        "逾期不是检查错误：bangfu status 按户列出，进展页按村、乡镇、区县汇总。",
    ),
    Rule(
        "tiers",
        "红、橙、黄三级预警",
        None,
        "normalized-assistance-work-plans",
        "篇五 分类预警",
        "政策参数 warning_tiers；户记录 warning_tier",
        "未退出的户按推算的预警等级计数（推算不了时按填写的等级）；bangfu status 和进展页按区县给出各级户数。",
    ),
    Rule(
        "report-timeliness",
        "进度报告是否按时",
        None,
        None,
        "各专项行动的来源文件（如朝阳方案七、工作要求；清水方案五、工作要求（二））",
        "专项行动 reporting（cadence、due_period、day_of_month、weekday、time）",
        "按专项行动规定的周期和截止日判断每一期是按时、逾期、未报还是未到期；"
        "台账开始记录之前的期是“台账中无记录”，不算未报。bangfu status 和帮扶主体页按期计数。",
    ),
)

BY_CODE: dict[str, Rule] = {r.code.code: r for r in CATALOG if r.code}


def anchor(rule: Rule) -> str:
    return f"rule-{rule.key}"
