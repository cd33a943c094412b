"""The test run's own set-up: ``make test`` relies on pytest-xdist's ``--dist loadgroup`` to
keep the tests of an ``xdist_group`` on one worker (their fixtures are built once, no worker
waits on another's build). With pytest 9.2 and pytest-xdist 3.8 the grouping silently stops
(the group suffix xdist puts on node ids no longer takes effect; xdist issue 1386): this test
runs a small session the way ``make test`` does and fails if a group is split."""

from __future__ import annotations

import subprocess
import sys

import pytest

_PROBE = """
import os

import pytest

pytestmark = pytest.mark.xdist_group("probe")


@pytest.mark.parametrize("i", range(6))
def test_where(i, request):
    with open("ran.txt", "a") as fh:
        fh.write(os.environ["PYTEST_XDIST_WORKER"] + " " + request.node.nodeid + "\\n")
"""


@pytest.mark.slow
def test_loadgroup_keeps_a_group_on_one_worker(tmp_path):
    (tmp_path / "test_probe.py").write_text(_PROBE, "utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", "utf-8")  # not the project's settings
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "3",
            "--dist",
            "loadgroup",
            "-s",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_probe.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ran = [line.split() for line in (tmp_path / "ran.txt").read_text("utf-8").splitlines()]
    assert len(ran) == 6, ran
    assert len({worker for worker, _ in ran}) == 1, ran  # one worker ran the whole group
    assert all(nodeid.endswith("@probe") for _, nodeid in ran), ran
