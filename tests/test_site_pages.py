"""Pages per key village, plan and campaign, the downloads page, the SQLite file, the name
columns and 最近更新 with its Atom feed — on one demo site built from a data repository with
two release tags, plus a small temp repository for exact release counts."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import types
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from bangfu import releases
from bangfu.publish import pages_changes

from .conftest import (
    ROOT,
    bangfu,
    built_site,
    commit,
    edit,
    git,
    init_repo,
    make_case,
    shared_tree,
)

# one worker runs the module: the others would wait for its site build
pytestmark = pytest.mark.xdist_group("site_pages")

ATOM = "{http://www.w3.org/2005/Atom}"
KEY_FLAGS = ("targeted_village", "supervised_village", "poor_village")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.sizes: list[tuple[str, int]] = []  # (href of the download before it, bytes)
        self.rows: dict[str, int] = {}
        self._last_href = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        for k in ("href", "src"):
            if a.get(k):
                self.hrefs.append(a[k])
        if tag == "a" and "bf-download" in (a.get("class") or ""):
            self._last_href = a["href"]
        if "bf-size" in (a.get("class") or ""):
            self.sizes.append((self._last_href, int(a["data-bytes"])))
        if "bf-rows" in (a.get("class") or ""):
            self.rows[a["data-table"]] = int(a["data-rows"])


def parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text("utf-8"))
    return p


def csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------- one demo site, two releases

AS_OF = "2026-06-30"  # after every date of the demo (the commits' dates are fixed in the past)


def _released_demo(folder: Path) -> None:
    res = bangfu("demo", "--households", "300", "--seed", "4", "--out", str(folder / "d"), cwd=ROOT)
    assert res.returncode == 0, res.stderr
    root = init_repo(folder / "d")
    git(root, "tag", "v1")
    org = sorted((root / "data" / "organizations").glob("*.yaml"))[0]
    text = org.read_text("utf-8")
    phone = re.search(r"office_phone: '?([0-9-]+)'?", text)
    assert phone, text
    edit(root, org.relative_to(root).as_posix(), phone.group(1), "023-11112222")
    commit(root, "phone")
    git(root, "tag", "v2")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A demo data repository with two release tags, made once per run. Read-only."""
    return shared_tree(tmp_path_factory, "pages-demo", _released_demo) / "d"


@pytest.fixture(scope="module")
def site(demo, tmp_path_factory) -> Path:
    """Its site, built once per run. Read-only."""
    return built_site(tmp_path_factory, "pages-site", demo / "data", "--as-of", AS_OF)


def test_a_page_for_every_key_village_plan_and_campaign(site):
    data = site / "data"
    key = {
        r["id"] for r in csv_rows(data / "villages.csv") if any(r[f] == "true" for f in KEY_FLAGS)
    }
    assert key and {p.stem for p in (site / "villages").glob("*.html")} == key
    plans = {r["id"] for r in csv_rows(data / "plans.csv")}
    assert plans and {p.stem for p in (site / "plans").glob("*.html")} == plans
    camps = {r["id"] for r in csv_rows(data / "campaigns.csv")}
    assert camps and {p.stem for p in (site / "campaigns").glob("*.html")} == camps


def test_every_internal_link_resolves(site):
    pages = {p: parse(p) for p in site.rglob("*.html") if p.name != "404.html"}
    bad = []
    for page, parsed in pages.items():
        for href in parsed.hrefs:
            u = urlsplit(href)
            if u.scheme or href.startswith("//"):
                continue
            target = (page.parent / unquote(u.path)).resolve() if u.path else page
            if target.is_dir():
                target = target / "index.html"
            missing = not target.is_file()
            anchor = u.fragment and target in pages and unquote(u.fragment) not in pages[target].ids
            if missing or anchor:
                bad.append((page.relative_to(site).as_posix(), href))
    assert len(pages) > 200
    assert not bad, bad[:20]


def _links(site: Path, rel: str) -> set[str]:
    """The site pages a page links to, as paths from the site root."""
    page = site / rel
    out = set()
    for href in parse(page).hrefs:
        u = urlsplit(href)
        if u.scheme or not u.path.endswith(".html"):
            continue
        out.add((page.parent / u.path).resolve().relative_to(site.resolve()).as_posix())
    return out


