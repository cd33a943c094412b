"""The parse cache's journal (``cache.ParseCache``): a load that changed few files writes
only those beside the cache, which a later load reads back with it; records are then those of
a load without any cache. A damaged or foreign journal is ignored; past its share, the whole
cache is written again."""

from __future__ import annotations

import marshal
import os
import time
from pathlib import Path

import pytest

from bangfu import cache, load

from .conftest import cached_copy, settle


def _load(data: Path) -> load.Tree:
    return load.load_tree(data, data.parent / "schemas")


def _seen(tree: load.Tree) -> list[tuple]:
    """What a load gave, record by record: file, data and findings."""
    return [
        (r.file, r.data, [(f.code, f.line) for f in r.findings], [f.code for f in fs])
        for r, fs in zip(tree.records, tree.schema_findings, strict=True)
    ]


def _uncached(data: Path, monkeypatch) -> list[tuple]:
    with monkeypatch.context() as m:
        m.setenv("BANGFU_CACHE", "0")
        return _seen(_load(data))


def _aged(*paths: Path) -> None:
    """Dated an hour back (stamps the next load trusts), the rest of the tree untouched."""
    back = time.time() - 3600
    for p in paths:
        os.utime(p, (back, back))


@pytest.fixture
def data(demo_data, tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    data = cached_copy(demo_data, tmp_path)
    _load(data)
    settle(data)
    _load(data)  # the whole cache written with settled stamps
    return data


def _files(data: Path) -> tuple[Path, Path]:
    path = cache.cache_file(data, data.parent / "schemas")
    assert path is not None and path.is_file()
    return path, cache.journal_path(path)


def _edit(data: Path) -> tuple[list[Path], Path]:
    """Two households changed, one removed and a report added; the changed and added files."""
    households = sorted(data.rglob("households/**/*.yaml"))
    changed = households[:2]
    for p in changed:
        p.write_text(p.read_text("utf-8").replace("address: ", "address: 改", 1), "utf-8")
    households[-1].unlink()
    report = sorted(data.rglob("reports/**/*.yaml"))[0]
    added = report.with_name("2099-02.yaml")
    added.write_text(report.read_text("utf-8") + "# 另一份\n", "utf-8")
    return [*changed, added], households[-1]


def test_a_few_changed_files_are_journaled_and_read_back_as_without_a_cache(data, monkeypatch):
    whole, journal = _files(data)
    before = (whole.read_bytes(), whole.stat().st_mtime_ns)
    changed, removed = _edit(data)
    first = _load(data)
    assert first.parsed == 3
    assert (whole.read_bytes(), whole.stat().st_mtime_ns) == before  # left as it was
    assert journal.is_file() and journal.stat().st_size < whole.stat().st_size // 20
    _aged(*changed)
    again = _load(data)
    assert again.parsed == 0 and again.cached == len(again.records)  # all from cache + journal
    assert not _load(data).changed  # nothing touched since: nothing to save
    assert _seen(again) == _seen(first) == _uncached(data, monkeypatch)
    assert removed.name not in {r.rel[-1] for r in again.records}
    assert any("改" in str(r.data.get("address")) for r in again.records if r.kind == "household")


def test_a_journaled_file_changed_again_is_read_again(data, monkeypatch):
    changed, _removed = _edit(data)
    _load(data)
    _aged(*changed)
    _load(data)
    target = changed[0]
    target.write_text(target.read_text("utf-8").replace("address: 改", "address: 再改", 1), "utf-8")
    _aged(target)
    tree = _load(data)
    assert tree.parsed == 1
    assert _seen(tree) == _uncached(data, monkeypatch)
    _aged(target)
    assert _load(data).parsed == 0  # the journal written again, with the new content


@pytest.mark.parametrize(
    "damage", ["garbage", "truncated", "other-cache", "wrong-shape", "bad-file", "bad-key"]
)
def test_a_damaged_or_foreign_journal_is_ignored(data, monkeypatch, damage):
    changed, _removed = _edit(data)
    _load(data)
    _, journal = _files(data)
    raw = journal.read_bytes()
    if damage == "garbage":
        journal.write_bytes(os.urandom(len(raw)))
    elif damage == "truncated":
        journal.write_bytes(raw[: len(raw) // 2])
    else:
        version, on, written, files, gone, entries = marshal.loads(raw)
        if damage == "other-cache":  # written on a cache file that is no longer there
            on += 1
        elif damage == "wrong-shape":
            gone = set(gone)
        elif damage == "bad-file":
            gone = [*gone, ["not", "a", "path"]]
        else:
            entries = {**entries, 7: next(iter(entries.values()))}
        journal.write_bytes(marshal.dumps((version, on, written, files, gone, entries)))
    _aged(*changed)
    tree = _load(data)  # the cache file alone: the changed files read again
    assert tree.parsed == 3
    assert _seen(tree) == _uncached(data, monkeypatch)


def test_past_its_share_the_whole_cache_is_written_again(data, monkeypatch):
    whole, journal = _files(data)
    changed, _removed = _edit(data)
    _load(data)
    assert journal.is_file()
    files = len(_load(data).records)
    monkeypatch.setattr(cache, "JOURNAL_SHARE", files // 4)  # 4 files; the journal would hold 5
    more = sorted(data.rglob("households/**/*.yaml"))[5]
    more.write_text(more.read_text("utf-8") + "# 改动\n", "utf-8")
    before = whole.stat().st_mtime_ns
    _load(data)
    assert whole.stat().st_mtime_ns != before and not journal.exists()
    _aged(*changed, more)
    tree = _load(data)
    assert tree.parsed == 0 and _seen(tree) == _uncached(data, monkeypatch)


def test_a_stamp_is_judged_racy_against_the_part_that_holds_it():
    """A file of the cache file is trusted only if it last changed well before that file was
    written; one of the journal, well before the journal was."""
    t0, t1 = 10**18, 10**18 + 60 * 10**9  # the journal a minute after the cache file
    stamp = (10, t0 + 10**9, t0 + 10**9, 7)  # changed a second after the cache file
    value = cache.pack_stamp(stamp) + b"d" * 16
    store = cache.ParseCache(None, t0, {"a.yaml": value, "b.yaml": value})
    store.journal_ns, store.journal = t1, {"b.yaml"}
    assert store.digest_by_stamp("a.yaml", stamp) is None  # racy for the cache file
    assert store.digest_by_stamp("b.yaml", stamp) == b"d" * 16  # settled for the journal


def test_a_file_gone_and_back_again_is_read_with_the_journal(data, monkeypatch):
    changed, removed = _edit(data)
    _load(data)  # the journal: the household gone
    removed.write_text("id: 回来了\n", "utf-8")  # back, with other content (a finding)
    _aged(removed, *changed)
    back = _load(data)
    assert back.parsed == 1 and removed.name in {r.rel[-1] for r in back.records}
    _aged(removed)
    again = _load(data)
    assert again.parsed == 0 and _seen(again) == _uncached(data, monkeypatch)
    assert removed.name in {r.rel[-1] for r in again.records}
