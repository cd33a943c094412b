"""Which finding codes the test suite produces (imported by conftest.py).

Every Python process the tests start records the codes it creates through ``codes.make()`` /
``codes.usage()`` (tests/recorder/sitecustomize.py), with the id of the running test. Each
code the golden cases (tests/cases/) do not cover is listed in ``PRODUCERS`` with a test that
produces it; when that test runs, its teardown checks that it really did. tests/test_codes.py
checks that every registered code is covered by a golden case or by ``PRODUCERS``."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

RECORDER = Path(__file__).resolve().parent / "recorder"

# code -> the test that produces it, for the codes no golden case (tests/cases/) produces:
# codes of other commands (import, review, merge, fmt, new, writes) and reader codes that need
# files a golden case cannot hold (symlinks, pipes, huge files). Reviewed by hand: each test
# also asserts the code in its own output.
PRODUCERS: dict[str, str] = {}


def start() -> Path:
    """Record from now on: in this process and in every process it starts."""
    directory = Path(tempfile.mkdtemp(prefix="bangfu-codes-"))
    os.environ["BANGFU_RECORD_CODES"] = str(directory)
    paths = [str(RECORDER), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    spec = importlib.util.spec_from_file_location(
        "bangfu_codes_recorder", RECORDER / "sitecustomize.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.install(str(directory))
    return directory


def pytest_unconfigure(config) -> None:
    """The records of this session go with it."""
    directory = os.environ.pop("BANGFU_RECORD_CODES", None)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


def recorded() -> dict[str, set[str]]:
    """test id -> the codes produced while it ran (all processes so far)."""
    out: dict[str, set[str]] = defaultdict(set)
    directory = os.environ.get("BANGFU_RECORD_CODES")
    if not directory:
        return out
    for f in sorted(Path(directory).glob("*.tsv")):
        for line in f.read_text("utf-8").splitlines():
            code, _, test = line.partition("\t")
            out[test].add(code)
    return out


@pytest.fixture(autouse=True)
def _producers_produce(request):
    """After a test listed in PRODUCERS: it produced the codes it is listed for."""
    yield
    want = {c for c, t in PRODUCERS.items() if t == request.node.nodeid}
    if want:
        got = recorded().get(request.node.nodeid, set())
        assert want <= got, f"{request.node.nodeid} no longer produces {sorted(want - got)}"
