"""Where the published data comes from: the last commit that touched the data folder.

Read once per run by the pipeline (``Aggregate.release``); every page, extract and descriptor
shows the same release. Never the clock: outside Git the release is "unknown"."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


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
        proc = subprocess.run(
            ["git", "log", "-1", "--format=%H%x00%cI", "--", "."],
            cwd=data_root,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return Release("unknown", "unknown")
    out = proc.stdout.strip()
    if proc.returncode != 0 or "\x00" not in out:
        return Release("unknown", "unknown")
    commit, date = out.split("\x00", 1)
    return Release(commit, date)
