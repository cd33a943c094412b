"""The workbook written by a second process (``forked.py``): the same package as when
one process writes it all, failures of either process reported as clear errors that publish
nothing, and no process left behind."""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from bangfu import check as check_mod
from bangfu import forked
from bangfu.config import Config, PublishRefused
from bangfu.pipeline import Pipeline
from bangfu.publish import extracts, sqlite, xlsx
from bangfu.publish.tableschema import WORKBOOK

from .conftest import bangfu, make_case
from .extract_helpers import AS_OF, export, tree


@pytest.fixture(autouse=True)
def two_processes(monkeypatch):
    """The suite runs the commands with one process each (conftest); these tests use two."""
    monkeypatch.setenv("BANGFU_WORKERS", "2")


@pytest.fixture
def case(tmp_path) -> tuple[Path, Path, dict[str, bytes]]:
    """A small ledger, its package exported once (the old package) and that package's files."""
    root = make_case(tmp_path, None)
    out = export(root / "data", tmp_path / "out")
    return root, out, tree(out)


def _export(root: Path, out: Path) -> None:
    cfg = Config.make(root / "data", None, AS_OF)
    extracts.export(Pipeline(cfg).aggregate(cfg.as_of), out)


def _left_behind(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out"))


# The workbook's process is fresh (``forked.start(..., fresh=True)``): it imports the modules
# itself, so a replacement for ``write_workbook`` reaches it only as a function it can import
# by name (one of this module's). These leave their traces beside the package's staging folder,
# in the test's own folder.


_WRITE_WORKBOOK = xlsx.write_workbook  # the real one (the tests below replace it)


def _beside(path) -> Path:
    return Path(path).parent.parent  # the workbook → the staging folder → the test's folder


_INHERITED: dict[str, bool] = {}  # set by a test: a fork of the test's process has it too


def recorded_workbook(*args):
    with open(_beside(args[0]) / "pids", "a") as f:
        f.write(f"{os.getpid()} {_INHERITED.get('mark', False)}\n")
    _WRITE_WORKBOOK(*args)


def full_disk(*_args):
    raise OSError(28, "No space left on device")


def unpicklable_failure(*_args):
    class Local(Exception):  # a local class: pickle cannot name it
        pass

    raise Local("x")


def killed(*_args):
    os._exit(9)  # as the kernel's OOM killer or a kill leaves it: no answer at all


def slow_workbook(*args):
    (_beside(args[0]) / "started").write_text("yes")
    time.sleep(600)


def test_the_workbook_comes_from_a_fresh_process_and_the_package_is_the_same(
    case, tmp_path, monkeypatch
):
    """Two processes: the workbook's is not a fork of this one (whose memory it would share
    and copy page by page as either reads the tables), yet the package is byte for byte the
    package one process writes, the withheld and unrecorded cells included."""
    root, _, _ = case
    pids = tmp_path / "pids"
    monkeypatch.setattr(xlsx, "write_workbook", recorded_workbook)
    monkeypatch.setitem(_INHERITED, "mark", True)
    _export(root, tmp_path / "two")
    monkeypatch.setenv("BANGFU_WORKERS", "1")
    _export(root, tmp_path / "one")
    (two, two_inherited), (one, _) = (line.split() for line in pids.read_text().splitlines())
    assert int(two) != os.getpid(), "the workbook was not written by a second process"
    assert two_inherited == "False", "the workbook's process was forked from this one"
    assert int(one) == os.getpid(), "BANGFU_WORKERS=1 still started a second process"
    assert tree(tmp_path / "two") == tree(tmp_path / "one")
    with zipfile.ZipFile(tmp_path / "two" / WORKBOOK) as book:
        sheets = [book.read(n) for n in book.namelist() if n.startswith("xl/worksheets/")]
    # a withheld cell's marker: WITHHELD reached the process as itself, not as a stranger
    assert any(b"<t>*</t>" in x for x in sheets) and not any(b"WITHHELD" in x for x in sheets)
    assert mp.active_children() == []


def test_a_failure_in_the_workbook_process_is_raised_here_and_publishes_nothing(
    case, tmp_path, monkeypatch
):
    root, out, before = case
    monkeypatch.setattr(xlsx, "write_workbook", full_disk)
    with pytest.raises(OSError) as err:
        _export(root, out)
    assert err.value.errno == 28
    assert tree(out) == before
    assert _left_behind(tmp_path) == []
    assert mp.active_children() == []


def test_an_exception_that_cannot_travel_is_named(case, monkeypatch):
    root, out, before = case
    monkeypatch.setattr(xlsx, "write_workbook", unpicklable_failure)
    with pytest.raises(PublishRefused, match="Excel 工作簿未能完成：Local"):
        _export(root, out)
    assert tree(out) == before


def test_a_killed_workbook_process_is_a_clear_refusal(case, tmp_path, monkeypatch):
    root, out, before = case
    monkeypatch.setattr(xlsx, "write_workbook", killed)
    proc = bangfu(
        "export", "--data", str(root / "data"), "--out", str(out), "--as-of", AS_OF, cwd=root
    )
    assert proc.returncode == 1
    assert "Excel 工作簿未能完成" in proc.stderr and "退出码 9" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert tree(out) == before
    assert _left_behind(tmp_path) == []


def test_an_error_in_the_other_files_stops_the_workbook_process(case, tmp_path, monkeypatch):
    root, out, before = case
    started = tmp_path / "started"

    def broken(*_args, **_kwargs):
        while not started.exists():  # the workbook's process is running
            time.sleep(0.01)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx, "write_workbook", slow_workbook)
    monkeypatch.setattr(sqlite, "write_sqlite", broken)
    with pytest.raises(OSError):
        _export(root, out)
    assert mp.active_children() == [], "the workbook's process outlived the failed export"
    assert tree(out) == before
    assert _left_behind(tmp_path) == []


