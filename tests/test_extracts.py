"""Open data extracts: a valid Frictionless package (foreign keys included), row counts that
match the records, byte-identical rebuilds, neutralised formula cells and no private value in
any file under the output."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from bangfu.aggregate import WITHHELD, Column
from bangfu.checksums import resident_id_check_char
from bangfu.publish.csvtext import cell
from bangfu.publish.formulas import neutralise

from .conftest import TABLES, bangfu, demo_corpus, make_case, shared_tree
from .extract_helpers import AS_OF, export, tree

REPO = Path(__file__).resolve().parents[1]


def frictionless_cli(descriptor: Path) -> dict:
    exe = Path(sys.executable).with_name("frictionless")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "frictionless"]
    proc = subprocess.run(
        [*cmd, "validate", "--json", str(descriptor)], capture_output=True, text=True, timeout=300
    )
    return json.loads(proc.stdout)


def assert_valid(out: Path) -> None:
    """Valid as ``frictionless validate`` finds it, run as a user runs it: every row, the
    foreign keys and the files' sizes and hashes (``bangfu export`` checks less of itself)."""
    descriptor = out / "datapackage.json"
    report = frictionless_cli(descriptor)
    problems = [e for t in report["tasks"] for e in t["errors"]] + report["errors"]
    assert report["valid"], problems[:5]
    # each table as CSV (a table resource) and as Parquet (a file resource: size and hash),
    # and every table in one SQLite file (a file resource)
    assert sorted(t["name"] for t in report["tasks"]) == sorted(
        TABLES + [t + "-parquet" for t in TABLES] + ["bangfu-tables-sqlite"]
    )


