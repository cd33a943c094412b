"""One piece of a command's work done by a second process while the first goes on.

The Excel workbook is one of the slowest files of the package (every cell is written as XML)
and depends on nothing the rest of the package or the site's pages produce. ``start`` runs it
in a child, so the two cores of a small server work at once; the caller writes the other
files, then ``wait``s before it needs the file (the downloads page states its size). Where a
fork is not available (not Linux) or one process is asked for (``BANGFU_WORKERS=1``), the
function runs at once, in this process: the files are the same.

A forked child shares this process's memory only until either writes to it, and merely reading
an object writes its reference count: every page holding an object the child reads, or that
this process reads after the fork, is then copied. The workbook reads every row of every table
while this process reads them again for the other files: at 100,000 households the process
tree held 4.4 GB while a forked child wrote the workbook, 3.7 GB with a fresh one, and the gap
grows with the tables. So the workbook's child is *fresh*
(``start(..., fresh=True)``): a new interpreter (``multiprocessing``'s ``spawn``; not its
``forkserver``, whose one server a forked child would share with its parent), it imports what
it runs, receives the tables pickled and holds only them.

The check's rules run the same way while the figures are computed (``Pipeline.publishable``):
the child's return value (the findings) comes back pickled; and in ``bangfu check``, half the
rules run in a child while this process runs the other half (``rules.run_all``). A child
starts no child of its own (``inside``): its parent already keeps the other core busy; nor
does a process whose child still runs (``busy``: the disclosure search, while the check's
rules run beside the figures), which would share two cores three ways. Such a ``start`` runs
the function at once, in this process. A child that has ended is not running: ``busy``
collects its answer without waiting (its pipe is readable once it has sent it, or died), so
the core it used is free for the next child; ``wait`` then returns or raises that answer.

``hand_over`` is the other way round: the child does the heavy part of a command and this
process only waits, so the child may start children of its own (it is not ``inside``). When it
ends, everything it held is given back at once — ``bangfu site`` hands the records, figures and
pages over to a child and runs MkDocs once that child has exited, instead of idling beside
MkDocs with the memory of every record (which a Python process never returns to the system).

A failure in the child reaches the caller as the same exception (or, if it cannot be sent, as
``PublishRefused`` naming it); a child that dies without an answer (killed, out of memory) is
``PublishRefused`` too. Leaving the ``with`` block early (an error in the caller) stops the
child, so no process outlives the command and nothing is published.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Any

from . import collector
from .config import PublishRefused, workers_set

STOP_GRACE = 10.0  # seconds a stopped child has to stop its own children before it is killed
_inside = False  # set in a child that may start none of its own
_in_child = False  # set in every child started here
_running: set = set()  # the jobs of this process whose child has not been waited for
_DEFERRED = {signal.SIGTERM, signal.SIGINT}  # wait while a child starts (``Job``)


def busy() -> bool:
    """Whether a child started here still runs (its core is taken: a second child of this
    process would only share the cores three ways). A child that has ended (its answer or its
    death is waiting in the pipe) is collected now, without blocking, and no longer counts."""
    for job in [j for j in _running if j.ended()]:
        job.collect()
    return bool(_running)


def inside() -> bool:
    """Whether this process is a child started here."""
    return _inside


def in_child() -> bool:
    """Whether this process is a child started here, handed over or not: what it ``kept``
    is not freed before it ends (``collector.ends_unfreed``)."""
    return _in_child


def can_fork() -> bool:
    """Whether ``start`` would run its function in a child: not in a child (``inside``),
    and not while a child of this process runs (``busy``)."""
    return sys.platform.startswith("linux") and workers_set() != 1 and not _inside and not busy()


def _fork(proc) -> None:
    """Start ``proc`` forked from this process. The objects both processes hold move out of
    the collector's reach in the child: a collection there would write to every one of them and
    copy their memory pages (objects frozen before, as ``load`` freezes the records, stay
    frozen: unfreezing would hand them back to the collector here, and a collection would
    copy them)."""
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        proc.start()
    finally:
        if not frozen_before:
            gc.unfreeze()


def _child(send, name: str, fn: Callable[..., Any], args: tuple, alone: bool, mask: set) -> None:
    global _inside, _in_child
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # as its parent's before it started it
    _inside = not alone
    _in_child = True
    # a forked child ends by ``os._exit`` (multiprocessing): what it kept stays unfreed; a
    # fresh one ends as any interpreter does
    collector.ends_unfreed()
    _running.clear()  # the parent's children, not this one's
    if alone:  # ``stop`` ends it: its own children are stopped, as on any error
        signal.signal(signal.SIGTERM, _stopped)
    try:
        value = fn(*args)
        # the child ends once its answer is sent: a collection now would only walk what
        # the function made (at 200,000 households, 1 s after the disclosure search)
        gc.disable()
        answer = pickle.dumps((True, value))
    except BaseException as exc:  # noqa: BLE001 (every failure goes back to the caller)
        try:
            answer = pickle.dumps((False, exc))
        except Exception:  # noqa: BLE001 (an exception that cannot be pickled)
            refusal = PublishRefused(f"{name}未能完成：{type(exc).__name__}")
            answer = pickle.dumps((False, refusal))
    send.send_bytes(answer)


def _stopped(signum, frame) -> None:
    raise SystemExit(128 + signum)


class Job:
    """A function running in a child (forked from here, or ``fresh``), or already run;
    ``wait`` for its end. ``alone``: handed over (``hand_over``)."""

    def __init__(
        self,
        name: str,
        fn: Callable[..., Any],
        args: tuple,
        lost: str,
        *,
        alone: bool = False,
        fresh: bool = False,
    ):
        self.name, self.lost, self._proc, self._recv, self._value = name, lost, None, None, None
        self._answer: bytes | None = b""  # the child's pickled answer, once collected
        self._exitcode: int | None = None
        self._error: BaseException | None = None
        self.forked = can_fork()  # else run here, now
        if not self.forked:
            self._value = fn(*args)
            return
        ctx: Any = mp.get_context("spawn" if fresh else "fork")
        recv, send = ctx.Pipe(duplex=False)
        # a stop (or Ctrl-C) waits while the child is started and noted as this process's,
        # here and in ``multiprocessing``: arriving between the two, it would leave the child
        # running, unknown to both, once this process has ended (``stop`` of a child handed
        # over that was starting one). The child restores the signals first thing.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
        try:
            self._proc = ctx.Process(
                target=_child, args=(send, name, fn, args, alone, mask), daemon=not alone
            )  # a daemon may start no child: the one handed over is stopped by ``stop``
            try:
                if fresh:
                    self._proc.start()  # it shares no memory with this process
                else:
                    _fork(self._proc)
            except BaseException:  # no process (out of memory, too many processes…)
                recv.close()
                send.close()
                raise
            _running.add(self)
            send.close()  # the child holds the only sending end: its death ends the pipe
            self._recv = recv
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a stop waiting arrives now

    def ended(self) -> bool:
        """Whether the child has sent its answer or died (its pipe is readable): ``collect``
        would not wait for it to work."""
        return self._recv is not None and self._recv.poll(0)

    def collect(self) -> None:
        """Read the child's answer (or note that it died without one) and end the child; the
        answer is returned or raised by ``wait``."""
        if self._proc is None or self._recv is None:
            return
        proc, recv = self._proc, self._recv
        try:
            self._answer = recv.recv_bytes()
        except EOFError:
            self._answer = None
        except BaseException:  # interrupted while waiting (Ctrl-C, stopped): stop the child
            self.stop()
            raise
        self._proc = self._recv = None
        _running.discard(self)
        recv.close()
        proc.join()
        self._exitcode = proc.exitcode

    def wait(self) -> Any:
        """The function's return value once it has finished; raise what it raised."""
        if not self.forked:
            return self._value
        self.collect()
        answer, self._answer = self._answer, b""
        if answer == b"":  # already returned (or raised) once
            if self._error is not None:
                raise self._error
            return self._value
        if answer is None:
            self._error = PublishRefused(
                f"{self.name}未能完成：它的进程意外退出（退出码 {self._exitcode}）；{self.lost}"
            )
            raise self._error
        ok, value = pickle.loads(answer)
        if not ok:
            self._error = value  # raised again by a later ``wait``
            raise value
        self._value = value
        return value

    def stop(self) -> None:
        """Stop the child if it still runs (the caller failed); nothing is waited for."""
        _running.discard(self)
        if self._proc is not None:
            self._proc.terminate()  # a child handed over stops its own children first
            self._proc.join(STOP_GRACE)
            if self._proc.is_alive():  # inside a long call that no signal interrupts
                self._proc.kill()
                self._proc.join()
            if self._recv is not None:
                self._recv.close()
            self._proc = self._recv = None

    def __enter__(self) -> Job:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is not None:
            self.stop()
        else:
            self.wait()


