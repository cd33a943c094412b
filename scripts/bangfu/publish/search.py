"""The Chinese search index: whole names, and the words inside them as tokens of their own.

MkDocs Material's search plugin segments Chinese with ``jieba.cut`` at build time; in the
browser, a Chinese query is split greedily into tokens that exist in the index, and each token
matches as a prefix. So a partial name (蜜蜂 in 清水县蜜蜂产业协会) is found only if it is a token.

- Every Han run of a place or organization name is a user-dictionary word tagged ``bfname``,
  so jieba keeps the name together instead of cutting across its edges; a place name without
  its administrative suffix (高桥村 → 高桥) is a word as well.
- The MkDocs hook ``search_hook.py`` then replaces each such name by the dictionary words
  that tile it, down to two characters (清水县蜜蜂产业协会 → 清水 县 蜜蜂 产业 协会). The
  tiles cover the name exactly once, so the text shown in search results is unchanged
  (jieba's search mode, ``cut_for_search``, adds overlapping words: results would show the
  name several times over).

A page per plan or per key village goes into the index by its title and one short line
(``summary_front``, read by the hook ``render_hook.py``), not its tables: at province scale
their full text would make an index of about a gigabyte that every visitor downloads.
"""

from __future__ import annotations

import re
from pathlib import Path

from .context import SiteContext
from .search_hook import NAME_TAG, tiles
from .text import title, yaml_str

__all__ = ["HOOK", "NAME_TAG", "names", "summary_front", "tiles", "user_dict"]

HOOK = Path(__file__).with_name("search_hook.py")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")
_SUFFIX = re.compile(r"(社区|街道|村|乡|镇|县|区|市)$")


def names(ctx: SiteContext) -> set[str]:
    out = {ctx.county_name(c) for c in ctx.model.ids("county")}
    out |= {t.name for t in ctx.model.townships.values()}
    out |= {v.name for v in ctx.model.villages.values()}
    out |= {ctx.name("organization", o) for o in ctx.model.ids("organization")}
    return {n for n in out if n}


def user_dict(ctx: SiteContext) -> str:
    """jieba user dictionary lines (word, weight, tag), sorted by word."""
    words: dict[str, tuple[int, str]] = {}
    for name in names(ctx):
        for run in _HAN.findall(name):
            words[run] = (100000, NAME_TAG)
            stem = _SUFFIX.sub("", run)
            if len(stem) >= 2 and stem != run:
                words.setdefault(stem, (1000, "ns"))
    return "".join(f"{w} {n} {tag}\n" for w, (n, tag) in sorted(words.items()))


def summary_front(line: str) -> dict[str, str]:
    """Front matter (``text.front(..., **summary_front(line))``) of a page the search index
    holds by its title and ``line`` only, not its content (see ``render_hook``)."""
    return {"bf_search": yaml_str(title(line))}
