"""Writers never lose data: fmt keeps comments and values, new writes valid skeletons at the
right path and never overwrites, demo is deterministic, marked synthetic and passes check."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bangfu.codes import FMT_NOT_CANONICAL, RECORD_PLACEHOLDER, YAML_DUPLICATE_KEY
from bangfu.yamlsafe import parse

from .conftest import DEFAULT_AS_OF, bangfu, make_case

H = Path("data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml")

MESSY = """\
# 户记录：注释要保留
id:   h-0001
village: tc-alpha-east-willow   # 行尾注释
category: 边缘易致贫户
risk_causes:
- 因病
household_size: 3
income: {year: 2023, per_capita: 4800}
status: 风险未消除
identification:
    steps:
    -   step: 评议公示
        date: 2024-01-10
        until: 2024-01-16
"""


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(
                p.relative_to(root).as_posix().encode() + hashlib.sha256(p.read_bytes()).digest()
            )
    return h.hexdigest()


def test_fmt_check_then_fix_keeps_comments_and_data(tmp_path):
    root = make_case(tmp_path, None)
    path = root / H
    path.write_text(MESSY, encoding="utf-8")
    before = parse(MESSY, "x").data

    proc = bangfu("fmt", "--check", cwd=root)
    assert proc.returncode == 1
    assert FMT_NOT_CANONICAL.code in proc.stdout and H.as_posix() in proc.stdout
    assert path.read_text(encoding="utf-8") == MESSY, "--check must not write"

    proc = bangfu("fmt", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after_text = path.read_text(encoding="utf-8")
    assert after_text != MESSY
    assert "# 户记录：注释要保留" in after_text and "# 行尾注释" in after_text
    assert parse(after_text, "x").data == before
    assert bangfu("fmt", "--check", cwd=root).returncode == 0
    assert bangfu("check", "--as-of", DEFAULT_AS_OF, cwd=root).returncode == 0


def test_fmt_removes_bom_and_crlf_without_changing_data(tmp_path):
    root = make_case(tmp_path, None)
    path = root / H
    original = path.read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + original.replace(b"\n", b"\r\n"))
    assert bangfu("fmt", cwd=root).returncode == 0
    assert path.read_bytes() == original


def test_fmt_leaves_broken_files_alone(tmp_path):
    root = make_case(tmp_path, None)
    path = root / H
    path.write_bytes(b"id: h-0001\nid: h-0002\n")
    before = _digest(root)
    proc = bangfu("fmt", cwd=root)
    assert proc.returncode == 1 and YAML_DUPLICATE_KEY.code in proc.stdout
    assert _digest(root) == before


def test_base_data_and_reference_data_are_canonical():
    repo = Path(__file__).resolve().parents[1]
    for data in (repo / "tests/cases/base/data", repo / "data"):
        proc = bangfu("fmt", "--check", "--data", str(data), cwd=repo)
        assert proc.returncode == 0, proc.stdout


NEW_CASES = [
    (["new", "source", "--id", "new-source", "--name", "新文件"], "data/sources/new-source.yaml"),
    (
        [
            "new",
            "county",
            "--id",
            "tc-beta",
            "--name",
            "贝塔县",
            "--province",
            "测试省",
            "--source",
            "test-source",
        ],
        "data/counties/tc-beta.yaml",
    ),
    (
        [
            "new",
            "organization",
            "--id",
            "to-new",
            "--name",
            "新组织",
            "--county",
            "tc-alpha",
            "--source",
            "test-source",
        ],
        "data/organizations/to-new.yaml",
    ),
    (
        [
            "new",
            "household",
            "--county",
            "tc-alpha",
            "--village",
            "tc-alpha-east-pine",
            "--id",
            "h-0100",
        ],
        "data/households/tc-alpha/tc-alpha-east-pine/h-0100.yaml",
    ),
    (
        ["new", "campaign", "--id", "tk-new", "--name", "新行动", "--source", "test-source"],
        "data/campaigns/tk-new.yaml",
    ),
    (
        [
            "new",
            "plan",
            "--id",
            "tp-new",
            "--county",
            "tc-alpha",
            "--campaign",
            "tk-campaign",
            "--organization",
            "to-helpers",
        ],
        "data/plans/tc-alpha/tp-new/plan.yaml",
    ),
    (
        ["new", "report", "--county", "tc-alpha", "--plan", "tp-one", "--period", "2024-05"],
        "data/plans/tc-alpha/tp-one/reports/2024-05.yaml",
    ),
    (
        ["new", "policy", "--id", "tp-new-policy", "--source", "test-source"],
        "data/policy/tp-new-policy.yaml",
    ),
]


@pytest.mark.parametrize("args,expected", NEW_CASES, ids=[c[0][1] for c in NEW_CASES])
def test_new_skeleton_fails_check_on_its_placeholders_until_filled(args, expected, tmp_path):
    """A skeleton is not a record: unchanged, it fails check, and only on its 待填写
    placeholders (no category, income 0 or empty list passes for a filled-in record)."""
    root = make_case(tmp_path, None)
    proc = bangfu(*args, "--as-of", DEFAULT_AS_OF, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert (root / expected).is_file()
    check = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
    assert check.returncode == 1
    findings = json.loads(check.stdout)["findings"]
    assert findings and {f["code"] for f in findings} == {RECORD_PLACEHOLDER.code}, findings
    assert {f["file"] for f in findings} == {expected}
    assert bangfu("fmt", "--check", cwd=root).returncode == 0
    again = bangfu(*args, "--as-of", DEFAULT_AS_OF, cwd=root)
    assert again.returncode == 2 and "已存在" in again.stderr


def test_demo_is_deterministic_synthetic_and_valid(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        proc = bangfu(
            "demo", "--households", "150", "--seed", "7", "--out", str(out), cwd=repo, timeout=600
        )
        assert proc.returncode == 0, proc.stderr
    assert _digest(a / "data") == _digest(b / "data")
    data = a / "data"
    generated = [
        *(data / "households").rglob("*.yaml"),
        *data.glob("plans/*/demo-plan-*/**/*.yaml"),
        *data.glob("organizations/demo-org-*.yaml"),
        *data.glob("campaigns/demo-*.yaml"),
    ]
    assert len(generated) > 150
    assert len(list((a / "data/households").rglob("*.yaml"))) == 150
    for p in generated:
        assert parse(p.read_text("utf-8"), str(p)).data.get("synthetic") is True, p
    assert bangfu("fmt", "--check", "--data", str(a / "data"), cwd=repo).returncode == 0


@pytest.mark.slow
def test_demo_2000_households_passes_check(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "demo"
    proc = bangfu(
        "demo", "--households", "2000", "--seed", "1", "--out", str(out), cwd=repo, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    check = bangfu("check", "--data", str(out / "data"), "--format", "json", cwd=repo, timeout=600)
    report = json.loads(check.stdout)
    assert check.returncode == 0 and report["summary"]["errors"] == 0, report["findings"][:5]
    assert len(list((out / "data/households").rglob("*.yaml"))) == 2000


def test_demo_refuses_to_overwrite_a_folder_it_did_not_make(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    proc = bangfu("demo", "--households", "5", "--out", str(out), cwd=repo)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (out / "notes.txt").read_text() == "keep me"


def test_atomic_write_keeps_the_mode_of_an_existing_file(tmp_path):
    from bangfu.yamlio import atomic_write

    target = tmp_path / "r.yaml"
    target.write_text("a: 1\n")
    target.chmod(0o640)
    atomic_write(target, "a: 2\n")
    assert target.read_text() == "a: 2\n" and target.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "new.yaml"
    atomic_write(fresh, "b: 1\n")
    assert fresh.stat().st_mode & 0o044 == 0o044, "new records are readable like any other file"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_fmt_fast_path_agrees_with_the_ruamel_round_trip(tmp_path):
    """Whenever the cheap check calls a file canonical, the full round trip leaves it unchanged."""
    from bangfu.fmt import already_canonical, canonical

    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "demo"
    assert (
        bangfu("demo", "--households", "60", "--seed", "4", "--out", str(out), cwd=repo).returncode
        == 0
    )
    files = sorted((out / "data").rglob("*.yaml"))
    fast = 0
    for p in files:
        text = p.read_text("utf-8")
        if already_canonical(text, parse(text, str(p)).data):
            fast += 1
            assert canonical(text) == text, p
    assert fast > len(files) // 2, "most generated records take the cheap path"
    assert not already_canonical(MESSY, parse(MESSY, "x").data)
