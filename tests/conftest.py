"""Shared fixtures. ``BANGFU_REQUIRE_SYSTEM=1`` (set by .ci/run) turns every skip for a
missing system part (Chromium, Node) into a failure, so CI never passes by skipping."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from .codes_record import (  # noqa: F401  (an autouse fixture and a hook)
    producers_produce,
    pytest_unconfigure,
    start,
)


def temp_in_memory(folder: str = "/dev/shm", room: int = 4 << 30) -> bool:
    """The run's temporary folders in memory: the tests write (and the writers fsync) tens of
    thousands of small files (the whole suite on this machine: 330 s with them on its disk,
    285 s in memory). Used when ``TMPDIR`` is not set and ``folder`` is a writable tmpfs with
    ``room`` bytes free. pytest's numbered folders keep concurrent runs apart; a passing test's
    folder is removed when it ends and a passing run's when it ends (pyproject.toml:
    ``tmp_path_retention_policy``), so the memory is given back."""
    if os.environ.get("TMPDIR") or os.environ.get("PYTEST_XDIST_WORKER"):
        return False  # chosen by the user, or by the controller that started this worker
    try:
        st = os.statvfs(folder)
        with open("/proc/mounts", encoding="utf-8") as mounts:
            tmpfs = any(
                line.split()[1:3] == [folder, "tmpfs"] for line in mounts if line.count(" ") > 2
            )
    except OSError:
        return False
    if not tmpfs or st.f_bavail * st.f_frsize < room or not os.access(folder, os.W_OK):
        return False
    if _memory_left() < 2 * room:  # what a tmpfs holds is memory: leave the tests their share
        return False
    os.environ["TMPDIR"] = folder  # the workers and every command a test runs inherit it
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
    return True


def _memory_left() -> int:
    """Bytes of memory this process may still use: the kernel's estimate of what is available,
    or less under a cgroup (v2) limit, as in a container."""
    left = 0
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    left = int(line.split()[1]) * 1024
        with open("/sys/fs/cgroup/memory.max", encoding="utf-8") as cap:
            limit = cap.read().strip()
        if limit != "max":
            with open("/sys/fs/cgroup/memory.current", encoding="utf-8") as used:
                left = min(left, int(limit) - int(used.read().strip()))
    except (OSError, ValueError):
        pass
    return left


temp_in_memory()  # before anything asks for a temporary folder
RECORDED_CODES = start()  # before any test module imports bangfu
if os.environ.get("PYTEST_XDIST_WORKER"):
    # the xdist workers already keep every core busy: a command's own worker processes (reading
    # a tree, generating a corpus) would only add forks. The tests of the parallel paths ask for
    # their workers explicitly.
    os.environ.setdefault("BANGFU_WORKERS", "1")
ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases"
BASE = CASES / "base" / "data"
DEFAULT_AS_OF = "2025-01-01"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first (marked ``slow``, and the browser tests, which wait on Chromium):
    pytest-xdist hands out tests in this order, so the run ends on short tests that fill the
    workers evenly instead of on one long test while the other workers idle. Otherwise the
    order is pytest's own."""
    items.sort(
        key=lambda item: (
            not any(item.iter_markers("slow")) and not any(item.iter_markers("browser"))
        )
    )


def require_system(what: str, available: bool) -> None:
    if available:
        return
    if os.environ.get("BANGFU_REQUIRE_SYSTEM") == "1":
        pytest.fail(f"{what} is required when BANGFU_REQUIRE_SYSTEM=1")
    pytest.skip(f"{what} not installed")


def cached_copy(data: Path, tmp: Path) -> Path:
    """A corpus (its ``data`` folder given) copied to a folder of its own, with a place for
    the caches; its new data folder."""
    root = tmp / "demo"
    shutil.copytree(data.parent, root, ignore=shutil.ignore_patterns(".bangfu-cache"))
    (root / ".bangfu-cache").mkdir()
    return root / "data"


def settle(data: Path) -> None:
    """Every file and folder of ``data`` dated an hour back, as a checkout's are by the time
    a check has ended (no stamp is then too recent for the parse cache to trust)."""
    back = time.time() - 3600
    for path in [data, *data.rglob("*")]:
        os.utime(path, (back, back))


