"""What a policy change does to the ledger: a few counts before and after.

The pull request's records are checked twice, once under the policy in force (the base
commit's ``data/policy/`` and changed campaigns) and once under the policy it proposes, and
the existing figures are compared: the checker's findings by code, overdue revisits and
reporting periods (``monitor``), and the cells small-cell suppression hides (``aggregate``).
Only counts are shown, never a household's values. Nothing here re-implements a rule.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from ..aggregate import WITHHELD
from ..codes import REGISTRY
from ..config import Config
from ..pipeline import Pipeline
from .gitio import Git, write_files


def figures(cfg: Config) -> Counter:
    """The counts a policy can move, for one data folder (title → count)."""
    pipe = Pipeline(cfg)
    out: Counter = Counter()
    for f in pipe.result.findings:
        out[f"{REGISTRY[f.code].title}（{f.code}）" if f.code in REGISTRY else f.code] += 1
    agg = pipe.aggregate(cfg.as_of)
    st = agg.status
    out["监测户"] = len(st.revisits)
    out["逾期回访户"] = len(st.overdue)
    for p in st.periods:
        if p.state in ("逾期", "未报"):
            out[f"报送期（{p.state}）"] += 1
    hidden = 0
    for table in agg.tables.values():
        cols = [c.name for c in table.columns if c.suppressed]
        hidden += sum(1 for row in table.rows for c in cols if row.get(c) is WITHHELD)
    out["被隐藏的小格子"] = hidden
    return out


def policy_effect(
    git: Git,
    head: str,
    in_force: dict[str, bytes | None],
    schemas: Path,
    as_of: dt.date,
    workdir: Path,
) -> list[str]:
    """Lines like "逾期回访户 12 → 0" for every count that differs between the head's records
    under the policy in force (``in_force`` overlaid on head) and under head's own policy."""
    git.extract(head, "data", workdir)
    cfg = Config((workdir / "data").resolve(), schemas.resolve(), as_of)
    try:
        after = figures(cfg)
        write_files(workdir, in_force)  # the same records under the policy in force
        before = figures(cfg)
    except Exception as exc:  # noqa: BLE001 — the figures assume readable records; say so
        return [f"影响无法计算（{type(exc).__name__}）：请维护者在本地运行 bangfu status 对比"]
    keys = sorted(set(before) | set(after), key=lambda k: (k not in _FIRST, _FIRST.get(k, 0), k))
    lines = [f"{k} {before[k]:,} → {after[k]:,}" for k in keys if before[k] != after[k]]
    return lines or ["对现有记录的检查结果、回访、报送和公开统计没有影响"]


_FIRST = {
    "逾期回访户": 0,
    "监测户": 1,
    "报送期（未报）": 2,
    "报送期（逾期）": 3,
    "被隐藏的小格子": 4,
}
