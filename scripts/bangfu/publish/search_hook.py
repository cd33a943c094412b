"""MkDocs hook that ``bangfu site`` adds to the generated ``mkdocs.yml`` (see ``search.py``).

The search plugin of MkDocs Material calls ``jieba.cut``; inside this MkDocs process that name
cuts as before, then replaces each whole name (a ``bfname`` word of the user dictionary) by
the words that tile it. Runs only in the ``mkdocs build`` subprocess; MkDocs loads it by path,
so it imports nothing from ``bangfu``."""

from __future__ import annotations

from pathlib import Path

NAME_TAG = "bfname"  # the user-dictionary tag of a whole name (written by search.user_dict)


def tiles(word: str, known) -> list[str]:
    """``word`` cut into the longest known words from the left (never ``word`` itself, single
    characters where nothing is known), each longer piece cut again in the same way, down to
    words of two characters: 清水县蜜蜂产业协会 → 清水 县 蜜蜂 产业 协会.
    ``"".join(tiles(w)) == w``."""
    if len(word) <= 2:
        return [word]
    out, i = [], 0
    while i < len(word):
        j = next(
            (j for j in range(len(word), i + 1, -1) if word[i:j] != word and known(word[i:j])),
            i + 1,
        )
        out.extend(tiles(word[i:j], known))
        i = j
    return out


def on_config(config):
    import jieba

    path = next(
        (
            p.config.get("jieba_dict_user")
            for key, p in config.plugins.items()
            if key.endswith("search") and p.config.get("jieba_dict_user")
        ),
        None,
    )
    if not path or getattr(jieba.cut, "bangfu", False):
        return config
    names = set()
    for line in Path(path).read_text("utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == NAME_TAG:
            names.add(parts[0])
    plain = jieba.cut
    # the pages repeat their labels and sentences (every village page has the same headings):
    # each text is cut once per build; jieba's cut depends only on the text and the dictionary
    seen: dict = {}

    def cut(sentence, *args, **kwargs):
        key = (sentence, args, tuple(sorted(kwargs.items())))
        words = seen.get(key)
        if words is None:
            words = seen[key] = tuple(
                piece
                for word in plain(sentence, *args, **kwargs)
                for piece in (
                    tiles(word, lambda w: bool(jieba.get_FREQ(w))) if word in names else (word,)
                )
            )
        return iter(words)

    cut.bangfu = True  # type: ignore[attr-defined]  # a marker on the function, read back above
    jieba.cut = cut
    return config
