"""A pull request cannot change the rules it is judged by: ``bangfu review`` takes schemas
(privacy classes and validation) and policy from the base commit, marks changes to code,
schemas and policy for the maintainers with the policy's effect in counts, refuses a
committed parse cache, and keeps its comment under the host's size limit."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bangfu.codes import (
    HISTORY_REPORT_DELETED,
    POLICY_NOTICE_TOO_SHORT,
    REVIEW_CACHE_COMMITTED,
    REVIEW_POLICY_CHANGED,
    REVIEW_RULES_CHANGED,
    SCHEMA_PATTERN,
)
from bangfu.findings import ERROR, Finding
from bangfu.review.core import Review
from bangfu.review.summary import MAX_MARKDOWN, markdown
from tests.conftest import DEFAULT_AS_OF, ROOT, bangfu, commit, edit

HOUSEHOLD = "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"
REPORT = "data/plans/tc-alpha/tp-one/reports/2024-03.yaml"
POLICY = "data/policy/tp-national.yaml"
SCHEMA = "schemas/household.schema.json"
OLD_PHONE = "13700000000"  # the base case's (fake) private phone
NEW_PHONE = "13912345678"


def edit_json(root: Path, rel: str, change) -> None:
    p = root / rel
    doc = json.loads(p.read_text("utf-8"))
    change(doc)
    p.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", "utf-8")


def review(root: Path, fmt: str) -> subprocess.CompletedProcess:
    proc = bangfu("review", "main~1", "HEAD", "--format", fmt, "--as-of", DEFAULT_AS_OF, cwd=root)
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    return proc


def codes(doc: dict) -> set[tuple[str, str]]:
    return {(f["file"], f["code"]) for f in doc["findings"] + doc["history"]}


def test_pull_request_marking_head_phone_public_does_not_print_the_old_phone(repo):
    def public_phone(doc):
        doc["properties"]["head"]["x-visibility"] = "public"
        doc["properties"]["head"]["properties"]["phone"]["x-visibility"] = "public"

    edit_json(repo, SCHEMA, public_phone)
    edit(repo, HOUSEHOLD, OLD_PHONE, NEW_PHONE)
    commit(repo, "把户主电话标为公开", force=True)
    for fmt in ("markdown", "text", "json"):
        out = review(repo, fmt).stdout
        assert OLD_PHONE not in out and NEW_PHONE not in out, fmt
    doc = json.loads(review(repo, "json").stdout)
    [phone] = [f for r in doc["records"] for f in r["fields"] if f["path"] == "$.head.phone"]
    assert phone["private"] is True
    assert (SCHEMA, REVIEW_RULES_CHANGED.code) in codes(doc)


def test_pull_request_loosening_a_schema_is_validated_by_the_base_schema(repo):
    def any_phone(doc):
        doc["properties"]["head"]["properties"]["phone"] = {
            "type": "string",
            "title": "联系电话",
            "x-visibility": "private",
        }

    edit_json(repo, SCHEMA, any_phone)
    edit(repo, HOUSEHOLD, f"'{OLD_PHONE}'", "'not-a-phone'")
    commit(repo, "放宽电话格式", force=True)
    proc = review(repo, "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert any(
        f["file"] == HOUSEHOLD and f["path"] == "$.head.phone" and f["severity"] == ERROR
        for f in doc["findings"]
    ), doc["findings"]


def test_pull_request_editing_the_guard_code_is_still_blocked(repo):
    """The review runs the installed (base) tool; the pull request's copy of the guard is
    data, so stubbing it out changes nothing but earns a maintainer warning."""
    guard = repo / "scripts/bangfu/review/history.py"
    guard.parent.mkdir(parents=True)
    shutil.copy(ROOT / "scripts/bangfu/review/history.py", guard)
    commit(repo, "代码", force=True)
    text = guard.read_text("utf-8")
    guard.write_text(text.replace("def guard(", "def guard(*_a):\n    return []\n\n\ndef _old("))
    (repo / REPORT).unlink()
    commit(repo, "删掉守卫和报告", force=True)
    proc = review(repo, "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert (REPORT, HISTORY_REPORT_DELETED.code) in codes(doc)
    assert ("scripts/bangfu/review/history.py", REVIEW_RULES_CHANGED.code) in codes(doc)
    maint = [a for a in doc["approvals"] if a["maintainers"]]
    assert any("scripts/bangfu/review/history.py" in a["files"] for a in maint)
    assert "没有阻止合并的问题" not in review(repo, "markdown").stdout


def test_policy_change_is_highlighted_with_its_effect_and_needs_maintainers(repo):
    edit(repo, POLICY, "风险未消除: 31", "风险未消除: 900")
    edit(repo, POLICY, "small_cell_threshold: 5", "small_cell_threshold: 1")
    commit(repo, "放宽回访间隔", force=True)
    proc = review(repo, "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0  # a warning for the maintainers, not a blocking error
    assert (POLICY, REVIEW_POLICY_CHANGED.code) in codes(doc)
    notes = [h["text"] for h in doc["highlights"] if h["topic"] == "policy"]
    assert "政策改动的影响：逾期回访户 1 → 0" in notes, notes
    hidden = [n for n in notes if "被隐藏的小格子" in n]
    assert hidden and hidden[0].endswith("→ 0"), notes
    assert any(a["maintainers"] and POLICY in a["files"] for a in doc["approvals"])
    md = review(repo, "markdown").stdout
    assert "逾期回访户 1 → 0" in md and REVIEW_POLICY_CHANGED.code in md
    assert OLD_PHONE not in md and "张测试" not in md


def test_campaign_cadence_change_is_highlighted_as_policy(repo):
    edit(repo, "data/campaigns/tk-campaign.yaml", "cadence: 每月", "cadence: 每季度")
    commit(repo, "改成按季度报送", force=True)
    doc = json.loads(review(repo, "json").stdout)
    assert ("data/campaigns/tk-campaign.yaml", REVIEW_POLICY_CHANGED.code) in codes(doc)
    notes = [h["text"] for h in doc["highlights"] if h["topic"] == "policy"]
    assert any(n.startswith("政策改动的影响：报送期（未报）") for n in notes), notes


def test_campaign_name_change_is_not_a_policy_change(repo):
    edit(repo, "data/campaigns/tk-campaign.yaml", "name: 测试专项行动", "name: 测试专项行动二")
    commit(repo, "改名", force=True)
    doc = json.loads(review(repo, "json").stdout)
    assert not [f for f in doc["findings"] if f["code"] == REVIEW_POLICY_CHANGED.code]
    assert not [h for h in doc["highlights"] if h["topic"] == "policy"]


def test_pull_request_loosening_policy_is_judged_by_the_policy_in_force(repo):
    """Shortening the required public notice and filing a household with a 1-day notice in
    the same pull request: the household is judged by the notice period in force."""
    edit(repo, POLICY, "notice_min_days: 5", "notice_min_days: 1")
    edit(repo, HOUSEHOLD, "until: 2024-01-16", "until: 2024-01-11")
    commit(repo, "缩短公示期", force=True)
    proc = review(repo, "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert (HOUSEHOLD, POLICY_NOTICE_TOO_SHORT.code) in codes(doc)
    assert (POLICY, REVIEW_POLICY_CHANGED.code) in codes(doc)


def test_new_policy_record_cannot_override_the_policy_in_force_for_its_own_review(repo):
    (repo / "data/policy/tp-lenient.yaml").write_text(
        (repo / POLICY)
        .read_text("utf-8")
        .replace("id: tp-national", "id: tp-lenient")
        .replace("scope: {}", "scope:\n  county: tc-alpha")
        .replace("notice_min_days: 5", "notice_min_days: 1"),
        "utf-8",
    )
    edit(repo, HOUSEHOLD, "until: 2024-01-16", "until: 2024-01-11")
    commit(repo, "新增宽松政策", force=True)
    doc = json.loads(review(repo, "json").stdout)
    assert (HOUSEHOLD, POLICY_NOTICE_TOO_SHORT.code) in codes(doc)
    assert ("data/policy/tp-lenient.yaml", REVIEW_POLICY_CHANGED.code) in codes(doc)


def test_committed_parse_cache_is_refused(repo):
    """Cache poisoning: a pull request that commits a ``.bangfu-cache`` (which a local or CI
    check next to the checkout would trust) is blocked."""
    cache = repo / ".bangfu-cache" / "parse-0123456789abcdef01234567.marshal"
    cache.parent.mkdir()
    cache.write_bytes(b"\x00poisoned")
    commit(repo, "缓存", force=True)
    proc = review(repo, "json")
    assert proc.returncode == 1
    assert (
        ".bangfu-cache/parse-0123456789abcdef01234567.marshal",
        REVIEW_CACHE_COMMITTED.code,
    ) in codes(json.loads(proc.stdout))


def test_pr_comment_with_many_findings_stays_under_the_github_limit():
    findings = [
        Finding(
            code=SCHEMA_PATTERN.code,
            severity=ERROR,
            file=f"data/households/tc-alpha/v/h-{i:04d}.yaml",
            message="格式不对：" + "很长的说明" * 30,
            hint="按数据字典中的格式说明填写。",
            line=3,
            column=1,
            path="$.head.phone",
        )
        for i in range(2000)
    ]
    r = Review("main", "HEAD", "a" * 40, "b" * 40, "c" * 40, [], [], [], [], findings, [], 2000)
    text = markdown(r)
    assert len(text) <= MAX_MARKDOWN < 65_536
    assert "有 2000 个阻止合并的问题" in text  # the verdict survives the cut
    assert "bangfu-review" in text and "摘要太长" in text
    assert "h-0000.yaml" in text and "h-1999.yaml" not in text
