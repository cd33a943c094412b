"""``bangfu demo``: deterministic synthetic data over the real reference data.

Copies ``data/`` and adds fake households (names from Faker's zh_CN locale), demo
organizations, a demo campaign, pairing plans and monthly progress reports. Every
generated record carries ``synthetic: true``; the output passes ``bangfu check``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from faker import Faker

from . import model as model_mod
from .check import load_all
from .config import Config, UsageError
from .policy import PolicyIndex
from .yamlio import dump_text

MARKER = ".bangfu-demo"
HEADER = "# 演示数据（synthetic）：由 bangfu demo 生成，人物与数字均为虚构。\n"
YEAR = 2025
CAMPAIGN = "demo-monitoring-2025"
CATEGORIES = [
    ("脱贫不稳定户", 30),
    ("边缘易致贫户", 30),
    ("突发严重困难户", 12),
    ("建档立卡贫困户", 10),
    ("低保户", 10),
    ("特困供养户", 4),
    ("低保边缘户", 4),
]
BELOW = {"脱贫不稳定户", "边缘易致贫户", "低保边缘户"}
CAUSES = [
    "因病",
    "因残",
    "因学",
    "因灾",
    "因意外",
    "缺劳动力",
    "缺技术",
    "因务工就业不稳",
    "住房安全",
]
STATUSES = [("风险未消除", 45), ("风险已消除", 30), ("稳定脱贫", 20), ("退出", 5)]
MEASURES = [
    ("资金", "发放产业扶持资金"),
    ("项目", "落实庭院经济增收项目"),
    ("物资", "捐赠生产生活物资"),
    ("就业", "推荐务工岗位"),
    ("教育", "资助在校学生"),
    ("医疗", "组织义诊和健康随访"),
    ("消费扶贫", "帮助销售农产品"),
]
DELIVERY_KINDS = {
    "资金": "资金发放",
    "项目": "项目实施",
    "物资": "物资捐赠",
    "就业": "就业帮扶",
    "教育": "教育帮扶",
    "医疗": "医疗帮扶",
    "消费扶贫": "消费扶贫",
}
ORG_KINDS = [
    ("志愿服务队伍", "志愿服务类", "志愿服务队"),
    ("社会团体", "其它", "爱心协会"),
    ("行业协会商会", "行业协会商会类", "农产品行业协会"),
    ("民办非企业单位", "教育培训类", "职业技能培训学校"),
    ("民办非企业单位", "医疗卫生类", "社区卫生服务中心"),
]


@dataclass(frozen=True, slots=True)
class DemoOptions:
    households: int
    seed: int
    out: Path
    households_per_plan: int = 8


def _hid(seed: int, i: int) -> str:
    return "h-" + hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()[:10]


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def prepare_out(out: Path) -> Path:
    """The output data folder, emptied only if it was made by an earlier ``bangfu demo``."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise UsageError(
                f"{out} 不是空文件夹，也不是 bangfu demo 生成的；为避免覆盖数据，请换一个 --out"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("bangfu demo output\n", encoding="utf-8")
    return out / "data"


