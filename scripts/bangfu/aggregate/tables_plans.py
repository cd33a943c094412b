"""Tables of organizations, campaigns and plans, with the plans' targets and organizations."""

from __future__ import annotations

from ..recorded import STATES
from .builder import Builder, amount, fk
from .columns import (
    LIST_SEPARATOR,
    Column,
    Table,
    amount_column,
    count_column,
    get,
    joined,
    plain_count,
    sources_text,
)


def build(b: Builder) -> list[Table]:
    return [
        organizations(b),
        campaigns(b),
        plans(b),
        plan_targets(b),
        plan_organizations(b),
    ]


def organizations(self: Builder) -> Table:
    c = self.c
    k = "organization"
    cols = [
        c.field(k, ("id",), required=True),
        c.field(k, ("name",)),
        c.field(k, ("kind",)),
        c.field(k, ("category",)),
        c.field(k, ("uscc",)),
        c.field(k, ("supervising_unit",)),
        c.field(k, ("county",)),
        self.name_column("county", "county_name", "所在区县"),
        c.field(k, ("domains",)),
        c.field(k, ("office_phone",)),
        plain_count("plans", "参与方案数", "该主体参与的结对帮扶方案数（含全部状态）。"),
        c.field(k, ("synthetic",), required=True),
        c.field(k, ("sources",), description="来源文件编号（data/sources/ 中的记录）。"),
    ]
    plans_of = self.keyed("SELECT organization, plans FROM org_fig")
    rows = []
    for rec in self.records(k):
        p = self.pub(k, rec)
        row = {
            n: p.get(n)
            for n in (
                "id",
                "name",
                "kind",
                "category",
                "uscc",
                "supervising_unit",
                "county",
                "office_phone",
            )
        }
        row["county_name"] = self.name("county", p.get("county"))
        row["domains"] = joined(p.get("domains"))
        row["plans"] = plans_of.get(rec.id, 0)
        row["synthetic"] = p.get("synthetic") is True
        row["sources"] = sources_text(p)
        rows.append(row)
    return self.table(
        "organizations",
        "帮扶主体",
        "参与结对帮扶的社会组织、志愿服务队伍、机关单位、企业和行业协会（负责人信息不公开）。",
        cols,
        rows,
        ["id"],
        [fk("county", "counties")],
    )


def campaigns(self: Builder) -> Table:
    c = self.c
    k = "campaign"
    cols = [
        c.field(k, ("id",), required=True),
        c.field(k, ("name",)),
        c.field(k, ("authority",)),
        c.field(k, ("counties",)),
        c.field(k, ("period", "start"), "period_start"),
        c.field(k, ("period", "end"), "period_end"),
        c.field(k, ("reporting", "cadence"), "reporting_cadence"),
        c.field(k, ("reporting", "day_of_month"), "reporting_day_of_month"),
        c.field(k, ("reporting", "weekday"), "reporting_weekday"),
        c.field(k, ("reporting", "time"), "reporting_time"),
        c.field(k, ("reporting", "due_period"), "reporting_due_period"),
        c.field(k, ("reports_tracked_from",)),
        Column(
            "quota_households",
            "integer",
            "配额户数合计",
            "各区县应结对帮扶户数（配额）之和；行动未设配额时为空。",
        ),
        c.field(k, ("totals", "villages"), "totals_villages"),
        c.field(k, ("totals", "households"), "totals_households"),
        c.field(k, ("totals", "people"), "totals_people"),
        plain_count("plans", "方案数", "属于该行动的结对帮扶方案数。"),
        c.field(k, ("synthetic",), required=True),
        c.field(k, ("sources",), description="来源文件编号（data/sources/ 中的记录）。"),
    ]
    plans_of = self.keyed("SELECT campaign, plans FROM campaign_fig")
    rows = []
    for rec in self.records(k):
        p = self.pub(k, rec)
        quotas = [
            n
            for q in p.get("quotas") or []
            if isinstance(q, dict)
            and isinstance(n := q.get("households"), int)
            and not isinstance(n, bool)
        ]
        rows.append(
            {
                "id": p.get("id"),
                "name": p.get("name"),
                "authority": p.get("authority"),
                "counties": joined(p.get("counties")),
                "period_start": get(p, "period", "start"),
                "period_end": get(p, "period", "end"),
                "reporting_cadence": get(p, "reporting", "cadence"),
                "reporting_day_of_month": get(p, "reporting", "day_of_month"),
                "reporting_weekday": get(p, "reporting", "weekday"),
                "reporting_time": get(p, "reporting", "time"),
                "reporting_due_period": get(p, "reporting", "due_period"),
                "reports_tracked_from": p.get("reports_tracked_from"),
                "quota_households": sum(quotas) if quotas else None,
                "totals_villages": get(p, "totals", "villages"),
                "totals_households": get(p, "totals", "households"),
                "totals_people": get(p, "totals", "people"),
                "plans": plans_of.get(rec.id, 0),
                "synthetic": p.get("synthetic") is True,
                "sources": sources_text(p),
            }
        )
    return self.table(
        "campaigns",
        "专项行动",
        "组织结对帮扶的专项行动：组织机关、期间、报送要求、配额和总目标。",
        cols,
        rows,
        ["id"],
    )


