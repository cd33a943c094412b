"""Sealed households through the spreadsheet bridge (issue 17): ``export-forms`` shows the
private values only with a key that opens them, and otherwise a placeholder that ``import``
reads as "keep the sealed value"; both round trips keep the data folder byte for byte, and a
changed private value is re-sealed for the county's current keys."""

from __future__ import annotations

import openpyxl

from bangfu.sheets.forms import SEALED_PLACEHOLDER

from .conftest import bangfu
from .sealed_helpers import HOUSEHOLD, PRIVATE, load_data
from .sheet_helpers import run, tree_hash


def _encrypted(sealed_repo):
    root, sup, *_ = sealed_repo
    res = bangfu("encrypt", "--key", str(sup), cwd=root)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "sealed:" in (root / HOUSEHOLD).read_text("utf-8")
    return root, sup


def _target_row(path, hid: str = "h-0001") -> dict:
    wb = openpyxl.load_workbook(path)
    ws = wb["报备"]
    header = None
    for row in ws.iter_rows(values_only=True):
        if row and row[0] == "【帮扶对象】":
            header = []
        elif header == []:
            header = [str(v or "").split("（")[0].rstrip("*") for v in row]
        elif header and hid in row:
            wb.close()
            return dict(zip(header, row, strict=False))
    raise AssertionError("no target row")


