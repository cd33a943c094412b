"""The synthetic record shapes behind ``bangfu demo`` and the benchmark corpora.

Fake households (names from Faker's zh_CN locale), monthly progress reports and the
constants they draw from; ``bangfu.synth`` lays them out over the real villages and
organizations, village by village. Every generated record carries ``synthetic: true``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
from pathlib import Path

from .config import UsageError
from .rules.monitoring import BELOW_LINE_CATEGORIES
from .scaffold import IDENT_STEPS

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
    ("支出型困难户", 3),
    ("其他低收入户", 2),
]
# identified by the low-income path of 篇五 (申请受理 → … → 长期公示); the others by 篇一's six steps
LOW_INCOME = {"低保户", "特困供养户", "低保边缘户", "支出型困难户", "其他低收入户"}
LOW_INCOME_STEPS = (
    "申请受理",
    "家庭经济状况调查",
    "初审公示",
    "审核确认",
    "录入",
    "备案",
    "长期公示",
)
NOTICE_STEPS = {"评议公示", "初审公示"}
BELOW = BELOW_LINE_CATEGORIES
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
GUARANTEES = ("food", "clothing", "medical", "education", "housing", "drinking_water")
SUDDEN_CAUSES = ["因病", "因残", "因灾", "因学"]  # 篇五's red-tier causes
MEASURES = [
    ("资金", "发放产业扶持资金"),
    ("项目", "落实庭院经济增收项目"),
    ("物资", "捐赠生产生活物资"),
    ("就业", "推荐务工岗位"),
    ("教育", "资助在校学生"),
    ("医疗", "组织义诊和健康随访"),
    ("消费扶贫", "帮助销售农产品"),
]
VISIT_CONTENT = "了解家庭收入和“两不愁三保障”情况"
VILLAGE_CONTENT = "组织采购村里的农产品"
NO_ACTIVITY_REASON = "本期帮扶户均已风险消除或稳定脱贫，按计划不需走访"
# The fixed wording written into public fields. No generated person is named inside it, or the
# privacy rule would rightly flag the text: at province scale Faker draws 和健, who is inside
# 组织义诊和健康随访, and the corpus would no longer pass its own check.
PUBLIC_WORDING = (VISIT_CONTENT, VILLAGE_CONTENT, NO_ACTIVITY_REASON, *(d for _, d in MEASURES))
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


def _hid(seed: int, i: int) -> str:
    return "h-" + hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()[:10]


def person_name(fake) -> str:
    """A Faker name that is not inside any of the ``PUBLIC_WORDING``."""
    while True:
        name = fake.name()
        if not any(name in text for text in PUBLIC_WORDING):
            return name


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


def _incomes(rng, category: str, status: str, line: float) -> tuple[int, int, int]:
    """(income at identification, the year before the current income, current income). The
    category is a fact of identification: the below-line categories were under the line when
    identified, whatever happened since; a household that has exited has been above the line
    for the last two years (the ledger's "stably"), whatever its category. A household still
    monitored was identified the year before its current income."""
    if category in BELOW:
        at_ident = rng.randint(int(line * 0.45), int(line) - 1)
    else:
        at_ident = rng.randint(int(line * 0.5), int(line * 2))
    if status == "退出":
        before = rng.randint(int(line) + 1, int(line * 2))
        now = rng.randint(int(line) + 1, int(line * 2.2))
    elif status == "风险未消除":
        before = at_ident
        now = at_ident if category in BELOW else rng.randint(int(line * 0.5), int(line * 2))
    else:
        before = at_ident
        now = rng.randint(int(line * 0.8), int(line * 2))
    return at_ident, before, now


def _pick(rng, index: int) -> tuple[str, str]:
    """(category, status): the first households of the corpus exit, one in each category,
    so that even a small demo walks every category through the whole cycle."""
    if index < len(CATEGORIES):
        return CATEGORIES[index][0], "退出"
    return _weighted(rng, CATEGORIES), _weighted(rng, STATUSES)


def _steps(rng, category: str, start: dt.date) -> tuple[list[dict], dt.date]:
    """The identification steps in the order of the procedure the category follows."""
    names = LOW_INCOME_STEPS if category in LOW_INCOME else IDENT_STEPS
    steps, day = [], start
    for step in names:
        entry = {"step": step, "date": day.isoformat()}
        if step in NOTICE_STEPS:
            notice = rng.choice([5, 6, 7, 7, 10])
            entry["until"] = (day + dt.timedelta(days=notice - 1)).isoformat()
            day += dt.timedelta(days=notice)
        steps.append(entry)
        day += dt.timedelta(days=rng.randint(1, 10))
    return steps, day


def _exit_steps(rng, pol, day: dt.date) -> list[dict]:
    """The exit procedure the region's policy sets (``exit.procedure``, e.g. 篇五's 动态退出), in
    order from ``day``, its notice with an end; none where the policy sets no procedure."""
    rule = pol.get("exit") if pol else None
    names = rule.get("procedure") if isinstance(rule, dict) else None
    out = []
    for step in names if isinstance(names, list) else ():
        entry = {"step": step, "date": day.isoformat()}
        if (isinstance(rule, dict) and step == rule.get("notice")) or step.endswith("公示"):
            notice = max(rng.choice([5, 7, 7, 10]), pol.notice_min_days or 0)
            entry["until"] = (day + dt.timedelta(days=notice - 1)).isoformat()
            day += dt.timedelta(days=notice)
        out.append(entry)
        day += dt.timedelta(days=rng.randint(1, 10))
    return out


def _tier(category: str, sudden: bool, left: bool) -> str | None:
    """篇五's tiers: 红 for a sudden hardship, 黄 for the three monitoring categories and those
    who left 低保 / 特困, 橙 for the other low-income households; none in 低保 / 特困."""
    if category in ("低保户", "特困供养户"):
        return None
    if sudden:
        return "红"
    if category in ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户", "建档立卡贫困户") or left:
        return "黄"
    return "橙"


def household(rng, fake, hid, v, policies, index: int = len(CATEGORIES)):
    """One household walked through the cycle of the sources: identification by 篇一's six
    steps or 篇五's low-income path, measures (一户一策), then risk eliminated, stably out of
    poverty or exited (two years above the line, every guarantee met, the exit notice) — in
    every category (``_pick``)."""
    county = v.county
    income_year = YEAR - 1
    pol = policies.for_county(county, income_year)
    line = pol.line if pol and pol.line else 6000.0
    category, status = _pick(rng, index)
    at_ident, before, income = _incomes(rng, category, status, line)
    size = rng.randint(1, 6)
    ident_year = YEAR - 2 if status == "退出" else YEAR - 1
    ident_start = dt.date(ident_year, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
    steps, day = _steps(rng, category, ident_start)
    ident_end = dt.date.fromisoformat(steps[-1]["date"])
    exit_steps = []
    if status == "退出":
        day = max(day, dt.date(YEAR - 1, 12, 1)) + dt.timedelta(days=rng.randint(30, 90))
        exit_steps = _exit_steps(rng, pol, day)
        if not exit_steps:  # no exit procedure in the region's policy: the generic notice
            notice = rng.choice([5, 7, 7, 10])
            steps.append(
                {
                    "step": "退出公示",
                    "date": day.isoformat(),
                    "until": (day + dt.timedelta(days=notice - 1)).isoformat(),
                }
            )
    head = person_name(fake)
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
                "name": person_name(fake),
                "relation": rng.choice(["配偶", "子女", "父母", "孙辈"]),
                "id_number": fake.ssn(),
                "health": rng.choice(["健康", "健康", "慢性病"]),
            }
        )
    guarantees = {k: status == "退出" or rng.random() > 0.08 for k in GUARANTEES}
    sudden = category == "突发严重困难户" and status == "风险未消除"
    left = category == "低保边缘户" and rng.random() < 0.5
    tier = _tier(category, sudden, left)
    rec = {
        "id": hid,
        "village": v.id,
        "category": category,
        "risk_causes": sorted(rng.sample(CAUSES, k=rng.randint(1, 2))),
        "household_size": size,
        "income": {"year": income_year, "per_capita": income},
        "guarantees": guarantees,
        "income_history": [{"year": income_year - 1, "per_capita": before}],
        "status": status,
        **({"warning_tier": tier} if tier else {}),
        "income_projects": rng.choice([0, 0, 1, 1, 2]),
        "identification": {
            "procedure": "低收入人口认定" if category in LOW_INCOME else "防返贫监测",
            "income": {"year": ident_year - 1, "per_capita": at_ident},  # 2022 or 2023
            "steps": steps,
        },
        **({"exit_steps": exit_steps} if exit_steps else {}),
        "household_plan": {
            "date": (ident_end + dt.timedelta(days=rng.randint(1, 20))).isoformat(),
            "measures": sorted({k for k, _ in rng.sample(MEASURES, k=rng.randint(1, 3))}),
        },
        "head": {"name": head, "id_number": members[0]["id_number"], "phone": fake.phone_number()},
        "address": fake.address(),
        "members": members,
        "health_notes": rng.choice(["无", "户主患慢性病需长期服药", "家中有残疾人"]),
        "synthetic": True,
    }
    if sudden:
        rec["sudden_hardship"] = {
            "kind": rng.choice(["收入骤减", "刚性支出骤增"]),
            "cause": rng.choice(SUDDEN_CAUSES),
            "date": ident_start.isoformat(),
        }
    if left:
        rec["former_assistance"] = {"program": "低保", "until": ident_start.isoformat()}
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
                    "content": VISIT_CONTENT,
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
                "content": VILLAGE_CONTENT,
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
    rep = {
        "id": f"{YEAR}-{month:02d}",
        "plan": pid,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "submitted": submitted.isoformat(),
        "entries": entries,
        "synthetic": True,
    }
    if not entries:  # an empty report says so explicitly, or it is not a report
        rep["no_activity"] = True
        rep["no_activity_reason"] = NO_ACTIVITY_REASON
    return rep
