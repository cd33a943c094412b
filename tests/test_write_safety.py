"""Writers never lose or half-write data: one writer at a time, a journal that a killed import
is rolled back or forward from, a full disk as a finding, ids that cannot leave ``data/``,
and open data that equals the record (formula-like text is defused only for spreadsheets)."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from bangfu.cli import main
from bangfu.codes import WRITE_DISK_FULL
from bangfu.yamlio import WriteError, is_tool_temp, write_all, writing

from .conftest import DEFAULT_AS_OF, ROOT, bangfu, bangfu_process, git, init_repo, make_case
from .sheet_helpers import FILING_FIELDS, fill, template, tree_hash
from .write_helpers import full_disk

REPORT = "data/plans/tc-alpha/tp-one/reports/2024-04.yaml"
PAUSE = "BANGFU_TEST_WRITE_PAUSE"


def progress(repo: Path, name: str, content: str) -> Path:
    path = template(repo, "progress", name, "--plan", "tp-one")
    entry = {
        "走访日期": dt.date(2024, 4, 3),
        "帮扶户": "h-0001（柳村）",
        "活动类别": "走访",
        "帮扶内容": content,
    }
    return fill(
        path,
        "进度",
        {"报送期": "2024-04", "报送日期": dt.date(2024, 4, 25)},
        {"【帮扶内容】": [entry]},
    )


def filing(repo: Path, households: int) -> Path:
    """A filing form that creates a plan and ``households`` new households (canary names)."""
    path = template(repo, "filing", "f.xlsx", "--county", "tc-alpha")
    fields = {**FILING_FIELDS, "方案名称": "松村帮扶方案"}
    targets = [
        {
            "对象类型": "帮扶户",
            "所在村": "东乡松村（tc-alpha-east-pine）",
            "户主姓名": f"金丝雀{i:02d}",
            "联系电话": f"136000000{i:02d}",
            "监测类别": "脱贫不稳定户",
            "监测状态": "风险未消除",
            "家庭人口": 3,
            "收入年度": 2023,
            "人均纯收入（元）": 5200,
        }
        for i in range(households)
    ]
    sections = {
        "【帮扶主体】": [{"帮扶主体": "测试爱心协会（to-helpers）"}],
        "【帮扶对象】": targets,
        "【帮扶措施】": [{"措施类别": "资金", "措施内容": "产业扶持资金", "计划金额（元）": 5000}],
    }
    return fill(path, "报备", fields, sections)


def temps(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if is_tool_temp(p.name))


def git_repo(repo: Path) -> None:
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    init_repo(repo)


def git_untracked(repo: Path) -> list[str]:
    return [
        line[3:]
        for line in git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    ]


def start_import(repo: Path, xlsx: Path, pause: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bangfu", "import", str(xlsx), "--as-of", DEFAULT_AS_OF],
        cwd=repo,
        env={**os.environ, PAUSE: pause},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def journal_state(repo: Path) -> str | None:
    try:
        return json.loads((repo / ".bangfu-journal").read_text("utf-8"))["state"]
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- item 9: concurrent imports


RACER = """
import sys, time
from pathlib import Path
ready, barrier = Path(sys.argv[1]), Path(sys.argv[2])
from bangfu.cli import main
ready.write_text("ready")
while not barrier.exists():
    time.sleep(0.005)
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.slow
def test_two_imports_of_the_same_plan_and_period_at_once_write_one_report_and_lose_none(
    tmp_path,
):
    repo = make_case(tmp_path, None)
    books = [progress(repo, f"p{i}.xlsx", f"进程{i}的走访") for i in range(2)]
    before = tree_hash(repo / "data")
    barrier = tmp_path / "go"
    procs = []
    for i, book in enumerate(books):
        args = ["import", str(book), "--as-of", DEFAULT_AS_OF]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", RACER, str(tmp_path / f"ready{i}"), str(barrier), *args],
                cwd=repo,
                # the first writer holds the lock for seconds, longer than the second waits
                env={**os.environ, PAUSE: "2.5"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    wait_for(lambda: all((tmp_path / f"ready{i}").exists() for i in range(2)))
    barrier.write_text("go")
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for *_, err in results:
        assert "Traceback" not in err, err
    winners = [r for r in results if r[0] == 0]
    losers = [r for r in results if r[0] != 0]
    assert len(winners) == 1 and len(losers) == 1, results
    assert f"已写入 {REPORT}（新建）" in winners[0][1]
    assert "[write.locked]" in losers[0][1] and "已写入" not in losers[0][1]
    winner = results.index(winners[0])
    report = yaml.safe_load((repo / REPORT).read_text("utf-8"))
    assert [e["content"] for e in report["entries"]] == [f"进程{winner}的走访"]
    assert tree_hash(repo / "data") != before and not temps(repo)
    # the loser's data is not lost: importing it now is refused as a second report
    again = bangfu("import", str(books[1 - winner]), "--as-of", DEFAULT_AS_OF, cwd=repo)
    assert again.returncode == 1 and "[sheet.report-exists]" in again.stdout


@pytest.mark.slow
def test_new_and_fmt_refuse_to_write_while_another_writer_holds_the_lock(tmp_path):
    repo = make_case(tmp_path, None)
    messy = repo / "data/campaigns/tk-campaign.yaml"
    messy.write_text(messy.read_text("utf-8").replace("  - tc-alpha", "- tc-alpha"), "utf-8")
    before = tree_hash(repo / "data")
    # the lock is between processes: the writers run apart, and wait for it at once (each
    # gives up after writes.LOCK_WAIT)
    with writing(repo / "data"), ThreadPoolExecutor(2) as pool:
        waits = [
            pool.submit(bangfu_process, *args, cwd=repo)
            for args in (("new", "source", "--id", "locked-out", "--name", "x"), ("fmt",))
        ]
        check = bangfu_process("check", "--as-of", DEFAULT_AS_OF, cwd=repo)
        new, fmt = (w.result() for w in waits)
    assert new.returncode == 1 and "[write.locked]" in new.stdout, new.stdout + new.stderr
    assert fmt.returncode == 1 and "[write.locked]" in fmt.stdout, fmt.stdout + fmt.stderr
    assert "Traceback" not in new.stderr + fmt.stderr
    assert check.returncode == 0, check.stdout  # reading never waits for the lock
    assert tree_hash(repo / "data") == before
    assert bangfu("fmt", cwd=repo).returncode == 0 and tree_hash(repo / "data") != before


def test_import_refuses_a_target_created_after_it_was_planned(tmp_path, monkeypatch, capsys):
    """Compare-and-swap: a report someone else wrote while the import was checking is kept."""
    import bangfu.sheets.importer as importer

    repo = make_case(tmp_path, None)
    book = progress(repo, "p.xlsx", "本次导入的内容")
    theirs = "# 别人刚写的报告\n"
    real = importer.check_overlay

    def overlay_then_someone_writes(*args, **kwargs):
        found = real(*args, **kwargs)
        (repo / REPORT).write_text(theirs, "utf-8")
        return found

    monkeypatch.setattr(importer, "check_overlay", overlay_then_someone_writes)
    rc = main(["import", str(book), "--data", str(repo / "data"), "--as-of", DEFAULT_AS_OF])
    out = capsys.readouterr().out
    assert rc == 1 and "[write.conflict]" in out and REPORT in out
    assert (repo / REPORT).read_text("utf-8") == theirs and not temps(repo)


# ---------------------------------------------------------------- kill -9 and a full disk


def test_kill_during_import_staging_leaves_ignored_temps_that_the_next_run_rolls_back(tmp_path):
    repo = make_case(tmp_path, None)
    book = filing(repo, 12)
    git_repo(repo)
    before = tree_hash(repo / "data")
    proc = start_import(repo, book, "0.3")
    wait_for(lambda: journal_state(repo) == "staging" and len(temps(repo / "data")) >= 3)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)  # reap it and close its pipes
    left = temps(repo / "data")
    assert left, "the kill came while files were staged"
    assert any("金丝雀" in p.read_text("utf-8") for p in left)  # private values sit in temps…
    assert git_untracked(repo) == [], "…so git must ignore them and the journal"

    check = bangfu("check", "--as-of", DEFAULT_AS_OF, cwd=repo)
    assert "[write.recovered]" in check.stdout and check.returncode == 0, check.stdout
    assert not temps(repo) and not (repo / ".bangfu-journal").exists()
    assert tree_hash(repo / "data") == before, "rolled back: the ledger as it was"


