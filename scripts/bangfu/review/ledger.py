"""Which files of a commit are ledger records, and which record each one is.

A record's identity is what the ledger knows it by, wherever its file sits: ``(kind, id)``,
and for a progress report ``("report", plan id, period)``. Ids are read from the path (the
checker holds every record's id equal to its path), so nothing has to be parsed to know which
records a commit holds. A file is a record only at a path of the layout (``record.classify``)
under ``data/``, with no hidden part, a ``.yaml`` name and a regular-file mode: a record moved
anywhere else has left the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..codes import (
    FILE_HIDDEN,
    FILE_NOT_YAML,
    FILE_SPECIAL,
    FILE_SYMLINK,
    FILE_TOO_LARGE,
    FILE_UNKNOWN_KIND,
    make,
)
from ..findings import Finding
from ..record import classify, expected_stem
from ..yamlsafe import MAX_BYTES
from .gitio import Change, Entry, Git

ROOT = "data/"


def identity(path: str) -> tuple[str, ...] | None:
    """The identity of the record a file at ``path`` holds, or None when it holds none."""
    if not path.startswith(ROOT) or not path.endswith(".yaml"):
        return None
    rel = tuple(path[len(ROOT) :].split("/"))
    if any(not part or part.startswith(".") for part in rel):
        return None
    kind = classify(rel)
    if kind is None:
        return None
    if kind == "report":
        return (kind, rel[2], expected_stem(rel, kind))
    return (kind, expected_stem(rel, kind))


def is_record(entry: Entry | None) -> bool:
    return entry is not None and entry.regular and identity(entry.path) is not None


def locate(files: list[str], wanted: Iterable[tuple[str, ...]]) -> dict[tuple, list[str]]:
    """Where each wanted identity sits among ``files`` (a commit's regular files under
    ``data/``; sorted paths, absent identities left out).

    A record keeps its file name wherever it moves (the name carries its id, or is
    ``plan.yaml``), so only paths ending in one of those names need a closer look."""
    wanted = set(wanted)
    ends = tuple(sorted({"/" + ("plan" if w[0] == "plan" else w[-1]) + ".yaml" for w in wanted}))
    out: dict[tuple, list[str]] = {}
    for path in files:
        if path.endswith(ends):
            ident = identity(path)
            if ident in wanted:
                out.setdefault(ident, []).append(path)
    for paths in out.values():
        paths.sort()
    return out


def visible(files: list[str]) -> list[str]:
    """The files with no hidden part in their path (the only ones that can be records)."""
    return [p for p in files if "/." not in p and not p.startswith(".")]


def problem(entry: Entry) -> Finding | None:
    """Why a file under ``data/`` at head is not a record the checker can read, or None."""
    path = entry.path
    name = path.rsplit("/", 1)[-1]
    if entry.symlink:
        return make(FILE_SYMLINK, path, "这是一个符号链接：台账只收普通文件，链接不会被跟随")
    if not entry.regular:
        return make(FILE_SPECIAL, path, "这不是普通文件（例如 Git 子模块），不能放在 data/ 下")
    if any(part.startswith(".") for part in path[len(ROOT) :].split("/")):
        return make(
            FILE_HIDDEN, path, "文件名或文件夹名以“.”开头：隐藏文件不算台账记录", line=1, column=1
        )
    if not path.endswith(".yaml"):
        return make(FILE_NOT_YAML, path, f"“{name}”不是 .yaml 记录文件")
    if identity(path) is None:
        return make(FILE_UNKNOWN_KIND, path, "文件所在位置不对应任何记录类型", line=1, column=1)
    if entry.size is not None and entry.size > MAX_BYTES:
        return make(
            FILE_TOO_LARGE,
            path,
            f"文件有 {entry.size / 1048576:.1f} MB，超过上限 {MAX_BYTES // 1048576} MB",
            line=1,
            column=1,
        )
    return None


def added_files(git: Git, head: str, changes: list[Change]) -> tuple[list[str], list[Finding]]:
    """The files under ``data/`` that a change adds or rewrites at head, split into records to
    check and findings for the rest (hidden, outside the layout, symlinks, too large, …)."""
    paths = sorted({c.new for c in changes if c.new and (c.new + "/").startswith(ROOT)})
    entries = git.entries(head, paths)
    records, findings = [], []
    for path in paths:
        entry = entries.get(path)
        if entry is None:
            continue
        found = problem(entry)
        if found is None:
            records.append(path)
        else:
            findings.append(found)
    return records, findings