def test_the_job_runs_in_this_process_where_one_is_asked_for(monkeypatch):
    monkeypatch.setenv("BANGFU_WORKERS", "1")
    seen = []
    job = forked.start("测试", seen.append, os.getpid())
    assert not job.forked and seen == [os.getpid()]
    job.wait()


# ---------------------------------------------------------------- the check beside the figures


def _pipe(root: Path) -> Pipeline:
    return Pipeline(Config.make(root / "data", None, AS_OF))


def _break_reference(root: Path) -> None:
    plan = root / "data/plans/tc-alpha/tp-one/plan.yaml"
    plan.write_text(plan.read_text("utf-8").replace("- to-helpers", "- no-such-org"), "utf-8")


def test_the_check_runs_in_a_second_process_and_finds_the_same(tmp_path, monkeypatch):
    root = make_case(tmp_path, None)
    run, pids = check_mod.run_first, tmp_path / "pids"

    def recorded(*args, **kwargs):
        with open(pids, "a") as f:
            f.write(f"{os.getpid()}\n")
        return run(*args, **kwargs)

    monkeypatch.setattr(check_mod, "run_first", recorded)
    pipe = _pipe(root)
    agg = pipe.publishable("export")
    assert "figures" in agg.__dict__  # computed while the check ran
    assert int(pids.read_text()) != os.getpid(), "the check did not run in a second process"
    assert mp.active_children() == []
    monkeypatch.setattr(check_mod, "run_first", run)
    alone = _pipe(root)
    assert pipe.result.findings == alone.result.findings
    assert pipe.result.files_checked == alone.result.files_checked
    assert pipe.result.records is pipe.records


def test_a_cross_record_error_refuses_as_before(tmp_path):
    root = make_case(tmp_path, None)
    _break_reference(root)
    with pytest.raises(PublishRefused) as forked_err:
        _pipe(root).publishable("site")
    with pytest.raises(PublishRefused) as alone_err:
        _pipe(root).refuse_if_errors("site")
    assert str(forked_err.value) == str(alone_err.value)
    assert "no-such-org" in str(forked_err.value)


def test_figures_that_fail_on_data_with_errors_give_the_check_refusal(tmp_path, monkeypatch):
    from bangfu import aggregate

    root = make_case(tmp_path, None)
    _break_reference(root)

    def fails(*_args):
        raise KeyError("no-such-org")

    monkeypatch.setattr(aggregate, "compute", fails)
    with pytest.raises(PublishRefused, match="数据有错误，不生成网站"):
        _pipe(root).publishable("site")


