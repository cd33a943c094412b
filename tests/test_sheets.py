"""The spreadsheet bridge end to end: templates filled with openpyxl, imported with the real
CLI into a temp copy of the base data, checked, exported and re-imported."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
import yaml

from .conftest import ROOT, make_case
from .sheet_helpers import (
    ENTRIES,
    FILING_FIELDS,
    NEW_HOUSEHOLD,
    fill,
    progress,
    run,
    template,
    to_csv,
    tree_hash,
)

REPORT = "data/plans/tc-alpha/tp-one/reports/2024-04.yaml"


@pytest.fixture
def repo(tmp_path):
    return make_case(tmp_path, None)


def ok(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def load(repo, rel):
    return yaml.safe_load((repo / rel).read_text("utf-8"))


# -- templates ------------------------------------------------------------------------------


def test_template_has_instructions_dropdowns_formats_and_private_marks(repo):
    path = template(repo, "filing", "f.xlsx", "--county", "tc-alpha")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["填表说明", "报备", "选项"]
    assert wb["选项"].sheet_state == "hidden"
    ws = wb["报备"]
    assert ws["A1"].value == "结对帮扶方案报备表"
    lists = {
        str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"
    }
    options = wb["选项"]
    by_header = {
        options.cell(1, c).value: [
            options.cell(r, c).value
            for r in range(2, options.max_row + 1)
            if options.cell(r, c).value
        ]
        for c in range(1, options.max_column + 1)
    }
    assert "东乡柳村（tc-alpha-east-willow）" in by_header["villages"]
    assert by_header["enum:household:category"][0] == "建档立卡贫困户"
    assert by_header["enum:plan:measures.0.kind"] == [
        "资金",
        "项目",
        "物资",
        "就业",
        "教育",
        "医疗",
        "消费扶贫",
        "其他",
    ]
    assert by_header["counties"] == ["测试县（tc-alpha）"]
    assert any(f.startswith("'选项'!") for f in lists.values())
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "【帮扶对象】") + 1
    headers = {
        ws.cell(row, c).value: ws.cell(row, c)
        for c in range(1, ws.max_column + 1)
        if ws.cell(row, c).value
    }
    private = [h for h in headers if "隐私，不公开" in h]
    assert private == [
        "户主姓名（隐私，不公开）",
        "联系电话（隐私，不公开）",
        "家庭住址（隐私，不公开）",
    ]
    for h in private:
        assert headers[h].fill.fgColor.rgb.endswith("F8CBAD")
        assert "隐私，不公开" in headers[h].comment.text
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "开始日期*")
    assert ws.cell(start, 2).number_format == "yyyy-mm-dd"
    instructions = " ".join(str(c.value) for r in wb["填表说明"].iter_rows() for c in r if c.value)
    assert "隐私" in instructions and "CSV" in instructions
    wb.close()


def test_progress_template_for_a_plan_limits_dropdowns_to_its_targets(repo):
    wb = openpyxl.load_workbook(template(repo, "progress", "p.xlsx", "--plan", "tp-one"))
    options = wb["选项"]
    by_header = {
        options.cell(1, c).value: [
            options.cell(r, c).value
            for r in range(2, options.max_row + 1)
            if options.cell(r, c).value
        ]
        for c in range(1, options.max_column + 1)
    }
    assert by_header["plans"] == ["测试方案（tp-one）"]
    assert by_header["households"] == ["h-0001（柳村）"]
    assert by_header["villages"] == ["东乡柳村（tc-alpha-east-willow）"]
    assert by_header["enum:report:entries.0.kind"][:3] == ["走访", "电话回访", "慰问"]
    assert wb["进度"]["B3"].value == "测试方案（tp-one）"
    wb.close()


def test_template_usage_errors_exit_2(repo):
    from .conftest import bangfu

    assert (
        bangfu(
            "template", "--form", "progress", "--plan", "nope", "-o", "x.xlsx", cwd=repo
        ).returncode
        == 2
    )
    assert bangfu("template", "--form", "filing", "-o", "x.txt", cwd=repo).returncode == 2
    assert bangfu("import", "missing.xlsx", cwd=repo).returncode == 2
    assert bangfu("export-forms", "--plan", "nope", "-o", "x.xlsx", cwd=repo).returncode == 2


# -- progress import ------------------------------------------------------------------------


def test_progress_import_creates_the_report_and_passes_check(repo):
    proc = ok(run(repo, "import", str(progress(repo))))
    assert REPORT in proc.stdout
    report = load(repo, REPORT)
    assert report["id"] == "2024-04" and report["plan"] == "tp-one"
    assert report["entries"] == [
        {
            "date": dt.date(2024, 4, 3),
            "household": "h-0001",
            "kind": "走访",
            "content": "入户了解春耕准备",
            "amount": 200,
        },
        {
            "date": dt.date(2024, 4, 9),
            "village": "tc-alpha-east-willow",
            "kind": "消费扶贫",
            "content": "采购农产品",
            "amount": 1350.5,
            "income_project": True,
        },
    ]
    ok(run(repo, "check"))
    ok(run(repo, "fmt", "--check"))
    plan_file = repo / "data/plans/tc-alpha/tp-one/plan.yaml"
    assert (repo / REPORT).stat().st_mode & 0o777 == plan_file.stat().st_mode & 0o777


def test_same_progress_file_twice_changes_nothing(repo):
    path = progress(repo)
    ok(run(repo, "import", str(path)))
    before = tree_hash(repo / "data")
    proc = ok(run(repo, "import", str(path)))
    assert "没有变化" in proc.stdout
    assert tree_hash(repo / "data") == before


def test_second_progress_sheet_for_the_same_period_is_refused(repo):
    ok(run(repo, "import", str(progress(repo))))
    before = tree_hash(repo / "data")
    other = progress(repo, "p2.xlsx", entries=ENTRIES[:1])
    proc = run(repo, "import", str(other))
    assert proc.returncode == 1
    assert "[sheet.report-exists]" in proc.stdout and "进度!B4" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert tree_hash(repo / "data") == before


def test_correction_keeps_the_original_entries(repo):
    ok(run(repo, "import", str(progress(repo))))
    original = load(repo, REPORT)
    fixed = [dict(ENTRIES[0], **{"金额（元）": 300}), ENTRIES[1]]
    path = progress(
        repo,
        "fix.xlsx",
        entries=fixed,
        报送日期=dt.date(2024, 5, 6),
        更正人="乡扶贫办",
        更正说明="第一条金额录错，应为 300 元",
    )
    ok(run(repo, "import", str(path)))
    report = load(repo, REPORT)
    assert report["entries"][0]["amount"] == 300
    assert report["submitted"] == original["submitted"]
    assert report["corrections"] == [
        {
            "date": dt.date(2024, 5, 6),
            "by": "乡扶贫办",
            "reason": "第一条金额录错，应为 300 元",
            "path": "$.entries",
            "original": original["entries"],
        }
    ]
    ok(run(repo, "check"))
    before = tree_hash(repo / "data")
    assert "没有变化" in ok(run(repo, "import", str(path))).stdout
    assert tree_hash(repo / "data") == before


def test_correction_needs_both_who_and_why(repo):
    ok(run(repo, "import", str(progress(repo))))
    before = tree_hash(repo / "data")
    proc = run(
        repo, "import", str(progress(repo, "fix.xlsx", entries=ENTRIES[:1], 更正人="乡扶贫办"))
    )
    assert proc.returncode == 1 and "[sheet.required]" in proc.stdout and "进度!B7" in proc.stdout
    assert tree_hash(repo / "data") == before


def test_checker_errors_are_reported_at_the_cell(repo):
    """An entry outside the report period is the checker's finding, shown at its cell."""
    before = tree_hash(repo / "data")
    entries = [ENTRIES[0], dict(ENTRIES[1], 走访日期=dt.date(2024, 5, 2))]
    proc = run(repo, "import", str(progress(repo, entries=entries)))
    assert proc.returncode == 1
    assert "进度!B12" in proc.stdout and "[date.outside-parent]" in proc.stdout
    assert tree_hash(repo / "data") == before


