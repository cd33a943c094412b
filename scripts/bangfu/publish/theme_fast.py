"""MkDocs hook that ``bangfu site`` adds after ``render_fast``: the theme's page around the pages
per plan and per key village (``bf_search`` in their front matter) is rendered once per kind of
page and filled in, not rendered again for each of them.

Material's ``main.html`` costs about 0.8 ms a page, and for those pages (outside the
navigation, in one folder, with the same front matter but for their title and search line)
what it writes depends only on the folder, the page's title, search line, content and table of
contents. So for each *shape* — the folder, the rest of the front matter and the nesting of the
table of contents — the theme renders the page once more with a marker in place of each of
those values, and the text between the markers is kept: a page of that shape is the kept text
with its own values put back where the markers were.

It is checked, not assumed:

- a value the theme's filters or tests could write or judge otherwise than its marker (an
  empty one, an HTML special character, a letter with a case, white space other than single
  spaces…) and a content the theme shows other than once send the page to the theme;
- the first two pages of each shape are rendered by the theme as well and compared (the first
  catches a value of its own that the theme writes otherwise, the second something of the
  first page's own, such as its address, kept in the text): on a difference, every page of
  that shape goes to the theme.

``BANGFU_FAST_RENDER=verify`` renders every page both ways and fails the build on a difference;
``BANGFU_FAST_RENDER=0`` turns this off (as it does ``render_fast``). MkDocs loads this file by
path, so it imports nothing from ``bangfu``."""

from __future__ import annotations

import json
import logging
import os
import posixpath
import re
from typing import Any

from jinja2 import ChoiceLoader, DictLoader
from mkdocs.exceptions import PluginError
from mkdocs.structure.toc import get_toc

log = logging.getLogger("mkdocs.plugins.bangfu.theme_fast")

MODE_ENV = "BANGFU_FAST_RENDER"
TEMPLATE = "bangfu-filled.html"  # the pages filled in; its root render function is ``_root``
THEME = "main.html"
_MARK = re.compile("\ue000([a-z][0-9]*)\ue001")
_SPECIAL = re.compile(r"[&<>\"'\\\ue000-\ue003]|[^\S ]|  |^ | $")
_ID = re.compile(r"[A-Za-z0-9_-]+")
# the characters the markers are made of, looked for in a page's content with ``in`` (a scan
# in C: at 500,000 households a character class took 3.9 s of a shard's 47)
_MARKS = ("\ue000", "\ue001", "\ue002", "\ue003")
_H1 = "<h1"  # what Material's partials/content.html looks for in the content
_H1_MARK = "\ue002<h1\ue003"  # … put in the marked content when the real one has it


def _mark(name: str) -> str:
    return f"\ue000{name}\ue001"


def _plain(value) -> bool:
    """A text every escape, tag strip and white-space rule of the theme leaves as it is."""
    return (
        isinstance(value, str)
        and value != ""  # the theme tests a title for being empty
        and _SPECIAL.search(value) is None
        and value.lower() == value.upper()  # no letter with a case
    )


class _State:
    def __init__(self) -> None:
        mode = os.environ.get(MODE_ENV, "1")
        self.on = mode != "0"
        self.verify_all = mode == "verify"
        self.env: Any = None
        self.kept: dict[str, list[str] | None] = {}  # shape → the kept text; None: the theme's
        self.seen: dict[str, int] = {}  # shape → pages compared
        self.filled = 0
        self.themed = 0


_STATE = _State()


def on_config(config):
    global _STATE
    _STATE = _State()
    return config


def on_env(env, config, files):
    _STATE.env = env
    # added to the loader in place: a new loader would start a new template cache, and the
    # navigation that ``render_hook`` patched into the cached templates would be rendered again
    if isinstance(env.loader, ChoiceLoader):
        env.loader.loaders = [DictLoader({TEMPLATE: ""}), *env.loader.loaders]
    else:
        env.loader = ChoiceLoader([DictLoader({TEMPLATE: ""}), env.loader])
    template = env.get_template(TEMPLATE)
    template.root_render_func = _root
    return env


