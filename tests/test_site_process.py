"""``bangfu site`` hands the records, figures, pages and package over to a child
(``forked.hand_over``) and runs MkDocs once that child has ended: the same site, the same
refusals, nothing left behind when the child fails or is killed, and a stopped child stops its
own children."""

from __future__ import annotations

import os
import shutil
import signal
import time
from multiprocessing import popen_fork
from pathlib import Path

import pytest

from bangfu import forked
from bangfu.pipeline import Pipeline
from bangfu.publish import site as site_mod
from bangfu.publish import xlsx

from .conftest import CASES, ROOT, bangfu_process, build_site, make_case
from .extract_helpers import AS_OF, tree


@pytest.fixture
def two_processes(monkeypatch):
    """The suite runs the commands with one process each (conftest); these tests use two."""
    monkeypatch.setenv("BANGFU_WORKERS", "2")


def _alive(pid: int) -> bool:
    """Whether the process runs: an ended one waiting to be collected (a zombie, which a
    container's first process may never collect) has ended."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _left_behind(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


_WRITE_WORKBOOK = xlsx.write_workbook  # the real one (a test replaces it)


def recorded_workbook(*args):
    """``write_workbook``, noting its process beside the build folder (the workbook's process
    is fresh: it imports this function by name and has no other way to tell the test)."""
    build = next(p for p in Path(args[0]).parents if ".tmp-" in p.name)
    (build.parent / "workbook-pid").write_text(str(os.getpid()))
    return _WRITE_WORKBOOK(*args)


def test_the_records_live_in_a_child_that_has_ended_when_mkdocs_runs(
    real_site, tmp_path, two_processes, monkeypatch
):
    seen: list[tuple[int, int, bool]] = []  # MkDocs: (its process, the figures', alive)
    pids = tmp_path / "pids"
    publishable, mkdocs_build = Pipeline.publishable, site_mod.mkdocs_build

    def recorded(self, *args, **kwargs):
        with open(pids, "a") as f:  # written by whichever process computes the figures
            f.write(f"{os.getpid()}\n")
        return publishable(self, *args, **kwargs)

    def mkdocs_here(*args, **kwargs):
        child = int(pids.read_text().split()[0])
        seen.append((os.getpid(), child, _alive(child)))
        return mkdocs_build(*args, **kwargs)

    monkeypatch.setattr(Pipeline, "publishable", recorded)
    monkeypatch.setattr(xlsx, "write_workbook", recorded_workbook)
    monkeypatch.setattr(site_mod, "mkdocs_build", mkdocs_here)
    two = build_site(ROOT / "data", tmp_path / "out", tmp_path / "src")
    assert two.returncode == 0, two.stderr
    [(mkdocs_pid, child, child_alive)] = seen
    assert child != os.getpid(), "the figures were computed in this process"
    assert mkdocs_pid == os.getpid() and not child_alive, "MkDocs ran beside the records"
    # the child handed over starts children of its own: the workbook has a third process
    assert int((tmp_path / "workbook-pid").read_text()) not in (os.getpid(), child)
    assert tree(tmp_path / "out") == tree(real_site)  # real_site: built by one process
    one = (real_site.parent / "stdout.txt").read_text("utf-8")
    assert two.stdout.split("，", 1)[1].split("用时")[0] == one.split("，", 1)[1].split("用时")[0]


def test_the_console_command_in_three_processes_builds_the_same_site(real_site, tmp_path):
    """``python -m bangfu site`` as a user runs it: the child handed over, the workbook's fresh
    interpreter (which must not run the command again on import) and MkDocs."""
    res = bangfu_process(
        "site", "--data", str(ROOT / "data"), "--out", str(tmp_path / "out"),
        "--src", str(tmp_path / "src"), cwd=ROOT, env={"BANGFU_WORKERS": "2"}, timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr and res.stdout.count("已生成网站") == 1
    assert tree(tmp_path / "out") == tree(real_site)


def test_data_with_errors_is_refused_as_in_one_process(tmp_path, two_processes):
    root = make_case(tmp_path, CASES / "invalid" / "plan-unknown-refs")
    out = tmp_path / "out"
    res = build_site(root / "data", out, tmp_path / "src", "--as-of", AS_OF)
    assert res.returncode == 1
    assert "数据有错误，不生成网站" in res.stderr and "ref." in res.stderr
    assert not out.exists() and _left_behind(tmp_path) == []


def test_a_killed_child_is_a_clear_refusal_and_leaves_nothing(
    real_site, tmp_path, two_processes, monkeypatch
):
    out = tmp_path / "out"
    shutil.copytree(real_site, out)  # a site from before, which must stay as it was
    before = tree(out)

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(site_mod, "prepare", killed)
    res = build_site(ROOT / "data", out, tmp_path / "src")
    assert res.returncode == 1
    assert "网站的页面和开放数据未能完成" in res.stderr and "进程意外退出" in res.stderr
    assert "Traceback" not in res.stderr
    assert tree(out) == before and _left_behind(tmp_path) == []


def _grandchild(pids: Path) -> None:
    pids.write_text(f"{os.getpid()}\n")
    time.sleep(120)  # stopped long before


def _parent_of_one(pids: Path) -> None:
    job = forked.start("孙进程", _grandchild, pids)
    assert job.forked, "a child handed over could not start its own"
    job.wait()


_LAUNCH = popen_fork.Popen._launch  # the real one (a test replaces it)


def _slow_to_note(test_process: int):
    """``multiprocessing``'s start, pausing in a child just after the fork and before the
    new process is noted as its child (on a busy machine the scheduler may do the same)."""

    def launch(self, process_obj):
        _LAUNCH(self, process_obj)
        if os.getpid() != test_process:
            time.sleep(2)

    return launch


@pytest.mark.parametrize("slow", [False, True], ids=["started", "while-starting"])
def test_a_stopped_child_stops_its_own_children(tmp_path, two_processes, monkeypatch, slow):
    if slow:  # the stop arrives while the child handed over is starting its own
        monkeypatch.setattr(popen_fork.Popen, "_launch", _slow_to_note(os.getpid()))
    pids = tmp_path / "pids"
    job = forked.hand_over("测试", _parent_of_one, pids)
    assert job.forked
    deadline = time.monotonic() + 60
    while not pids.exists() or not pids.read_text().endswith("\n"):
        assert time.monotonic() < deadline, "the child started no child"
        time.sleep(0.05)
    grandchild = int(pids.read_text())
    assert _alive(grandchild)
    job.stop()
    deadline = time.monotonic() + 15
    while _alive(grandchild):  # a zombie for a moment at most: its parent has ended
        assert time.monotonic() < deadline, "the grandchild outlived the child that was stopped"
        time.sleep(0.05)
    assert not forked.busy()
