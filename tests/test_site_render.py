"""The render hook's shortcuts change nothing: the generated tables skip Markdown's HTML parse
and reach the search plugin with fewer tags, yet every page renders to the same HTML and the
search plugin collects the same sections, titles and text."""

from __future__ import annotations

import importlib.util
import shutil

import markdown
import pytest
import yaml
from material.plugins.search.plugin import Parser

from bangfu.publish import site, text

from .conftest import ROOT, bangfu


def _load_hook(name: str):
    """The hook module, loaded by path as MkDocs loads it (a new module each time)."""
    spec = importlib.util.spec_from_file_location(name, site.RENDER_HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = _load_hook("render_hook")

EXTENSIONS = yaml.safe_load(site.MKDOCS_YML.read_text("utf-8"))["markdown_extensions"]


def _md(src: str, *extra) -> str:
    names = [e if isinstance(e, str) else next(iter(e)) for e in EXTENSIONS]
    configs = {next(iter(e)): next(iter(e.values())) for e in EXTENSIONS if isinstance(e, dict)}
    return markdown.Markdown(extensions=[*names, *extra], extension_configs=configs).convert(src)


def _index(html: str) -> list[tuple]:
    parser = Parser()
    parser.feed(html)
    parser.close()
    return [("".join(s.title), "".join(s.text), s.id, s.is_excluded()) for s in parser.data]


TABLE = text.table(
    ["名称", "户数"],
    [
        ['<a href="a.html">高桥村</a>', '<abbr class="bf-withheld" title="不公开">*</abbr>'],
        ["", ""],  # an empty row: blank pieces next to each other
        ["A&amp;B&nbsp;", "<code>id</code>"],  # an entity, a blank entity, a kept tag
        ["清水县 蜜蜂", "12"],
    ],
    id_="t1",
    numeric={1},
)
SAMPLES = [
    f"# 标题\n\n前言\n\n{TABLE}\n## 第二节\n\n{TABLE}\n文字\n",
    f"{TABLE}\n",  # a table before any heading
    f'<details class="bf-dictionary"><summary>字段</summary>\n\n{TABLE}\n</details>\n\n{TABLE}',
    f"## 节 {{ #n }}\n\n{TABLE}\n<p>段落</p>\n\n{TABLE}{TABLE}",
    f"- 列表\n\n文字\n{TABLE}文字\n",
    f"文字\n{TABLE}\n{TABLE}\n\n**粗**\n{TABLE}**粗**\n\n{TABLE}",
]


@pytest.mark.parametrize("src", SAMPLES)
def test_stashed_tables_render_as_markdown_renders_them(src):
    fast = _md(src, hook._Ext())
    assert fast == _md(src)
    assert "高桥村" in fast and 'id="t1"' in fast


@pytest.mark.parametrize("src", SAMPLES)
def test_search_sees_the_same_text_with_fewer_tags(src):
    html = _md(src)
    lite = hook.search_text(html)
    assert lite.count("<") < html.count("<") / 2
    assert _index(lite) == _index(html)
    assert "高桥村" in str(_index(lite))


@pytest.mark.slow
def test_every_generated_page_renders_and_indexes_the_same(demo_site):
    docs = demo_site.parent / "src" / "docs"
    pages = sorted(docs.rglob("*.md"))
    assert any(p.parent.name == "plans" for p in pages)
    for page in pages:
        src = page.read_text("utf-8")
        html = _md(src, hook._Ext())
        assert html == _md(src), page
        assert _index(hook.search_text(html)) == _index(html), page


def test_the_generated_config_loads_the_hook(demo_site):
    conf = yaml.safe_load((demo_site.parent / "src" / "mkdocs.yml").read_text("utf-8"))
    assert str(site.RENDER_HOOK) in conf["hooks"]


@pytest.mark.slow
def _files(out) -> dict:
    """Every file of a built site but the extracts (``data/``): path → bytes."""
    files = (p for p in out.rglob("*") if p.is_file() and p.relative_to(out).parts[0] != "data")
    return {p.relative_to(out): p.read_bytes() for p in files}


def _epoch(built) -> int:
    """The build time MkDocs wrote into the gzip header of ``sitemap.xml.gz``."""
    return int.from_bytes((built / "sitemap.xml.gz").read_bytes()[4:8], "little")


def test_a_site_built_in_shards_is_the_site_built_in_one(real_site, tmp_path):
    """Three MkDocs processes, each rendering its share of the pages per plan and village
    (``render_hook.Shards``), make the site one process makes (the suite builds with one:
    ``BANGFU_WORKERS=1``), byte for byte: pages, search index, sitemap."""
    src = real_site.parent / "src"
    moved = site.mkdocs_build(src, tmp_path / "sharded", _epoch(real_site), shards=3)
    one, three = _files(real_site), _files(tmp_path / "sharded")
    assert sorted(three) == sorted(one)
    assert [p for p in one if one[p] != three[p]] == []
    owners = {hook.owner(f"plans/{p.stem}.md", True, 3) for p in one if p.parts[0] == "plans"}
    assert owners == {0, 1, 2}  # every shard rendered some of the pages per plan
    assert moved > 0 and [p.name for p in tmp_path.iterdir()] == ["sharded"]


@pytest.mark.parametrize("shards", [1, 2])
def test_a_warning_fails_the_build_with_its_message(real_site, tmp_path, shards):
    """``--strict`` holds, in one process or in shards: a link to no page is a warning, and a
    warning fails the build (MkDocs counts none under ``--quiet``: mkdocs#4126)."""
    src = tmp_path / "src"
    shutil.copytree(real_site.parent / "src", src)
    pages = sorted((src / "docs/plans").glob("*.md"))
    page = next(p for p in pages if hook.owner(f"plans/{p.name}", True, 2) == shards - 1)
    page.write_text(page.read_text("utf-8") + "\n\n[坏链接](no-such-page.md)\n", "utf-8")
    with pytest.raises(site.SiteError) as err:
        site.mkdocs_build(src, tmp_path / "out", _epoch(real_site), shards=shards)
    message = str(err.value)
    assert "no-such-page.md" in message and "WARNING" in message
    assert "INFO" not in message and "\x1b" not in message and "jieba" not in message.lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]


