"""MkDocs hook that ``bangfu site`` adds to the generated ``mkdocs.yml``: the generated tables
skip Markdown's HTML parsing.

``text.table`` writes each table as one raw HTML block (``<div class="bf-table-wrap">`` …
``</table></div>``) that Markdown passes through unchanged. Python-Markdown would still parse
it twice with ``html.parser`` (MkDocs's anchor scan, then ``md_in_html``'s block splitter):
about half of the build time of a page per village and plan. This preprocessor, run before
both, stashes each such block exactly as Markdown's own splitter does (``htmlStash.store``,
the placeholder on a block of its own), so the page comes out byte-identical. MkDocs loads it
by path, so it imports nothing from ``bangfu``.

The search plugin then parses each page's HTML once more, tag by tag, to collect its text.
``search_text`` hands it the same tables with fewer tags: a run of table tags between two
pieces of text that are not blank is dropped (the plugin joins the pieces with nothing
between them, so the index is byte-identical), any other run becomes one ``<br>`` (a void
tag the plugin ignores, keeping blank pieces, where it collapses whitespace, apart). The page
itself is rendered from its full HTML.

A page whose front matter has ``bf_search`` (the pages per plan and per key village, written by
``search.summary_front``) goes into the index by its title and that one line only, not its
tables: the index grows with the number of such pages, not with their content.

The theme renders the whole site navigation (``partials/nav.html``) into every page. For a page
that is not in the navigation (the pages per village, plan, organization and campaign) no item
is marked as the current one, and its links are relative to the page's folder: the
navigation (the sidebar and the tabs) is rendered once per folder for those pages and reused
(``NavCache``, emptied at the start of every build), byte for byte what the theme would render
each time. ``BANGFU_NAV_CACHE=0`` renders it every time.

Shards: ``bangfu site`` runs MkDocs once per core (``site.mkdocs_build``), each process with
``BANGFU_SHARD=k/n``. The pages per plan and per key village (``bf_search``) are shared out
by a hash of their path; every other page is shard 0's. A page another shard renders is
skipped here: it is not rendered (its title is in its front matter) or only its first heading
is (the title it gives the navigation), and its template renders nothing, so MkDocs writes no
file for it. Its search entry (title
and summary line, from the front matter) and its sitemap line do not depend on its content:
shard 0 writes the search index and the sitemap of the whole site; shard k > 0 lists the pages
it wrote (``BANGFU_SHARD_MANIFEST``), which are moved into shard 0's site, and adds no page to
its own search index, which is not kept.

Nor is such a page read: ``bangfu site`` writes the front matter of every page with
``bf_search`` into one file beside ``mkdocs.yml`` (``FRONT_FILE``), and a shard takes a page
another renders from there, front matter and no content (``Shards.files``). Before, every
shard read every such page: at 200,000 households some 15 KB each, 450 MB in all, an eighth
of a shard's time.

Front matter without YAML: MkDocs parses every page's front matter with PyYAML (``get_data``),
and every shard does so for every page, its own and the others' (at 500,000 households 4.7–6.1
s of a shard's time; 1.3 s read as below). ``text.front`` writes only lines of two forms:
``key: "text"`` (``yaml_str``) and ``key: [word, word]``. ``front_data`` reads exactly those,
and only where YAML reads them the same way (no character YAML refuses or folds, no word YAML
takes for a boolean or null); anything else, it declines and PyYAML reads it
(``fast_get_data``, which replaces MkDocs's ``get_data`` and gives what it gives)."""

from __future__ import annotations

import json
import os
import posixpath
import re
import zlib
from html import escape, unescape
from types import MethodType

from jinja2 import ChoiceLoader, DictLoader
from markdown import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.structure.toc import get_toc

# a whole block exactly as text.table writes it (head line, a line per row, end line), after a
# blank line and followed by one (Markdown then keeps that line end in the block), or the start or
# end of a raw <details> block. A table inside one, or any other, is left to Markdown.
_BLOCK = re.compile(
    r'(?:\A|(?<=\n\n))<div class="bf-table-wrap"><table[^\n]*<tbody>\n(?:<tr>[^\n]*</tr>\n)*'
    r"</tbody></table></div>(?=\n[ ]*\n)|<(/?)details\b"
)


