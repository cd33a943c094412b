"""The web editor at /admin/ of the built site, driven by headless Debian Chromium against
Decap's local backend (decap-server in git mode, the editorial workflow: a save is a branch
``cms/<collection>/<slug>``, as on GitHub it is a branch and a pull request):

- the page loads from the site alone (no request to another host), in Chinese;
- a progress report created through the form lands, on its own branch, as a YAML file at the
  layout's path that ``bangfu check`` and ``bangfu fmt --check`` accept (after
  ``bangfu cms --fix-names``, the canonical step of .github/workflows/cms.yml);
- an amount below zero and a period outside the plan are refused in the form with the
  schema's Chinese message, and nothing is saved;
- a county's report collections are read only when the editor is opened for that county
  (with several counties the page first lists them), and the page fills in the collection
  template exactly as ``bangfu.cms.fill`` does.

Screenshots go to build/screenshots/cms-*.png."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from urllib.parse import urlparse

import pytest
import yaml

from .browser_helpers import SHOTS, Watch, assert_nothing_stored, serve
from .conftest import ROOT, bangfu, require_system

# one worker runs them all (make test: --dist loadgroup): the module's fixtures are made once
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("cms_browser")]
PLAN = "qingshui-2020-gaoqiao"
COLLECTION = f"reports-{PLAN}"
COUNTY = "gs-qingshui"
REPORTS = f"data/plans/{COUNTY}/{PLAN}/reports"
SERVER = ROOT / "node_modules/decap-server/dist/index.js"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _git(repo, *args) -> str:
    env = {
        "GIT_AUTHOR_NAME": "测试",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "测试",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    proc = subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **env}, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """A Git repository (the records and schemas on ``main``) behind decap-server."""
    node = shutil.which("node")
    require_system("chromium", shutil.which("chromium") is not None)
    require_system("node", node is not None)
    require_system("decap-server (npm ci)", SERVER.is_file())
    repo = tmp_path_factory.mktemp("cms-repo")
    shutil.copytree(ROOT / "data", repo / "data")
    shutil.copytree(ROOT / "schemas", repo / "schemas")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "records")
    port = _free_port()
    env = {
        **os.environ,
        "MODE": "git",
        "GIT_REPO_DIRECTORY": str(repo),
        "PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "LOG_LEVEL": "warn",
        "GIT_AUTHOR_NAME": "编辑器",
        "GIT_AUTHOR_EMAIL": "cms@example.invalid",
        "GIT_COMMITTER_NAME": "编辑器",
        "GIT_COMMITTER_EMAIL": "cms@example.invalid",
    }
    log = (repo.parent / "decap-server.log").open("w")
    proc = subprocess.Popen([node, str(SERVER)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                req = urllib.request.Request(
                    url,
                    json.dumps({"action": "info"}).encode(),
                    {"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(req, timeout=2) as r:
                    info = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(
                "decap-server did not start: " + (repo.parent / "decap-server.log").read_text()
            )
        # git mode: the editorial workflow (a branch per entry) is offered
        assert info["type"] == "local_git" and "editorial_workflow" in info["publish_modes"]
        yield repo, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def admin(real_site, backend, tmp_path_factory):
    """The built site's /admin/, its config pointed at this test's decap-server."""
    _repo, api = backend
    if not (real_site / "admin" / "vendor" / "decap-cms.js").is_file():
        require_system("decap-cms (npm ci)", False)
    site = tmp_path_factory.mktemp("cms-site")
    shutil.copytree(real_site / "admin", site / "admin")
    conf = json.loads((site / "admin/config.json").read_text("utf-8"))
    conf["local_backend"] = {"url": api}
    (site / "admin/config.json").write_text(json.dumps(conf, ensure_ascii=False), "utf-8")
    one = site / "one"  # the same editor for a repository of one county
    shutil.copytree(site / "admin", one)
    index = json.loads((one / "counties.json").read_text("utf-8"))
    only = [c for c in index if c["id"] == COUNTY]
    (one / "counties.json").write_text(json.dumps(only, ensure_ascii=False), "utf-8")
    gone = site / "gone"  # a county's file missing (a half-copied site)
    shutil.copytree(site / "admin", gone)
    (gone / "counties/cq-wulong.json").unlink()
    with serve(site) as url:
        yield f"{url}/admin/index.html?county={COUNTY}"


@pytest.fixture(scope="module")
def browser(admin, chromium):
    return chromium


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"cms-{name}.png"), full_page=False)


def _signed_in(browser, admin, width=1280):
    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    watch = Watch(page)
    page.goto(admin, wait_until="networkidle")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("进度报告：", exact=False).first.wait_for(timeout=30000)
    return ctx, page, watch


def _field(page, name: str):
    return page.locator(f'[id^="{name}-field-"]').first


def _put(page, name: str, value: str) -> None:
    box = _field(page, name)
    box.fill("")
    box.fill(value)


def _choose(page, name: str, value: str) -> None:
    _field(page, name).fill(value)
    page.keyboard.press("Enter")


def _new_report(page, admin, start: str, amount: str) -> None:
    page.goto(f"{admin}#/collections/{COLLECTION}/new", wait_until="networkidle")
    _put(page, "id", "2020-W22")
    _put(page, "start", start)
    _put(page, "end", "2020-05-31")
    _put(page, "submitted", "2020-06-02")
    page.get_by_role("button", name="新增条目").click()
    _put(page, "date", "2020-05-27")
    _choose(page, "village", "gs-qingshui-shanmen-gaoqiao")
    _choose(page, "kind", "走访")
    _put(page, "content", "入村走访，了解产业发展需求（合成测试数据）。")
    _put(page, "amount", amount)


def _lookups(page) -> list:
    """The backend actions answered 404."""
    missing: list = []

    def seen(r):
        if r.status == 404:
            missing.append(json.loads(r.request.post_data or "{}").get("action"))

    page.on("response", seen)
    return missing


def _clean(watch, missing: list, api: str) -> None:
    """No console error, failed or foreign request, except this one: before opening or
    creating an entry Decap asks the backend for an unpublished version of it (editorial
    workflow), and the backend's 404 means "none yet" (the browser logs a failed resource)."""
    assert set(missing) <= {"unpublishedEntry"}, missing
    assert all(f == f"404 {api}" for f in watch.failed), watch.failed
    assert len(watch.failed) == len(missing)
    assert all("404" in e for e in watch.errors), watch.errors
    watch.failed.clear()
    watch.errors.clear()
    watch.clean()


