"""A corpus of hostile and broken files: each gives exactly one clear finding naming the
file, no traceback, no hang, and nothing is written."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from bangfu.codes import (
    FILE_HIDDEN,
    FILE_NOT_YAML,
    FILE_SPECIAL,
    FILE_SYMLINK,
    FILE_TOO_LARGE,
    FILE_UNKNOWN_KIND,
)
from bangfu.readone import read_record

from .conftest import DEFAULT_AS_OF, bangfu, make_case
from .hostile_files import GOOD, HOSTILE

HOUSEHOLD_DIR = Path("data/households/tc-alpha/tc-alpha-east-willow")


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_gives_one_clear_finding(name, tmp_path):
    content, code = HOSTILE[name]
    root = make_case(tmp_path, None)
    target = root / HOUSEHOLD_DIR / "h-evil.yaml"
    target.write_bytes(content)
    rel = (HOUSEHOLD_DIR / "h-evil.yaml").as_posix()

    start = time.perf_counter()
    rec = read_record(target, root / "data")
    assert time.perf_counter() - start < 2.0, "reading a hostile file must not hang"

    before = _tree_digest(root)
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert [(f["file"], f["code"]) for f in findings] == [(rel, code)], findings
    f = findings[0]
    assert f["line"] >= 1 and f["message"] and f["hint"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in f["message"]), "messages are in Chinese"
    # the text renderer names the file with line and column, editor style
    text = bangfu("check", "--as-of", DEFAULT_AS_OF, cwd=root, timeout=60).stdout
    assert f"{rel}:{f['line']}:{f['column']}" in text
    # neither check nor a format check writes anything
    fmt = bangfu("fmt", "--check", cwd=root, timeout=60)
    assert "Traceback" not in fmt.stderr
    assert _tree_digest(root) == before
    assert rec.findings and rec.findings[0].code == code or code.startswith("schema.")


def test_fifty_megabyte_file_is_refused_without_reading_it(tmp_path):
    root = make_case(tmp_path, None)
    big = root / HOUSEHOLD_DIR / "h-huge.yaml"
    with big.open("wb") as fh:
        fh.write(b"id: h-huge\nnotes: '")
        chunk = b"x" * (1 << 20)
        for _ in range(50):
            fh.write(chunk)
        fh.write(b"'\n")
    start = time.perf_counter()
    rec = read_record(big, root / "data")
    assert time.perf_counter() - start < 2.0
    assert [f.code for f in rec.findings] == [FILE_TOO_LARGE.code]
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root, timeout=60)
    assert proc.returncode == 1
    codes = [(f["file"], f["code"]) for f in json.loads(proc.stdout)["findings"]]
    assert codes == [((HOUSEHOLD_DIR / "h-huge.yaml").as_posix(), FILE_TOO_LARGE.code)]


def test_usage_errors_exit_2(tmp_path):
    root = make_case(tmp_path, None)
    for args in (
        ["check", "--data", "nowhere"],
        ["check", "--as-of", "yesterday"],
        ["check", "no/such/file.yaml"],
        ["check", "--format", "xml"],
        ["new", "household"],
    ):
        proc = bangfu(*args, cwd=root)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr


# --- entries under data/ that are not record files --------------------------------------------
#
# Each is refused by check (whole tree and as a path argument) and by fmt with one finding
# naming it, without a traceback or a hang, and nothing is written: not the entry, not
# anything in data/, not what a link points to.

REPORTS = "data/plans/tc-alpha/tp-one/reports"
REPORT = (Path(__file__).parent / "cases/base" / REPORTS / "2024-03.yaml").read_bytes()
WILLOW = HOUSEHOLD_DIR.as_posix()


def _outside(root: Path) -> Path:
    token = root.parent / "token.txt"
    token.write_bytes(b"ghp_CANARYTOKEN0000\n")
    return token


def _socket(path: Path) -> None:
    import os
    import socket

    here = os.getcwd()
    os.chdir(path.parent)  # a socket path is limited to ~100 bytes: bind by name
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(path.name)
        sock.close()
    finally:
        os.chdir(here)


def _device(path: Path) -> None:
    import os
    import stat

    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # like /dev/zero
    except PermissionError:
        pytest.skip("creating a device node needs privileges")


ENTRIES = {
    "hidden-report": (
        f"{REPORTS}/.2025-04.yaml",
        FILE_HIDDEN.code,
        lambda root, p: p.write_bytes(REPORT.replace(b"id: 2024-03", b"id: 2025-04")),
    ),
    "report-in-hidden-folder": (
        "data/plans/tc-alpha/.tp-old/reports/2024-03.yaml",
        FILE_HIDDEN.code,
        lambda root, p: p.write_bytes(REPORT),
    ),
    "editor-swap-file": (f"{WILLOW}/.h-0001.yaml.swp", FILE_HIDDEN.code, lambda r, p: p.write_bytes(GOOD)),
    "symlink-out-of-data": (
        f"{WILLOW}/h-0002.yaml",
        FILE_SYMLINK.code,
        lambda root, p: p.symlink_to(_outside(root)),
    ),
    "symlink-to-dev-zero": (f"{WILLOW}/h-0002.yaml", FILE_SYMLINK.code, lambda r, p: p.symlink_to("/dev/zero")),
    "symlink-loop": (f"{WILLOW}/h-0002.yaml", FILE_SYMLINK.code, lambda r, p: p.symlink_to(p.name)),
    "dangling-symlink": (f"{WILLOW}/h-0002.yaml", FILE_SYMLINK.code, lambda r, p: p.symlink_to("gone.yaml")),
    "symlink-to-record": (f"{WILLOW}/h-0002.yaml", FILE_SYMLINK.code, lambda r, p: p.symlink_to("h-0001.yaml")),
    "symlink-to-folder": (
        "data/households/tc-alpha/tc-alpha-copy",
        FILE_SYMLINK.code,
        lambda root, p: p.symlink_to("tc-alpha-east-willow", target_is_directory=True),
    ),
    "fifo": (f"{WILLOW}/h-0002.yaml", FILE_SPECIAL.code, lambda r, p: __import__("os").mkfifo(p)),
    "socket": (f"{WILLOW}/h-0002.yaml", FILE_SPECIAL.code, lambda r, p: _socket(p)),
    "device": (f"{WILLOW}/h-0002.yaml", FILE_SPECIAL.code, lambda r, p: _device(p)),
    "not-yaml": (f"{WILLOW}/h-0002.yml", FILE_NOT_YAML.code, lambda r, p: p.write_bytes(GOOD)),
    "outside-the-layout": ("data/misc/h-0002.yaml", FILE_UNKNOWN_KIND.code, lambda r, p: p.write_bytes(GOOD)),
}  # fmt: skip


def _snapshot(root: Path) -> dict:
    """Every entry under ``root`` and the token outside it, by lstat: links are not followed."""
    import os
    import stat

    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            key = os.path.relpath(p, root)
            if stat.S_ISLNK(st.st_mode):
                out[key] = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                out[key] = ("file", hashlib.sha256(Path(p).read_bytes()).hexdigest())
            else:
                out[key] = (stat.S_IFMT(st.st_mode), st.st_ino)
    token = root.parent / "token.txt"
    out["../token.txt"] = token.read_bytes() if token.exists() else None
    return out


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_symlinks_special_and_hidden_files_are_findings_never_followed_or_skipped(name, tmp_path):
    rel, code, make = ENTRIES[name]
    root = make_case(tmp_path, None)
    entry = root / rel
    entry.parent.mkdir(parents=True, exist_ok=True)
    make(root, entry)
    before = _snapshot(root)

    start = time.perf_counter()
    rec = read_record(entry, root / "data")
    assert time.perf_counter() - start < 2.0, "reading must not hang"
    assert [f.code for f in rec.findings] == [code] and rec.data is None

    for args in ([], [rel]):
        proc = bangfu(
            "check", "--format", "json", "--as-of", DEFAULT_AS_OF, *args, cwd=root, timeout=60
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        findings = json.loads(proc.stdout)["findings"]
        assert [(f["file"], f["code"]) for f in findings] == [(rel, code)], (args, findings)
    for args in (["--check"], [], ["--check", rel], [rel]):
        proc = bangfu("fmt", *args, cwd=root, timeout=60)
        assert proc.returncode == 1, (args, proc.stdout + proc.stderr)
        assert "Traceback" not in proc.stderr
        assert f"{rel}:1:1 $ [{code}]" in proc.stdout, (args, proc.stdout)
    assert _snapshot(root) == before, "nothing may be written, followed or replaced"


def test_fmt_never_replaces_a_symlink_with_a_copy_of_the_file_outside(tmp_path):
    root = make_case(tmp_path, None)
    token = _outside(root)
    token.write_bytes(b"id:    h-0002\n")  # looks like a record, and is not canonical
    link = root / HOUSEHOLD_DIR / "h-0002.yaml"
    link.symlink_to(token)
    proc = bangfu("fmt", cwd=root, timeout=60)
    assert proc.returncode == 1 and FILE_SYMLINK.code in proc.stdout
    assert link.is_symlink() and token.read_bytes() == b"id:    h-0002\n"


def test_writers_own_staging_file_is_not_a_record_nor_a_finding(tmp_path, monkeypatch):
    import os

    from bangfu import writes, yamlio

    staged: list[str] = []
    real_replace = os.replace

    def replace(src, dst):
        if writes.is_tool_temp(os.path.basename(src)) and "journal" not in str(dst):
            staged.append(os.path.basename(src))
        return real_replace(src, dst)

    monkeypatch.setattr(writes.os, "replace", replace)
    root = make_case(tmp_path, None)
    target = root / HOUSEHOLD_DIR / "h-0001.yaml"
    yamlio.atomic_write(target, GOOD.decode("utf-8"))
    monkeypatch.setattr(writes.os, "replace", real_replace)
    assert len(staged) == 1, staged
    # a staging file left behind by a killed writer: the writers clean it, check ignores it
    (target.parent / staged[0]).write_bytes(GOOD)
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root, timeout=60)
    assert proc.returncode == 0, proc.stdout
    # the same shape of name for anything but a regular file is still a finding
    (target.parent / staged[0]).unlink()
    (target.parent / staged[0]).symlink_to("/dev/zero")
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root, timeout=60)
    assert [f["code"] for f in json.loads(proc.stdout)["findings"]] == [FILE_HIDDEN.code]


def test_fmt_leaves_a_comment_only_file_alone_instead_of_writing_null(tmp_path):
    root = make_case(tmp_path, None)
    path = root / HOUSEHOLD_DIR / "h-0002.yaml"
    path.write_bytes(b"# \xe5\xbe\x85\xe5\xa1\xab\n")
    for args in (["--check"], []):
        proc = bangfu("fmt", *args, cwd=root, timeout=60)
        assert proc.returncode == 1 and "[yaml.empty]" in proc.stdout, proc.stdout
    assert path.read_bytes() == b"# \xe5\xbe\x85\xe5\xa1\xab\n"


def test_fmt_leaves_a_file_over_the_size_limit_alone(tmp_path):
    from bangfu.yamlsafe import MAX_BYTES

    root = make_case(tmp_path, None)
    path = root / HOUSEHOLD_DIR / "h-0001.yaml"
    body = GOOD.replace(b"id: h-0001", b"id:    h-0001")  # not canonical
    content = body + b"#" * (MAX_BYTES + 1 - len(body) - 1) + b"\n"
    assert len(content) == MAX_BYTES + 1
    path.write_bytes(content)
    proc = bangfu("fmt", cwd=root, timeout=60)
    assert proc.returncode == 1 and "[file.too-large]" in proc.stdout, proc.stdout
    assert path.read_bytes() == content


def test_fmt_still_removes_a_bom_check_refuses(tmp_path):
    root = make_case(tmp_path, None)
    path = root / HOUSEHOLD_DIR / "h-0001.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD)
    assert bangfu("fmt", cwd=root, timeout=60).returncode == 0
    assert path.read_bytes() == GOOD


def test_workbook_writer_survives_control_characters_and_huge_numbers():
    import io

    from openpyxl import load_workbook

    from bangfu.aggregate import Column, Table
    from bangfu.publish.xlsx import workbook_bytes

    table = Table(
        name="orgs",
        title="帮扶主体",
        description="",
        columns=[
            Column("name", "string", "名称", ""),
            Column("amount", "number", "金额", ""),
            Column("count", "integer", "数量", ""),
        ],
        rows=[{"name": "ORG\x00NUL\x1b[31m", "amount": float("inf"), "count": 10**40}],
    )
    descriptor = {"title": "t", "licenses": [{"name": "CC-BY-4.0", "path": "x"}]}
    blob = workbook_bytes({"orgs": table}, descriptor)
    ws = load_workbook(io.BytesIO(blob))["帮扶主体"]
    row = [c.value for c in ws[2]]
    assert row[0] == "ORG\ufffdNUL\ufffd[31m"
    assert row[1:] == ["非有限数", "数值过大"]
