"""Where the published data comes from: the last commit that touched the data folder.

Read once per run by the pipeline (``Aggregate.release``); every page, extract and descriptor
shows the same release. Never the clock: outside Git the release is "unknown"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import UsageError
from ..review.gitio import Git


@dataclass(frozen=True, slots=True)
class Release:
    """Where the data comes from: the last commit that touched the data folder."""

    commit: str  # full hash, or "unknown" outside a git repository
    date: str  # committer date, ISO 8601, or "unknown"

    @property
    def version(self) -> str:
        """SemVer-shaped: the commit date as YYYY.M.D, the short hash as build metadata."""
        if self.date == "unknown":
            return "0.0.0+unknown"
        y, m, d = (int(x) for x in self.date[:10].split("-"))
        return f"{y}.{m}.{d}+{self.commit[:12]}"


def release_of(data_root: Path) -> Release:
    """The last commit that touched the data folder; "unknown" outside git (never the clock)."""
    try:
        last = Git(data_root, timeout=60).last_commit()
    except UsageError:
        last = None
    return Release(*last) if last else Release("unknown", "unknown")
