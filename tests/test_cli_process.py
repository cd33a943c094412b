"""The CLI in its own process, one command of each family: the in-process runner most tests
use (``conftest.bangfu``) gives the same exit code, output and written files as
``python -m bangfu``; the installed console script exits 0, 1 and 2."""

from __future__ import annotations

import hashlib
import os
import sys
import zipfile
from pathlib import Path

import pytest

from bangfu.cache import DIRNAME

from .conftest import CASES, DEFAULT_AS_OF, bangfu, bangfu_process, init_repo, make_case

AS_OF = ("--as-of", DEFAULT_AS_OF)
# family → (the command line, run in a git copy of the base case; its exit code)
COMMANDS = {
    "check": (["check", *AS_OF], 0),
    "check-json": (["check", "--format", "json", *AS_OF], 0),
    "check-usage-error": (["check", "--format", "xml"], 2),
    "no-command": ([], 2),
    "version": (["--version"], 0),
    "status": (["status", "--format", "json", *AS_OF], 0),
    "fmt": (["fmt", "--check"], 0),
    "new": (["new", "source", "--id", "smoke-source", "--name", "冒烟测试来源"], 0),
    "codeowners": (["codeowners", "--check"], 1),  # the base case has no CODEOWNERS file
    "template": (["template", "--form", "progress", "--plan", "tp-one", "-o", "p.xlsx"], 0),
    "export": (["export", "--out", "pkg", *AS_OF], 0),
    "changelog": (["changelog", "HEAD", "main", *AS_OF], 0),
    "review": (["review", "main", "HEAD", "--format", "json", *AS_OF], 0),
    "demo": (["demo", "--households", "5", "--seed", "1", "--out", "demo"], 0),
}


def _digest(path: Path) -> str:
    if path.suffix != ".xlsx":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    # a workbook's properties carry the clock (openpyxl's created/modified): the sheets only
    with zipfile.ZipFile(path) as z:
        return hashlib.sha256(
            b"".join(z.read(n) for n in sorted(z.namelist()) if n != "docProps/core.xml")
        ).hexdigest()


def _tree(root: Path) -> dict[str, str]:
    """Every file written (not git's, not the parse cache's: it holds file stamps)."""
    return {
        p.relative_to(root).as_posix(): _digest(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not {".git", DIRNAME} & set(p.relative_to(root).parts)
    }


def _repo(tmp: Path) -> Path:
    return init_repo(make_case(tmp, None))


@pytest.mark.parametrize("family", sorted(COMMANDS))
def test_in_process_runner_matches_the_real_process(family, tmp_path):
    args, code = COMMANDS[family]
    inside, apart = _repo(tmp_path / "in"), _repo(tmp_path / "out")
    got = bangfu(*args, cwd=inside, timeout=300)
    want = bangfu_process(*args, cwd=apart, timeout=300)
    assert "Traceback" not in want.stderr + got.stderr, want.stderr + got.stderr
    assert got.returncode == want.returncode, (got, want)
    assert got.stdout.replace(str(inside), str(apart)) == want.stdout
    assert got.stderr.replace(str(inside), str(apart)) == want.stderr
    assert _tree(inside) == _tree(apart)
    assert want.returncode == code, want.stdout + want.stderr
    assert want.stdout or want.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["check", *AS_OF], 0),
        (["check", *AS_OF, "--data", "{case}"], 1),
        (["check", "--as-of", "yesterday"], 2),
    ],
)
def test_console_script_exit_codes(args, code, tmp_path):
    """The ``bangfu`` script that ``pip install`` puts on the PATH (this worktree's code)."""
    import subprocess

    script = Path(sys.executable).with_name("bangfu")
    if not script.is_file():
        pytest.skip("the console script is not installed in this environment")
    repo = make_case(tmp_path, None)
    bad = make_case(tmp_path / "bad", CASES / "invalid" / "enum-value")
    args = [a.replace("{case}", str(bad / "data")) for a in args]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "scripts")}
    proc = subprocess.run(
        [str(script), *args], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    if code == 1:
        assert "[schema.enum]" in proc.stdout


def test_a_reader_that_left_ends_the_program_quietly(tmp_path):
    """``bangfu check`` writing to a pipe whose reader has gone (``bangfu check | head``, the
    head done): the report is not whole, so the program ends with 141 (as a shell reports a
    program ended by SIGPIPE), never 0, with no traceback and no "Exception ignored" from the
    output's last flush. With a reader, the check's own codes."""
    import subprocess

    repo = make_case(tmp_path, None)
    bad = make_case(tmp_path / "bad", CASES / "invalid" / "enum-value")
    for data in (repo / "data", bad / "data"):
        read, write = os.pipe()
        os.close(read)
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "bangfu", "check", *AS_OF, "--data", str(data)],
                cwd=repo,
                stdout=write,
                stderr=subprocess.PIPE,
                text=True,
                timeout=300,
            )
        finally:
            os.close(write)
        assert proc.returncode == 141, proc.stderr
        assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
        whole = bangfu_process("check", *AS_OF, "--data", str(data), cwd=repo)
        assert whole.returncode == (0 if data == repo / "data" else 1), whole.stderr


def test_output_that_cannot_be_written_or_has_nowhere_to_go_gives_no_traceback(tmp_path):
    """Output to a full disk (``/dev/full``): the program says why in one line, naming no
    path, and ends with 1, never 0. With its output closed (``>&-``): nothing to write, the
    check's own code. Never a traceback or an "Exception ignored"."""
    import subprocess

    repo = make_case(tmp_path, None)
    args = [sys.executable, "-m", "bangfu", "check", *AS_OF, "--data", str(repo / "data")]
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            args, cwd=repo, stdout=full, stderr=subprocess.PIPE, text=True, timeout=300
        )
    assert proc.returncode == 1, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and line.startswith("bangfu") and "/" not in line, line
    assert line.endswith("：No space left on device"), line
    closed = subprocess.run(
        ["/bin/sh", "-c", '"$@" >&-', "sh", *args],
        cwd=repo,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    assert closed.returncode == 0, closed.stderr
    assert "Traceback" not in closed.stderr and "Exception ignored" not in closed.stderr


def test_a_child_still_running_at_the_end_is_stopped():
    """The program ends by ``os._exit``, which skips ``multiprocessing``'s stopping of its
    children: a child still running then (a Ctrl-C between its start and the code that would
    stop it) is stopped by ``stop_children``."""
    import multiprocessing
    import time

    from bangfu.cli import stop_children

    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    child.daemon = True
    child.start()
    stop_children()
    child.join(10)
    assert not child.is_alive() and child.exitcode == -15
