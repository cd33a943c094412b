"""MkDocs hook that ``bangfu site`` adds after ``render_hook``: the pages per plan and per key
village (``bf_search`` in their front matter; tens of thousands at province scale) are turned
into HTML without a Python-Markdown instance.

Those pages are written by ``pages_plan`` and ``pages_village`` from a few kinds of block only:
a heading (``#`` or ``##``) of plain text, a table as ``text.table`` writes it, a raw ``<p>``
line, and a paragraph of plain text with relative links to other pages and file names in
backticks. For such a
page, ``convert`` gives what ``Page.render`` would: the same HTML, table of contents, title
and anchors, byte for byte. MkDocs then renders the page around it (``theme_fast``), the search
entry and the sitemap as for any page (the content is held back, as an empty text, while the
search plugin looks at the page: ``on_page_context``; no other plugin reads it meanwhile). Python-Markdown costs about 1.6 ms a page (a new instance with every
extension, then some twenty processors), most of the build of such a site.

``convert`` refuses (None) any page holding anything else — emphasis, code, lists, quotes,
entities, inline HTML, an attribute list, an id or a block tag in raw HTML, a tab or another space than the plain
one, a hard line break, an extension it does not know… — and
such a page is rendered by Python-Markdown as before. The first page of each build is rendered
both ways and compared: on any difference (an extension's settings changed, a new Markdown
version) every page goes to Python-Markdown; ``BANGFU_FAST_RENDER=verify`` compares every
page, and fails the build on a difference; ``BANGFU_FAST_RENDER=0`` turns this off. MkDocs
loads this file by path, so it imports nothing from ``bangfu``."""

from __future__ import annotations

import logging
import os
import re
from html import escape
from types import MethodType
from typing import Any

from markdown.extensions.toc import nest_toc_tokens, slugify, unique
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page, _RelativePathTreeprocessor
from mkdocs.structure.toc import get_toc

log = logging.getLogger("mkdocs.plugins.bangfu.render_fast")

MODE_ENV = "BANGFU_FAST_RENDER"  # "0": off; "verify": compare every page; else: on

# a table exactly as text.table writes it (render_hook stashes the same block unchanged)
_TABLE = re.compile(
    r'<div class="bf-table-wrap"><table[^\n]*<tbody>\n(?:<tr>[^\n]*</tr>\n)*</tbody></table></div>'
)
_HEADING = re.compile(r"(#{1,2}) +([^\n]*?)[ ]*")
_RAW_P = re.compile(r"<p>[^\n]*</p>")
# a relative link to a page: [label](path.md) or [label](path.md#anchor)
_LINK = re.compile(r"\[([^\[\]\n]+)\]\(([A-Za-z0-9._/-]+\.md(?:#[A-Za-z0-9_-]+)?)\)")
_CODE = re.compile(r"(?<!`)`([A-Za-z0-9./-][A-Za-z0-9._/-]*)`(?!`)")  # a file name in backticks
# characters that make Markdown do something to plain text; a page with them goes to Markdown
_PLAIN_UNSAFE = re.compile(r"[\\`<>&\[\]!{}|#~^\t\r\x02\x03]")
# lines Markdown reads as a list, a quote, a setext underline, code, a hard break or a
# collapsible block (pymdownx.details: ???)
_LINE_UNSAFE = re.compile(r" $|^ |^(?:[-+*=>?]|\d+[.)])", re.M)
# white space other than a space (Markdown strips any Unicode space at a heading's ends and at
# a paragraph's start; str.isspace and re's \s agree on this list), control characters
# Markdown uses, and the placeholders ``convert`` puts links in
SPACE_UNSAFE = (
    "\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\x02\x03\ue010\ue011"
)
# looked for with ``in`` (a scan in C; a character class took three times as long): those
# below 0x80 as bytes of the page's UTF-8, the others in its text
_ASCII_UNSAFE = tuple(c.encode("ascii") for c in SPACE_UNSAFE if c.isascii())
_WIDE_UNSAFE = tuple(c for c in SPACE_UNSAFE if not c.isascii())
# the characters other than white space whose ``str.lower()`` holds an ASCII character
# (İ → i̇, the Kelvin sign → k): a page with one is lower-cased as text, else only its ASCII
# bytes can match a word below, and ``bytes.lower`` lowers just those
LOWER_TO_ASCII = ("\u0130", "\u212a")
_HEADING_UNSAFE = re.compile(r"[\\`*_<>&\[\]!{}#|~^\t\r\x02\x03]")
# in the lower-cased page: anchors (MkDocs collects every id, and every name of a link),
# md_in_html's attribute, and tags render_hook stops stashing tables after
_ATTR_WORDS = tuple(f"{s}{w}" for w in ("id", "name", "markdown") for s in " \n")
_ATTR_EQ = re.compile(r"\s*=")
_DETAILS = re.compile(r"<\s*/?\s*details")
# the page's UTF-8 lower-cased and each line end a space, in one pass (``bytes.translate``):
# the words then need one search each
_LOWER_LINES = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ\n", b"abcdefghijklmnopqrstuvwxyz ")
_ATTR_WORDS_B = (b" id", b" name", b" markdown")
_ATTR_EQ_B = re.compile(rb"\s*=")
_DETAILS_B = re.compile(rb"<\s*/?\s*details")


