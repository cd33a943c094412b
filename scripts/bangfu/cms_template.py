"""The report collection of a plan as a template: tokens (``@@id@@``) that ``fill`` replaces by
one plan's values. ``site/admin/index.html`` holds the same ``fill`` in JavaScript, which the
editor runs for the plans of the county it is opened for (``tests/test_cms_browser.py`` pins
the two equal)."""

from __future__ import annotations

import re

from .cms_inputs import Plan, date_range_pattern

_TOKEN = re.compile(r"@@([a-z]+)@@")


def token(name: str) -> str:
    return f"@@{name}@@"


def plan_values(plan: Plan) -> dict:
    """The values ``fill`` puts into the template for ``plan``."""
    return {
        "id": plan.id,
        "name": plan.name,
        "county": plan.county,
        "start": plan.start,
        "end": plan.end,
        "dates": date_range_pattern(plan.start, plan.end),
        "households": plan.households,
        "villages": plan.villages,
    }


def fill(node, values: dict):
    """``node`` with its tokens replaced by ``values``; the same as ``fill`` in
    ``site/admin/index.html``, which the editor runs (the browser test pins the two equal).
    A string that is one token of a list value becomes that list; a field whose options are
    such a list, empty, is left out; inserted values are not scanned for tokens again."""
    if isinstance(node, str):
        whole = _TOKEN.fullmatch(node)
        if whole and isinstance(values[whole[1]], list):
            return list(values[whole[1]])
        return _TOKEN.sub(lambda m: str(values[m[1]]), node)
    if isinstance(node, list):
        return [fill(x, values) for x in node if not _empty_choice(x, values)]
    if isinstance(node, dict):
        return {k: fill(v, values) for k, v in node.items()}
    return node


def _empty_choice(node, values: dict) -> bool:
    options = node.get("options") if isinstance(node, dict) else None
    whole = _TOKEN.fullmatch(options) if isinstance(options, str) else None
    return whole is not None and not values[whole[1]]
