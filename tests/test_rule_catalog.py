"""The monitoring-rule catalog (bangfu/rules/catalog.py) is the one source of the guide's rule
table and the error page's links back: it cannot drift from codes.py or the source records."""

from __future__ import annotations

from pathlib import Path

import yaml

from bangfu.codes import REGISTRY
from bangfu.docs import error_codes_markdown
from bangfu.rules.catalog import BY_CODE, CATALOG, anchor

ROOT = Path(__file__).resolve().parents[1]
MONITORING_FAMILIES = (
    "policy.",
    "ident.",
    "tier.",
    "assist.",
    "exit.",
)  # the codes monitoring rules produce


def test_every_monitoring_code_has_a_catalog_entry():
    missing = sorted(c for c in REGISTRY if c.startswith(MONITORING_FAMILIES) and c not in BY_CODE)
    assert not missing, f"monitoring codes without an entry in rules/catalog.py: {missing}"


def test_every_catalog_code_is_registered():
    for rule in CATALOG:
        if rule.code is not None:
            assert REGISTRY.get(rule.code.code) is rule.code, rule.key
    codes = [r.code.code for r in CATALOG if r.code]
    assert len(codes) == len(set(codes)), "a code belongs to one rule"


def test_entries_are_complete_and_keys_unique():
    keys = [r.key for r in CATALOG]
    assert len(keys) == len(set(keys))
    for r in CATALOG:
        assert r.title and r.section and r.field and r.explanation, r.key
        assert anchor(r).replace("-", "").isalnum(), r.key


def test_every_cited_document_is_a_source_record():
    sources = {
        yaml.safe_load(p.read_text("utf-8"))["id"] for p in (ROOT / "data/sources").glob("*.yaml")
    }
    for r in CATALOG:
        if r.document is not None:
            assert r.document in sources, (r.key, r.document)


def test_guide_renders_the_catalog_and_error_page_links_back():
    assert "[[block:rules]]" in (ROOT / "site/guide.md").read_text("utf-8")
    page = error_codes_markdown()
    for code, rule in BY_CODE.items():
        row = next(line for line in page.splitlines() if f'id="{code}"' in line)
        assert f"(guide.md#{anchor(rule)})" in row, code
    unlinked = [line for line in page.splitlines() if "guide.md#rule-" in line]
    assert len(unlinked) == len(BY_CODE)  # only catalog codes link to a rule
