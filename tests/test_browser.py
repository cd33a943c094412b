"""Headless Debian Chromium over the built demo site (and the real one for search): no console
errors, no failed or external requests, charts drawn, filters and Chinese search work; at 1280
and 390 px no page scrolls sideways, no table hides columns at 1280, no short name wraps, every
table sorts. Screenshots of each page kind at both widths go to build/screenshots/."""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path

import pytest

from .browser_helpers import SHOTS, Watch, assert_nothing_stored, serve
from .conftest import require_system

# one worker runs them all, on one Chromium: the others would wait for the same site build
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def site_dir(demo_site):
    require_system("chromium", shutil.which("chromium") is not None)
    return demo_site


@pytest.fixture(scope="module")
def site(site_dir):
    with serve(site_dir) as url:
        yield url


@pytest.fixture(scope="module")
def real_url(real_site):
    """The site of the repository's own data/ (its organization names are real), served."""
    require_system("chromium", shutil.which("chromium") is not None)
    with serve(real_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser(site, chromium):
    return chromium


def _load(page, url: str) -> None:
    """Go to ``url`` and wait until the page and its fonts are loaded."""
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")


@pytest.fixture(scope="module")
def tabs(browser):
    """One page per width, shared by the module's tests. Each visit is a fresh navigation with
    a watch of its own, so what a test typed, clicked or filtered is gone for the next; what is
    shared is Chromium's renderer process, whose start (about 0.65 CPU-seconds for a new page
    or context here, against 0.35 for a navigation) the tests do not need. The site keeps
    nothing in the browser (no cookie, nothing in local or session storage): every visit
    asserts it, so nothing a visit leaves behind reaches the next. A visit that fails closes
    its page."""
    opened: dict = {}
    yield opened
    for ctx, _ in opened.values():
        ctx.close()


@contextlib.contextmanager
def _visit(browser, tabs: dict, url: str, width: int = 1280):
    if width not in tabs:
        ctx = browser.new_context(
            viewport={"width": width, "height": 900}, locale="zh-CN", accept_downloads=True
        )
        tabs[width] = (ctx, ctx.new_page())
    ctx, page = tabs[width]
    watch = Watch(page)
    try:
        _load(page, url)
        yield page, watch
        watch.clean()
        assert_nothing_stored(page)
    except BaseException:
        del tabs[width]
        ctx.close()
        raise
    finally:
        watch.detach()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def _banner(page) -> None:
    assert page.locator("[data-bf-banner=synthetic]").first.is_visible()
    assert "synthetic data" in page.locator("[data-bf-banner=synthetic]").first.inner_text()


def test_home(browser, tabs, site):
    with _visit(browser, tabs, f"{site}/index.html") as (page, _):
        _banner(page)
        assert page.locator(".bf-card").count() >= 6
        assert "数据最后更新" in page.inner_text("article")
        _shot(page, "home")


def test_key_village_list_filter(browser, tabs, site):
    with _visit(browser, tabs, f"{site}/lists/villages.html") as (page, _):
        _banner(page)
        rows = page.locator("#bf-list tbody tr")
        assert rows.count() == 100
        page.fill("input.bf-filter-input", "长春村")
        visible = [r for r in rows.all() if r.is_visible()]
        assert len(visible) == 1 and "黔江区" in visible[0].inner_text()
        _shot(page, "key-villages")
        page.fill("input.bf-filter-input", "")


def test_progress_page_draws_charts(browser, tabs, site):
    with _visit(browser, tabs, f"{site}/progress/index.html") as (page, _):
        _banner(page)
        charts = page.locator("figure.bf-chart svg")
        # plans per county and delivery by kind; in this small demo every monthly cell is withheld,
        # so the monthly charts (all zeros) are left out
        assert charts.count() >= 2
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 100 and box["height"] > 50
            assert charts.nth(i).locator("rect, polyline, circle").count() > 0
        page.locator("figure.bf-chart").nth(1).scroll_into_view_if_needed()
        _shot(page, "progress")
    with _visit(browser, tabs, f"{site}/progress/county/cq-qianjiang.html") as (page, _):
        assert page.locator("figure.bf-chart svg").count() >= 1
        _shot(page, "progress-county")


def test_organization_page(browser, tabs, site):
    with _visit(browser, tabs, f"{site}/orgs/index.html") as (page, watch):
        watch.settle()  # leaving the page would abort what it still loads
        first = page.locator("#bf-orgs tbody tr a").first
        first.click()
        page.wait_for_load_state("load")
        _banner(page)
        text = page.inner_text("article")
        assert "结对方案" in text and "报送及时性" in text
        _shot(page, "organization")


def test_chinese_search_finds_a_key_village(browser, tabs, site):
    with _visit(browser, tabs, f"{site}/index.html") as (page, _):
        page.keyboard.press("s")  # the theme's search shortcut
        # Chinese is entered through an input method: the text arrives, then a key event
        # ends the composition; the theme reads the query on keyup
        page.fill("input.md-search__input", "长春村")
        page.keyboard.press("End")
        result = page.locator(".md-search-result__item").first
        result.wait_for(timeout=20000)
        links = [
            a.get_attribute("href") or "" for a in page.locator(".md-search-result__link").all()
        ]
        assert any("lists/villages.html" in h or "cq-qianjiang" in h for h in links), links
        # the index separates words with zero-width spaces, which a reader does not see
        assert "长春村" in page.locator(".md-search-result").inner_text().replace("\u200b", "")
        _shot(page, "search")


# ---------------------------------------------------------------- layout, sorting, search

# page kind → page of the demo site (the organization page is found on disk)
PAGES = {
    "home": "index.html",
    "guide": "guide.html",
    "progress": "progress/index.html",
    "county": "progress/county/cq-qianjiang.html",
    "campaigns": "progress/campaigns.html",
    "key-counties": "lists/counties.html",
    "key-villages": "lists/villages.html",
    "exit-standard": "lists/exit-standard.html",
    "orgs": "orgs/index.html",
    "organization": None,
    "village": None,
    "plan": None,
    "campaign": None,
    "downloads": "downloads.html",
    "contribute": "contribute.html",
}

# the visible data tables (not those folded into a chart's <details>)
_TABLES = """() => [...document.querySelectorAll('article table.bf-table')]
  .filter(t => !t.closest('details:not([open])') && t.offsetParent !== null)"""

_LAYOUT = (
    r"""() => {
  const tables = (@TABLES@)();
  const hidden = tables.map(t => t.parentElement)
    .filter(w => w.scrollWidth > w.clientWidth + 1)
    .map(w => (w.querySelector('table').id || 'table') + ' ' + w.scrollWidth + '>' + w.clientWidth);
  const lines = el => {
    const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].filter(x => x.width > 0)
      .map(x => Math.round(x.top))).size;
  };
  const wrapped = [];
  for (const t of tables) {
    for (const row of [...t.tBodies[0].rows].slice(0, 40)) {
      const names = [row.cells[0], ...row.querySelectorAll('td a')];
      for (const el of names) {
        const text = (el && el.textContent.trim()) || '';
        // a name: short, no punctuation or space (a phrase may wrap at its punctuation)
        const name = text.length <= 12 && !/[、，,；;：:（）()\s]/.test(text);
        if (name && lines(el) > 1) { wrapped.push(text); }
      }
    }
  }
  return {scroll: document.scrollingElement.scrollWidth, width: innerWidth, hidden, wrapped};
}"""
).replace("@TABLES@", _TABLES)


def _page(site_dir, kind: str) -> str:
    if PAGES[kind]:
        return PAGES[kind]
    folder, pattern = {
        "organization": ("orgs", "demo-org-*.html"),
        "village": ("villages", "*.html"),
        "plan": ("plans", "*.html"),
        "campaign": ("campaigns", "*.html"),
    }[kind]
    return f"{folder}/{sorted((site_dir / folder).glob(pattern))[0].name}"


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("kind", list(PAGES))  # one test a page: the workers share them out
def test_pages_fit_and_names_do_not_wrap(browser, tabs, site, site_dir, kind, width):
    with _visit(browser, tabs, f"{site}/{_page(site_dir, kind)}", width) as (page, _):
        _fits(page, kind, width)
        _shot(page, f"{kind}-{width}")


def _fits(page, where: str, width: int) -> None:
    """No sideways scrolling; at 1280 px no table hides columns; no short name wraps."""
    m = page.evaluate(_LAYOUT)
    assert m["scroll"] <= m["width"], (where, width, m["scroll"])
    if width == 1280:
        assert not m["hidden"], (where, m["hidden"])
    assert not m["wrapped"], (where, width, m["wrapped"][:10])


_COLUMN = (
    """([t, col]) => {
  const table = (@TABLES@)()[t];
  return [...table.tBodies[0].rows].filter(r => !r.hasAttribute('data-bf-total')).map(r => {
    const c = r.cells[col];
    const missing = !c || !!c.querySelector('.bf-missing, .bf-withheld')
      || ['', '—', '*'].includes(c.textContent.trim());
    return [missing, c ? c.textContent.trim() : ''];
  });
}"""
).replace("@TABLES@", _TABLES)


def _number(text: str) -> float:
    return float(re.sub(r"[,\\s元户个%]", "", text))


def _assert_sorted(values, numeric: bool, descending: bool, where) -> None:
    shown = [v for missing, v in values if not missing]
    flags = [missing for missing, _ in values]
    assert flags == sorted(flags), (where, "withheld or not recorded must sort last")
    if numeric:
        nums = [_number(v) for v in shown]
        assert nums == sorted(nums, reverse=descending), (where, nums[:20])


@pytest.mark.parametrize(
    "kind",
    ["progress", "county", "campaigns", "key-counties", "key-villages", "orgs", "organization"],
)
def test_every_table_sorts(browser, tabs, site, site_dir, kind):
    with _visit(browser, tabs, f"{site}/{_page(site_dir, kind)}") as (page, _):
        _sorts_every_table(page, kind)


def _sorts_every_table(page, kind: str) -> None:
    n = page.evaluate(f"() => ({_TABLES})().length")
    sorted_tables = 0
    for t in range(n):
        table = page.locator("article table.bf-table").filter(visible=True).nth(t)
        if table.locator("tbody tr").count() < 2 or "bf-facts" in (
            table.get_attribute("class") or ""
        ):
            continue  # a facts table (field, value) is not a list to sort
        heads = table.locator("thead th")
        assert "bf-sortable" in (table.get_attribute("class") or ""), (kind, t)
        numeric = [
            i for i in range(heads.count()) if "num" in (heads.nth(i).get_attribute("class") or "")
        ]
        for col in [0, *numeric[:2]]:
            before = page.evaluate(_COLUMN, [t, col])
            heads.nth(col).click()
            assert heads.nth(col).get_attribute("aria-sort") == "ascending"
            after = page.evaluate(_COLUMN, [t, col])
            assert sorted(after) == sorted(before)  # the same rows, reordered
            _assert_sorted(after, col in numeric, False, (kind, t, col))
            if col == 0:  # names in Chinese collation order, as the page's own collator says
                names = [v for missing, v in after if not missing]
                ok = page.evaluate(
                    "(xs) => xs.every((x, i) => i === 0 || "
                    "new Intl.Collator('zh-Hans-CN', {numeric: true}).compare(xs[i - 1], x) <= 0)",
                    names,
                )
                assert ok, (kind, t, names[:10])
            heads.nth(col).click()
            assert heads.nth(col).get_attribute("aria-sort") == "descending"
            _assert_sorted(page.evaluate(_COLUMN, [t, col]), col in numeric, True, (kind, t, col))
        sorted_tables += 1
    assert sorted_tables >= 1, kind
    if kind == "key-villages":
        _shot(page, "sorted-table")


def _search(page, query: str):
    if not page.locator("input.md-search__input").is_visible():
        page.keyboard.press("s")  # the theme's search shortcut opens the search box
    page.fill("input.md-search__input", query)
    page.keyboard.press("End")
    page.locator(".md-search-result__item").first.wait_for(timeout=20000)
    return page.locator(".md-search-result")


def test_search_finds_a_partial_organization_name(browser, tabs, real_url):
    with _visit(browser, tabs, f"{real_url}/index.html") as (page, _):
        results = _search(page, "蜜蜂")
        links = [
            a.get_attribute("href") or "" for a in page.locator(".md-search-result__link").all()
        ]
        assert any("orgs/gs-qingshui-mifeng-chanye-xiehui.html" in h for h in links), links
        assert "清水县蜜蜂产业协会" in results.inner_text().replace("\u200b", "")
        _shot(page, "search-partial-name")
        _search(page, "清水县蜜蜂产业协会")  # the whole name still finds it, first
        first = page.locator(".md-search-result__link").first.get_attribute("href") or ""
        assert "orgs/gs-qingshui-mifeng-chanye-xiehui.html" in first


def test_chart_has_a_data_table_and_downloads_as_svg(browser, tabs, site):
    with _visit(browser, tabs, f"{site}/progress/index.html") as (page, _):
        fig = page.locator("figure.bf-chart").first
        fig.locator("details summary").click()
        assert fig.locator("details table tbody tr").count() >= 1
        with page.expect_download() as info:
            fig.locator("a.bf-chart-download").click()
        path = info.value.path()
        text = Path(path).read_text("utf-8")
        assert text.startswith("<?xml") and "<svg" in text and "<style>" in text
        assert info.value.suggested_filename.endswith(".svg")


def test_footer_shows_the_data_date_in_beijing_time(browser, tabs, site):
    with _visit(browser, tabs, f"{site}/progress/index.html", 390) as (page, _):
        footer = page.locator("[data-bf-footer]")
        footer.scroll_into_view_if_needed()
        text = footer.inner_text()
        assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d（北京时间）", text), text
        assert "CC-BY-4.0" in text and "更正" in text and "来源文件" in text
        _shot(page, "footer-390")


@pytest.mark.parametrize("width", [1280, 390])
def test_real_data_pages_fit(browser, tabs, real_url, width):
    pages = [
        "progress/index.html",
        "progress/county/gs-qingshui.html",
        "lists/supervised.html",
        "orgs/index.html",
        "orgs/gs-qingshui-mifeng-chanye-xiehui.html",
        "guide.html",
    ]
    for rel in pages:
        with _visit(browser, tabs, f"{real_url}/{rel}", width) as (page, _):
            _fits(page, rel, width)


def test_header_row_and_first_column_stay_in_place_on_a_phone(browser, tabs, site):
    with _visit(browser, tabs, f"{site}/lists/villages.html", 390) as (page, _):
        moved = page.evaluate(
            """() => {
          const wrap = document.querySelector('#bf-list').parentElement;
          const head = wrap.querySelector('thead th:nth-child(2)');
          const first = wrap.querySelector('tbody tr td:first-child');
          const before = [head.getBoundingClientRect().top, first.getBoundingClientRect().left];
          wrap.scrollTop = 400; wrap.scrollLeft = 200;
          const after = [head.getBoundingClientRect().top, first.getBoundingClientRect().left];
          return {scrolled: [wrap.scrollTop, wrap.scrollLeft], before, after};
        }"""
        )
        assert moved["scrolled"][0] > 0 and moved["scrolled"][1] > 0, moved  # the table scrolls
        assert moved["after"] == moved["before"], moved  # header row and first column do not
        _shot(page, "key-villages-390-scrolled")


def test_village_plan_campaign_downloads_and_changes_pages_render(browser, tabs, site):
    """The page kinds of issue 16 (items 2–4), reached by following their links."""
    with _visit(browser, tabs, f"{site}/lists/villages.html") as (page, watch):
        watch.settle()  # leaving the page would abort what it still loads
        page.locator("#bf-list tbody tr a[href*='../villages/']").first.click()
        page.wait_for_load_state("load")
        _banner(page)
        assert "结对方案和帮扶主体" in page.inner_text("article")
        _shot(page, "village")
        watch.settle()  # leaving the page would abort what it still loads
        page.locator("article a[href*='../plans/']").first.click()
        page.wait_for_load_state("load")
        assert "进度报告" in page.inner_text("article")
        _shot(page, "plan")
        watch.settle()  # leaving the page would abort what it still loads
        page.locator("article a[href*='../campaigns/']").first.click()
        page.wait_for_load_state("load")
        assert "配额与已结对" in page.inner_text("article")
        _shot(page, "campaign")
        for rel, heading, name in (
            ("downloads.html", "怎样打开", "downloads"),
            ("changes.html", "最近更新", "changes"),
        ):
            watch.settle()  # leaving the page would abort what it still loads
            page.goto(f"{site}/{rel}", wait_until="load")
            assert heading in page.inner_text("article")
            _shot(page, name)