def test_progress_from_csv(repo):
    xlsx = progress(repo)
    for enc in ("utf-8-sig", "gb18030"):
        csv_path = to_csv(xlsx, "进度", repo / f"p-{enc}.csv", enc)
        ok(run(repo, "import", str(csv_path)))
        before = tree_hash(repo / "data")
        assert "没有变化" in ok(run(repo, "import", str(csv_path))).stdout
        assert tree_hash(repo / "data") == before
    assert len(load(repo, REPORT)["entries"]) == 2


# -- filing import --------------------------------------------------------------------------


def filing(repo, name="f.xlsx", fields=None, targets=None, measures=None):
    path = template(repo, "filing", name, "--county", "tc-alpha")
    sections = {
        "【帮扶主体】": [{"帮扶主体": "测试爱心协会（to-helpers）"}],
        "【帮扶对象】": targets
        if targets is not None
        else [
            {"对象类型": "帮扶村", "所在村": "东乡柳村（tc-alpha-east-willow）"},
            {
                "对象类型": "帮扶户",
                "所在村": "东乡柳村（tc-alpha-east-willow）",
                "户编号": "h-0001",
            },
            NEW_HOUSEHOLD,
        ],
        "【帮扶措施】": measures
        if measures is not None
        else [
            {"措施类别": "资金", "措施内容": "产业扶持资金", "计划金额（元）": 5000},
            {"措施类别": "消费扶贫", "措施内容": "采购农产品"},
        ],
    }
    return fill(path, "报备", {**FILING_FIELDS, **(fields or {})}, sections)


