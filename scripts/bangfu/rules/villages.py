"""Village exit (贫困村出列) against the 九有 standard: a village recorded as exited while one of
its 九有 items is recorded as not met (``met: false``) at or before the exit.

Only what the record holds is judged: an item with no record is 台账中无记录, never 未达标, and
a village without 九有 items is not judged at all (the standard is not borrowed for it). An
item checked after the exit (a later date, or a later year) does not contradict the exit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from ..codes import POLICY_VILLAGE_EXIT_UNMET
from ..findings import Finding
from ..model import Model
from ..schema import PACKAGE_SCHEMAS, bundled, node_at
from .base import at, date_of

STANDARD = ("townships", 0, "villages", 0, "exit_standard")  # where the items sit in a county


def items(schemas_dir: Path | None = None) -> list[tuple[str, str]]:
    """The 九有 items in order, (key, title), as the county schema lists them."""
    node = node_at(bundled(schemas_dir or PACKAGE_SCHEMAS)["county"], STANDARD)
    return [(k, v.get("title", k)) for k, v in node.get("properties", {}).items()]


def _when(d: dict) -> tuple[int | None, dt.date | None]:
    """(year, date) of a dated part of the record; the year from the date when both are given."""
    day = date_of(d.get("date"))
    year = day.year if day else d.get("year")
    return (year if isinstance(year, int) and not isinstance(year, bool) else None), day


def _not_after(item: dict, exit_: dict) -> bool:
    (iy, iday), (ey, eday) = _when(item), _when(exit_)
    if iday is not None and eday is not None:
        return iday <= eday
    return iy is not None and ey is not None and iy <= ey


def check(model: Model, ctx) -> Iterator[Finding]:
    titles = dict(items(ctx.schemas_dir))
    for rec in model.by_kind["county"].values():
        towns = rec.data.get("townships")
        for ti, t in enumerate(towns if isinstance(towns, list) else []):
            villages = t.get("villages") if isinstance(t, dict) else None
            for vi, v in enumerate(villages if isinstance(villages, list) else []):
                if isinstance(v, dict):
                    yield from _village(rec, ("townships", ti, "villages", vi), v, titles)


def _village(rec, parts: tuple, v: dict, titles: dict) -> Iterator[Finding]:
    exit_, items = v.get("exit"), v.get("exit_standard")
    if not isinstance(exit_, dict) or not isinstance(items, dict):
        return
    for key, item in items.items():
        if isinstance(item, dict) and item.get("met") is False and _not_after(item, exit_):
            yield at(
                rec,
                POLICY_VILLAGE_EXIT_UNMET,
                (*parts, "exit_standard", key, "met"),
                f"村 {v.get('id')} 记为 {_when(exit_)[0]} 年出列，"
                f"“九有”中“{titles.get(key, key)}”一项在出列时记为未达标",
            )
