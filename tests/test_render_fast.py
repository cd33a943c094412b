"""The pages per plan and village are turned into HTML without Python-Markdown
(``render_fast``), and nothing changes: every such page gives the HTML, table of contents,
title and anchors Python-Markdown gives, the site is the same byte for byte, and any page
holding more than the few blocks the generator writes is left to Python-Markdown."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import markdown
import pytest
import yaml
from mkdocs.config import load_config
from mkdocs.structure.files import get_files
from mkdocs.structure.pages import Page

from bangfu.publish import site, text

_spec = importlib.util.spec_from_file_location("render_fast", site.FAST_HOOK)
fast = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fast)

EXTENSIONS = yaml.safe_load(site.MKDOCS_YML.read_text("utf-8"))["markdown_extensions"]

TABLE = text.table(
    ["村", "户数"],
    [
        [
            '<a href="../villages/v1.html">高桥村</a>',
            '<abbr class="bf-withheld" title="不公开">*</abbr>',
        ]
    ],
    numeric={1},
)
PLAN = (
    "\n\n# （演示）高桥村结对帮扶方案 2\n\n"
    f'{TABLE}\n\n## 帮扶主体\n\n<p><a href="../orgs/o.html">某某协会</a>、乙</p>\n\n'
    f"## 帮扶对象\n\n{TABLE}\n\n帮扶户只列户数，不列户；“—”（台账中无记录）。\n"
    "第二行 Plan-2 2025-03，见 `progress.csv` 中的行\n\n## 帮扶对象\n\n"
    "显示为“*”（不公开，见[数据保护](../disclosure.md)）。—：台账中无记录。\n"
)


def _markdown(src: str) -> markdown.Markdown:
    names = [e if isinstance(e, str) else next(iter(e)) for e in EXTENSIONS]
    configs = {next(iter(e)): next(iter(e.values())) for e in EXTENSIONS if isinstance(e, dict)}
    md = markdown.Markdown(extensions=names, extension_configs=configs)
    md.html = md.convert(src)
    return md


def test_a_page_of_the_generated_blocks_converts_as_markdown_converts_it():
    done = fast.convert(PLAN, lambda url: url)
    assert done is not None
    html, tokens, title, anchors = done
    md = _markdown(PLAN)
    assert html == md.html
    assert tokens == md.toc_tokens
    assert title == "（演示）高桥村结对帮扶方案 2"
    assert anchors == set(re.findall(r'<h[12] id="([^"]+)"', md.html))
    assert len(anchors) == 4  # the same heading twice: a second id
    assert '<a href="../disclosure.md">数据保护</a>' in html  # MkDocs's resolution, given


@pytest.mark.parametrize(
    "extra",
    [
        "**粗**",  # emphasis
        "*斜* 与 _下_",
        "`代 码`",  # code other than a file name
        "``双``",
        "- 列表",
        "1. 列表",
        "> 引用",
        "A&amp;B",  # an entity
        "A & B",
        "<b>行内</b>",
        "文字 {: .cls }",  # an attribute list
        "甲\t乙",  # a tab
        "硬换行  \n下一行",
        "标题\n===",  # a setext heading
        "## 标题 ##",
        "# 标题 {#id}",
        "[外链](https://example.org/)",
        "[图](a.png)",
        "![图](a.png)",
        '<p id="x">有 id</p>',
        '<p data-search-exclude="1">不进索引</p>',  # the search plugin strips it
        "<p>一</p><p>二</p>",
        '<div markdown="1">x</div>',
        "<details><summary>x</summary>\n\n文字\n\n</details>",
        "    缩进的代码",
        "行尾空格 ",
        "\\转义",
        "| 表 | 格 |\n|---|---|\n| 1 | 2 |",
        "!!! note\n    提示",
        '??? note "说明"\n    内容',  # pymdownx.details
        "文字\n???+ note",
        "# 标题\u3000",  # Markdown strips any Unicode space at a heading's ends
        "# \xa0标题",
        "\u3000文字",  # … and at a paragraph's start
        "见 `a``b` 行",  # one code span to Markdown, not two
        "<p>a</p>b</p>",
        "<p><script>a</p>",  # Markdown reads on as raw HTML
        "<p><details>x</p>",  # render_hook stops stashing tables after it
        '<p><span ID="x">a</span></p>',  # an anchor MkDocs collects
        '<p><a name = "y">a</a></p>',
    ],
)
def test_anything_else_is_left_to_markdown(extra):
    assert fast.convert(PLAN + "\n" + extra + "\n", lambda url: url) is None
    assert fast.convert(PLAN, lambda url: url) is not None


# the test ``_page_unsafe`` made with regular expressions over the lower-cased text, as it
# was before it read the page's bytes: the reference it must agree with
_REF_SPACE = re.compile(
    "[\t\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    "\x02\x03\ue010\ue011]"
)
_REF_ATTR = re.compile(r"[ \n](?:id|name|markdown)\s*=")


def _reference_unsafe(page: str) -> bool:
    if _REF_SPACE.search(page):
        return True
    low = page.lower()
    return bool(
        _REF_ATTR.search(low) or "data-search-" in low or re.search(r"<\s*/?\s*details", low)
    )


_TRICKY = [
    *fast.SPACE_UNSAFE,
    *(
        f"{s}{w}{e}="
        for s in (" ", "\n", "")
        for w in ("id", "ID", "Name", "MarkDown")
        for e in ("", " ", "\n", " \n ")
    ),
    " \u0130d=",  # İ lower-cases to i and a combining dot: no word
    " mar\u212adown=",  # the Kelvin sign lower-cases to k
    " mar\u212adown",
    " \u212a=",
    " iD\u3000=",  # white space a bytes pattern's \s does not match: refused before
    "DATA-SEARCH-",
    "data-search",
    "< / DETAILS",
    "<details",
    "details",
    "\ud800",  # a lone surrogate
    "\u00e9 \u4e2d id",
    "\n\nid\n=",
]


@pytest.mark.parametrize("extra", _TRICKY)
@pytest.mark.parametrize("where", ["start", "table", "end"])
def test_the_bytes_test_agrees_with_the_text_test(extra, where):
    page = {
        "start": extra + PLAN,
        "table": PLAN.replace("<td>", "<td>" + extra, 1),
        "end": PLAN + extra,
    }[where]
    expected = _reference_unsafe(page)
    assert fast._page_unsafe(page) is expected
    assert fast._page_unsafe_text(page) is expected


def test_the_characters_the_bytes_test_relies_on_are_this_pythons():
    """Every white space but the space and the line end is refused, and no other character
    lower-cases to ASCII or white space but those read as text (``LOWER_TO_ASCII``), in the
    Unicode database of the Python running."""
    chars = [chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000]
    assert {c for c in chars if c.isspace()} - {" ", "\n"} <= set(fast.SPACE_UNSAFE)
    lowers = {
        c for c in chars if not c.isascii() and any(x.isascii() or x.isspace() for x in c.lower())
    }
    assert lowers - set(fast.SPACE_UNSAFE) == set(fast.LOWER_TO_ASCII)


def test_a_page_with_a_link_is_left_to_markdown_without_a_resolver():
    assert fast.convert(PLAN, None) is None
    assert fast.convert(PLAN.replace("[数据保护](../disclosure.md)", "数据保护"), None) is not None


# the search plugin's Chinese word list is opened by jieba and never closed
MKDOCS_LOADED = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def _mkdocs(real_site):
    """The generated site's MkDocs configuration (its hooks loaded), its files, and the
    ``render_fast`` module MkDocs loaded."""
    src = real_site.parent / "src"
    cfg = load_config(config_file=str(src / "mkdocs.yml"))
    cfg = cfg.plugins.on_config(cfg)
    files = get_files(cfg)
    return cfg, files, cfg.plugins[str(site.FAST_HOOK)]


def _pages(cfg, files, folder: str) -> list[Page]:
    pages = []
    for f in files.documentation_pages():
        if f.src_uri.startswith(folder + "/"):
            page = Page(None, f, cfg)
            page.read_source(cfg)
            if "bf_search" in page.meta:
                pages.append(page)
    return pages


@MKDOCS_LOADED
def test_every_page_per_plan_and_village_gives_what_markdown_gives(demo_site):
    """Every page per plan and village of the demo site: the same HTML, table of contents,
    title and anchors as ``Page.render``, none of them left to Python-Markdown."""
    cfg, files, hook = _mkdocs(demo_site)
    pages = _pages(cfg, files, "plans") + _pages(cfg, files, "villages")
    assert len(pages) > 50
    for page in pages:
        hook.on_page_markdown(page.markdown, page=page, config=cfg, files=files)
        assert "render" in page.__dict__
        page.render(cfg, files)
        assert page.content == ""  # held while the search plugin looks at the page
        hook.on_page_context({}, page=page, config=cfg, nav=None)
        done = (page.content, page.toc, page._title_from_render, page.present_anchor_ids)
        Page.render(page, cfg, files)
        assert done[0] == page.content, page.file.src_uri
        assert hook._toc(done[1]) == hook._toc(page.toc), page.file.src_uri
        assert done[2:] == (page._title_from_render, page.present_anchor_ids)
    assert hook._STATE.on and hook._STATE.fast == len(pages) and hook._STATE.slow == 0


@MKDOCS_LOADED
def test_a_build_whose_first_page_differs_goes_back_to_markdown(real_site, monkeypatch):
    """The first page is rendered both ways: if they differ, that page and every later one
    are Python-Markdown's."""
    cfg, files, hook = _mkdocs(real_site)
    pages = _pages(cfg, files, "plans")
    real = hook.convert

    def wrong(md, link=None):
        done = real(md, link)
        return done and (done[0] + "<p>多余</p>", *done[1:])

    monkeypatch.setattr(hook, "convert", wrong)
    for page in pages[:2]:
        hook.on_page_markdown(page.markdown, page=page, config=cfg, files=files)
        page.render(cfg, files)
        hook.on_page_context({}, page=page, config=cfg, nav=None)
        assert "多余" not in page.content and page.content.startswith("<h1")
    assert not hook._STATE.on and hook._STATE.fast == 0