def _new_plan(repo):
    plans = [p for p in (repo / "data/plans/tc-alpha").iterdir() if p.name != "tp-one"]
    assert len(plans) == 1
    return plans[0].name


def test_filing_creates_plan_targets_and_households(repo):
    proc = ok(run(repo, "import", str(filing(repo))))
    pid = _new_plan(repo)
    plan = load(repo, f"data/plans/tc-alpha/{pid}/plan.yaml")
    assert plan["campaign"] == "tk-campaign" and plan["form"] == "一对多"
    assert plan["organizations"] == ["to-helpers"]
    assert plan["targets"]["villages"] == ["tc-alpha-east-willow"]
    hid = plan["targets"]["households"][1]
    assert plan["targets"]["households"][0] == "h-0001" and hid.startswith("h-")
    assert plan["measures"] == [
        {"kind": "资金", "description": "产业扶持资金", "amount": 5000},
        {"kind": "消费扶贫", "description": "采购农产品"},
    ]
    hh = load(repo, f"data/households/tc-alpha/tc-alpha-east-pine/{hid}.yaml")
    assert hh["head"] == {"name": "李示例", "phone": "13600000000"}
    assert hh["address"] == "东乡松村三组" and hh["income"] == {"year": 2023, "per_capita": 5200}
    assert "李示例" not in hid
    # the existing household named by id only is left exactly as it was
    assert "h-0001.yaml" not in proc.stdout
    ok(run(repo, "check"))
    ok(run(repo, "fmt", "--check"))
    before = tree_hash(repo / "data")
    assert "没有变化" in ok(run(repo, "import", str(filing(repo, "f2.xlsx")))).stdout
    assert tree_hash(repo / "data") == before


def test_filing_updates_an_existing_plan_and_keeps_its_comments(repo):
    plan_file = repo / "data/plans/tc-alpha/tp-one/plan.yaml"
    plan_file.write_text("# 人工写的注释\n" + plan_file.read_text("utf-8"), "utf-8")
    out = repo / "tp-one.xlsx"
    ok(run(repo, "export-forms", "--plan", "tp-one", "-o", str(out)))
    fill(
        out,
        "报备",
        {"方案名称": "测试方案（调整）"},
        {
            "【帮扶措施】": [
                {"措施类别": "资金", "措施内容": "产业扶持资金", "计划金额（元）": 4000}
            ]
        },
    )
    ok(run(repo, "import", str(out)))
    text = plan_file.read_text("utf-8")
    assert text.startswith("# 人工写的注释\n")
    plan = yaml.safe_load(text)
    assert plan["name"] == "测试方案（调整）" and plan["measures"][0]["amount"] == 4000
    ok(run(repo, "check"))


def test_removing_a_target_that_reports_use_is_refused(repo):
    before = tree_hash(repo / "data")
    out = repo / "tp-one.xlsx"
    ok(run(repo, "export-forms", "--plan", "tp-one", "-o", str(out)))
    wb = openpyxl.load_workbook(out)
    ws = wb["报备"]
    for row in ws.iter_rows():
        if row[1].value == "帮扶户":
            for c in row:
                c.value = None
    wb.save(out)
    proc = run(repo, "import", str(out))
    assert proc.returncode == 1 and "[ref.not-a-target]" in proc.stdout
    assert tree_hash(repo / "data") == before


# -- round trip -----------------------------------------------------------------------------


def test_import_export_import_is_stable(repo):
    ok(run(repo, "import", str(filing(repo))))
    pid = _new_plan(repo)
    path = template(repo, "progress", "p.xlsx", "--plan", pid)
    new_hid = load(repo, f"data/plans/tc-alpha/{pid}/plan.yaml")["targets"]["households"][1]
    fill(
        path,
        "进度",
        {"报送期": "2024-04", "报送日期": dt.date(2024, 4, 25)},
        {
            "【帮扶内容】": [
                dict(ENTRIES[0], 帮扶户="h-0001"),
                dict(ENTRIES[0], 帮扶户=new_hid),
                ENTRIES[1],
            ]
        },
    )
    ok(run(repo, "import", str(path)))
    ok(run(repo, "check"))
    before = tree_hash(repo / "data")
    out = repo / "export.xlsx"
    ok(run(repo, "export-forms", "--plan", pid, "-o", str(out)))
    assert openpyxl.load_workbook(out, read_only=True).sheetnames == [
        "填表说明",
        "报备",
        "选项",
        "进度-2024-04",
    ]
    proc = ok(run(repo, "import", str(out)))
    assert "没有变化" in proc.stdout
    assert tree_hash(repo / "data") == before
    # and again from the second export
    ok(run(repo, "export-forms", "--plan", pid, "-o", str(repo / "export2.xlsx")))
    assert "没有变化" in ok(run(repo, "import", str(repo / "export2.xlsx"))).stdout
    assert tree_hash(repo / "data") == before


