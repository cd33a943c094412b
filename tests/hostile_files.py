"""The corpus of hostile and broken record files (content, the one finding code each gives),
shared by the end-to-end tests (test_hostile.py) and the parser tests (test_perf_paths.py)."""

from __future__ import annotations

from pathlib import Path

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
    # escapes decode to control characters the raw text does not show
    "escaped-control-chars": (
        GOOD.replace(b"address:", b'address: "ORG\\0NUL\\x1b[31m"\nnotes:'),
        "encoding.control-char",
    ),
    "escaped-c1-control-in-key": (b'id: h-evil\n"na\\x9bme": x\n', "encoding.control-char"),
    "huge-integer-5000-digits": (
        GOOD.replace(b"per_capita: 4800", b"per_capita: 1" + b"0" * 5000),
        "yaml.number-too-large",
    ),
    "huge-integer-4001-digits": (
        GOOD.replace(b"household_size: 3", b"household_size: 1" + b"0" * 4000),
        "yaml.number-too-large",
    ),
    "float-overflow": (
        GOOD.replace(b"per_capita: 4800", b"per_capita: 1e400"),
        "yaml.number-too-large",
    ),
    "unquoted-resident-id-number": (
        GOOD.replace(b"id_number: 11010519491231002X", b"id_number: 110105194912310021"),
        "yaml.number-too-large",
    ),
}
