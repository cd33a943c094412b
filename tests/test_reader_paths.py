"""The reader's two YAML paths agree, and the bounds hold whichever path runs.

``yamlsafe.parse`` reads a plain file with the compiled parser (yaml-rs) and anything it is
unsure of with the libyaml event builder. Which path runs depends on text elsewhere in the
file, so the two must give the same data and the same findings for every scalar; this is
checked here over a generated corpus, in several positions, with and without an unrelated
comment that sends the file to the careful path."""

from __future__ import annotations

import itertools
import json

import pytest

from bangfu import yamlfast, yamlsafe
from bangfu.codes import ENCODING_CONTROL_CHAR, ID_DUPLICATE, YAML_NUMBER_TOO_LARGE
from bangfu.yamlsafe import MAX_NUMBER, parse

from .conftest import DEFAULT_AS_OF, bangfu, make_case

HOUSEHOLD = "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"


def _plain_scalars() -> list[str]:
    bodies = [
        "0", "1", "7", "00", "007", "10", "09", "1.", ".5", "0.", "1.5", "01.5",
        "1e3", "1E3", "1e+3", "1e-3", "1.5e3", "1.5E-3", "1e", "e3", "1.2.3", "1e400",
        "1_000", "_1", "1_", "1__000", "0.5_", "1_0.5", "1e1_0", "0_1", "._5", "_", "1,000",
        "0x1F", "0X1f", "0o17", "0b101", "0xG",
        ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", "inf", "nan", "Infinity",
        str(MAX_NUMBER), str(MAX_NUMBER + 1), str(MAX_NUMBER - 1), "9" * 16, "1" * 18,
        "1" + "0" * 4000, "1" + "0" * 5000, "1." + "0" * 400 + "1", "1" + "0" * 20 + ".5",
        "1e15", "1.0000000000000001e15", "1e16", "1e-400",
    ]  # fmt: skip
    out = [sign + body for sign in ("", "+", "-") for body in bodies]
    out += [
        "true", "True", "TRUE", "tRue", "false", "False", "yes", "no", "on", "off", "y", "n",
        "null", "Null", "NULL", "nULL", "~",
        "2024-01-01", "2024-1-1", "2024-01-01T10:00:00Z", "2024-01-01 10:00:00",
        "12:30", "1:2:3", "190:20:30", "h_0001", "a_1", "__", "1h", "0.5.", "+", "-1-", "a 1",
        "11010519491231002X", "13700000000", "2025-W18", "2025-Q2", "023-12345678",
    ]  # fmt: skip
    return out


def _block_texts() -> list[str]:
    heads = ["|", ">", "|-", "|+", ">-", ">+", "|2", ">1", "|2-", "| # c"]
    bodies = ["", "\n", "\n\n", "  x\n", "  x\n\n", "  x\n  \n", "  \n", "   x\n  y\n"]
    bodies += ["  x\n\n  y\n", "  x\n   y\n  z\n\n\n"]
    afters = ["", "b: 1\n", "# c\n", "\n# c\n"]
    return [f"a: {h}\n{b}{a}" for h, b, a in itertools.product(heads, bodies, afters)]


def _corpus() -> list[str]:
    out = []
    for s in _plain_scalars():
        out += [f"a: {s}\n", f"a:\n  - {s}\n  - x\n", f"{s}: x\n", f"a: {s}\nb: 1\n"]
        out.append(f"a:\n  b: {s}\n")
    return out + _block_texts()


def _verdict(text: str) -> tuple:
    p = parse(text, "f")
    data = p.data
    return (
        json.dumps(data, ensure_ascii=False, sort_keys=True, default=repr),
        [(f.code, f.line, f.column, f.path) for f in p.findings],
    )


