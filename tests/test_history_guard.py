"""The history guard compares records by identity, wherever their files went: moving a report
out of data/, to a hidden name or with its whole plan folder removes it from the ledger and is
blocked; moving a plan to another valid folder keeps every record and is not. Also: households
with identification history cannot be deleted, and odd tree entries never crash or mislead
``bangfu review``. Real Git repositories in temp folders, the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bangfu.codes import (
    FILE_HIDDEN,
    FILE_SYMLINK,
    FILE_TOO_LARGE,
    HISTORY_ENTRY_CHANGED,
    HISTORY_ENTRY_REMOVED,
    HISTORY_HOUSEHOLD_DELETED,
    HISTORY_REPORT_DELETED,
    ID_MISMATCH_PATH,
)
from tests.conftest import DEFAULT_AS_OF, bangfu, commit, git, init_repo, make_case

PLAN_DIR = "data/plans/tc-alpha/tp-one"
REPORT = f"{PLAN_DIR}/reports/2024-03.yaml"
HOUSEHOLD = "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"
LONE = "data/households/tc-alpha/tc-alpha-east-pine/h-0002.yaml"  # referenced by nothing


@pytest.fixture
def repo(tmp_path) -> Path:
    """The base case plus an unreferenced household with identification history, committed."""
    root = make_case(tmp_path, None)
    lone = root / LONE
    lone.parent.mkdir(parents=True)
    lone.write_text(
        (root / HOUSEHOLD)
        .read_text("utf-8")
        .replace("id: h-0001", "id: h-0002")
        .replace("village: tc-alpha-east-willow", "village: tc-alpha-east-pine"),
        "utf-8",
    )
    return init_repo(root)


def review(root: Path, base: str = "main~1") -> tuple[int, dict]:
    proc = bangfu("review", base, "HEAD", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def codes(doc: dict, section: str = "history") -> set[tuple[str, str]]:
    return {(f["file"], f["code"]) for f in doc[section]}


def mv(root: Path, src: str, dest: str) -> None:
    (root / dest).parent.mkdir(parents=True, exist_ok=True)
    git(root, "mv", src, dest)


def test_git_mv_of_a_submitted_report_out_of_data_is_a_deletion(repo):
    mv(repo, REPORT, "attic/2024-03.yaml")
    commit(repo, "报告移出 data/")
    rc, doc = review(repo)
    assert rc == 1
    assert codes(doc) == {(REPORT, HISTORY_REPORT_DELETED.code)}


def test_git_mv_of_a_submitted_report_to_a_hidden_name_is_a_deletion(repo):
    hidden = f"{PLAN_DIR}/reports/.2024-03.yaml"
    mv(repo, REPORT, hidden)
    commit(repo, "报告改成隐藏文件")
    rc, doc = review(repo)
    assert rc == 1
    assert codes(doc) == {(REPORT, HISTORY_REPORT_DELETED.code)}
    # the hidden file itself is named as a file that is no record
    assert (hidden, FILE_HIDDEN.code) in codes(doc, "findings")


def test_git_mv_of_a_report_into_a_hidden_folder_is_a_deletion(repo):
    mv(repo, REPORT, f"{PLAN_DIR}/.reports/2024-03.yaml")
    commit(repo, "报告移进隐藏文件夹")
    rc, doc = review(repo)
    assert rc == 1 and codes(doc) == {(REPORT, HISTORY_REPORT_DELETED.code)}


def test_git_mv_of_a_whole_plan_folder_out_of_data_deletes_its_reports(repo):
    mv(repo, PLAN_DIR, "attic/tp-one")
    commit(repo, "整个方案移出 data/")
    rc, doc = review(repo)
    assert rc == 1
    assert (REPORT, HISTORY_REPORT_DELETED.code) in codes(doc)


def test_git_mv_of_a_report_to_another_plan_changes_its_identity_and_is_a_deletion(repo):
    mv(repo, REPORT, "data/plans/tc-alpha/tp-two/reports/2024-03.yaml")
    commit(repo, "报告挪到别的方案")
    rc, doc = review(repo)
    assert rc == 1 and (REPORT, HISTORY_REPORT_DELETED.code) in codes(doc)


def _second_county(root: Path) -> None:
    text = (root / "data/counties/tc-alpha.yaml").read_text("utf-8")
    (root / "data/counties/tc-beta.yaml").write_text(text.replace("tc-alpha", "tc-beta"), "utf-8")


def test_git_mv_of_a_plan_to_another_county_folder_with_its_reports_is_not_a_deletion(repo):
    _second_county(repo)
    mv(repo, PLAN_DIR, "data/plans/tc-beta/tp-one")
    plan = repo / "data/plans/tc-beta/tp-one/plan.yaml"
    plan.write_text(plan.read_text("utf-8").replace("county: tc-alpha", "county: tc-beta"), "utf-8")
    commit(repo, "方案划到另一个区县")
    rc, doc = review(repo)
    assert doc["history"] == [] and doc["findings"] == [], doc
    assert rc == 0


def test_an_entry_removed_from_a_report_while_its_plan_moves_is_still_caught(repo):
    """Pairing by identity does not depend on Git's rename detection."""
    _second_county(repo)
    mv(repo, PLAN_DIR, "data/plans/tc-beta/tp-one")
    moved = repo / "data/plans/tc-beta/tp-one/reports/2024-03.yaml"
    text = moved.read_text("utf-8")
    kept = text[: text.index("  - date: 2024-03-12")]
    extra = "".join(
        f"  - date: 2024-03-{d}\n    household: h-0001\n    kind: 电话回访\n"
        f"    content: 第 {d} 日电话回访，了解务工收入、医疗报销和子女上学情况\n"
        for d in range(13, 29)
    )
    moved.write_text(kept + extra, "utf-8")
    commit(repo, "搬家并删掉一条")
    status = git(repo, "diff", "--name-status", "-M", "main~1", "HEAD", "--", "*2024-03.yaml")
    assert status.split()[0] == "D", status  # Git itself sees a deletion plus an addition
    rc, doc = review(repo)
    assert rc == 1
    # the old entry 1 is gone (the diff pairs it with the first new entry, so: changed)
    [f] = doc["history"]
    assert (f["file"], f["path"]) == (str(moved.relative_to(repo)), "$.entries[1]")
    assert f["code"] in (HISTORY_ENTRY_REMOVED.code, HISTORY_ENTRY_CHANGED.code)


