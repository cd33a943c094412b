"""bangfu review on real Git repositories built in temp folders: the per-record summary,
privacy of the summary, the history guard, the approvers, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

from bangfu.codes import (
    HISTORY_CORRECTION_REMOVED,
    HISTORY_ENTRY_CHANGED,
    HISTORY_ENTRY_REMOVED,
    HISTORY_EXIT_STEPS_REWRITTEN,
    HISTORY_HOUSEHOLD_DELETED,
    HISTORY_IDENTIFICATION_REWRITTEN,
    HISTORY_REFERENCED_RECORD_DELETED,
    HISTORY_REPORT_DELETED,
    POLICY_EXIT_WITHOUT_NOTICE,
    SCHEMA_ADDITIONAL_PROPERTIES,
    YAML_SYNTAX,
)
from tests.conftest import DEFAULT_AS_OF, bangfu, commit, edit, git

HOUSEHOLD = "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"
REPORT = "data/plans/tc-alpha/tp-one/reports/2024-03.yaml"
CORRECTION = """corrections:
  - date: 2024-04-02
    by: 测试县乡村振兴局
    reason: 该条目重复录入，经核实删除
    path: $.entries[1]
    original:
      date: 2024-03-12
      village: tc-alpha-east-willow
      kind: 消费扶贫
      content: 采购农产品
      amount: 1200.5
