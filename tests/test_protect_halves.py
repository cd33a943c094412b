"""Disclosure control in two processes (``aggregate.protect``): the place figures' decision runs
in a second process while the tiers' and campaigns' cells are decided here, and both then take
shares of the plans' cells until none is left; the figures published are the same as when one
process decides all, in one share or many, and a failure of either process is a clear error
that leaves no process behind."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import time
from pathlib import Path

import pytest

from bangfu import aggregate
from bangfu.aggregate import WITHHELD, cells, protect, protect_plans, status, tables
from bangfu.aggregate.store import Store
from bangfu.config import Config, PublishRefused
from bangfu.pipeline import Pipeline
from bangfu.policy import PolicyIndex
from bangfu.synth import SynthOptions, generate

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2025, 9, 30)

pytestmark = pytest.mark.xdist_group("protect_halves")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """300 households in small places (3 counties of 2 townships of 2 villages): most place
    figures are small, so both halves withhold cells."""
    out = tmp_path_factory.mktemp("halves") / "demo"
    generate(
        Config.make(ROOT / "data"), SynthOptions(households=300, seed=7, out=out, shape=(3, 2, 2))
    )
    cfg = Config.make(out / "data", None, AS_OF.isoformat())
    return Pipeline(cfg).model, cfg.schemas_dir


def _compute(model, monkeypatch, workers: str):
    monkeypatch.setenv("BANGFU_WORKERS", workers)
    return aggregate.compute(model[0], model[1], AS_OF)


def _withheld(result) -> set[tuple]:
    """Every withheld figure of the tables and of the place cells."""
    out = {
        (name, i, col)
        for name, table in result.tables.items()
        for i, row in enumerate(table.rows)
        for col, value in row.items()
        if value is WITHHELD
    }
    for level in ("village", "township", "county"):
        for pid, cell in getattr(result.figs, level).items():
            out |= {
                (level, pid, m) for m in ("households", "paired") if getattr(cell, m) is WITHHELD
            }
    return out


def test_the_place_figures_are_decided_in_a_second_process_with_the_same_answer(
    model, monkeypatch, tmp_path
):
    pids = tmp_path / "pids"
    real = protect.withheld_places

    def recorded(*args):
        with open(pids, "a") as f:
            f.write(f"{os.getpid()}\n")
        return real(*args)

    monkeypatch.setattr(protect, "withheld_places", recorded)
    two = _compute(model, monkeypatch, "2")
    assert [int(p) for p in pids.read_text().split()] != [os.getpid()]
    assert mp.active_children() == []
    one = _compute(model, monkeypatch, "1")
    assert pids.read_text().split()[-1] == str(os.getpid())
    assert two == one
    withheld = _withheld(two)
    places = {w for w in withheld if w[0] in ("village", "township", "county")}
    plans = {w for w in withheld if w[0] in ("plans", "plan_targets", "report_entries")}
    assert places and plans, "both halves withhold something in this ledger"


def test_a_failure_in_the_place_process_is_raised_here(model, monkeypatch):
    def fails(*_args):
        raise ZeroDivisionError("a bug in the search")

    monkeypatch.setattr(protect, "withheld_places", fails)
    with pytest.raises(ZeroDivisionError, match="a bug in the search"):
        _compute(model, monkeypatch, "2")
    assert mp.active_children() == []


def test_a_killed_place_process_is_a_clear_refusal(model, monkeypatch):
    def killed(*_args):
        os._exit(9)

    monkeypatch.setattr(protect, "withheld_places", killed)
    with pytest.raises(PublishRefused, match="披露控制未能完成.*退出码 9"):
        _compute(model, monkeypatch, "2")
    assert mp.active_children() == []


def test_an_error_in_this_half_stops_the_place_process(model, monkeypatch, tmp_path):
    started = tmp_path / "started"
    real = protect.withheld_places

    def slow(*args):
        started.write_text("yes")
        time.sleep(60)
        return real(*args)

    def fails(*_args):
        for _ in range(3000):  # until the place process is under way
            if started.exists():
                break
            time.sleep(0.01)
        raise KeyError("a bug in the plans' half")

    monkeypatch.setattr(protect, "withheld_places", slow)
    monkeypatch.setattr(protect, "rest_cells", fails)
    with pytest.raises(KeyError, match="a bug in the plans' half"):
        _compute(model, monkeypatch, "2")
    assert mp.active_children() == []


def test_the_plans_are_shared_out_between_both_processes_with_the_same_answer(
    model, monkeypatch, tmp_path
):
    """Each share of plans is decided once, by whichever process takes it; the answer is that
    of one share decided in one process (no identity ties one plan's cells to another's)."""
    taken = tmp_path / "taken"
    real = protect.plan_cells

    def recorded(threshold, shares, plans):
        with open(taken, "a") as f:
            f.write(f"{os.getpid()} {','.join(plans)}\n")
        time.sleep(0.05)  # long enough for the second process to take shares too
        return real(threshold, shares, plans)

    monkeypatch.setattr(protect, "plan_cells", recorded)
    monkeypatch.setattr(protect_plans, "SHARE_PLANS", 2)
    shared = _compute(model, monkeypatch, "2")
    lines = [line.split() for line in taken.read_text().splitlines()]
    assert {pid for pid, _ in lines} - {str(os.getpid())}, "the second process took shares"
    assert str(os.getpid()) in {pid for pid, _ in lines}, "this process took shares"
    plans = [p for _, share in lines for p in share.split(",")]
    assert len(plans) == len(set(plans)) == len(model[0].ids("plan")) > 10
    assert mp.active_children() == []
    taken.unlink()
    monkeypatch.setattr(protect_plans, "SHARE_PLANS", 10**9)
    whole = _compute(model, monkeypatch, "1")
    assert len(taken.read_text().splitlines()) == 1  # one share, here
    assert shared == whole
    assert {w for w in _withheld(whole) if w[0] in ("plans", "plan_targets", "report_entries")}


def test_the_plans_cells_withheld_are_marked_where_they_are_in_their_tables(model):
    """The plans' cells are withheld by their place in their table (``protect.marks_of``: a
    second process sends back a few numbers per cell): every share decided gives the same
    cells, and the same rows and columns, as the plans' cells decided all at once."""
    m, schemas = model
    store = Store.from_model(m, AS_OF)
    try:
        threshold = PolicyIndex(m).small_cell_threshold()
        inp = protect.inputs(store)
        built = tables.build(store, m, schemas, threshold)
        agg = aggregate.Result(AS_OF, threshold, built, cells.read(store), status.read(store))
    finally:
        store.close()
    c, _, withheld = protect.decide_others(agg, inp)
    plan_cells = {k for k in withheld if k[0] in ("plan", "plan_target", "entries_row")}
    assert {k[0] for k in plan_cells} == {"plan", "plan_target", "entries_row"}
    shares = protect_plans.PlanShares(agg, inp, size=3)
    marks = protect.withheld_plans(threshold, shares)
    assert shares.take() is None  # every share taken
    got = {(table, col, i) for (table, col), rows in marks.items() for i in rows}
    by_key = {
        (*c.rows[k], protect_plans.COLUMN[k[2] if k[0] == "plan" else k[0]]) for k in plan_cells
    }
    assert got == {(table, col, i) for table, i, col in by_key}
    assert len(got) == len(plan_cells)
    for table, col, i in got:  # the row holds the cell's figure
        assert agg.tables[table].rows[i][col] is not None


