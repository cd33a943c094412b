"""``bangfu changelog REF_A REF_B`` on a real git repository, and the data commit in the package."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import bangfu, edit, git, make_case

AS_OF = "2026-06-30"


def changelog(root: Path, *args: str) -> subprocess.CompletedProcess:
    return bangfu("changelog", "--as-of", AS_OF, *args, cwd=root)


def test_changed_organization_name_is_listed(repo):
    edit(repo, "data/organizations/to-helpers.yaml", "name: 测试爱心协会", "name: 测试公益协会")
    git(repo, "commit", "-q", "-am", "rename", date="2025-03-02T10:00:00+08:00")
    proc = changelog(repo, "HEAD~1", "HEAD")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "## 帮扶主体（organizations）" in out
    assert "| 帮扶主体（organizations） | 0 | 0 | 1 |" in out
    assert "- to\\-helpers" not in out  # ids are not over-escaped
    line = next(ln for ln in out.splitlines() if ln.startswith("- to-helpers："))
    assert "主体名称（name）：测试爱心协会 → 测试公益协会" in line
    # nothing else changed
    assert "## 区县" not in out and "## 结对帮扶方案" not in out


def test_added_and_removed_rows_and_markdown_is_escaped(repo):
    org = repo / "data/organizations/to-helpers.yaml"
    new = repo / "data/organizations/to-newcomer.yaml"
    new.write_text(
        org.read_text("utf-8")
        .replace("id: to-helpers", "id: to-newcomer")
        .replace("name: 测试爱心协会", "name: '新 | 协会 <b>x</b>'")
        .replace("uscc: 51500000MJP5555554\n", ""),
        "utf-8",
    )
    edit(
        repo,
        "data/counties/tc-alpha.yaml",
        "      - id: tc-alpha-east-pine\n        name: 松村\n",
        "",
    )
    git(repo, "add", "data")
    git(repo, "commit", "-q", "-m", "add org, drop village")
    proc = changelog(repo, "HEAD~1", "HEAD", "--limit", "0")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "### 新增 1 行" in out and "to-newcomer" in out
    assert "新 \\| 协会 \\<b\\>x\\</b\\>" in out
    assert "<b>" not in out
    village = out.split("## 村（社区）（villages）", 1)[1]
    assert "### 删除 1 行" in village and "tc-alpha-east-pine" in village
    # the county's village count changed too
    assert "村数（villages）：2 → 1" in out


def test_same_ref_has_no_changes(repo):
    proc = changelog(repo, "HEAD", "main")
    assert proc.returncode == 0, proc.stderr
    assert "公开数据表没有变化" in proc.stdout


def test_changes_outside_public_tables_are_not_listed(repo):
    """A private field (the leader's mobile) changes nothing public, and never appears."""
    edit(
        repo,
        "data/organizations/to-helpers.yaml",
        "mobile: '13900000000'",
        "mobile: '13911112222'",
    )
    git(repo, "commit", "-q", "-am", "private edit")
    proc = changelog(repo, "HEAD~1", "HEAD")
    assert proc.returncode == 0, proc.stderr
    assert "公开数据表没有变化" in proc.stdout
    assert "1391111" not in proc.stdout and "1390000" not in proc.stdout


@pytest.mark.parametrize("refs", [("nope", "HEAD"), ("HEAD", "HEAD~5"), ("--help", "HEAD")])
def test_unknown_ref_is_a_usage_error(repo, refs):
    proc = changelog(repo, "--", *refs)
    assert proc.returncode == 2
    assert "Git 引用" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_not_a_git_repository(tmp_path):
    root = make_case(tmp_path, None)
    proc = changelog(root, "HEAD~1", "HEAD")
    assert proc.returncode == 2
    assert "不是 Git 仓库" in proc.stderr and "Traceback" not in proc.stderr


def test_package_carries_the_data_commit(repo, tmp_path):
    commit = git(repo, "rev-parse", "HEAD")
    proc = bangfu("export", "--out", str(tmp_path / "pkg"), "--as-of", AS_OF, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    desc = json.loads((tmp_path / "pkg/datapackage.json").read_text("utf-8"))
    assert desc["bangfu"]["data_commit"] == commit
    assert desc["created"] == "2025-03-01T10:00:00+08:00"
    assert desc["version"] == f"2025.3.1+{commit[:12]}"
