"""What changed between data releases: the git tags of the data repository, and for each the
public-table rows added, changed and removed since the tag before it, and the correction notes
added to public records.

Each tag's data folder is taken out of the repository (``review.gitio``: plumbing only, the
working tree is never touched) and run through the same pipeline as the site, with today's
schemas and code, on one statistics day per release — the day of the newer tag — so a
release's counts reflect what the data changed, not the calendar. The rows are compared by
primary key (``changelog.diff_tables``). Dates come from the tags, never from the clock.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config, UsageError
from ..public import project

MAX_RELEASES = 8  # the newest releases shown; older tags are left out (each costs two builds)


@dataclass(frozen=True, slots=True)
class TableCounts:
    title: str
    added: int
    changed: int
    removed: int


@dataclass(frozen=True, slots=True)
class Release:
    tag: str
    commit: str
    date: str  # ISO 8601, from the tag
    previous: str | None  # the tag before it; None for the first release
    added: int
    changed: int
    removed: int
    corrected: int  # records of a public kind given a new correction note
    tables: dict[str, TableCounts] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Releases:
    releases: list[Release]  # newest first
    note: str | None = None  # why there is nothing to list (no repository, no tag)
    older: int = 0  # tags left out (older than the newest MAX_RELEASES)


def _day(iso: str) -> dt.date:
    try:
        return dt.datetime.fromisoformat(iso).date()
    except ValueError:
        return dt.date(1970, 1, 1)


def _corrections(model, schemas_dir: Path) -> dict[tuple[str, str], int]:
    """(kind, id) → correction notes of every record whose notes are public."""
    out = {}
    for rec in model.records:
        if not isinstance(rec.data, dict) or not rec.id or not rec.data.get("corrections"):
            continue
        notes = project(schemas_dir, rec.kind, rec.data).get("corrections")
        if isinstance(notes, list):
            out[(rec.kind, rec.id)] = len(notes)
    return out


def _state(git, commit: str, prefix: str, schemas_dir: Path, as_of: dt.date):
    """The public tables and public correction counts of the data at ``commit``."""
    from ..pipeline import Pipeline

    with tempfile.TemporaryDirectory(prefix="bangfu-release-") as tmp:
        root = Path(tmp)
        git.extract(commit, prefix, root)
        data = root / prefix if prefix else root
        data.mkdir(parents=True, exist_ok=True)
        pipe = Pipeline(Config(data.resolve(), schemas_dir, as_of))
        return pipe.aggregate(as_of).tables, _corrections(pipe.model, schemas_dir)


def _empty_state():
    return {}, {}


def read(data_root: Path, schemas_dir: Path, limit: int = MAX_RELEASES) -> Releases:
    """The releases of the repository holding ``data_root``, newest first."""
    from ..changelog import diff_tables
    from ..review.gitio import Git

    try:
        git = Git(data_root)
        tags = git.tags()
    except UsageError:
        return Releases([], "数据文件夹不在 Git 仓库中，无法列出各次数据发布之间的变化。")
    if not tags:
        return Releases(
            [],
            "数据仓库还没有发布标签（git tag），所以还没有可以比较的数据发布；"
            "维护者每次发布数据时打一个标签，这里就会列出与上一次发布相比的变化。",
        )
    try:
        prefix = Path(data_root).resolve().relative_to(git.top.resolve()).as_posix()
    except ValueError:
        return Releases([], "数据文件夹不在它的 Git 仓库的工作区中，无法按发布标签比较。")
    prefix = "" if prefix == "." else prefix
    shown = tags[-limit:]
    out = []
    for i, (tag, commit, date) in enumerate(tags):
        if (tag, commit, date) not in shown:
            continue
        as_of = _day(date)
        new_tables, new_notes = _state(git, commit, prefix, schemas_dir, as_of)
        prev = tags[i - 1] if i else None
        old_tables, old_notes = (
            _state(git, prev[1], prefix, schemas_dir, as_of) if prev else _empty_state()
        )
        diffs = diff_tables(old_tables, new_tables)
        counts = {
            name: TableCounts(d.table.title, len(d.added), len(d.changed), len(d.removed))
            for name, d in diffs.items()
        }
        corrected = sum(1 for k, n in new_notes.items() if n > old_notes.get(k, 0))
        out.append(
            Release(
                tag,
                commit,
                date,
                prev[0] if prev else None,
                sum(c.added for c in counts.values()),
                sum(c.changed for c in counts.values()),
                sum(c.removed for c in counts.values()),
                corrected,
                counts,
            )
        )
    return Releases(list(reversed(out)), None, len(tags) - len(shown))