def test_fast_and_careful_yaml_paths_agree_on_every_generated_scalar(monkeypatch):
    corpus = _corpus()
    fast_taken = sum(yamlsafe.fast_load(t) is not None for t in corpus)
    fast = [_verdict(t) for t in corpus]
    monkeypatch.setattr(yamlfast, "_yaml_rs", None)  # the careful path only
    assert all(yamlsafe.fast_load(t) is None for t in corpus[:5])
    careful = [_verdict(t) for t in corpus]
    wrong = [(t[:60], f, c) for t, f, c in zip(corpus, fast, careful, strict=True) if f != c]
    assert not wrong, wrong[:10]
    # the comparison means something: the fast path did read much of the corpus
    assert fast_taken > len(corpus) // 3, (fast_taken, len(corpus))


def test_unrelated_comment_with_asterisk_does_not_change_a_verdict():
    for text in _corpus():
        assert _verdict(text) == _verdict(text + "# 备注 *\n"), text[:60]


@pytest.mark.parametrize(
    "text, value",
    [
        ("a: _1\n", "_1"),
        ("a: 1_\n", "1_"),
        ("a: 1__000\n", "1__000"),
        ("a: 0.5_\n", "0.5_"),
        ("a: 1_000\n", "1_000"),
        ("a: |\n", ""),
        ("a: >\n\n", ""),
    ],
)
def test_fast_path_read_underscores_and_empty_blocks_differently(text, value):
    assert yamlsafe.fast_load(text) is None or yamlsafe.fast_load(text) == {"a": value}
    assert parse(text, "f").data == {"a": value}


@pytest.mark.parametrize(
    "text",
    [
        "a: 1" + "0" * 5000 + "\n",  # int() refuses it: ValueError
        "a: 1" + "0" * 4000 + "\n",  # int() reads it, float() of it overflows in the rules
        "a: 1e400\n",
        "a: -1e400\n",
        "a:\n  - " + "9" * 16 + "\n",
        f"a: {MAX_NUMBER + 1}\n",
        f"a: -{MAX_NUMBER + 1}\n",
    ],
)
def test_huge_number_is_a_finding_not_a_crash(text):
    p = parse(text, "f")
    assert p.data is None
    assert [(f.code, f.line) for f in p.findings] == [
        (YAML_NUMBER_TOO_LARGE.code, len(text.split("\n")) - 1)
    ]


def test_numbers_at_the_bound_are_read():
    assert parse(f"a: {MAX_NUMBER}\nb: -{MAX_NUMBER}\n", "f").data == {
        "a": MAX_NUMBER,
        "b": -MAX_NUMBER,
    }
    assert parse("a: 1e15\n", "f").data == {"a": 1e15}


@pytest.mark.parametrize(
    "text, line, column, path",
    [
        ('name: "ORG\\0NUL\\x1b[31m"\n', 1, 7, "$.name"),
        ('a:\n  - "x\\x9b31m"\n', 2, 5, "$.a[0]"),
        ('a: "\\N"\n', 1, 4, "$.a"),
        ('"k\\x07": 1\n', 1, 1, "$"),
        ('a: !!str "\\x1b"\n', 1, 4, "$.a"),
    ],
)
def test_escaped_control_characters_are_refused_after_decoding(text, line, column, path):
    p = parse(text, "f")
    assert p.data is None
    assert [(f.code, f.line, f.column, f.path) for f in p.findings] == [
        (ENCODING_CONTROL_CHAR.code, line, column, path)
    ]


def test_escaped_tab_and_newline_are_still_allowed():
    assert parse('a: "x\\ty\\nz"\n', "f").data == {"a": "x\ty\nz"}


def test_huge_integer_in_a_household_fails_check_without_a_traceback(tmp_path):
    root = make_case(tmp_path, None)
    path = root / HOUSEHOLD
    text = path.read_text("utf-8")
    path.write_text(text.replace("per_capita: 4800", "per_capita: 1" + "0" * 5000), "utf-8")
    for cmd in (["check", "--format", "json", "--as-of", DEFAULT_AS_OF], ["fmt", "--check"]):
        proc = bangfu(*cmd, cwd=root, timeout=60)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert YAML_NUMBER_TOO_LARGE.code in proc.stdout
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root, timeout=60)
    findings = json.loads(proc.stdout)["findings"]
    assert [(f["file"], f["path"], f["code"]) for f in findings] == [
        (HOUSEHOLD, "$.income.per_capita", YAML_NUMBER_TOO_LARGE.code)
    ]


