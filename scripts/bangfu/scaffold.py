"""``bangfu new``: a skeleton for every record kind, written at the path its id implies.

A skeleton is not a record yet: every value the writer must supply is the placeholder
``待填写``, which ``bangfu check`` reports as ``record.placeholder`` until it is replaced."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path

from .codes import ARG_INVALID_ID, ARG_OUTSIDE_DATA, usage
from .config import UsageError
from .layout import path_of
from .schema import bundled, node_at
from .schemacheck import PLACEHOLDER as TODO
from .yamlio import dump_text, write_new

HEADER = (
    "# 由 bangfu new 生成的骨架：把每个“待填写”换成真实内容（按数据字典），"
    "再运行 bangfu check；\n# 还有“待填写”时检查不会通过。\n"
)
# the identification procedure in the order of the source (normalized-assistance-work-plans, 篇一)
IDENT_STEPS = ("分析研判", "信息核实", "评议公示", "复查审核", "部门比对", "公告录入")


def skeleton(kind: str, opts: dict, today: dt.date) -> tuple[Path, dict]:
    """(path relative to the data root, record) for a new record of ``kind``."""
    o = {k: v for k, v in opts.items() if v is not None}
    src = [{"document": o["source"]}] if "source" in o else []

    def need(*names):
        missing = [n for n in names if n not in o]
        if missing:
            raise UsageError(f"bangfu new {kind} 需要参数：" + "、".join("--" + m for m in missing))

    if kind == "source":
        need("id", "name")
        return path_of("source", id=o["id"]), {
            "id": o["id"],
            "title": o["name"],
            "issuer": TODO,
        }
    if kind == "county":
        need("id", "name", "province")
        rec = {
            "id": o["id"],
            "name": o["name"],
            "province": o["province"],
            "townships": [{"id": TODO, "name": TODO, "villages": [{"id": TODO, "name": TODO}]}],
            "sources": src,
        }
        return path_of("county", id=o["id"]), rec
    if kind == "organization":
        need("id", "name", "county")
        rec = {
            "id": o["id"],
            "name": o["name"],
            "kind": TODO,
            "category": TODO,
            "county": o["county"],
            "sources": src,
        }
        return path_of("organization", id=o["id"]), rec
    if kind == "household":
        need("county", "village")
        hid = o.get("id") or "h-" + secrets.token_hex(5)
        rec = {
            "id": hid,
            "village": o["village"],
            "category": TODO,
            "risk_causes": [TODO],
            "household_size": TODO,
            "income": {"year": today.year - 1, "per_capita": TODO},
            "status": TODO,
            "identification": {
                "income": {"year": today.year - 1, "per_capita": TODO},
                "steps": [
                    {"step": s, "date": TODO, **({"until": TODO} if s == "评议公示" else {})}
                    for s in IDENT_STEPS
                ],
            },
        }
        return path_of("household", county=o["county"], village=o["village"], id=hid), rec
    if kind == "campaign":
        need("id", "name")
        rec = {
            "id": o["id"],
            "name": o["name"],
            "authority": TODO,
            "period": {"start": TODO, "end": TODO},
            "sources": src,
        }
        return path_of("campaign", id=o["id"]), rec
    if kind == "plan":
        need("id", "county", "campaign", "organization")
        rec = {
            "id": o["id"],
            "name": o.get("name", TODO),
            "county": o["county"],
            "campaign": o["campaign"],
            "form": "一对一",
            "organizations": [o["organization"]],
            "targets": {"households": [TODO], "villages": [TODO]},
            "period": {"start": TODO, "end": TODO},
            "measures": [{"kind": TODO, "description": TODO}],
            "status": "草拟",
        }
        return path_of("plan", county=o["county"], id=o["id"]), rec
    if kind == "report":
        need("plan", "period")
        need("county")  # create() takes it from the plan when not given
        from .rules.dates import label_period

        covered = label_period(o["period"])
        if covered is None:
            raise UsageError("--period 应为 2020-04（月）、2020-W18（周）或 2020-Q2（季）")
        rec = {
            "id": o["period"],
            "plan": o["plan"],
            "period": {"start": covered[0].isoformat(), "end": covered[1].isoformat()},
            "submitted": TODO,
            "entries": [{"date": TODO, "household": TODO, "kind": TODO, "content": TODO}],
        }
        return path_of("report", county=o["county"], plan=o["plan"], id=o["period"]), rec
    if kind == "policy":
        need("id")
        rec = {
            "id": o["id"],
            "name": o.get("name", TODO),
            "scope": {"province": TODO},
            "monitoring_line": {"basis": TODO, "amount": TODO},
            "notice_min_days": TODO,
            "revisit_days": {"风险未消除": TODO, "风险已消除": TODO, "稳定脱贫": TODO},
            "sources": src,
        }
        return path_of("policy", id=o["id"]), rec
    raise UsageError(f"未知的记录类型 {kind}")


# option → (record kind, path of the property in that kind's schema) whose pattern it must match
ID_OPTIONS = {
    "county": ("county", ("id",)),
    "village": ("household", ("village",)),
    "campaign": ("campaign", ("id",)),
    "organization": ("organization", ("id",)),
    "plan": ("plan", ("id",)),
    "period": ("report", ("id",)),
    "source": ("source", ("id",)),
}


def id_pattern(schemas_dir: Path, kind: str, path: tuple[str, ...]) -> re.Pattern:
    """The ``pattern`` the schemas give the property at ``path`` of ``kind``."""
    node = node_at(bundled(schemas_dir)[kind], list(path))
    return re.compile(node["pattern"])


def check_ids(kind: str, opts: dict, schemas_dir: Path) -> None:
    """Every id option must match its schema pattern before any path is built from it."""
    wanted = {**ID_OPTIONS, "id": (kind, ("id",))}
    for name, (k, path) in wanted.items():
        value = opts.get(name)
        if value is None:
            continue
        if not id_pattern(schemas_dir, k, path).fullmatch(value):  # no trailing newline
            raise UsageError(
                usage(ARG_INVALID_ID, f"--{name} “{value}” 不是有效的编号。{ARG_INVALID_ID.hint}")
            )


def plan_county(data_root: Path, plan: str, county: str | None) -> str:
    """The county of a report: the folder the plan lives in (``plans/<county>/<plan>/``).
    ``--county`` may be left out; given, it must be that folder."""
    found = sorted(p.parent.parent.name for p in data_root.glob(f"plans/*/{plan}/plan.yaml"))
    if county:
        if found and county not in found:
            raise UsageError(f"方案 {plan} 在区县 {'、'.join(found)} 之下，不是 --county {county}")
        return county
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(
            f"数据文件夹中没有方案 {plan}（应在 plans/<区县>/{plan}/plan.yaml）；"
            "请检查 --plan 的编号，或先用 bangfu new plan 建立方案"
        )
    raise UsageError(f"方案 {plan} 出现在多个区县（{'、'.join(found)}）之下；请用 --county 指定")


def create(kind: str, opts: dict, data_root: Path, schemas_dir: Path, today: dt.date) -> Path:
    """Write the skeleton (the caller holds the data folder's write lock)."""
    check_ids(kind, opts, schemas_dir)
    if kind == "report" and opts.get("plan"):
        opts = {**opts, "county": plan_county(data_root, opts["plan"], opts.get("county"))}
    rel, rec = skeleton(kind, opts, today)
    root = data_root.resolve()
    path = root / rel
    if not (path.parent.resolve() / path.name).is_relative_to(root):
        raise UsageError(usage(ARG_OUTSIDE_DATA, f"{path} 不在数据文件夹 {data_root} 之内"))
    try:
        write_new(path, dump_text(rec, HEADER), root)
    except FileExistsError as exc:
        raise UsageError(f"{path} 已存在；bangfu new 不会覆盖已有记录") from exc
    return path
