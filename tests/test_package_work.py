"""The package's files shared out between this process and the workbook's (``package_work``):
every piece once, the costliest first, taken by one process only, and the same package
whichever process wrote which file."""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from pathlib import Path

import pytest

from bangfu.aggregate import Column, Table
from bangfu.config import PublishRefused
from bangfu.forked import Counter
from bangfu.publish import extracts, package_work
from bangfu.publish.package_work import EXCEL_CSV, SQLITE, Piece, plan
from bangfu.publish.release import Release
from bangfu.publish.tableschema import EXCEL_DIR, WORKBOOK

from .extract_helpers import tree


@pytest.fixture(autouse=True)
def two_processes(monkeypatch):
    """The suite runs with one process each (conftest); these tests use two."""
    monkeypatch.setenv("BANGFU_WORKERS", "2")


def _table(name: str, rows: int, columns: int = 2) -> Table:
    cols = [Column("id", "string", "编号", "")]
    cols += [Column(f"c{i}", "integer", f"列{i}", "") for i in range(1, columns)]
    return Table(
        name,
        f"测试表 {name}",
        "合成数据",
        cols,
        [{"id": f"{name}-{r}"} | {f"c{i}": r * i for i in range(1, columns)} for r in range(rows)],
        primary_key=["id"],
    )


def test_every_piece_once_the_costliest_first():
    tables = {"small": _table("small", 3), "big": _table("big", 100, 3)}
    pieces = plan(tables)
    # cells: small 6, big 300; each CSV 5, parquet 4.5, sqlite 9 per cell (of every table)
    assert pieces == [
        Piece(SQLITE, ""),
        Piece("csv", "big"),
        Piece(EXCEL_CSV, "big"),
        Piece("parquet", "big"),
        Piece("csv", "small"),
        Piece(EXCEL_CSV, "small"),
        Piece("parquet", "small"),
    ]


def _take_all(counter: Counter, count: int, out) -> None:
    taken = []
    while (i := counter.take(count)) is not None:
        taken.append(i)
        time.sleep(0.001)
    out.put(taken)


def test_two_processes_never_take_the_same_piece():
    ctx = mp.get_context("spawn")
    counter, out, count = Counter(), ctx.Queue(), 400
    procs = [ctx.Process(target=_take_all, args=(counter, count, out)) for _ in range(2)]
    for p in procs:
        p.start()
    mine = []
    while (i := counter.take(count)) is not None:
        mine.append(i)
        time.sleep(0.001)
    theirs = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join()
    everything = mine + theirs[0] + theirs[1]
    assert sorted(everything) == list(range(count))  # each taken once, none left
    assert counter.take(count) is None


RELEASE = Release("0" * 40, "2024-05-06T07:08:09+08:00")


def _tables() -> dict[str, Table]:
    return {name: _table(name, rows, 4) for name, rows in (("a", 50), ("b", 20), ("c", 5))}


def _package(folder: Path, tables: dict[str, Table]) -> dict[str, bytes]:
    folder.mkdir()
    extracts.start_package(folder, tables, [], RELEASE).finish()
    return tree(folder)


def test_the_package_is_the_same_whichever_process_wrote_which_file(tmp_path, monkeypatch):
    """This process takes one piece, then waits until the workbook's process has written the
    workbook and taken the others: the files are those one process writes."""
    real, mine = package_work.write_piece, []

    def after_the_workbook(piece, folder, tables):
        deadline = time.monotonic() + 60
        while not (folder / WORKBOOK).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(1.0)  # the other process takes every piece left meanwhile
        mine.append(piece)
        return real(piece, folder, tables)

    monkeypatch.setattr(package_work, "write_piece", after_the_workbook)
    shared = _package(tmp_path / "two", _tables())
    monkeypatch.setattr(package_work, "write_piece", real)
    monkeypatch.setenv("BANGFU_WORKERS", "1")
    alone = _package(tmp_path / "one", _tables())
    assert 0 < len(mine) < len(plan(_tables())), mine  # both processes wrote pieces
    assert shared == alone
    descriptor = json.loads(shared["datapackage.json"])
    paths = [r["path"] for r in descriptor["resources"]]
    assert paths[:3] == ["a.csv", "b.csv", "c.csv"]  # in table order, whoever wrote them
    assert mp.active_children() == []


