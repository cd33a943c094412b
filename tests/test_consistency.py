"""One figure, one value: for several demo seeds and as-of dates, every number the site's pages
show equals the same figure in the open-data extracts and in ``bangfu status``.

The pages are generated in-process (Markdown with HTML tables, before MkDocs) from the same
data as the extracts; each shown cell is compared with the extract cell as written (``*`` for
withheld, empty for 台账中无记录) or with the status JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from bangfu import monitor, status_report
from bangfu.aggregate import status_of
from bangfu.config import Config
from bangfu.pipeline import Pipeline
from bangfu.publish import site as site_mod
from bangfu.publish.csvtext import csv_bytes
from bangfu.publish.pages_progress import HEADERS as HEAD

from .conftest import demo_corpus

# one worker runs them all (make test: --dist loadgroup): the module's fixtures are made once
pytestmark = pytest.mark.xdist_group("consistency")

ROOT = Path(__file__).resolve().parents[1]
# (seed, as-of): one date inside a reporting month, one after the data's last entries
CASES = [(4, "2025-06-17"), (5, "2026-03-01")]


@pytest.fixture(scope="module", params=CASES, ids=[f"seed{s}-{d}" for s, d in CASES])
def built(request, tmp_path_factory):
    seed, as_of = request.param
    tmp = tmp_path_factory.mktemp(f"consistency{seed}")
    cfg = Config.make(demo_corpus(tmp_path_factory, 400, seed), None, as_of)
    pipe = Pipeline(cfg)
    day = dt.date.fromisoformat(as_of)
    ctx = site_mod.context(pipe.aggregate(day))
    docs = tmp / "src" / "docs"
    pages = {rel: (docs / rel).read_text("utf-8") for rel in site_mod.generate(ctx, tmp / "src")}
    pages["index.md"] = (docs / "index.md").read_text("utf-8")
    model = pipe.model
    status = status_report.as_json(model, status_of(model, day))
    extracts = {
        name: list(csv.DictReader(io.StringIO(csv_bytes(t).decode("utf-8"))))
        for name, t in ctx.tables.items()
    }
    return ctx, pages, extracts, status


_TAG = re.compile(r"<[^>]+>")


def _tables(html: str) -> list[list[list[str]]]:
    out = []
    for t in re.findall(r"<table.*?</table>", html, re.S):
        rows = []
        for tr in re.findall(r"<tr>(.*?)</tr>", t, re.S):
            rows.append(
                [_TAG.sub("", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            )
        out.append([r for r in rows if len(r) > 1])  # not the （暂无） placeholder
    return out


def _shown(cell: str) -> str:
    """A page cell in the extracts' writing: numbers without separators, — as empty."""
    if cell == "—":
        return ""
    return cell.replace(",", "")


def _money(csv_value: str) -> str:
    """An extract amount as the pages round it (whole yuan)."""
    if csv_value in ("", "*"):
        return csv_value
    return f"{float(csv_value):.0f}"


def test_place_pages_show_the_extracts_figures(built):
    ctx, pages, ex, status = built
    m = ctx.model
    villages = {r["id"]: r for r in ex["villages"]}
    townships = {r["id"]: r for r in ex["townships"]}
    counties = {r["id"]: r for r in ex["counties"]}
    overdue = {}
    for r in status["overdue_revisits"]:
        overdue[r["village"]] = overdue.get(r["village"], 0) + 1
    compared = 0
    for cid in ctx.figs.county:
        tables = _tables(pages[f"progress/county/{cid}.md"])
        total, towns, vills = tables[0], tables[1], tables[2]
        c = counties[cid]
        assert [_shown(x) for x in total[0][1:3]] == [c["households"], c["households_paired"]]
        by_name = {t.name: t.id for t in m.townships.values() if t.county == cid}
        for row in towns:
            t = townships[by_name[row[0].split("（")[0]]]
            assert [_shown(x) for x in row[1:3]] == [t["households"], t["households_paired"]], row
        by_pair = {
            (m.townships[v.township].name, v.name): v.id
            for v in m.villages.values()
            if v.county == cid
        }
        for row in vills:
            vid = by_pair[(row[0], row[1])]
            v = villages[vid]
            cells = dict(zip(HEAD, row[3:13], strict=True))
            assert _shown(cells["在册户"]) == v["households"], (vid, row)
            assert _shown(cells["已结对"]) == v["households_paired"], (vid, row)
            assert _shown(cells["在执行方案"]) == v["plans"], (vid, row)
            assert _shown(cells["已交付（元）"]) == _money(v["amount_yuan"]), (vid, row)
            shown_overdue = _shown(cells["逾期回访"])
            if shown_overdue not in ("", "*"):
                assert int(shown_overdue) == overdue.get(vid, 0), (vid, row)
            compared += 1
    assert compared > 10


