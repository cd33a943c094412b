"""What the write-safety tests share: a disk that fills up while bangfu writes."""

from __future__ import annotations

import io
import os


def full_disk(monkeypatch, err: int, after: int) -> None:
    """Every staged file after the first ``after`` fails to write with ``err``."""
    import bangfu.writes as writes

    real = writes.os.fdopen
    count = {"n": 0}

    class Full(io.RawIOBase):
        def __init__(self, fh):
            self.fh = fh

        def fileno(self):
            return self.fh.fileno()

        def write(self, data):
            raise OSError(err, os.strerror(err))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def fdopen(fd, *args, **kwargs):
        fh = real(fd, *args, **kwargs)
        count["n"] += 1
        return Full(fh) if count["n"] > after else fh

    monkeypatch.setattr(writes.os, "fdopen", fdopen)