def test_the_tables_and_status_are_read_with_the_collector_held(model, monkeypatch):
    """Millions of rows in no cycle at province scale: the cyclic collector stays off while
    they are made (``collector.held``), and is on again afterwards; ``status_of`` too."""
    import gc

    seen = []

    def watched(fn):
        def run(*args, **kwargs):
            seen.append((fn.__name__, gc.isenabled()))
            return fn(*args, **kwargs)

        return run

    monkeypatch.setattr(tables, "build", watched(tables.build))
    monkeypatch.setattr(status, "read", watched(status.read))
    assert gc.isenabled()
    result = _compute(model, monkeypatch, "1")
    assert seen == [("build", False), ("read", False)]
    assert gc.isenabled()
    seen.clear()
    assert aggregate.status_of(model[0], AS_OF) == result.status
    assert seen == [("read", False)] and gc.isenabled()


def test_the_second_half_holds_the_collector_across_places_and_plans(model, monkeypatch):
    """No collection between the place figures and the plans' shares in the second process:
    it would walk every cell the place search made."""
    import gc

    states = []
    real = protect.withheld_places

    def places(*args):
        out = real(*args)
        states.append(gc.isenabled())  # what withheld_plans then starts with
        return out

    monkeypatch.setattr(protect, "withheld_places", places)
    result = _compute(model, monkeypatch, "1")  # the second half runs here, with one process
    assert states == [False] and gc.isenabled()
    assert _withheld(result)  # it decided something