@pytest.mark.slow
def test_kill_during_import_renames_is_rolled_forward_by_the_next_writer(tmp_path):
    clean = make_case(tmp_path / "clean", None)
    book = filing(clean, 12)
    assert bangfu("import", str(book), "--as-of", DEFAULT_AS_OF, cwd=clean).returncode == 0
    expected = tree_hash(clean / "data")

    repo = make_case(tmp_path / "killed", None)
    before = tree_hash(repo / "data")
    proc = start_import(repo, book, "rename=0.3")  # staged at once, then renamed slowly
    plans = repo / "data/plans/tc-alpha"
    wait_for(lambda: journal_state(repo) == "renaming" and len(list(plans.iterdir())) > 1)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)  # reap it and close its pipes
    half = tree_hash(repo / "data")
    assert half not in (before, expected), "the kill left a half-written ledger"
    assert temps(repo / "data")

    fmt = bangfu("fmt", cwd=repo)  # any writer finishes the interrupted write first
    assert "[write.recovered]" in fmt.stdout and fmt.returncode == 0, fmt.stdout
    assert not temps(repo) and not (repo / ".bangfu-journal").exists()
    assert tree_hash(repo / "data") == expected, "rolled forward: the whole import"
    assert bangfu("check", "--as-of", DEFAULT_AS_OF, cwd=repo).returncode == 0


