"""Writing records: one canonical YAML layout (ruamel.yaml round-trip, comments kept) and
atomic file replacement, so no writer can leave a half-written or lost file."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import tempfile
from pathlib import Path

from ruamel.yaml import YAML

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def yaml_rt() -> YAML:
    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    y.allow_unicode = True
    y.preserve_quotes = True
    return y


def _to_yaml_types(value):
    if isinstance(value, dict):
        return {k: _to_yaml_types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_yaml_types(v) for v in value]
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def dump_text(data: dict, header: str = "") -> str:
    """Canonical text of a record built in code (dates written plain, like hand-written files)."""
    buf = io.StringIO()
    yaml_rt().dump(_to_yaml_types(data), buf)
    return header + buf.getvalue()


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_new(path: Path, text: str) -> None:
    """Create ``path``; refuse to replace an existing record."""
    if path.exists():
        raise FileExistsError(str(path))
    atomic_write(path, text)
