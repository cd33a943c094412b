"""What the web editor's configuration takes from the data (``bangfu.cms``): the plans (a report
collection each, with the plan's period and targets), the counties and the villages of the county
records;
and ``fix_names``, which gives a file the case of its record's id (Decap CMS writes file names in
lower case, so a weekly report ``2020-W22`` arrives as ``2020-w22.yaml``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .layout import kind_of
from .load import iter_files
from .readone import read_record
from .record import Record, expected_stem

DAY = "(0[1-9]|[12][0-9]|3[01])"
MONTH = "(0[1-9]|1[0-2])"


@dataclass
class Plan:
    id: str
    county: str
    name: str
    start: str
    end: str
    villages: list[str] = field(default_factory=list)
    households: list[str] = field(default_factory=list)


@dataclass
class Inputs:
    plans: list[Plan]
    villages: dict[str, list[tuple[str, str]]]  # county id → its villages' (id, label)
    counties: dict[str, str] = field(default_factory=dict)  # id → label, of the county records


def read_inputs(data_root: Path) -> Inputs:
    """The inputs from the plan and county files of ``data_root`` (``bangfu cms``, which runs
    without the rest of the pipeline: households and reports are not read)."""
    wanted = (
        path
        for path in iter_files(data_root)
        if kind_of(path.relative_to(data_root).parts) in ("plan", "county")
    )
    return from_records(read_record(path, data_root) for path in wanted)


def from_records(records: Iterable[Record]) -> Inputs:
    """The plans, counties and villages of ``records`` (records of other kinds are passed
    over; records that do not parse are skipped: ``bangfu check`` reports them)."""
    plans: list[Plan] = []
    villages: dict[str, list[tuple[str, str]]] = {}
    counties: dict[str, str] = {}
    for rec in records:
        if rec.kind not in ("plan", "county") or not isinstance(d := rec.data, dict):
            continue
        if rec.kind == "plan":
            p = _plan(rec.rel, d)
            if p:
                plans.append(p)
        else:
            cid = expected_stem(rec.rel, "county")
            villages[cid] = sorted(set(_villages(d)))
            name = "".join(str(d.get(k) or "") for k in ("province", "city", "name"))
            counties[cid] = f"{name or cid}（{cid}）"
    plans.sort(key=lambda p: (p.county, p.id))
    return Inputs(plans, dict(sorted(villages.items())), dict(sorted(counties.items())))


def _plan(rel: tuple[str, ...], d: dict) -> Plan | None:
    period: dict = d["period"] if isinstance(d.get("period"), dict) else {}
    start, end = str(period.get("start", "")), str(period.get("end", ""))
    try:
        dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError:
        return None
    targets: dict = d["targets"] if isinstance(d.get("targets"), dict) else {}

    def ids(key):
        v = targets.get(key)
        return [str(x) for x in v] if isinstance(v, list) else []

    return Plan(
        id=rel[2],
        county=rel[1],
        name=str(d.get("name") or rel[2]),
        start=start,
        end=end,
        villages=ids("villages"),
        households=ids("households"),
    )


def _villages(county: dict) -> list[tuple[str, str]]:
    out = []
    for t in county.get("townships") or []:
        if not isinstance(t, dict):
            continue
        for v in t.get("villages") or []:
            if isinstance(v, dict) and isinstance(v.get("id"), str):
                label = f"{county.get('name', '')}{t.get('name', '')}{v.get('name', '')}"
                out.append((v["id"], f"{label}（{v['id']}）"))
    return out


# ---- dates: a pattern for the days of a period ---------------------------------------------


def _range2(lo: int, hi: int) -> str:
    """A regular expression for the two-digit numbers lo..hi (01–31)."""
    parts = []
    for tens in range(lo // 10, hi // 10 + 1):
        a, b = max(lo, tens * 10) % 10, min(hi, tens * 10 + 9) % 10
        parts.append(f"{tens}{a}" if a == b else f"{tens}[{a}-{b}]")
    return parts[0] if len(parts) == 1 else "(" + "|".join(parts) + ")"


def _month_end(y: int, m: int) -> int:
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


def date_range_pattern(start: str, end: str) -> str:
    """A pattern matching the dates start..end (YYYY-MM-DD, both included); whole months and
    whole years are written once. The calendar itself is checked by ``bangfu check``."""
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    alts = []
    y, m = a.year, a.month
    while (y, m) <= (b.year, b.month):
        if m == 1 and dt.date(y, 1, 1) >= a and dt.date(y, 12, 31) <= b:  # a whole year
            alts.append(f"{y}-{MONTH}-{DAY}")
            y += 1
            continue
        lo = a.day if (y, m) == (a.year, a.month) else 1
        hi = b.day if (y, m) == (b.year, b.month) else _month_end(y, m)
        days = DAY if (lo, hi) == (1, _month_end(y, m)) else _range2(lo, hi)
        alts.append(f"{y}-{m:02d}-{days}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return "^(" + "|".join(alts) + ")$"


def fix_names(data_root: Path) -> list[tuple[Path, Path]]:
    """Rename every record file whose name differs from its id only in case (the editor's
    lower-cased slugs); returns (old, new) pairs. Any other mismatch is left to ``bangfu check``."""
    moved = []
    for path in iter_files(data_root):
        rel = path.relative_to(data_root).parts
        if kind_of(rel) is None or path.name == "plan.yaml":
            continue
        rec = read_record(path, data_root)
        rid = rec.id
        if not rid or path.stem == rid or path.stem.lower() != rid.lower():
            continue
        new = path.with_name(rid + path.suffix)
        if new.exists():
            continue  # a file of the right name is there too: bangfu check reports both
        path.rename(new)
        moved.append((path, new))
    return moved
