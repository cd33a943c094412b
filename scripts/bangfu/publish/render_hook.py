"""MkDocs hook that ``bangfu site`` adds to the generated ``mkdocs.yml``: the generated tables
skip Markdown's HTML parsing.

``text.table`` writes each table as one raw HTML block (``<div class="bf-table-wrap">`` …
``</table></div>``) that Markdown passes through unchanged. Python-Markdown would still parse
it twice with ``html.parser`` (MkDocs's anchor scan, then ``md_in_html``'s block splitter):
about half of the build time of a page per village and plan. This preprocessor, run before
both, stashes each such block exactly as Markdown's own splitter does (``htmlStash.store``,
the placeholder on a block of its own), so the page comes out byte-identical. MkDocs loads it
by path, so it imports nothing from ``bangfu``."""

from __future__ import annotations

import re

from markdown import Extension
from markdown.preprocessors import Preprocessor

# a whole block as text.table writes it (no blank line inside, ends the line), or the start or
# end of a raw <details> block: a table inside one stays part of that block, for Markdown
_BLOCK = re.compile(r'^<div class="bf-table-wrap">(?:.+\n)*?.*</table></div>$|<(/?)details\b', re.M)


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
            # the line end after the block belongs to it, as in Markdown's own splitter
            return self.md.htmlStash.store(m.group(0) + "\n")

        return _BLOCK.sub(stash, text).split("\n")


class _Ext(Extension):
    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.register(_StashTables(md), "bangfu_tables", 22)  # before MkDocs's 21


def on_config(config):
    config.markdown_extensions.append(_Ext())
    return config
