"""How ``bangfu bench`` runs bangfu: today's code, and the code at ``--baseline-ref REF``.

The baseline is the whole tree at REF (``git archive``; the site build finds its pages and
``mkdocs.yml`` next to its package) under ``build/bench/baseline-<sha>/``, run by the same
Python as ``python -m bangfu`` with ``PYTHONPATH`` on its ``scripts/``; which module a child
actually imports is checked once. Each side keeps its own parse cache, moved into place before
its runs, so neither ever reads the other's.

Every run is measured by a wrapper that starts the command in a session of its own: wall time;
the peak resident memory of the largest single process (``RUSAGE_CHILDREN``); and the peak
memory of the whole session (``bangfu site`` keeps its memory while MkDocs runs; a check forks
loader workers), sampled: the sum of resident sizes four times a second, which counts the
pages forked workers share with their parent once per process and so overstates, and the sum
of proportional sizes (PSS, shared pages split between their sharers) whenever the former has
grown, at most once a second. A run past its time limit has its whole session killed and is
recorded as timed out.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from bangfu.cache import DIRNAME
from bangfu.config import UsageError

BASELINE = "baseline"
VALUE_EDIT = "（基准测试改动）"

_WRAPPER = r"""
import json, os, resource, signal, subprocess, sys, tempfile, time
timeout = float(sys.argv[1])
page = os.sysconf("SC_PAGE_SIZE")

def session_rss(sid):
    pids, total = [], 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                rest = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(rest[3]) == sid:
            pids.append(name)
            total += int(rest[21]) * page
    return pids, total

def session_pss(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError):
            pass
    return total

err = tempfile.TemporaryFile()
t = time.perf_counter()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)

def stop(signum, frame):  # the bench itself is stopped: take the measured session along
    try:
        os.killpg(p.pid, signal.SIGKILL)
    finally:
        os._exit(128 + signum)

signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
peak_rss = peak_pss = rss_at_pss = 0
pss_at = 0.0
while True:
    try:  # never wait past the limit: a step over it is stopped as soon as it is over
        rc = p.wait(timeout=max(0.0, min(0.25, timeout - (time.perf_counter() - t))))
        break
    except subprocess.TimeoutExpired:
        pass
    if time.perf_counter() - t > timeout:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        rc = "timeout"
        break
    try:
        pids, rss = session_rss(p.pid)
    except OSError:
        continue
    peak_rss = max(peak_rss, rss)
    # PSS (shared pages counted once: forked workers share most of theirs) costs ~15 ms per GB
    # to read, so only when the plain sum has grown, and at most once a second
    now = time.perf_counter()
    if rss > rss_at_pss * 1.05 and now - pss_at >= 1.0:
        peak_pss = max(peak_pss, session_pss(pids))
        rss_at_pss, pss_at = rss, now
wall = time.perf_counter() - t
if wall > timeout:  # it ended on its own, but after its limit: over the limit all the same
    rc = "timeout"
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
err.seek(0)
print(json.dumps({"wall": wall, "rc": rc, "maxrss_kb": ru.ru_maxrss,
                  "session_pss_kb": peak_pss // 1024, "session_rss_kb": peak_rss // 1024,
                  "cpu": ru.ru_utime + ru.ru_stime,
                  "stderr": err.read()[-1500:].decode("utf-8", "replace")}))