def rows(out: Path, table: str) -> list[dict]:
    with (out / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def all_bytes(out: Path):
    """Every file's bytes, and every member of a zip (xlsx) file decompressed."""
    for p in sorted(out.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        yield p, data
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for name in z.namelist():
                    yield p / name, z.read(name)
        if p.suffix == ".parquet":  # compressed columns, read back as text
            import pyarrow.parquet as pq

            rows = pq.read_table(p).to_pylist()
            yield p, "\n".join(str(v) for r in rows for v in r.values()).encode("utf-8")


def load(path: Path):
    return yaml.safe_load(path.read_text("utf-8"))


# ---------------------------------------------------------------- the reference data


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    def make(folder: Path) -> None:
        export(REPO / "data", folder / "data", cwd=REPO)

    return shared_tree(tmp_path_factory, "export-reference", make) / "data"


def test_reference_package_is_valid_with_foreign_keys(reference):
    assert_valid(reference)
    desc = json.loads((reference / "datapackage.json").read_text("utf-8"))
    tables = [r for r in desc["resources"] if r["type"] == "table"]
    for table in tables:
        assert table["schema"]["primaryKey"]
    fks = {r["name"]: r["schema"].get("foreignKeys", []) for r in tables}
    assert {"fields": ["village"], "reference": {"resource": "villages", "fields": ["id"]}} in fks[
        "plan_targets"
    ]
    assert {
        "fields": ["organization"],
        "reference": {"resource": "organizations", "fields": ["id"]},
    } in fks["plan_organizations"]


def test_reference_row_counts_match_the_records(reference):
    data = REPO / "data"
    counties = [load(p) for p in sorted((data / "counties").glob("*.yaml"))]
    villages = [v for c in counties for t in c.get("townships", []) for v in t.get("villages", [])]
    plans = [load(p) for p in sorted((data / "plans").glob("*/*/plan.yaml"))]
    assert len(rows(reference, "counties")) == len(counties) == 41
    assert len(rows(reference, "townships")) == sum(len(c.get("townships", [])) for c in counties)
    vrows = rows(reference, "villages")
    assert len(vrows) == len(villages)
    assert sum(r["targeted_village"] == "true" for r in vrows) == 100
    assert sum(r["supervised_village"] == "true" for r in vrows) == 6
    assert (
        len(rows(reference, "organizations"))
        == len(list((data / "organizations").glob("*.yaml")))
        >= 16
    )
    assert len(rows(reference, "campaigns")) == len(list((data / "campaigns").glob("*.yaml")))
    assert len(rows(reference, "plans")) == len(plans) == 6
    assert len(rows(reference, "plan_organizations")) == sum(len(p["organizations"]) for p in plans)
    assert len(rows(reference, "plan_targets")) == sum(
        len(p["targets"].get("villages", [])) for p in plans
    )
    crows = rows(reference, "counties")
    for flag, name in (
        ("national_key_county", "国家级扶贫开发工作重点区县"),
        ("municipal_key_county", "市级扶贫开发工作重点区县"),
    ):
        expected = sum(name in (c.get("key_lists") or []) for c in counties)
        assert expected > 0
        assert sum(r[flag] == "true" for r in crows) == expected


def test_descriptor_metadata(reference):
    desc = json.loads((reference / "datapackage.json").read_text("utf-8"))
    assert desc["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert desc["licenses"][0]["name"] == "CC-BY-4.0"
    assert len(desc["sources"]) == len(list((REPO / "data/sources").glob("*.yaml")))
    assert all(s["title"] for s in desc["sources"])
    assert "excel/" in desc["description"] and "“*”" in desc["description"]
    head = subprocess.run(
        ["git", "log", "-1", "--format=%H", "--", "data"], cwd=REPO, capture_output=True, text=True
    )
    if head.returncode == 0 and head.stdout.strip():
        assert desc["bangfu"]["data_commit"] == head.stdout.strip()
        assert desc["version"].endswith("+" + head.stdout.strip()[:12])
    # titles, descriptions and enums come from the JSON Schemas
    org = next(r for r in desc["resources"] if r["name"] == "organizations")
    kind = next(f for f in org["schema"]["fields"] if f["name"] == "kind")
    schema = json.loads((REPO / "schemas/organization.schema.json").read_text("utf-8"))
    assert kind["title"] == schema["properties"]["kind"]["title"]
    assert kind["constraints"]["enum"] == schema["properties"]["kind"]["enum"]
    assert org["schema"]["missingValues"] == ["", "*"]
    for res in [r for r in desc["resources"] if r["type"] == "table"]:  # Excel headers
        titles = [f["title"] for f in res["schema"]["fields"]]
        assert len(titles) == len(set(titles)), res["name"]
    assert any("编号 qingshui-supervised-villages-2020" in s["title"] for s in desc["sources"])


def test_excel_variants(reference):
    raw = (reference / "excel" / "organizations.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].decode("utf-8").splitlines()[0]
    assert header.startswith("主体编号,主体名称")
    wb = load_workbook(reference / "bangfu-tables.xlsx")
    assert wb.sheetnames[0] == "说明"
    ws = wb["帮扶主体"]
    assert ws.freeze_panes == "A2"
    assert ws.cell(row=1, column=2).value == "主体名称"
    assert ws.max_row == len(rows(reference, "organizations")) + 1


# ---------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path]:
    data = demo_corpus(tmp_path_factory, 300, 3)

    def make(folder: Path) -> None:
        export(data, folder / "out", cwd=REPO)

    return data, shared_tree(tmp_path_factory, "export-demo-300-3", make) / "out"


@pytest.mark.slow
def test_demo_package_is_valid(demo):
    _, out = demo
    assert_valid(out)
    desc = json.loads((out / "datapackage.json").read_text("utf-8"))
    assert desc["bangfu"]["synthetic"] is True
    assert "演示数据" in desc["title"]


def test_demo_row_counts_and_sums_match_the_records(demo):
    data, out = demo
    plans = list((data / "plans").glob("*/*/plan.yaml"))
    assert len(rows(out, "plans")) == len(plans)
    reports = [load(p) for p in sorted((data / "plans").glob("*/*/reports/*.yaml"))]
    entries = [e for r in reports for e in r["entries"]]
    rep = rows(out, "report_entries")
    # rows about too few households are withheld ("*"); the rest add up to no more than the
    # records hold, and to exactly as much with the withheld rows' exact sums added back
    shown = [r for r in rep if r["entries"] != "*"]
    assert len(shown) < len(rep) and shown
    assert sum(int(r["entries"]) for r in shown) < len(entries)
    plans_rows = rows(out, "plans")
    delivered = [
        float(r["delivered_amount_yuan"])
        for r in plans_rows
        if r["delivered_amount_yuan"] not in ("", "*")
    ]
    assert sum(delivered) <= sum(e.get("amount", 0) for e in entries) + 1e-6
    assert sum(int(r["reports"]) for r in rows(out, "plans")) == len(reports)
    assert len(rows(out, "organizations")) == len(list((data / "organizations").glob("*.yaml")))
    assert rows(out, "progress"), "the demo has monitored households, so progress has rows"
    # small cells are written as the marker, larger counts as numbers
    monitored = [r["households_monitored"] for r in rows(out, "progress")]
    assert "*" in monitored
    assert all(m == "*" or int(m) == 0 or int(m) >= 5 for m in monitored)
    counties = rows(out, "counties")
    # "" is 台账中无记录: a county of which the demo holds no household
    shown = [int(r["households"]) for r in counties if r["households"] not in ("*", "")]
    assert sum(shown) <= 300
    assert shown or all(r["households"] in ("*", "") for r in counties)


def test_no_household_id_in_any_extract(demo):
    data, out = demo
    ids = [p.stem.encode() for p in (data / "households").rglob("*.yaml")]
    assert len(ids) == 300
    for path, blob in all_bytes(out):
        found = [i for i in ids if i in blob]
        assert not found, f"{path}: {found[:3]}"


def test_two_exports_are_byte_identical(demo, tmp_path):
    data, first = demo
    second = export(data, tmp_path / "again", cwd=REPO)
    a, b = tree(first), tree(second)
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name] == b[name], name
    with zipfile.ZipFile(second / "bangfu-tables.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_csv_files_are_utf8_lf(demo):
    _, out = demo
    for table in TABLES:
        raw = (out / f"{table}.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert b"\r\n" not in raw
        raw.decode("utf-8")


# ---------------------------------------------------------------- cells


def test_neutraliser_touches_string_columns_only():
    text = Column("name", "string", "名称", "")
    number = Column("amount", "number", "金额", "")
    integer = Column("n", "integer", "数", "")
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert cell(text, bad, "<5") == bad  # the canonical CSV keeps the value exact
        assert cell(text, bad, "<5", defuse=True) == "'" + bad
        assert neutralise(bad) == "'" + bad
    assert cell(number, -3.5, "<5", defuse=True) == "-3.5"
    assert cell(text, "正常", "<5") == "正常"
    assert cell(number, -3.5, "<5") == "-3.5"
    assert cell(number, -1200, "<5") == "-1200"
    assert cell(integer, -2, "<5") == "-2"
    assert cell(number, 1e-7, "<5") == "0.0000001"
    assert cell(Column("h", "integer", "户数", "", suppressed=True), WITHHELD, "*") == "*"
    assert cell(Column("h", "integer", "户数", "", suppressed=True), None, "*") == ""
    assert cell(text, None, "<5") == ""


def test_formula_in_organization_name_is_neutralised(tmp_path):
    root = make_case(tmp_path, None)
    org = root / "data/organizations/to-helpers.yaml"
    text = org.read_text("utf-8")
    text = text.replace("name: 测试爱心协会", "name: '=HYPERLINK(\"http://x\")'")
    text = text.replace("county: tc-alpha", "county: tc-alpha\nsupervising_unit: '-测试主管单位'")
    org.write_text(text, "utf-8")
    out = export(root / "data", tmp_path / "out")
    assert_valid(out)
    row = next(r for r in rows(out, "organizations") if r["id"] == "to-helpers")
    assert row["name"] == '=HYPERLINK("http://x")'  # the open data equals the record
    assert row["supervising_unit"] == "-测试主管单位"
    assert row["plans"] == "1"  # numbers are untouched
    excel = (out / "excel/organizations.csv").read_bytes().decode("utf-8-sig")
    assert "'=HYPERLINK" in excel and '\n"=' not in excel and ",=" not in excel
    ws = load_workbook(out / "bangfu-tables.xlsx")["帮扶主体"]
    names = [ws.cell(row=r, column=2) for r in range(2, ws.max_row + 1)]
    assert [c.value for c in names] == ['=HYPERLINK("http://x")']
    assert names[0].data_type == "s" and names[0].quotePrefix
    with zipfile.ZipFile(out / "bangfu-tables.xlsx") as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_small_counts_are_suppressed(tmp_path):
    root = make_case(tmp_path, None)
    out = export(root / "data", tmp_path / "out")
    willow = next(r for r in rows(out, "villages") if r["id"] == "tc-alpha-east-willow")
    # the 2024 plan has ended by the as-of date: no household is paired by a running plan
    assert willow["households"] == "*" and willow["households_paired"] == "0"
    during = export(root / "data", tmp_path / "during", "--as-of", "2024-06-30")
    willow = next(r for r in rows(during, "villages") if r["id"] == "tc-alpha-east-willow")
    assert willow["households_paired"] == "*"
    pine = next(r for r in rows(out, "villages") if r["id"] == "tc-alpha-east-pine")
    assert pine["households"] == "0"
    target = rows(out, "plan_targets")
    assert target == [
        {
            "plan": "tp-one",
            "plan_name": "测试方案",
            "village": "tc-alpha-east-willow",
            "village_name": "柳村",
            "township_name": "东乡",
            "county_name": "测试县",
            "village_targeted": "true",
            "households": "*",
        }
    ]
    rep = {(r["period"], r["kind"]): r for r in rows(out, "report_entries")}
    # the consumption purchase reached one household: its amount is withheld with its count
    assert rep[("2024-03", "消费扶贫")]["amount_yuan"] == "*"
    assert rep[("2024-03", "走访")]["households_reached"] == "*"
    prog = rows(out, "progress")
    assert {r["month"] for r in prog} >= {"2024-02", "2024-03", "2024-12"}
    assert {r["category"] for r in prog} == {"边缘易致贫户"}


# ---------------------------------------------------------------- privacy canaries


def _fake_resident_id(seq: str) -> str:
    first17 = "110105" + "19800101" + seq
    return first17 + resident_id_check_char(first17)


CANARIES = {
    "head_name": "金丝雀户主甲",
    "head_id": _fake_resident_id("987"),
    "head_phone": "13612398761",
    "address": "金丝雀地址乙",
    "member_name": "金丝雀成员丙",
    "member_relation": "金丝雀关系丁",
    "member_id": _fake_resident_id("654"),
    "member_health": "金丝雀健康戊",
    "health_notes": "金丝雀病情己",
    "photo": "canary-photo-0427.jpg",
    "notes": "金丝雀备注庚",
    "household_correction": "金丝雀原值辛",
    "report_correction": "金丝雀原值壬",
    "leader_name": "金丝雀会长癸",
    "leader_mobile": "13598761234",
    "contact_name": "金丝雀联络人子",
    "contact_mobile": "15876543219",
}


def test_no_private_value_in_any_extract(tmp_path):
    root = make_case(tmp_path, None)
    data = root / "data"
    c = CANARIES
    hh = data / "households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"
    rec = load(hh)
    rec["head"] = {"name": c["head_name"], "id_number": c["head_id"], "phone": c["head_phone"]}
    rec["address"] = c["address"]
    rec["members"] = [
        {
            "name": c["member_name"],
            "relation": c["member_relation"],
            "id_number": c["member_id"],
            "health": c["member_health"],
        }
    ]
    rec["health_notes"] = c["health_notes"]
    rec["photos"] = [c["photo"]]
    rec["notes"] = c["notes"]
    rec["corrections"] = [
        {
            "date": "2024-02-01",
            "by": "测试乡扶贫办",
            "reason": "更正收入",
            "path": "$.income.per_capita",
            "original": c["household_correction"],
        }
    ]
    hh.write_text(yaml.safe_dump(rec, allow_unicode=True, sort_keys=False), "utf-8")
    rep_path = data / "plans/tc-alpha/tp-one/reports/2024-03.yaml"
    rep = load(rep_path)
    rep["corrections"] = [
        {
            "date": "2024-03-28",
            "by": "测试乡扶贫办",
            "reason": "更正条目",
            "path": "$.entries[0]",
            "original": {"content": c["report_correction"]},
        }
    ]
    rep_path.write_text(yaml.safe_dump(rep, allow_unicode=True, sort_keys=False), "utf-8")
    org_path = data / "organizations/to-helpers.yaml"
    org = load(org_path)
    org["leader"] = {"name": c["leader_name"], "mobile": c["leader_mobile"]}
    org_path.write_text(yaml.safe_dump(org, allow_unicode=True, sort_keys=False), "utf-8")
    county_path = data / "counties/tc-alpha.yaml"
    county = load(county_path)
    county["townships"][0]["contact"] = {
        "name": c["contact_name"],
        "mobile": c["contact_mobile"],
        "role": "乡扶贫办主任",
    }
    county_path.write_text(yaml.safe_dump(county, allow_unicode=True, sort_keys=False), "utf-8")

    check = bangfu("check", "--data", str(data), "--as-of", AS_OF, cwd=root)
    assert check.returncode == 0, (
        check.stdout
    )  # the canaries are valid values, so they reach export
    out = export(data, tmp_path / "out")
    assert_valid(out)
    needles = {k: v.encode() for k, v in c.items()} | {"household id": b"h-0001"}
    for path, blob in all_bytes(out):
        for what, needle in needles.items():
            assert needle not in blob, f"{what} leaked into {path}"
            assert needle.decode().encode("utf-16-le") not in blob, f"{what} (UTF-16) in {path}"
    # the public part of the same records is there
    assert "乡扶贫办主任" in (out / "townships.csv").read_text("utf-8")


# ---------------------------------------------------------------- safety


def test_export_refuses_data_with_errors_and_keeps_the_old_package(tmp_path):
    root = make_case(tmp_path, None)
    out = export(root / "data", tmp_path / "out")
    before = tree(out)
    plan = root / "data/plans/tc-alpha/tp-one/plan.yaml"
    plan.write_text(plan.read_text("utf-8").replace("- to-helpers", "- no-such-org"), "utf-8")
    proc = bangfu(
        "export", "--data", str(root / "data"), "--out", str(out), "--as-of", AS_OF, cwd=root
    )
    assert proc.returncode == 1
    assert "错误" in proc.stderr and "Traceback" not in proc.stderr
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_failed_write_leaves_no_half_package(tmp_path, monkeypatch):
    from bangfu.config import Config
    from bangfu.pipeline import Pipeline
    from bangfu.publish import extracts, xlsx

    # one process: the broken writer below must be the one that runs (a fresh workbook
    # process would import the real one)
    monkeypatch.setenv("BANGFU_WORKERS", "1")
    root = make_case(tmp_path, None)
    out = export(root / "data", tmp_path / "out")
    before = tree(out)

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx, "workbook_bytes", broken)
    with pytest.raises(OSError):
        cfg = Config.make(root / "data", None, AS_OF)
        extracts.export(Pipeline(cfg).aggregate(cfg.as_of), out)
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "repo"]


def test_export_will_not_overwrite_a_foreign_folder(tmp_path):
    root = make_case(tmp_path, None)
    target = tmp_path / "precious"
    target.mkdir()
    (target / "notes.txt").write_text("keep me", "utf-8")
    proc = bangfu("export", "--data", str(root / "data"), "--out", str(target), cwd=root)
    assert proc.returncode == 2
    assert "--out" in proc.stderr and "Traceback" not in proc.stderr
    assert (target / "notes.txt").read_text("utf-8") == "keep me"
    inside = bangfu(
        "export", "--data", str(root / "data"), "--out", str(root / "data/out"), cwd=root
    )
    assert inside.returncode == 2 and "数据文件夹" in inside.stderr
    assert not (root / "data/out").exists()


def test_release_is_unknown_outside_git(tmp_path):
    """Outside a git repository the release is "unknown", deterministically (never the clock)."""
    root = make_case(tmp_path, None)
    out = export(root / "data", tmp_path / "out")
    desc = json.loads((out / "datapackage.json").read_text("utf-8"))
    assert desc["bangfu"]["data_commit"] == "unknown"
    assert desc["version"] == "0.0.0+unknown"
    assert "created" not in desc


def test_workbook_dates_are_dates(reference):
    ws = load_workbook(reference / "bangfu-tables.xlsx")["专项行动"]
    header = [c.value for c in ws[1]]
    start = ws.cell(row=2, column=header.index("开始日期") + 1)
    assert start.is_date and start.number_format == "yyyy-mm-dd"
    assert start.value.date().isoformat() == rows(reference, "campaigns")[0]["period_start"]