def _attr_unsafe(low, words=_ATTR_WORDS, eq=_ATTR_EQ) -> bool:
    """An ``id``, ``name`` or ``markdown`` attribute (after a space or a line end: other white
    space is refused before), found with ``find``: faster than a regular expression over
    the page's tables. ``low``: the lower-cased page, as text or as bytes (with ``words``
    and ``eq`` as bytes)."""
    for word in words:
        at = low.find(word)
        while at >= 0:
            if eq.match(low, at + len(word)):
                return True
            at = low.find(word, at + 1)
    return False


def _page_unsafe(markdown: str) -> bool:
    """Whether anything in the page sends it to Markdown whichever block holds it (the
    search plugin strips ``data-search-`` attributes from the content).

    The page is read as UTF-8 bytes: every character this looks for is ASCII, and once the
    white space above is refused the only white space left is the space and the line end,
    which ``\\s`` of a bytes pattern matches as the text's does (and a line end made a space
    still does); a character of more than one byte never matches. ``_page_unsafe_text`` is
    the same test on the text (pages per plan at 500,000 households: 136 µs a page; this
    one, 88 µs)."""
    data = markdown.encode("utf-8", "surrogatepass")
    if any(b in data for b in _ASCII_UNSAFE) or any(c in markdown for c in _WIDE_UNSAFE):
        return True
    if any(c in markdown for c in LOWER_TO_ASCII):
        return _page_unsafe_text(markdown)
    low = data.translate(_LOWER_LINES)
    return (
        _attr_unsafe(low, _ATTR_WORDS_B, _ATTR_EQ_B)
        or b"data-search-" in low
        or (b"details" in low and _DETAILS_B.search(low) is not None)
    )


def _page_unsafe_text(markdown: str) -> bool:
    """``_page_unsafe`` on the page as text, lower-cased as ``str.lower`` does."""
    if any(c in markdown for c in SPACE_UNSAFE):
        return True
    low = markdown.lower()
    return (
        _attr_unsafe(low)
        or "data-search-" in low
        or ("details" in low and _DETAILS.search(low) is not None)
    )


_RAW_P_TAG = re.compile(r"<\s*/?\s*([A-Za-z][A-Za-z0-9]*)")
_INLINE = frozenset({"p", "a", "abbr", "span", "code", "strong", "em", "b", "i", "small"})


def convert(markdown: str, link=None) -> tuple[str, list[Any], str | None, set[str]] | None:
    """(HTML, the toc extension's tokens, the title the first heading gives, anchor ids) of a
    page made only of the blocks above, as Python-Markdown with this site's extensions gives
    them; None for any other page. ``link(url)``: the URL a Markdown link to ``url`` becomes
    (MkDocs's own resolution; None: refuse pages with links)."""
    out: list[str] = []
    tokens: list[Any] = []
    used: set[str] = set()
    title = None
    first = True
    if _page_unsafe(markdown):
        return None
    links: list[str] = []
    for block in re.split(r"\n[ ]*\n", markdown.strip("\n")):
        block = block.strip("\n")
        if not block.strip():
            continue
        if block.startswith("<div"):
            if _TABLE.fullmatch(block) is None:
                return None
            out.append(block + "\n")
        elif block.startswith("<"):
            tags = [t.lower() for t in _RAW_P_TAG.findall(block)]
            if _RAW_P.fullmatch(block) is None or tags.count("p") != 2 or set(tags) - _INLINE:
                return None
            out.append(block + "\n")
        elif block.startswith("#"):
            m = _HEADING.fullmatch(block)
            if m is None or not m.group(2) or _HEADING_UNSAFE.search(m.group(2)):
                return None
            level, text = len(m.group(1)), m.group(2)
            anchor = unique(slugify(text, "-"), used)
            out.append(f'<h{level} id="{anchor}">{escape(text, quote=False)}</h{level}>')
            tokens.append(
                {"level": level, "id": anchor, "name": text, "html": text, "data-toc-label": ""}
            )
            if first and level == 1:
                title = text
        else:
            html = _paragraph(block, links)
            if html is None:
                return None
            out.append(f"<p>{html}</p>")
        first = False
    html = "\n".join(out).strip()
    if links:  # resolved once the page is accepted: MkDocs logs a link it cannot resolve
        if link is None:
            return None
        hrefs = [escape(link(url)) for url in links]
        html = re.sub("\ue010([0-9]+)\ue011", lambda m: hrefs[int(m.group(1))], html)
    return html, nest_toc_tokens(tokens), title, used