def _set(path, hid: str, column: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["报备"]
    header_row = None
    for r in ws.iter_rows():
        if r[0].value == "【帮扶对象】":
            header_row = r[0].row + 1
    cols = {
        str(c.value or "").split("（")[0].rstrip("*"): c.column for c in ws[header_row] if c.value
    }
    for r in ws.iter_rows(min_row=header_row + 1):
        if hid in [c.value for c in r]:
            ws.cell(r[0].row, cols[column], value)
    wb.save(path)
    wb.close()


def test_export_without_a_key_marks_sealed_cells_and_imports_back_unchanged(sealed_repo):
    root, _ = _encrypted(sealed_repo)
    out = root / "tp-one.xlsx"
    res = run(root, "export-forms", "--plan", "tp-one", "-o", str(out))
    assert res.returncode == 0, res.stdout + res.stderr
    assert SEALED_PLACEHOLDER in res.stdout
    row = _target_row(out)
    assert row["户主姓名"] == row["联系电话"] == row["家庭住址"] == SEALED_PLACEHOLDER
    assert row["监测类别"] == "边缘易致贫户"  # public columns as they are
    book = "\n".join(
        str(c)
        for ws in openpyxl.load_workbook(out)
        for r in ws.iter_rows(values_only=True)
        for c in r
    )
    assert not [v for v in PRIVATE if v in book]
    before, sealed = tree_hash(root / "data"), load_data(root / HOUSEHOLD)["sealed"]
    done = run(root, "import", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "没有变化" in done.stdout
    assert tree_hash(root / "data") == before
    assert load_data(root / HOUSEHOLD)["sealed"] == sealed
    assert SEALED_PLACEHOLDER not in (root / HOUSEHOLD).read_text("utf-8")
    # a public change beside the placeholders keeps the sealed value byte for byte
    _set(out, "h-0001", "家庭人口", 5)
    done = run(root, "import", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    after = load_data(root / HOUSEHOLD)
    assert after["household_size"] == 5 and after["sealed"] == sealed
    assert run(root, "check").returncode == 0


def test_a_private_value_typed_without_a_key_is_refused_and_nothing_written(sealed_repo):
    root, _ = _encrypted(sealed_repo)
    out = root / "tp-one.xlsx"
    assert run(root, "export-forms", "--plan", "tp-one", "-o", str(out)).returncode == 0
    _set(out, "h-0001", "联系电话", "13911112222")
    before = tree_hash(root / "data")
    done = run(root, "import", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    assert tree_hash(root / "data") == before
    assert "13911112222" not in done.stdout + done.stderr


def test_export_with_the_key_shows_the_values_and_a_change_is_resealed(sealed_repo):
    root, sup = _encrypted(sealed_repo)
    _, _, rec, sup_pub, rec_pub = sealed_repo
    out = root / "tp-one.xlsx"
    res = run(root, "export-forms", "--plan", "tp-one", "--key", str(sup), "-o", str(out))
    assert res.returncode == 0, res.stdout + res.stderr
    assert SEALED_PLACEHOLDER not in res.stdout
    row = _target_row(out)
    assert (row["户主姓名"], row["联系电话"], row["家庭住址"]) == (
        PRIVATE[0],
        PRIVATE[2],
        PRIVATE[3],
    )
    before, sealed = tree_hash(root / "data"), load_data(root / HOUSEHOLD)["sealed"]
    # the same values typed back: nothing changes (no new ciphertext out of nothing)
    done = run(root, "import", str(out), "--key", str(sup))
    assert done.returncode == 0 and "没有变化" in done.stdout, done.stdout + done.stderr
    assert tree_hash(root / "data") == before
    _set(out, "h-0001", "联系电话", "13911112222")
    done = run(root, "import", str(out), "--key", str(sup))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "13911112222" not in done.stdout + done.stderr
    text = (root / HOUSEHOLD).read_text("utf-8")
    assert "13911112222" not in text and not [v for v in PRIVATE if v in text]
    new = load_data(root / HOUSEHOLD)["sealed"]
    assert new != sealed and new["to"] == sorted({sup_pub[:20], rec_pub[:20]})
    assert run(root, "check").returncode == 0
    # the recovery key opens the re-sealed value: the new phone and the fields not in the form
    again = root / "again.xlsx"
    res = run(root, "export-forms", "--plan", "tp-one", "--key", str(rec), "-o", str(again))
    assert res.returncode == 0, res.stdout + res.stderr
    assert _target_row(again)["联系电话"] == "13911112222"
    from bangfu.privacy import keyfile, seal
    from bangfu.schema import bundled

    from .conftest import ROOT

    whole = seal.open_record(
        bundled(ROOT / "schemas")["household"], load_data(root / HOUSEHOLD), keyfile.load(rec)
    )
    assert whole["head"]["id_number"] == PRIVATE[1] and whole["head"]["name"] == PRIVATE[0]


def test_a_new_row_naming_a_sealed_head_is_matched_only_with_the_key(sealed_repo):
    from .sheet_helpers import FILING_FIELDS, fill, template

    root, sup = _encrypted(sealed_repo)
    book = template(root, "filing", "f.xlsx", "--county", "tc-alpha")
    row = {
        "对象类型": "帮扶户",
        "所在村": "东乡柳村（tc-alpha-east-willow）",
        "户主姓名": PRIVATE[0],
        "监测类别": "边缘易致贫户",
        "监测状态": "风险未消除",
        "家庭人口": 3,
        "收入年度": 2023,
        "人均纯收入（元）": 4800,
    }
    sections = {
        "【帮扶主体】": [{"帮扶主体": "测试爱心协会（to-helpers）"}],
        "【帮扶对象】": [row],
        "【帮扶措施】": [{"措施类别": "资金", "措施内容": "产业扶持资金", "计划金额（元）": 5000}],
    }
    fill(book, "报备", FILING_FIELDS, sections)
    blind = run(root, "import", str(book), "--dry-run")
    assert blind.returncode == 0, blind.stdout + blind.stderr
    assert "无法按户主姓名核对" in blind.stdout and "data/households/" in blind.stdout  # a new one
    keyed = run(root, "import", str(book), "--dry-run", "--key", str(sup))
    assert keyed.returncode == 0, keyed.stdout + keyed.stderr
    # matched to h-0001, whose values the row repeats: no household written, no new one
    assert "无法按户主姓名核对" not in keyed.stdout and "data/households/" not in keyed.stdout
    assert not [v for v in PRIVATE if v in blind.stdout + keyed.stdout]
