"""``bangfu.trash.discarded``: a build folder moved aside at once, removed by another process
while its replacement is written, and nothing left beside it afterwards."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from bangfu import trash
from bangfu.trash import discarded, leftovers


def _tree(root, files=300):
    for i in range(files):
        d = root / f"d{i % 7}" / f"e{i % 3}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"page-{i}.md").write_text(f"第 {i} 页\n" * 50, "utf-8")


def test_the_old_folder_is_gone_at_once_and_removed_by_the_blocks_end(tmp_path):
    src = tmp_path / "site-src"
    _tree(src)
    with discarded(src):
        assert not src.exists()  # moved aside before the block runs
        assert len(leftovers(src)) == 1
        (src / "docs").mkdir(parents=True)
        (src / "docs" / "index.md").write_text("新页\n", "utf-8")
    assert leftovers(src) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site-src"]
    assert [p.relative_to(src).as_posix() for p in sorted(src.rglob("*"))] == [
        "docs",
        "docs/index.md",
    ]


def test_another_process_removes_it_while_the_block_runs(tmp_path):
    src = tmp_path / "src"
    _tree(src, 2000)
    with discarded(src):
        # nothing in this process removes anything until the block ends: the folder goes all
        # the same, so another process removed it
        deadline = time.monotonic() + 60
        while leftovers(src) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert leftovers(src) == []


def test_what_a_stopped_run_left_aside_is_removed_and_nothing_else(tmp_path):
    src = tmp_path / "src"
    _tree(src, 10)
    stale = tmp_path / (trash.prefix(src) + "killed")
    _tree(stale, 10)
    outside = tmp_path / "outside"
    _tree(outside, 5)
    link = tmp_path / (trash.prefix(src) + "link")
    link.symlink_to(outside, target_is_directory=True)
    plain = tmp_path / (trash.prefix(src) + "file")
    plain.write_text("不是文件夹", "utf-8")
    other = tmp_path / ".srcx.old-1"
    _tree(other, 3)
    with discarded(src):
        pass
    assert not stale.exists() and not src.exists()
    # a link is not followed, a file is not a folder moved aside, another folder's is its own
    assert link.is_symlink() and len(list(outside.rglob("*.md"))) == 5
    assert plain.read_text("utf-8") == "不是文件夹"
    assert len(list(other.rglob("*.md"))) == 3


def test_no_process_when_there_is_nothing_to_remove(tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("no process should start")

    monkeypatch.setattr(trash.subprocess, "Popen", refuse)
    with discarded(tmp_path / "never-built"):
        (tmp_path / "never-built").mkdir()
    assert (tmp_path / "never-built").is_dir()


def test_removed_here_when_no_process_can_start(tmp_path, monkeypatch):
    def fail(*a, **k):
        raise OSError("no processes left")

    monkeypatch.setattr(trash.subprocess, "Popen", fail)
    src = tmp_path / "src"
    _tree(src, 20)
    with discarded(src):
        assert not src.exists()
    assert leftovers(src) == [] and not src.exists()


def test_the_process_has_ended_when_the_block_ends_even_on_an_error(tmp_path, monkeypatch):
    started = []
    real = subprocess.Popen

    def record(*a, **k):
        p = real(*a, **k)
        started.append(p)
        return p

    monkeypatch.setattr(trash.subprocess, "Popen", record)
    src = tmp_path / "src"
    _tree(src, 50)
    with pytest.raises(RuntimeError), discarded(src):
        raise RuntimeError("页面写到一半")
    assert len(started) == 1 and started[0].returncode == 0
    assert leftovers(src) == []


def test_a_link_or_a_file_is_refused_as_rmtree_refuses_it(tmp_path):
    target = tmp_path / "elsewhere"
    _tree(target, 5)
    link = tmp_path / "src"
    link.symlink_to(target, target_is_directory=True)
    with pytest.raises(OSError), discarded(link):
        pass
    assert link.is_symlink() and len(list(target.rglob("*.md"))) == 5
    plain = tmp_path / "file"
    plain.write_text("x", "utf-8")
    with pytest.raises(NotADirectoryError), discarded(plain):
        pass
    assert plain.exists() and not any(p.name.startswith(".file.old-") for p in tmp_path.iterdir())
    assert os.listdir(target)  # untouched