def test_figures_that_fail_on_clean_data_are_not_hidden(tmp_path, monkeypatch):
    from bangfu import aggregate

    root = make_case(tmp_path, None)

    def fails(*_args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(aggregate, "compute", fails)
    with pytest.raises(ZeroDivisionError):
        _pipe(root).publishable("site")
    assert mp.active_children() == []


def test_a_killed_check_process_is_a_clear_refusal(tmp_path, monkeypatch):
    root = make_case(tmp_path, None)

    def killed(*_args, **_kwargs):
        os._exit(9)

    monkeypatch.setattr(check_mod, "run_first", killed)
    out = tmp_path / "site"
    proc = bangfu("site", "--data", str(root / "data"), "--out", str(out), cwd=root)
    assert proc.returncode == 1
    assert "数据检查未能完成" in proc.stderr and "退出码 9" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_a_record_that_fails_its_schema_refuses_before_any_figure(tmp_path, monkeypatch):
    from bangfu import aggregate

    root = make_case(tmp_path, None)
    plan = root / "data/plans/tc-alpha/tp-one/plan.yaml"
    plan.write_text(plan.read_text("utf-8") + "no_such_field: 1\n", "utf-8")
    computed = []
    monkeypatch.setattr(aggregate, "compute", lambda *a: computed.append(a))
    with pytest.raises(PublishRefused):
        _pipe(root).publishable("export")
    assert computed == []


def test_the_child_shares_the_parents_objects():
    """Before the fork every object goes out of the collector's reach (``gc.freeze``: the
    child's collections would otherwise write to all of them and copy their pages). What
    the parent gets back is ``test_a_fork_keeps_what_was_frozen_frozen``'s."""
    import gc

    job = forked.start("测试", gc.get_freeze_count)
    assert job.forked
    assert job.wait() > 0  # in the child: what the parent held is frozen
    assert job.forked  # still says where it ran once it has ended


def test_what_was_printed_before_the_fork_is_printed_once(tmp_path):
    """A child flushes its copy of the parent's output buffers when it ends: they must be
    empty at the fork (multiprocessing flushes them), or a line printed before the fork would
    appear twice in a pipe."""
    script = (
        "import sys\n"
        "from bangfu import forked\n"
        "print('已读取数据', end='')\n"
        "forked.start('测试', len, 'ignored').wait()\n"
    )
    env = {**os.environ, "BANGFU_WORKERS": "2"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "已读取数据"


# ---------------------------------------------------------------- the rules in two halves


def _rules_case(tmp_path: Path) -> Path:
    """Findings from rules of both halves: a dangling reference (``refs``, this process) and
    personal data in a report (the privacy rule, the second process)."""
    from .conftest import CASES

    root = make_case(tmp_path, CASES / "invalid" / "pii-in-report")
    _break_reference(root)
    return root


def _rule_findings(root: Path) -> list:
    from bangfu import model, rules
    from bangfu.rules.base import Context

    cfg = Config.make(root / "data", None, AS_OF)
    m = model.build(check_mod.load_checked(cfg).records)
    return rules.run_all(m, Context(as_of=cfg.as_of, schemas_dir=cfg.schemas_dir))


def test_the_rules_in_two_processes_find_what_one_process_finds(tmp_path, monkeypatch):
    from bangfu import rules
    from bangfu.privacy import rule as privacy

    root = _rules_case(tmp_path)
    monkeypatch.setenv("BANGFU_WORKERS", "1")
    alone = _rule_findings(root)
    codes = {f.code for f in alone}
    assert {"ref.unknown-organization", "privacy.personal-data-in-public-field"} <= codes, codes

    pids, check = tmp_path / "pids", privacy.check

    def recorded(*args):
        with open(pids, "a") as f:
            f.write(f"{os.getpid()}\n")
        yield from check(*args)

    monkeypatch.setattr(privacy, "check", recorded)
    monkeypatch.setattr(rules, "PARALLEL_MIN", 1)
    monkeypatch.setenv("BANGFU_WORKERS", "2")
    assert _rule_findings(root) == alone  # the same findings, in the same order
    assert int(pids.read_text()) != os.getpid(), "the privacy rule ran in this process"
    assert mp.active_children() == []


def test_a_killed_rules_process_is_a_clear_error(tmp_path, monkeypatch):
    from bangfu import rules
    from bangfu.privacy import sealrule

    root = _rules_case(tmp_path)

    def killed(*_args):
        os._exit(9)

    monkeypatch.setattr(sealrule, "check", killed)
    monkeypatch.setattr(rules, "PARALLEL_MIN", 1)
    proc = bangfu("check", "--data", str(root / "data"), "--as-of", AS_OF, cwd=root)
    assert proc.returncode == 1
    assert "数据检查未能完成" in proc.stderr and "退出码 9" in proc.stderr
    assert "检查没有完成" in proc.stderr and "Traceback" not in proc.stderr
    assert mp.active_children() == []


def test_a_failing_rule_in_this_process_stops_the_other(tmp_path, monkeypatch):
    from bangfu import rules
    from bangfu.privacy import rule as privacy
    from bangfu.rules import refs

    root = _rules_case(tmp_path)

    def fails(*_args):
        raise ZeroDivisionError("a bug")
        yield  # a generator, like the rules

    pid_file = tmp_path / "child-pid"

    def waits(*_args):  # the other half, still running when this half fails
        pid_file.write_text(str(os.getpid()))
        time.sleep(120)
        yield from ()

    monkeypatch.setattr(refs, "check", fails)
    monkeypatch.setattr(privacy, "check", waits)
    monkeypatch.setattr(rules, "PARALLEL_MIN", 1)
    started = time.monotonic()
    with pytest.raises(ZeroDivisionError):
        _rule_findings(root)
    assert time.monotonic() - started < 60, "the failure waited for the other half"
    assert mp.active_children() == []
    if pid_file.exists():  # the child had begun its half: it was stopped, not left running
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid_file.read_text()), 0)
    assert not forked.busy()


