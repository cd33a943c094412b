"""Cross-record rules. Each module exposes ``check(model, ctx)`` yielding findings;
``run_all`` runs them all. The rules fall in two halves, ``FIRST`` and ``LAST`` (those of
``SECOND``), which two processes can run at once: ``run`` runs some rules, ``in_order`` joins
the two halves' findings into ``run_all``'s list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType

from .. import forked
from ..collector import held
from ..findings import Finding
from ..privacy import rule as privacy
from ..privacy import sealrule
from . import cycle, dates, identity, monitoring, records, refs, tiers, villages

RULES = (identity, refs, dates, monitoring, cycle, tiers, villages, records, privacy, sealrule)
# run by a second process when there are two. Measured at 500,000 households (data decoded,
# collector held): the first half 15.0 s (refs 5.6, dates 6.4, monitoring 3.0), the second
# 28.7 s (privacy 12.8, cycle 10.3, identity 2.4, sealrule 1.4, tiers 1.1, records 0.9); the
# first process also writes the reference index and the names store meanwhile (17.2 s),
# whenever they are stale, as after any change to the data
SECOND = frozenset({privacy, sealrule, identity, records, cycle, tiers})
FIRST = tuple(r for r in RULES if r not in SECOND)
LAST = tuple(r for r in RULES if r in SECOND)
PARALLEL_MIN = 5000  # records below which a second process costs more than it saves


def run_all(model, ctx, beside: Callable[[], None] | None = None) -> list[Finding]:
    """The findings of every rule, in ``RULES`` order. On a large model with a second core,
    the rules of ``SECOND`` run in a forked child (``forked``: the model is shared, the
    findings come back pickled) while this process runs ``beside`` (the check's reference
    index), then the others; the list is the same. Alone, ``beside`` runs first."""
    model.unpack()  # before the fork: both processes share the decoded data
    if len(model.records) < PARALLEL_MIN or not forked.can_fork():
        if beside is not None:
            beside()
        return [f for found in run(RULES, model, ctx) for f in found]
    job = forked.start("数据检查", run, LAST, model, ctx, lost="检查没有完成")
    try:
        if beside is not None:
            beside()
        first = run(FIRST, model, ctx)
    except BaseException:
        job.stop()
        raise
    return in_order(first, job.wait())


def run(rules: Sequence[ModuleType], model, ctx) -> list[list[Finding]]:
    """The findings of each of ``rules`` (a list per rule, in that order). The rules read
    every record many times: each record's data is decoded once first (``Model.unpack``)."""
    model.unpack()
    with held():  # their sets and maps of ids hold no cycle (``collector``)
        return [list(rule.check(model, ctx)) for rule in rules]


def in_order(first: list[list[Finding]], last: list[list[Finding]]) -> list[Finding]:
    """The findings of ``run(FIRST, …)`` and ``run(LAST, …)`` as one list in ``RULES`` order."""
    firsts, lasts = iter(first), iter(last)
    return [f for r in RULES for f in next(lasts if r in SECOND else firsts)]