def start(
    name: str,
    fn: Callable[..., Any],
    *args: Any,
    lost: str = "没有发布任何文件",
    fresh: bool = False,
) -> Job:
    """Run ``fn(*args)`` in a child where possible, else now; ``name`` (Chinese) names what it
    does in an error, ``lost`` what a child that dies leaves undone. ``fresh``: the child is
    a new interpreter (``spawn``), not a fork of this one, and ``fn`` and
    ``args`` reach it pickled. See the module text."""
    return Job(name, fn, args, lost, fresh=fresh)


def hand_over(name: str, fn: Callable[..., Any], *args: Any, lost: str = "没有发布任何文件") -> Job:
    """Run ``fn(*args)`` in a forked child that may start children of its own, while this
    process only waits (``wait``); where no fork is possible, now, here. See the module text."""
    return Job(name, fn, args, lost, alone=True)


class Counter:
    """The index of the next share of some work, shared by a process and the children it
    starts (the way ``multiprocessing`` shares a value: made before the child starts, reaching
    it as an argument): the package's files (``publish.package_work``) and the plans' cells of
    disclosure control (``aggregate.protect``) are taken one by one by whichever process is
    free, so neither waits while the other still has work."""

    def __init__(self, shared: bool = True) -> None:
        """``shared=False``: for this process alone (no shared memory nor semaphore), where
        no child will take shares (``can_fork`` false)."""
        self._next = mp.get_context("spawn").Value("q", 0) if shared else None
        self._here = 0

    def take(self, count: int) -> int | None:
        """The index of a share no process has taken, or None when all ``count`` are taken."""
        if self._next is None:
            i, self._here = self._here, min(self._here + 1, count)
            return i if i < count else None
        with self._next.get_lock():
            i = self._next.value
            if i >= count:
                return None
            self._next.value = i + 1
            return i