def test_a_child_starts_no_child_of_its_own():
    """The check that runs beside the figures does not split its rules again."""
    assert forked.can_fork()
    job = forked.start("测试", forked.can_fork)
    assert job.forked and job.wait() is False
    assert forked.can_fork()


def test_a_fork_keeps_what_was_frozen_frozen():
    """``load`` freezes the records it read (out of the collector's reach, so a collection
    in a forked child does not copy them); starting a child must not unfreeze them, and
    where nothing was frozen, nothing stays frozen: the parent collects as before."""
    import gc

    earlier = gc.get_freeze_count()  # an earlier test's load, in this worker
    gc.unfreeze()
    try:
        job = forked.start("测试", int)
        assert job.forked and job.wait() == 0
        assert gc.get_freeze_count() == 0
        kept = [[n] for n in range(1000)]
        gc.freeze()
        before = gc.get_freeze_count()
        assert before >= len(kept)
        job = forked.start("测试", len, kept)
        assert job.forked and job.wait() == len(kept)
        assert gc.get_freeze_count() >= before
    finally:
        gc.unfreeze()
        if earlier:
            gc.freeze()


def test_a_second_child_is_not_started_while_one_runs(monkeypatch):
    """While a child of this process runs (the check's rules beside the figures), ``start``
    forks no third process: the disclosure search runs both parts here, same answer."""
    from bangfu import disclosure_parts
    from bangfu.disclosure import Cell, Relation, same

    # two groups of two relations each (a star, one relation alone, needs no search)
    cells = {(g, n): Cell((g, n), v, v) for g in "ab" for n, v in ((0, 7), (1, 2), (2, 5), (3, 5))}
    relations = [
        r for g in "ab" for r in (Relation((g, 0), ((g, 1), (g, 2))), same((g, 2), (g, 3)))
    ]
    monkeypatch.setattr(disclosure_parts, "PARTS_MIN", 1)
    starts, start = [], forked.start

    def recorded(*args, **kwargs):
        starts.append(start(*args, **kwargs))
        return starts[-1]

    monkeypatch.setattr(forked, "start", recorded)
    alone = disclosure_parts.protect_parts(cells, relations, 3)
    assert [job.forked for job in starts] == [True] and not forked.busy()
    starts.clear()
    other = start("测试", time.sleep, 5)
    try:
        assert forked.busy() and not forked.can_fork()
        assert disclosure_parts.protect_parts(cells, relations, 3) == alone
        assert [job.forked for job in starts] == [False]  # no second child: run here
    finally:
        other.stop()
    assert not forked.busy() and forked.can_fork()
    assert alone[0] == {("a", 0), ("a", 1), ("b", 0), ("b", 1)}


