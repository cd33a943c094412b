"""Golden cases: each folder under tests/cases/{valid,invalid}/ holds records that overlay the
shared base and an expected.yaml with the exact findings (file, JSON path, code, line)."""

from __future__ import annotations

import json

import pytest
import yaml

from bangfu.codes import REF_UNKNOWN_CAMPAIGN, REF_UNKNOWN_ORGANIZATION, REGISTRY

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
    unregistered = {f["code"] for f in report["findings"]} - set(REGISTRY)
    assert not unregistered, f"codes produced but not registered in codes.py: {unregistered}"
    got = sorted((f["file"], f["path"], f["code"], f["line"]) for f in report["findings"])
    want = sorted((f["file"], f["path"], f["code"], f["line"]) for f in expected["findings"])
    assert got == want
    has_error = any(f["severity"] == "error" for f in report["findings"])
    assert proc.returncode == (1 if has_error else 0)
    if case.parent.name == "valid":
        assert proc.returncode == 0
    else:
        assert report["findings"], "an invalid case must produce findings"


def test_github_annotations_and_text_locations(tmp_path):
    case = CASES / "invalid" / "income-negative"
    root = make_case(tmp_path, case)
    gh = bangfu("check", "--format", "github", "--as-of", DEFAULT_AS_OF, cwd=root)
    assert gh.returncode == 1
    line = next(ln for ln in gh.stdout.splitlines() if ln.startswith("::error "))
    assert line.startswith(
        "::error file=data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml,line=9,col="
    )
    assert "title=schema.minimum::$.income.per_capita" in line
    text = bangfu("check", "--as-of", DEFAULT_AS_OF, cwd=root)
    assert "h-0001.yaml:9:" in text.stdout and "[schema.minimum]" in text.stdout
    assert "怎么改：" in text.stdout


def test_check_only_reports_the_given_paths(tmp_path):
    root = make_case(tmp_path, CASES / "invalid" / "plan-unknown-refs")
    hh = "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"
    proc = bangfu("check", hh, "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["summary"]["files"] == 1
    proc = bangfu("check", "data/plans", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
    assert proc.returncode == 1
    assert {f["code"] for f in json.loads(proc.stdout)["findings"]} == {
        REF_UNKNOWN_CAMPAIGN.code,
        REF_UNKNOWN_ORGANIZATION.code,
    }