def _branches(repo) -> list[str]:
    return _git(repo, "branch", "--format=%(refname:short)").split()


def test_editor_loads_offline_in_chinese(browser, admin):
    ctx, page, watch = _signed_in(browser, admin)
    text = page.inner_text("body")
    for label in ("帮扶主体", "结对方案", "进度报告：清水县社会组织结对帮扶山门镇高桥村（第一组）"):
        assert label in text, label
    assert "工作流" in text  # the editorial workflow's board (编辑工作流)
    assert "帮扶户" not in text  # households are not edited here
    _shot(page, "collections")
    watch.clean()
    page.set_viewport_size({"width": 390, "height": 900})  # a phone, still signed in
    page.goto(f"{admin}#/collections/{COLLECTION}/new", wait_until="networkidle")
    _field(page, "id").wait_for()
    m = page.evaluate("() => [document.scrollingElement.scrollWidth, innerWidth]")
    assert m[0] <= m[1], m  # the form fits a phone's width
    _shot(page, "form-390")
    watch.clean()
    ctx.close()


def test_wrong_values_are_refused_with_the_schemas_message(browser, admin, backend):
    repo, _api = backend
    ctx, page, watch = _signed_in(browser, admin)
    _new_report(page, admin, start="2020-04-25", amount="-5")
    page.get_by_role("button", name="保存").click()
    errors = page.locator("[class*=ControlErrorsList]")
    errors.first.wait_for()
    shown = " ".join(errors.all_inner_texts())
    # the messages are the schemas' descriptions (report.schema.json, common.schema.json)
    assert "本期覆盖的起止日期，须在方案期间内" in shown and "2020-05-12 至 2020-06-30" in shown
    assert "不能为负数" in shown and "金额（元）" in shown
    _field(page, "amount").scroll_into_view_if_needed()
    _shot(page, "refused")
    assert not [b for b in _branches(repo) if b.startswith("cms/")]  # nothing was saved
    # Decap refuses the save by rejecting a promise with no reason (persistEntry in
    # decap-cms-core/src/actions/entries.ts), which the console shows as "undefined"
    assert watch.errors == ["undefined"], watch.errors
    watch.errors.clear()
    watch.clean()
    ctx.close()