def test_pages_link_their_neighbours(site):
    data = site / "data"
    target = next(
        r
        for r in csv_rows(data / "plan_targets.csv")
        if (site / "villages" / f"{r['village']}.html").is_file()
    )
    pid, vid = target["plan"], target["village"]
    plan = next(r for r in csv_rows(data / "plans.csv") if r["id"] == pid)
    org = next(r for r in csv_rows(data / "plan_organizations.csv") if r["plan"] == pid)
    village = next(r for r in csv_rows(data / "villages.csv") if r["id"] == vid)
    county = f"progress/county/{village['county']}.html"
    p = _links(site, f"plans/{pid}.html")
    assert {
        f"villages/{vid}.html",
        f"orgs/{org['organization']}.html",
        f"campaigns/{plan['campaign']}.html",
        f"progress/county/{plan['county']}.html",
    } <= p
    assert {f"plans/{pid}.html", county} <= _links(site, f"villages/{vid}.html")
    assert f"villages/{vid}.html" in _links(site, county)
    assert f"plans/{pid}.html" in _links(site, f"orgs/{org['organization']}.html")
    camp = _links(site, f"campaigns/{plan['campaign']}.html")
    assert f"plans/{pid}.html" in camp and any(x.startswith("progress/county/") for x in camp)
    assert f"campaigns/{plan['campaign']}.html" in _links(site, "progress/campaigns.html")
    assert f"villages/{vid}.html" in _links(site, "lists/villages.html") | _links(
        site, "lists/supervised.html"
    )