# --- checks of a few files and files added since the reference index ---------------------------


def _few_and_full(cfg, picks, monkeypatch) -> tuple[list, list]:
    from bangfu import check

    monkeypatch.setenv("BANGFU_CACHE", "1")
    quick = check.run(cfg, picks)
    assert quick.deferred, picks  # the index path: the rest of the tree was left unread
    few = [(f.file, f.path, f.code) for f in quick.findings]
    monkeypatch.setenv("BANGFU_CACHE", "0")
    full = [(f.file, f.path, f.code) for f in check.run(cfg, picks).findings]
    return few, full


def test_few_file_check_sees_a_new_file_duplicating_an_id_unknown_to_the_index(
    tmp_path, monkeypatch
):
    import os

    from bangfu import check
    from bangfu.cache import DIRNAME
    from bangfu.config import Config

    root = make_case(tmp_path, None)
    (root / DIRNAME).mkdir()
    data = root / "data"
    for dirpath, _dirs, _files in os.walk(data):  # folders unchanged for a while
        os.utime(dirpath, ns=(1_600_000_000 * 10**9, 1_600_000_000 * 10**9))
    cfg = Config.make(data, as_of=DEFAULT_AS_OF)
    monkeypatch.setenv("BANGFU_CACHE", "1")
    assert not check.run(cfg).findings  # writes the index
    village = root / HOUSEHOLD.rsplit("/", 1)[0]
    good = (root / HOUSEHOLD).read_text("utf-8")
    # two new files hold one new id, neither named after it; a third takes a known id
    (village / "h-0002.yaml").write_text(good.replace("id: h-0001", "id: h-0009"), "utf-8")
    (village / "h-0003.yaml").write_text(good.replace("id: h-0001", "id: h-0009"), "utf-8")
    (village / "h-0004.yaml").write_text(good, "utf-8")
    codes = {}
    # the later files first: a check of a file notes its id in the index for the next check
    for pick in ("h-0003.yaml", "h-0004.yaml", "h-0002.yaml", "h-0001.yaml"):
        few, full = _few_and_full(cfg, [str(village / pick)], monkeypatch)
        assert few == full, pick
        codes[pick] = {c for _f, _p, c in few}
    # a duplicate is reported on the later file, the earlier one is named in the message
    assert ID_DUPLICATE.code in codes["h-0003.yaml"], codes
    assert ID_DUPLICATE.code in codes["h-0004.yaml"], codes


def test_folder_stamps_left_racy_by_a_full_check_are_set_by_the_next_one(tmp_path, monkeypatch):
    """A full check right after the data changed (a fresh checkout, a generated corpus) leaves
    the record folders unstamped, so every check of a few files re-read them all and fell
    back to a full check (bench: a one-file check 0.19 s → 1.78 s); a later full check that
    sees the folders settled must stamp them, even though no file changed."""
    from bangfu import cache, check
    from bangfu.cache import DIRNAME
    from bangfu.config import Config
    from bangfu.refindex import open_index

    root = make_case(tmp_path, None)
    (root / DIRNAME).mkdir()
    data = root / "data"
    cfg = Config.make(data, as_of=DEFAULT_AS_OF)
    monkeypatch.setenv("BANGFU_CACHE", "1")
    monkeypatch.setattr(cache, "RACY_SECONDS", 10**9)  # every folder "just changed"
    assert not check.run(cfg).findings
    racy = open_index(data, cfg.schemas_dir).dirs
    assert racy and all(v is None for v in racy.values())
    monkeypatch.setattr(cache, "RACY_SECONDS", 0)  # now settled; no file changed
    assert not check.run(cfg).findings
    settled = open_index(data, cfg.schemas_dir).dirs
    assert settled.keys() == racy.keys() and all(v is not None for v in settled.values())
