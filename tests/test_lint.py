"""Lint as part of the test suite, so CI (``make test``, ``.ci/run``) fails when it breaks:
mypy with the configuration in pyproject.toml, and ruff's formatter. ``ruff check`` runs in
test_precommit.py, through the pre-commit hook."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "RUFF_CACHE_DIR": str(tmp_path / "ruff")},
    )


@pytest.mark.slow
def test_mypy(tmp_path):
    # the files, the Python version and the strictness come from [tool.mypy] in pyproject.toml
    done = run(tmp_path, "mypy", "--cache-dir", str(tmp_path / "mypy"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format(tmp_path):
    done = run(tmp_path, "ruff", "format", "--check", "scripts", "tests")
    assert done.returncode == 0, done.stdout + done.stderr
