"""Typed configuration shared by every command: where the data is, and what "today" is."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from .checksums import date_of
from .schema import PACKAGE_SCHEMAS

AS_OF_ENV = "BANGFU_AS_OF"
WORKERS_ENV = "BANGFU_WORKERS"

# Beijing time (Asia/Shanghai): UTC+8 with no daylight saving since 1991. A fixed offset, not
# ``zoneinfo``, so no time-zone database is needed (Windows has none without ``tzdata``).
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1


def workers_set() -> int | None:
    """The number of processes ``BANGFU_WORKERS`` asks for, if it names one (reading a tree,
    DuckDB's threads, the second process of a publication)."""
    env = os.environ.get(WORKERS_ENV)
    return int(env) if env and env.isdigit() and int(env) > 0 else None


class UsageError(Exception):
    """A problem with how the command was called (exit code 2)."""


class PublishRefused(Exception):
    """A command refuses to publish data with errors (exit code 1, nothing written); the
    message, in Chinese, names the findings (``pipeline.Pipeline.refuse_if_errors``)."""


def parse_date(text: str, what: str = "日期") -> dt.date:
    """A date given on the command line; anything but ``YYYY-MM-DD`` is a usage error."""
    day = date_of(text)
    if day is None:
        raise UsageError(f"{what} “{text}” 不是 YYYY-MM-DD 格式的日期")
    return day


def beijing_time(iso: str) -> dt.datetime:
    """An ISO date-time in Beijing time; a value without an offset is taken as UTC."""
    t = dt.datetime.fromisoformat(iso)
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(BEIJING)


def today(as_of: str | None = None) -> dt.date:
    """``--as-of`` wins, then $BANGFU_AS_OF, then the real date in Beijing."""
    value = as_of or os.environ.get(AS_OF_ENV)
    return parse_date(value, "--as-of") if value else dt.datetime.now(BEIJING).date()


@dataclass(frozen=True, slots=True)
class Config:
    data_root: Path
    schemas_dir: Path
    as_of: dt.date

    @classmethod
    def make(
        cls, data: str | Path = "data", schemas: str | Path | None = None, as_of: str | None = None
    ) -> Config:
        root = Path(data)
        if not root.is_dir():
            raise UsageError(f"数据文件夹 {root} 不存在")
        if schemas is None:
            local = root.resolve().parent / "schemas"
            schemas_dir = local if (local / "common.schema.json").is_file() else PACKAGE_SCHEMAS
        else:
            schemas_dir = Path(schemas)
        if not (schemas_dir / "common.schema.json").is_file():
            raise UsageError(f"在 {schemas_dir} 找不到 schemas")
        return cls(root.resolve(), schemas_dir.resolve(), today(as_of))