def _paragraph(block: str, links: list[str]) -> str | None:
    """A paragraph's HTML, each link's address a placeholder (its number in ``links``)."""
    # a lone * or _ stays as it is; two may emphasise
    if _LINE_UNSAFE.search(block) or block.count("*") + block.count("_") > 1:
        return None
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for m in _LINK.finditer(block):
        pieces.append((block[at : m.start()], None))
        pieces.append((m.group(1), f"\ue010{len(links)}\ue011"))
        links.append(m.group(2))
        at = m.end()
    pieces.append((block[at:], None))
    html = []
    for text, href in pieces:
        if href is not None:
            if _PLAIN_UNSAFE.search(text) or text != text.strip(" "):
                return None
            html.append(f'<a href="{href}">{escape(text, quote=False)}</a>')
            continue
        for i, part in enumerate(_CODE.split(text)):
            if i % 2:  # inside backticks
                html.append(f"<code>{part}</code>")
            elif _PLAIN_UNSAFE.search(part):
                return None
            else:
                html.append(escape(part, quote=False))
    return "".join(html)


# ---------------------------------------------------------------- the hook


class _State:
    def __init__(self) -> None:
        mode = os.environ.get(MODE_ENV, "1")
        self.on = mode != "0"
        self.verify_all = mode == "verify"
        self.checked = False  # the first page has been rendered both ways
        self.fast = 0
        self.slow = 0


_STATE = _State()


# the Markdown extensions ``convert`` answers for (MkDocs's own three, and the site's); with any
# other (smarty, magiclink, emoji…) every page goes to Python-Markdown
EXTENSIONS = frozenset(
    {
        "toc",
        "tables",
        "fenced_code",
        "admonition",
        "attr_list",
        "md_in_html",
        "pymdownx.details",
        "pymdownx.highlight",
        "pymdownx.superfences",
    }
)


def _known(ext) -> bool:
    if isinstance(ext, str):
        return ext in EXTENSIONS
    kind = type(ext)  # render_hook's table stash, loaded by MkDocs from its path
    return kind.__name__ == "_Ext" and kind.__module__.endswith("render_hook.py")


def on_config(config):
    global _STATE
    _STATE = _State()
    toc = (config.mdx_configs or {}).get("toc") or {}
    if set(toc) - {"permalink"} or toc.get("permalink") not in (False, None):
        _STATE.on = False  # another table of contents than the one ``convert`` writes
    if not all(_known(ext) for ext in config.markdown_extensions):
        _STATE.on = False
    return config


def on_page_markdown(markdown, page, config, files):
    if _STATE.on and "bf_search" in page.meta and "render" not in page.__dict__:
        page.render = MethodType(_render, page)  # not when another shard renders the page
    return markdown


def _render(page, config, files) -> None:
    """``Page.render`` of a page per plan or village: ``convert``, else Python-Markdown."""
    paths = _RelativePathTreeprocessor(page.file, files, config)
    done = convert(page.markdown, paths.path_to_url) if _STATE.on else None
    if done is None:
        _STATE.slow += 1
        Page.render(page, config, files)
        return
    if _STATE.verify_all or not _STATE.checked:
        _STATE.checked = True
        Page.render(page, config, files)
        if _differs(page, done):
            if _STATE.verify_all:
                raise PluginError(f"render_fast: {page.file.src_uri} differs from Markdown")
            _STATE.on = False  # Python-Markdown renders every page from here on
            log.info("render_fast: off for this build (%s differs)", page.file.src_uri)
            return
    content, tokens, title, anchors = done
    page.content = ""  # held until the theme's turn (``on_page_context``)
    page.bf_content = content
    page.toc = get_toc(tokens)
    page._title_from_render = title
    page.present_anchor_ids = anchors
    if logging.getLogger("mkdocs").getEffectiveLevel() > logging.DEBUG:
        page.links_to_anchors = paths.links_to_anchors
    _STATE.fast += 1


def on_page_context(context, page, config, nav):
    """The content back, once the search plugin's ``on_page_context`` (which runs first) has
    indexed the page by its title and search line (``render_hook``) and searched the content
    for ``data-search-`` attributes to strip, which ``convert`` never lets through: that search
    of every page's tables was a tenth of the build."""
    held = page.__dict__.pop("bf_content", None)
    if held is not None:
        page.content = held
    return context


def _differs(page, done) -> bool:
    content, tokens, title, anchors = done
    return (
        page.content != content
        or _toc(page.toc) != _toc(get_toc(tokens))
        or page._title_from_render != title
        or page.present_anchor_ids != anchors
    )


def _toc(items) -> list:
    return [(i.title, i.id, i.level, _toc(i.children)) for i in items]


def on_post_build(config):
    log.debug("render_fast: %d pages without Markdown, %d with", _STATE.fast, _STATE.slow)