def test_a_child_that_has_ended_no_longer_counts_as_running():
    """The check's rules end long before the figures need their findings: once its answer is
    in the pipe, the child's core is free, and the disclosure search may fork. Its answer, a
    failure or its death still reach ``wait`` unchanged."""

    def until_ended(job):
        assert job.forked
        deadline = time.monotonic() + 30
        while forked.busy() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not forked.busy() and forked.can_fork()
        assert mp.active_children() == []  # collected: no child left to wait for

    job = forked.start("测试", sorted, [3, 1, 2])
    until_ended(job)
    assert job.wait() == [1, 2, 3]
    assert job.wait() == [1, 2, 3]

    job = forked.start("测试", int, "not a number")
    until_ended(job)
    for _ in range(2):  # a failure is raised by every wait, not only the first
        with pytest.raises(ValueError):
            job.wait()

    job = forked.start("测试", os._exit, 9)
    until_ended(job)
    for _ in range(2):
        with pytest.raises(PublishRefused, match="退出码 9"):
            job.wait()

    job = forked.start("测试", time.sleep, 5)
    try:
        assert forked.busy() and not forked.can_fork()  # still working: still counts
    finally:
        job.stop()
    assert not forked.busy()

    job = forked.start("测试", sorted, [2, 1])
    until_ended(job)
    inner = forked.start("测试", forked.can_fork)  # the core is free again: a second child
    assert inner.forked and inner.wait() is False
    assert job.wait() == [1, 2]


def test_a_counter_for_this_process_alone_gives_each_index_once():
    """Where no child takes shares (``forked.can_fork`` false), the counter needs no shared
    memory nor semaphore, and still gives each index once, then None."""
    counter = forked.Counter(shared=False)
    assert [counter.take(3) for _ in range(5)] == [0, 1, 2, None, None]
    assert counter.take(4) == 3 and counter.take(4) is None


class _CollectorState:
    """Pickled in the child as its answer: it carries whether the collector was on then."""

    def __reduce__(self):
        import gc

        return (bool, (gc.isenabled(),))


def test_a_child_sends_its_answer_with_the_collector_off():
    """The child ends once its answer is sent: a collection then would only walk what its
    function made (after the disclosure search, a million cells), so it is off."""
    job = forked.start("测试", _CollectorState)
    assert job.forked and job.wait() is False
    import gc

    assert gc.isenabled()  # here, as it was


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def test_a_whole_check_writes_its_index_here_while_the_second_half_runs(tmp_path, monkeypatch):
    """``check.run`` over the whole folder: the reference index and names store are written by
    this process beside the child's half of the rules (``rules.run_all(beside=…)``), and are
    the same, as are the findings, as when one process does it all."""
    import shutil

    from bangfu import cache, refindex, rules
    from bangfu.privacy import rule as privacy

    root = _rules_case(tmp_path)
    (root / cache.DIRNAME).mkdir()  # a parse cache, reference index and verdicts are kept
    cfg = Config.make(root / "data", None, AS_OF)
    monkeypatch.setenv("BANGFU_CACHE", "1")
    monkeypatch.setenv("BANGFU_WORKERS", "1")
    alone = check_mod.run(cfg).findings
    folder = refindex.index_dir(cfg.data_root, cfg.schemas_dir)

    def shards() -> dict[str, bytes]:  # the names store's digests are keyed anew each time
        return {
            p.name: p.read_bytes() for p in folder.iterdir() if p.name[:5] in ("house", "plan-")
        }

    before = shards()
    assert any(p.startswith("household-") for p in before), sorted(before)
    for p in cache.cache_dir(cfg.data_root).iterdir():  # neither the index nor the verdict
        if p.name.startswith(("index-", "verdict-")):
            shutil.rmtree(p) if p.is_dir() else p.unlink()

    pids, write, check = tmp_path / "pids", refindex.write_index, privacy.check

    def noted(name, fn):
        def run(*args):
            if name == "privacy":  # the child's half waits (at most 30 s) for the index to start:
                ends = time.monotonic() + 30  # a tiny case would end before it otherwise
                while time.monotonic() < ends and "index" not in _read(pids):
                    time.sleep(0.01)
            busy = forked.busy()
            with open(pids, "a") as f:
                f.write(f"{name} {os.getpid()} {busy}\n")
            return fn(*args)

        return run

    monkeypatch.setattr(refindex, "write_index", noted("index", write))
    monkeypatch.setattr(privacy, "check", noted("privacy", check))
    monkeypatch.setattr(rules, "PARALLEL_MIN", 1)
    monkeypatch.setenv("BANGFU_WORKERS", "2")
    assert check_mod.run(cfg).findings == alone
    ran = {name: rest for name, *rest in map(str.split, pids.read_text().splitlines())}
    assert ran["index"] == [str(os.getpid()), "True"], ran  # here, the child running
    assert ran["privacy"][0] != str(os.getpid()), ran
    assert shards() == before and (folder / "names.marshal").is_file()
    assert mp.active_children() == []
