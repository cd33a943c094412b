"""Cross-record rules. Each module exposes ``check(model, ctx)`` yielding findings;
``run_all`` runs them all."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from .. import forked
from ..findings import Finding
from ..privacy import rule as privacy
from ..privacy import sealrule
from . import cycle, dates, identity, monitoring, records, refs, tiers, villages

RULES = (identity, refs, dates, monitoring, cycle, tiers, villages, records, privacy, sealrule)
# run by a second process when there are two (about half the rules' time, the privacy rule
# the largest part of it: ``bangfu bench`` at 20,000 households)
SECOND = frozenset({privacy, sealrule, identity, records})
PARALLEL_MIN = 5000  # records below which a second process costs more than it saves


def run_all(model, ctx) -> list[Finding]:
    """The findings of every rule, in ``RULES`` order. On a large model with a second core,
    the rules of ``SECOND`` run in a forked child (``forked``: the model is shared, the
    findings come back pickled) while this process runs the others; the list is the same."""
    if len(model.records) < PARALLEL_MIN or not forked.can_fork():
        return [f for found in _run(RULES, model, ctx) for f in found]
    there = tuple(r for r in RULES if r in SECOND)
    job = forked.start("数据检查", _run, there, model, ctx, lost="检查没有完成")
    try:
        here = _run(tuple(r for r in RULES if r not in SECOND), model, ctx)
    except BaseException:
        job.stop()
        raise
    return _in_order(here, job.wait())


def _run(rules: Sequence[ModuleType], model, ctx) -> list[list[Finding]]:
    return [list(rule.check(model, ctx)) for rule in rules]


def _in_order(here: list[list[Finding]], there: list[list[Finding]]) -> list[Finding]:
    mine, theirs = iter(here), iter(there)
    return [f for r in RULES for f in next(theirs if r in SECOND else mine)]
