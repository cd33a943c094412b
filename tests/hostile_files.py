"""The corpus of hostile and broken record files (content, the one finding code each gives),
shared by the end-to-end tests (test_hostile.py) and the parser tests (test_perf_paths.py)."""

from __future__ import annotations

from pathlib import Path

from bangfu.codes import (
    ENCODING_BOM,
    ENCODING_CONTROL_CHAR,
    ENCODING_NOT_UTF8,
    RECORD_NOT_MAPPING,
    SCHEMA_PATTERN,
    YAML_COMPLEX_KEY,
    YAML_DUPLICATE_KEY,
    YAML_EMPTY,
    YAML_FORBIDDEN_TAG,
    YAML_MULTIPLE_DOCUMENTS,
    YAML_NUMBER_TOO_LARGE,
    YAML_SYNTAX,
    YAML_TAB_INDENT,
    YAML_TOO_DEEP,
    YAML_TOO_MANY_NODES,
)

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
    "billion-laughs": (_billion_laughs(), YAML_TOO_MANY_NODES.code),
    "python-object-tag": (
        b"id: h-evil\nvillage: !!python/object/apply:os.system ['echo pwned']\n",
        YAML_FORBIDDEN_TAG.code,
    ),
    "python-name-tag": (b"id: !!python/name:os.system h-evil\n", YAML_FORBIDDEN_TAG.code),
    "duplicate-keys": (
        GOOD.replace(b"status:", b"status: \xe9\x80\x80\xe5\x87\xba\nstatus:"),
        YAML_DUPLICATE_KEY.code,
    ),
    "deep-flow-nesting": (b"id: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", YAML_TOO_DEEP.code),
    "deep-block-nesting": (
        "".join("  " * i + f"k{i}:\n" for i in range(1_500)).encode(),
        YAML_TOO_DEEP.code,
    ),
    "invalid-utf8": (
        GOOD.replace("张测试".encode(), "张测试".encode("gbk")),
        ENCODING_NOT_UTF8.code,
    ),
    "bom": (b"\xef\xbb\xbf" + GOOD, ENCODING_BOM.code),
    "utf16": ("id: h-evil\n".encode("utf-16"), ENCODING_NOT_UTF8.code),
    "tab-indent": (b"id: h-evil\nincome:\n\tyear: 2023\n", YAML_TAB_INDENT.code),
    "empty": (b"", YAML_EMPTY.code),
    "only-comments": (b"# nothing here\n", YAML_EMPTY.code),
    "list-not-mapping": (b"- id: h-evil\n- village: x\n", RECORD_NOT_MAPPING.code),
    "scalar-not-mapping": (b"just a sentence\n", RECORD_NOT_MAPPING.code),
    "id-with-dotdot": (GOOD.replace(b"id: h-0001", b"id: ../../etc/passwd"), SCHEMA_PATTERN.code),
    "unclosed-quote": (b'id: "h-evil\nvillage: x\n', YAML_SYNTAX.code),
    "two-documents": (GOOD + b"---\n" + GOOD, YAML_MULTIPLE_DOCUMENTS.code),
    "control-char": (
        GOOD.replace(b"address:", b"address: \x07 bell\nnotes:"),
        ENCODING_CONTROL_CHAR.code,
    ),
    "mapping-as-key": (b"? [a, b]\n: 1\n", YAML_COMPLEX_KEY.code),
    "undefined-alias": (b"id: *nothing\n", YAML_SYNTAX.code),
    # escapes decode to control characters the raw text does not show
    "escaped-control-chars": (
        GOOD.replace(b"address:", b'address: "ORG\\0NUL\\x1b[31m"\nnotes:'),
        ENCODING_CONTROL_CHAR.code,
    ),
    "escaped-c1-control-in-key": (b'id: h-evil\n"na\\x9bme": x\n', ENCODING_CONTROL_CHAR.code),
    "huge-integer-5000-digits": (
        GOOD.replace(b"per_capita: 4800", b"per_capita: 1" + b"0" * 5000),
        YAML_NUMBER_TOO_LARGE.code,
    ),
    "huge-integer-4001-digits": (
        GOOD.replace(b"household_size: 3", b"household_size: 1" + b"0" * 4000),
        YAML_NUMBER_TOO_LARGE.code,
    ),
    "float-overflow": (
        GOOD.replace(b"per_capita: 4800", b"per_capita: 1e400"),
        YAML_NUMBER_TOO_LARGE.code,
    ),
    "unquoted-resident-id-number": (
        GOOD.replace(b"id_number: 11010519491231002X", b"id_number: 110105194912310021"),
        YAML_NUMBER_TOO_LARGE.code,
    ),
}
