"""Generated files kept in the repository (``.github/CODEOWNERS``, the editor's configuration in
``site/admin/``): ``--check`` says whether they are current, otherwise each file that differs is
rewritten, all of them or none (``writes.write_all``; a failure is a finding, not a traceback).
Registers no command."""

from __future__ import annotations

import sys
from pathlib import Path

from ..config import UsageError


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
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise UsageError(f"{folder} 不是文件夹：输出位置要给一个文件夹（或不存在的路径）")
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
    from ..writes import WriteError, os_failure, write_all

    write_all([(folder / rel, texts[rel]) for rel in changed])  # every file or none
    for p in extra:
        try:
            p.unlink()
        except OSError as exc:
            raise WriteError([os_failure(exc, str(p))]) from None
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