@MKDOCS_LOADED
def test_a_changed_table_of_contents_turns_it_off(real_site, monkeypatch):
    cfg, _files, hook = _mkdocs(real_site)
    cfg.mdx_configs["toc"] = {"permalink": True}
    hook.on_config(cfg)
    assert not hook._STATE.on


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["0", "verify"])
def test_the_site_is_the_site_python_markdown_makes(demo_site, tmp_path, monkeypatch, mode):
    """MkDocs again over the demo site's sources, with the fast path off (``0``) or checking
    every page against Python-Markdown (``verify``, which fails the build on a difference):
    byte for byte the site ``bangfu site`` made, search index and sitemap included."""
    monkeypatch.setenv(fast.MODE_ENV, mode)
    src = demo_site.parent / "src"
    epoch = int.from_bytes((demo_site / "sitemap.xml.gz").read_bytes()[4:8], "little")
    site.mkdocs_build(src, tmp_path / "out", epoch, shards=1)
    out = tmp_path / "out"
    mine = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    made = {
        p.relative_to(demo_site): p.read_bytes()
        for p in demo_site.rglob("*")
        if p.is_file() and p.relative_to(demo_site).parts[0] != "data"
    }
    assert sorted(mine) == sorted(made)
    assert [p for p in made if made[p] != mine[p]] == []