def test_report_created_in_the_form_is_a_branch_with_a_valid_record(
    browser, admin, backend, tmp_path
):
    repo, api = backend
    ctx, page, watch = _signed_in(browser, admin)
    missing = _lookups(page)
    _new_report(page, admin, start="2020-05-25", amount="500")
    page.get_by_role("button", name="保存").click()
    branch = f"cms/{COLLECTION}/2020-w22"
    # the toolbar's state changes once the backend has answered (the commit is made)
    page.get_by_text("修改已保存").first.wait_for(timeout=30000)
    assert branch in _branches(repo), _branches(repo)
    _shot(page, "saved")
    assert missing == ["unpublishedEntry"]
    _clean(watch, missing, api)
    ctx.close()
    # one commit on the branch, adding the report at the layout's path (lower-cased by Decap)
    changed = _git(repo, "diff", "--name-status", "main", branch).split("\n")
    assert changed[:-1] == [f"A\t{REPORTS}/2020-w22.yaml"], changed
    assert _git(repo, "rev-parse", "HEAD").strip() == _git(repo, "rev-parse", "main").strip()
    # the branch is read in a clone of its own: the backend keeps working in its repository
    # (it may switch branches there while the editor still polls), as CI reads a pushed branch
    work = tmp_path / "branch"
    _git(tmp_path, "clone", "-q", "-b", branch, str(repo), str(work))
    raw = (work / REPORTS / "2020-w22.yaml").read_text("utf-8")
    data = yaml.safe_load(raw)
    assert data["id"] == "2020-W22" and data["plan"] == PLAN
    assert data["entries"][0]["amount"] == 500
    fixed = bangfu("cms", "--fix-names", cwd=work)
    assert fixed.returncode == 0 and "2020-W22.yaml" in fixed.stdout, fixed.stdout + fixed.stderr
    assert (work / REPORTS / "2020-W22.yaml").read_text("utf-8") == raw
    check = bangfu("check", "--as-of", "2020-07-01", cwd=work)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = bangfu("fmt", "--check", cwd=work)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr  # the editor's YAML is canonical


def test_existing_plan_opens_with_its_relations(browser, admin, backend):
    """The county's plans collection reads plans/<区县>/<方案>/plan.yaml; campaign and organizations are
    relations shown by name; the target villages a select of the county records' villages."""
    _repo, api = backend
    ctx, page, watch = _signed_in(browser, admin)
    missing = _lookups(page)
    page.goto(f"{admin}#/collections/plans-gs-qingshui", wait_until="networkidle")
    listed = page.locator("main, body").first
    listed.get_by_text("清水县社会组织结对帮扶山门镇高桥村（第一组）").first.wait_for()
    n_plans = len(list((ROOT / "data/plans").glob("*/*/plan.yaml")))
    assert page.get_by_text("清水县社会组织结对帮扶").count() >= n_plans
    page.goto(
        f"{admin}#/collections/plans-gs-qingshui/entries/{PLAN}/plan", wait_until="networkidle"
    )
    page.get_by_text("清水县社会组织助力挂牌督战贫困村脱贫攻坚（2020年）").first.wait_for()
    orgs = ("清水县智远职业技能培训学校", "清水县永鑫智远技能培训学校", "清水县涛源培训学校")
    for name in orgs:  # each relation is filled in when its own lookup answers
        page.get_by_text(name).first.wait_for()
    text = page.inner_text("body")
    for name in orgs:
        assert name in text, name  # the plan's organizations, by name
    assert "清水县山门镇高桥村（gs-qingshui-shanmen-gaoqiao）" in text  # its target village
    _shot(page, "plan")
    assert missing == ["unpublishedEntry"]
    _clean(watch, missing, api)
    ctx.close()


