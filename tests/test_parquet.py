"""Parquet copies of the open data: declared in datapackage.json (checked by the frictionless
validator by size and hash), typed by the table schema, cell for cell the CSV (a suppressed
count is null plus true in its ``_suppressed`` column, 台账中无记录 is null plus false), and
the same bytes for the same data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from frictionless import Resource, Schema

from .conftest import bangfu, make_case

# one worker runs them all (make test: --dist loadgroup): the module's fixtures are made once
pytestmark = pytest.mark.xdist_group("parquet")

AS_OF = "2026-06-30"
ARROW = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "string": pa.string(),
}


def export(root: Path, out: Path) -> Path:
    proc = bangfu(
        "export", "--data", str(root / "data"), "--out", str(out), "--as-of", AS_OF, cwd=root
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """The base case plus a county of which the ledger holds no household (its household
    counts are 台账中无记录), next to the base county whose small counts are suppressed."""
    root = make_case(tmp_path_factory.mktemp("pq"), None)
    county = (root / "data/counties/tc-alpha.yaml").read_text("utf-8")
    county = county.replace("id: tc-alpha\n", "id: tc-beta\n").replace("tc-alpha-east", "tc-beta-e")
    (root / "data/counties/tc-beta.yaml").write_text(county, "utf-8")
    return root


@pytest.fixture(scope="module")
def package(root, tmp_path_factory) -> Path:
    return export(root, tmp_path_factory.mktemp("out") / "pkg")


def descriptor(package: Path) -> dict:
    return json.loads((package / "datapackage.json").read_text("utf-8"))


def tables(package: Path) -> list[dict]:
    return [r for r in descriptor(package)["resources"] if r["type"] == "table"]


def copies(package: Path) -> dict[str, dict]:
    return {
        r["bangfu"]["table"]: r
        for r in descriptor(package)["resources"]
        if r["type"] == "file" and r["format"] == "parquet"
    }


def test_every_table_has_a_declared_parquet_copy(package):
    pqs = copies(package)
    assert sorted(pqs) == sorted(t["name"] for t in tables(package))
    for name, res in pqs.items():
        data = (package / f"{name}.parquet").read_bytes()
        assert res["name"] == f"{name}-parquet" and res["path"] == f"{name}.parquet"
        assert (res["format"], res["mediatype"]) == ("parquet", "application/vnd.apache.parquet")
        assert res["bytes"] == len(data)
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        fields = [f["name"] for f in res["bangfu"]["fields"]]
        assert pq.read_schema(package / f"{name}.parquet").names == fields


def test_parquet_types_follow_the_table_schema(package):
    for res in tables(package):
        schema = pq.read_schema(package / f"{res['name']}.parquet")
        for f in res["schema"]["fields"]:
            assert schema.field(f["name"]).type == ARROW[f["type"]], (res["name"], f["name"])
        flags = [n for n in schema.names if n.endswith("_suppressed")]
        for n in flags:
            assert schema.field(n).type == pa.bool_()
            assert schema.field(n.removesuffix("_suppressed")).type in (pa.int64(), pa.float64())


def _same(text: str, kind: str, value) -> bool:
    if kind == "integer":
        return int(text) == value
    if kind == "number":
        return float(text) == value
    if kind == "boolean":
        return text == ("true" if value else "false")
    if kind == "date":
        return text == value.isoformat()
    return text == value


def test_parquet_cells_are_the_csv_cells(package):
    import csv

    seen = {"suppressed": 0, "not recorded": 0}
    for res in tables(package):
        name = res["name"]
        with (package / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            csv_rows = list(csv.DictReader(fh))
        pq_rows = pq.read_table(package / f"{name}.parquet").to_pylist()
        assert len(pq_rows) == len(csv_rows), name
        for text_row, row in zip(csv_rows, pq_rows, strict=True):
            for f in res["schema"]["fields"]:
                text, value, flag = text_row[f["name"]], row[f["name"]], f["name"] + "_suppressed"
                if text == "*":
                    assert value is None and row[flag] is True, (name, f["name"])
                    seen["suppressed"] += 1
                elif text == "":
                    assert value is None and row.get(flag, False) is False, (name, f["name"])
                    seen["not recorded"] += flag in row
                else:
                    assert _same(text, f["type"], value), (name, f["name"], text, value)
                    assert row.get(flag, False) is False
    assert seen["suppressed"] and seen["not recorded"]


def test_parquet_rows_are_valid_against_their_declared_fields(package):
    """The validator cannot read Parquet cells (its reader needs pandas and turns a null
    integer into NaN); the same rows, read with pyarrow, are validated here."""
    for name, res in copies(package).items():
        table = pq.read_table(package / f"{name}.parquet")
        fields = res["bangfu"]["fields"]
        rows = [[r[f["name"]] for f in fields] for r in table.to_pylist()]
        resource = Resource(
            data=[[f["name"] for f in fields], *rows],
            schema=Schema.from_descriptor({"fields": fields}),
        )
        report = resource.validate()
        assert report.valid, (name, report.flatten(["rowNumber", "fieldName", "type"])[:3])


def test_same_data_same_parquet_bytes(root, package, tmp_path):
    again = export(root, tmp_path / "again")
    for p in sorted(package.glob("*.parquet")):
        assert (again / p.name).read_bytes() == p.read_bytes(), p.name
    meta = pq.read_metadata(package / "counties.parquet")
    assert meta.created_by.startswith("parquet-cpp-arrow version")
    assert set(meta.metadata or {}) <= {b"ARROW:schema"}  # no pandas metadata, no clock