def test_export_of_base_plan_imports_unchanged(repo):
    before = tree_hash(repo / "data")
    out = repo / "tp-one.xlsx"
    ok(run(repo, "export-forms", "--plan", "tp-one", "-o", str(out)))
    assert "没有变化" in ok(run(repo, "import", str(out))).stdout
    assert tree_hash(repo / "data") == before


@pytest.mark.slow
def test_five_thousand_rows_import(repo):
    """The scale the closing note measures (5,000 entries, the report schema's maximum)."""
    path = template(repo, "progress", "big.xlsx", "--plan", "tp-one")
    wb = openpyxl.load_workbook(path)
    ws = wb["进度"]
    ws["B4"], ws["B5"] = "2024-04", dt.date(2024, 4, 25)
    first = next(r for r in range(1, 30) if ws.cell(r, 1).value == "序号") + 1
    for i in range(5000):
        r = first + i
        ws.cell(r, 1, i + 1)
        ws.cell(r, 2, dt.date(2024, 4, 1 + i % 30))
        ws.cell(r, 3 if i % 2 else 4, "h-0001" if i % 2 else "tc-alpha-east-willow")
        ws.cell(r, 5, "电话回访")
        ws.cell(r, 7, i % 500)
    wb.save(path)
    ok(run(repo, "import", str(path)))
    assert len(load(repo, REPORT)["entries"]) == 5000
    ok(run(repo, "check"))


def test_filing_from_csv_matches_the_workbook(repo):
    xlsx = filing(repo)
    csv_path = to_csv(xlsx, "报备", repo / "f.csv")
    ok(run(repo, "import", str(csv_path)))
    ok(run(repo, "check"))
    before = tree_hash(repo / "data")
    assert "没有变化" in ok(run(repo, "import", str(xlsx))).stdout
    assert tree_hash(repo / "data") == before


def _schema_keys(kind: str, *parts: str) -> list[str]:
    node = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text("utf-8"))
    for part in parts:
        node = node["properties"][part]
    return list(node["properties"])


def _assert_schema_order(data: dict, kind: str, *parts: str) -> None:
    order = _schema_keys(kind, *parts)
    assert set(data) <= set(order), (kind, parts, sorted(set(data) - set(order)))
    assert list(data) == sorted(data, key=order.index), (kind, parts, list(data))


def test_written_records_keep_the_key_order_of_their_schemas(repo):
    """Every record the import writes lists its keys in the order of its schema's properties,
    fields the sheet does not fill included: here reports_tracked_from, which the file lists
    after status but the plan schema before it."""
    plan_file = repo / "data/plans/tc-alpha/tp-one/plan.yaml"
    text = plan_file.read_text("utf-8")
    plan_file.write_text(text + "reports_tracked_from: 2024-02-01\n", "utf-8")
    out = repo / "tp-one.xlsx"
    ok(run(repo, "export-forms", "--plan", "tp-one", "-o", str(out)))
    fill(out, "报备", {"方案名称": "测试方案（调整）"})
    ok(run(repo, "import", str(out)))
    ok(run(repo, "import", str(filing(repo))))
    ok(run(repo, "import", str(progress(repo))))
    pid = _new_plan(repo)
    plan = load(repo, "data/plans/tc-alpha/tp-one/plan.yaml")
    assert plan["name"] == "测试方案（调整）"
    keys = list(plan)
    assert keys.index("measures") < keys.index("reports_tracked_from") < keys.index("status")
    _assert_schema_order(plan, "plan")
    _assert_schema_order(load(repo, f"data/plans/tc-alpha/{pid}/plan.yaml"), "plan")
    hid = load(repo, f"data/plans/tc-alpha/{pid}/plan.yaml")["targets"]["households"][1]
    household = load(repo, f"data/households/tc-alpha/tc-alpha-east-pine/{hid}.yaml")
    new_keys = [
        "id",
        "village",
        "category",
        "household_size",
        "income",
        "status",
        "head",
        "address",
    ]
    assert list(household) == new_keys
    _assert_schema_order(household, "household")
    _assert_schema_order(household["head"], "household", "head")
    _assert_schema_order(household["income"], "household", "income")
    report = load(repo, REPORT)
    assert list(report) == ["id", "plan", "period", "submitted", "entries"]
    _assert_schema_order(report, "report")
    ok(run(repo, "check"))
