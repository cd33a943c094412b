"""History guard: submitted history is append-only.

Records are compared by identity (``ledger.identity``), not by file: each base record among
the changed paths is paired with the head record of the same identity wherever its file went,
and a record whose identity is gone from head's ledger was deleted — whether its file was
removed, moved out of ``data/``, given a hidden or out-of-layout name, or renamed to another
id. Blocking (severity error) unless the head record adds a correction note — an item of
``corrections`` whose ``path`` encloses what changed and whose ``original`` preserves the old
value there:
- a progress report deleted, or its id / plan / period / submission date rewritten;
- a household with identification steps, exit steps or correction notes deleted (it leaves
  through 退出);
- a report entry removed or changed;
- a household's identification step or exit step (``exit_steps``) removed or changed;
- an existing correction note removed or changed (never allowed).
Deleting a record that a record at head still references is blocking as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..codes import (
    HISTORY_CORRECTION_REMOVED,
    HISTORY_ENTRY_CHANGED,
    HISTORY_ENTRY_REMOVED,
    HISTORY_EXIT_STEPS_REWRITTEN,
    HISTORY_HOUSEHOLD_DELETED,
    HISTORY_IDENTIFICATION_REWRITTEN,
    HISTORY_REPORT_DELETED,
    HISTORY_REPORT_REWRITTEN,
    Code,
    make,
)
from ..findings import Finding, json_path
from ..readone import parse_bytes
from ..record import Record
from . import ledger
from .diff import MISSING, Diff, FieldChange, SchemaView, canon, diff, get
from .gitio import Change, Git

REPORT_FIXED = ("id", "plan", "period", "submitted")
_PATH_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


@dataclass(slots=True)
class Pair:
    """One changed record: the base and head sides (either may be absent) and their diff."""

    status: str  # added / modified / removed / renamed
    kind: str | None
    old: Record | None
    new: Record | None
    diff: Diff | None = None

    @property
    def old_data(self):
        return self.old.data if self.old is not None else None

    @property
    def new_data(self):
        return self.new.data if self.new is not None else None

    @property
    def record(self) -> Record:
        """The head side, or the base side of a removed record (a pair has at least one)."""
        rec = self.new if self.new is not None else self.old
        if rec is None:
            raise ValueError("a pair without either side")
        return rec


def parse_path(text) -> tuple | None:
    """``$.entries[2].amount`` → ``('entries', 2, 'amount')``; None when malformed."""
    if not isinstance(text, str) or not text.startswith("$"):
        return None
    parts, pos = [], 1
    while pos < len(text):
        m = _PATH_TOKEN.match(text, pos)
        if not m:
            return None
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    return tuple(parts)


def _new_corrections(pair: Pair) -> list[tuple[tuple, object]]:
    """Correction notes the head record adds: (path parts, original)."""
    old = pair.old_data.get("corrections") if isinstance(pair.old_data, dict) else None
    before = (
        {canon(c) for c in old or [] if isinstance(c, dict)} if isinstance(old, list) else set()
    )
    new = pair.new_data.get("corrections") if isinstance(pair.new_data, dict) else None
    out = []
    for c in new if isinstance(new, list) else []:
        if not isinstance(c, dict) or canon(c) in before or "original" not in c:
            continue
        if not (c.get("by") and c.get("reason") and c.get("date")):
            continue
        parts = parse_path(c.get("path"))
        if parts is not None:
            out.append((parts, c["original"]))
    return out


def _covered(pair: Pair, notes, where: tuple) -> bool:
    for parts, original in notes:
        if where[: len(parts)] != parts:
            continue
        before = get(pair.old_data, parts)
        if canon(None if before is MISSING else before) == canon(original):
            return True
    return False


def _old_items(pair: Pair, list_parts: tuple, changes: Iterable[FieldChange]) -> dict[int, list]:
    """Old list items under ``list_parts`` touched by the changes, with the changed paths."""
    old_list = get(pair.old_data, list_parts)
    n = len(old_list) if isinstance(old_list, list) else 0
    touched: dict[int, list] = {}
    k = len(list_parts)
    for ch in changes:
        p = ch.old_parts
        if p is None:
            continue  # an item inserted: appending history is fine
        if len(p) > k and p[:k] == list_parts and isinstance(p[k], int):
            touched.setdefault(p[k], []).append((p, ch))
        elif list_parts[: len(p)] == p:  # the list itself (or its parent) replaced or dropped
            for i in range(n):
                touched.setdefault(i, []).append((list_parts + (i,), ch))
    return touched


def _at(pair: Pair, code: Code, parts: tuple, message: str) -> Finding:
    rec = pair.record
    line, col = rec.at(parts) if pair.new is not None and rec.parsed.positions else (0, 0)
    return make(code, rec.file, message, line=line, column=col, path=json_path(parts))


def _guard_list(
    pair: Pair,
    changes: list[FieldChange],
    notes,
    list_parts: tuple,
    removed_code: Code,
    changed_code: Code,
    what: str,
) -> Iterator[Finding]:
    for i, hits in sorted(_old_items(pair, list_parts, changes).items()):
        item = list_parts + (i,)
        if all(_covered(pair, notes, p) for p, _ in hits):
            continue
        gone = not isinstance(get(pair.new_data, list_parts), list) or any(
            p == item and ch.op == "removed" and ch.old_parts == item for p, ch in hits
        )
        if gone:
            yield _at(
                pair,
                removed_code,
                item,
                f"删除了已提交的{what}（{json_path(item)}），但没有添加保留原内容的更正说明",
            )
        else:
            fields = sorted({json_path(p) for p, _ in hits})
            yield _at(
                pair,
                changed_code,
                item,
                f"改动了已提交的{what}（{'、'.join(fields)}），但没有添加保留原值的更正说明",
            )


def _has_history(data) -> bool:
    if not isinstance(data, dict):
        return False
    ident = data.get("identification")
    steps = ident.get("steps") if isinstance(ident, dict) else None
    return bool(steps) or bool(data.get("exit_steps")) or bool(data.get("corrections"))


def guard_pair(pair: Pair) -> Iterator[Finding]:
    if pair.kind == "report" and pair.status == "removed" and pair.old is not None:
        yield make(
            HISTORY_REPORT_DELETED,
            pair.old.file,
            f"删除了已提交的进度报告 {pair.old.id or pair.old.file}",
        )
        return
    if (
        pair.kind == "household"
        and pair.status == "removed"
        and pair.old is not None
        and _has_history(pair.old.data)
    ):
        yield make(
            HISTORY_HOUSEHOLD_DELETED,
            pair.old.file,
            f"删除了户 {pair.old.id or pair.old.file}，它已有认定程序或更正记录",
        )
        return
    if pair.old is None or pair.new is None or pair.diff is None:
        return
    if not isinstance(pair.old_data, dict) or not isinstance(pair.new_data, dict):
        return
    notes = _new_corrections(pair)
    changes = pair.diff.changes
    old_notes = pair.old_data.get("corrections")
    new_notes = pair.new_data.get("corrections")
    kept = [canon(c) for c in new_notes] if isinstance(new_notes, list) else []
    for i, c in enumerate(old_notes if isinstance(old_notes, list) else []):
        if canon(c) in kept:
            kept.remove(canon(c))
        else:
            yield _at(
                pair,
                HISTORY_CORRECTION_REMOVED,
                ("corrections",),
                f"删除或改动了已有的更正记录（原 $.corrections[{i}]）",
            )
    if pair.kind == "report":
        for key in REPORT_FIXED:
            hit = [p for ch in changes if (p := ch.old_parts) and p[:1] == (key,)]
            if (
                hit
                and get(pair.old_data, (key,)) is not MISSING
                and not all(_covered(pair, notes, p) for p in hit)
            ):
                yield _at(
                    pair,
                    HISTORY_REPORT_REWRITTEN,
                    (key,),
                    f"改写了已提交报告的 {json_path((key,))}，但没有添加保留原值的更正说明",
                )
        yield from _guard_list(
            pair,
            changes,
            notes,
            ("entries",),
            HISTORY_ENTRY_REMOVED,
            HISTORY_ENTRY_CHANGED,
            "帮扶条目",
        )
    elif pair.kind == "household":
        yield from _guard_list(
            pair,
            changes,
            notes,
            ("identification", "steps"),
            HISTORY_IDENTIFICATION_REWRITTEN,
            HISTORY_IDENTIFICATION_REWRITTEN,
            "认定程序步骤",
        )
        yield from _guard_list(
            pair,
            changes,
            notes,
            ("exit_steps",),
            HISTORY_EXIT_STEPS_REWRITTEN,
            HISTORY_EXIT_STEPS_REWRITTEN,
            "退出程序步骤",
        )


def guard(pairs: Iterable[Pair]) -> list[Finding]:
    return [f for p in pairs for f in guard_pair(p)]


# --- pairing base and head records by identity ------------------------------------------------


@dataclass(slots=True)
class Verdict:
    findings: list[Finding] = field(default_factory=list)
    deleted: list[Record] = field(default_factory=list)  # base records gone from head's ledger


def record_at(path: str, raw: bytes | None) -> Record:
    """The record a file at ``path`` holds (no data when ``raw`` is None)."""
    rel = tuple(path.split("/")[1:])
    ident = ledger.identity(path)
    rec = Record(kind=ident[0] if ident else None, file=path, rel=rel)
    return parse_bytes(rec, raw) if raw is not None and rec.kind else rec


def views(schemas: dict[str, dict]) -> dict[str, SchemaView]:
    """One ``SchemaView`` per kind for a whole review (each caches its schema lookups)."""
    return {kind: SchemaView(schema) for kind, schema in schemas.items()}


def pair(status: str, old: Record | None, new: Record | None, views: dict[str, SchemaView]) -> Pair:
    """The pair of two sides of a record, with the field diff when both sides are there
    (an empty diff when either side is no mapping)."""
    side = new if new is not None else old
    kind = side.kind if side is not None else None
    out = Pair(status, kind, old, new)
    if kind and old is not None and new is not None:
        view = views.get(kind) or SchemaView({})
        if isinstance(old.data, dict) and isinstance(new.data, dict):
            out.diff = diff(view, old.data, new.data)
        else:
            out.diff = Diff()
    return out


def review(
    git: Git,
    base: str,
    head: str,
    changes: list[Change],
    head_files: list[str],
    views: dict[str, SchemaView],
    ready: Iterable[Pair] = (),
) -> Verdict:
    """The history guard's findings for the changes from ``base`` to ``head``
    (``head_files``: head's regular files under ``data/``; ``ready``: the pairs already
    built for the changed paths, whose records and diffs are reused)."""
    pairs = _match(git, base, head, changes, head_files, views, list(ready))
    return Verdict(guard(pairs), [p.old for p in pairs if p.status == "removed" and p.old])


def _match(
    git: Git,
    base: str,
    head: str,
    changes: list[Change],
    head_files: list[str],
    views: dict[str, SchemaView],
    ready: list[Pair],
) -> list[Pair]:
    """Every base record among the changed paths, paired with the head record of the same
    identity wherever its file went; ``status`` is "removed" when head has no such record."""
    idents = {p: i for p in sorted({c.old for c in changes if c.old}) if (i := ledger.identity(p))}
    if not idents:
        return []
    base_entries = git.entries(base, list(idents))
    olds = [p for p in idents if ledger.is_record(base_entries.get(p))]
    in_head = set(head_files)  # head's regular files: a record that stayed is among them
    lost = [idents[p] for p in olds if p not in in_head]
    where = ledger.locate(head_files, lost) if lost else {}
    moved_to = {c.old: c.new for c in changes if c.old and c.new}
    target: dict[str, str | None] = {}
    for p in olds:
        if p in in_head:
            target[p] = p
            continue
        found = where.get(idents[p], [])
        target[p] = moved_to[p] if moved_to.get(p) in found else (found[0] if found else None)
    built: dict[tuple[str, str | None], Pair] = {
        (r.old.file, r.new.file): r
        for r in ready
        if r.old is not None and r.new is not None and r.diff is not None
    }
    # records already parsed for the changed paths, by (side, path)
    parsed = {("old", r.old.file): r.old for r in ready if r.old is not None}
    parsed.update({("new", r.new.file): r.new for r in ready if r.new is not None})
    todo = [p for p in olds if (p, target[p]) not in built]
    old_raw = git.read(base, [p for p in todo if ("old", p) not in parsed])
    new_paths = sorted({t for p in todo if (t := target[p]) and ("new", t) not in parsed})
    new_raw = git.read(head, new_paths)
    pairs = []
    for p in olds:
        t = target[p]
        if (p, t) in built:
            pairs.append(built[(p, t)])
            continue
        old = parsed.get(("old", p)) or record_at(p, old_raw.get(p))
        new = (parsed.get(("new", t)) or record_at(t, new_raw.get(t))) if t else None
        status = "removed" if t is None else "modified" if t == p else "renamed"
        pairs.append(pair(status, old, new, views))
    return pairs