"""


# --- the implementations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Impl:
    key: str  # "" for today's code, BASELINE for the code at --baseline-ref
    scripts: Path  # what goes on PYTHONPATH
    module: str  # bangfu/__init__.py as that PYTHONPATH imports it
    sha: str | None = None

    @property
    def env(self) -> dict[str, str]:
        return {"PYTHONPATH": str(self.scripts)}

    def tag(self, label: str) -> str:
        return f"{label}［基线 {self.sha[:10]}］" if self.key and self.sha else label


def _imported(scripts: Path) -> str:
    """The ``bangfu`` a child Python imports with ``PYTHONPATH=scripts``; it must be that one."""
    proc = subprocess.run(
        [sys.executable, "-c", "import bangfu; print(bangfu.__file__)"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(scripts)},
    )
    where = Path(proc.stdout.strip() or ".").resolve()
    if proc.returncode != 0 or not where.is_relative_to(scripts.resolve()):
        raise UsageError(f"用 PYTHONPATH={scripts} 导入的 bangfu 不是这份代码（导入了 {where}）")
    return str(where)


def current() -> Impl:
    scripts = Path(__file__).resolve().parents[1]
    return Impl("", scripts, _imported(scripts))


def baseline(ref: str, out: Path) -> Impl:
    """The code at ``ref``, unpacked once under ``out/baseline-<sha>/`` and reused."""
    from bangfu.review.gitio import Git

    repo = Git(Path(__file__).resolve().parents[2])
    sha = repo.resolve(ref)
    root = (out / f"baseline-{sha[:12]}").resolve()
    marker = root / ".bangfu-baseline"
    if not (marker.is_file() and marker.read_text("ascii").strip() == sha):
        tmp = out / f".baseline-{sha[:12]}.tmp"
        for stale in (tmp, root):
            shutil.rmtree(stale, ignore_errors=True)
        try:
            raw = repo.archive(sha)
        except UsageError as exc:
            raise UsageError(f"无法取出基线代码 {sha[:10]}：{exc}") from None
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            tar.extractall(tmp, filter="data")
        (tmp / marker.name).write_text(sha + "\n", "ascii")
        os.replace(tmp, root)
    if not (root / "scripts" / "bangfu" / "__main__.py").is_file():
        raise UsageError(f"基线 {sha[:10]} 中没有 scripts/bangfu，无法对比")
    _share_node_modules(repo.top, root)
    return Impl(BASELINE, root / "scripts", _imported(root / "scripts"), sha)


def _share_node_modules(checkout: Path, root: Path) -> None:
    """The checkout's ``node_modules`` (the web editor's bundle, not in Git) linked into the
    baseline's folder, so that both sides build the same site: without it the baseline's site
    has no editor at ``/admin/`` and does less work."""
    ours, theirs = checkout / "node_modules", root / "node_modules"
    if ours.is_dir() and not os.path.lexists(theirs):
        theirs.symlink_to(ours.resolve(), target_is_directory=True)


def implementations(ref: str | None, out: Path) -> list[Impl]:
    impls = [current()]
    if ref:
        impls.append(baseline(ref, out))
    return impls


# --- measuring -------------------------------------------------------------------------------


def measure(cmd: list[str], timeout: float, env: dict[str, str]) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRAPPER, str(timeout), *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    try:
        out, err = proc.communicate()
    except BaseException:  # stopped (Ctrl-C, kill): the wrapper kills what it measures
        proc.terminate()
        proc.wait()
        raise
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"wall": None, "rc": "wrapper", "maxrss_kb": 0, "stderr": err[-1500:]}


class Caches:
    """One parse cache per implementation, moved to ``<root>/.bangfu-cache`` while it runs."""

    def __init__(self, root: Path, impls: list[Impl]):
        self.live = root / DIRNAME
        self.stashes = {i.key: root / f".bench-cache-{i.key or 'current'}" for i in impls}

    def reset(self) -> None:
        for d in (self.live, *self.stashes.values()):
            shutil.rmtree(d, ignore_errors=True)

    @contextlib.contextmanager
    def use(self, impl: Impl, fresh: bool = False):
        stash = self.stashes[impl.key]
        shutil.rmtree(self.live, ignore_errors=True)
        if fresh:
            shutil.rmtree(stash, ignore_errors=True)
        if stash.is_dir():
            os.replace(stash, self.live)
        else:
            self.live.mkdir()
        try:
            yield
        finally:
            if self.live.is_dir():
                os.replace(self.live, stash)

    def finish(self) -> None:
        """Leave today's cache in place (the corpus stays checkable with a cache)."""
        cur = self.stashes.pop("", None)
        for d in self.stashes.values():
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(self.live, ignore_errors=True)
        if cur is not None and cur.is_dir():
            os.replace(cur, self.live)
        else:
            self.live.mkdir()


def edit_values(paths: list[str], k: int = 0) -> dict[str, bytes]:
    """Change a text value in each file (a household's address, a report's content or reason
    for no activity), so that a rebuild sees changed records, not just changed bytes; a file
    without such a line gets a comment appended instead; repetition ``k`` > 0 marks differently.
    The original bytes are returned, for ``bench.restore_files``."""
    from .benchtypes import EDIT

    saved = {}
    mark = VALUE_EDIT + (f"{k}" if k else "")
    comment = f"\n# 基准测试改动 {k}\n" if k else EDIT
    pattern = re.compile(r"^(address: |no_activity_reason: |\s+content: )([^'\"\n].*)$", re.M)
    for p in paths:
        raw = Path(p).read_bytes()
        saved[p] = raw
        text = raw.decode("utf-8")
        new, n = pattern.subn(lambda m: m.group(1) + m.group(2) + mark, text, count=1)
        Path(p).write_bytes((new if n else text + comment).encode("utf-8"))
    return saved


def preread(files) -> None:
    """Read every file once, so the first measured step does not pay for the disk alone."""
    for p, _rel, _ in files:
        with contextlib.suppress(OSError), open(p, "rb") as fh:
            fh.read()


@contextlib.contextmanager
def terminate_as_exit():
    """``kill`` (SIGTERM) unwinds like Ctrl-C, so edited corpus files are restored (``finally``)
    before the process ends; otherwise a reused corpus would keep the edits."""

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
