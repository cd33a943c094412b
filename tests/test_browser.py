"""Headless Debian Chromium over the built demo site: no console errors, no failed or
external requests, charts drawn, filters and Chinese search work. Screenshots go to
build/screenshots/."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from urllib.parse import urlparse

import pytest

from .conftest import ROOT, require_system

pytestmark = pytest.mark.browser
SHOTS = ROOT / "build" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(demo_site):
    require_system("chromium", shutil.which("chromium") is not None)
    handler = functools.partial(_Quiet, directory=str(demo_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        yield b
        b.close()


class Watch:
    """Collects console errors, failed requests and requests to other hosts."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on(
            "response",
            lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on("request", self._request)

    def _request(self, req):
        host = urlparse(req.url).hostname
        if req.url.startswith(("data:", "blob:", "about:")):
            return
        if host != "127.0.0.1":
            self.foreign.append(req.url)

    def clean(self):
        assert not self.errors, self.errors
        assert not self.failed, self.failed
        assert not self.foreign, self.foreign


def _open(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    watch = Watch(page)
    page.goto(url, wait_until="networkidle")
    return ctx, page, watch


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def _banner(page) -> None:
    assert page.locator("[data-bf-banner=synthetic]").first.is_visible()
    assert "synthetic data" in page.locator("[data-bf-banner=synthetic]").first.inner_text()


def test_home(browser, site):
    ctx, page, watch = _open(browser, f"{site}/index.html")
    _banner(page)
    assert page.locator(".bf-card").count() >= 6
    assert "数据最后更新" in page.inner_text("article")
    _shot(page, "home")
    watch.clean()
    ctx.close()


def test_key_village_list_filter(browser, site):
    ctx, page, watch = _open(browser, f"{site}/lists/villages.html")
    _banner(page)
    rows = page.locator("#bf-list tbody tr")
    assert rows.count() == 100
    page.fill("input.bf-filter-input", "长春村")
    visible = [r for r in rows.all() if r.is_visible()]
    assert len(visible) == 1 and "黔江区" in visible[0].inner_text()
    _shot(page, "key-villages")
    page.fill("input.bf-filter-input", "")
    watch.clean()
    ctx.close()


def test_progress_page_draws_charts(browser, site):
    ctx, page, watch = _open(browser, f"{site}/progress/index.html")
    _banner(page)
    charts = page.locator("figure.bf-chart svg")
    assert charts.count() >= 3
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
        assert charts.nth(i).locator("rect, polyline, circle").count() > 0
    page.locator("figure.bf-chart").nth(1).scroll_into_view_if_needed()
    _shot(page, "progress")
    ctx.close()
    ctx, page, watch2 = _open(browser, f"{site}/progress/county/cq-qianjiang.html")
    assert page.locator("figure.bf-chart svg").count() >= 1
    _shot(page, "progress-county")
    watch.clean()
    watch2.clean()
    ctx.close()


def test_organization_page(browser, site):
    ctx, page, watch = _open(browser, f"{site}/orgs/index.html")
    first = page.locator("#bf-orgs tbody tr a").first
    first.click()
    page.wait_for_load_state("networkidle")
    _banner(page)
    text = page.inner_text("article")
    assert "结对方案" in text and "报送及时性" in text
    _shot(page, "organization")
    watch.clean()
    ctx.close()


def test_chinese_search_finds_a_key_village(browser, site):
    ctx, page, watch = _open(browser, f"{site}/index.html")
    page.keyboard.press("s")  # the theme's search shortcut
    # Chinese is entered through an input method: the text arrives, then a key event
    # ends the composition; the theme reads the query on keyup
    page.fill("input.md-search__input", "长春村")
    page.keyboard.press("End")
    result = page.locator(".md-search-result__item").first
    result.wait_for(timeout=20000)
    links = [a.get_attribute("href") or "" for a in page.locator(".md-search-result__link").all()]
    assert any("lists/villages.html" in h or "cq-qianjiang" in h for h in links), links
    assert "长春村" in page.locator(".md-search-result").inner_text()
    _shot(page, "search")
    watch.clean()
    ctx.close()


def test_village_plan_campaign_downloads_and_changes_pages_render(browser, site):
    """The page kinds of issue 16 (items 2–4), reached by following their links."""
    ctx, page, watch = _open(browser, f"{site}/lists/villages.html")
    page.locator("#bf-list tbody tr a[href*='../villages/']").first.click()
    page.wait_for_load_state("networkidle")
    _banner(page)
    assert "结对方案和帮扶主体" in page.inner_text("article")
    _shot(page, "village")
    page.locator("article a[href*='../plans/']").first.click()
    page.wait_for_load_state("networkidle")
    assert "进度报告" in page.inner_text("article")
    _shot(page, "plan")
    page.locator("article a[href*='../campaigns/']").first.click()
    page.wait_for_load_state("networkidle")
    assert "配额与已结对" in page.inner_text("article")
    _shot(page, "campaign")
    for rel, heading, name in (
        ("downloads.html", "怎样打开", "downloads"),
        ("changes.html", "最近更新", "changes"),
    ):
        page.goto(f"{site}/{rel}", wait_until="networkidle")
        assert heading in page.inner_text("article")
        _shot(page, name)
    watch.clean()
    ctx.close()