# ------------------------------------------------------------ plans
def plans(self: Builder) -> Table:
    c = self.c
    k = "plan"
    cols = [
        c.field(k, ("id",), required=True),
        c.field(k, ("name",)),
        c.field(k, ("county",)),
        self.name_column("county", "county_name", "所在区县"),
        c.field(k, ("campaign",)),
        self.name_column("campaign", "campaign_name", "专项行动"),
        c.field(k, ("form",)),
        c.field(k, ("status",)),
        Column(
            "state",
            "string",
            "统计日状况",
            "统计日期时方案的状况：草拟、已完成、已终止取自方案状态；"
            "其余按期间判断——期间开始前为未开始，期间内为执行中，期间结束后为已结束。",
            STATES,
            required=True,
        ),
        c.field(k, ("period", "start"), "period_start"),
        c.field(k, ("period", "end"), "period_end"),
        c.field(k, ("reports_tracked_from",)),
        plain_count("organizations", "帮扶主体数", "参与本方案的帮扶主体数。"),
        plain_count("target_villages", "帮扶村数", "本方案直接帮扶的村数。"),
        count_column(
            "target_households",
            "帮扶户数",
            "本方案列为帮扶对象的户数；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）；方案只列帮扶村、不列户时留空（台账中无记录）。",
        ),
        c.field(
            k,
            ("measures", 0, "kind"),
            "measure_kinds",
            title="措施类别",
            description=f"计划的帮扶措施类别，按方案中的顺序去重，多项以“{LIST_SEPARATOR}”分隔。",
        ),
        plain_count("measures", "措施数", "计划的帮扶措施项数。"),
        amount_column(
            "planned_amount_yuan",
            "计划金额（元）",
            "各项措施计划金额之和，单位元；未写金额的措施不计入，没有一项措施写金额时留空（台账中无记录）。",
            required=False,
        ),
        plain_count("reports", "进度报告数", "台账中记录的本方案进度报告期数。"),
        amount_column(
            "delivered_amount_yuan",
            "已交付金额（元）",
            "进度报告中各条目金额之和，单位元；台账中没有本方案的进度报告时留空（台账中无记录）；"
            "只涉及少于门槛户数、或可由其他数字推算出这类数字时不公开（写作“*”）。",
            withheld=True,
        ),
        c.field(k, ("synthetic",), required=True),
        c.field(k, ("sources",), description="来源文件编号（data/sources/ 中的记录）。"),
    ]
    # the measure-kinds column is a list, not one enum value
    cols = [
        Column(col.name, col.type, col.title, col.description, None, col.required, col.suppressed)
        if col.name == "measure_kinds"
        else col
        for col in cols
    ]
    fig = {r["plan"]: r for r in self.store.dicts("SELECT * FROM plan_fig")}
    rows = []
    for rec in self.records(k):
        f = fig[rec.id]
        p = self.pub(k, rec)
        measures = [x for x in p.get("measures") or [] if isinstance(x, dict)]
        kinds = [m for x in measures if isinstance(m := x.get("kind"), str)]
        rows.append(
            {
                "id": p.get("id"),
                "name": p.get("name"),
                "county": p.get("county"),
                "county_name": self.name("county", p.get("county")),
                "campaign": p.get("campaign"),
                "campaign_name": self.name("campaign", p.get("campaign")),
                "form": p.get("form"),
                "status": p.get("status"),
                "state": f["state"],
                "period_start": get(p, "period", "start"),
                "period_end": get(p, "period", "end"),
                "reports_tracked_from": p.get("reports_tracked_from"),
                "organizations": f["organizations"],
                "target_villages": f["target_villages"],
                "target_households": self.recorded(f["target_households"]),
                "measure_kinds": LIST_SEPARATOR.join(dict.fromkeys(kinds)) or None,
                "measures": len(measures),
                "planned_amount_yuan": amount(f["planned"]),
                "reports": f["reports"],
                "delivered_amount_yuan": amount(f["delivered"]),
                "synthetic": p.get("synthetic") is True,
                "sources": sources_text(p),
            }
        )
    return self.table(
        "plans",
        "结对帮扶方案",
        "结对帮扶方案：所属行动、结对形式、状态、期间、帮扶对象数量、计划和已交付金额。",
        cols,
        rows,
        ["id"],
        [fk("county", "counties"), fk("campaign", "campaigns")],
    )


