"""A corpus of hostile and broken files: each gives exactly one clear finding naming the
file, no traceback, no hang, and nothing is written."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from bangfu.load import read_record

from .conftest import DEFAULT_AS_OF, bangfu, make_case

HOUSEHOLD_DIR = Path("data/households/tc-alpha/tc-alpha-east-willow")
GOOD = (
    Path(__file__).parent / "cases/base/data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"
).read_bytes()


def _billion_laughs() -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


HOSTILE: dict[str, tuple[bytes, str]] = {
    "billion-laughs": (_billion_laughs(), "yaml.too-many-nodes"),
    "python-object-tag": (
        b"id: h-evil\nvillage: !!python/object/apply:os.system ['echo pwned']\n",
        "yaml.forbidden-tag",
    ),
    "python-name-tag": (b"id: !!python/name:os.system h-evil\n", "yaml.forbidden-tag"),
    "duplicate-keys": (
        GOOD.replace(b"status:", b"status: \xe9\x80\x80\xe5\x87\xba\nstatus:"),
        "yaml.duplicate-key",
    ),
    "deep-flow-nesting": (b"id: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "yaml.too-deep"),
    "deep-block-nesting": (
        "".join("  " * i + f"k{i}:\n" for i in range(1_500)).encode(),
        "yaml.too-deep",
    ),
    "invalid-utf8": (GOOD.replace("张测试".encode(), "张测试".encode("gbk")), "encoding.not-utf8"),
    "bom": (b"\xef\xbb\xbf" + GOOD, "encoding.bom"),
    "utf16": ("id: h-evil\n".encode("utf-16"), "encoding.not-utf8"),
    "tab-indent": (b"id: h-evil\nincome:\n\tyear: 2023\n", "yaml.tab-indent"),
    "empty": (b"", "yaml.empty"),
    "only-comments": (b"# nothing here\n", "yaml.empty"),
    "list-not-mapping": (b"- id: h-evil\n- village: x\n", "record.not-mapping"),
    "scalar-not-mapping": (b"just a sentence\n", "record.not-mapping"),
    "id-with-dotdot": (GOOD.replace(b"id: h-0001", b"id: ../../etc/passwd"), "schema.pattern"),
    "unclosed-quote": (b'id: "h-evil\nvillage: x\n', "yaml.syntax"),
    "two-documents": (GOOD + b"---\n" + GOOD, "yaml.multiple-documents"),
    "control-char": (
        GOOD.replace(b"address:", b"address: \x07 bell\nnotes:"),
        "encoding.control-char",
    ),
    "mapping-as-key": (b"? [a, b]\n: 1\n", "yaml.complex-key"),
    "undefined-alias": (b"id: *nothing\n", "yaml.syntax"),
}


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
    assert [f.code for f in rec.findings] == ["file.too-large"]
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root, timeout=60)
    assert proc.returncode == 1
    codes = [(f["file"], f["code"]) for f in json.loads(proc.stdout)["findings"]]
    assert codes == [((HOUSEHOLD_DIR / "h-huge.yaml").as_posix(), "file.too-large")]


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
