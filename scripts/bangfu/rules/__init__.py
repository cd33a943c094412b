"""Cross-record rules. Each module exposes ``check(model, ctx)`` yielding findings."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding
from ..privacy import rule as privacy
from ..privacy import sealrule
from . import cycle, dates, identity, monitoring, records, refs, tiers, villages

RULES = (identity, refs, dates, monitoring, cycle, tiers, villages, records, privacy, sealrule)


def run_all(model, ctx) -> Iterator[Finding]:
    for rule in RULES:
        yield from rule.check(model, ctx)
