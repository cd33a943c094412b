"""Test-only: record the finding codes every bangfu process creates during a test session.

tests/codes_record.py puts this folder on PYTHONPATH and sets BANGFU_RECORD_CODES to a fresh
folder, so every Python process the tests start (``python -m bangfu ...``, and its workers)
imports this module at start-up. It wraps ``bangfu.codes.make`` and ``bangfu.codes.usage``
before any other bangfu module imports them, and appends ``code<TAB>test id`` (the test from
PYTEST_CURRENT_TEST) to one file per process. Outside a test session it does nothing."""

from __future__ import annotations

import contextlib
import functools
import os


def _test_id() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]


def install(directory: str) -> None:
    from bangfu import codes

    if getattr(codes.make, "recording", False):
        return
    seen: set[tuple[str, str]] = set()

    def note(code) -> None:
        key = (code.code, _test_id())
        if key in seen:
            return
        seen.add(key)
        path = os.path.join(directory, f"{os.getpid()}.tsv")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("\t".join(key) + "\n")

    make, usage = codes.make, codes.usage

    @functools.wraps(make)
    def recording_make(code, *args, **kwargs):
        finding = make(code, *args, **kwargs)
        note(code)
        return finding

    @functools.wraps(usage)
    def recording_usage(code, message):
        text = usage(code, message)
        note(code)
        return text

    recording_make.recording = True  # type: ignore[attr-defined]
    codes.make = recording_make  # type: ignore[assignment]
    codes.usage = recording_usage  # type: ignore[assignment]


if os.environ.get("BANGFU_RECORD_CODES"):
    with contextlib.suppress(ImportError):  # a Python process that does not run bangfu
        install(os.environ["BANGFU_RECORD_CODES"])