# ---------------------------------------------------------------- the theme's page filled in

_theme_spec = importlib.util.spec_from_file_location("theme_fast", site.THEME_HOOK)
theme = importlib.util.module_from_spec(_theme_spec)
_theme_spec.loader.exec_module(theme)


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("（演示）高桥村结对帮扶方案 2", True),
        ("区县：合成省第31县", True),
        ("A村", False),  # a letter with a case: a filter could change it
        ("甲&乙", False),
        ("甲<乙", False),
        ('甲"乙', False),
        ("甲'乙", False),
        ("甲  乙", False),  # white space a tag strip would fold
        (" 甲", False),
        ("甲\n乙", False),
        ("甲\ue000乙", False),  # the markers themselves
        (None, False),
        ("", False),  # the theme tests the title for being empty
    ],
)
def test_only_values_no_filter_could_change_are_filled_in(value, plain):
    assert theme._plain(value) is plain


@pytest.mark.parametrize("mark", ["\ue000", "\ue001", "\ue002", "\ue003"])
def test_content_holding_a_marker_is_left_to_the_theme(mark):
    class Page:
        meta = {"title": "（演示）方案", "bf_search": "区县：甲县"}
        toc: list = []
        content = "<p>甲</p>"

    assert theme._values(Page()) is not None
    Page.content = f"<p>甲{mark}</p>"
    assert theme._values(Page()) is None


