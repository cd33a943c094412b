"""The test run's own set-up: ``make test`` relies on pytest-xdist's ``--dist loadgroup`` to
keep the tests of an ``xdist_group`` on one worker (their fixtures are built once, no worker
waits on another's build). With pytest 9.2 and pytest-xdist 3.8 the grouping silently stops
(the group suffix xdist puts on node ids no longer takes effect; xdist issue 1386).

The tests below are such a group, watched in the very run ``make test`` makes: each writes its
worker and node id to a file the workers share, and the last checks that the whole group ran
on its own worker, with the group on each node id. (An earlier version ran a small xdist session
in a subprocess; on a loaded machine that session sometimes never finished shutting down.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import run_folder

GROUP = "suite_setup_probe"
pytestmark = pytest.mark.xdist_group(GROUP)
PROBES = 5


def _record(tmp_path_factory) -> Path:
    """The run's file of (worker, node id) lines, shared by the workers."""
    return run_folder(tmp_path_factory) / f"{GROUP}.txt"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.mark.parametrize("i", range(PROBES))
def test_probe(i, request, tmp_path_factory):
    with open(_record(tmp_path_factory), "a", encoding="utf-8") as fh:
        fh.write(f"{_worker()} {request.node.nodeid}\n")


def test_loadgroup_keeps_a_group_on_one_worker(request, tmp_path_factory):
    """Runs after the probes (a group runs in file order on its worker; if the group were
    split, some probes would be elsewhere or not run yet, and the count or worker differs)."""
    if not any(item.name.startswith("test_probe[") for item in request.session.items):
        pytest.skip("the probes were not selected in this run: nothing to check")
    path = _record(tmp_path_factory)
    ran = [line.split() for line in path.read_text("utf-8").splitlines()] if path.exists() else []
    assert len(ran) == PROBES, ran
    assert {worker for worker, _ in ran} == {_worker()}, ran  # this worker ran every probe
    if os.environ.get("PYTEST_XDIST_WORKER"):  # under xdist: each node id names its group
        assert request.node.nodeid.endswith(f"@{GROUP}"), request.node.nodeid
        assert all(nodeid.endswith(f"@{GROUP}") for _, nodeid in ran), ran


def test_temporary_folders_go_to_memory_only_when_it_is_a_tmpfs_with_room(monkeypatch):
    from . import conftest

    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.setattr(conftest.tempfile, "tempdir", conftest.tempfile.tempdir)
    assert not conftest.temp_in_memory(str(conftest.ROOT))  # not a tmpfs
    assert not conftest.temp_in_memory("/dev/shm", room=1 << 60)  # no such room
    if conftest.temp_in_memory("/dev/shm", room=1):  # this machine's /dev/shm qualifies…
        monkeypatch.delenv("TMPDIR")
        monkeypatch.setattr(conftest, "_memory_left", lambda: 1)
        assert not conftest.temp_in_memory("/dev/shm", room=1)  # …but not without the memory
    monkeypatch.setenv("TMPDIR", "/somewhere/chosen")
    assert not conftest.temp_in_memory("/dev/shm", room=0)  # the user's choice stands
    assert os.environ["TMPDIR"] == "/somewhere/chosen"


def test_a_run_that_chose_memory_keeps_its_folders_there(tmp_path):
    if os.environ.get("TMPDIR") != "/dev/shm":
        pytest.skip("this run keeps its temporary folders on disk")
    assert tmp_path.resolve().is_relative_to("/dev/shm")
