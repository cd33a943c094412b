"""Where each form cell goes in the records: one table per sheet kind, column key → path in
the record (dotted, relative to the record or to the list item a section row becomes).

The import reads them to build the records and to tie every JSON path back to its cell; the
export reads them the other way round to fill the form from the records. Values that are not
a column's value (the plan's id when left blank, a report's period computed from its label)
are the builders' business."""

from __future__ import annotations

# 报备表 (filing): the header block → the plan; 【帮扶主体】 rows → plan.organizations[i];
# 【帮扶措施】 rows → plan.measures[i]; 【帮扶对象】 rows of kind 帮扶户 → a household record
FILING: dict[str, dict[str, str]] = {
    "": {
        "plan": "id",
        "name": "name",
        "county": "county",
        "campaign": "campaign",
        "form": "form",
        "start": "period.start",
        "end": "period.end",
        "status": "status",
    },
    "organizations": {"organization": ""},
    "measures": {"kind": "kind", "description": "description", "amount": "amount"},
    "targets": {
        "head_name": "head.name",
        "head_phone": "head.phone",
        "address": "address",
        "category": "category",
        "status": "status",
        "household_size": "household_size",
        "income_year": "income.year",
        "per_capita": "income.per_capita",
    },
}

# 进度表 (progress): the header block → the report; 【帮扶内容】 rows → report.entries[i]
PROGRESS: dict[str, dict[str, str]] = {
    "": {"period": "id", "plan": "plan", "submitted": "submitted"},
    "entries": {
        "date": "date",
        "household": "household",
        "village": "village",
        "kind": "kind",
        "content": "content",
        "amount": "amount",
        "income_project": "income_project",
    },
}

PLAN_FIELDS = FILING[""]
MEASURE_COLUMNS = FILING["measures"]
# the filing columns that describe a household, in the form's order (a 帮扶村 row must
# leave them empty; the first one filled is where that is reported)
HOUSEHOLD_COLUMNS = FILING["targets"]
REPORT_FIELDS = PROGRESS[""]
ENTRY_COLUMNS = PROGRESS["entries"]


def json_path(base: str, path: str) -> str:
    """``('$.measures[0]', 'kind')`` → ``$.measures[0].kind``; an empty path is ``base``."""
    return f"{base}.{path}" if path else base


def get(data: object, path: str) -> object:
    """The value at a dotted path, or None where a step is missing or not a mapping."""
    value = data
    for part in path.split(".") if path else ():
        value = value.get(part) if isinstance(value, dict) else None
    return value


def put(data: dict, path: str, value: object) -> None:
    """Set the value at a dotted path, keeping the other keys of the mappings on the way
    (a step that is missing or not a mapping becomes a new one)."""
    *steps, last = path.split(".")
    node = data
    for part in steps:
        child = node.get(part)
        node[part] = child = dict(child) if isinstance(child, dict) else {}
        node = child
    node[last] = value