def test_village_page_shows_published_months_and_no_invented_jiuyou(site):
    data = site / "data"
    months: dict[str, int] = {}
    for r in csv_rows(data / "progress.csv"):
        months[r["village"]] = months.get(r["village"], 0) + 1
    vid = next(v for v in sorted(months) if (site / "villages" / f"{v}.html").is_file())
    html = (site / "villages" / f"{vid}.html").read_text("utf-8")
    table = html.split("逐月监测和走访</h2>", 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") - 1 == months[vid]  # one row per published progress row
    assert "九有情况" in html and "台账中无记录" in html.split("九有情况", 1)[1][:400]


def test_progress_rows_carry_names_next_to_ids(site):
    data = site / "data"
    villages = {r["id"]: r for r in csv_rows(data / "villages.csv")}
    towns = {r["id"]: r["name"] for r in csv_rows(data / "townships.csv")}
    progress = csv_rows(data / "progress.csv")
    assert progress
    for r in progress:
        v = villages[r["village"]]
        assert (r["village_name"], r["township_name"], r["county_name"]) == (
            v["name"],
            towns[v["township"]],
            v["county_name"],
        )
    orgs = {r["id"]: r["name"] for r in csv_rows(data / "organizations.csv")}
    for r in csv_rows(data / "plan_organizations.csv"):
        assert r["organization_name"] == orgs[r["organization"]] and r["plan_name"]


def test_downloads_page_lists_every_file_with_its_size_and_rows(site):
    import json

    data = site / "data"
    page = parse(site / "downloads.html")
    desc = json.loads((data / "datapackage.json").read_text("utf-8"))
    files = {"datapackage.json", "bangfu-tables.xlsx"} | {r["path"] for r in desc["resources"]}
    files |= {f"excel/{r['path']}" for r in desc["resources"] if r["type"] == "table"}
    assert "bangfu-tables.sqlite" in files
    every = {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()}
    assert files == every  # the descriptor (and its Excel copies) covers the whole package
    sizes = {href.removeprefix("data/"): n for href, n in page.sizes}
    assert set(sizes) == files
    for rel, n in sizes.items():
        assert n == (data / rel).stat().st_size, rel
    tables = [r for r in desc["resources"] if r["type"] == "table"]
    assert page.rows == {r["name"]: len(csv_rows(data / r["path"])) for r in tables}
    html = (site / "downloads.html").read_text("utf-8")
    assert "WPS" in html and "Excel" in html
    for r in tables:  # a dictionary per table, from its table schema
        section = html.split(f'id="dict-{r["name"]}"', 1)[1].split("</details>", 1)[0]
        for f in r["schema"]["fields"]:
            assert f"<code>{f['name']}</code>" in section, (r["name"], f["name"])


def _sqlite_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def test_sqlite_file_holds_every_table_as_the_csv_does(site):
    import json

    data = site / "data"
    raw = (data / "bangfu-tables.sqlite").read_bytes()
    assert raw[:16] == b"SQLite format 3\x00" and int.from_bytes(raw[16:18], "big") == 4096
    desc = json.loads((data / "datapackage.json").read_text("utf-8"))
    con = sqlite3.connect(f"file:{data / 'bangfu-tables.sqlite'}?mode=ro", uri=True)
    try:
        for r in (r for r in desc["resources"] if r["type"] == "table"):
            fields = r["schema"]["fields"]
            flags = set(desc["bangfu"]["suppressed_columns"].get(r["name"], []))
            rows = csv_rows(data / r["path"])
            cols = ", ".join(
                f'"{f["name"]}"' + (f', "{f["name"]}_suppressed"' if f["name"] in flags else "")
                for f in fields
            )
            got = con.execute(f'SELECT {cols} FROM "{r["name"]}" ORDER BY rowid').fetchall()
            assert len(got) == len(rows), r["name"]
            for csv_row, db_row in zip(rows, got, strict=True):
                values = iter(db_row)
                for f in fields:
                    v = next(values)
                    withheld = next(values) if f["name"] in flags else 0
                    text = csv_row[f["name"]]
                    if text == "*":
                        assert v is None and withheld == 1
                    elif f["type"] == "boolean":
                        assert v == (text == "true") and not withheld
                    elif f["type"] == "number" and text:
                        assert float(text) == v
                    else:
                        assert (_sqlite_value(v), withheld) == (text, 0), (r["name"], f["name"])
        n = con.execute("SELECT count(*) FROM _columns").fetchone()[0]
        assert n >= sum(len(r["schema"]["fields"]) for r in desc["resources"] if "schema" in r)
    finally:
        con.close()


def test_sqlite_file_is_the_same_bytes_from_the_same_data(site, demo, tmp_path):
    """``bangfu export`` of the site's data writes the site's SQLite file again, byte for byte:
    two separate builds of the same data (the site's and this export) agree."""
    res = bangfu(
        "export",
        "--data",
        str(demo / "data"),
        "--out",
        str(tmp_path / "a"),
        "--as-of",
        AS_OF,  # the site's
        cwd=ROOT,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    again = (tmp_path / "a" / "bangfu-tables.sqlite").read_bytes()
    assert again == (site / "data" / "bangfu-tables.sqlite").read_bytes()


# ---------------------------------------------------------------- 最近更新 and the feed


def test_feed_is_valid_atom_with_one_entry_per_release(site):
    root = ET.parse(site / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    for el in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{el}") or "").strip(), el
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title").split("：")[0] for e in entries] == [
        "数据发布 v2",
        "数据发布 v1",
    ]
    ids = set()
    page = parse(site / "changes.html")
    for e in entries:
        for el in ("id", "title", "updated"):
            assert (e.findtext(f"{ATOM}{el}") or "").strip(), el
        ids.add(e.findtext(f"{ATOM}id"))
        href = e.find(f"{ATOM}link").get("href")
        path, _, frag = href.partition("#")
        assert path == "changes.html" and frag in page.ids
    assert len(ids) == 2
    assert root.findtext(f"{ATOM}updated") == entries[0].findtext(f"{ATOM}updated")
    # v2 changed one organization's phone: one row of organizations.csv, nothing added
    text = re.sub(r"<[^>]+>", "", (site / "changes.html").read_text("utf-8"))
    assert "新增 0 条、修改 1 条、删除 0 条" in text


def test_release_counts_between_two_tags(tmp_path):
    root = init_repo(make_case(tmp_path, None))
    git(root, "tag", "v1")
    org = "data/organizations/to-helpers.yaml"
    edit(root, org, "023-87654321", "023-87654322")  # a changed row
    second = (root / org).read_text("utf-8").replace("to-helpers", "to-second")
    (root / "data/organizations/to-second.yaml").write_text(
        second.replace("测试爱心协会", "测试第二协会"), "utf-8"
    )  # an added row
    report = root / "data/plans/tc-alpha/tp-one/reports/2024-03.yaml"
    report.write_text(
        report.read_text("utf-8")
        + "corrections:\n  - date: 2024-04-01\n    by: 帮扶主体\n    reason: 补录\n"
        "    path: $.entries\n    original: 无\n",
        "utf-8",
    )  # a corrected record
    household = sorted((root / "data" / "households").rglob("*.yaml"))[0]
    household.write_text(
        household.read_text("utf-8")
        + "corrections:\n  - date: 2024-04-01\n    by: 村委会\n    reason: 核对\n"
        "    path: $.address\n    original: 旧址\n",
        "utf-8",
    )  # a household's note is private: never counted
    commit(root, "second release")
    git(root, "tag", "-a", "v2", "-m", "第二次发布")
    rel = releases.read(root / "data", ROOT / "schemas")
    assert rel.note is None and [r.tag for r in rel.releases] == ["v2", "v1"]
    v2, v1 = rel.releases
    assert (v2.previous, v2.added, v2.changed, v2.removed, v2.corrected) == ("v1", 1, 1, 0, 1)
    assert (v2.tables["organizations"].added, v2.tables["organizations"].changed) == (1, 1)
    assert v1.previous is None and v1.added > 0 and v1.changed == v1.removed == 0
    ctx = types.SimpleNamespace(updated="2025-01-01T00:00:00+00:00", synthetic=False)
    feed = ET.fromstring(pages_changes.feed(ctx, rel))
    first = feed.find(f"{ATOM}entry")
    assert (
        "新增 1 条、修改 1 条、删除 0 条记录（公开数据表中的行），更正 1 条记录"
        in first.findtext(f"{ATOM}title")
    )
    assert feed.findtext(f"{ATOM}updated") == v2.date


def test_without_a_repository_or_tags_the_page_says_so(tmp_path):
    data = make_case(tmp_path, None) / "data"
    none = releases.read(data, ROOT / "schemas")
    assert none.releases == [] and "不在 Git 仓库中" in none.note
    init_repo(data.parent)
    untagged = releases.read(data, ROOT / "schemas")
    assert untagged.releases == [] and "还没有发布标签" in untagged.note
    ctx = types.SimpleNamespace(updated="2025-01-01T00:00:00+00:00", synthetic=True)
    page = pages_changes.changes_page(ctx, untagged)
    assert "还没有发布标签" in page
    feed = ET.fromstring(pages_changes.feed(ctx, untagged))
    assert feed.findtext(f"{ATOM}updated") == ctx.updated and not feed.findall(f"{ATOM}entry")


def test_search_index_holds_plan_and_village_pages_by_title_and_one_line(site):
    docs = json.loads((site / "search/search_index.json").read_text("utf-8"))["docs"]
    by_page: dict[str, list[dict]] = {}
    for d in docs:
        by_page.setdefault(d["location"].split("#")[0], []).append(d)
    data = site / "data"
    reported = {r["plan"] for r in csv_rows(data / "report_entries.csv")}
    plans = csv_rows(data / "plans.csv")
    assert plans and reported
    for p in plans:
        (entry,) = by_page[f"plans/{p['id']}.html"]  # one entry: no section per table heading
        assert entry["title"].replace("\u200b", "") == p["name"]
        # the county line, whatever the plan's reports: the entry does not grow with them
        assert entry["text"].replace("\u200b", "") == f"<p>区县：{p['county_name']}</p>"
    plan = next(p for p in plans if p["id"] in reported)
    html = (site / "plans" / f"{plan['id']}.html").read_text("utf-8")
    assert "报送期" in html  # the page itself keeps its report table
    villages = {r["id"]: r for r in csv_rows(data / "villages.csv")}
    pages = sorted((site / "villages").glob("*.html"))
    assert pages
    for page in pages:
        v = villages[page.stem]
        (entry,) = by_page[f"villages/{page.stem}.html"]
        assert entry["title"].replace("\u200b", "") == f"{v['name']}（{v['county_name']}）"
        line = f"<p>乡镇（街道）：{v['township_name']}；区县：{v['county_name']}</p>"
        assert entry["text"].replace("\u200b", "") == line
    # a partial name is a token of its own: 幸福 (from 幸福村) finds the village and its plans
    v = next(
        v
        for v in villages.values()
        if (site / "villages" / f"{v['id']}.html").is_file()
        and len(v["name"].removesuffix("村")) == 2
    )
    stem = v["name"].removesuffix("村")
    (entry,) = by_page[f"villages/{v['id']}.html"]
    assert stem in entry["title"].split("\u200b")
    assert "逐月监测和走访" not in json.dumps(
        by_page[f"villages/{v['id']}.html"], ensure_ascii=False
    )
