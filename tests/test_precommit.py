"""``pre-commit run --all-files`` passes on a copy of the repository's tracked files (local
hooks only: bangfu check, bangfu fmt --check, ruff check, bangfu codeowners --check, bangfu cms --check)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

SKIP = (".venv/", "node_modules/", "public/", "build/")


def tracked_copy(dest: Path) -> Path:
    """The tracked files as they are in the working tree, in a fresh repository."""
    listing = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True)
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listing):
        src = ROOT / rel
        if rel.startswith(SKIP) or not src.is_file() or src.is_symlink():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    for args in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True)
    return dest


def test_config_has_only_local_hooks():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    assert [r["repo"] for r in config["repos"]] == ["local"]
    ids = {h["id"] for h in config["repos"][0]["hooks"]}
    assert {"bangfu-check", "bangfu-fmt", "ruff", "bangfu-codeowners", "bangfu-cms"} <= ids


def test_pre_commit_run_all_files_passes(tmp_path):
    repo = tracked_copy(tmp_path / "repo")
    bindir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "SKIP": "",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "run",
            "--all-files",
            "--show-diff-on-failure",
            "--color",
            "never",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for hook in (
        "bangfu check",
        "bangfu fmt --check",
        "ruff check",
        "bangfu codeowners --check",
        "bangfu cms --check",
    ):
        assert hook in proc.stdout