def generate(cfg: Config, opts: DemoOptions) -> dict[str, int]:
    if opts.households < 0:
        raise UsageError("--households 不能为负数")
    records = load_all(cfg)
    bad = [r.file for r in records if r.findings]
    if bad:
        raise UsageError(f"参考数据有问题，先运行 bangfu check：{bad[0]}")
    m = model_mod.build(records)
    if not m.villages:
        raise UsageError("参考数据中没有村，无法生成演示数据")
    data = prepare_out(opts.out)
    shutil.copytree(cfg.data_root, data)
    schemas = cfg.schemas_dir
    shutil.copytree(schemas, opts.out / "schemas")
    rng = random.Random(opts.seed)
    fake = Faker("zh_CN")
    fake.seed_instance(opts.seed)
    policies = PolicyIndex(m)
    counts = {"household": 0, "organization": 0, "plan": 0, "report": 0, "campaign": 0}

    def write(rel: Path, rec: dict, kind: str) -> None:
        path = data / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_text(rec, HEADER), encoding="utf-8")
        counts[kind] += 1

    villages = sorted(m.villages.values(), key=lambda v: v.id)
    counties = sorted({v.county for v in villages})
    write(
        Path("campaigns", f"{CAMPAIGN}.yaml"),
        {
            "id": CAMPAIGN,
            "name": "防返贫监测结对帮扶演示行动（2025）",
            "authority": "（演示）台账维护组",
            "counties": counties,
            "period": {"start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31"},
            "reporting": {"cadence": "每月", "day_of_month": 25},
            "sources": [],
            "synthetic": True,
        },
        "campaign",
    )

    # demo organizations: two per county, plus the real ones already in the data
    orgs_by_county: dict[str, list[str]] = {}
    for rec in m.by_kind["organization"].values():
        orgs_by_county.setdefault(rec.data.get("county"), []).append(rec.id)
    for c in counties:
        cname = m.get("county", c).data.get("name", c)
        for k in range(2):
            kind, category, suffix = ORG_KINDS[
                (len(orgs_by_county.get(c, [])) + k) % len(ORG_KINDS)
            ]
            oid = f"demo-org-{c}-{k + 1}"
            write(
                Path("organizations", f"{oid}.yaml"),
                {
                    "id": oid,
                    "name": f"（演示）{cname}{fake.last_name()}家{suffix}",
                    "kind": kind,
                    "category": category,
                    "county": c,
                    "domains": ["志愿帮扶"],
                    "office_phone": f"023-{rng.randint(10000000, 99999999)}",
                    "leader": {"name": fake.name(), "mobile": fake.phone_number()},
                    "sources": [],
                    "synthetic": True,
                },
                "organization",
            )
            orgs_by_county.setdefault(c, []).append(oid)
    for lst in orgs_by_county.values():
        lst.sort()

    # households
    by_village: dict[str, list[tuple[str, str]]] = {}
    for i in range(opts.households):
        v = villages[i % len(villages)] if i < len(villages) else rng.choice(villages)
        hid = _hid(opts.seed, i)
        rec, status = _household(rng, fake, hid, v, policies)
        write(Path("households", v.county, v.id, f"{hid}.yaml"), rec, "household")
        by_village.setdefault(v.id, []).append((hid, status))

    # plans and monthly reports
    for vid in sorted(by_village):
        v = m.villages[vid]
        members = by_village[vid]
        for start in range(0, len(members), opts.households_per_plan):
            group = members[start : start + opts.households_per_plan]
            pid = f"demo-plan-{vid}-{start // opts.households_per_plan + 1}"
            if len(pid) > 64:
                pid = "demo-plan-" + hashlib.sha256(pid.encode()).hexdigest()[:12]
            orgs = rng.sample(
                orgs_by_county[v.county],
                k=min(len(orgs_by_county[v.county]), rng.choice([1, 1, 2])),
            )
            first_month = rng.randint(1, 4)
            measures = []
            for kind, desc in rng.sample(MEASURES, k=rng.randint(1, 3)):
                measures.append(
                    {"kind": kind, "description": desc, "amount": rng.randrange(2000, 60000, 500)}
                )
            write(
                Path("plans", v.county, pid, "plan.yaml"),
                {
                    "id": pid,
                    "name": f"（演示）{v.name}结对帮扶方案 {start // opts.households_per_plan + 1}",
                    "county": v.county,
                    "campaign": CAMPAIGN,
                    "form": ("一对一" if len(group) == 1 else "一对多")
                    if len(orgs) == 1
                    else ("多对一" if len(group) == 1 else "多对多"),
                    "organizations": sorted(orgs),
                    "targets": {"villages": [vid], "households": sorted(h for h, _ in group)},
                    "period": {"start": f"{YEAR}-{first_month:02d}-01", "end": f"{YEAR}-12-31"},
                    "measures": measures,
                    "status": "执行中",
                    "synthetic": True,
                },
                "plan",
            )
            for month in range(first_month, 13):
                write(
                    Path("plans", v.county, pid, "reports", f"{YEAR}-{month:02d}.yaml"),
                    _report(rng, pid, vid, group, measures, month),
                    "report",
                )
    return counts


