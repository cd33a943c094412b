"""Columns and tables of the open data: names, types, titles and descriptions (from the
JSON Schemas where a column holds a record field), and how a missing figure is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..public import public_paths
from ..schema import bundled, node_at

TYPES = ("string", "integer", "number", "boolean", "date")
LIST_SEPARATOR = ";"


class _NotRecorded:
    """台账中无记录: a figure the ledger does not hold (an empty cell, never 0)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_RECORDED"

    def __reduce__(self) -> str:  # pickled (to the workbook's process) as the one NOT_RECORDED
        return "NOT_RECORDED"


NOT_RECORDED = _NotRecorded()


class _Withheld:
    """A figure withheld by disclosure control (about too few households, or one from which
    such a figure could be recovered); written ``WITHHELD_MARKER``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "WITHHELD"

    def __reduce__(self) -> str:  # pickled (to the workbook's process) as the one WITHHELD
        return "WITHHELD"


WITHHELD = _Withheld()
WITHHELD_MARKER = "*"

# stable English column names for the key-list flags (the titles are the list names themselves)
FLAG_NAMES = {
    "国家级扶贫开发工作重点区县": "national_key_county",
    "市级扶贫开发工作重点区县": "municipal_key_county",
    "深度贫困乡镇": "deep_poverty_township",
    "定点攻坚村": "targeted_village",
    "挂牌督战村": "supervised_village",
    "贫困村": "poor_village",
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # string | integer | number | boolean | date
    title: str
    description: str
    enum: tuple | None = None
    required: bool = False
    suppressed: bool = False  # a figure about households that disclosure control may withhold

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type}")


@dataclass(slots=True)
class Table:
    name: str
    title: str
    description: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    # Frictionless style: {"fields": [...], "reference": {"resource": name, "fields": [...]}}
    foreign_keys: list[dict] = field(default_factory=list)
    threshold: int = 1  # small-cell threshold in force

    @property
    def marker(self) -> str:
        """How a withheld figure is written (the same as the site shows)."""
        return WITHHELD_MARKER

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# ---------------------------------------------------------------- columns from the schemas


class Cols:
    """Builds columns whose title, description, type and enum are read from a schema."""

    def __init__(self, schemas_dir: Path):
        self.schemas = bundled(schemas_dir)
        self.schemas_dir = schemas_dir
        self._public: dict[str, set[str]] = {}

    def _check_public(self, kind: str, parts: tuple) -> None:
        if kind not in self._public:
            self._public[kind] = set(public_paths(self.schemas_dir, kind))
        label = "$" + "".join("[]" if isinstance(p, int) else f".{p}" for p in parts)
        label = label.replace(".[]", "[]")
        if label not in self._public[kind]:
            raise ValueError(f"{kind} {label} is not public in the schemas; it cannot be a column")

    def field(
        self,
        kind: str,
        parts: tuple,
        name: str | None = None,
        *,
        title: str | None = None,
        description: str | None = None,
        required: bool = False,
    ) -> Column:
        self._check_public(kind, parts)
        node = node_at(self.schemas[kind], list(parts))
        enum = None
        if "enum" in node and all(isinstance(v, str) for v in node["enum"]):
            ctype, enum = "string", tuple(node["enum"])
        elif node.get("type") == "array":
            ctype = "string"
        elif node.get("format") == "date":
            ctype = "date"
        elif node.get("type") in ("integer", "number", "boolean"):
            ctype = node["type"]
        else:
            ctype = "string"
        desc = description or node.get("description", "")
        if node.get("type") == "array":
            desc = f"{desc}多项以“{LIST_SEPARATOR}”分隔。"
        return Column(
            name or "_".join(str(p) for p in parts if not isinstance(p, int)),
            ctype,
            title or node.get("title", name or parts[-1]),
            desc,
            enum,
            required,
        )

    def flags(self, kind: str, parts: tuple) -> list[Column]:
        """One boolean column per value of a key-list enum."""
        self._check_public(kind, parts)
        node = node_at(self.schemas[kind], list(parts))
        items = node_at(self.schemas[kind], list(parts) + [0])
        out = []
        for i, value in enumerate(items.get("enum", [])):
            out.append(
                Column(
                    FLAG_NAMES.get(value, f"key_list_{i + 1}"),
                    "boolean",
                    value,
                    f"是否在重点名单“{value}”中（{node.get('title', '重点名单')}）。",
                    required=True,
                )
            )
        return out


def count_column(name: str, title: str, description: str) -> Column:
    return Column(name, "integer", title, description, required=False, suppressed=True)


def plain_count(name: str, title: str, description: str) -> Column:
    return Column(name, "integer", title, description, required=True)


def amount_column(
    name: str, title: str, description: str, required: bool = True, withheld: bool = False
) -> Column:
    """An amount in yuan; ``withheld``: about households, so disclosure control may withhold
    it (then it is never required)."""
    return Column(
        name, "number", title, description, required=required and not withheld, suppressed=withheld
    )


# ---------------------------------------------------------------- helpers


def get(d: object, *parts: str) -> Any:
    for p in parts:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def joined(values) -> str | None:
    if not isinstance(values, list):
        return None
    vals = [str(v) for v in values if isinstance(v, str | int | float) and not isinstance(v, bool)]
    return LIST_SEPARATOR.join(vals) if vals else None


def sources_text(pub: dict) -> str | None:
    docs = [
        d
        for s in pub.get("sources") or []
        if isinstance(s, dict) and isinstance(d := s.get("document"), str)
    ]
    return LIST_SEPARATOR.join(dict.fromkeys(docs)) if docs else None


def yuan(total: Decimal) -> int | float:
    """Exact decimal sum as a plain number: integral sums stay integers."""
    if total == total.to_integral_value():
        return int(total)
    return float(total)
