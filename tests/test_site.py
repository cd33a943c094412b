"""The public site: builds strictly from data/, marks synthetic data, is deterministic, lists
every key village, escapes record text; the monitoring figures behind it."""

from __future__ import annotations

import csv
import datetime as dt
import html as html_mod
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bangfu import monitor
from bangfu.aggregate import status_of
from bangfu.config import Config, PublishRefused
from bangfu.pipeline import Pipeline

from .conftest import ROOT, bangfu, build_site, make_case, shared_tree

DATA = ROOT / "data"
AS_OF = "2026-01-31"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


# ---------------------------------------------------------------- real data


def test_real_data_builds_strict_with_every_section(real_site):
    for page in (
        "index.html",
        "guide.html",
        "lists/villages.html",
        "lists/counties.html",
        "lists/townships.html",
        "lists/supervised.html",
        "progress/index.html",
        "progress/campaigns.html",
        "orgs/index.html",
        "downloads.html",
        "dictionary.html",
        "errors.html",
        "sources.html",
        "contribute.html",
        "search/search_index.json",
    ):
        assert (real_site / page).is_file(), page
    assert (real_site / "data" / "datapackage.json").is_file()
    # real data: no banner
    assert "synthetic data" not in (real_site / "index.html").read_text("utf-8")


def test_real_site_makes_no_request_elsewhere(real_site):
    for p in real_site.rglob("*.html"):
        html = p.read_text("utf-8")
        for m in re.finditer(r'(?:src|href)="(https?:)?//([^"/]+)', html):
            pytest.fail(f"{p.name} refers to another host: {m.group(0)}")
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html


def test_key_village_page_lists_all_100_under_their_counties(real_site):
    m = Pipeline(Config.make(DATA)).model
    key = {v.id: v for v in m.villages.values() if "定点攻坚村" in v.key_lists}
    assert len(key) == 100
    html = (real_site / "lists" / "villages.html").read_text("utf-8")
    body = html[html.index('id="bf-list"') :]
    body = body[: body.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)[1:]
    found = Counter()
    for row in rows:
        cells = [_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        found[(cells[0], cells[1], cells[2])] += 1
    expected = Counter(
        (m.get("county", v.county).data["name"], m.townships[v.township].name, v.name)
        for v in key.values()
    )
    assert found == expected


def test_guide_figures_come_from_the_policy_records(real_site):
    text = _text((real_site / "guide.html").read_text("utf-8"))
    assert "6,000 元" in text  # monitoring-line-6000
    assert "1.5 倍" in text and "7,245 元" in text and "915 元" in text  # ankang-dibao-multiple
    assert "不少于 5 天" in text
    for days in ("31 天", "183 天", "365 天"):
        assert days in text
    assert "当月 25 日前" in text and "星期二 18:00" in text  # chaoyang: same month
    assert "来源：" in text


def test_guide_marker_without_record_stops_the_build(tmp_path):
    from bangfu.publish import pages_guide

    with pytest.raises(Exception, match="policy:no-such-policy:line"):
        pages_guide.fill(_ctx(), "[[policy:no-such-policy:line]]", "site/x.md")


def _ctx():
    from bangfu.publish.site import context

    return context(Pipeline(Config.make(DATA)).aggregate(dt.date(2026, 1, 31)))


def test_guide_has_no_sentence_copied_from_the_seeds():
    """Our own words: no run of 16 or more Chinese characters from a source document."""
    seeds = ROOT.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("seed documents not beside the repository")
    import unicodedata

    def han(s: str) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFKC", s) if "\u4e00" <= ch <= "\u9fff")

    corpus = han("".join(p.read_text("utf-8") for p in seeds.glob("*.txt")))
    for page in ("guide.md", "index.md", "contribute.md", "disclosure.md"):
        text = han((ROOT / "site" / page).read_text("utf-8"))
        for i in range(len(text) - 15):
            assert text[i : i + 16] not in corpus, f"{page}: {text[i : i + 16]}"


# ---------------------------------------------------------------- demo data


def _site_pages(site):
    """The site's pages: every HTML file but the web editor's (``admin/``, Decap CMS's own page)."""
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "admin")


def test_demo_banner_on_every_page(demo_site):
    pages = _site_pages(demo_site)
    assert len(pages) > 50
    for p in pages:
        html = p.read_text("utf-8")
        assert "演示数据 / synthetic data" in html, p