class _StashTables(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if '<div class="bf-table-wrap">' not in text:
            return lines
        depth = 0

        def stash(m: re.Match) -> str:
            nonlocal depth
            if m.group(1) is not None:  # <details> or </details>
                depth += -1 if m.group(1) else 1
                return m.group(0)
            if depth > 0:
                return m.group(0)
            # the line end before the blank line belongs to the block, as in Markdown's splitter
            return f"\n\n{self.md.htmlStash.store(m.group(0) + chr(10))}\n\n"

        return _BLOCK.sub(stash, text).split("\n")


class _Ext(Extension):
    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.register(_StashTables(md), "bangfu_tables", 22)  # before MkDocs's 21


# the tables in the page's HTML (stashed unchanged above); the tags that hold no text the search
# plugin keeps (it keeps p, code, pre, li, ol, ul, sub, sup and headings) and run together
_HTML_TABLE = re.compile(r'<div class="bf-table-wrap">.*?</table></div>', re.S)
_TAG_RUN = re.compile(r"(?:</?(?:div|table|thead|tbody|tr|th|td|abbr|a|span)\b[^>]*>)+")


def _blank(piece: str) -> bool:
    """Whether the search plugin sees ``piece`` (text between two tags) as blank."""
    return not piece or unescape(piece).isspace()


def _lite_table(html: str) -> str:
    def run(m: re.Match) -> str:
        if "data-search" in m.group(0) or "linenodiv" in m.group(0):
            return m.group(0)
        before = html[html.rfind(">", 0, m.start()) + 1 : m.start()]
        end = html.find("<", m.end())
        after = html[m.end() : len(html) if end < 0 else end]
        return "<br>" if _blank(before) or _blank(after) else ""

    return _TAG_RUN.sub(run, html)


def search_text(html: str) -> str:
    """``html`` with fewer tags in its tables and the same text for the search plugin."""
    return _HTML_TABLE.sub(lambda m: _lite_table(m.group(0)), html)


# ---------------------------------------------------------------- front matter without YAML

_FRONT_LINE = re.compile(r'([a-z_]+): (?:"((?:[^"\\]|\\[\\"])*)"|\[([a-z]+(?:, [a-z]+)*)\])')
_UNESCAPE = re.compile(r"\\(.)")
# what a double-quoted scalar may hold for YAML to read it as written: the printable characters
# (YAML's reader refuses the rest) but the line breaks of YAML 1.1 (next line, line and paragraph
# separators: it folds them); tabs and the byte order mark, which it reads as written, are left
# to it all the same
_PLAIN_TEXT = re.compile(
    "[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)
# YAML 1.1 reads these bare words as booleans or null (PyYAML's resolver); as keys or list items
# they are left to YAML
_NOT_WORDS = frozenset(("y", "n", "yes", "no", "true", "false", "on", "off", "null"))


def front_data(block: str) -> dict | None:
    """The front matter ``block`` (the lines between the ``---`` lines, as MkDocs's
    ``YAML_RE`` gives them) as PyYAML reads it, when every line is one that ``text.front``
    writes; else None."""
    data: dict = {}
    for line in block[:-1].split("\n") if block.endswith("\n") else ():
        m = _FRONT_LINE.fullmatch(line)
        if m is None or m.group(1) in data or m.group(1) in _NOT_WORDS:
            return None
        key, quoted, words = m.groups()
        if quoted is not None:
            text = _UNESCAPE.sub(r"\1", quoted)
            if not _PLAIN_TEXT.fullmatch(text):
                return None
            data[key] = text
        else:
            items = words.split(", ")
            if any(w in _NOT_WORDS for w in items):
                return None
            data[key] = items
    return data or None


def fast_get_data(doc: str, _original=None) -> tuple[str, dict]:
    """MkDocs's ``get_data`` (``_original``): the same page text and front matter, read by
    ``front_data`` where it can."""
    from mkdocs.utils import meta

    m = meta.YAML_RE.match(doc)
    data = front_data(m.group(1)) if m is not None else None
    if m is None or data is None:
        return (_original or meta.get_data)(doc)
    return doc[m.end() :].lstrip("\n"), data


def read_front_fast() -> None:
    """Install ``fast_get_data`` in MkDocs (once per process)."""
    from mkdocs.utils import meta

    original = meta.get_data
    if getattr(original, "bangfu", False):
        return

    def get_data(doc: str) -> tuple[str, dict]:
        return fast_get_data(doc, original)

    get_data.bangfu = True  # type: ignore[attr-defined]
    meta.get_data = get_data


def on_config(config):
    config.markdown_extensions.append(_Ext())
    read_front_fast()
    for key, plugin in config.plugins.items():
        index = getattr(plugin, "search_index", None)
        if key.endswith("search") and index is not None:
            add = index.add_entry_from_context
            _segment_once(index)

            def add_lite(page, add=add):
                if _SHARDS.k > 0:  # shard 0 writes the index of the whole site
                    return
                full = page.content
                summary = page.meta.get("bf_search")
                if summary is not None:  # the title (from front matter) and this line only
                    page.content = f"<p>{escape(str(summary))}</p>" if summary else ""
                else:
                    page.content = search_text(full)
                try:
                    add(page)
                finally:
                    page.content = full

            index.add_entry_from_context = add_lite
    return config


def _segment_once(index) -> None:
    """The search index cuts each text (a title, a summary line) into Chinese words once per
    build: the plugin's ``_segment_chinese`` depends only on the text and the dictionary, and
    the pages repeat their summary lines (at 500,000 households 62,018 texts in 126,950 calls,
    4.5 s of a shard's time)."""
    segment = index._segment_chinese
    if getattr(segment, "bangfu", False):
        return
    seen: dict[str, str] = {}

    def once(text):
        out = seen.get(text)
        if out is None:
            out = seen[text] = segment(text)
        return out

    once.bangfu = True  # type: ignore[attr-defined]
    index._segment_chinese = once


class NavCache:
    """The theme's navigation for the pages outside it, rendered once per folder."""

    TEMPLATES = ("partials/nav.html", "partials/tabs.html")  # the sidebar and the tabs

    def __init__(self) -> None:
        self.in_nav: set[str] = set()
        self.rendered: dict[tuple[str, str], str] = {}

    def wrap(self, name: str, render):
        """``render``: a Jinja template's root render function (context → pieces of text)."""

        def cached(context):
            page = context.get("page")
            uri = getattr(getattr(page, "file", None), "src_uri", None)
            if uri is None or uri in self.in_nav:
                yield from render(context)
                return
            key = (name, posixpath.dirname(page.url))
            text = self.rendered.get(key)
            if text is None:
                text = self.rendered[key] = "".join(render(context))
            yield text

        return cached


_NAV = NavCache()


def on_nav(nav, config, files):
    _NAV.in_nav = {p.file.src_uri for p in nav.pages}
    _NAV.rendered.clear()  # a new build (``mkdocs serve`` rebuilds in the same process)
    return nav


def on_env(env, config, files):
    # the template of the pages another shard renders: nothing. Always a ChoiceLoader, to which
    # a later hook (``theme_fast``) adds its template in place: replacing the loader after the
    # navigation is patched below would start a new template cache without the patch
    env.loader = ChoiceLoader([DictLoader({SKIP_TEMPLATE: ""}), env.loader])
    if os.environ.get("BANGFU_NAV_CACHE") != "0":
        for name in NavCache.TEMPLATES:
            template = env.get_template(name)
            if not getattr(template.root_render_func, "bangfu", False):
                template.root_render_func = _NAV.wrap(name, template.root_render_func)
                template.root_render_func.bangfu = True
    return env


# ---------------------------------------------------------------- shards

SHARD_ENV = "BANGFU_SHARD"  # "k/n": this build renders shard k of n (set by ``bangfu site``)
MANIFEST_ENV = "BANGFU_SHARD_MANIFEST"  # where shard k > 0 lists the pages it wrote
SKIP_TEMPLATE = "bangfu-skip.html"  # renders nothing: MkDocs then writes no file
# the front matter of each page with ``bf_search`` (page → its text up to the closing ``---``
# line), written by ``bangfu site`` beside mkdocs.yml (``front_file``)
FRONT_FILE = "front-matter.json"


def _shard() -> tuple[int, int]:
    value = os.environ.get(SHARD_ENV, "")
    k, _, n = value.partition("/")
    if k.isdigit() and n.isdigit() and 0 <= int(k) < int(n):
        return int(k), int(n)
    return 0, 1


def owner(src_uri: str, summary: bool, n: int) -> int:
    """The shard that renders a page: every page but those per plan or village (``bf_search``)
    is the first shard's; those go by a hash of their path into 2n - 1 equal parts, one for
    the first shard and two for each other, as the first also renders the rest."""
    if not summary or n == 1:
        return 0
    return (zlib.crc32(src_uri.encode("utf-8")) % (2 * n - 1) + 1) // 2


class Shards:
    """Pages another shard renders are skipped here: not rendered at all when their title is
    in the front matter, else cut to their first heading (the title the navigation shows);
    their template renders nothing. Shard k > 0 keeps the list of the pages it wrote."""

    def __init__(self) -> None:
        self.k, self.n = _shard()
        self.wrote: list[str] = []

    def files(self, files, config):
        """The pages with ``bf_search`` that another shard renders, given their front matter
        (``FRONT_FILE`` beside the config file, when there is one) as their whole source: no
        file read, no content to skip."""
        path = os.path.join(os.path.dirname(config.config_file_path), FRONT_FILE)
        if self.n == 1 or not os.path.isfile(path):
            return files
        with open(path, encoding="utf-8") as f:
            fronts = json.load(f)
        for file in files.documentation_pages():
            front = fronts.get(file.src_uri)
            if front is not None and owner(file.src_uri, True, self.n) != self.k:
                file.content_string = front
        return files

    def mine(self, page) -> bool:
        return owner(page.file.src_uri, "bf_search" in page.meta, self.n) == self.k

    def markdown(self, markdown: str, page) -> str:
        if self.n == 1 or self.mine(page):
            if self.k > 0:
                self.wrote.append(page.file.dest_uri)
            return markdown
        page.meta["template"] = SKIP_TEMPLATE
        if "title" in page.meta:  # the title needs no rendering: render nothing at all
            page.render = MethodType(_render_nothing, page)
            return ""
        heading = next((line for line in markdown.splitlines() if line.startswith("# ")), "")
        return heading + "\n" if heading else ""


def _render_nothing(page, config, files) -> None:
    """``Page.render`` of a page another shard renders and whose title is in its front matter:
    no Markdown instance, no content, no headings."""
    page.content = ""
    page.toc = get_toc([])
    page._title_from_render = None
    page.present_anchor_ids = set()


_SHARDS = Shards()


def front_of(text: str) -> str | None:
    """A page's front matter up to its closing ``---`` line if it has ``bf_search``, else None."""
    end = text.find("\n---\n", 4) if text.startswith("---\n") else -1
    if end > 0 and "\nbf_search: " in text[: end + 1]:
        return text[: end + 5]
    return None


def front_file(fronts: dict[str, str]) -> str:
    """``FRONT_FILE``'s text: page → its front matter (``front_of``), for the pages that
    have one (``bangfu site`` collects them as it writes the pages)."""
    return json.dumps(fronts, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def on_files(files, config):
    return _SHARDS.files(files, config)


def on_page_markdown(markdown, page, config, files):
    return _SHARDS.markdown(markdown, page)


def on_post_build(config):
    path = os.environ.get(MANIFEST_ENV)
    if _SHARDS.k > 0 and path:
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(uri + "\n" for uri in _SHARDS.wrote))