def _household(rng, fake, hid, v, policies):
    county = v.county
    income_year = YEAR - 1
    pol = policies.for_county(county, income_year)
    line = pol.line if pol and pol.line else 6000.0
    category = _weighted(rng, CATEGORIES)
    status = _weighted(rng, STATUSES)
    if category in BELOW:
        status = "风险未消除" if status == "退出" else status
        income = rng.randint(int(line * 0.45), int(line) - 1)
    elif status == "退出":
        income = rng.randint(int(line) + 1, int(line * 2.2))
    else:
        income = rng.randint(int(line * 0.5), int(line * 2))
    size = rng.randint(1, 6)
    ident_start = dt.date(YEAR - 1, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
    steps = []
    day = ident_start
    for step in ("排查发现", "信息核实", "评议公示", "复查审核", "部门比对", "公告录入"):
        entry = {"step": step, "date": day.isoformat()}
        if step == "评议公示":
            notice = rng.choice([5, 6, 7, 7, 10])
            entry["until"] = (day + dt.timedelta(days=notice - 1)).isoformat()
            day += dt.timedelta(days=notice)
        steps.append(entry)
        day += dt.timedelta(days=rng.randint(1, 10))
    head = fake.name()
    members = [
        {
            "name": head,
            "relation": "户主",
            "id_number": fake.ssn(),
            "health": rng.choice(["健康", "慢性病", "残疾", "大病"]),
        }
    ]
    for _ in range(size - 1):
        members.append(
            {
                "name": fake.name(),
                "relation": rng.choice(["配偶", "子女", "父母", "孙辈"]),
                "id_number": fake.ssn(),
                "health": rng.choice(["健康", "健康", "慢性病"]),
            }
        )
    guarantees = {
        k: rng.random() > 0.08
        for k in ("food", "clothing", "medical", "education", "housing", "drinking_water")
    }
    rec = {
        "id": hid,
        "village": v.id,
        "category": category,
        "risk_causes": sorted(rng.sample(CAUSES, k=rng.randint(1, 2))),
        "household_size": size,
        "income": {"year": income_year, "per_capita": income},
        "guarantees": guarantees,
        "status": status,
        "warning_tier": rng.choice(["红", "橙", "黄", "黄"]),
        "income_projects": rng.choice([0, 0, 1, 1, 2]),
        "identification": {"steps": steps},
        "head": {"name": head, "id_number": members[0]["id_number"], "phone": fake.phone_number()},
        "address": fake.address(),
        "members": members,
        "health_notes": rng.choice(["无", "户主患慢性病需长期服药", "家中有残疾人"]),
        "synthetic": True,
    }
    return rec, status


def _report(rng, pid, vid, group, measures, month):
    start = dt.date(YEAR, month, 1)
    end = dt.date(YEAR + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    entries = []
    for hid, status in group:
        visits = {
            "风险未消除": 1,
            "风险已消除": rng.random() < 0.3,
            "稳定脱贫": rng.random() < 0.15,
            "退出": rng.random() < 0.05,
        }[status]
        if visits:
            entries.append(
                {
                    "date": (start + dt.timedelta(days=rng.randint(0, end.day - 1))).isoformat(),
                    "household": hid,
                    "kind": rng.choice(["走访", "走访", "电话回访", "慰问"]),
                    "content": "了解家庭收入和“两不愁三保障”情况",
                }
            )
        if measures and rng.random() < 0.25:
            kind, desc = (lambda m: (m["kind"], m["description"]))(rng.choice(measures))
            entries.append(
                {
                    "date": (start + dt.timedelta(days=rng.randint(0, end.day - 1))).isoformat(),
                    "household": hid,
                    "kind": DELIVERY_KINDS.get(kind, "其他"),
                    "content": desc,
                    "amount": rng.randrange(200, 5000, 50),
                    "income_project": kind == "项目",
                }
            )
    if rng.random() < 0.2:
        entries.append(
            {
                "date": (start + dt.timedelta(days=rng.randint(0, end.day - 1))).isoformat(),
                "village": vid,
                "kind": "消费扶贫",
                "content": "组织采购村里的农产品",
                "amount": rng.randrange(1000, 20000, 100),
            }
        )
    entries.sort(key=lambda e: (e["date"], e.get("household", ""), e.get("village", ""), e["kind"]))
    deadline = dt.date(YEAR + (month == 12), month % 12 + 1, 25)
    submitted = (
        deadline - dt.timedelta(days=rng.randint(0, 20))
        if rng.random() < 0.85
        else deadline + dt.timedelta(days=rng.randint(1, 15))
    )
    return {
        "id": f"{YEAR}-{month:02d}",
        "plan": pid,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "submitted": submitted.isoformat(),
        "entries": entries,
        "synthetic": True,
    }
