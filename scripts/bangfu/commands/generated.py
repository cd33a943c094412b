"""Generated files kept in the repository (``.github/CODEOWNERS``, the editor's configuration in
``site/admin/``): ``--check`` says whether they are current, otherwise each file that differs is
rewritten atomically. Registers no command."""

from __future__ import annotations

import sys
from pathlib import Path


def check_or_write(out: Path, text: str, check: bool, stale: str, command: str) -> int:
    """Exit code of a ``--check`` (1 when ``out`` differs from ``text``) or of a write.
    ``stale`` says what the file no longer matches; ``command`` regenerates it."""
    return _check_or_write(out.parent, {out.name: text}, [], check, stale, command, out)


def check_or_write_folder(
    folder: Path, texts: dict[str, str], owned: str, check: bool, stale: str, command: str
) -> int:
    """``check_or_write`` for the files ``texts`` (path under ``folder`` → text). A file that
    matches the glob ``owned`` but is not among them is left over from earlier data: the check
    fails on it and a write removes it."""
    extra = sorted(
        p
        for p in folder.glob(owned)
        if p.relative_to(folder).as_posix() not in texts and (p.is_file() or p.is_symlink())
    )
    return _check_or_write(folder, texts, extra, check, stale, command, folder)


def _check_or_write(folder, texts, extra, check, stale, command, name) -> int:
    current = {rel: _read(folder / rel) for rel in texts}
    changed = [rel for rel, text in texts.items() if current[rel] != text]
    if check:
        if changed or extra:
            shown = [folder / r for r in changed] + extra
            listed = "、".join(str(p) for p in shown[:5]) + ("等" if len(shown) > 5 else "")
            print(f"{listed} 已过期（{stale}）：运行 {command} 重新生成。", file=sys.stderr)
            return 1
        print(f"{name} 是最新的。")
        return 0
    if not changed and not extra:
        print(f"{name} 已是最新。")
        return 0
    from ..yamlio import atomic_write

    for rel in changed:
        out = folder / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, texts[rel])
    for p in extra:
        p.unlink()
    if len(texts) == 1 and not extra:
        print(f"已更新 {name}。")
    else:
        print(f"已更新 {name}（改写 {len(changed)} 个文件，删除 {len(extra)} 个）。")
    return 0


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None  # unreadable: rewritten
