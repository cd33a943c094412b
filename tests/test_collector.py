"""The cyclic collector held off for a stage (``bangfu.collector``), and the fact tables read
by Arrow as one struct array."""

from __future__ import annotations

import datetime as dt
import gc

import pyarrow as pa
import pytest

from bangfu import collector
from bangfu.facts import SCHEMA, arrow_table


def test_held_turns_the_collector_off_and_back_as_it_was():
    assert gc.isenabled()
    with collector.held():
        assert not gc.isenabled()
        with collector.held():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves the outer one's state
    assert gc.isenabled()
    with pytest.raises(KeyError), collector.held():
        raise KeyError("x")
    assert gc.isenabled()  # back on after an error too
    gc.disable()
    try:
        with collector.held():
            pass
        assert not gc.isenabled()  # off before: off after
    finally:
        gc.enable()


def test_held_with_freeze_leaves_what_exists_out_of_later_collections():
    before = gc.get_freeze_count()
    try:
        with collector.held(freeze=True):
            kept = [[i] for i in range(1000)]
        assert gc.get_freeze_count() >= before + 1000
        assert len(kept) == 1000
    finally:
        gc.unfreeze()


def test_keep_leaves_what_exists_out_of_later_collections_but_frees_it_when_dropped():
    import weakref

    class Node:
        pass

    before = gc.get_freeze_count()
    try:
        kept = [[i] for i in range(1000)]
        dropped = Node()
        gone = weakref.ref(dropped)
        collector.keep()
        assert gc.get_freeze_count() >= before + 1000
        assert len(kept) == 1000
        del dropped  # reference counting still frees a kept object
        assert gone() is None
    finally:
        gc.unfreeze()


def _by_columns(schema: pa.Schema, rows: list[tuple]) -> pa.Table:
    """The table built column by column, as the fact tables were before."""
    arrays = []
    for i, f in enumerate(schema):
        values = [r[i] for r in rows]
        if f.type == pa.date32():
            arrays.append(pa.array(values, type=pa.string()).cast(pa.date32()))
        else:
            arrays.append(pa.array(values, type=f.type))
    return pa.table(arrays, schema=schema)


def test_fact_rows_become_the_table_built_column_by_column():
    entry = [
        ("P1", "2026-04", "物资", "2026-04-03", "H1", "V1", 12.5, False),
        ("P1", "2026-04", "走访", None, None, "V1", 0.0, True),
        ("P2", "2026-Q2", "资金", "2026-06-30", "H2", None, 1e16, False),
    ]
    got = arrow_table(SCHEMA["entry"], entry)
    assert got.schema == SCHEMA["entry"]
    assert got.equals(_by_columns(SCHEMA["entry"], entry))
    assert got.column("date").to_pylist() == [dt.date(2026, 4, 3), None, dt.date(2026, 6, 30)]
    plan = [("P1", "C1", "执行中", "2026-01-01", "2026-12-31", None, True, 1500.0, 3)]
    assert arrow_table(SCHEMA["plan"], plan).equals(_by_columns(SCHEMA["plan"], plan))
    for name, schema in SCHEMA.items():  # no rows: an empty table of the schema
        empty = arrow_table(schema, [])
        assert empty.num_rows == 0 and empty.schema == schema, name


@pytest.mark.parametrize(
    "row",
    [
        ("P1", "C1"),  # too short
        ("P1", "C1", "执行中", None, None, None, True, None, 3, "extra"),  # too long
        ("P1", "C1", "执行中", "2026-02-30", None, None, True, None, 3),  # no such day
        ("P1", "C1", "执行中", None, None, None, True, None, "三"),  # not a number
    ],
)
def test_a_fact_row_arrow_cannot_hold_is_refused(row):
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        arrow_table(SCHEMA["plan"], [row])


class _Held:
    pass


_HOLDS = """
import gc, sys, weakref
from bangfu import collector
class Held: pass
before = collector.kept(Held()); weak_before = weakref.ref(before); del before
collector.ends_unfreed()
after = collector.kept(Held()); weak_after = weakref.ref(after); del after
gc.collect()
print(weak_before() is None, weak_after() is not None)
"""


def test_kept_holds_only_in_a_process_that_ends_unfreed():
    """``kept`` holds an object to the end of a process that ends unfreed (the command line,
    a forked child) and nothing anywhere else, such as this test process."""
    import subprocess
    import sys
    import weakref
    from pathlib import Path

    obj = collector.kept(_Held())
    weak = weakref.ref(obj)
    del obj
    assert weak() is None  # freed as ever: pytest's process does not end unfreed
    scripts = Path(__file__).resolve().parents[1] / "scripts"
    proc = subprocess.run(
        [sys.executable, "-c", _HOLDS],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(scripts), "PATH": "/usr/bin:/bin"},
    )
    assert proc.stdout.split() == ["True", "True"], proc.stdout + proc.stderr


@pytest.mark.parametrize("in_child", [False, True])
def test_the_sites_records_are_kept_only_by_a_child_that_ends_unfreed(
    demo_data, tmp_path, monkeypatch, in_child
):
    """``bangfu site``'s pages and open data are prepared by a handed-over child, which keeps
    its pipeline to its end. Where no child could be started, the same work runs in the
    command's own process, which ends unfreed too: there the pipeline is freed as the work
    returns, before MkDocs runs beside it."""
    from bangfu import forked
    from bangfu.commands.site import prepared
    from bangfu.config import Config
    from bangfu.pipeline import Pipeline

    kept: list = []  # what the command line's process would keep to its end
    monkeypatch.setattr(collector, "kept", lambda obj: kept.append(obj) or obj)
    monkeypatch.setattr(forked, "in_child", lambda: in_child)
    cfg = Config.make(demo_data)
    (tmp_path / "work").mkdir()
    prepared(cfg, None, tmp_path / "src", tmp_path / "work")
    pipelines = [o for o in kept if isinstance(o, Pipeline)]
    assert len(pipelines) == (1 if in_child else 0)


def test_every_block_freezes_in_a_process_that_ends_unfreed():
    """What a block made and still holds is left out of later collections where the process
    ends unfreed (``ends_unfreed``: the command-line process, a child); elsewhere only a
    block with ``freeze`` freezes. Run in a new interpreter: ``ends_unfreed`` lasts to the
    end of a process."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import gc\n"
        "from bangfu import collector\n"
        "with collector.held():\n"
        "    a = [[i] for i in range(1000)]\n"
        "plain = gc.get_freeze_count()\n"
        "collector.ends_unfreed()\n"
        "with collector.held():\n"
        "    b = [[i] for i in range(1000)]\n"
        "print(plain, gc.get_freeze_count(), gc.isenabled())\n"
    )
    scripts = Path(__file__).resolve().parents[1] / "scripts"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(scripts), "PATH": "/usr/bin:/bin"},
    ).stdout.split()
    plain, frozen, enabled = int(out[0]), int(out[1]), out[2]
    assert plain == 0 and frozen >= 2000 and enabled == "True"
