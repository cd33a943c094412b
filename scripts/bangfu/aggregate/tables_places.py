"""Tables of places: counties, townships and villages, with their household figures."""

from __future__ import annotations

from collections import Counter

from .builder import Builder, amount, fk
from .columns import (
    FLAG_NAMES,
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
    return [counties(b), townships(b), villages(b)]


def counties(self: Builder) -> Table:
    c = self.c
    fig = self.keyed("SELECT county, households, paired FROM fig WHERE level = 3")
    cols = [
        c.field("county", ("id",), required=True),
        c.field("county", ("name",)),
        c.field("county", ("province",)),
        c.field("county", ("city",)),
        c.field("county", ("admin_code",)),
        c.field("county", ("key_lists",)),
        *c.flags("county", ("key_lists",)),
        c.field("county", ("office_phone",)),
        plain_count("townships", "乡镇数", "台账中该区县的乡镇（街道）数。"),
        plain_count("villages", "村数", "台账中该区县的村（社区）数。"),
        count_column(
            "households",
            "监测户数",
            "台账中该区县的帮扶户（监测户）数；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）；台账中没有该区县的帮扶户记录时留空。",
        ),
        count_column(
            "households_paired",
            "已结对户数",
            "统计日期正在执行的方案（按状态和期间判断）列为帮扶对象的户数；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）；台账中没有该区县的帮扶户记录时留空。",
        ),
        c.field("county", ("synthetic",), required=True),
        c.field("county", ("sources",), description="来源文件编号（data/sources/ 中的记录）。"),
    ]
    flags = [col for col in cols if col.name in FLAG_NAMES.values()]
    rows = []
    n_villages = Counter(v.county for v in self.m.villages.values())
    n_townships = Counter(t.county for t in self.m.townships.values())
    for rec in self.records("county"):
        p = self.pub("county", rec)
        row = {
            k: p.get(k) for k in ("id", "name", "province", "city", "admin_code", "office_phone")
        }
        row["key_lists"] = joined(p.get("key_lists"))
        for f in flags:
            row[f.name] = f.title in (p.get("key_lists") or [])
        row["townships"] = n_townships[rec.id]
        row["villages"] = n_villages[rec.id]
        row["households"], row["households_paired"] = self.place_counts(fig.get(rec.id), 2)
        row["synthetic"] = p.get("synthetic") is True
        row["sources"] = sources_text(p)
        rows.append(row)
    return self.table(
        "counties",
        "区县",
        "台账中的区县及其重点名单、下属乡镇和村的数量、帮扶户汇总数。",
        cols,
        rows,
        ["id"],
    )


def townships(self: Builder) -> Table:
    c = self.c
    fig = self.keyed("SELECT township, households, paired FROM fig WHERE level = 1")
    base = ("townships", 0)
    cols = [
        c.field("county", base + ("id",), "id", required=True),
        Column("county", "string", "所在区县", "乡镇所在区县的编号。", required=True),
        self.name_column("county", "county_name", "所在区县"),
        c.field("county", base + ("name",), "name"),
        c.field("county", base + ("key_lists",), "key_lists"),
        *c.flags("county", base + ("key_lists",)),
        c.field("county", base + ("contact", "role"), "contact_role"),
        plain_count("villages", "村数", "台账中该乡镇的村（社区）数。"),
        count_column(
            "households",
            "监测户数",
            "台账中该乡镇的帮扶户（监测户）数；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）；台账中没有该区县的帮扶户记录时留空。",
        ),
        count_column(
            "households_paired",
            "已结对户数",
            "统计日期正在执行的方案（按状态和期间判断）列为帮扶对象的户数；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）；台账中没有该区县的帮扶户记录时留空。",
        ),
    ]
    flags = [col for col in cols if col.name in FLAG_NAMES.values()]
    rows = []
    for rec in self.records("county"):
        p = self.pub("county", rec)
        for t in p.get("townships") or []:
            tid = t.get("id")
            town = self.m.townships.get(tid)
            if town is None or town.county != rec.id:
                continue
            row = {
                "id": tid,
                "county": rec.id,
                "county_name": self.name("county", rec.id),
                "name": t.get("name"),
                "key_lists": joined(t.get("key_lists")),
                "contact_role": get(t, "contact", "role"),
                "villages": len(town.villages),
                **dict(
                    zip(
                        ("households", "households_paired"),
                        self.place_counts(fig.get(tid), 2),
                        strict=True,
                    )
                ),
            }
            for f in flags:
                row[f.name] = f.title in (t.get("key_lists") or [])
            rows.append(row)
    return self.table(
        "townships",
        "乡镇（街道）",
        "台账中的乡镇、街道及其重点名单和汇总数。",
        cols,
        rows,
        ["id"],
        [fk("county", "counties")],
    )


def villages(self: Builder) -> Table:
    c = self.c
    fig = self.keyed("SELECT village, households, paired, delivered FROM fig WHERE level = 0")
    plans = self.keyed("SELECT village, len(running) FROM fig_plan WHERE level = 0")
    base = ("townships", 0, "villages", 0)
    cols = [
        c.field("county", base + ("id",), "id", required=True),
        Column("township", "string", "所在乡镇", "村所在乡镇（街道）的编号。", required=True),
        self.name_column("township", "township_name", "所在乡镇"),
        Column("county", "string", "所在区县", "村所在区县的编号。", required=True),
        self.name_column("county", "county_name", "所在区县"),
        c.field("county", base + ("name",), "name"),
        c.field("county", base + ("key_lists",), "key_lists"),
        *c.flags("county", base + ("key_lists",)),
        count_column(
            "households",
            "监测户数",
            "台账中该村的帮扶户（监测户）数；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）；台账中没有该区县的帮扶户记录时留空。",
        ),
        count_column(
            "households_paired",
            "已结对户数",
            "统计日期正在执行的方案（按状态和期间判断）列为帮扶对象的户数；少于门槛户数、或可由其他公开数字推算出不公开的数字时不公开（写作“*”）；台账中没有该区县的帮扶户记录时留空。",
        ),
        plain_count(
            "plans",
            "在执行方案数",
            "以该村或该村的户为帮扶对象、统计日期正在执行的方案数（按状态和期间判断）。",
        ),
        amount_column(
            "amount_yuan",
            "已交付金额（元）",
            "进度报告中交付给该村及该村各户的资金和物资折价合计，单位元；"
            "台账中没有覆盖该村的方案的进度报告时留空（台账中无记录）；"
            "只涉及少于门槛户数、或可由其他数字推算出这类数字时不公开（写作“*”）。",
            withheld=True,
        ),
    ]
    flags = [col for col in cols if col.name in FLAG_NAMES.values()]
    rows = []
    for rec in self.records("county"):
        p = self.pub("county", rec)
        for t in p.get("townships") or []:
            for v in t.get("villages") or []:
                vil = self.m.villages.get(v.get("id"))
                if vil is None or vil.county != rec.id or vil.township != t.get("id"):
                    continue
                f = fig.get(vil.id, (None, None, None))
                row = {
                    "id": vil.id,
                    "township": vil.township,
                    "township_name": self.name("township", vil.township),
                    "county": rec.id,
                    "county_name": self.name("county", rec.id),
                    "name": v.get("name"),
                    "key_lists": joined(v.get("key_lists")),
                    "households": self.recorded(f[0]),
                    "households_paired": self.recorded(f[1]),
                    "plans": plans.get(vil.id) or 0,
                    "amount_yuan": amount(f[2]),
                }
                for f in flags:
                    row[f.name] = f.title in (v.get("key_lists") or [])
                rows.append(row)
    return self.table(
        "villages",
        "村（社区）",
        "台账中的村、社区：所在重点名单（每个名单一列 true/false）、帮扶户汇总数、结对方案数和已交付金额。",
        cols,
        rows,
        ["id"],
        [fk("township", "townships"), fk("county", "counties")],
    )
