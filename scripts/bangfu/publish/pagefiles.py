"""The site's generated pages, written into the MkDocs project's ``docs`` folder one by one
as they are made (``site.generate``): what is kept of them is their paths and the front matter
that the render hook's ``FRONT_FILE`` holds, not their text."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from . import render_hook


class PageFiles:
    """The generated pages, written into ``docs`` one by one as they come; what is kept of
    them is their paths and the front matter that ``render_hook.FRONT_FILE`` holds."""

    def __init__(self, docs: Path) -> None:
        self.docs = docs
        self.names: list[str] = []
        self.fronts: dict[str, str] = {}
        self._folders: set[str] = set()

    def write(self, pages: Iterable[tuple[str, str]]) -> None:
        for rel, text in pages:
            p = self.docs / rel
            folder = rel.rpartition("/")[0]
            if folder not in self._folders:
                p.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(folder)
            p.write_text(text, "utf-8")
            self.names.append(rel)
            front = render_hook.front_of(text)
            if front is not None:
                self.fronts[rel] = front
