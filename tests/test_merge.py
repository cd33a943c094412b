"""``bangfu merge``: provinces' packages make a valid national package whose rows are exactly
the provinces' rows, whose totals never count a suppressed cell, and which is refused (with a
finding, no traceback, nothing written) for conflicting ids, foreign or damaged packages."""

from __future__ import annotations

import collections
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from frictionless import validate

from bangfu.codes import (
    MERGE_CONFLICT,
    MERGE_DAMAGED,
    MERGE_DUPLICATE_PROVINCE,
    MERGE_MISSING,
    MERGE_NOT_PACKAGE,
    MERGE_PROVINCE_UNCLEAR,
    MERGE_SCHEMA_VERSION,
    MERGE_THRESHOLD_DIFFERS,
)

from .conftest import TABLES, bangfu, shared_tree
from .extract_helpers import export, tree

REPO = Path(__file__).resolve().parents[1]
A, B = "演示甲省", "演示乙省"


def demo(tmp: Path, province: str, households: int, seed: int) -> Path:
    proc = bangfu(
        "demo",
        "--households",
        str(households),
        "--seed",
        str(seed),
        "--province",
        province,
        "--out",
        str(tmp / f"demo-{seed}"),
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    return tmp / f"demo-{seed}" / "data"


def merge(*args: str) -> tuple[int, str]:
    """``bangfu merge``: its exit code and everything it printed."""
    proc = bangfu("merge", *args, cwd=REPO)
    return proc.returncode, proc.stdout + proc.stderr


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict:
    """Province A (300 households: every county total published) and province B (3
    households in one county: its county count is suppressed, the other counties record
    none)."""

    def make(tmp: Path) -> None:
        export(demo(tmp, A, 300, 3), tmp / "pkg-a")
        export(demo(tmp, B, 3, 4), tmp / "pkg-b")

    tmp = shared_tree(tmp_path_factory, "merge-provinces", make)  # read-only: copy to change
    return {
        "data": {A: tmp / "demo-3" / "data", B: tmp / "demo-4" / "data"},
        A: tmp / "pkg-a",
        B: tmp / "pkg-b",
    }


@pytest.fixture(scope="module")
def national(packages, tmp_path_factory) -> Path:
    def make(folder: Path) -> None:
        out = folder / "national"
        proc = bangfu("merge", str(packages[A]), str(packages[B]), "--out", str(out), cwd=REPO)
        assert proc.returncode == 0, proc.stderr
        assert "已合并 2 个省的数据包" in proc.stdout

    return shared_tree(tmp_path_factory, "merge-national", make) / "national"


def test_national_package_is_valid(national):
    exe = Path(sys.executable).with_name("frictionless")
    proc = subprocess.run(
        [str(exe), "validate", "--json", str(national / "datapackage.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(proc.stdout)
    problems = [e for t in report["tasks"] for e in t["errors"]] + report["errors"]
    assert report["valid"], problems[:5]
    names = TABLES + ["provinces"]
    assert sorted(t["name"] for t in report["tasks"]) == sorted(
        names + [n + "-parquet" for n in names] + ["bangfu-tables-sqlite"]
    )
    api = validate(str(national / "datapackage.json"))
    assert api.valid, api.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    desc = json.loads((national / "datapackage.json").read_text("utf-8"))
    assert desc["bangfu"]["national"] is True
    assert [p["province"] for p in desc["bangfu"]["provinces"]] == sorted([A, B])
    assert (national / "bangfu-tables.xlsx").is_file()


def test_rows_are_exactly_the_provinces_rows(packages, national):
    """Every merged row is a province's row, text for text (suppression markers and empty
    cells included), with the province it came from; nothing is added or lost."""
    for table in TABLES:
        merged = rows(national / f"{table}.csv")
        expected = collections.Counter()
        for province in (A, B):
            for r in rows(packages[province] / f"{table}.csv"):
                expected[(province, tuple(sorted(r.items())))] += 1
        got = collections.Counter()
        for r in merged:
            # counties have their own province column; every other table gets one
            own = r if table == "counties" else {k: v for k, v in r.items() if k != "province"}
            got[(r["province"], tuple(sorted(own.items())))] += 1
        assert got == expected, table
    progress = rows(national / "progress.csv")
    assert sum(r["households_monitored"] == "*" for r in progress) > 0


def test_province_totals_never_count_a_suppressed_cell(packages, national):
    prov = {r["province"]: r for r in rows(national / "provinces.csv")}
    counties_a = rows(packages[A] / "counties.csv")
    assert all(r["households"] not in ("", "*") for r in counties_a)
    a = prov[A]
    assert a["households"] == a["households_disclosed"] == "300"
    assert a["households_suppressed_parts"] == "0"
    assert a["counties"] == "4" and a["villages"] == "48"
    counties_b = {r["id"]: r["households"] for r in rows(packages[B] / "counties.csv")}
    assert sorted(counties_b.values()) == ["", "", "", "*"]  # 3 households, one county
    b = prov[B]
    assert b["households"] == "部分不公开"
    assert (b["households_disclosed"], b["households_suppressed_parts"]) == ("0", "1")
    plans_a = rows(packages[A] / "plans.csv")
    delivered = sum(float(r["delivered_amount_yuan"] or 0) for r in plans_a)
    assert float(a["delivered_amount_yuan"]) == pytest.approx(delivered)
    desc = json.loads((national / "datapackage.json").read_text("utf-8"))
    res = next(r for r in desc["resources"] if r["name"] == "provinces")
    assert res["schema"]["missingValues"] == ["", "部分不公开"]


def test_no_household_id_reaches_the_national_package(packages, national):
    ids = [p.stem.encode() for d in packages["data"].values() for p in d.rglob("h-*.yaml")]
    assert len(ids) == 303
    for path in national.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert not [i for i in ids if i in blob], path


def test_same_packages_give_the_same_bytes_in_any_order(packages, national, tmp_path):
    code, _ = merge(str(packages[B]), str(packages[A]), "--out", str(tmp_path / "ba"))
    assert code == 0
    assert tree(tmp_path / "ba") == tree(national)


def test_csv_is_read_when_there_is_no_parquet(packages, national, tmp_path):
    only_csv = tmp_path / "pkg-b"
    shutil.copytree(packages[B], only_csv)
    for p in only_csv.glob("*.parquet"):
        p.unlink()
    code, _ = merge(str(packages[A]), str(only_csv), "--out", str(tmp_path / "out"))
    assert code == 0
    assert tree(tmp_path / "out") == tree(national)


def test_national_site_shows_partial_totals_and_links_each_package(packages, national, tmp_path):
    proc = bangfu(
        "merge",
        str(packages[A]),
        str(packages[B]),
        "--out",
        str(tmp_path / "nat"),
        "--site",
        str(tmp_path / "site"),
        "--src",
        str(tmp_path / "src"),
        cwd=REPO,
        env={"BANGFU_WORKERS": "2"},  # as on a server: the workbook's process, MkDocs once
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "site" / "index.html").read_text("utf-8")
    assert "演示数据" in html
    assert A in html and B in html
    assert "≥ 1<" in html  # province B: one suppressed county
    assert "≥ 301<" in html  # the nation: 300 published + one suppressed county
    assert (tmp_path / "site" / "data" / "datapackage.json").is_file()
    linked = sorted((tmp_path / "site" / "provinces").glob("*/datapackage.json"))
    assert len(linked) == 2
    for p in linked:
        assert f'href="{p.relative_to(tmp_path / "site").as_posix()}"' in html
        assert validate(str(p)).valid


# ---------------------------------------------------------------- refusals


def _refused(code_wanted: str, *args: str, out: Path) -> str:
    code, text = merge(*args, "--out", str(out))
    assert code == 1, text
    assert f"[{code_wanted}]" in text, text
    assert "Traceback" not in text
    assert not out.exists()
    return text


def test_conflicting_ids_are_refused(packages, tmp_path):
    """Province B's ledger uses an organization id that province A uses for another
    organization: nothing is merged, the finding names the table and the id."""
    data = tmp_path / "b" / "data"
    shutil.copytree(packages["data"][B].parent, tmp_path / "b")
    org_a = next((packages["data"][A] / "organizations").glob("demo-org-*-c1-1.yaml"))
    rec = yaml.safe_load(org_a.read_text("utf-8"))
    county_b = sorted(p.stem for p in (data / "counties").glob("*.yaml"))[0]
    rec["county"] = county_b
    rec["name"] = "（演示）同号不同主体"
    (data / "organizations" / org_a.name).write_text(
        yaml.safe_dump(rec, allow_unicode=True, sort_keys=False), "utf-8"
    )
    pkg = export(data, tmp_path / "pkg-b2")
    text = _refused(MERGE_CONFLICT.code, str(packages[A]), str(pkg), out=tmp_path / "national")
    assert f"organizations 中编号 {rec['id']}" in text


def test_missing_and_foreign_packages_are_refused(packages, tmp_path):
    _refused(MERGE_MISSING.code, str(packages[A]), str(tmp_path / "nope"), out=tmp_path / "o1")
    csv_only = tmp_path / "csv-only"
    csv_only.mkdir()
    shutil.copy(packages[A] / "counties.csv", csv_only / "counties.csv")
    _refused(MERGE_NOT_PACKAGE.code, str(csv_only), out=tmp_path / "o2")


def test_other_schema_version_is_refused(packages, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(packages[B], old)
    desc = json.loads((old / "datapackage.json").read_text("utf-8"))
    desc["bangfu"]["schema_version"] = "0-0000000000000000"
    (old / "datapackage.json").write_text(json.dumps(desc, ensure_ascii=False), "utf-8")
    _refused(MERGE_SCHEMA_VERSION.code, str(packages[A]), str(old), out=tmp_path / "o")


def test_damaged_file_is_refused(packages, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(packages[B], bad)
    with (bad / "progress.parquet").open("ab") as fh:
        fh.write(b"\0")
    _refused(MERGE_DAMAGED.code, str(packages[A]), str(bad), out=tmp_path / "o")


def test_same_province_twice_and_other_thresholds_are_refused(packages, tmp_path):
    _refused(
        MERGE_DUPLICATE_PROVINCE.code,
        str(packages[A]),
        str(packages[A]),
        out=tmp_path / "o1",
    )
    other = tmp_path / "other"
    shutil.copytree(packages[B], other)
    desc = json.loads((other / "datapackage.json").read_text("utf-8"))
    desc["bangfu"] |= {"small_cell_threshold": 10, "suppressed_marker": "*"}
    (other / "datapackage.json").write_text(json.dumps(desc, ensure_ascii=False), "utf-8")
    _refused(MERGE_THRESHOLD_DIFFERS.code, str(packages[A]), str(other), out=tmp_path / "o2")


def test_package_of_several_provinces_is_refused(tmp_path):
    from .conftest import make_case

    root = make_case(tmp_path, None)
    county = (root / "data/counties/tc-alpha.yaml").read_text("utf-8")
    county = county.replace("id: tc-alpha\n", "id: tc-beta\n").replace("测试省", "另一测试省")
    county = county.replace("tc-alpha-east", "tc-beta-east")
    (root / "data/counties/tc-beta.yaml").write_text(county, "utf-8")
    pkg = export(root / "data", tmp_path / "pkg")
    text = _refused(MERGE_PROVINCE_UNCLEAR.code, str(pkg), out=tmp_path / "o")
    assert "另一测试省" in text


def test_synthetic_province_records_are_canonical_and_marked(packages):
    data = packages["data"][B]
    proc = bangfu("fmt", "--check", "--data", str(data), cwd=REPO)
    assert proc.returncode == 0, proc.stdout
    counties = [yaml.safe_load(p.read_text("utf-8")) for p in (data / "counties").glob("*.yaml")]
    assert len(counties) == 4
    assert all(c["synthetic"] is True and c["province"] == B for c in counties)


@pytest.mark.slow
def test_bench_merge_runs_end_to_end(tmp_path):
    proc = bangfu(
        "bench",
        "--merge",
        "2",
        "--merge-households",
        "20",
        "--out",
        str(tmp_path / "bench"),
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "bench" / "latest.json").read_text("utf-8"))
    steps = {s["name"]: s for s in result["steps"]}
    assert set(steps) == {"merge", "merge-site"}
    assert all(s["status"] == "ok" and s["wall"] > 0 and s["maxrss_mb"] > 0 for s in steps.values())
    assert result["options"]["merge"] == 2


_DEDUPE = r"""
import json
from pathlib import Path

import duckdb

from bangfu.aggregate import NOT_RECORDED, WITHHELD
from bangfu.publish import merge as mg

table = mg.layout()["plan_targets"]  # plan, village, village_targeted, households (count)
con = duckdb.connect()
N = "NULL, "  # the name columns next to the ids (plan_name; village, township, county names)
rows = {
    0: f"('p-1', {N}'v-1', {N * 3}true, NULL, true), ('p-2', {N}'v-2', {N * 3}false, 7, false)",
    1: f"('p-1', {N}'v-1', {N * 3}true, NULL, true), ('p-3', {N}'v-3', {N * 3}true, NULL, false)",
}
sources = []
for i, province in enumerate(("乙省", "甲省")):
    con.execute(
        f"CREATE TABLE {mg.source_table(i, 'plan_targets')} AS SELECT * FROM (VALUES "
        f"{rows[i]}) v(plan, plan_name, village, village_name, township_name, county_name, "
        "village_targeted, households, households_suppressed)"
    )
    src = mg.Source(Path(province), province, {}, 5, "*")
    src.province = province
    sources.append(src)
out = {"columns": [c.name for c in mg.with_province(table)]}
mg.concatenate(con, "plan_targets", table, sources)
out["conflicts"] = [f.code for f in mg.conflicts(con, "plan_targets", table)]
out["rows"] = [
    {k: ("NOT_RECORDED" if v is NOT_RECORDED else "WITHHELD" if v is WITHHELD else v) for k, v in r.items()}
    for r in mg.merged_rows(con, "plan_targets", table, mg.with_province(table))
]
# province 甲 records no count for p-1 where province 乙 suppresses one: not the same row
con.execute(f"UPDATE {mg.source_table(1, 'plan_targets')} SET households_suppressed = false")
con.execute('DROP TABLE "u__plan_targets"')
mg.concatenate(con, "plan_targets", table, sources)
out["changed"] = [[f.code, f.message] for f in mg.conflicts(con, "plan_targets", table)]
con.close()
print(json.dumps(out, ensure_ascii=False))
"""


def test_a_row_two_packages_hold_identically_is_kept_once_with_both_provinces():
    """DuckDB concatenation: an identical row is one row listing both provinces; a
    suppressed cell stays suppressed (never a number) and an empty one stays 台账中无记录.
    (Run in its own process: DuckDB loaded in the test process makes a later ``gc.freeze``
    by the record loader print nanobind leak reports when pytest exits.)"""
    proc = subprocess.run(
        [sys.executable, "-c", _DEDUPE], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["columns"][0] == "province"
    assert out["conflicts"] == []
    row = {"plan", "village", "village_targeted", "households"}
    names = {"plan_name", "village_name", "township_name", "county_name"}
    assert [set(r) - row - names for r in out["rows"]] == [{"province"}] * 3
    assert [{k: v for k, v in r.items() if k not in names} for r in out["rows"]] == [
        {
            "province": "乙省;甲省",
            "plan": "p-1",
            "village": "v-1",
            "village_targeted": True,
            "households": "WITHHELD",
        },
        {
            "province": "乙省",
            "plan": "p-2",
            "village": "v-2",
            "village_targeted": False,
            "households": 7,
        },
        {
            "province": "甲省",
            "plan": "p-3",
            "village": "v-3",
            "village_targeted": True,
            "households": "NOT_RECORDED",
        },
    ]
    [(code, message)] = out["changed"]
    assert code == MERGE_CONFLICT.code and "p-1 × v-1" in message