def make_case(tmp: Path, case_dir: Path | None, remove=()) -> Path:
    """A data folder: the shared base records plus a case's overlay files."""
    root = tmp / "repo"
    shutil.copytree(BASE, root / "data")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    for rel in remove:
        (root / rel).unlink()
    if case_dir is not None and (case_dir / "data").is_dir():
        shutil.copytree(case_dir / "data", root / "data", dirs_exist_ok=True)
    return root


def bangfu(
    *args: str, cwd: Path, env: dict | None = None, timeout: int = 120, input_: str | None = None
) -> subprocess.CompletedProcess:
    """Run the CLI in this process (``bangfu.cli.main(argv)``) as a user would in a shell:
    in ``cwd``, with ``env`` added to the environment, stdin from ``input_``; stdout, stderr
    and the exit code come back as a ``CompletedProcess``, an uncaught exception as exit code 1
    with its traceback on stderr, like the console script. Process-level behaviour (signals,
    a killed writer, locks between processes, the console script) uses ``bangfu_process``."""
    from bangfu.cli import main

    out, err = io.StringIO(), io.StringIO()
    streams = sys.stdin, sys.stdout, sys.stderr
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    code: int | str | None
    try:
        os.environ.update(env or {})
        os.chdir(cwd)
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(input_ or ""), out, err
        with _deadline(timeout, args):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: usage errors, --help, --version
                code = exc.code
            except subprocess.TimeoutExpired:
                raise
            except Exception:  # what the console script would print before exiting 1
                traceback.print_exc(file=err)
                code = 1
        if not isinstance(code, int):  # sys.exit("message") / sys.exit(None)
            if code is not None:
                print(code, file=err)
            code = 0 if code is None else 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        _fresh_process_state()
    return subprocess.CompletedProcess(["bangfu", *args], code, out.getvalue(), err.getvalue())


def bangfu_process(
    *args: str, cwd: Path, env: dict | None = None, timeout: int = 120, input_: str | None = None
) -> subprocess.CompletedProcess:
    """Run the real CLI in its own process (``python -m bangfu``)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bangfu", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input_,
    )


@contextlib.contextmanager
def _deadline(seconds: float, args: tuple):
    """``subprocess.TimeoutExpired`` after ``seconds``, as ``bangfu_process`` would raise; an
    outer alarm (pytest-timeout's) is put back, less the time spent here."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outer_handler = signal.getsignal(signal.SIGALRM)
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer_left and outer_left <= seconds:  # the outer alarm comes first anyway
        yield
        return

    def expired(signum, frame):
        raise subprocess.TimeoutExpired(["bangfu", *args], seconds)

    start = time.monotonic()
    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_left:
            left = outer_left - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))


# memoised for their side effect (registering an exit handler once), not for a value
_KEEP_CACHED = {("bangfu.collector", "_unfreeze_at_exit")}


def _fresh_process_state() -> None:
    """What a new process would not remember: the package's memoised functions (schemas and
    fingerprints by folder: a test may change them between two runs), and the loader's
    ``gc.freeze`` (frozen objects are never collected; a process would exit instead)."""
    for name, module in list(sys.modules.items()):
        if name != "bangfu" and not name.startswith("bangfu."):
            continue
        for attr, value in list(vars(module).items()):
            if (
                callable(getattr(value, "cache_clear", None))
                and getattr(value, "__module__", None) == name
                and (name, attr) not in _KEEP_CACHED
            ):
                value.cache_clear()
    gc.unfreeze()


def build_site(data: Path, out: Path, src: Path, *extra: str) -> subprocess.CompletedProcess:
    """``bangfu site`` from the repository root, with the generated sources kept in ``src``."""
    return bangfu(
        "site",
        "--data",
        str(data),
        "--out",
        str(out),
        "--src",
        str(src),
        *extra,
        cwd=ROOT,
        timeout=600,
    )


# --- trees built once per test run, shared by the tests (and the xdist workers) -------------