def test_full_disk_during_import_is_a_finding_and_writes_nothing(tmp_path, monkeypatch, capsys):
    repo = make_case(tmp_path, None)
    book = filing(repo, 5)
    before = tree_hash(repo / "data")
    full_disk(monkeypatch, errno.ENOSPC, after=3)
    rc = main(["import", str(book), "--data", str(repo / "data"), "--as-of", DEFAULT_AS_OF])
    captured = capsys.readouterr()
    assert rc == 1 and "[write.disk-full]" in captured.out, captured.out
    assert "Traceback" not in captured.err + captured.out and "已写入" not in captured.out
    assert tree_hash(repo / "data") == before
    assert not temps(repo) and not (repo / ".bangfu-journal").exists()


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_write_all_on_a_full_disk_raises_a_finding_and_leaves_nothing(tmp_path, monkeypatch, err):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.yaml").write_text("old: 1\n")
    full_disk(monkeypatch, err, after=2)  # the journal and the first file get written
    with writing(data), pytest.raises(WriteError) as info:
        write_all([(data / "a.yaml", "new: 1\n"), (data / "b/c.yaml", "new: 2\n")], data)
    assert [f.code for f in info.value.findings] == [WRITE_DISK_FULL.code]
    assert info.value.findings[0].file == "data/b/c.yaml"
    assert (data / "a.yaml").read_text() == "old: 1\n" and not (data / "b/c.yaml").exists()
    assert not temps(tmp_path) and not (tmp_path / ".bangfu-journal").exists()


def test_a_planted_journal_cannot_move_or_remove_other_files(tmp_path):
    repo = make_case(tmp_path, None)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    victim = repo / "data/sources/test-source.yaml"
    planted = {"state": "staging", "files": [["../../outside.txt", "outside.txt"]]}
    (repo / ".bangfu-journal").write_text(json.dumps(planted))
    check = bangfu("check", "--as-of", DEFAULT_AS_OF, cwd=repo)
    assert "[write.journal-invalid]" in check.stdout and check.returncode == 1
    assert outside.read_text() == "keep"
    planted = {"state": "staging", "files": [["sources/x.yaml", victim.name]]}
    (repo / ".bangfu-journal").write_text(json.dumps(planted))
    new = bangfu("new", "source", "--id", "another", "--name", "x", cwd=repo)
    assert "[write.journal-invalid]" in new.stdout and new.returncode == 1 and victim.exists()
    assert not (repo / "data/sources/another.yaml").exists(), "nothing is written past it"
    fmt = bangfu("fmt", cwd=repo)
    assert "[write.journal-invalid]" in fmt.stdout and fmt.returncode == 1
    assert "Traceback" not in check.stderr + new.stderr + fmt.stderr


