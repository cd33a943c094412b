"""Docs cannot drift: the README's command reference is regenerated and compared, and every
finding code the code emits is registered (so the error-code page lists it)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bangfu.codes import REGISTRY
from bangfu.docs import data_dictionary_markdown, error_codes_markdown

from .conftest import CASES, bangfu

REPO = Path(__file__).resolve().parents[1]
CODE_LITERAL = re.compile(
    r"""["']((?:file|encoding|yaml|record|schema|id|path|ref|date|report|policy|fmt|history|sheet|write|arg|merge)\.(?!py["']|json["'])[a-z0-9-]+)["']"""
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
    for py in (REPO / "scripts/bangfu").rglob("*.py"):
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
