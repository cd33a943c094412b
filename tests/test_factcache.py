"""The parse cache's facts as columns (``factcache``): the fact tables a model gets from them
equal those of the records' own facts, after an unchanged load, after files were changed,
added and removed, and when the columns file is damaged, foreign or gone; a record at a cell
of them holds no second copy of its facts, and the rules' contact days taken from them are
those of the reports' own facts."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pytest

from bangfu import cache, check, factcache, facts, load
from bangfu import model as model_mod
from bangfu.codes import ASSIST_VISIT_GAP
from bangfu.config import Config
from bangfu.monitor import CONTACT_KINDS
from bangfu.record import IN_COLUMNS
from bangfu.rules.base import date_of

from .conftest import CASES, cached_copy, make_case, settle


def _tables(tree: load.Tree, columns: bool) -> dict[str, pa.Table]:
    m = model_mod.build(tree.records)
    m.columns = tree.columns if columns else None
    return facts.from_model(m)


def _same(tree: load.Tree) -> dict[str, int]:
    """The fact tables from the columns equal those from the records' facts; their sizes."""
    by_records, by_columns = _tables(tree, False), _tables(tree, True)
    assert by_records.keys() == by_columns.keys() == facts.SCHEMA.keys()
    for name, table in by_records.items():
        assert by_columns[name].equals(table), name
        assert by_columns[name].schema == facts.SCHEMA[name]
    return {name: t.num_rows for name, t in by_records.items()}


def _load(data: Path) -> load.Tree:
    return load.load_tree(data, data.parent / "schemas")


@pytest.fixture
def data(demo_data, tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    data = cached_copy(demo_data, tmp_path)
    first = _load(data)
    assert first.columns is None  # nothing was cached yet
    settle(data)
    _load(data)  # the cache written again with the settled stamps: the next load changes nothing
    return data


def _columns_file(data: Path) -> Path:
    found = list((data.parent / cache.DIRNAME).glob("facts-*.arrow"))
    assert len(found) == 1
    return found[0]


def test_an_unchanged_load_takes_every_records_facts_from_the_columns(data):
    tree = _load(data)
    assert tree.columns is not None and tree.cached == len(tree.records)
    assert all(r.cell >= 0 for r in tree.records if r.kind)
    assert len({r.cell for r in tree.records}) == len(tree.records)  # the demo has no twins
    sizes = _same(tree)
    assert sizes["household"] == 300 and sizes["entry"] > 1000 and sizes["report"] > 300


def _change(data: Path) -> list[str]:
    """A report changed, one added and a household removed; the names of the two reports."""
    reports = sorted(data.rglob("reports/**/*.yaml"))
    households = sorted(data.rglob("households/**/*.yaml"))
    text = reports[0].read_text("utf-8")
    reports[0].write_text(text + "\n", "utf-8")  # same facts, new content
    copy = reports[1].with_name("2099-01.yaml")
    shutil.copy(reports[1], copy)  # a report the cache has never seen (wrong id: a finding)
    households[-1].unlink()
    return [reports[0].name, copy.name]


def test_changed_added_and_removed_files_read_their_own_facts_from_the_journal(data):
    """A few files changed: the cache's journal holds them (``cache.ParseCache``); the cache
    file and its columns are left as they were, and the changed files' records, taken from
    the journal, add their own facts."""
    columns, whole = _columns_file(data), cache.open_cache(data, data.parent / "schemas").path
    assert whole is not None
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (columns, whole)}
    names = _change(data)
    tree = _load(data)
    assert tree.parsed == 2 and tree.columns is not None
    fresh = [r for r in tree.records if r.cell < 0]
    assert {r.file.split("/")[-1] for r in fresh} == set(names)
    _same(tree)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before
    assert cache.journal_path(whole).is_file()
    settle(data)
    again = _load(data)  # from the cache and its journal: nothing parsed, the same facts
    assert again.parsed == 0 and again.columns is not None
    # the copy's content is its source's, whose entry the columns hold; the changed report's
    # entry is the journal's alone
    assert {r.file.split("/")[-1] for r in again.records if r.cell < 0} == {names[0]}
    assert _same(again) == _same(tree)