def test_the_navigation_rendered_once_per_folder_is_what_the_theme_renders(
    real_site, tmp_path, monkeypatch
):
    """The pages outside the navigation reuse one rendering of it per folder (``NavCache``):
    the site is byte-identical to one that renders it into every page. The first site is the
    shared build of the repository's data (``bangfu site``, the cache on); the second is MkDocs
    again over its sources with the cache off, at the same build time (``SOURCE_DATE_EPOCH``,
    which MkDocs also writes into the gzip header of ``sitemap.xml.gz``)."""
    src = real_site.parent / "src"
    monkeypatch.setenv("BANGFU_NAV_CACHE", "0")
    site.mkdocs_build(src, tmp_path / "plain", _epoch(real_site))
    cached, plain = _files(real_site), _files(tmp_path / "plain")
    assert sorted(cached) == sorted(plain)
    assert [p for p in cached if cached[p] != plain[p]] == []
    # pages outside the navigation, in more than one folder, were among them
    outside = {p.parent.as_posix() for p in cached if p.suffix == ".html" and len(p.parts) > 1}
    assert {"villages", "orgs", "plans"} <= outside, outside


def test_a_shard_that_leaves_no_pages_fails_the_build(real_site, tmp_path, monkeypatch):
    """A shard that ends well but whose list of pages is missing (a hook not loaded, a
    process that wrote elsewhere) is a failed build, not a site with pages missing."""
    real = site.start_mkdocs

    def no_list(src, out, env, log):  # each shard writes its list where it is not looked for
        env = {**env, hook.MANIFEST_ENV: str(tmp_path / "elsewhere.txt")}
        return real(src, out, env, log)

    monkeypatch.setattr(site, "start_mkdocs", no_list)
    with pytest.raises(site.SiteError, match="没有留下它生成的页面"):
        site.mkdocs_build(real_site.parent / "src", tmp_path / "out", _epoch(real_site), shards=2)


