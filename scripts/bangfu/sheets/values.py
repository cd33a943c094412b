"""One cell → the typed value of its column (text, number, integer, date, period, choice),
or the problem with it as (code, message). A private column's content is never quoted back."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..codes import (
    SHEET_BAD_CHOICE,
    SHEET_FUTURE_DATE,
    SHEET_NOT_A_DATE,
    SHEET_NOT_A_NUMBER,
    SHEET_UNKNOWN_VILLAGE,
    Code,
)
from ..rules.dates import label_period
from . import options as opts
from .forms import Col

_DATE_TEXT = re.compile(
    r"\s*([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?\s*\Z"
)
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2]|W(0[1-9]|[1-4][0-9]|5[0-3])|Q[1-4])\Z")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\Z")

Problem = tuple[Code, str]  # code, message
Converted = tuple[object, Problem | None]  # the value (None when blank or wrong), the problem


@dataclass(frozen=True, slots=True)
class Context:
    """What converting a cell needs: the dropdown lists, the schemas (for enum lists) and
    "today" (dates and periods must not lie in the future)."""

    lists: dict[str, opts.Choices]
    schemas_dir: Path
    as_of: dt.date


def convert(ctx: Context, col: Col, raw: object) -> Converted:
    """The typed value of one cell and the problem with it; (None, None) for a blank cell."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    return _CONVERTERS.get(col.kind, _choice)(ctx, col, raw)


def _shown(col: Col, raw: object) -> str:
    return "填写的内容" if col.private else f"“{_show(raw)}”"


def _text_value(ctx: Context, col: Col, raw: object) -> Converted:
    return as_text(raw), None


def _number(ctx: Context, col: Col, raw: object) -> Converted:
    num = _as_number(raw)
    if num is None:
        return None, (SHEET_NOT_A_NUMBER, f"{_shown(col, raw)}不是数字")
    if col.kind == "integer" and num != int(num):
        return None, (SHEET_NOT_A_NUMBER, f"{_shown(col, raw)}不是整数")
    return (int(num) if num == int(num) else num), None


def _date(ctx: Context, col: Col, raw: object) -> Converted:
    day = as_date(raw)
    if day is None:
        return None, (SHEET_NOT_A_DATE, f"{_shown(col, raw)}不是日期（应写成 2020-04-15）")
    if col.past and day > ctx.as_of:
        return None, (
            SHEET_FUTURE_DATE,
            f"日期 {day.isoformat()} 在未来（今天是 {ctx.as_of.isoformat()}）",
        )
    return day.isoformat(), None


def _period(ctx: Context, col: Col, raw: object) -> Converted:
    label = _as_period(raw)
    covered = label_period(label) if label is not None else None
    if label is None or covered is None:
        return None, (
            SHEET_NOT_A_DATE,
            f"报送期{_shown(col, raw)}格式不对（月报 2020-04，周报 2020-W18，季报 2020-Q2）",
        )
    if covered[0] > ctx.as_of:
        return None, (SHEET_FUTURE_DATE, f"报送期 {label} 还没有开始")
    return label, None


def _choice(ctx: Context, col: Col, raw: object) -> Converted:
    choices = opts.get(ctx.lists, ctx.schemas_dir, col.choices)
    text = as_text(raw)
    found = choices.resolve(text)
    if found is not None:
        return found, None
    if col.choices == "villages":
        return None, (SHEET_UNKNOWN_VILLAGE, f"村“{text}”不存在")
    sample = "、".join(choices.labels[:8]) + ("…" if len(choices.labels) > 8 else "")
    h = col.header
    message = f"{_shown(col, raw)}不是{h}的可选值" + (f"；可选：{sample}" if sample else "")
    return None, (SHEET_BAD_CHOICE, message)


_CONVERTERS: dict[str, Callable[[Context, Col, object], Converted]] = {
    "text": _text_value,
    "number": _number,
    "integer": _number,
    "date": _date,
    "period": _period,
}


# -- reading cell contents ---------------------------------------------------------------


def text_or_none(value: object) -> str | None:
    """A label cell's text; None when it is empty."""
    if value is None:
        return None
    t = as_text(value)
    return t or None


def as_text(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _show(value: object) -> str:
    t = as_text(value)
    return t if len(t) <= 40 else t[:40] + "…"


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        t = value.strip().replace(",", "").replace("，", "")
        if t.endswith("元"):
            t = t[:-1].strip()
        if _NUMBER.match(t):
            return float(t)
    return None


def as_date(value: object) -> dt.date | None:
    """A date cell: an Excel date, or text such as 2020-04-15, 2020/4/15 or 2020年4月15日."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = _DATE_TEXT.match(value)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def _as_period(value: object) -> str | None:
    if isinstance(value, dt.date):  # Excel turned "2020-04" into 2020-04-01
        return f"{value.year:04d}-{value.month:02d}" if value.day == 1 else None
    t = as_text(value).upper().replace("/", "-").replace(".", "-")
    m = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", t)
    if m:
        t = f"{m.group(1)}-{int(m.group(2)):02d}"
    return t if _PERIOD.match(t) else None
