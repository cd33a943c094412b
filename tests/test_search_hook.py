"""The MkDocs hook that cuts the search index's Chinese text (``publish/search_hook.py``): a
whole name of the user dictionary is replaced by the words that tile it, and a text that comes
again is cut once per build, with the same words."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bangfu.publish import search_hook

NAME = "清水县蜜蜂产业协会"


@pytest.fixture
def hooked(tmp_path, monkeypatch):
    """``jieba.cut`` as the hook leaves it, wrapped around a stand-in that records its calls
    (restored after the test)."""
    jieba = pytest.importorskip("jieba")
    calls: list[tuple] = []

    def plain(sentence, *args, **kwargs):
        calls.append((sentence, args, kwargs))
        text = sentence.decode("utf-8") if isinstance(sentence, bytes) else sentence
        return iter([NAME, "帮扶"] if text.startswith(NAME) else [text[:2], text[2:]])

    monkeypatch.setattr(jieba, "cut", plain)
    user = tmp_path / "user.txt"
    user.write_text(f"{NAME} 10 {search_hook.NAME_TAG}\n清水 5 ns\n", "utf-8")
    plugin = SimpleNamespace(config={"jieba_dict_user": str(user)})
    search_hook.on_config(SimpleNamespace(plugins={"material/search": plugin}))
    assert jieba.cut is not plain
    return jieba, calls


def test_a_whole_name_is_cut_into_the_words_that_tile_it(hooked):
    jieba, _ = hooked
    jieba.initialize()  # its dictionary: the words a name is tiled with
    words = list(jieba.cut(f"{NAME}帮扶".encode()))
    assert words == ["清水", "县", "蜜蜂", "产业", "协会", "帮扶"]


def test_a_text_that_comes_again_is_cut_once_with_the_same_words(hooked):
    jieba, calls = hooked
    first = list(jieba.cut("台账中无记录".encode()))
    again = list(jieba.cut("台账中无记录".encode()))
    assert first == again == ["台账", "中无记录"]
    assert len(calls) == 1
    # another text, the same text as str, or other options are cut afresh
    assert list(jieba.cut("结对帮扶".encode())) == ["结对", "帮扶"]
    assert list(jieba.cut("台账中无记录")) == first
    assert list(jieba.cut("台账中无记录".encode(), HMM=False)) == first
    assert len(calls) == 4
    assert calls[-1][2] == {"HMM": False}
