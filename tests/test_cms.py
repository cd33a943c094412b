"""``bangfu cms``: the web editor's configuration is generated from the schemas and the plans,
validates against Decap CMS's own configuration schema, offers no private field, and
``--check`` fails when it is stale. The browser test is in ``test_cms_browser.py``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from bangfu import cms, cms_inputs
from bangfu.cms_inputs import date_range_pattern, fix_names, read_inputs
from bangfu.cms_template import fill
from bangfu.schema import bundled, is_public

from .conftest import ROOT, bangfu, require_system

DECAP_SCHEMA = ROOT / "tests/vendor/decap-cms-config.schema.json"


def _config(data: Path = ROOT / "data") -> dict:
    """The configuration the editor runs with every county's report collections loaded."""
    inputs = read_inputs(data)
    conf = cms.build(ROOT / "schemas")
    for body in cms.counties(ROOT / "schemas", inputs)[1].values():
        conf["collections"].append(body["plans_collection"])
        conf["collections"] += [fill(body["template"], p) for p in body["plans"]]
    return conf


def _committed() -> dict[str, str]:
    admin = ROOT / cms.CONFIG_DIR
    paths = [admin / cms.BASE_FILE, admin / cms.INDEX_FILE]
    paths += sorted((admin / cms.COUNTY_DIR).glob("*.json"))
    return {p.relative_to(admin).as_posix(): p.read_text("utf-8") for p in paths}


def _fields(fields: list, prefix: str = ""):
    for f in fields:
        path = f"{prefix}.{f['name']}"
        yield path, f
        yield from _fields(f.get("fields", []), path)
        if "field" in f:  # a list of single values: the item is the list's own field
            yield from _fields(f["field"].get("fields", []), path)