"""


def review(root: Path, *extra: str, fmt: str = "json", base: str = "main~1", head: str = "HEAD"):
    proc = bangfu("review", base, head, "--format", fmt, "--as-of", DEFAULT_AS_OF, *extra, cwd=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def as_json(proc) -> dict:
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def fields_of(doc: dict, path_part: str) -> list[dict]:
    rec = next(r for r in doc["records"] if path_part in (r["new_path"] or r["old_path"]))
    return rec["fields"]


def test_income_edit_renders_old_and_new_with_schema_title(repo):
    # per-household values are shown only with --private (see test_private_findings.py for
    # the default, which names the field and the kind of change only)
    edit(repo, HOUSEHOLD, "per_capita: 4800", "per_capita: 5200")
    commit(repo, "收入更新")
    doc = as_json(review(repo, "--private"))
    [f] = [f for f in fields_of(doc, "h-0001") if f["path"] == "$.income.per_capita"]
    assert (f["label"], f["op"], f["old"], f["new"], f["private"]) == (
        "人均纯收入（元）",
        "changed",
        4800,
        5200,
        False,
    )
    md = review(repo, "--private", fmt="markdown").stdout
    assert "| 人均纯收入（元） | 修改 | 4800 | 5200 |" in md
    text = review(repo, "--private", fmt="text").stdout
    assert "人均纯收入（元）：修改 4800 → 5200" in text


def test_income_crossing_the_monitoring_line_is_highlighted(repo):
    edit(repo, HOUSEHOLD, "per_capita: 4800", "per_capita: 7000")
    edit(repo, HOUSEHOLD, "status: 风险未消除", "status: 退出")
    commit(repo, "收入越过监测线")
    doc = as_json(review(repo, "--private"))
    topics = {h["topic"]: h["text"] for h in doc["highlights"]}
    assert "监测线 6,000" in topics["income"] and "tp-national" in topics["income"]
    assert "风险未消除 → 退出" in topics["status"]
    # the checker's findings for the changed file are part of the review (and block it): an
    # exit needs the exit notice (a higher income alone no longer contradicts the category)
    assert ("$.status", POLICY_EXIT_WITHOUT_NOTICE.code) in {
        (f["path"], f["code"]) for f in doc["findings"]
    }
    assert doc["blocking"] >= 1


def test_private_field_change_shows_no_value(repo):
    edit(repo, HOUSEHOLD, "phone: '13700000000'", "phone: '13912345678'")
    edit(repo, HOUSEHOLD, "name: 张测试", "name: 李测试")
    commit(repo, "改电话")
    proc = review(repo)
    assert proc.returncode == 0, proc.stdout
    fields = fields_of(as_json(proc), "h-0001")
    assert {(f["path"], f["private"], f.get("note")) for f in fields} == {
        ("$.head.phone", True, "隐私字段已修改"),
        ("$.head.name", True, "隐私字段已修改"),
    }
    assert all("old" not in f and "new" not in f for f in fields)
    for fmt in ("json", "markdown", "text"):
        out = review(repo, fmt=fmt).stdout
        assert "隐私字段已修改" in out
        for secret in ("13700000000", "13912345678", "张测试", "李测试"):
            assert secret not in out, (fmt, secret)


def test_unknown_field_is_private_and_unnamed(repo):
    edit(repo, HOUSEHOLD, "address:", "extra_note: 内部信息 13611112222\naddress:")
    commit(repo, "多余字段")
    out = review(repo, fmt="markdown").stdout
    assert "13611112222" not in out and "内部信息" not in out
    assert "（未定义字段）" in out
    # the checker still names the unknown field so that it can be fixed
    assert SCHEMA_ADDITIONAL_PROPERTIES.code in out


def test_deleting_a_past_report_entry_blocks_until_a_correction_note_is_added(repo):
    text = (repo / REPORT).read_text("utf-8")
    (repo / REPORT).write_text(text[: text.index("  - date: 2024-03-12")], "utf-8")
    commit(repo, "删除一条条目")
    proc = review(repo)
    assert proc.returncode == 1
    doc = as_json(proc)
    assert [(f["file"], f["path"], f["code"]) for f in doc["history"]] == [
        (REPORT, "$.entries[1]", HISTORY_ENTRY_REMOVED.code)
    ]
    assert "删除了已提交的帮扶条目" in doc["history"][0]["message"]
    assert "corrections" in doc["history"][0]["hint"]
    md = review(repo, fmt="markdown").stdout
    assert "阻止合并" in md and HISTORY_ENTRY_REMOVED.code in md

    with (repo / REPORT).open("a", encoding="utf-8") as fh:
        fh.write(CORRECTION)
    commit(repo, "补更正说明")
    proc = review(repo, base="main~2")
    doc = as_json(proc)
    assert doc["history"] == [] and proc.returncode == 0, doc
    assert any(h["topic"] == "corrections" for h in doc["highlights"])


def test_a_correction_note_must_preserve_the_original_value(repo):
    text = (repo / REPORT).read_text("utf-8")
    (repo / REPORT).write_text(
        text[: text.index("  - date: 2024-03-12")]
        + CORRECTION.replace("amount: 1200.5", "amount: 1"),
        "utf-8",
    )
    commit(repo, "原值不对")
    proc = review(repo)
    assert proc.returncode == 1
    assert [f["code"] for f in as_json(proc)["history"]] == [HISTORY_ENTRY_REMOVED.code]


def test_changing_a_past_entry_amount_is_blocking(repo):
    edit(repo, REPORT, "amount: 1200.5", "amount: 2100.5")
    commit(repo, "改金额")
    proc = review(repo)
    assert proc.returncode == 1
    assert [(f["path"], f["code"]) for f in as_json(proc)["history"]] == [
        ("$.entries[1]", HISTORY_ENTRY_CHANGED.code)
    ]
    # a note on the field itself, keeping its old value, is enough
    with (repo / REPORT).open("a", encoding="utf-8") as fh:
        fh.write(
            "corrections:\n  - date: 2024-04-02\n    by: 测试县乡村振兴局\n"
            "    reason: 发票金额录错\n    path: $.entries[1].amount\n    original: 1200.5\n"
        )
    commit(repo, "补更正说明")
    assert review(repo, base="main~2").returncode == 0


def test_new_report_entries_are_allowed_and_totalled(repo):
    edit(
        repo,
        REPORT,
        "    amount: 1200.5\n",
        "    amount: 1200.5\n  - date: 2024-03-20\n"
        "    household: h-0001\n    kind: 资金发放\n    content: 发放产业扶持资金\n    amount: 300\n",
    )
    commit(repo, "追加条目")
    proc = review(repo)
    doc = as_json(proc)
    assert proc.returncode == 0 and doc["history"] == [], doc
    [h] = [h for h in doc["highlights"] if h["topic"] == "entries"]
    assert "新增帮扶条目 1 条" in h["text"] and "300 元" in h["text"]


def test_rewriting_identification_steps_is_blocking_but_appending_is_not(repo):
    edit(
        repo,
        HOUSEHOLD,
        "      date: 2024-01-10\n      until: 2024-01-16",
        "      date: 2024-01-11\n      until: 2024-01-16",
    )
    commit(repo, "改认定日期")
    proc = review(repo)
    assert proc.returncode == 1
    assert [(f["path"], f["code"]) for f in as_json(proc)["history"]] == [
        ("$.identification.steps[1]", HISTORY_IDENTIFICATION_REWRITTEN.code)
    ]

    git(repo, "checkout", "-q", "-b", "append", "main~1")
    edit(
        repo,
        HOUSEHOLD,
        "    - step: 公告录入\n      date: 2024-01-20\n",
        "    - step: 公告录入\n      date: 2024-01-20\n    - step: 复查审核\n      date: 2024-06-01\n",
    )
    commit(repo, "追加步骤")
    proc = review(repo, base="main~1")
    assert proc.returncode == 0 and as_json(proc)["history"] == []


def test_rewriting_exit_steps_is_blocking_but_appending_is_not(repo):
    edit(
        repo,
        HOUSEHOLD,
        "    - step: 公告录入\n      date: 2024-01-20\n",
        "    - step: 公告录入\n      date: 2024-01-20\n"
        "exit_steps:\n  - step: 家庭经济状况调查\n    date: 2025-03-01\n",
    )
    commit(repo, "记退出调查")
    edit(repo, HOUSEHOLD, "    date: 2025-03-01\n", "    date: 2025-03-02\n")
    commit(repo, "改退出调查日期")
    proc = review(repo, base="main~1")
    assert proc.returncode == 1
    assert [(f["path"], f["code"]) for f in as_json(proc)["history"]] == [
        ("$.exit_steps[0]", HISTORY_EXIT_STEPS_REWRITTEN.code)
    ]
    edit(
        repo,
        HOUSEHOLD,
        "    date: 2025-03-02\n",
        "    date: 2025-03-01\n  - step: 初审公示\n    date: 2025-03-10\n",
    )
    commit(repo, "改回并追加步骤")
    proc = review(repo, base="main~2")
    assert proc.returncode == 0 and as_json(proc)["history"] == []


def test_deleting_a_report_or_a_referenced_household_is_blocking(repo):
    (repo / REPORT).unlink()
    (repo / HOUSEHOLD).unlink()
    commit(repo, "删除")
    proc = review(repo)
    assert proc.returncode == 1
    got = {(f["file"], f["code"]) for f in as_json(proc)["history"]}
    assert got == {
        (REPORT, HISTORY_REPORT_DELETED.code),
        (HOUSEHOLD, HISTORY_REFERENCED_RECORD_DELETED.code),
        (HOUSEHOLD, HISTORY_HOUSEHOLD_DELETED.code),  # it has identification steps too
    }
    msg = next(
        f["message"]
        for f in as_json(proc)["history"]
        if (f["file"], f["code"]) == (HOUSEHOLD, HISTORY_REFERENCED_RECORD_DELETED.code)
    )
    assert "plan.yaml" in msg and "$.targets.households[0]" in msg


def test_removing_a_correction_note_is_blocking(repo):
    with (repo / REPORT).open("a", encoding="utf-8") as fh:
        fh.write(CORRECTION.replace("path: $.entries[1]", "path: $.entries[5]"))
    commit(repo, "一条更正")
    text = (repo / REPORT).read_text("utf-8")
    (repo / REPORT).write_text(text[: text.index("corrections:")], "utf-8")
    commit(repo, "删掉更正")
    proc = review(repo)
    assert [f["code"] for f in as_json(proc)["history"]] == [HISTORY_CORRECTION_REMOVED.code]


def test_new_household_lists_the_county_supervisors(repo):
    new = repo / "data/households/tc-alpha/tc-alpha-east-pine/h-0002.yaml"
    new.parent.mkdir(parents=True)
    new.write_text(
        (repo / HOUSEHOLD)
        .read_text("utf-8")
        .replace("id: h-0001", "id: h-0002")
        .replace("village: tc-alpha-east-willow", "village: tc-alpha-east-pine"),
        "utf-8",
    )
    commit(repo, "新增户")
    proc = review(repo)
    doc = as_json(proc)
    assert proc.returncode == 0, doc
    assert [r["status"] for r in doc["records"]] == ["added"]
    assert [(a["handles"], a["county"], a["files"]) for a in doc["approvals"]] == [
        (
            ["@tc-alpha-office"],
            "tc-alpha",
            ["data/households/tc-alpha/tc-alpha-east-pine/h-0002.yaml"],
        )
    ]
    assert any(h["topic"] == "household" and "h-0002" in h["text"] for h in doc["highlights"])
    assert "`@tc-alpha-office`" in review(repo, fmt="markdown").stdout


def test_approvers_come_from_the_base_commit_not_the_pull_request(repo):
    edit(repo, "data/counties/tc-alpha.yaml", "'@tc-alpha-office'", "'@someone-else'")
    edit(repo, HOUSEHOLD, "per_capita: 4800", "per_capita: 4900")
    commit(repo, "换审核人")
    doc = as_json(review(repo))
    owners = {tuple(a["handles"]): a["files"] for a in doc["approvals"]}
    assert owners[("@tc-alpha-office",)] == [HOUSEHOLD]
    assert owners[("@bangfu-ledger/maintainers",)] == ["data/counties/tc-alpha.yaml"]
    assert any(h["topic"] == "supervisors" for h in doc["highlights"])


def test_county_without_supervisors_routes_to_maintainers(repo):
    edit(repo, "data/counties/tc-alpha.yaml", "supervisors:\n  - '@tc-alpha-office'\n", "")
    (repo / ".github").mkdir()
    (repo / ".github/maintainers.txt").write_text("# 维护者\n@example-org/ledger-team\n", "utf-8")
    commit(repo, "无审核人")
    edit(repo, HOUSEHOLD, "per_capita: 4800", "per_capita: 4900")
    commit(repo, "改收入")
    doc = as_json(review(repo))
    assert [
        (a["handles"], a["maintainers"], a["unsupervised_counties"]) for a in doc["approvals"]
    ] == [(["@example-org/ledger-team"], True, ["tc-alpha"])]


def test_renamed_record_is_reported_as_moved(repo):
    dest = repo / "data/households/tc-alpha/tc-alpha-east-pine/h-0001.yaml"
    dest.parent.mkdir(parents=True)
    text = (repo / HOUSEHOLD).read_text("utf-8")
    (repo / HOUSEHOLD).unlink()
    dest.write_text(
        text.replace("village: tc-alpha-east-willow", "village: tc-alpha-east-pine"), "utf-8"
    )
    commit(repo, "搬到松村")
    proc = review(repo, "--private")
    doc = as_json(proc)
    [rec] = doc["records"]
    assert (rec["status"], rec["old_path"], rec["new_path"]) == (
        "renamed",
        HOUSEHOLD,
        str(dest.relative_to(repo)),
    )
    assert [(f["path"], f["old"], f["new"]) for f in rec["fields"]] == [
        ("$.village", "tc-alpha-east-willow", "tc-alpha-east-pine")
    ]
    assert doc["history"] == [] and proc.returncode == 0


def test_record_text_is_escaped_in_markdown(repo):
    edit(repo, REPORT, "content: 采购农产品", "content: 采购农产品 | @attacker <script>")
    edit(
        repo,
        REPORT,
        "    amount: 1200.5\n",
        "    amount: 1200.5\n  - date: 2024-03-21\n"
        "    village: tc-alpha-east-willow\n    kind: 其他\n    content: '[链接](http://x) @someone'\n",
    )
    commit(repo, "转义")
    md = review(repo, "--private", fmt="markdown").stdout
    assert "<script>" not in md and "@attacker" not in md and "@someone" not in md
    assert "\\[链接\\]" in md and "\\|" in md


def test_unknown_ref_is_a_usage_error(repo):
    proc = bangfu("review", "no-such-branch", "HEAD", cwd=repo)
    assert proc.returncode == 2
    assert "找不到 Git 引用" in proc.stderr and "no-such-branch" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_outside_a_repository_is_a_usage_error(tmp_path):
    proc = bangfu(
        "review",
        "main",
        "HEAD",
        "--repo",
        str(tmp_path),
        cwd=tmp_path,
        env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
    )
    assert proc.returncode == 2 and "不是 Git 仓库" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_change_is_clean(repo):
    proc = review(repo, base="HEAD")
    doc = as_json(proc)
    assert proc.returncode == 0 and doc["records"] == [] and doc["approvals"] == []


def test_unparseable_record_is_reported_by_the_checker(repo):
    edit(repo, HOUSEHOLD, "status: 风险未消除", "status: [风险未消除")
    commit(repo, "坏文件")
    proc = review(repo)
    doc = as_json(proc)
    assert proc.returncode == 1
    assert doc["records"][0]["unreadable"] is True
    assert [(f["file"], f["code"]) for f in doc["findings"]] == [(HOUSEHOLD, YAML_SYNTAX.code)]
    assert "文件无法解析" in review(repo, fmt="markdown").stdout
