"""Golden cases: each folder under tests/cases/{valid,invalid}/ holds records that overlay the
shared base and an expected.yaml with the exact findings (file, JSON path, code, line)."""

from __future__ import annotations

import json

import pytest
import yaml

from .conftest import CASES, DEFAULT_AS_OF, bangfu, make_case

CASE_DIRS = sorted(
    p for kind in ("valid", "invalid") for p in (CASES / kind).iterdir() if p.is_dir()
)


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_case(case, tmp_path):
    expected = yaml.safe_load((case / "expected.yaml").read_text("utf-8"))
    root = make_case(tmp_path, case, expected.get("remove", ()))
    proc = bangfu(
        "check", "--format", "json", "--as-of", expected.get("as_of", DEFAULT_AS_OF), cwd=root
    )
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    got = sorted((f["file"], f["path"], f["code"], f["line"]) for f in report["findings"])
    want = sorted((f["file"], f["path"], f["code"], f["line"]) for f in expected["findings"])
    assert got == want
    has_error = any(f["severity"] == "error" for f in report["findings"])
    assert proc.returncode == (1 if has_error else 0)
    if case.parent.name == "valid":
        assert proc.returncode == 0
    else:
        assert report["findings"], "an invalid case must produce findings"