def test_deleting_an_unreferenced_household_with_identification_history_is_blocking(repo):
    (repo / LONE).unlink()
    commit(repo, "删除户")
    rc, doc = review(repo)
    assert rc == 1
    assert codes(doc) == {(LONE, HISTORY_HOUSEHOLD_DELETED.code)}
    [f] = doc["history"]
    assert "退出" in f["hint"]


def test_moving_a_household_with_identification_history_out_of_data_is_blocking(repo):
    mv(repo, LONE, "attic/h-0002.yaml")
    commit(repo, "户移出 data/")
    rc, doc = review(repo)
    assert rc == 1 and codes(doc) == {(LONE, HISTORY_HOUSEHOLD_DELETED.code)}


def test_deleting_an_unreferenced_household_without_history_is_allowed(repo):
    lone = repo / LONE
    text = lone.read_text("utf-8")
    start = text.index("identification:")
    lone.write_text(text[:start] + text[text.index("head:") :], "utf-8")
    commit(repo, "户没有认定步骤")
    lone.unlink()
    commit(repo, "删除户")
    rc, doc = review(repo)
    assert rc == 0 and doc["history"] == [], doc


def test_a_symlink_in_data_is_a_finding_and_is_never_followed(repo, tmp_path):
    secret = tmp_path / "outside.yaml"
    secret.write_text("id: '2024-04'\nnote: CANARY-OUTSIDE-7731\n", "utf-8")
    link = repo / f"{PLAN_DIR}/reports/2024-04.yaml"
    link.symlink_to(secret)
    (repo / REPORT).unlink()
    (repo / REPORT).symlink_to(secret)  # a submitted report replaced by a link
    commit(repo, "符号链接")
    proc = bangfu(
        "review", "main~1", "HEAD", "--format", "markdown", "--as-of", DEFAULT_AS_OF, cwd=repo
    )
    assert "Traceback" not in proc.stderr and "CANARY-OUTSIDE-7731" not in proc.stdout
    rc, doc = review(repo)
    assert rc == 1
    assert {
        (f"{PLAN_DIR}/reports/2024-04.yaml", FILE_SYMLINK.code),
        (REPORT, FILE_SYMLINK.code),
    } <= (codes(doc, "findings"))
    assert codes(doc) == {(REPORT, HISTORY_REPORT_DELETED.code)}


def test_a_huge_file_and_an_odd_file_name_in_data_do_not_crash_review(repo):
    big = repo / f"{PLAN_DIR}/reports/2024-05.yaml"
    big.write_bytes(b"id: '2024-05'\nnote: " + b"x" * (5 * 1024 * 1024) + b"\n")
    odd = repo / "data/households/tc-alpha/tc-alpha-east-pine/h-0003\n.yaml"
    odd.write_text("id: h-0003\n", "utf-8")
    commit(repo, "大文件和怪文件名")
    rc, doc = review(repo)
    assert rc == 1
    got = codes(doc, "findings")
    assert (f"{PLAN_DIR}/reports/2024-05.yaml", FILE_TOO_LARGE.code) in got
    # the file with a newline in its name was read (its id does not match that name)
    assert (str(odd.relative_to(repo)), ID_MISMATCH_PATH.code) in got


def test_data_folder_replaced_by_a_symlink_deletes_every_record(repo, tmp_path):
    outside = tmp_path / "outside"
    shutil.move(repo / "data", outside)
    (repo / "data").symlink_to(outside)
    commit(repo, "data/ 换成链接")
    rc, doc = review(repo)
    assert rc == 1
    assert ("data", FILE_SYMLINK.code) in codes(doc, "findings")
    assert {
        (REPORT, HISTORY_REPORT_DELETED.code),
        (LONE, HISTORY_HOUSEHOLD_DELETED.code),
        (HOUSEHOLD, HISTORY_HOUSEHOLD_DELETED.code),
    } <= codes(doc)