def run_folder(tmp_path_factory) -> Path:
    """The run's temporary folder, the same for every process of the run: under pytest-xdist
    each worker has its own basetemp (<run>/popen-<worker>)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_tree(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """``build(folder)`` once per test run, by whichever process asks first; the others wait
    for it, then read the same folder. The folder is read-only for the tests: one that changes
    it works on a copy (``shutil.copytree`` into its ``tmp_path``)."""
    root = run_folder(tmp_path_factory) / "shared"
    root.mkdir(exist_ok=True)
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed build left
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


def demo_corpus(tmp_path_factory, households: int, seed: int) -> Path:
    """``bangfu demo --households N --seed S``, once per run: the data folder."""

    def make(folder: Path) -> None:
        res = bangfu(
            "demo",
            "--households",
            str(households),
            "--seed",
            str(seed),
            "--out",
            str(folder / "demo"),
            cwd=ROOT,
            timeout=600,
        )
        assert res.returncode == 0, res.stderr

    return shared_tree(tmp_path_factory, f"demo-{households}-{seed}", make) / "demo" / "data"


def built_site(tmp_path_factory, name: str, data: Path, *extra: str) -> Path:
    """``bangfu site`` of ``data``, once per run: the output folder (the sources sit in the
    sibling ``src``; the command's stdout in the sibling ``stdout.txt``)."""

    def make(folder: Path) -> None:
        res = build_site(data, folder / "out", folder / "src", *extra)
        assert res.returncode == 0, res.stderr + res.stdout
        (folder / "stdout.txt").write_text(res.stdout, "utf-8")

    return shared_tree(tmp_path_factory, name, make) / "out"


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """The demo corpus of the site and browser tests (300 households, seed 2). Read-only."""
    return demo_corpus(tmp_path_factory, 300, 2)


@pytest.fixture(scope="session")
def demo_site(demo_data, tmp_path_factory) -> Path:
    """The site built from ``demo_data``, marked as demo data. Read-only."""
    out = built_site(tmp_path_factory, "demo-site", demo_data)
    assert "演示数据" in (out.parent / "stdout.txt").read_text("utf-8")
    return out


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> Path:
    """The site built from the repository's data/ (no --as-of: the data's own date)."""
    return built_site(tmp_path_factory, "real-site", ROOT / "data")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright, one per test process for every browser test (the
    Sync API allows one Playwright per process). Each test opens its own context."""
    require_system("chromium", shutil.which("chromium") is not None)
    from playwright.sync_api import sync_playwright

    from .browser_helpers import ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def base_repo(tmp_path) -> Path:
    return make_case(tmp_path, None)


# --- real git repositories in temp folders (review, history guard, privacy of the comment) ---


GIT_DATE = "2025-03-01T10:00:00+08:00"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "测试",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "测试",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,  # the machine's settings change nothing
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str, date: str = GIT_DATE) -> str:
    """Run git in ``root``: its stdout without the final newline. Commits get ``date``: the
    same files give the same commit ids."""
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout.rstrip()


def commit(root: Path, message: str, *, force: bool = False) -> None:
    """Commit everything; ``force`` also adds what .gitignore would keep out."""
    git(root, "add", "-A", *(["-f"] if force else []))
    git(root, "commit", "-q", "-m", message)


def init_repo(root: Path) -> Path:
    """Make ``root`` a fresh repository whose first commit on ``main`` is its current files."""
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "测试")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "config", "commit.gpgsign", "false")
    commit(root, "base")
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the first ``old`` in a file (which must hold it) by ``new``."""
    p = root / rel
    text = p.read_text("utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), "utf-8")


@pytest.fixture
def repo(tmp_path) -> Path:
    """The shared base case as the first commit of a fresh repository."""
    return init_repo(make_case(tmp_path, None))


# the open-data tables, in publishing order (aggregate.tables.build)
TABLES = [
    "counties",
    "townships",
    "villages",
    "organizations",
    "campaigns",
    "plans",
    "plan_targets",
    "plan_organizations",
    "report_entries",
    "progress",
]


@pytest.fixture
def sealed_repo(tmp_path):
    """The base case whose county has a supervisor's and a recovery key (tests/sealed_helpers)."""
    from .sealed_helpers import make_sealed_repo

    return make_sealed_repo(tmp_path)