def test_once_the_whole_cache_is_written_the_columns_hold_every_entry(data, monkeypatch):
    monkeypatch.setattr(cache, "JOURNAL_SHARE", 10**9)  # past the journal's share: the whole cache
    _change(data)
    tree = _load(data)
    assert tree.parsed == 2
    path = cache.open_cache(data, data.parent / "schemas").path
    assert path is not None and not cache.journal_path(path).exists()
    settle(data)
    again = _load(data)  # the columns written after the change hold every entry
    assert again.parsed == 0 and all(r.cell >= 0 for r in again.records)
    assert _same(again) == _same(tree)


def test_a_record_whose_facts_were_let_go_reads_them_from_its_data(data):
    tree = _load(data)
    rec = next(r for r in tree.records if r.kind == "household")
    rec.facts = None  # as a writer that changed its data would
    _same(tree)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other-cache", "empty", "folder"])
def test_damaged_or_foreign_columns_are_ignored(data, damage):
    path = _columns_file(data)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
    elif damage == "garbage":
        path.write_bytes(b"ARROW1" + os.urandom(4096))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "folder":
        path.unlink()
        path.mkdir()
    else:  # written with another parse cache: another write time
        with pa.OSFile(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
        stale = table.replace_schema_metadata({factcache.WRITTEN: b"1"})
        with pa.ipc.new_file(str(path) + ".new", stale.schema) as writer:
            writer.write_table(stale)
        os.replace(str(path) + ".new", path)
    tree = _load(data)
    assert tree.columns is None and tree.cached == len(tree.records)
    assert all(r.cell < 0 for r in tree.records)
    _same(tree)


def test_columns_without_their_parse_cache_are_not_read(data):
    (data.parent / cache.DIRNAME).joinpath(
        _columns_file(data).name.replace("facts-", "parse-").replace(".arrow", ".marshal")
    ).unlink()
    tree = _load(data)  # parsed again; the columns are written anew with the new cache
    assert tree.columns is None and tree.parsed == len(tree.records)
    settle(data)
    assert _load(data).columns is not None


def test_columns_damaged_after_the_load_are_not_used(data):
    tree = _load(data)
    assert tree.columns is not None
    _columns_file(data).write_bytes(b"ARROW1" + os.urandom(64))  # before the first figures
    assert tree.columns.lists() is None
    _same(tree)  # the records' own facts


def test_a_check_reads_no_columns_but_the_entries_the_rules_count(data, monkeypatch):
    """The load and the model's index read no lists; the rules (``rules.cycle``'s contact
    days) read the entries' table only, never every table (``Columns.lists``)."""
    read: list = []
    real = factcache.Columns.lists
    monkeypatch.setattr(factcache.Columns, "lists", lambda self: read.append(1) or real(self))
    tree = _load(data)
    assert tree.columns is not None and read == []
    model_mod.build(tree.records)  # the model's index reads no facts
    assert read == []
    check.run(Config.make(data, as_of="2026-06-30"))
    assert read == []


def test_a_record_at_a_cell_holds_no_second_copy_of_its_facts(data):
    """At 500,000 households the records' facts as bytes held 435 MB beside the columns."""
    tree = _load(data)
    at = [r for r in tree.records if r.cell >= 0]
    assert len(at) == len(tree.records) and all(r.facts is IN_COLUMNS for r in at)
    for rec in at[::7]:  # read from the data where one is wanted alone
        assert facts.facts_of(rec) == facts.record_facts(rec.kind, rec.data)


def _contacts_by_hand(reports, as_of: dt.date) -> dict[str, list[dt.date]]:
    """The contact days as ``rules.cycle`` computed them, from each report's data."""
    k, d, h = (facts.SCHEMA["entry"].get_field_index(c) for c in ("kind", "date", "household"))
    out = defaultdict(list)
    for rep in reports:
        for row in facts.record_facts("report", rep.data).get("entry", ()):
            day = date_of(row[d]) if row[k] in CONTACT_KINDS and row[h] is not None else None
            if day is not None and day <= as_of:
                out[row[h]].append(day)
    return {hh: sorted(days) for hh, days in out.items()}


@pytest.mark.parametrize("as_of", ["2025-03-15", "2025-12-31", "2026-06-30"])
def test_contact_days_from_the_columns_are_those_of_the_reports_data(data, monkeypatch, as_of):
    """Reports at a cell give their entries from the columns, all at once (only the entries'
    table read), the journal's from their own facts; the same days as from each report's
    data, and the same with no columns or with columns damaged after the load."""
    _change(data)  # a changed report from the journal, the rest from the columns
    tree = _load(data)
    reports = [r for r in tree.records if r.kind == "report"]
    assert any(r.cell < 0 for r in reports) and any(r.cell >= 0 for r in reports)
    day = dt.date.fromisoformat(as_of)
    expected = _contacts_by_hand(reports, day)
    assert expected and any(len(days) > 1 for days in expected.values())
    real = factcache.Columns.lists
    monkeypatch.setattr(factcache.Columns, "lists", lambda self: pytest.fail("every table read"))
    assert facts.contact_days(reports, tree.columns, CONTACT_KINDS, day) == expected
    monkeypatch.setattr(factcache.Columns, "lists", real)
    assert facts.contact_days(reports, None, CONTACT_KINDS, day) == expected
    _columns_file(data).write_bytes(b"ARROW1" + os.urandom(64))  # after the load
    assert tree.columns.lists() is None
    assert facts.contact_days(reports, tree.columns, CONTACT_KINDS, day) == expected


def test_a_whole_checks_findings_with_the_columns_are_those_without_a_cache(tmp_path, monkeypatch):
    """A visit gap (``rules.cycle``), its days read from the columns' entries: the same
    finding, message and all (the days of the gap), as a check without a cache."""
    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    root = make_case(tmp_path, CASES / "invalid" / "cycle-visit-gap")
    (root / cache.DIRNAME).mkdir()
    data = root / "data"
    _load(data)
    settle(data)
    tree = _load(data)
    reports = [r for r in tree.records if r.kind == "report"]
    assert tree.columns is not None and reports and all(r.facts is IN_COLUMNS for r in reports)
    cfg = Config.make(data, as_of="2026-06-30")
    with_columns = check.run(cfg).findings
    gaps = [f for f in with_columns if f.code == ASSIST_VISIT_GAP.code]
    assert len(gaps) == 1 and "从 2024-03-" in gaps[0].message, gaps
    monkeypatch.setenv("BANGFU_CACHE", "0")
    assert check.run(cfg).findings == with_columns


def test_the_columns_file_is_private_and_a_failed_write_leaves_nothing(data):
    path = _columns_file(data)
    assert path.stat().st_mode & 0o777 == 0o600  # as the parse cache
    path.unlink()
    path.mkdir()  # cannot be replaced
    household = sorted(data.rglob("households/**/*.yaml"))[0]
    household.write_text(household.read_text("utf-8") + "\n", "utf-8")
    tree = _load(data)  # the parse cache is written; the columns cannot be
    assert tree.parsed == 1 and path.is_dir()
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []
    _same(tree)


def test_a_first_load_writes_the_columns_from_the_facts_it_parsed(demo_data, tmp_path, monkeypatch):
    """Nothing is decoded again from the cache to write the first columns file."""
    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    decoded: list = []
    real = factcache.unpack_facts
    monkeypatch.setattr(factcache, "unpack_facts", lambda f: decoded.append(type(f)) or real(f))
    data = cached_copy(demo_data, tmp_path)
    first = _load(data)
    assert first.parsed == len(first.records) and decoded and bytes not in decoded
    settle(data)
    _load(data)  # rewritten with the settled stamps: every entry's lists taken
    assert bytes not in decoded
    assert _same(_load(data))["household"] == 300
