"""Personal data typed where it is published: public free text, ids and file names.

A cross-record rule: the person names come from the private fields of every record of the
same county (household heads and members, organization leaders, township contacts), so a name
is found in a report of that county whichever file it was typed in. Findings name the field
and the kind of data (身份证号、手机号、银行卡号、姓名), never the value.

What counts as the county of a record: a county is its own; an organization, plan or policy
has a ``county`` (a plan or report also sits in its county's folder); a campaign lists its
counties; a source has none (numbers are still checked there). Public names that may contain
a person's name innocently are the county's own, township and village names and the names of
the county's organizations (an organization's own name is checked against place names only).
A check of a few files (pre-commit, ``bangfu check PATH…``) reads only a few households; the
names of the others come as keyed digests from the store the last full check wrote
(``privacy.known``, on ``Model.unread_names``), and are matched with ``pii.NameDigests``, so
it finds what the full check finds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path

from ..codes import PRIVACY_PERSONAL_DATA_IN_ID, PRIVACY_PERSONAL_DATA_IN_PUBLIC_FIELD
from ..findings import Finding
from ..model import Model
from ..record import Record
from ..rules.base import at
from ..schema import PACKAGE_SCHEMAS, bundled, title_at
from .fields import free_text_paths, name_paths, parts_of, strings_at
from .pii import (
    KINDS,
    NAME,
    NameDigests,
    NameIndex,
    has_digits,
    id_kinds,
    mask_pattern,
    number_kinds,
)

IN_FIELD = PRIVACY_PERSONAL_DATA_IN_PUBLIC_FIELD
IN_ID = PRIVACY_PERSONAL_DATA_IN_ID
_FIXED_PARTS = frozenset({"plan.yaml", "reports"})
_Names = NameIndex | NameDigests


def _kinds(found: AbstractSet[str]) -> str:
    return "、".join(k for k in KINDS if k in found)


class _County:
    __slots__ = ("names", "places", "organizations")

    def __init__(self):
        self.names: set[str] = set()
        self.places: set[str] = set()
        self.organizations: set[str] = set()


def _str(v) -> str | None:
    return v if isinstance(v, str) else None


def counties_of(model: Model, rec) -> tuple[str, ...]:
    d = rec.data
    k = rec.kind
    out: list[str | None] = []
    if k == "county":
        out.append(_str(d.get("id")))
    elif k in ("organization", "plan"):
        out.append(_str(d.get("county")))
    elif k == "household":
        out.append(model.county_of_village(d.get("village")) if _str(d.get("village")) else None)
    elif k == "report":
        plan = model.get("plan", d["plan"]) if _str(d.get("plan")) else None
        if plan is not None and isinstance(plan.data, dict):
            out.append(_str(plan.data.get("county")))
    elif k == "campaign":
        out.extend(_str(c) for c in d.get("counties") or [])
    elif k == "policy":
        scope = d.get("scope")
        out.append(_str(scope.get("county")) if isinstance(scope, dict) else None)
    if k in ("household", "plan", "report") and len(rec.rel) > 2:
        out.append(rec.rel[1])  # the folder it sits in
    return tuple(sorted({c for c in out if c}))


def checked_counties(model: Model, rec: Record) -> tuple[str, ...]:
    """The counties whose names ``rec`` is checked against, and gives its names to: those of
    ``counties_of``, or for an unreadable record the county folder it sits in."""
    if rec.kind is not None and isinstance(rec.data, dict):
        return counties_of(model, rec)
    return (rec.rel[1],) if len(rec.rel) > 2 else ()


def names_of(rec: Record, schemas_dir: Path) -> list[str]:
    """The person names in the private name fields of ``rec``."""
    if rec.kind is None or not isinstance(rec.data, dict):
        return []
    return _names_in(rec.data, name_paths(schemas_dir, rec.kind))


def _names_in(data: dict, paths: tuple[tuple[str, ...], ...]) -> list[str]:
    return [v for p in paths for _, v in strings_at(data, p)]


class _by_kind(dict):
    """``paths(schemas_dir, kind)`` by kind, each looked up once (``paths`` is cached, but by
    its arguments: a look-up per record hashes and compares them every time)."""

    def __init__(self, paths: Callable[[Path, str], tuple], schemas_dir: Path):
        super().__init__()
        self.paths, self.schemas_dir = paths, schemas_dir

    def __missing__(self, kind: str) -> tuple:
        found = self[kind] = self.paths(self.schemas_dir, kind)
        return found


def _gather(model: Model, schemas_dir: Path, where: Callable[[Record], tuple[str, ...]]):
    counties: dict[str, _County] = defaultdict(_County)
    paths_of = _by_kind(name_paths, schemas_dir)
    for rec in model.records:
        d = rec.data
        if rec.kind is None or not isinstance(d, dict):
            continue
        names = _names_in(d, paths_of[rec.kind])
        if names:
            for c in where(rec):
                counties[c].names.update(names)
        if rec.kind == "county" and rec.id:
            county = counties[rec.id]
            county.places.add(_str(d.get("name")) or "")
            for t in d.get("townships") or []:
                if isinstance(t, dict):
                    county.places.add(_str(t.get("name")) or "")
                    for v in t.get("villages") or []:
                        if isinstance(v, dict):
                            county.places.add(_str(v.get("name")) or "")
        elif rec.kind == "organization" and isinstance(d.get("name"), str):
            for c in where(rec):
                counties[c].organizations.add(d["name"])
    return counties


class _Scanner:
    """What was found in a text, remembered per (text, counties, mask): texts repeat."""

    def __init__(self, model: Model, schemas_dir: Path):
        self.model = model
        self._where: dict[int, tuple[str, ...]] = {}
        counties = _gather(model, schemas_dir, self.where)
        unread: dict[str, NameDigests] = model.unread_names  # a check of a few files
        # county → (its names, the mask for an organization's own name, the mask elsewhere)
        self.index: dict[str, tuple[_Names, re.Pattern | None, re.Pattern | None]] = {}
        for cid in sorted(counties.keys() | unread.keys()):
            c = counties[cid]
            if not c.names and cid not in unread:
                continue
            self.index[cid] = (
                unread[cid].with_names(c.names) if cid in unread else NameIndex(c.names),
                mask_pattern(c.places),
                mask_pattern(c.places | c.organizations),
            )
        self._memo: dict[tuple, frozenset[str]] = {}
        self._folder_digits: dict[str, bool] = {}

    def where(self, rec: Record) -> tuple[str, ...]:
        """``checked_counties``, remembered per record."""
        key = id(rec)
        hit = self._where.get(key)
        if hit is None:
            hit = self._where[key] = checked_counties(self.model, rec)
        return hit

    def digits_in(self, parts: tuple[str, ...], rid: str | None) -> bool:
        """``has_digits`` of the path ``parts`` joined by "/" and the id: a run never crosses
        a "/", so each part is looked at alone, a folder once (folders repeat), and the id
        not again when the file is named by it (".yaml" adds no digit to a run)."""
        folders = self._folder_digits
        for folder in parts[:-1]:
            hit = folders.get(folder)
            if hit is None:
                hit = folders[folder] = has_digits(folder)
            if hit:
                return True
        name = parts[-1] if parts else ""
        if has_digits(name):
            return True
        return rid is not None and rid + ".yaml" != name and has_digits(rid)

    def text(self, value: str, where: tuple[str, ...], own_name: bool) -> frozenset[str]:
        key = (value, where, own_name)
        hit = self._memo.get(key)
        if hit is None:
            found = number_kinds(value)
            for c in where:
                entry = self.index.get(c)
                if entry is not None and entry[0].found(value, entry[1] if own_name else entry[2]):
                    found.add(NAME)
                    break
            hit = self._memo[key] = frozenset(found)
        return hit

    def id_part(self, value: str, where: tuple[str, ...]) -> frozenset[str]:
        key = (value, where, None)
        hit = self._memo.get(key)
        if hit is None:
            found = id_kinds(value)
            if not value.isascii() and any(
                self.index[c][0].found(value) for c in where if c in self.index
            ):
                found.add(NAME)
            hit = self._memo[key] = frozenset(found)
        return hit


def check(model: Model, ctx) -> Iterator[Finding]:
    schemas_dir = getattr(ctx, "schemas_dir", None) or PACKAGE_SCHEMAS
    scan = _Scanner(model, schemas_dir)
    paths_of = _by_kind(free_text_paths, schemas_dir)
    for rec in model.records:
        yield from _ids(rec, scan)
        d = rec.data
        if rec.kind is None or not isinstance(d, dict):
            continue
        paths = [p for p in paths_of[rec.kind] if p[0] in d]
        where = scan.where(rec) if paths else ()
        schema = None
        for steps in paths:
            own_name = rec.kind == "organization" and steps == ("name",)
            for idx, value in strings_at(d, steps):
                found = scan.text(value, where, own_name)
                if not found:
                    continue
                schema = schema or bundled(schemas_dir)[rec.kind]
                parts = parts_of(steps, idx)
                yield at(
                    rec,
                    IN_FIELD,
                    parts,
                    f"公开字段“{title_at(schema, parts)}”中有疑似{_kinds(found)}；"
                    "公开字段会发布到网站、搜索索引和开放数据，不能填写个人信息",
                )


def _ids(rec: Record, scan: _Scanner) -> Iterator[Finding]:
    """The record's id and the names of its file and folders."""
    rid = rec.id
    parts = rec.rel[1:]
    if (
        "/".join(parts).isascii()
        and (rid is None or rid.isascii())
        and not scan.digits_in(parts, rid)
    ):
        return  # no run of 11 digits and no CJK: nothing to find
    where = scan.where(rec) or ((rec.rel[1],) if len(rec.rel) > 2 else ())
    found = scan.id_part(rid, where) if rid else frozenset()
    if found:
        yield at(
            rec,
            IN_ID,
            ("id",),
            f"记录编号中有疑似{_kinds(found)}；编号会出现在网址、开放数据和审阅评论中，"
            "不能含个人信息",
        )
        return
    for part in rec.rel[1:]:
        if part not in _FIXED_PARTS:
            found |= scan.id_part(part[: -len(".yaml")] if part.endswith(".yaml") else part, where)
    if found:
        yield at(
            rec,
            IN_ID,
            (),
            f"文件名或文件夹名中有疑似{_kinds(found)}；路径会出现在网址、审阅评论和日志中，"
            "不能含个人信息",
        )