def test_progress_index_and_home_cards_match_extracts_and_status(built):
    ctx, pages, ex, status = built
    counties = {ctx.county_name(r["id"]): r for r in ex["counties"]}
    tables = _tables(pages["progress/index.md"])
    for row in tables[0][:-1]:  # the last row is the total
        c = counties[row[0]]
        assert [_shown(x) for x in row[1:3]] == [c["households"], c["households_paired"]]
    # warning tiers: the page shows the status's counts, or withholds them
    tier_rows = [t for t in tables if t and t[0] and len(t[0]) == 4]
    tiers = {ctx.county_name(c): n for c, n in status["warning_tiers"].items()}
    for row in tier_rows[-1]:
        for shown, tier in zip(row[1:], ("红", "橙", "黄"), strict=True):
            if _shown(shown) not in ("*", ""):
                assert int(_shown(shown)) == tiers[row[0]][tier], row
    home = re.sub(r"\s+", " ", _TAG.sub(" ", pages["index.md"]))
    running = sum(1 for r in ex["plans"] if r["state"] == "执行中")
    assert re.search(rf" {running} 在执行方案 ", home), home[:600]
    monitored = status["monitored_households"]
    shown = re.search(r" ([\d,]+|\*|—) 监测户 ", home).group(1)
    assert shown == "*" or _shown(shown) == str(monitored), (shown, monitored)


def test_organization_pages_match_plans_extract_and_status(built):
    ctx, pages, ex, status = built
    plans = {r["id"]: r for r in ex["plans"]}
    checked = 0
    for oid in ctx.model.ids("organization"):
        page = pages[f"orgs/{oid}.md"]
        mine = [p for p in sorted(plans) if oid in ctx.model.get("plan", p).data["organizations"]]
        for pid, row in zip(mine, _tables(page)[1], strict=True):
            p = plans[pid]
            assert row[0] == p["name"], row
            assert row[5] == p["state"], row
            assert _shown(row[6]) == _money(p["planned_amount_yuan"]), row
            assert _shown(row[7]) == _money(p["delivered_amount_yuan"]), row
            checked += 1
    assert checked > 5
    index = {row[0]: row[-1] for row in _tables(pages["orgs/index.md"])[0]}
    timed = 0
    for oid, timely in status["report_timeliness"].items():
        shown = index[ctx.name("organization", oid)]
        for state in monitor.TIMELY:
            if timely[state]:
                assert f"{state} {timely[state]}" in shown, (oid, state, shown)
                timed += 1
    assert timed > 5


def test_the_status_alone_equals_the_status_of_every_figure(built):
    """``status_of`` runs only the statements of figures.sql that the status tables need; it
    gives what the whole script gives."""
    from bangfu.aggregate import status as status_mod
    from bangfu.aggregate.store import Store, script, statements

    ctx = built[0]
    store = Store.from_model(ctx.model, ctx.as_of)
    try:
        whole = status_mod.read(store)
    finally:
        store.close()
    assert status_of(ctx.model, ctx.as_of) == whole
    some = statements(status_mod.TABLES)
    assert len(some) < len(script()) and some == [s for s in script() if s in some]
    assert statements() == list(script())
    with pytest.raises(ValueError):
        statements(["no_such_table"])


def test_the_store_keeps_every_table_python_reads_and_drops_the_rest(built):
    """``store.READ`` names exactly the script's tables that the other aggregate modules
    query (a table read from Python but dropped would fail the build; one kept but never read
    would only cost memory); every other table is dropped after the last statement naming
    it, so the store ends holding the read tables alone."""
    from importlib import resources

    from bangfu.aggregate import store as store_mod

    made = store_mod.tables_made()
    named: set[str] = set()
    for f in resources.files("bangfu.aggregate").iterdir():
        if f.name.endswith(".py") and f.name != "store.py":
            named |= set(re.findall(r'\b(?:FROM|JOIN)\s+"?(\w+)', f.read_text("utf-8"))) & made
    assert named == store_mod.READ
    ctx = built[0]
    store = store_mod.Store.from_model(ctx.model, ctx.as_of)
    try:
        left = {t for (t,) in store.rows("SELECT table_name FROM duckdb_tables() WHERE temporary")}
    finally:
        store.close()
    assert left & made == store_mod.READ
    assert {"ent", "hh_month", "contact", "household_on"} <= made - left
    sched = store_mod.schedule()  # nothing is dropped before a later statement names it
    for i, (_, done) in enumerate(sched):
        for stmt, _ in sched[i + 1 :]:
            assert not set(re.findall(r"\w+", re.sub(r"--[^\n]*", "", stmt))) & set(done), done
