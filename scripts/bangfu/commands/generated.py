"""A generated file kept in the repository (``.github/CODEOWNERS``, the editor's
``site/admin/config.yml``): ``--check`` says whether it is current, otherwise it is rewritten
atomically when it differs. Registers no command."""

from __future__ import annotations

import sys
from pathlib import Path


def check_or_write(out: Path, text: str, check: bool, stale: str, command: str) -> int:
    """Exit code of a ``--check`` (1 when ``out`` differs from ``text``) or of a write.
    ``stale`` says what the file no longer matches; ``command`` regenerates it."""
    current = out.read_text("utf-8") if out.is_file() else None
    if check:
        if current != text:
            print(f"{out} 已过期（{stale}）：运行 {command} 重新生成。", file=sys.stderr)
            return 1
        print(f"{out} 是最新的。")
        return 0
    if current == text:
        print(f"{out} 已是最新。")
        return 0
    from ..yamlio import atomic_write

    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, text)
    print(f"已更新 {out}。")
    return 0
