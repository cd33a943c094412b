"""The key villages' 九有 page and the guide's rule table, generated in-process from a copy of
the repository's records with one key village's items recorded: 达标, 未达标 and 台账中无记录
are three distinct cells, and every rule links to its finding code."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from bangfu.config import Config
from bangfu.pipeline import Pipeline
from bangfu.publish import site as site_mod
from bangfu.rules.catalog import CATALOG, anchor

# one worker runs them all (make test: --dist loadgroup): the module's fixtures are made once
pytestmark = pytest.mark.xdist_group("exit_standard_page")

ROOT = Path(__file__).resolve().parents[1]
VILLAGE = "gs-qingshui-shanmen-gaoqiao"


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exit")
    shutil.copytree(ROOT / "data", tmp / "repo/data")
    shutil.copytree(ROOT / "schemas", tmp / "repo/schemas")
    county = tmp / "repo/data/counties/gs-qingshui.yaml"
    text = county.read_text("utf-8")
    anchor_text = (
        f"      - id: {VILLAGE}\n        name: 高桥村\n        key_lists:\n          - 挂牌督战村\n"
    )
    assert anchor_text in text
    county.write_text(
        text.replace(
            anchor_text,
            anchor_text
            + "        exit_standard:\n"
            + "          leading_industry: {met: true, year: 2020, evidence: 合成测试佐证}\n"
            + "          paved_road: {met: false, date: 2020-05-01, evidence: 合成测试佐证}\n",
        ),
        "utf-8",
    )
    pipe = Pipeline(Config.make(tmp / "repo/data", None, "2025-01-01"))
    assert not [f for f in pipe.result.findings if f.severity == "error"]
    ctx = site_mod.context(pipe.aggregate(dt.date(2025, 1, 1)))
    docs = tmp / "src/docs"
    out = {rel: (docs / rel).read_text("utf-8") for rel in site_mod.generate(ctx, tmp / "src")}
    out["guide.md"] = (tmp / "src/docs/guide.md").read_text("utf-8")
    return out


def _row(page: str, vid: str) -> list[str]:
    tr = next(t for t in re.findall(r"<tr>.*?</tr>", page) if f"villages/{vid}.html" in t)
    return re.findall(r"<td[^>]*>(.*?)</td>", tr)


def test_three_states_are_distinct_cells(pages):
    page = pages["lists/exit-standard.md"]
    cells = _row(page, VILLAGE)
    assert len(cells) == 3 + 9
    exited, items = cells[2], cells[3:]
    assert "台账中无记录" in exited  # no exit recorded
    assert "达标" in items[0] and "未达标" not in items[0] and "2020" in items[0]
    assert "未达标" in items[4] and "2020-05-01" in items[4]
    missing = items[1]
    assert "台账中无记录" in missing and "达标" not in missing
    assert len({items[0].split("<br>")[0], items[4].split("<br>")[0], missing}) == 3
    # a key village with nothing recorded shows 台账中无记录 everywhere, never 未达标
    other = _row(page, "gs-qingshui-shanmen-shigou")
    assert all("台账中无记录" in c for c in other[2:]) and "未达标" not in "".join(other)


def test_summary_counts_villages_by_state(pages):
    page = pages["lists/exit-standard.md"]
    rows = {
        cells[0]: cells[1:]
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", t) for t in re.findall(r"<tr>.*?</tr>", page)
        )
        if cells and not cells[0].startswith("<a")
    }
    key_villages = int(re.search(r"共 (\d+) 个重点村", page).group(1))
    assert rows["主导产业"] == ["1", "0", str(key_villages - 1)]
    assert rows["硬化通村公路"] == ["0", "1", str(key_villages - 1)]
    assert rows["集体收入"] == ["0", "0", str(key_villages)]
    assert "(exit-standard.md)" in pages["lists/index.md"]


def test_guide_lists_every_rule_with_its_source_and_code(pages):
    guide = pages["guide.md"]
    for rule in CATALOG:
        tr = next(
            t
            for t in re.findall(r"<h3 .*?</dl>", guide)
            if t.startswith(f'<h3 id="{anchor(rule)}">')
        )
        if rule.code is not None:
            assert f'href="errors.html#{rule.code.code}"' in tr, rule.key
        if rule.document is not None:
            assert f'href="sources.html#{rule.document}"' in tr, rule.key
        assert rule.section in tr.replace("&amp;", "&")
    assert "guide.md#rule-village-exit" in pages["errors.md"]


def test_village_page_sums_up_its_items_and_links_to_the_table(pages):
    page = pages[f"villages/{VILLAGE}.md"]
    cell = page.split("九有情况", 1)[1][:400]
    assert "达标 1 项，未达标 1 项，台账中无记录 7 项" in cell
    assert "../lists/exit-standard.html" in cell
    other = pages["villages/gs-qingshui-shanmen-shigou.md"].split("九有情况", 1)[1]
    other = other.split("</tr>", 1)[0]  # the cell, not the note under the table
    assert "台账中无记录" in other and "项" not in other