def test_tool_temp_names_are_recognised_and_git_ignored(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    git_repo(tmp_path)
    with writing(data):
        write_all([(data / "a.yaml", "a: 1\n")], data)
    assert [p.name for p in data.iterdir()] == ["a.yaml"]
    name = ".h-0001.yaml.bangfu-tmp-0123abcd"
    assert is_tool_temp(name) and is_tool_temp(".bangfu-journal.bangfu-tmp-89abcdef")
    for other in (".h-0001.yaml", "h-0001.yaml.bangfu-tmp-0123abcd", ".x.bangfu-tmp-12", ".x.tmp"):
        assert not is_tool_temp(other), other
    (data / name).write_text("head: 金丝雀\n")
    (tmp_path / ".bangfu-journal").write_text("{}")
    assert git_untracked(tmp_path) == ["data/a.yaml"]


# ---------------------------------------------------------------- new: ids cannot leave data/


BAD_IDS = [
    ["source", "--id", "/tmp/abs-path", "--name", "x"],
    ["source", "--id", "../..", "--name", "x"],
    ["source", "--id", "ok-id\n", "--name", "x"],
    ["county", "--id", "../../escape", "--name", "x", "--province", "p"],
    ["household", "--county", "../..", "--village", "tc-alpha-east-pine"],
    ["household", "--county", "tc-alpha", "--village", "/etc"],
    ["household", "--county", "tc-alpha", "--village", "tc-alpha-east-pine", "--id", "../h"],
    [
        "plan",
        "--id",
        "a/b",
        "--county",
        "tc-alpha",
        "--campaign",
        "tk-campaign",
        "--organization",
        "to-helpers",
    ],  # fmt: skip
    ["report", "--county", "tc-alpha", "--plan", "../../x", "--period", "2024-05"],
    ["report", "--county", "tc-alpha", "--plan", "tp-one", "--period", "../2024-05"],
    ["organization", "--id", "to-x", "--name", "x", "--county", "tc-alpha", "--source", "a b"],
]


@pytest.mark.parametrize("args", BAD_IDS, ids=lambda a: " ".join(a).replace("\n", "\\n"))
def test_new_with_an_id_that_is_a_path_writes_nothing_anywhere(tmp_path, args):
    repo = make_case(tmp_path, None)
    before = tree_hash(tmp_path)
    proc = bangfu("new", *args, "--as-of", DEFAULT_AS_OF, cwd=repo)
    assert proc.returncode == 2 and "[arg.invalid-id]" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert tree_hash(tmp_path) == before


def test_new_refuses_a_path_that_a_symlink_leads_out_of_data(tmp_path):
    repo = make_case(tmp_path, None)
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "data/households/tc-evil").symlink_to(outside, target_is_directory=True)
    proc = bangfu(
        "new", "household", "--county", "tc-evil", "--village", "tc-evil-v", "--id", "h-0009",
        cwd=repo,
    )  # fmt: skip
    assert proc.returncode == 2 and "[arg.outside-data]" in proc.stderr, proc.stderr
    assert list(outside.rglob("*")) == []


# ---------------------------------------------------------------- formula-like text


FORMULAS = {
    "organization": ('=HYPERLINK("http://x","y")', "+1"),  # name, supervising unit
    "campaign": "-1",
    "plan": "@x",
}


def test_canonical_csv_keeps_formula_like_text_exact_and_only_excel_copies_defuse_it(tmp_path):
    repo = make_case(tmp_path, None)
    data = repo / "data"
    org = data / "organizations/to-helpers.yaml"
    name, unit = FORMULAS["organization"]
    org.write_text(
        org.read_text("utf-8")
        .replace("name: 测试爱心协会", f"name: '{name}'")
        .replace("county: tc-alpha", f"county: tc-alpha\nsupervising_unit: '{unit}'"),
        "utf-8",
    )
    camp = data / "campaigns/tk-campaign.yaml"
    camp.write_text(camp.read_text("utf-8").replace("name: 测试专项行动", "name: '-1'"), "utf-8")
    plan = data / "plans/tc-alpha/tp-one/plan.yaml"
    plan.write_text(plan.read_text("utf-8").replace("name: 测试方案", "name: '@x'"), "utf-8")
    out = tmp_path / "out"
    proc = bangfu("export", "--out", str(out), "--as-of", "2026-06-30", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    def rows(path: Path, encoding="utf-8") -> list[dict]:
        return list(csv.DictReader(io.StringIO(path.read_bytes().decode(encoding), newline="")))

    cases = [
        ("organizations", "name", name),
        ("organizations", "supervising_unit", unit),
        ("campaigns", "name", "-1"),
        ("plans", "name", "@x"),
    ]
    for table, column, value in cases:
        canonical = rows(out / f"{table}.csv")
        assert [r[column] for r in canonical] == [value], (table, column)
        raw = (out / f"{table}.csv").read_bytes()
        assert value.replace('"', '""').encode() in raw and b"'" + value[:1].encode() not in raw
        excel = (out / "excel" / f"{table}.csv").read_bytes().decode("utf-8-sig")
        assert "'" + value.replace('"', '""') in excel, (table, column)
    wb = load_workbook(out / "bangfu-tables.xlsx")
    found = {
        c.value: c
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value in (name, unit, "-1", "@x")
    }
    assert set(found) == {name, unit, "-1", "@x"}
    for c in found.values():
        assert c.data_type == "s" and c.quotePrefix, c.value
    with zipfile.ZipFile(out / "bangfu-tables.xlsx") as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    descriptor = json.loads((out / "datapackage.json").read_text("utf-8"))
    assert "完全一致" in descriptor["description"]
