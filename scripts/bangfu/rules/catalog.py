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
    DATE_OUT_OF_ORDER,
    POLICY_CATEGORY_INCOME,
    POLICY_DUPLICATE_SCOPE,
    POLICY_EXIT_BELOW_LINE,
    POLICY_EXIT_WITHOUT_NOTICE,
    POLICY_NO_LINE,
    POLICY_NOTICE_MISSING_END,
    POLICY_NOTICE_TOO_SHORT,
    POLICY_VILLAGE_EXIT_UNMET,
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
        "篇五要求收入稳定高于标准才退出，台账目前只核对最近一次收入。",
    ),
    Rule(
        "exit-notice",
        "退出要有退出程序",
        POLICY_EXIT_WITHOUT_NOTICE,
        "normalized-assistance-work-plans",
        "篇五（五）动态退出",
        "户记录 identification.steps（退出公示）",
        "标为退出的户要在认定程序中记下“退出公示”一步及其日期（台账推定采用篇五的退出程序："
        "调查、公示、审核确认）；没有时报告。",
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
        "未退出的户按记录的预警等级计数；bangfu status 和进展页按区县给出各级户数。",
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
