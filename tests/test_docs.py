"""Docs cannot drift: the README's command reference and record-layout table are regenerated
and compared, the layout they show is the one the loader and ``bangfu new`` use, and every
finding code the code emits is registered (so the error-code page lists it)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from bangfu.codes import REGISTRY
from bangfu.docs import data_dictionary_markdown, error_codes_markdown
from bangfu.layout import LAYOUT, readme_table
from bangfu.record import classify, expected_stem
from bangfu.scaffold import skeleton

from .conftest import CASES, bangfu

REPO = Path(__file__).resolve().parents[1]
CODE_LITERAL = re.compile(
    r"""["']((?:file|encoding|yaml|record|schema|id|path|ref|date|report|policy|fmt|history|sheet|write|arg|merge|ident|tier|assist|exit|sealed)\.(?!py["']|json["'])[a-z0-9-]+)["']"""
)


def test_readme_command_reference_is_current():
    proc = bangfu("docs", "--check", cwd=REPO)
    assert proc.returncode == 0, proc.stderr


def test_help_and_readme_list_the_commands_in_the_declared_order():
    from bangfu.cli import COMMAND_ORDER

    assert COMMAND_ORDER[:3] == ("check", "fmt", "new")  # the order is declared, not alphabetical
    proc = bangfu("--help", cwd=REPO)
    assert re.findall(r"^    ([a-z][a-z-]*)", proc.stdout, re.M) == list(COMMAND_ORDER)
    readme = (REPO / "README.md").read_text("utf-8")
    assert re.findall(r"^\| `bangfu ([a-z-]+)` \|", readme, re.M) == list(COMMAND_ORDER)
    assert re.findall(r"^#### `bangfu ([a-z-]+)`", readme, re.M) == list(COMMAND_ORDER)


def test_every_emitted_code_is_registered():
    used = set()
    for py in (REPO / "scripts").rglob("*.py"):
        used |= set(CODE_LITERAL.findall(py.read_text("utf-8")))
    missing = sorted(c for c in used if c not in REGISTRY)
    assert not missing, f"codes used but not registered in codes.py: {missing}"


def test_golden_cases_use_registered_codes_and_reference_lists_them():
    page = error_codes_markdown()
    for exp in CASES.rglob("expected.yaml"):
        for f in yaml.safe_load(exp.read_text("utf-8"))["findings"]:
            assert f["code"] in REGISTRY
            assert f"`{f['code']}`" in page


def test_data_dictionary_lists_public_fields_only():
    page = data_dictionary_markdown(REPO / "schemas")
    assert "`income.per_capita`" in page
    for private in ("head.name", "id_number", "`address`", "members", "leader", "contact.mobile"):
        assert private not in page, private


def test_data_dictionary_file_locations_come_from_the_layout():
    page = data_dictionary_markdown(REPO / "schemas")
    for place in LAYOUT:
        assert f"文件位置：`data/{place.pattern}`" in page, place.kind


@pytest.mark.parametrize(
    "rel, kind, id_",
    [
        (("sources", "s-1.yaml"), "source", "s-1"),
        (("policy", "p-1.yaml"), "policy", "p-1"),
        (("households", "c-1", "v-1", "h-1.yaml"), "household", "h-1"),
        (("plans", "c-1", "p-1", "plan.yaml"), "plan", "p-1"),
        (("plans", "c-1", "p-1", "reports", "2020-04.yaml"), "report", "2020-04"),
        (("plans", "c-1", "p-1", "other.yaml"), None, None),
        (("plans", "c-1", "p-1", "reports"), None, None),
        (("households", "c-1", "h-1.yaml"), None, None),
        (("policy", "a", "p-1.yaml"), None, None),
        (("sources", ".s-1.yaml"), None, None),
        (("s-1.yaml",), None, None),
        ((), None, None),
    ],
)
def test_loader_classifies_by_the_layout(rel, kind, id_):
    assert classify(rel) == kind
    if kind is not None:
        assert expected_stem(rel, kind) == id_


def test_bangfu_new_writes_where_the_loader_looks():
    opts = {
        "id": "tc-new",
        "name": "名称",
        "province": "省",
        "county": "tc-county",
        "village": "tc-village",
        "campaign": "tc-campaign",
        "organization": "tc-org",
        "plan": "tc-plan",
        "period": "2020-04",
        "source": "tc-source",
    }
    for place in LAYOUT:
        rel, rec = skeleton(place.kind, opts, dt.date(2026, 6, 30))
        assert classify(rel.parts) == place.kind
        assert expected_stem(rel.parts, place.kind) == rec["id"]


def test_readme_layout_table_is_generated_and_checked(tmp_path):
    text = (REPO / "README.md").read_text("utf-8")
    assert readme_table() in text
    readme = tmp_path / "README.md"
    readme.write_text(text.replace("`data/policy/<编号>.yaml`", "`data/policies/<编号>.yaml`"))
    assert bangfu("docs", "--check", "--readme", str(readme), cwd=REPO).returncode == 1
    assert bangfu("docs", "--readme", str(readme), cwd=REPO).returncode == 0
    assert readme.read_text("utf-8") == text