def test_demo_progress_and_org_pages_have_charts(demo_site):
    html = (demo_site / "progress" / "index.html").read_text("utf-8")
    assert html.count("<svg") >= 3 and "<rect" in html
    # the monthly line is drawn when some month has published entries; a line of zeros where
    # every cell is withheld (*) would tell a reader "nothing happened"
    with (demo_site / "data" / "progress.csv").open(encoding="utf-8") as fh:
        published = any(r["entries"] not in ("", "*", "0") for r in csv.DictReader(fh))
    assert ("<polyline" in html) == published
    county = next((demo_site / "progress" / "county").glob("cq-*.html")).read_text("utf-8")
    assert "<svg" in county
    org = next((demo_site / "orgs").glob("demo-org-*.html")).read_text("utf-8")
    assert "报送及时性" in org and "已交付" in org


def test_small_counts_are_suppressed(demo_site):
    html = (demo_site / "progress" / "index.html").read_text("utf-8")
    assert 'class="bf-withheld"' in html  # 300 households over 41 counties: many small cells
    assert "&lt;5" not in html  # one mark for every withheld cell, never a bound


@pytest.fixture(scope="module")
def second_build(demo_data, tmp_path_factory) -> Path:
    """The demo corpus built a second time, as ``make site`` builds: in a copy of the demo
    folder, ``python -m bangfu site --out public`` (relative paths, no --src, a process of its
    own). The output folder; read-only."""

    def make(folder: Path) -> None:
        work = folder / "repo"
        shutil.copytree(demo_data.parent, work)
        proc = subprocess.run(
            [sys.executable, "-m", "bangfu", "site", "--out", "public"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr

    return shared_tree(tmp_path_factory, "demo-site-again", make) / "repo" / "public"


@pytest.mark.slow
def test_two_builds_are_byte_identical(demo_site, second_build):
    a, b = _tree(demo_site), _tree(second_build)
    assert sorted(a) == sorted(b)
    diff = [k for k in a if a[k] != b[k]]
    assert not diff, diff[:10]


def test_site_date_is_the_data_date_not_the_clock(demo_data, demo_site):
    # outside git the last update is the latest date in the records: here a report submission
    latest = max(
        re.search(r"^submitted: (\S+)$", p.read_text("utf-8"), re.M).group(1)
        for p in demo_data.glob("plans/*/*/reports/*.yaml")
    )
    sitemap = (demo_site / "sitemap.xml").read_text("utf-8")
    assert dt.date.today().isoformat() not in sitemap or latest in sitemap
    assert latest in (demo_site / "index.html").read_text("utf-8")


# ---------------------------------------------------------------- safety


def _real_copy(tmp: Path) -> Path:
    shutil.copytree(DATA, tmp / "repo" / "data")
    shutil.copytree(ROOT / "schemas", tmp / "repo" / "schemas")
    return tmp / "repo"


HOSTILE = ["<script>alert(1)</script>", "**[x](javascript:alert(1))**"]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The real data with each hostile name given to an organization of its own, built once
    per run: (the site, hostile name → the organization's id). Read-only."""
    orgs = sorted((DATA / "organizations").glob("*.yaml"))[: len(HOSTILE)]

    def make(folder: Path) -> None:
        root = _real_copy(folder)
        for name, org in zip(HOSTILE, orgs, strict=True):
            target = root / "data" / "organizations" / org.name
            text = re.sub(
                r"^name: .*$",
                "name: " + json.dumps(name, ensure_ascii=False),
                target.read_text("utf-8"),
                count=1,
                flags=re.M,
            )
            target.write_text(text, "utf-8")
        res = build_site(root / "data", folder / "out", folder / "src", "--as-of", "2025-01-01")
        assert res.returncode == 0, res.stderr + res.stdout

    out = shared_tree(tmp_path_factory, "hostile-site", make) / "out"
    return out, {name: org.stem for name, org in zip(HOSTILE, orgs, strict=True)}


@pytest.mark.parametrize("name", HOSTILE)
def test_record_text_is_escaped(hostile_site, name):
    out, org_of = hostile_site
    page = (out / "orgs" / f"{org_of[name]}.html").read_text("utf-8")
    # shown, as text: the organization's own name, character for character
    assert "alert(1)" in page
    assert name in html_mod.unescape(_text(page))
    for p in out.rglob("*.html"):
        html = p.read_text("utf-8")
        assert "<script>alert(1)" not in html, p
        assert 'href="javascript:' not in html.lower(), p
        assert "<strong><a" not in html, p


def test_site_refuses_data_with_errors(tmp_path):
    root = make_case(tmp_path, None)
    (root / "data" / "organizations" / "broken.yaml").write_text("id: [unclosed\n", "utf-8")
    res = build_site(root / "data", tmp_path / "out", tmp_path / "src")
    assert res.returncode == 1
    assert "broken.yaml" in res.stderr
    assert not (tmp_path / "out").exists()


def test_site_will_not_overwrite_a_foreign_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "precious.txt").write_text("keep", "utf-8")
    root = make_case(tmp_path, None)
    res = build_site(root / "data", tmp_path / "out", tmp_path / "src")
    assert res.returncode == 2
    assert (tmp_path / "out" / "precious.txt").read_text("utf-8") == "keep"


def test_refusal_is_an_exception_with_findings(tmp_path):
    root = make_case(tmp_path, None)
    (root / "data" / "organizations" / "broken.yaml").write_text("id: [unclosed\n", "utf-8")
    with pytest.raises(PublishRefused, match="数据有错误，不生成网站：\n.*broken.yaml"):
        Pipeline(Config.make(root / "data")).refuse_if_errors("site")


# ---------------------------------------------------------------- monitoring figures


def test_deadline_rules():
    d = dt.date
    after = {"due_period": "下一期"}
    monthly = monitor.expected_periods(
        {"cadence": "每月", "day_of_month": 25, "months": [4, 5], **after},
        d(2020, 3, 24),
        d(2020, 12, 31),
    )
    assert [(p[0], p[3]) for p in monthly] == [
        ("2020-04", d(2020, 5, 25)),
        ("2020-05", d(2020, 6, 25)),
    ]
    weekly = monitor.expected_periods(
        {"cadence": "每周", "weekday": 2, "time": "18:00", **after}, d(2020, 5, 12), d(2020, 5, 24)
    )
    # ISO weeks 20 (11–17 May) and 21 (18–24 May); due the Tuesday after each
    assert [(p[0], p[3]) for p in weekly] == [
        ("2020-W20", d(2020, 5, 19)),
        ("2020-W21", d(2020, 5, 26)),
    ]
    quarterly = monitor.expected_periods(
        {"cadence": "每季度", **after}, d(2020, 5, 14), d(2020, 12, 31)
    )
    assert [(p[0], p[3]) for p in quarterly] == [
        ("2020-Q2", d(2020, 7, 31)),
        ("2020-Q3", d(2020, 10, 31)),
        ("2020-Q4", d(2021, 1, 31)),
    ]
    feb = monitor.expected_periods(
        {"cadence": "每月", "day_of_month": 31, **after}, d(2021, 1, 1), d(2021, 1, 31)
    )
    assert feb[0][3] == d(2021, 2, 28)
    inside = monitor.expected_periods(
        {"cadence": "每季度", "day_of_month": 20, "due_period": "本期"},
        d(2020, 4, 1),
        d(2020, 6, 30),
    )
    assert [(p[0], p[3]) for p in inside] == [("2020-Q2", d(2020, 6, 20))]
    # a campaign that does not say when a period is due has no deadline to judge against
    assert monitor.expected_periods({"cadence": "每月"}, d(2020, 1, 1), d(2020, 12, 31)) == []


def test_status_lists_overdue_households_and_timeliness(demo_data):
    res = bangfu("status", "--data", str(demo_data), "--as-of", AS_OF, "--format", "json", cwd=ROOT)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["as_of"] == AS_OF
    assert out["overdue_revisits"] and all(
        r["household"].startswith("h-") for r in out["overdue_revisits"]
    )
    assert all(r["days_overdue"] > 0 for r in out["overdue_revisits"])
    assert set(next(iter(out["warning_tiers"].values()))) == {"红", "橙", "黄"}
    states = Counter()
    for o in out["report_timeliness"].values():
        states.update({k: o[k] for k in monitor.TIMELY if o[k] is not None})
    assert states["按时"] and states["逾期"]
    text = bangfu("status", "--data", str(demo_data), "--as-of", AS_OF, cwd=ROOT)
    assert text.returncode == 0 and "逾期未回访" in text.stdout and "报送及时性" in text.stdout


def test_revisit_overdue_uses_policy_interval(tmp_path):
    root = make_case(tmp_path, None)
    m = Pipeline(Config.make(root / "data")).model
    hh = next(iter(m.by_kind["household"].values()))
    st = status_of(m, dt.date(2030, 1, 1))
    rows = [r for r in st.revisits if r.household == hh.id]
    if hh.data.get("status") in monitor.MONITORED:
        assert rows and rows[0].days_overdue > 0 and rows[0].interval > 0
    else:
        assert not rows


def test_generated_pages_are_not_committed():
    assert not (ROOT / "site" / "lists").exists()
    assert not (ROOT / "site" / "orgs").exists()


def test_site_builds_with_relative_paths_from_the_repository_root(second_build):
    """Regression: `make site` passes relative --out/--src; MkDocs runs inside src."""
    assert (second_build / "index.html").is_file()
    assert (second_build / "data" / "datapackage.json").is_file()


# ---------------------------------------------------------------- reading and using the site


def test_beijing_time_of_the_data_date():
    from bangfu.publish.text import beijing_text

    assert beijing_text("2026-11-24T03:56:10+00:00") == "2026年11月24日 11:56（北京时间）"
    assert beijing_text("2026-11-30T22:54:44+00:00") == "2026年12月1日 06:54（北京时间）"


def test_every_page_has_the_footer_with_the_data_date_in_beijing_time(demo_site):
    home = (demo_site / "index.html").read_text("utf-8")
    when = re.search(r"<span data-bf-updated>([^<]+)</span>", home).group(1)
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d（北京时间）", when), when
    assert "+00:00" not in _text(home)
    for p in _site_pages(demo_site):
        html = p.read_text("utf-8")
        footer = html[html.index("data-bf-footer") :]
        assert when in footer and "CC-BY-4.0" in footer, p
        assert "sources.html" in footer and "contribute.html#corrections" in footer, p


def test_tablesort_is_vendored_at_the_pinned_version(demo_site):
    pinned = json.loads((ROOT / "package.json").read_text("utf-8"))["dependencies"]["tablesort"]
    lock = json.loads((ROOT / "package-lock.json").read_text("utf-8"))
    assert lock["packages"]["node_modules/tablesort"]["version"] == pinned
    vendored = ROOT / "site/assets/vendor/tablesort/tablesort.min.js"
    assert f"tablesort v{pinned} " in vendored.read_text("utf-8")[:200]
    assert (ROOT / "site/assets/vendor/tablesort/LICENCE").is_file()
    installed = ROOT / "node_modules/tablesort/dist/tablesort.min.js"
    if installed.is_file():
        assert installed.read_bytes() == vendored.read_bytes()
    built = demo_site / "assets/vendor/tablesort/tablesort.min.js"
    assert built.read_bytes() == vendored.read_bytes()
    assert "assets/vendor/tablesort/tablesort.min.js" in (demo_site / "index.html").read_text(
        "utf-8"
    )


def test_data_pages_hide_the_sidebars(demo_site):
    for rel in ("progress/index.html", "lists/villages.html", "orgs/index.html"):
        html = (demo_site / rel).read_text("utf-8")
        assert re.search(r'class="md-sidebar md-sidebar--primary"[^>]*hidden', html), rel
    prose = (demo_site / "contribute.html").read_text("utf-8")
    assert not re.search(r'class="md-sidebar md-sidebar--primary"[^>]*hidden', prose)


def test_search_index_holds_partial_names_once(real_site):
    docs = json.loads((real_site / "search/search_index.json").read_text("utf-8"))["docs"]
    org = next(d for d in docs if d["location"] == "orgs/gs-qingshui-mifeng-chanye-xiehui.html")
    assert "\u200b蜜蜂\u200b" in org["title"]  # a token of its own: 蜜蜂 finds it
    assert org["title"].replace("\u200b", "") == "清水县蜜蜂产业协会"  # shown once, unchanged


def test_every_chart_has_a_data_table_and_a_download(demo_site):
    for p in sorted(demo_site.rglob("*.html")):
        html = p.read_text("utf-8")
        figures = re.findall(r'<figure class="bf-chart">.*?</figure>', html, re.S)
        for fig in figures:
            assert 'class="bf-chart-download"' in fig and 'download="' in fig, p
            assert '<details class="bf-chart-data">' in fig and "<table" in fig, p


def test_stacked_chart_labels_every_county_and_keeps_its_legend_inside(demo_site):
    from bangfu.publish import charts

    names = [f"区县{i:02d}" for i in range(41)]
    series = [
        (c, [i % 7 for i in range(41)]) for c in ("低保边缘户", "脱贫不稳定户", "突发严重困难户")
    ]
    fig = charts.stacked_bars("测试", names, series, head="区县")
    svg = fig[: fig.index("</svg>")]
    assert all(f">{n}</text>" in svg for n in names)
    for x, label in re.findall(r'<text x="([\d.]+)" y="[\d.]+" class="bf-lbl">([^<]+)<', svg):
        assert float(x) + charts.text_width(label) <= 720, label
    assert "低保边缘户" in fig[fig.index("<details") :]


def test_withheld_cells_show_as_withheld_in_the_chart_table():
    from bangfu.aggregate.columns import WITHHELD
    from bangfu.publish import charts

    fig = charts.stacked_bars("测试", ["甲县", "乙县"], [("低保边缘户", [12, WITHHELD])])
    data = fig[fig.index("<details") :]
    assert 'class="bf-withheld"' in data and ">12<" in data


def test_county_without_anything_to_chart_has_no_chart_heading(tmp_path):
    from bangfu.publish import pages_progress
    from bangfu.publish.site import context

    root = make_case(tmp_path, None)
    shutil.rmtree(root / "data/plans/tc-alpha/tp-one/reports")  # a running plan, no report yet
    pipe = Pipeline(Config.make(root / "data", as_of="2024-06-30"))
    page = pages_progress.county_page(context(pipe.aggregate(dt.date(2024, 6, 30))), "tc-alpha")
    assert "## 乡镇" in page and "图表" not in page


def test_no_empty_chart_heading(real_site, demo_site):
    for site in (real_site, demo_site):
        for p in sorted((site / "progress" / "county").glob("*.html")):
            html = p.read_text("utf-8")
            if 'id="图表"' in html or ">图表</h2>" in html:
                after = html[html.index(">图表</h2>") :]
                assert "<svg" in after, p


def test_a_page_reads_its_rows_through_the_index_as_a_scan_would_find_them(demo_data):
    """``rows_where`` (one index per table and column) gives a county's or an organization's
    rows as a scan of the whole table would, in the table's order; the county page's charts
    are summed from them (demo data: synthetic)."""
    from bangfu.publish.site import context

    pipe = Pipeline(Config.make(demo_data))
    ctx = context(pipe.publishable("site", None))
    checked = 0
    for table, column in (("report_entries", "plan"), ("progress", "village"), ("plans", "id")):
        rows = ctx.tables[table].rows
        present = sorted({r[column] for r in rows})
        assert present, table
        for values in (present[:1], present[::3], present, ["no-such-id"], []):
            want = [r for r in rows if r[column] in set(values)]
            got = ctx.rows_where(table, column, values)
            assert [id(r) for r in got] == [id(r) for r in want]
            checked += len(got)
        # twice the same value, and an unordered set: the same rows, once each, in order
        assert ctx.rows_where(table, column, None) == rows  # no choice: every row
        assert ctx.rows_where(table, column, [present[-1]] * 2) == [
            r for r in rows if r[column] == present[-1]
        ]
    periods = ctx.status.periods
    plans = sorted({p.plan for p in periods})
    assert plans
    for chosen in (plans[:1], set(plans[::2]), plans, ["no-such-plan"]):
        want = [p for p in periods if p.plan in set(chosen)]
        assert [id(p) for p in ctx.periods_of(chosen)] == [id(p) for p in want]
        checked += len(want)
    assert checked > 0


def test_pages_are_written_as_they_are_made_and_not_kept(demo_data, tmp_path, monkeypatch):
    """``generate`` writes each page per plan, village and campaign before it makes the next
    (at 500,000 households, keeping them all until the end held 1.7 GB), and returns every
    page it wrote, each with the text its module makes (demo data: synthetic)."""
    from bangfu.publish import pages_campaign, pages_plan, pages_village
    from bangfu.publish.site import context, generate

    ctx = context(Pipeline(Config.make(demo_data)).publishable("site", None))
    docs = tmp_path / "src" / "docs"
    made: list[str] = []
    for mod, name, folder in (
        (pages_plan, "plan_page", "plans"),
        (pages_village, "village_page", "villages"),
        (pages_campaign, "campaign_page", "campaigns"),
    ):
        real = getattr(mod, name)

        def making(ctx_, key, *rest, _real=real, _folder=folder):
            if made and made[-1].startswith(_folder + "/"):
                assert (docs / made[-1]).is_file(), f"{made[-1]} not written before the next"
            made.append(f"{_folder}/{key}.md")
            return _real(ctx_, key, *rest)

        monkeypatch.setattr(mod, name, making)
    names = generate(ctx, tmp_path / "src")
    monkeypatch.undo()
    plans = [n for n in names if n.startswith("plans/")]
    assert len(plans) > 20 and [n for n in made if n.startswith("plans/")] == plans
    assert sorted(made) == sorted(
        n for n in names if n.split("/")[0] in ("plans", "villages", "campaigns")
    )
    assert len(names) == len(set(names)) and all((docs / n).is_file() for n in names)
    for mod in (pages_plan, pages_village, pages_campaign):
        for rel, text in mod.each(ctx):
            assert (docs / rel).read_text("utf-8") == text
