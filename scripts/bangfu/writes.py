"""Writing files so that nothing is lost: one writer at a time, all files or none, even across
a crash.

- ``writing(data_root)`` holds an exclusive lock (``flock``) on the data folder itself for the
  whole of one writing command; a second writer waits a moment, then gets a ``write.locked``
  finding and writes nothing.
- ``write_all`` stages every file as a temporary file next to its target (a name
  ``is_tool_temp`` recognises and ``.gitignore`` ignores), then renames them into place. For a
  data folder it keeps a journal (``.bangfu-journal`` next to the data folder) listing targets
  and temporary files: "staging" while they are written, "renaming" once all are on disk.
  The next writer (and ``bangfu check``) finds an unfinished journal and rolls it back
  (staging: the temporary files are removed) or forward (renaming: the remaining renames are
  done), so a killed import leaves the old ledger or the new one, never a mix.
- A full disk or any other failed write is a finding (``WriteError``), never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from .codes import (
    WRITE_DISK_FULL,
    WRITE_FAILED,
    WRITE_JOURNAL_INVALID,
    WRITE_LOCKED,
    WRITE_RECOVERED,
    make,
)
from .findings import ERROR, Finding

JOURNAL_NAME = ".bangfu-journal"
TEMP_MARK = ".bangfu-tmp-"
LOCK_WAIT = 2.0  # seconds a second writer waits for the first before giving up
MAX_JOURNAL = 64 * 1024 * 1024
# test-only fault injection: seconds to sleep after each staged file and before each rename
# ("0.3"), or at one of the two ("stage=0.3", "rename=0.3"), so a test can kill a writer at
# a known step or hold the lock while a second writer starts
PAUSE_ENV = "BANGFU_TEST_WRITE_PAUSE"

_TEMP = re.compile(r"\..+" + re.escape(TEMP_MARK) + r"[0-9a-f]{8}\Z", re.S)
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_HELD: dict[Path, int] = {}  # data root → open lock file descriptor (this process)


def is_tool_temp(name: str) -> bool:
    """True for a temporary file this tool stages before renaming it into place
    (``.<target name>.bangfu-tmp-<8 hex>``; ignored by ``.gitignore``)."""
    return bool(_TEMP.match(name))


def temp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{TEMP_MARK}{secrets.token_hex(4)}")


class WriteError(Exception):
    """Nothing (or, after a failed rename, not everything) was written; ``findings`` say why."""

    def __init__(self, findings: list[Finding]):
        super().__init__("; ".join(f"[{f.code}] {f.message}" for f in findings))
        self.findings = findings


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        with contextlib.suppress(ValueError):
            return path.relative_to(root.parent).as_posix()
    return path.as_posix()


def _pause(step: str) -> None:
    name, named, seconds = os.environ.get(PAUSE_ENV, "").rpartition("=")
    if seconds and (not named or name == step):
        time.sleep(float(seconds))


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _os_finding(exc: OSError, file: str) -> Finding:
    if exc.errno in _FULL:
        return make(WRITE_DISK_FULL, file, f"磁盘已满或超出配额，无法写入（{exc.strerror}）")
    return make(WRITE_FAILED, file, f"无法写入：{exc.strerror or exc.__class__.__name__}")


def os_failure(exc: OSError, file: str) -> Finding:
    """The finding for a failed write outside a data folder (a package, a site)."""
    return _os_finding(exc, file)


# ---------------------------------------------------------------- the lock


def journal_path(data_root: Path) -> Path:
    return data_root.parent / JOURNAL_NAME


@contextlib.contextmanager
def writing(data_root: Path, *, wait: float = LOCK_WAIT) -> Iterator[list[Finding]]:
    """Hold the data folder's write lock; yields the findings of recovering an unfinished
    earlier write (empty when there was none). Re-entrant within one process."""
    root = Path(data_root).resolve()
    if root in _HELD:
        yield []
        return
    try:  # the lock is on the folder itself: no lock file to leave behind or to ignore
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise WriteError([_os_finding(exc, _display(root, root))]) from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriteError(
                        [
                            make(
                                WRITE_LOCKED,
                                _display(root, root),
                                "另一个 bangfu 命令正在写入这个数据文件夹，本次没有写入任何文件",
                            )
                        ]
                    ) from None
                time.sleep(0.05)
        _HELD[root] = fd
        try:
            found = recover(root)
            if any(f.severity == ERROR for f in found):
                raise WriteError(found)  # an earlier write cannot be settled: write nothing
            yield found
        finally:
            del _HELD[root]
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# ---------------------------------------------------------------- the journal


def replace_file(path: Path, blob: bytes, durable: bool = False) -> None:
    """Replace one file that is not a record (a journal, a cache) whole: written to a
    temporary file next to it (``temp_path``, mode 0600), then renamed over it. ``durable``
    also flushes the file to disk before the rename. For records use ``write_all``."""
    tmp = temp_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_journal(root: Path, state: str, pairs: list[tuple[Path, Path]]) -> None:
    """Replace the journal. Only the "renaming" journal is the commit point and is made
    durable; a lost "staging" journal (power cut) can only leave ignored temporary files."""
    durable = state == "renaming"
    doc = {
        "state": state,
        "files": [[target.relative_to(root).as_posix(), tmp.name] for tmp, target in pairs],
    }
    path = journal_path(root)
    replace_file(path, json.dumps(doc, ensure_ascii=False).encode("utf-8"), durable)
    if durable:
        _fsync_dir(path.parent)


def _end_journal(root: Path) -> None:
    # not made durable: a "renaming" journal that survives a power cut finds its renames done
    with contextlib.suppress(FileNotFoundError):
        os.unlink(journal_path(root))


def _journal_entries(root: Path, doc) -> list[tuple[Path, Path]] | None:
    """(temporary file, target) pairs of a journal, or None when it is not one of ours.
    Every target must lie inside the data folder and every temporary file must be the
    tool's own temporary name for that target, so a planted journal cannot move or remove
    anything else."""
    if not isinstance(doc, dict) or doc.get("state") not in ("staging", "renaming"):
        return None
    files = doc.get("files")
    if not isinstance(files, list):
        return None
    out = []
    for item in files:
        if not (
            isinstance(item, list) and len(item) == 2 and all(isinstance(s, str) for s in item)
        ):
            return None
        rel, tmp_name = item
        parts = rel.split("/")
        if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
            return None
        target = root.joinpath(*parts)
        if not (is_tool_temp(tmp_name) and tmp_name.startswith(f".{target.name}{TEMP_MARK}")):
            return None
        out.append((target.with_name(tmp_name), target))
    return out


def recover(data_root: Path) -> list[Finding]:
    """Finish or undo a write that was interrupted (the caller holds the lock)."""
    root = Path(data_root).resolve()
    for stale in root.parent.glob(f"{JOURNAL_NAME}{TEMP_MARK}*"):
        if is_tool_temp(stale.name):  # a journal that was never renamed into place
            with contextlib.suppress(OSError):
                os.unlink(stale)
    path = journal_path(root)
    file = _display(path, root)
    try:
        if path.is_symlink() or not path.is_file():
            if path.exists() or path.is_symlink():
                return [make(WRITE_JOURNAL_INVALID, file, "写入日志不是普通文件，未处理")]
            return []
        if path.stat().st_size > MAX_JOURNAL:
            return [make(WRITE_JOURNAL_INVALID, file, "写入日志过大，未处理")]
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return [make(WRITE_JOURNAL_INVALID, file, "写入日志无法读取，未处理")]
    pairs = _journal_entries(root, doc)
    if pairs is None:
        return [make(WRITE_JOURNAL_INVALID, file, "写入日志的内容不是 bangfu 写的，未处理")]
    try:
        if doc["state"] == "staging":
            removed = 0
            for tmp, _ in pairs:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                    removed += 1
            _end_journal(root)
            message = (
                f"上次写入（共 {len(pairs)} 个文件）在全部暂存好之前中断，已撤销："
                f"删除了 {removed} 个暂存的临时文件，没有改名到位的记录保持原样"
            )
        else:
            done = 0
            for tmp, target in pairs:
                if tmp.exists():
                    os.replace(tmp, target)
                    done += 1
            for folder in {t.parent for _, t in pairs}:
                _fsync_dir(folder)
            _end_journal(root)
            message = (
                f"上次写入在改名时中断（共 {len(pairs)} 个文件），已补完剩下的 {done} 个，"
                "数据是完整写入后的样子"
            )
    except OSError as exc:
        return [_os_finding(exc, file)]
    return [make(WRITE_RECOVERED, file, message)]


def recover_for_check(data_root: Path) -> list[Finding]:
    """``bangfu check``: recover an unfinished write when no writer is running; while one
    is, say so (the data may be half-way through a write)."""
    root = Path(data_root).resolve()
    if not journal_path(root).exists() and not journal_path(root).is_symlink():
        return []
    try:
        with writing(root, wait=0) as found:
            return found
    except WriteError as exc:
        return [
            make(
                WRITE_LOCKED,
                f.file,
                "另一个 bangfu 命令正在写入这个数据文件夹，检查结果可能不完整",
                severity="warning",
            )
            if f.code == WRITE_LOCKED.code
            else f
            for f in exc.findings
        ]


# ---------------------------------------------------------------- writing


def file_mode(path: Path) -> int:
    """Keep an existing file's mode; new files get the usual 0666 less the umask
    (temporary files are created private, so the mode is set explicitly)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _inside(root: Path, path: Path) -> Path:
    """``path`` as a path under ``root`` (which is resolved); a target outside is a bug."""
    for candidate in (Path(os.path.abspath(path)), path.parent.resolve() / path.name):
        if candidate.is_relative_to(root):
            return candidate
    raise ValueError(f"{path} is outside the data folder {root}")