def on_page_markdown(markdown, page, config, files):
    if _STATE.on and "bf_search" in page.meta and "template" not in page.meta:
        page.meta["template"] = TEMPLATE  # not when another shard renders the page
    return markdown


def _root(context):
    """The root render function of ``TEMPLATE``: the page, filled in or by the theme."""
    yield _page(context["page"], context.get_all())


def _page(page, context: dict) -> str:
    theme = _STATE.env.get_template(THEME)
    values = _values(page)
    kept = None
    if values is not None:
        key = _shape(page)
        if key not in _STATE.kept:
            _STATE.kept[key] = _kept(theme, page, context)
        kept = _STATE.kept[key]
    if values is None or kept is None:
        _STATE.themed += 1
        return theme.render(context)
    filled = _fill(kept, values)
    if _STATE.verify_all or _STATE.seen.get(key, 0) < 2:
        _STATE.seen[key] = _STATE.seen.get(key, 0) + 1
        real = theme.render(context)
        if real != filled:
            if _STATE.verify_all:
                raise PluginError(f"theme_fast: {page.file.src_uri} differs from the theme")
            _STATE.kept[key] = None
            _STATE.themed += 1
            return real
    _STATE.filled += 1
    return filled


def _values(page) -> dict[str, str] | None:
    """The values put back where the markers are; None when one of them is not plain."""
    values = {"t": page.meta.get("title"), "s": page.meta.get("bf_search")}
    if not all(_plain(v) for v in values.values()):
        return None
    if not isinstance(page.content, str) or any(m in page.content for m in _MARKS):
        return None
    values["c"] = page.content
    for i, item in enumerate(_items(page.toc)):
        if not _plain(item.title) or _ID.fullmatch(item.id or "") is None:
            return None
        values[f"h{i}"], values[f"i{i}"] = item.title, item.id
    return values


def _items(toc) -> list:
    out = []
    for item in toc:
        out.append(item)
        out.extend(_items(item.children))
    return out


def _shape(page) -> str:
    """The folder, the front matter but the values, the nesting of the table of contents and
    whether the content has a first-level heading (the theme writes one when it has none)."""
    meta = {k: v for k, v in page.meta.items() if k not in ("title", "bf_search")}
    return json.dumps(
        [posixpath.dirname(page.url), meta, _nesting(page.toc), _H1 in page.content],
        ensure_ascii=False,
        default=str,
    )


def _nesting(toc) -> list:
    return [[item.level, _nesting(item.children)] for item in toc]


def _marked_toc(toc, count: list[int]) -> list[Any]:
    tokens = []
    for item in toc:
        i = count[0]
        count[0] += 1
        children = _marked_toc(item.children, count)
        tokens.append(
            {
                "level": item.level,
                "id": _mark(f"i{i}"),
                "name": _mark(f"h{i}"),
                "children": children,
            }
        )
    return tokens


def _kept(theme, page, context: dict) -> list[str] | None:
    """The theme's page of this shape with markers in place of the values, split at them
    (text, name, text, name, …, text); None when the content is not shown exactly once."""
    saved = page.meta, page.content, page.toc
    try:
        page.meta = {**page.meta, "title": _mark("t"), "bf_search": _mark("s")}
        page.content = _mark("c") + (_H1_MARK if _H1 in saved[1] else "")
        page.toc = get_toc(_marked_toc(saved[2], [0]))
        text = theme.render(context)
    finally:
        page.meta, page.content, page.toc = saved
    if _H1 in saved[1]:
        if text.count(_H1_MARK) != 1:
            return None
        text = text.replace(_H1_MARK, "")
    parts = _MARK.split(text)
    if parts[1::2].count("c") != 1 or "\ue000" in "".join(parts[::2]):
        return None
    return parts


def _fill(kept: list[str], values: dict[str, str]) -> str:
    out = list(kept)
    for i in range(1, len(out), 2):
        out[i] = values[out[i]]
    return "".join(out)


def on_post_build(config):
    log.debug("theme_fast: %d pages filled in, %d by the theme", _STATE.filled, _STATE.themed)