def plan_targets(self: Builder) -> Table:
    cols = [
        Column("plan", "string", "方案", "方案编号。", required=True),
        self.name_column("plan", "plan_name", "方案"),
        Column("village", "string", "村", "帮扶村，或帮扶户所在村的编号。", required=True),
        self.name_column("village", "village_name", "村"),
        self.name_column("township", "township_name", "所在乡镇"),
        self.name_column("county", "county_name", "所在区县"),
        Column(
            "village_targeted",
            "boolean",
            "村为帮扶对象",
            "方案是否直接把该村列为帮扶村。",
            required=True,
        ),
        count_column(
            "households",
            "帮扶户数",
            "方案在该村帮扶的户数（不列户编号）；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）；方案只列帮扶村、不列户时留空（台账中无记录）。",
        ),
    ]
    rows = [
        {
            "plan": plan,
            "plan_name": self.name("plan", plan),
            "village": village,
            **self.place_names(village),
            "village_targeted": targeted,
            "households": self.recorded(households),
        }
        for plan, village, targeted, households in self.store.rows(
            "SELECT plan, village, village_targeted, households FROM plan_target_fig"
        )
    ]
    return self.table(
        "plan_targets",
        "方案帮扶对象",
        "方案 × 村：方案直接帮扶的村，以及方案所帮扶的户所在的村和户数（不公开户编号）。",
        cols,
        rows,
        ["plan", "village"],
        [fk("plan", "plans"), fk("village", "villages")],
    )


def plan_organizations(self: Builder) -> Table:
    cols = [
        Column("plan", "string", "方案", "方案编号。", required=True),
        self.name_column("plan", "plan_name", "方案"),
        Column("organization", "string", "帮扶主体", "帮扶主体编号。", required=True),
        self.name_column("organization", "organization_name", "帮扶主体"),
        Column(
            "position",
            "integer",
            "序号",
            "该主体在方案帮扶主体列表中的位置，从 1 开始。",
            required=True,
        ),
    ]
    rows = [
        {
            "plan": plan,
            "plan_name": self.name("plan", plan),
            "organization": org,
            "organization_name": self.name("organization", org),
            "position": pos,
        }
        for plan, org, pos in self.store.rows(
            "SELECT plan, organization, position FROM plan_org_fig"
        )
    ]
    return self.table(
        "plan_organizations",
        "方案帮扶主体",
        "方案 × 帮扶主体：每个方案由哪些主体承担。",
        cols,
        rows,
        ["plan", "organization"],
        [fk("plan", "plans"), fk("organization", "organizations")],
    )