def _open(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    watch = Watch(page)
    fetched: list[str] = []
    page.on("request", _recorder(fetched))
    page.goto(url, wait_until="networkidle")
    return ctx, page, watch, fetched


def _recorder(fetched: list[str]):
    """A request listener that keeps each path below the served folder (``admin/…``)."""
    return lambda r: fetched.append(urlparse(r.url).path.split("/", 2)[-1])


@pytest.fixture(scope="module")
def tab(browser):
    """One page for the visits that do not start the editor (the county list, a county that
    is unknown or whose file is missing, the template filled in): a new page costs about 0.65
    CPU-seconds here. Without the editor the page keeps nothing in the browser (asserted
    after every visit), so a visit cannot change the next."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield ctx.new_page()
    ctx.close()


@contextlib.contextmanager
def _look(page, url: str):
    """A visit on the shared page: its watch and the paths it fetched are its own."""
    watch = Watch(page)
    fetched: list[str] = []
    seen = _recorder(fetched)
    page.on("request", seen)
    try:
        page.goto(url, wait_until="networkidle")
        yield watch, fetched
        assert_nothing_stored(page)
    finally:
        watch.detach()
        page.remove_listener("request", seen)


def test_the_page_fills_the_template_as_bangfu_does(tab, admin, demo_data):
    """Every plan of the demo (households, villages, neither), and values that look like
    tokens or like a JavaScript replacement pattern, filled in by the page's own ``fill``."""
    from bangfu import cms
    from bangfu.cms_inputs import read_inputs
    from bangfu.cms_template import fill

    page_url = admin.split("?")[0] + "?county=nowhere"  # the county list: the editor not loaded
    with _look(tab, page_url) as (watch, _):
        tab.locator("#bf-counties").wait_for()
        _index, bodies = cms.counties(ROOT / "schemas", read_inputs(demo_data))
        odd = {**next(iter(bodies.values()))["plans"][0], "name": "@@id@@ $& $1 $$", "villages": []}
        cases = [(b["template"], p) for b in bodies.values() for p in [*b["plans"], odd]]
        got = tab.evaluate("(cases) => cases.map(([t, v]) => window.bfFill(t, v))", cases)
        assert len(cases) > 10
        assert got == [fill(t, v) for t, v in cases]
        watch.clean()


def test_a_county_is_chosen_before_its_plans_are_read(browser, tab, admin):
    """The page lists the counties and reads no county file, nor the editor; ``?county=``
    reads that county's file only; an unknown county is said so; an empty choice opens the
    editor with the organizations only; a repository of one county opens it at once."""
    page_url = admin.split("?")[0]
    with _look(tab, page_url) as (watch, fetched):
        tab.locator("#bf-counties").wait_for()  # shown once the county list is read
        links = tab.locator("#bf-county-list a")
        counties = sorted(p.stem for p in (ROOT / "data/counties").glob("*.yaml"))
        assert links.count() == len(counties) > 1
        shown = dict(zip(counties, links.all_inner_texts(), strict=True))
        assert shown[COUNTY] == "甘肃省天水市清水县（gs-qingshui）：6 个结对方案"
        assert shown["cq-wulong"] == "重庆市武隆区（cq-wulong）：0 个结对方案"
        assert links.nth(0).get_attribute("href") == f"?county={counties[0]}"
        assert not tab.locator("#bf-unknown").is_visible()
        assert [u for u in fetched if u.startswith("counties")] == ["counties.json"]
        assert tab.locator("#nc-root").count() == 0  # the editor is not started, nor loaded
        assert "vendor/decap-cms.js" not in fetched, fetched
        _shot(tab, "counties")
        watch.clean()

    with _look(tab, f"{page_url}?county=nowhere") as (watch, fetched):
        tab.locator("#bf-counties").wait_for()
        assert tab.locator("#bf-unknown").is_visible()
        watch.clean()

    with _look(tab, page_url.replace("/admin/", "/gone/") + "?county=cq-wulong") as (
        watch,
        fetched,
    ):
        tab.locator("#bf-failed").wait_for()  # said on the page, not a blank screen
        assert "counties/cq-wulong.json: 404" in tab.inner_text("#bf-failed")
        assert "vendor/decap-cms.js" not in fetched
        assert [f.split("/gone/")[-1] for f in watch.failed] == ["counties/cq-wulong.json"]

    # a county without plans: its plans collection, no report collection
    ctx, page, watch, fetched = _open(browser, f"{page_url}?county=cq-wulong")
    page.get_by_role("button", name="登录").click()
    page.locator("#nc-root").get_by_text("结对方案：").first.wait_for(timeout=30000)
    text = page.inner_text("#nc-root")
    assert "重庆市武隆区" in text and "进度报告：" not in text
    assert [u for u in fetched if u.startswith("counties")] == [
        "counties.json",
        "counties/cq-wulong.json",
    ]
    watch.clean()
    ctx.close()
    # no county, and a repository of one county: the editor is loaded (what it shows from a
    # county's file is seen above), with the county files read as said
    for url, read in (
        (f"{page_url}?county=", ["counties.json"]),
        (page_url.replace("/admin/", "/one/"), ["counties.json", f"counties/{COUNTY}.json"]),
    ):
        ctx, page, watch, fetched = _open(browser, url)
        page.get_by_role("button", name="登录").wait_for()
        assert "vendor/decap-cms.js" in fetched, url
        assert [u for u in fetched if u.startswith("counties")] == read, url
        watch.clean()
        ctx.close()
