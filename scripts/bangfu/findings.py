"""Findings are data: every problem the tool reports is one ``Finding``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: str
    file: str
    message: str
    hint: str = ""
    line: int = 0
    column: int = 0
    path: str = "$"

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.path, self.code)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def json_path(parts: tuple | list) -> str:
    """``('entries', 3, 'date')`` → ``$.entries[3].date``."""
    out = ["$"]
    for p in parts:
        if isinstance(p, int):
            out.append(f"[{p}]")
        else:
            out.append(f".{p}")
    return "".join(out)


def has_errors(findings) -> bool:
    return any(f.severity == ERROR for f in findings)
