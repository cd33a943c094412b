"""Letting go of the households' and reports' data once the aggregate has read them
(``Model.release``, ``Pipeline.publishable(..., release=True)``, used by ``bangfu site``):
the same figures, the ids kept, the data gone, and the check's errors refuse as before."""

from __future__ import annotations

import os
import threading
import time

import pytest

from bangfu import model as model_mod
from bangfu.aggregate import store
from bangfu.config import Config, PublishRefused
from bangfu.pipeline import Pipeline
from bangfu.rules import cycle

from .conftest import CASES, build_site, make_case

AS_OF = "2026-01-31"


def _pipe(data) -> Pipeline:
    return Pipeline(Config.make(data, as_of=AS_OF))


@pytest.mark.parametrize("workers", ["1", "2"])  # the check here first, or in a child beside
def test_released_records_give_the_same_figures(tmp_path, monkeypatch, workers):
    monkeypatch.setenv("BANGFU_WORKERS", workers)
    data = make_case(tmp_path, None) / "data"
    kept = _pipe(data).publishable("site")
    pipe = _pipe(data)
    agg = pipe.publishable("site", release=True)

    assert {n: t.rows for n, t in agg.tables.items()} == {n: t.rows for n, t in kept.tables.items()}
    assert agg.figs == kept.figs and agg.status == kept.status
    assert (agg.as_of, agg.updated, agg.synthetic) == (kept.as_of, kept.updated, kept.synthetic)

    bulk = [r for r in pipe.records if r.kind in model_mod.BULK]
    assert {r.kind for r in bulk} == {"household", "report"}
    for rec in bulk:  # the ids stay indexed, the data is gone
        assert rec.id is not None and rec.facts is None
        with pytest.raises(RuntimeError, match="已释放"):
            rec.data  # noqa: B018
    assert pipe.model.ids("household") == kept.model.ids("household")
    assert {p: [r.id for r in rs] for p, rs in pipe.model.reports_by_plan.items()} == {
        p: [r.id for r in rs] for p, rs in kept.model.reports_by_plan.items()
    }
    plans = [r for r in pipe.records if r.kind == "plan"]
    assert plans and all(isinstance(r.data, dict) for r in plans)  # other kinds are whole


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_supervisor_rows_are_computed_once_by_the_checks_process(
    tmp_path, monkeypatch, workers
):
    """With ``release``, the aggregate's supervisor rows are computed by the process that
    runs the check's first half (a child, with two processes), once, and the figures are those
    computed all here."""
    monkeypatch.setenv("BANGFU_WORKERS", workers)
    data = make_case(tmp_path, CASES / "valid" / "cycle-rules") / "data"
    kept = _pipe(data).publishable("site")
    calls = tmp_path / "calls"
    real = cycle.supervisor_rows

    def recorded(*args):
        rows = real(*args)
        with open(calls, "a") as f:
            f.write(f"{os.getpid()} {len(rows)} {sum(found for _, _, found in rows)}\n")
        return rows

    monkeypatch.setattr(cycle, "supervisor_rows", recorded)
    monkeypatch.setattr(store, "supervisor_rows", recorded)
    agg = _pipe(data).publishable("site", release=True)
    [(pid, rows, found)] = [line.split() for line in calls.read_text().splitlines()]
    assert (int(pid) != os.getpid()) == (workers == "2")
    assert int(rows) > 10 and int(found) > 0  # rows the figures count
    assert {n: t.rows for n, t in agg.tables.items()} == {n: t.rows for n, t in kept.tables.items()}
    assert agg.figs == kept.figs and agg.status == kept.status


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_failure_of_the_supervisor_rows_comes_after_the_checks_refusal(
    tmp_path, monkeypatch, workers
):
    """Data the check refuses is refused with the check's message even when computing the
    supervisor rows fails on it (beside the check's rules, in the child with two processes);
    on data the check passes, that failure is raised as it is."""
    monkeypatch.setenv("BANGFU_WORKERS", workers)

    def fails(*_args):
        raise ZeroDivisionError("a bug in the supervisor rows")

    bad = make_case(tmp_path / "bad", CASES / "invalid" / "ref-unknown-plan") / "data"
    with pytest.raises(PublishRefused) as plain:
        _pipe(bad).publishable("site")
    monkeypatch.setattr(cycle, "supervisor_rows", fails)
    monkeypatch.setattr(store, "supervisor_rows", fails)
    with pytest.raises(PublishRefused) as released:
        _pipe(bad).publishable("site", release=True)
    assert str(released.value) == str(plain.value)
    good = make_case(tmp_path / "good", CASES / "valid" / "cycle-rules") / "data"
    with pytest.raises(ZeroDivisionError, match="a bug in the supervisor rows"):
        _pipe(good).publishable("site", release=True)


