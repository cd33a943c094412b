"""``bangfu new``: a valid skeleton for every record kind, written at the path its id implies."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from pathlib import Path

from .codes import REGISTRY
from .config import UsageError
from .schema import bundled, node_at
from .yamlio import dump_text, write_new

HEADER = "# 由 bangfu new 生成的骨架：按数据字典补全各字段，再运行 bangfu check。\n"


def new_id(prefix: str, *parts: str) -> str:
    """A stable, opaque id derived from what identifies the record (no personal data)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:10]
    return f"{prefix}-{digest}"


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
        return Path("sources", f"{o['id']}.yaml"), {
            "id": o["id"],
            "title": o["name"],
            "issuer": "（发文机关）",
        }
    if kind == "county":
        need("id", "name", "province")
        rec = {
            "id": o["id"],
            "name": o["name"],
            "province": o["province"],
            "townships": [],
            "sources": src,
        }
        return Path("counties", f"{o['id']}.yaml"), rec
    if kind == "organization":
        need("id", "name", "county")
        rec = {
            "id": o["id"],
            "name": o["name"],
            "kind": "社会团体",
            "category": "其它",
            "county": o["county"],
            "sources": src,
        }
        return Path("organizations", f"{o['id']}.yaml"), rec
    if kind == "household":
        need("county", "village")
        hid = o.get("id") or "h-" + secrets.token_hex(5)
        rec = {
            "id": hid,
            "village": o["village"],
            "category": "边缘易致贫户",
            "risk_causes": [],
            "household_size": 1,
            "income": {"year": today.year - 1, "per_capita": 0},
            "status": "风险未消除",
            "identification": {"steps": []},
        }
        return Path("households", o["county"], o["village"], f"{hid}.yaml"), rec
    if kind == "campaign":
        need("id", "name")
        rec = {
            "id": o["id"],
            "name": o["name"],
            "authority": "（组织机关）",
            "period": {"start": today.isoformat(), "end": dt.date(today.year, 12, 31).isoformat()},
            "reporting": {"cadence": "每月", "day_of_month": 25},
            "sources": src,
        }
        return Path("campaigns", f"{o['id']}.yaml"), rec
    if kind == "plan":
        need("id", "county", "campaign", "organization")
        rec = {
            "id": o["id"],
            "name": o.get("name", "（方案名称）"),
            "county": o["county"],
            "campaign": o["campaign"],
            "form": "一对一",
            "organizations": [o["organization"]],
            "targets": {"households": [], "villages": []},
            "period": {"start": today.isoformat(), "end": dt.date(today.year, 12, 31).isoformat()},
            "measures": [],
            "status": "草拟",
        }
        return Path("plans", o["county"], o["id"], "plan.yaml"), rec
    if kind == "report":
        need("county", "plan", "period")
        from .rules.dates import label_period

        covered = label_period(o["period"])
        if covered is None:
            raise UsageError("--period 应为 2020-04（月）、2020-W18（周）或 2020-Q2（季）")
        rec = {
            "id": o["period"],
            "plan": o["plan"],
            "period": {"start": covered[0].isoformat(), "end": covered[1].isoformat()},
            "submitted": min(today, covered[1]).isoformat()
            if today >= covered[0]
            else covered[0].isoformat(),
            "entries": [],
        }
        return Path("plans", o["county"], o["plan"], "reports", f"{o['period']}.yaml"), rec
    if kind == "policy":
        need("id")
        rec = {
            "id": o["id"],
            "name": o.get("name", "（参数名称）"),
            "scope": {},
            "year": today.year,
            "monitoring_line": {"basis": "固定金额", "amount": 0},
            "notice_min_days": 5,
            "revisit_days": {"风险未消除": 31, "风险已消除": 183, "稳定脱贫": 365},
            "small_cell_threshold": 5,
            "sources": src,
        }
        return Path("policy", f"{o['id']}.yaml"), rec
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
                f"[arg.invalid-id] --{name} “{value}” 不是有效的编号。{REGISTRY['arg.invalid-id'].hint}"
            )


def create(kind: str, opts: dict, data_root: Path, schemas_dir: Path, today: dt.date) -> Path:
    """Write the skeleton (the caller holds the data folder's write lock)."""
    check_ids(kind, opts, schemas_dir)
    rel, rec = skeleton(kind, opts, today)
    root = data_root.resolve()
    path = root / rel
    if not (path.parent.resolve() / path.name).is_relative_to(root):
        raise UsageError(f"[arg.outside-data] {path} 不在数据文件夹 {data_root} 之内")
    try:
        write_new(path, dump_text(rec, HEADER), root)
    except FileExistsError as exc:
        raise UsageError(f"{path} 已存在；bangfu new 不会覆盖已有记录") from exc
    return path
