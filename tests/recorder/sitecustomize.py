"""Test-only: record the finding codes every bangfu process creates during a test session.

tests/codes_record.py puts this folder on PYTHONPATH and sets BANGFU_RECORD_CODES to a fresh
folder, so every Python process the tests start (``python -m bangfu ...``, and its workers)
imports this module at start-up. It adds an observer to ``bangfu.codes.OBSERVERS`` (told of
every code ``make`` and ``usage`` are given) that appends ``code<TAB>test id`` (the test from
PYTEST_CURRENT_TEST) to one file per process. Outside a test session it does nothing."""

from __future__ import annotations

import contextlib
import os


def _test_id() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]


def install(directory: str) -> None:
    from bangfu import codes

    if any(getattr(o, "recording", False) for o in codes.OBSERVERS):
        return
    seen: set[tuple[str, str]] = set()

    def note(code) -> None:
        key = (code.code, _test_id())
        if key in seen:
            return
        seen.add(key)
        # the session's folder now: an xdist worker inherits the controller's at start-up and
        # starts its own session later (tests/codes_record.start)
        where = os.environ.get("BANGFU_RECORD_CODES") or directory
        path = os.path.join(where, f"{os.getpid()}.tsv")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("\t".join(key) + "\n")

    note.recording = True  # type: ignore[attr-defined]

    codes.OBSERVERS.append(note)


if os.environ.get("BANGFU_RECORD_CODES"):
    with contextlib.suppress(ImportError):  # a Python process that does not run bangfu
        install(os.environ["BANGFU_RECORD_CODES"])
