"""Shared fixtures. ``BANGFU_REQUIRE_SYSTEM=1`` (set by .ci/run) turns every skip for a
missing system part (Chromium, Node) into a failure, so CI never passes by skipping."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .codes_record import (  # noqa: F401  (an autouse fixture and a hook)
    _producers_produce,
    pytest_unconfigure,
    start,
)

RECORDED_CODES = start()  # before any test module imports bangfu
ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases"
BASE = CASES / "base" / "data"
DEFAULT_AS_OF = "2025-01-01"


def require_system(what: str, available: bool) -> None:
    if available:
        return
    if os.environ.get("BANGFU_REQUIRE_SYSTEM") == "1":
        pytest.fail(f"{what} is required when BANGFU_REQUIRE_SYSTEM=1")
    pytest.skip(f"{what} not installed")


def make_case(tmp: Path, case_dir: Path | None, remove=()) -> Path:
    """A data folder: the shared base records plus a case's overlay files."""
    root = tmp / "repo"
    shutil.copytree(BASE, root / "data")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    for rel in remove:
        (root / rel).unlink()
    if case_dir is not None and (case_dir / "data").is_dir():
        shutil.copytree(case_dir / "data", root / "data", dirs_exist_ok=True)
    return root


def bangfu(
    *args: str, cwd: Path, env: dict | None = None, timeout: int = 120, input_: str | None = None
) -> subprocess.CompletedProcess:
    """Run the real CLI as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bangfu", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input_,
    )


def build_site(data: Path, out: Path, src: Path, *extra: str) -> subprocess.CompletedProcess:
    """``bangfu site`` from the repository root, with the generated sources kept in ``src``."""
    return bangfu(
        "site",
        "--data",
        str(data),
        "--out",
        str(out),
        "--src",
        str(src),
        *extra,
        cwd=ROOT,
        timeout=600,
    )


@pytest.fixture
def base_repo(tmp_path) -> Path:
    return make_case(tmp_path, None)


# --- real git repositories in temp folders (review, history guard, privacy of the comment) ---


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def commit(root: Path, message: str, *, force: bool = False) -> None:
    """Commit everything; ``force`` also adds what .gitignore would keep out."""
    git(root, "add", "-A", *(["-f"] if force else []))
    git(root, "commit", "-q", "-m", message)


def init_repo(root: Path) -> Path:
    """Make ``root`` a fresh repository whose first commit on ``main`` is its current files."""
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "测试")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "config", "commit.gpgsign", "false")
    commit(root, "base")
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the first ``old`` in a file (which must hold it) by ``new``."""
    p = root / rel
    text = p.read_text("utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), "utf-8")


@pytest.fixture
def repo(tmp_path) -> Path:
    """The shared base case as the first commit of a fresh repository."""
    return init_repo(make_case(tmp_path, None))


# the open-data tables, in publishing order (aggregate.tables.build)
TABLES = [
    "counties",
    "townships",
    "villages",
    "organizations",
    "campaigns",
    "plans",
    "plan_targets",
    "plan_organizations",
    "report_entries",
    "progress",
]