def test_without_release_every_record_stays_whole(tmp_path):
    pipe = _pipe(make_case(tmp_path, None) / "data")
    pipe.publishable("site")
    assert all(isinstance(r.data, dict) for r in pipe.records)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_cross_record_error_refuses_the_same_with_release(tmp_path, monkeypatch, workers):
    """A dangling reference is known only when the check's rules have run (in a child with
    two processes): it refuses before the records' data goes, with the same message."""
    monkeypatch.setenv("BANGFU_WORKERS", workers)
    data = make_case(tmp_path, CASES / "invalid" / "ref-unknown-plan") / "data"
    with pytest.raises(PublishRefused) as plain:
        _pipe(data).publishable("site")
    pipe = _pipe(data)
    with pytest.raises(PublishRefused) as released:
        pipe.publishable("site", release=True)
    assert str(released.value) == str(plain.value)
    assert all(isinstance(r.data, dict) for r in pipe.records)  # refused before letting go


def test_release_keeps_the_findings_and_is_idempotent(tmp_path):
    pipe = _pipe(make_case(tmp_path, None) / "data")
    rec = next(r for r in pipe.records if r.kind == "household")
    findings, rid = rec.findings, rec.id
    pipe.model.release()
    pipe.model.release()
    assert rec.findings is findings and rec.id == rid
    with pytest.raises(RuntimeError, match="已释放"):
        rec.at(("id",))


def test_bangfu_site_lets_go_of_the_bulk_records(demo_data, tmp_path, monkeypatch):
    """The command asks for it (one process here: ``hand_over`` runs the build in place)."""
    monkeypatch.setenv("BANGFU_WORKERS", "1")
    released: list[int] = []
    real = model_mod.Model.release

    def counting(self, *args, **kwargs):
        released.append(sum(r.kind in model_mod.BULK for r in self.records))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(model_mod.Model, "release", counting)
    proc = build_site(demo_data, tmp_path / "site", tmp_path / "src")
    assert proc.returncode == 0, proc.stderr
    assert len(released) == 1 and released[0] > 0
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_records_are_let_go_beside_the_database_build(tmp_path, monkeypatch, workers):
    """``Model.release`` runs in a thread while the store's database is built (the letting-go
    waits until the build has begun: they overlap), and has ended when the figures are
    returned."""
    monkeypatch.setenv("BANGFU_WORKERS", workers)
    seen: dict[str, object] = {}
    building = threading.Event()
    real_release, real_init = model_mod.Model.release, store.Store.__init__

    def release(self, *args, **kwargs):
        seen["release_thread"] = threading.current_thread()
        seen["overlap"] = building.wait(10)  # the build has begun meanwhile
        real_release(self, *args, **kwargs)
        seen["released"] = True

    def init(self, *args, **kwargs):
        seen["build_thread"] = threading.current_thread()
        building.set()
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(model_mod.Model, "release", release)
    monkeypatch.setattr(store.Store, "__init__", init)
    pipe = _pipe(make_case(tmp_path, None) / "data")
    agg = pipe.publishable("site", release=True)
    assert agg.tables and seen["released"] is True and seen["overlap"] is True
    assert seen["release_thread"] is not seen["build_thread"]
    assert seen["build_thread"] is threading.main_thread()
    assert not any(t.name == "bangfu-release" for t in threading.enumerate())


def test_beside_runs_the_task_meanwhile_and_waits_for_it():
    order: list[str] = []
    go = threading.Event()

    def task():
        if go.wait(10):  # set by the work: both run at once
            order.append("task")

    def work():
        order.append("work")
        go.set()
        return 42

    assert store.beside(task, work) == 42
    assert sorted(order) == ["task", "work"]  # the task had ended when beside returned
    assert store.beside(None, lambda: 7) == 7


def test_beside_raises_the_tasks_error_after_the_work_and_joins_on_the_works():
    done: list[str] = []

    def failing():
        raise ValueError("task")

    with pytest.raises(ValueError, match="task"):
        store.beside(failing, lambda: done.append("work"))
    assert done == ["work"]

    def slow():
        time.sleep(0.2)
        done.append("slow")

    def broken():
        raise KeyError("work")

    with pytest.raises(KeyError):
        store.beside(slow, broken)
    assert done == ["work", "slow"]  # joined before the work's error went on
