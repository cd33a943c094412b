"""bangfu codeowners: CODEOWNERS routes each county's households and plans to its
supervisors and everything else to the maintainers; --check fails when stale."""

from __future__ import annotations

from tests.conftest import ROOT, bangfu, make_case

COUNTY = "data/counties/tc-alpha.yaml"


def lines(path) -> list[str]:
    return [ln for ln in path.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]


def test_generates_routes_from_county_supervisors(tmp_path):
    root = make_case(tmp_path, None)
    proc = bangfu("codeowners", cwd=root)
    assert proc.returncode == 0, proc.stderr
    got = lines(root / ".github/CODEOWNERS")
    assert "/data/households/tc-alpha/ @tc-alpha-office" in got
    assert "/data/plans/tc-alpha/ @tc-alpha-office" in got
    assert "/data/organizations/to-helpers.yaml @tc-alpha-office" in got
    for path in (
        "/schemas/",
        "/scripts/",
        "/.github/",
        "/tests/",
        "/data/policy/",
        "/data/sources/",
        "/data/campaigns/",
    ):
        assert f"{path} @bangfu-ledger/maintainers" in got  # the placeholder team by default
    assert got[0] == "* @bangfu-ledger/maintainers"


def test_maintainers_file_and_counties_without_supervisors(tmp_path):
    root = make_case(tmp_path, None)
    (root / ".github").mkdir()
    (root / ".github/maintainers.txt").write_text(
        "# 维护者\n@example-org/ledger-team  # 占位\n", "utf-8"
    )
    county = root / COUNTY
    county.write_text(
        county.read_text("utf-8").replace("supervisors:\n  - '@tc-alpha-office'\n", ""), "utf-8"
    )
    assert bangfu("codeowners", cwd=root).returncode == 0
    got = lines(root / ".github/CODEOWNERS")
    assert "/data/households/tc-alpha/ @example-org/ledger-team" in got
    assert "/schemas/ @example-org/ledger-team" in got
    assert not any("to-helpers" in ln for ln in got)


def test_stale_codeowners_fails_check(tmp_path):
    root = make_case(tmp_path, None)
    assert bangfu("codeowners", cwd=root).returncode == 0
    assert bangfu("codeowners", "--check", cwd=root).returncode == 0
    county = root / COUNTY
    county.write_text(
        county.read_text("utf-8").replace(
            "'@tc-alpha-office'", "'@tc-alpha-office'\n  - '@tc-alpha/reviewers'"
        ),
        "utf-8",
    )
    proc = bangfu("codeowners", "--check", cwd=root)
    assert proc.returncode == 1 and "已过期" in proc.stderr
    assert "@tc-alpha/reviewers" not in (root / ".github/CODEOWNERS").read_text("utf-8")
    assert bangfu("codeowners", cwd=root).returncode == 0
    assert bangfu("codeowners", "--check", cwd=root).returncode == 0
    assert "/data/plans/tc-alpha/ @tc-alpha-office @tc-alpha/reviewers" in lines(
        root / ".github/CODEOWNERS"
    )


def test_missing_codeowners_fails_check(tmp_path):
    root = make_case(tmp_path, None)
    assert bangfu("codeowners", "--check", cwd=root).returncode == 1


def test_repository_codeowners_is_current():
    proc = bangfu("codeowners", "--check", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
