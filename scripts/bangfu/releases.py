"""What changed between data releases: the git tags of the data repository, and for each the
public-table rows added, changed and removed since the tag before it, and the correction notes
added to public records.

Each tag's data folder is taken out of the repository (``review.gitio``: plumbing only, the
working tree is never touched) and run through the same pipeline as the site, with today's
schemas and code, on one statistics day per release — the day of the newer tag — so a
release's counts reflect what the data changed, not the calendar. The rows are compared by
primary key (``changelog.diff_tables``). Dates come from the tags, never from the clock.

Like ``bangfu changelog`` this runs the pipeline on other commits, so it lives outside
``publish``: ``bangfu site`` reads the releases and hands them to the site's pages
(``publish.pages_changes``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config, UsageError, beijing_time
from .public import NEVER_PUBLIC_KINDS, project

MAX_RELEASES = 8  # the newest releases shown; older tags are left out (each costs a build)


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


def release_day(iso: str) -> dt.date:
    """The statistics day of a release: the day it was tagged, in Beijing (as the site's)."""
    try:
        return beijing_time(iso).date()
    except ValueError:
        return dt.date(1970, 1, 1)


def _corrections(model, schemas_dir: Path) -> dict[tuple[str, ...], int]:
    """Path in the data folder → correction notes, of every record whose notes are public
    (a report's id is its period, so the path is the key)."""
    out = {}
    for rec in model.records:
        if not isinstance(rec.data, dict) or not rec.data.get("corrections"):
            continue
        if not rec.kind or rec.kind in NEVER_PUBLIC_KINDS:  # household notes: never counted
            continue
        notes = project(schemas_dir, rec.kind, rec.data).get("corrections")
        if isinstance(notes, list):
            out[rec.rel] = len(notes)
    return out


class _Loaded:
    """The data at one tag, read once: its tables on any statistics day, its public notes."""

    def __init__(self, git, commit: str, prefix: str, schemas_dir: Path, as_of: dt.date):
        from .pipeline import Pipeline

        self._tmp = tempfile.TemporaryDirectory(prefix="bangfu-release-")
        root = Path(self._tmp.name)
        git.extract(commit, prefix, root)
        data = root / prefix if prefix else root
        data.mkdir(parents=True, exist_ok=True)
        self.pipe = Pipeline(Config(data.resolve(), schemas_dir, as_of))
        self.notes = _corrections(self.pipe.model, schemas_dir)

    def tables(self, as_of: dt.date) -> dict:
        return self.pipe.aggregate(as_of).tables

    def close(self) -> None:
        del self.pipe  # the model of this release is not needed any more
        self._tmp.cleanup()


def read(data_root: Path, schemas_dir: Path, limit: int = MAX_RELEASES) -> Releases:
    """The releases of the repository holding ``data_root``, newest first."""
    from .changelog import diff_tables
    from .review.gitio import Git

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
    first = max(0, len(tags) - limit)
    out = []
    # each tag is read once: as the newer side of its release, then as the older side of the
    # next (at most two tags' data held at a time)
    prev = None
    if first:
        prev = _Loaded(
            git, tags[first - 1][1], prefix, schemas_dir, release_day(tags[first - 1][2])
        )
    try:
        for i in range(first, len(tags)):
            tag, commit, date = tags[i]
            as_of = release_day(date)
            cur = _Loaded(git, commit, prefix, schemas_dir, as_of)
            diffs = diff_tables(prev.tables(as_of) if prev else {}, cur.tables(as_of))
            counts = {
                name: TableCounts(d.table.title, len(d.added), len(d.changed), len(d.removed))
                for name, d in diffs.items()
            }
            old_notes = prev.notes if prev else {}
            corrected = sum(1 for k, n in cur.notes.items() if n > old_notes.get(k, 0))
            out.append(
                Release(
                    tag,
                    commit,
                    date,
                    tags[i - 1][0] if i else None,
                    sum(c.added for c in counts.values()),
                    sum(c.changed for c in counts.values()),
                    sum(c.removed for c in counts.values()),
                    corrected,
                    counts,
                )
            )
            if prev:
                prev.close()
            prev = cur
    finally:
        if prev:
            prev.close()
    return Releases(list(reversed(out)), None, first)
