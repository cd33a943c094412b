"""A procedure's steps in the record, held to the steps a policy lists in order: shared by
the identification procedure and the exit procedure (``rules.cycle``).

The exit procedure is policy data (``exit.procedure``, ``exit.notice``): the steps a source
lists for leaving monitoring — 篇五（五）动态退出: 家庭经济状况调查, 初审公示 and 审核确认 — in
its order. A household marked 退出 records them in ``exit_steps``; a missing step is
``exit.step-missing`` (naming the notice when it is the one missing), a step before one it
should follow is ``exit.step-order``. Where the source lists no exit steps the policy record
sets none and the rule is off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..codes import EXIT_STEP_MISSING, EXIT_STEP_ORDER
from ..findings import Finding
from .base import at, date_of


def named_steps(steps) -> list[tuple[int, str, dt.date | None]]:
    """(position, step name, date) of each well-formed step of a steps list."""
    out: list[tuple[int, str, dt.date | None]] = []
    for i, s in enumerate(steps if isinstance(steps, list) else ()):
        name = s.get("step") if isinstance(s, dict) else None
        if isinstance(name, str):
            out.append((i, name, date_of(s.get("date"))))
    return out


def compare(
    required: list[str], steps: list[tuple[int, str]]
) -> tuple[list[str], tuple[str, str, int] | None]:
    """The required steps missing from ``steps`` and the first pair out of order
    (previous step, step recorded before it, position of that step); a step's position is its
    first occurrence."""
    first: dict[str, int] = {}
    for i, s in steps:
        first.setdefault(s, i)
    missing = [s for s in required if s not in first]
    seen = [s for s in required if s in first]
    for prev, cur in zip(seen, seen[1:], strict=False):
        if first[cur] < first[prev]:
            return missing, (prev, cur, first[cur])
    return missing, None


def exit_procedure(rec, d: dict, pol) -> Iterator[Finding]:
    rule = pol.get("exit")
    required = rule.get("procedure") if isinstance(rule, dict) else None
    if not isinstance(required, list) or not required:
        return
    notice = rule.get("notice")
    named = named_steps(d.get("exit_steps"))
    steps = [(i, s) for i, s, _ in named]
    missing, order = compare(required, steps)
    if missing:
        names = "、".join(f"{s}（公示）" if s == notice else s for s in missing)
        yield at(
            rec,
            EXIT_STEP_MISSING,
            ("exit_steps",) if "exit_steps" in d else ("status",),
            f"标为退出，但退出程序（依据 {pol.label}：{' → '.join(required)}）缺少：{names}",
        )
    if order is not None:
        prev, cur, i = order
        yield at(
            rec,
            EXIT_STEP_ORDER,
            ("exit_steps", i),
            f"退出步骤“{cur}”应在“{prev}”之后（退出程序的顺序：{' → '.join(required)}，"
            f"依据 {pol.label}）",
        )
        return
    dated = [(i, s, day) for i, s, day in named if day is not None]
    for (_, ps, pday), (i, s, day) in zip(dated, dated[1:], strict=False):
        if day < pday:
            yield at(
                rec,
                EXIT_STEP_ORDER,
                ("exit_steps", i, "date"),
                f"退出步骤“{s}”的日期 {day} 早于上一步“{ps}”的日期 {pday}",
            )
            return