def test_the_generated_config_runs_the_hooks_in_order(demo_site):
    """The shards' hook first (it marks the pages another process renders), then Markdown's
    shortcut, then the theme's."""
    hooks = yaml.safe_load((demo_site.parent / "src" / "mkdocs.yml").read_text("utf-8"))["hooks"]
    order = [str(site.RENDER_HOOK), str(site.FAST_HOOK), str(site.THEME_HOOK)]
    assert [h for h in hooks if h in order] == order


def _built(src, out, epoch, mode, monkeypatch) -> dict:
    monkeypatch.setenv(fast.MODE_ENV, mode)
    site.mkdocs_build(src, out, epoch, shards=1)
    return {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_pages_the_theme_writes_otherwise_are_the_themes(demo_site, tmp_path, monkeypatch):
    """A title with a letter and an ampersand, and a theme that writes each page's own address
    into it (which the kept text of the first page would carry to the others): the site is
    still byte for byte the theme's own."""
    src = tmp_path / "src"
    shutil.copytree(demo_site.parent / "src", src)
    plans = sorted((src / "docs/plans").glob("*.md"))
    odd = plans[3].read_text("utf-8").replace('title: "', 'title: "A&B ', 1)
    plans[3].write_text(odd, "utf-8")
    main = src / "docs/overrides/main.html"
    main.write_text(
        main.read_text("utf-8")
        + '\n{% block site_meta %}{{ super() }}<meta name="bf-page" content="{{ page.url }}">'
        "{% endblock %}\n",
        "utf-8",
    )
    epoch = int.from_bytes((demo_site / "sitemap.xml.gz").read_bytes()[4:8], "little")
    filled = _built(src, tmp_path / "filled", epoch, "1", monkeypatch)
    plain = _built(src, tmp_path / "plain", epoch, "0", monkeypatch)
    assert sorted(filled) == sorted(plain)
    assert [p for p in plain if plain[p] != filled[p]] == []
    odd_page = filled[Path("plans") / (plans[3].stem + ".html")].decode("utf-8")
    assert re.search(r"<title>(.*?)</title>", odd_page).group(1).startswith("A&")
    assert f'content="plans/{plans[5].stem}.html"' in filled[
        Path("plans") / (plans[5].stem + ".html")
    ].decode("utf-8")


@MKDOCS_LOADED
def test_the_hooks_keep_the_templates_render_hook_patched(real_site):
    """``theme_fast`` adds its template to the loader in place: the navigation ``render_hook``
    patched into the cached templates is what the theme's includes get (a new loader would
    start a new cache and render the navigation into every page again)."""
    cfg, files, hook = _mkdocs(real_site)
    env = cfg.theme.get_env()
    env = cfg.plugins.on_env(env, config=cfg, files=files)
    filled = cfg.plugins[str(site.THEME_HOOK)]
    assert env.get_template(filled.TEMPLATE).root_render_func is filled._root
    for name in ("partials/nav.html", "partials/tabs.html"):
        assert getattr(env.get_template(name).root_render_func, "bangfu", False), name
