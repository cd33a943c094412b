"""What the tests of the open data package share: an export as a user runs it, and the files
of a package read back."""

from __future__ import annotations

from pathlib import Path

from .conftest import bangfu

AS_OF = "2026-06-30"


def export(data: Path, out: Path, *extra: str, cwd: Path | None = None) -> Path:
    """``bangfu export`` of ``data`` into ``out`` (run in ``cwd``, default: beside ``data``);
    it must succeed."""
    proc = bangfu(
        "export",
        "--data",
        str(data),
        "--out",
        str(out),
        "--as-of",
        AS_OF,
        *extra,
        cwd=cwd or data.parent,
    )
    assert proc.returncode == 0, proc.stderr
    assert "已导出开放数据" in proc.stdout
    return out


def tree(out: Path) -> dict[str, bytes]:
    """Every file under ``out``: its relative path → its bytes."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }
