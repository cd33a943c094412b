"""Reading one data file, bounded before anything is read.

Every tool that reads a record file from disk (check, fmt, import, the CODEOWNERS routing)
reads it here: the entry is looked at with ``lstat`` first, and a symbolic link, a folder, a
pipe, a socket or a device is refused without being opened; a regular file is opened with
``O_NOFOLLOW | O_NONBLOCK`` (a link or pipe swapped in meanwhile is still refused, and never
blocks), checked again on the open descriptor, and at most ``limit + 1`` bytes are read.

The writers' own staging files (``writes.is_tool_temp``) are the only entries under
``data/`` that are neither records nor findings.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import NamedTuple

from .codes import FILE_SPECIAL, FILE_SYMLINK, FILE_TOO_LARGE, FILE_UNREADABLE, make
from .findings import Finding
from .yamlsafe import MAX_BYTES


def too_large(file: str, size: int, limit: int) -> Finding:
    mb = f"{size / 1048576:.1f}"
    return make(
        FILE_TOO_LARGE,
        file,
        f"文件有 {mb} MB，超过上限 {limit // 1048576} MB",
        line=1,
        column=1,
    )


def not_regular(file: str, mode: int) -> Finding:
    if stat.S_ISLNK(mode):
        return make(FILE_SYMLINK, file, "这是一个符号链接，不是普通文件", line=1, column=1)
    if stat.S_ISDIR(mode):  # a folder is only read as a file when it could not be listed
        return make(FILE_UNREADABLE, file, "无法读取这个文件夹", line=1, column=1)
    if stat.S_ISFIFO(mode):
        what = "命名管道"
    elif stat.S_ISSOCK(mode):
        what = "套接字"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        what = "设备文件"
    else:
        what = "特殊文件"
    return make(FILE_SPECIAL, file, f"这是{what}，不是普通文件", line=1, column=1)


def unreadable(file: str, exc: OSError) -> Finding:
    if exc.errno == errno.ELOOP:
        return make(FILE_SYMLINK, file, "路径中有符号链接", line=1, column=1)
    reason = exc.strerror or exc.__class__.__name__
    return make(FILE_UNREADABLE, file, f"无法读取文件：{reason}", line=1, column=1)


class FileStat(NamedTuple):
    """What is kept of an entry's ``lstat``: named as in ``os.stat_result``, and a plain tuple
    of ints, so that a process that listed the tree sends it cheaply (``load``)."""

    st_mode: int
    st_size: int
    st_mtime_ns: int
    st_ctime_ns: int
    st_ino: int


def stat_values(path: str) -> tuple[int, int, int, int, int] | OSError:
    """The entry's ``lstat`` (no link followed) as ``FileStat``'s five values, or the error
    that refused it."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return exc
    return (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def lstat_problem(
    path: str, file: str, taken: tuple | OSError | None = None
) -> tuple[FileStat, None] | tuple[None, Finding]:
    """``(lstat result, None)`` for a regular file, else ``(None, finding)``; nothing is
    opened and no link is followed. ``taken``: the entry's ``stat_values`` as a listing of the
    tree took them, instead of a new ``lstat``."""
    st = stat_values(path) if taken is None else taken
    if isinstance(st, OSError):
        return None, unreadable(file, st)
    if not stat.S_ISREG(st[0]):
        return None, not_regular(file, st[0])
    return FileStat._make(st), None


_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_FLAGS |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


def read_bounded(
    path: str, file: str, limit: int = MAX_BYTES, *, checked: bool = False
) -> tuple[bytes | None, Finding | None]:
    """The bytes of the regular file at ``path``, or the one finding that refuses it.

    ``checked``: the caller has just looked at this path with ``lstat_problem`` and checked
    its size."""
    if not checked:
        listed, problem = lstat_problem(path, file)
        if listed is None:
            return None, problem
        if listed.st_size > limit:
            return None, too_large(file, listed.st_size, limit)
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        return None, unreadable(file, exc)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, not_regular(file, st.st_mode)
        if st.st_size > limit:
            return None, too_large(file, st.st_size, limit)
        chunks = []
        left = limit + 1
        # the stated size (and one byte more, to see a file that grew) first: a buffer the
        # size of the file, not of the limit, costs nothing to allocate; then small reads
        # until the end, for a file that grew since its stat. A first read that gives the
        # stated size exactly, less than asked, has met the end: no second read to be told
        want = min(left, st.st_size + 1)
        while left > 0:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
            if len(chunks) == 1 and len(chunk) == st.st_size < want:
                break
            want = min(left, 1 << 16)
    except OSError as exc:
        return None, unreadable(file, exc)
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limit:  # grew while being read
        return None, too_large(file, len(raw), limit)
    return raw, None