def write_all(files: list[tuple[Path, str | bytes]], root: Path | None = None) -> list[Path]:
    """Write every file or none: each content (text is written as UTF-8) is staged in a
    temporary file next to its target, flushed to disk, and only when all are staged are
    they renamed into place. With ``root`` (a data folder; its lock is taken here unless the
    caller holds it, as a command should for its whole run) the steps are journalled, so a
    crash part-way is rolled back or forward by the next writer.
    Raises ``WriteError`` (a full disk, a read-only folder…) after undoing what it staged."""
    if root is not None:
        root = Path(root).resolve()
        if root not in _HELD:
            with writing(root):
                return write_all(files, root)
        files = [(_inside(root, Path(p)), content) for p, content in files]
    pairs = [(temp_path(Path(p)), Path(p)) for p, _ in files]
    current = pairs[0][1] if pairs else Path(".")
    try:
        if root is not None:
            _write_journal(root, "staging", pairs)
        for (tmp, path), (_, content) in zip(pairs, files, strict=True):
            current = path
            path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(tmp, flags, 0o600)
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), file_mode(path))
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
                fh.flush()
                os.fsync(fh.fileno())
            _pause("stage")
        if root is not None and len(pairs) > 1:  # one rename needs no commit point of its own
            for folder in {p.parent for _, p in pairs}:
                _fsync_dir(folder)
            _write_journal(root, "renaming", pairs)
    except BaseException as exc:
        for tmp, _ in pairs:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if root is not None:
            with contextlib.suppress(OSError):
                _end_journal(root)
        if isinstance(exc, OSError):
            raise WriteError([_os_finding(exc, _display(current, root))]) from None
        raise
    for tmp, path in pairs:
        _pause("rename")
        try:
            os.replace(tmp, path)
        except OSError as exc:
            finding = _os_finding(exc, _display(path, root))
            if root is None or len(pairs) == 1:
                for left, _ in pairs:
                    with contextlib.suppress(OSError):
                        os.unlink(left)
                if root is not None:
                    _end_journal(root)
                raise WriteError([finding]) from None
            raise WriteError(
                [
                    finding,
                    make(
                        WRITE_FAILED,
                        _display(journal_path(root), root),
                        "写入未完成；写入日志已保留，下次运行 bangfu 时会补完",
                    ),
                ]
            ) from None
    if root is not None:
        _end_journal(root)
    return [path for _, path in pairs]


def atomic_write(path: Path, text: str, root: Path | None = None) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    write_all([(path, text)], root)


def write_new(path: Path, text: str, root: Path | None = None) -> None:
    """Create ``path``; refuse to replace an existing record."""
    if path.exists() or path.is_symlink():
        raise FileExistsError(str(path))
    atomic_write(path, text, root)
