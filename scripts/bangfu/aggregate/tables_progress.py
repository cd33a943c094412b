"""Tables of progress: report entries by plan, period and kind, and households by village,
month and category."""

from __future__ import annotations

from .builder import Builder, amount_of, amount_sql, fk
from .columns import Column, Table, amount_column, count_column, plain_count


def build(b: Builder) -> list[Table]:
    return [report_entries(b), progress(b)]


def report_entries(self: Builder) -> Table:
    c = self.c
    cols = [
        Column("plan", "string", "方案", "方案编号。", required=True),
        self.name_column("plan", "plan_name", "方案"),
        c.field("report", ("id",), "period", required=True),
        c.field("report", ("entries", 0, "kind"), "kind", required=True),
        Column(
            "entries",
            "integer",
            "条目数",
            "本期该类别的帮扶条目数；涉及户数不足门槛户数、或可由其他数字推算出这类数字时不公开（写作“*”）。",
            suppressed=True,
        ),
        amount_column(
            "amount_yuan",
            "金额（元）",
            "本期该类别条目金额之和，单位元；涉及户数不足门槛户数、或可由其他数字推算出这类数字时不公开（写作“*”）。",
            withheld=True,
        ),
        count_column(
            "households_reached",
            "涉及户数",
            "本期该类别条目涉及的不同户数；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）。",
        ),
        plain_count("villages_reached", "涉及村数", "本期该类别以村为对象的条目涉及的不同村数。"),
    ]
    rows = [
        {
            "plan": p,
            "plan_name": self.name("plan", p),
            "period": per,
            "kind": k,
            "entries": n,
            "amount_yuan": amount_of(whole, part),
            "households_reached": hh,
            "villages_reached": vs,
        }
        for p, per, k, n, whole, part, hh, vs in self.store.rows(
            f"SELECT plan, period, kind, entries, {amount_sql('amount')}, households, villages"
            " FROM report_entry_fig ORDER BY plan, period, kind"  # the table's order, mostly:
        )  # its sort (``Builder.table``) then meets sorted runs
    ]
    return self.table(
        "report_entries",
        "进度报告汇总",
        "进度报告条目按方案 × 报送期 × 活动类别汇总：条目数、金额、涉及户数和村数。",
        cols,
        rows,
        ["plan", "period", "kind"],
        [fk("plan", "plans")],
    )


def progress(self: Builder) -> Table:
    c = self.c
    cols = [
        Column("village", "string", "村", "村编号。", required=True),
        self.name_column("village", "village_name", "村"),
        self.name_column("township", "township_name", "所在乡镇"),
        self.name_column("county", "county_name", "所在区县"),
        Column("month", "string", "月份", "公历月份，格式 YYYY-MM。", required=True),
        c.field("household", ("category",), "category", required=True),
        count_column(
            "households_monitored",
            "监测户数",
            "当月处于监测期的户数（认定之后、退出之前：退出以退出公示或政策规定的退出程序最后一步为准）；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）。",
        ),
        count_column(
            "households_paired",
            "已结对户数",
            "当月在方案期间内的方案（不含草拟和已终止）列为帮扶对象的监测户数；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）。",
        ),
        count_column(
            "households_visited",
            "已走访户数",
            "当月有走访、回访、慰问或交付条目的户数；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）。",
        ),
        Column(
            "entries",
            "integer",
            "条目数",
            "当月以这些户为对象的帮扶条目数；已走访户数不足门槛户数、或可由其他数字推算出这类数字时不公开（写作“*”）。",
            suppressed=True,
        ),
        amount_column(
            "amount_yuan",
            "交付金额（元）",
            "当月交付给这些户的资金和物资折价合计，单位元；以村为对象的交付见进度报告汇总表；"
            "已走访户数不足门槛户数、或可由其他数字推算出这类数字时不公开（写作“*”）。",
            withheld=True,
        ),
    ]
    rows = [
        {
            "village": v,
            **self.place_names(v),
            "month": m,
            "category": cat,
            "households_monitored": mon,
            "households_paired": paired,
            "households_visited": visited,
            "entries": n,
            "amount_yuan": amount_of(whole, part),
        }
        for v, m, cat, mon, paired, visited, n, whole, part in self.store.rows(
            "SELECT village, month, category, monitored, paired, visited, entries,"
            f" {amount_sql('amount')} FROM progress_fig ORDER BY village, month, category"
        )
    ]
    return self.table(
        "progress",
        "帮扶进度",
        _PROGRESS_DESC,
        cols,
        rows,
        ["village", "month", "category"],
        [fk("village", "villages")],
    )


_PROGRESS_DESC = (
    "村 × 月份 × 监测类别：处于监测期的户数、已结对户数、已走访户数、条目数和交付金额。"
    "只有汇总数字，没有户级记录。"
)