def test_committed_config_is_current_and_check_fails_when_stale(tmp_path):
    committed = _committed()
    assert committed == cms.files(ROOT / "schemas", read_inputs(ROOT / "data"))
    proc = bangfu("cms", "--check", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "admin"
    shutil.copytree(ROOT / cms.CONFIG_DIR, out)
    county = out / "counties/gs-qingshui.json"
    county.write_text(county.read_text("utf-8").replace("进度报告", "报告"), "utf-8")
    leftover = out / "counties/gone-county.json"  # a county whose plans are gone
    leftover.write_text("{}", "utf-8")
    proc = bangfu("cms", "--check", "--out", str(out), cwd=ROOT)
    assert proc.returncode == 1 and "已过期" in proc.stderr and "bangfu cms" in proc.stderr
    assert "gs-qingshui.json" in proc.stderr and "gone-county.json" in proc.stderr
    proc = bangfu("cms", "--out", str(out), cwd=ROOT)  # a write mends both
    assert proc.returncode == 0 and "改写 1 个文件，删除 1 个" in proc.stdout, proc.stdout
    assert not leftover.exists()
    assert county.read_text("utf-8") == committed["counties/gs-qingshui.json"]
    assert bangfu("cms", "--check", "--out", str(out), cwd=ROOT).returncode == 0


def test_an_output_that_is_not_a_folder_is_refused_and_nothing_is_half_written(tmp_path):
    """``--out`` naming a file (the old single-file option) is a usage error; a folder where
    a file cannot be written gets a finding, not a traceback, and none of the files."""
    afile = tmp_path / "config.yml"
    afile.write_text("旧配置\n", "utf-8")
    for args in ([], ["--check"]):
        proc = bangfu("cms", "--out", str(afile), *args, cwd=ROOT)
        assert proc.returncode == 2 and "不是文件夹" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
    assert afile.read_text("utf-8") == "旧配置\n"
    out = tmp_path / "admin"
    out.mkdir()
    (out / cms.COUNTY_DIR).write_text("", "utf-8")  # a file where the county folder goes
    proc = bangfu("cms", "--out", str(out), cwd=ROOT)
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    assert "write." in proc.stdout, proc.stdout  # the writer's finding
    assert sorted(p.name for p in out.iterdir()) == [cms.COUNTY_DIR]  # nothing else written


def test_config_validates_against_decap_cms_config_schema():
    schema = json.loads(DECAP_SCHEMA.read_text("utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    conf = _config()
    assert not [e.message for e in validator.iter_errors(conf)]
    names = [c["name"] for c in conf["collections"]]
    assert len(names) == len(set(names))  # uniqueItemProperties, which the JSON copy leaves out
    for c in conf["collections"]:
        for group in [c["fields"]] + [
            f["fields"] for _, f in _fields(c["fields"]) if "fields" in f
        ]:
            assert len({f["name"] for f in group}) == len(group), c["name"]
    # the schema does reject what Decap rejects
    bad = json.loads(json.dumps(conf))
    bad["collections"][0]["fields"][2]["options"] = "社会团体"  # a select needs a list
    del bad["media_folder"]
    errors = [e.message for e in validator.iter_errors(bad)]
    assert len(errors) >= 2, errors


def test_vendored_decap_schema_matches_the_pinned_packages():
    node = shutil.which("node")
    require_system("node", node is not None)
    require_system("decap-cms (npm ci)", (ROOT / "node_modules/decap-cms-core").is_dir())
    proc = subprocess.run(
        [node, "tools/decap_config_schema.mjs"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == DECAP_SCHEMA.read_text("utf-8")
    lock = json.loads((ROOT / "package-lock.json").read_text("utf-8"))["packages"]
    core = lock["node_modules/decap-cms-core"]["version"]
    assert f"decap-cms-core {core} " in proc.stdout
    pinned = json.loads((ROOT / "package.json").read_text("utf-8"))
    assert pinned["dependencies"]["decap-cms"] == lock["node_modules/decap-cms"]["version"]
    assert pinned["devDependencies"]["decap-server"] == lock["node_modules/decap-server"]["version"]


def test_collections_follow_the_layout_and_offer_only_public_fields():
    conf = _config()
    by_name = {c["name"]: c for c in conf["collections"]}
    assert conf["publish_mode"] == "editorial_workflow" and conf["locale"] == "zh_Hans"
    assert by_name["organizations"]["folder"] == "data/organizations"
    assert by_name["plans-gs-qingshui"]["folder"] == "data/plans/gs-qingshui"
    assert by_name["plans-gs-qingshui"]["path"] == "{{id}}/plan"
    plans = sorted(p.parent.name for p in (ROOT / "data/plans").glob("*/*/plan.yaml"))
    reports = sorted(n for n in by_name if n.startswith("reports-"))
    assert reports == [f"reports-{p}" for p in plans]
    one = by_name["reports-qingshui-2020-gaoqiao"]
    assert one["folder"] == "data/plans/gs-qingshui/qingshui-2020-gaoqiao/reports"
    assert "household" not in json.dumps(conf["collections"][0])  # nothing of households
    assert not any("households" in c.get("folder", "") for c in conf["collections"])
    schemas = bundled(ROOT / "schemas")
    for name, kind in (
        ("organizations", "organization"),
        ("plans-gs-qingshui", "plan"),
        (one["name"], "report"),
    ):
        for path, _f in _fields(by_name[name]["fields"]):
            parts = [p for p in re.split(r"\.|\[\]", path) if p]
            assert is_public(schemas[kind], _shape(schemas[kind], parts)), (name, path)
    org = {p for p, _ in _fields(by_name["organizations"]["fields"])}
    assert ".leader" not in org and not any(p.startswith(".leader") for p in org)
    assert ".corrections" not in {p for p, _ in _fields(one["fields"])}


def _shape(schema: dict, parts: list) -> list:
    """Field names → schema path (a list's items are index 0)."""
    from bangfu.schema import node_at

    out: list = []
    for p in parts:
        out.append(p)
        node = node_at(schema, out)
        if "items" in node and node_at(schema, [*out, 0]).get("type") == "object":
            out.append(0)
    return out


def test_fields_carry_the_schemas_labels_enums_patterns_and_relations():
    conf = _config()
    by_name = {c["name"]: c for c in conf["collections"]}
    org = dict(_fields(by_name["organizations"]["fields"]))
    assert org[".kind"]["widget"] == "select" and "社会团体" in org[".kind"]["options"]
    assert org[".id"]["label"] == "主体编号" and org[".id"]["required"] is True
    assert org[".id"]["pattern"][0] == "^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
    assert "英文小写编号" in org[".id"]["pattern"][1]
    assert org[".domains"]["multiple"] is True
    plan = dict(_fields(by_name["plans-gs-qingshui"]["fields"]))
    assert plan[".county"] == {**plan[".county"], "widget": "hidden", "default": "gs-qingshui"}
    assert plan[".campaign"]["widget"] == "relation"
    assert plan[".campaign"]["collection"] == "campaigns"
    assert plan[".organizations"]["collection"] == "organizations"
    assert plan[".organizations"]["multiple"] is True
    villages = {o["value"] for o in plan[".targets.villages"]["options"]}
    assert "gs-qingshui-shanmen-gaoqiao" in villages
    assert plan[".measures"]["widget"] == "list" and plan[".measures.kind"]["widget"] == "select"
    rep = dict(_fields(by_name["reports-qingshui-2020-gaoqiao"]["fields"]))
    assert rep[".plan"] == {**rep[".plan"], "widget": "hidden", "default": "qingshui-2020-gaoqiao"}
    assert rep[".entries.village"]["options"] == ["gs-qingshui-shanmen-gaoqiao"]
    assert ".entries.household" not in rep  # the plan targets no household
    amount = rep[".entries.amount"]
    assert amount["widget"] == "number" and not re.match(amount["pattern"][0], "-5")
    assert "不能为负数" in amount["pattern"][1]
    start = rep[".period.start"]["pattern"]
    assert "须在方案期间内" in start[1] and "2020-05-12 至 2020-06-30" in start[1]


@pytest.mark.parametrize(
    ("start", "end", "inside", "outside"),
    [
        (
            "2020-05-12",
            "2020-06-30",
            ["2020-05-12", "2020-05-31", "2020-06-01", "2020-06-30"],
            ["2020-05-11", "2020-07-01", "2020-04-30", "2021-05-20"],
        ),
        (
            "2019-12-30",
            "2022-01-02",
            ["2019-12-31", "2020-02-29", "2021-07-15", "2022-01-02"],
            ["2019-12-29", "2022-01-03", "2023-01-01"],
        ),
        ("2020-01-01", "2020-12-31", ["2020-01-01", "2020-12-31"], ["2019-12-31", "2021-01-01"]),
        (
            "2020-03-09",
            "2020-03-21",
            ["2020-03-09", "2020-03-10", "2020-03-21"],
            ["2020-03-08", "2020-03-22", "2020-03-30"],
        ),
    ],
)
def test_date_range_pattern(start, end, inside, outside):
    rx = re.compile(date_range_pattern(start, end))
    assert all(rx.match(d) for d in inside), [d for d in inside if not rx.match(d)]
    assert not any(rx.match(d) for d in outside), [d for d in outside if rx.match(d)]


def test_fix_names_gives_a_lower_cased_report_its_ids_case(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    reports = data / "plans/gs-qingshui/qingshui-2020-gaoqiao/reports"
    reports.mkdir()
    body = (
        "id: 2020-W22\nplan: qingshui-2020-gaoqiao\nperiod:\n  start: 2020-05-25\n"
        "  end: 2020-05-31\nsubmitted: 2020-06-02\nno_activity: true\n"
        "no_activity_reason: 合成测试数据\nentries: []\n"
    )
    (reports / "2020-w22.yaml").write_text(body, "utf-8")
    (reports / "2020-q2.yaml").write_text(body.replace("2020-W22", "2020-W23"), "utf-8")
    moved = fix_names(data)
    assert [(a.name, b.name) for a, b in moved] == [("2020-w22.yaml", "2020-W22.yaml")]
    assert sorted(p.name for p in reports.iterdir()) == ["2020-W22.yaml", "2020-q2.yaml"]
    proc = bangfu("cms", "--fix-names", "--data", str(data), cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""  # nothing left; a real mismatch stays


def test_built_site_has_the_editor_with_the_pinned_bundle(real_site):
    dist = ROOT / "node_modules/decap-cms/dist"
    require_system("decap-cms (npm ci)", (dist / "decap-cms.js").is_file())
    from bangfu.publish.admin import bundle_files

    admin = real_site / "admin"
    assert (admin / "index.html").read_bytes() == (ROOT / "site/admin/index.html").read_bytes()
    built = {
        p.relative_to(admin).as_posix(): p.read_text("utf-8")
        for p in [
            admin / cms.BASE_FILE,
            admin / cms.INDEX_FILE,
            *(admin / cms.COUNTY_DIR).glob("*"),
        ]
    }
    assert built == _committed()  # the site of the repository's own data: the same files
    expected = bundle_files(dist)
    assert len(expected) > 50  # the entry point and the chunks it loads on demand
    assert sorted(p.name for p in (admin / "vendor").iterdir()) == sorted(p.name for p in expected)
    for f in expected:
        assert (admin / "vendor" / f.name).read_bytes() == f.read_bytes(), f.name
    pinned = json.loads((ROOT / "package.json").read_text("utf-8"))["dependencies"]["decap-cms"]
    installed = json.loads((dist.parent / "package.json").read_text("utf-8"))["version"]
    assert installed == pinned
    page = (admin / "index.html").read_text("utf-8")
    assert "script.src = 'vendor/decap-cms.js'" in page and "http" not in page  # nothing else


def test_editor_branches_are_made_canonical_with_mains_tools():
    wf = yaml.safe_load((ROOT / ".github/workflows/cms.yml").read_text("utf-8"))
    assert wf[True] == {"push": {"branches": ["cms/**"]}}  # PyYAML reads `on` as True
    assert wf["permissions"] == {"contents": "read"}
    job = wf["jobs"]["canonical"]
    assert job["permissions"] == {"contents": "write"}
    base, head = job["steps"][0], job["steps"][1]
    assert base["with"] == {"ref": "main", "path": "base", "persist-credentials": False}
    assert head["with"]["path"] == "head"
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert "pip install -e ./base" in runs and "./head" not in runs  # never the branch's code
    assert "bangfu cms --fix-names --schemas ../base/schemas" in runs
    assert "bangfu fmt --schemas ../base/schemas" in runs
    assert 'git push origin "HEAD:${BRANCH}"' in runs
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    cms_hook = next(h for h in hooks["repos"][0]["hooks"] if h["id"] == "bangfu-cms")
    assert cms_hook["entry"] == "bangfu cms --check"
    assert re.search(cms_hook["files"], "data/plans/gs-qingshui/x/plan.yaml")
    assert re.search(cms_hook["files"], "schemas/report.schema.json")
    assert not re.search(cms_hook["files"], "data/plans/gs-qingshui/x/reports/2020-04.yaml")


def test_what_an_editor_load_reads_does_not_grow_with_the_plans(demo_data):
    """``config.json`` (read on every load) does not depend on the plans; a county's file
    holds only its own plans, with the collection once; the template filled in for a plan is
    that plan's collection (its folder, period, targets)."""
    inputs = read_inputs(demo_data)
    assert len({p.county for p in inputs.plans}) >= 2 and len(inputs.plans) >= 10
    files = cms.files(ROOT / "schemas", inputs)
    none = cms_inputs.Inputs([], {}, {})
    assert cms.files(ROOT / "schemas", none)[cms.BASE_FILE] == files[cms.BASE_FILE]
    base = json.loads(files[cms.BASE_FILE])
    assert [c["name"] for c in base["collections"]] == ["organizations", "campaigns"]
    index = json.loads(files[cms.INDEX_FILE])
    assert [c["id"] for c in index] == sorted(inputs.counties)  # with plans or not
    assert sum(c["plans"] for c in index) == len(inputs.plans)
    assert set(files) == {cms.BASE_FILE, cms.INDEX_FILE} | {
        f"counties/{c['id']}.json" for c in index
    }
    for c in index:
        body = json.loads(files[f"counties/{c['id']}.json"])
        plans = [p for p in inputs.plans if p.county == c["id"]]
        assert [v["id"] for v in body["plans"]] == [p.id for p in plans]
        assert c["plans"] == len(plans)
        county = yaml.safe_load((demo_data / f"counties/{c['id']}.yaml").read_text("utf-8"))
        assert c["label"].endswith(f"{county['name']}（{c['id']}）"), c["label"]
        own = body["plans_collection"]
        assert own["folder"] == f"data/plans/{c['id']}" and own["name"] == f"plans-{c['id']}"
        villages = dict(_fields(own["fields"]))[".targets.villages"]["options"]
        ids = {v["id"] for t in county.get("townships") or [] for v in t.get("villages") or []}
        assert {o["value"] for o in villages} == ids
        for plan, values in zip(plans, body["plans"], strict=True):
            got = fill(body["template"], values)
            assert got["name"] == f"reports-{plan.id}" and plan.name in got["label"]
            assert got["folder"] == f"data/plans/{plan.county}/{plan.id}/reports"
            assert "@@" not in json.dumps(got)
            fields = dict(_fields(got["fields"]))
            assert fields[".period.start"]["pattern"][0] == date_range_pattern(plan.start, plan.end)
            assert f"{plan.start} 至 {plan.end}" in fields[".entries.date"]["pattern"][1]
            for key in ("household", "village"):
                options = fields.get(f".entries.{key}", {}).get("options")
                assert options == (getattr(plan, key + "s") or None), (plan.id, key)


def test_fill_leaves_inserted_values_alone():
    """A plan's name that looks like a token stays as written; a list token in a longer
    string is not a list (only a whole string is)."""
    values = {"id": "p", "name": "@@id@@ 与 $&", "households": [], "villages": ["v"]}
    template = {
        "label": "报告：@@name@@",
        "fields": [{"options": "@@households@@"}, {"options": "@@villages@@"}],
    }
    assert fill(template, values) == {
        "label": "报告：@@id@@ 与 $&",
        "fields": [{"options": ["v"]}],
    }
