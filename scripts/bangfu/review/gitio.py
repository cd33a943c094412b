"""Reading a Git repository without touching its working tree: refs, changed paths, file
contents at a commit. Everything goes through ``git`` plumbing commands in batch."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..config import UsageError
from ..yamlsafe import MAX_BYTES

REGULAR_MODES = ("100644", "100755")
SYMLINK_MODE = "120000"
_ARG_BYTES = 64 * 1024  # paths per ls-tree call, well under any command-line limit
MANY_PATHS = 500  # above this, list whole folders instead of asking for each path


@dataclass(frozen=True, slots=True)
class Entry:
    """One file of a commit's tree, as ``git ls-tree`` lists it."""

    path: str
    mode: str  # 100644 / 100755 regular, 120000 symlink, 160000 submodule
    type: str  # blob / commit / tree
    sha: str
    size: int | None = None  # blobs, when listed with sizes

    @property
    def regular(self) -> bool:
        return self.type == "blob" and self.mode in REGULAR_MODES

    @property
    def symlink(self) -> bool:
        return self.mode == SYMLINK_MODE


@dataclass(slots=True)
class Tree:
    files: list[str]  # regular files, in Git's order
    other: dict[str, str]  # path → mode of everything else (symlinks, submodules)


def _entries(raw: bytes, sized: bool = False) -> list[Entry]:
    """Parse ``ls-tree -z`` output (``-l`` when ``sized``)."""
    out = []
    for item in raw.split(b"\0"):
        meta, tab, path = item.partition(b"\t")
        if not tab:
            continue
        bits = meta.split()
        if len(bits) < 3:
            continue
        size = int(bits[3]) if sized and len(bits) > 3 and bits[3].isdigit() else None
        out.append(
            Entry(
                path.decode("utf-8", "surrogateescape"),
                bits[0].decode("ascii", "replace"),
                bits[1].decode("ascii", "replace"),
                bits[2].decode("ascii", "replace"),
                size,
            )
        )
    return out


def _instant(iso: str) -> float:
    try:
        return dt.datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


def _chunks(paths: list[str]):
    chunk: list[str] = []
    size = 0
    for p in paths:
        n = len(p.encode("utf-8", "surrogateescape")) + 1
        if chunk and size + n > _ARG_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(p)
        size += n
    if chunk:
        yield chunk


@dataclass(frozen=True, slots=True)
class Change:
    status: str  # A added, M modified, D deleted, R renamed (possibly also modified)
    old: str | None  # path at the base commit
    new: str | None  # path at the head commit


