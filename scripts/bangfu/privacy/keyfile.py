"""Secret key files: reading the ones a command is given (``--key FILE`` or the file named by
``BANGFU_KEY_FILE``) and writing a new one, never inside a repository.

A key file is age's identity format: comment lines (``# public key: age1…``) and one
``AGE-SECRET-KEY-1…`` line per key. Nothing here ever prints a secret key."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ..config import UsageError

KEY_ENV = "BANGFU_KEY_FILE"
MAX_KEY_FILE = 64 * 1024


def add_key_option(p) -> None:
    p.add_argument(
        "--key",
        default=None,
        metavar="FILE",
        help=f"age 私钥文件：用它解开本人有权看的记录的隐私字段（也可设环境变量 {KEY_ENV}）",
    )


def key_path(given: str | None) -> Path | None:
    """The key file to use: ``--key`` wins, then ``$BANGFU_KEY_FILE``; None when neither."""
    value = given or os.environ.get(KEY_ENV)
    return Path(value) if value else None


def load(path: Path) -> list:
    """The identities (``pyrage.x25519.Identity``) in a key file; a usage error otherwise."""
    from pyrage import IdentityError, x25519  # imported when used: a check without a key

    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise UsageError(f"密钥文件 {path} 过大，不像是 age 密钥文件")
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        raise UsageError(f"密钥文件 {path} 无法读取") from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            out.append(x25519.Identity.from_str(line))
        except (IdentityError, ValueError):
            raise UsageError(
                f"密钥文件 {path} 第 {n} 行不是 age 私钥（AGE-SECRET-KEY-1…）"
            ) from None
    if not out:
        raise UsageError(f"密钥文件 {path} 中没有私钥")
    return out


def identities(given: str | None) -> list:
    """The identities of the key file a command was given, or [] when none was."""
    path = key_path(given)
    return load(path) if path is not None else []


def in_repository(path: Path, *roots: Path) -> Path | None:
    """The repository or data folder ``path`` would sit in (a folder holding ``.git``
    above it, or one of ``roots``), or None."""
    full = Path(os.path.abspath(path))
    for root in roots:
        r = Path(os.path.abspath(root))
        if full == r or full.is_relative_to(r):
            return r
    for folder in [full.parent.resolve(), *full.parent.resolve().parents]:
        if (folder / ".git").exists():
            return folder
    return None


def write_new(path: Path, secret: str, public: str, *roots: Path) -> None:
    """Write a new key file (mode 0600), refusing to replace a file or to write inside a
    repository (``in_repository``)."""
    inside = in_repository(path, *roots)
    if inside is not None:
        raise UsageError(
            f"私钥不能放在仓库里（{path} 在 {inside} 之内）：把它存到仓库以外，例如 ~/.config/bangfu/"
        )
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"# created: {created}\n# public key: {public}\n{secret}\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} 已经存在，不会覆盖") from None
    except OSError:
        raise UsageError(f"无法写入 {path}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
