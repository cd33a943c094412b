"""``bangfu changelog REF_A REF_B``: what changed in the public tables between two commits.

Each ref's data folder (and schemas, when the commit has them) is taken out with
``git archive`` into a temporary folder, the public tables are built for both, and the rows
are compared by primary key. The result is Markdown for release notes.
"""

from __future__ import annotations

import datetime as dt
import io
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .aggregate import Table
from .config import Config, UsageError
from .pipeline import Pipeline
from .review.gitio import Git

GIT_TIMEOUT = 120


@dataclass(slots=True)
class TableDiff:
    table: Table  # the newer table (titles, columns)
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[tuple[tuple, list[tuple[str, object, object]]]] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.columns_added or self.columns_removed
        )


# ---------------------------------------------------------------- git


def checkout(git: Git, commit: str, rels: list[str], dest: Path) -> None:
    """Extract ``rels`` (folders) of ``commit`` into ``dest`` with ``git archive``."""
    try:
        raw = git.archive(commit, tuple(rels))
    except UsageError as exc:
        raise UsageError(f"无法取出提交 {commit[:12]} 的数据：{exc}") from None
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        tar.extractall(dest, filter="data")


def tables_at(
    git: Git, commit: str, data_rel: str, schemas_rel: str, fallback_schemas: Path, as_of: dt.date
) -> dict[str, Table]:
    with tempfile.TemporaryDirectory(prefix="bangfu-changelog-") as tmp:
        root = Path(tmp)
        rels = [r for r in (data_rel, schemas_rel) if r and git.exists(commit, r)]
        if rels:
            checkout(git, commit, rels, root)
        data = root / data_rel
        data.mkdir(parents=True, exist_ok=True)
        schemas = root / schemas_rel
        if not (schemas / "common.schema.json").is_file():
            schemas = fallback_schemas
        cfg = Config(data.resolve(), schemas.resolve(), as_of)
        return Pipeline(cfg).aggregate(as_of).tables


# ---------------------------------------------------------------- comparing


def _key(table: Table, row: dict) -> tuple:
    return tuple(row.get(k) for k in table.primary_key)


def diff_tables(old: dict[str, Table], new: dict[str, Table]) -> dict[str, TableDiff]:
    out = {}
    for name in list(new) + [n for n in old if n not in new]:
        a, b = old.get(name), new.get(name)
        d = TableDiff(b if b is not None else old[name])
        a_rows = {_key(a, r): r for r in a.rows} if a else {}
        b_rows = {_key(b, r): r for r in b.rows} if b else {}
        a_cols = [c.name for c in a.columns] if a else []
        b_cols = [c.name for c in b.columns] if b else []
        if a and b:
            d.columns_added = [c for c in b_cols if c not in a_cols]
            d.columns_removed = [c for c in a_cols if c not in b_cols]
        common = [c for c in b_cols if c in a_cols]
        d.added = [b_rows[k] for k in b_rows if k not in a_rows]
        d.removed = [a_rows[k] for k in a_rows if k not in b_rows]
        for k, row in b_rows.items():
            if k in a_rows:
                cells = [
                    (c, a_rows[k].get(c), row.get(c))
                    for c in common
                    if a_rows[k].get(c) != row.get(c)
                ]
                if cells:
                    d.changed.append((k, cells))
        out[name] = d
    return out


# ---------------------------------------------------------------- Markdown

_MD_SPECIAL = set("\\`*_[]<>|~#")


def md(value) -> str:
    """Record text made inert in Markdown: special characters escaped, one line."""
    text = " ".join(str(value).split())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def _show(table: Table, column: str, value) -> str:
    if value is None:
        try:
            suppressed = table.column(column).suppressed
        except KeyError:
            suppressed = False
        return md(table.marker) if suppressed else "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    return md(value)


def _label(table: Table, key: tuple) -> str:
    return " / ".join(md(k) for k in key)


def _title(table: Table, column: str) -> str:
    try:
        return f"{md(table.column(column).title)}（{column}）"
    except KeyError:
        return column


def render(diffs: dict[str, TableDiff], label_a: str, label_b: str, limit: int = 100) -> str:
    lines = [f"# 公开数据变更：{md(label_a)} → {md(label_b)}", ""]
    changed = [d for d in diffs.values() if not d.empty]
    if not changed:
        lines += ["公开数据表没有变化。", ""]
        return "\n".join(lines)
    lines += ["| 表 | 新增 | 删除 | 修改 |", "| --- | ---: | ---: | ---: |"]
    for name, d in diffs.items():
        if not d.empty:
            lines.append(
                f"| {md(d.table.title)}（{name}） | {len(d.added)} | {len(d.removed)} | {len(d.changed)} |"
            )
    lines.append("")
    for name, d in diffs.items():
        if d.empty:
            continue
        t = d.table
        lines += [f"## {md(t.title)}（{name}）", ""]
        if d.columns_added or d.columns_removed:
            if d.columns_added:
                lines.append("- 新增列：" + "、".join(_title(t, c) for c in d.columns_added))
            if d.columns_removed:
                lines.append("- 删除列：" + "、".join(md(c) for c in d.columns_removed))
            lines.append("")
        for heading, rows in (("新增", d.added), ("删除", d.removed)):
            if not rows:
                continue
            lines += [f"### {heading} {len(rows)} 行", ""]
            shown = rows if limit <= 0 else rows[:limit]
            for row in shown:
                rest = [
                    f"{md(c.title)}：{_show(t, c.name, row.get(c.name))}"
                    for c in t.columns
                    if c.name not in t.primary_key and c.name in row and row.get(c.name) is not None
                ][:4]
                lines.append(
                    f"- {_label(t, _key(t, row))}" + (f"（{'；'.join(rest)}）" if rest else "")
                )
            if len(shown) < len(rows):
                lines.append(f"- ……另有 {len(rows) - len(shown)} 行未列出")
            lines.append("")
        if d.changed:
            lines += [f"### 修改 {len(d.changed)} 行", ""]
            edited = d.changed if limit <= 0 else d.changed[:limit]
            for key, cells in edited:
                parts = [
                    f"{_title(t, c)}：{_show(t, c, a)} → {_show(t, c, b)}" for c, a, b in cells
                ]
                lines.append(f"- {_label(t, key)}：" + "；".join(parts))
            if len(edited) < len(d.changed):
                lines.append(f"- ……另有 {len(d.changed) - len(edited)} 行未列出")
            lines.append("")
    return "\n".join(lines)


def changelog(cfg: Config, ref_a: str, ref_b: str, limit: int = 100) -> str:
    git = Git(cfg.data_root, timeout=GIT_TIMEOUT)
    repo = git.top
    try:
        data_rel = cfg.data_root.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError as exc:
        raise UsageError(f"数据文件夹 {cfg.data_root} 不在仓库 {repo} 内") from exc
    try:
        schemas_rel = cfg.schemas_dir.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        schemas_rel = ""
    a, b = git.resolve(ref_a), git.resolve(ref_b)
    old = tables_at(git, a, data_rel, schemas_rel, cfg.schemas_dir, cfg.as_of)
    new = tables_at(git, b, data_rel, schemas_rel, cfg.schemas_dir, cfg.as_of)
    return render(diff_tables(old, new), f"{ref_a}（{a[:12]}）", f"{ref_b}（{b[:12]}）", limit)