class Git:
    """The one way this tool runs ``git``: never prompts, an optional time limit per call, a
    missing ``git``, a failed command or a time-out is a ``UsageError`` in plain Chinese."""

    def __init__(self, repo: str | Path, timeout: float | None = None):
        self.repo = Path(repo)
        self.timeout = timeout
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
        at_top: bool = False,
    ) -> subprocess.CompletedProcess:
        """Run ``git`` in the folder it was opened on (``at_top``: in the repository's top;
        ``git archive`` in a subfolder takes only that folder)."""
        verb = next((a for a in args if not a.startswith("-")), "")
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.top if at_top else self.repo), *args],
                input=input_,
                capture_output=True,
                check=False,
                timeout=self.timeout,
                env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            )
        except FileNotFoundError as exc:
            raise UsageError("找不到 git 命令：请先安装 Git") from exc
        except subprocess.TimeoutExpired as exc:
            raise UsageError(f"git {verb} 超时（{self.timeout:g} 秒）") from exc
        if check and proc.returncode not in ok:
            msg = proc.stderr.decode("utf-8", "replace").strip()
            raise UsageError(f"git {verb} 失败：{msg}")
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

    def exists(self, commit: str, path: str) -> bool:
        """Whether ``path`` (file or folder) exists at ``commit``."""
        return self._run("cat-file", "-e", f"{commit}:{path}", check=False).returncode == 0

    def archive(self, commit: str, paths: tuple[str, ...] = ()) -> bytes:
        """A tar of ``paths`` (repository paths; everything when empty) at ``commit``."""
        specs = ("--", *paths) if paths else ()
        return self._run("archive", "--format=tar", commit, *specs, at_top=True).stdout

    def last_commit(self, path: str = ".") -> tuple[str, str] | None:
        """(commit, committer date in ISO 8601) of the last commit touching ``path`` (relative
        to the folder the ``Git`` was opened on); None when there is none."""
        proc = self._run("log", "-1", "--format=%H%x00%cI", "--", path, check=False)
        out = proc.stdout.decode("utf-8", "replace").strip()
        if proc.returncode != 0 or "\x00" not in out:
            return None
        commit, date = out.split("\x00", 1)
        return commit, date

    def tags(self) -> list[tuple[str, str, str]]:
        """(name, commit, ISO 8601 date) of every tag that names a commit, oldest first (by
        the tag's date — the tagger's for an annotated tag, else the commit's — then name)."""
        fmt = "%00".join(
            (
                "%(refname:strip=2)",
                "%(objecttype)",
                "%(objectname)",
                "%(*objecttype)",
                "%(*objectname)",
                "%(creatordate:iso-strict)",
            )
        )
        proc = self._run("for-each-ref", f"--format={fmt}", "refs/tags")
        out = []
        for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
            bits = line.split("\0")
            if len(bits) != 6:
                continue
            name, kind, obj, peeled_kind, peeled, date = bits
            commit = obj if kind == "commit" else peeled if peeled_kind == "commit" else None
            if commit and date:
                out.append((name, commit, date))
        return sorted(out, key=lambda t: (_instant(t[2]), t[0]))

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

    def tree(self, commit: str, prefix: str) -> Tree:
        """Every entry under ``prefix`` at ``commit``: regular files, and the rest (symlinks,
        submodules) with their modes. Lean on purpose: a province has a million files."""
        proc = self._run("ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix)
        items = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
        # "<mode> <type> <object>\t<path>"; regular files are modes 100644 / 100755
        files = [s[s.index("\t") + 1 :] for s in items if s.startswith("100") and "\t" in s]
        other = {
            s[s.index("\t") + 1 :]: s[: s.index(" ")]
            for s in items
            if "\t" in s and not s.startswith("100")
        }
        return Tree(files, other)

    def ls_tree(self, commit: str, prefix: str) -> list[str]:
        """Every path under ``prefix`` at ``commit``."""
        t = self.tree(commit, prefix)
        return t.files + sorted(t.other)

    def entries(self, commit: str, paths: list[str]) -> dict[str, Entry]:
        """The entries (with blob sizes) of the given paths at ``commit``; absent paths are left
        out. A few paths are asked for by name (literal, no glob magic, in chunks that fit a
        command line); many are picked from one listing of their top-level folders, which
        Git does far faster than matching thousands of names."""
        wanted = set(paths)
        if len(wanted) > MANY_PATHS:
            calls = [("-r", sorted({p.split("/", 1)[0] for p in wanted}))]
        else:
            calls = [("", chunk) for chunk in _chunks(sorted(wanted))]
        out: dict[str, Entry] = {}
        for recurse, specs in calls:
            flags = ["-z", "-l", "--full-tree"] + ([recurse] if recurse else [])
            proc = self._run("--literal-pathspecs", "ls-tree", *flags, commit, "--", *specs)
            # ls-tree may also list entries next to the asked ones: keep only those asked for
            out.update((e.path, e) for e in _entries(proc.stdout, sized=True) if e.path in wanted)
        return out

    def read(
        self, commit: str, paths: list[str], limit: int = MAX_BYTES
    ) -> dict[str, bytes | None]:
        """File contents at ``commit``; None for a path that is absent, not a regular file (a
        symlink is never followed, a submodule never entered) or larger than ``limit`` bytes.
        Objects are asked for by id, so no path can upset the ``cat-file --batch`` protocol."""
        if not paths:
            return {}
        found = self.entries(commit, paths)
        ok = {
            p: e for p, e in found.items() if e.regular and e.size is not None and e.size <= limit
        }
        shas = sorted({e.sha for e in ok.values()})
        blobs = self._blobs(shas) if shas else {}
        return {p: (blobs.get(ok[p].sha) if p in ok else None) for p in paths}

    def _blobs(self, shas: list[str]) -> dict[str, bytes]:
        raw = self._run("cat-file", "--batch", input_="".join(f"{s}\n" for s in shas).encode())
        out: dict[str, bytes] = {}
        data, pos = raw.stdout, 0
        for sha in shas:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            head = data[pos:nl].split(b" ")
            pos = nl + 1
            if len(head) != 3 or not head[2].isdigit():  # "<sha> missing" and the like
                continue
            size = int(head[2])
            if head[1] == b"blob" and pos + size <= len(data):
                out[sha] = data[pos : pos + size]
            pos += size + 1
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
        symlinks and submodules are skipped (``read`` never returns them)."""
        blobs = self.read(commit, self.ls_tree(commit, prefix))
        return write_files(dest, {p: raw for p, raw in blobs.items() if raw is not None})


def write_files(root: Path, files: dict[str, bytes | None]) -> list[str]:
    """Write each (repository path → bytes) under ``root`` as a plain file, or remove it
    (None); a path with an empty, ``.`` or ``..`` part is skipped. Returns the paths written."""
    written = []
    for p, raw in files.items():
        parts = p.split("/")
        if any(part in ("", ".", "..") for part in parts):
            continue
        dest = root.joinpath(*parts)
        if raw is None:
            dest.unlink(missing_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(raw)
        written.append(p)
    return written