def test_the_site_built_with_several_processes_is_the_site_built_with_one(real_site, tmp_path):
    """``bangfu site`` as on a server (two processes: the check beside the figures, the
    workbook beside the other files, MkDocs in two shards) makes, byte for byte, the site and
    the extracts that one process makes (the suite's ``real_site``: ``BANGFU_WORKERS=1``)."""
    out = tmp_path / "out"
    proc = bangfu(
        "site",
        "--data",
        str(ROOT / "data"),
        "--out",
        str(out),
        "--src",
        str(tmp_path / "src"),
        cwd=ROOT,
        env={"BANGFU_WORKERS": "2"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    one = {p.relative_to(real_site): p.read_bytes() for p in real_site.rglob("*") if p.is_file()}
    two = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert sorted(two) == sorted(one)
    assert [p for p in one if one[p] != two[p]] == []


def test_the_front_matter_file_holds_that_of_every_page_with_a_summary(real_site):
    """``bangfu site`` writes the front matter of each page with ``bf_search`` beside
    ``mkdocs.yml``, exactly as the page begins; the shards take the pages they do not render
    from it (``test_a_site_built_in_shards_is_the_site_built_in_one`` builds with it)."""
    import json

    src = real_site.parent / "src"
    fronts = json.loads((src / hook.FRONT_FILE).read_text("utf-8"))
    docs = src / "docs"
    texts = {p.relative_to(docs).as_posix(): p.read_text("utf-8") for p in docs.rglob("*.md")}
    summed = {
        rel
        for rel, t in texts.items()
        if t.startswith("---\n") and "\nbf_search: " in t.split("\n---\n", 1)[0]
    }
    assert summed and set(fronts) == summed
    assert {rel.split("/")[0] for rel in summed} >= {"plans"}
    for rel, front in fronts.items():
        assert texts[rel].startswith(front) and front.endswith("\n---\n")
        assert yaml.safe_load(front.strip("-\n"))["bf_search"]


def test_a_shard_takes_a_page_another_renders_from_the_front_matter_file(tmp_path, monkeypatch):
    """The page is not read: its source is its front matter alone. A page the shard renders,
    or one not in the file, is read from its file as ever; with one process nothing changes."""
    import json
    from types import SimpleNamespace

    from mkdocs.structure.files import File, Files

    docs = tmp_path / "docs"
    (docs / "plans").mkdir(parents=True)
    names = [f"plans/p{i}.md" for i in range(12)] + ["other.md"]
    fronts = {}
    for rel in names:
        front = f'---\ntitle: "{rel}"\nbf_search: "区县：甲"\n---\n'
        (docs / rel).write_text(front + "\n# body\n", "utf-8")
        if rel != "other.md":
            fronts[rel] = front
    (tmp_path / hook.FRONT_FILE).write_text(json.dumps(fronts), "utf-8")
    config = SimpleNamespace(config_file_path=str(tmp_path / "mkdocs.yml"))
    for k, n in ((0, 2), (1, 2), (0, 1)):
        monkeypatch.setenv(hook.SHARD_ENV, f"{k}/{n}")
        files = Files([File(rel, str(docs), str(tmp_path / "site"), False) for rel in names])
        hook.Shards().files(files, config)
        for f in files:
            others = f.src_uri in fronts and hook.owner(f.src_uri, True, n) != k
            expected = fronts[f.src_uri] if others else (docs / f.src_uri).read_text("utf-8")
            assert f.content_string == expected
            assert (f.abs_src_path is None) == others
        if n == 2:  # both kinds were met
            assert len({f.abs_src_path is None for f in files}) == 2


def _yaml_get_data(doc: str) -> tuple[str, dict]:
    """What MkDocs's ``get_data`` gives for a page with YAML front matter that is a mapping."""
    from mkdocs.utils import meta

    m = meta.YAML_RE.match(doc)
    return doc[m.end() :].lstrip("\n"), yaml.load(m.group(1), yaml.CSafeLoader)


def test_front_matter_read_without_yaml_is_what_yaml_reads(real_site):
    """Every page ``bangfu site`` generates has front matter ``front_data`` reads, the same as
    PyYAML; a hand-written page whose front matter is in another form is left to PyYAML."""
    import json

    from mkdocs.utils import meta

    docs = real_site.parent / "src" / "docs"
    fast = declined = 0
    for path in docs.rglob("*.md"):
        doc = path.read_text("utf-8")
        m = meta.YAML_RE.match(doc)
        if m is None:
            continue
        if hook.front_data(m.group(1)) is None:
            declined += 1
            continue
        fast += 1
        assert hook.fast_get_data(doc) == _yaml_get_data(doc), path
    fronts = json.loads((real_site.parent / "src" / hook.FRONT_FILE).read_text("utf-8"))
    assert fast > len(fronts) > 0
    assert 0 < declined < 10  # the hand-written pages (``title: 首页``)


# characters and words on which YAML and a naive reading differ
_TRICKY = list("\"\\#:{[&*!%@`|>-~' 甲村𠀀") + [
    *(": ", "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "\x85", "\u2028", "\u2029"),
    *("\ud7ff", "\ud800", "\ue000", "\ufeff", "\ufffe", "\uffff"),
]
_WORDS = ["navigation", "toc", "yes", "no", "on", "off", "null", "true", "false", "y", "abc"]


@pytest.mark.parametrize("seed", range(4))
def test_front_data_reads_a_block_as_yaml_does_or_declines_it(seed):
    import random

    rnd = random.Random(seed)
    taken = declined = 0
    for _ in range(1500):
        lines = []
        for _line in range(rnd.randint(1, 3)):
            key = rnd.choice(["title", "bf_search", "hide", "on", "null", "x_y", "title"])
            if rnd.random() < 0.7:
                value = "".join(
                    rnd.choice(_TRICKY) if rnd.random() < 0.8 else chr(rnd.randrange(0x3000))
                    for _ in range(rnd.randint(0, 6))
                )
                lines.append(f"{key}: {text.yaml_str(value)}")
            else:
                lines.append(f"{key}: [{', '.join(rnd.sample(_WORDS, rnd.randint(1, 3)))}]")
        block = "\n".join(lines) + "\n"
        got = hook.front_data(block)
        if got is None:
            declined += 1
            continue
        taken += 1
        assert got == yaml.load(block, yaml.CSafeLoader), block
    assert taken > 100 and declined > 100  # both ways met


@pytest.mark.parametrize(
    "block",
    [
        'title: "a\tb"\n',  # a tab (read as written, left to YAML all the same)
        'title: "a\x85b"\n',  # next line: YAML reads it as a line break
        'title: "\ufeffa"\n',  # a byte order mark (as a tab)
        'title: "a\x7fb"\n',  # YAML's reader refuses it
        'yes: "a"\n',  # a boolean key
        "hide: [navigation, off]\n",  # a boolean item
        'title: "a"\ntitle: "b"\n',  # the same key twice
        "title: 首页\n",  # a plain scalar
        'title: "a\u2028b"\n',  # a line separator: YAML folds it
        'title: "a" # note\n',  # a comment
        'title: "a\\nb"\n',  # an escape other than \\ and \"
        "hide: []\n",
    ],
)
def test_front_data_leaves_any_other_form_to_yaml(block):
    assert hook.front_data(block) is None


def test_the_hook_reads_front_matter_without_yaml_once_installed():
    from mkdocs.utils import meta

    hook.read_front_fast()
    installed = meta.get_data
    hook.read_front_fast()  # a second build in the same process: not wrapped again
    assert meta.get_data is installed
    doc = '---\ntitle: "甲\\"乙\\\\"\nhide: [navigation, toc]\n---\n\n# 甲\n'
    assert meta.get_data(doc) == ("# 甲\n", {"title": '甲"乙\\', "hide": ["navigation", "toc"]})
    assert meta.get_data(doc) == _yaml_get_data(doc)
    other = "---\ntitle: 首页\n---\n正文\n"  # declined: PyYAML reads it
    assert meta.get_data(other) == ("正文\n", {"title": "首页"})


def _hook_in_shard(monkeypatch, shard: str):
    """The hook as MkDocs loads it in a process with ``BANGFU_SHARD=shard``."""
    monkeypatch.setenv(hook.SHARD_ENV, shard)
    return _load_hook("render_hook_in_shard")


@pytest.mark.parametrize("shard", ["0/2", "1/2", "0/1"])
def test_only_the_first_shard_indexes_pages_and_cuts_each_text_once(monkeypatch, shard):
    """Shard k > 0 adds nothing to its search index (shard 0 writes the site's); the index
    cuts each text into words once per build, as the plugin itself cuts it."""
    from types import SimpleNamespace

    import jieba
    from material.plugins.search.plugin import SearchIndex

    index = SearchIndex(lang=["zh"])
    plain = index._segment_chinese
    cut: list[str] = []

    def counted(text):
        cut.append(text)
        return plain(text)

    index._segment_chinese = counted
    plugin = SimpleNamespace(search_index=index)
    config = SimpleNamespace(markdown_extensions=[], plugins={"material/search": plugin})
    _hook_in_shard(monkeypatch, shard).on_config(config)
    pages = [
        SimpleNamespace(
            content="",
            meta={"title": t, "bf_search": "乡镇：山门镇；区县：清水县"},
            toc=[],
            url=f"plans/{i}/",
            title=t,
        )
        for i, t in enumerate(["高桥村结对帮扶方案", "腰套村结对帮扶方案", "高桥村结对帮扶方案"])
    ]
    for page in pages:
        index.add_entry_from_context(page)
    if shard == "1/2":
        assert index.entries == [] and cut == []
        return
    assert jieba  # the plugin cuts Chinese text only with jieba
    assert [e["location"] for e in index.entries] == ["plans/0/", "plans/1/", "plans/2/"]
    summary = "<p>乡镇：山门镇；区县：清水县</p>"  # the page's text: its summary line
    assert sorted(cut) == sorted({"高桥村结对帮扶方案", "腰套村结对帮扶方案", summary})
    for e, page in zip(index.entries, pages, strict=True):
        assert (e["title"], e["text"]) == (plain(page.title), plain(summary))