def test_a_piece_failing_in_the_workbooks_process_is_refused_here(tmp_path, monkeypatch):
    """A value the Parquet file cannot hold, met by the workbook's process: the same refusal
    as in this one, and no process is left."""
    tables = _tables()
    tables["c"].rows[0]["c1"] = "不是整数"
    real = package_work.write_piece

    def after_the_workbook(piece, folder, tables):
        while not (folder / WORKBOOK).exists():
            time.sleep(0.01)
        time.sleep(1.0)
        return real(piece, folder, tables)

    monkeypatch.setattr(package_work, "write_piece", after_the_workbook)
    folder = tmp_path / "pkg"
    folder.mkdir()
    with pytest.raises(PublishRefused) as caught:
        extracts.start_package(folder, tables, [], RELEASE).finish()
    assert "c" in str(caught.value) and "c1" in str(caught.value)
    assert "不是整数" not in str(caught.value)  # the value itself is never echoed
    assert mp.active_children() == []
    monkeypatch.setenv("BANGFU_WORKERS", "1")
    alone = tmp_path / "alone"
    alone.mkdir()
    with pytest.raises(PublishRefused) as here:
        extracts.start_package(alone, tables, [], RELEASE).finish()
    assert str(here.value) == str(caught.value)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(".bangfu-tables-"))


def test_the_tables_reach_the_workbooks_process_in_a_file_it_removes(tmp_path, monkeypatch):
    """With a second process, the packed tables are written to a file beside the package, in
    a folder only this user may enter (this process does not wait while that process reads
    them), and passed as its path; the
    workbook is the one the tables give, and no such file is left. With one process, the
    tables are handed over as they are and no file is written."""
    from bangfu import forked

    sent = []
    real = forked.start

    def start(name, fn, *args, **kw):
        sent.append(args[2])
        return real(name, fn, *args, **kw)

    monkeypatch.setattr(forked, "start", start)
    (tmp_path / "two").mkdir()
    two = _package(tmp_path / "two" / "pkg", _tables())
    assert isinstance(sent[0], Path) and sent[0].parent.parent == tmp_path / "two"
    assert sent[0].parent.name.startswith(".bangfu-tables-") and not sent[0].parent.exists()
    assert _leftovers(tmp_path / "two" / "pkg") == []
    monkeypatch.setenv("BANGFU_WORKERS", "1")
    (tmp_path / "one").mkdir()
    one = _package(tmp_path / "one" / "pkg", _tables())
    assert isinstance(sent[1], dict) and set(sent[1]) == set(_tables())
    assert _leftovers(tmp_path / "one" / "pkg") == []
    assert two == one and WORKBOOK in two


def test_a_package_given_up_leaves_no_tables_file(tmp_path):
    """Stopped before the workbook's process has read its file (an error while the pages are
    written), or after: the file is gone either way, and no process is left."""
    for k in range(2):
        folder = tmp_path / f"pkg{k}"
        folder.mkdir()
        package = extracts.start_package(folder, _tables(), [], RELEASE)
        if k:
            package.job.wait()  # the workbook written and every piece taken there
        package.stop()
        assert _leftovers(folder) == []
    assert mp.active_children() == []


def test_the_tables_file_sits_in_a_folder_only_this_user_may_enter(tmp_path):
    """No one else can put a file of their own in the place of the one the workbook's process
    will unpickle: the folder is this user's alone, and the file is created, never reused."""
    import stat

    from bangfu.publish.packed import pack

    path = package_work.write_tables(pack(_tables()), tmp_path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert package_work.read_tables(path).keys() == _tables().keys()
    assert _leftovers(tmp_path / "x") == []


def test_the_workbooks_process_reads_and_writes_with_the_collector_held(tmp_path):
    """The tables it reads are left out of every later collection (``gc.freeze``: they are
    kept to its end), and the workbook and its pieces are written with the collector off;
    it is on again afterwards."""
    import gc

    from bangfu.forked import Counter
    from bangfu.publish.packed import pack

    seen = []

    def workbook(path, packed, about):
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        path.write_bytes(b"workbook")

    folder = tmp_path / "pkg"
    (folder / EXCEL_DIR).mkdir(parents=True)
    tables = _tables()
    path = package_work.write_tables(pack(tables), tmp_path)
    before = gc.get_freeze_count()
    try:
        pieces = plan(tables)
        done = package_work.workbook_then_pieces(
            workbook, folder, path, {}, pieces, Counter(shared=False)
        )
        (enabled, frozen), *_ = seen
        rows = sum(len(t.rows) for t in tables.values())
        assert not enabled and frozen >= before + rows
        assert gc.isenabled() and sorted(done) == list(range(len(pieces)))
    finally:
        gc.unfreeze()
        if before:
            gc.freeze()
