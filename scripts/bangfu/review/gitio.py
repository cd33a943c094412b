"""Reading a Git repository without touching its working tree: refs, changed paths, file
contents at a commit. Everything goes through ``git`` plumbing commands in batch."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..config import UsageError


@dataclass(frozen=True, slots=True)
class Change:
    status: str  # A added, M modified, D deleted, R renamed (possibly also modified)
    old: str | None  # path at the base commit
    new: str | None  # path at the head commit


class Git:
    def __init__(self, repo: str | Path):
        self.repo = Path(repo)
        if not self.repo.is_dir():
            raise UsageError(f"仓库文件夹 {self.repo} 不存在")
        top = self._run("rev-parse", "--show-toplevel", check=False)
        if top.returncode != 0:
            raise UsageError(f"{self.repo} 不是 Git 仓库")
        self.top = Path(top.stdout.decode().strip())

    def _run(
        self,
        *args: str,
        input_: bytes | None = None,
        check: bool = True,
        ok: tuple[int, ...] = (0,),
    ) -> subprocess.CompletedProcess:
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.repo), *args], input=input_, capture_output=True, check=False
            )
        except FileNotFoundError as exc:
            raise UsageError("找不到 git 命令：请先安装 Git") from exc
        if check and proc.returncode not in ok:
            msg = proc.stderr.decode("utf-8", "replace").strip()
            raise UsageError(f"git {args[0]} 失败：{msg}")
        return proc

    def resolve(self, ref: str) -> str:
        """The commit a ref names; an unknown ref is a usage error with a plain message."""
        if ref.startswith("-"):
            raise UsageError(f"“{ref}”不是 Git 引用")
        proc = self._run(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False
        )
        if proc.returncode != 0:
            raise UsageError(
                f"找不到 Git 引用“{ref}”：请检查分支名或提交号"
                "（在 CI 中需要 fetch-depth: 0 才能看到目标分支）"
            )
        return proc.stdout.decode().strip()

    def merge_base(self, a: str, b: str) -> str:
        proc = self._run("merge-base", a, b, check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else a

    def changes(self, base: str, head: str, prefix: str = "") -> list[Change]:
        """Changed paths between two commits, renames detected (``git diff -M``)."""
        args = ["diff", "--name-status", "-M", "-z", "--no-ext-diff", base, head]
        if prefix:
            args += ["--", prefix]
        parts = self._run(*args).stdout.decode("utf-8", "surrogateescape").split("\0")
        out: list[Change] = []
        i = 0
        while i < len(parts) and parts[i]:
            status = parts[i][0]
            if status in "RC":
                old, new = parts[i + 1], parts[i + 2]
                i += 3
                out.append(
                    Change("R" if status == "R" else "A", old if status == "R" else None, new)
                )
                continue
            path = parts[i + 1]
            i += 2
            if status == "D":
                out.append(Change("D", path, None))
            elif status == "A":
                out.append(Change("A", None, path))
            else:  # M, T (type change), U
                out.append(Change("M", path, path))
        return out

    def ls_tree(self, commit: str, prefix: str) -> list[str]:
        """Every file path under ``prefix`` at ``commit``."""
        proc = self._run("ls-tree", "-r", "-z", "--name-only", commit, "--", prefix)
        return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]

    def read(self, commit: str, paths: list[str]) -> dict[str, bytes | None]:
        """File contents at ``commit`` in one ``git cat-file --batch`` call (None when absent)."""
        if not paths:
            return {}
        spec = "".join(f"{commit}:{p}\n" for p in paths).encode("utf-8", "surrogateescape")
        raw = self._run("cat-file", "--batch", input_=spec).stdout
        out: dict[str, bytes | None] = {}
        pos = 0
        for p in paths:
            nl = raw.index(b"\n", pos)
            line = raw[pos:nl]
            pos = nl + 1
            if line.endswith((b" missing", b" ambiguous")):
                out[p] = None
                continue
            _sha, kind, size = line.rsplit(b" ", 2)
            out[p] = raw[pos : pos + int(size)] if kind == b"blob" else None
            pos += int(size) + 1
        return out

    def grep(self, commit: str, words: list[str], prefixes: list[str]) -> list[str]:
        """Paths under ``prefixes`` at ``commit`` containing any of ``words`` (fixed strings)."""
        if not words:
            return []
        args = ["grep", "-l", "-F", "-I", "--no-color"]
        for w in words:
            args += ["-e", w]
        args += [commit, "--", *prefixes]
        proc = self._run(*args, ok=(0, 1))
        out = []
        for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
            # lines look like "<commit>:<path>"
            out.append(line.split(":", 1)[1] if line.startswith(commit + ":") else line)
        return out

    def extract(self, commit: str, prefix: str, dest: Path) -> list[str]:
        """Write every file under ``prefix`` at ``commit`` into ``dest`` (same relative
        paths), as plain files; returns the paths written. Nothing is executed or followed:
        a symlink's blob is written as a file holding its target text."""
        paths = self.ls_tree(commit, prefix)
        blobs = self.read(commit, paths)
        written = []
        for p, raw in blobs.items():
            parts = p.split("/")
            if raw is None or any(part in ("", ".", "..") for part in parts):
                continue
            out = dest.joinpath(*parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(raw)
            written.append(p)
        return written
