"""Personal data typed where it is published (issue 11, item 5): resident id numbers, mobile
numbers, bank cards and household members' names in public free text, ids and file names are
refused by check, import and review, and the finding never repeats the value."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from bangfu import check, incremental
from bangfu.cache import DIRNAME
from bangfu.checksums import resident_id_check_char, uscc_check_char
from bangfu.codes import PRIVACY_PERSONAL_DATA_IN_ID, PRIVACY_PERSONAL_DATA_IN_PUBLIC_FIELD
from bangfu.config import Config
from bangfu.privacy.fields import ITEMS, free_text_paths, name_paths, strings_at
from bangfu.privacy.pii import (
    BANK_CARD,
    MOBILE,
    RESIDENT_ID,
    NameDigests,
    NameIndex,
    id_kinds,
    mask_pattern,
    name_digest,
    number_kinds,
)

from .conftest import DEFAULT_AS_OF, ROOT, bangfu, make_case
from .sheet_helpers import fill, template, tree_hash

IN_FIELD = PRIVACY_PERSONAL_DATA_IN_PUBLIC_FIELD.code
IN_ID = PRIVACY_PERSONAL_DATA_IN_ID.code
SCHEMAS = (ROOT / "schemas").resolve()
HOUSEHOLD = "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"
REPORT = "data/plans/tc-alpha/tp-one/reports/2024-03.yaml"
PLAN = "data/plans/tc-alpha/tp-one/plan.yaml"
ORG = "data/organizations/to-helpers.yaml"
HEAD_NAME = "张测试"  # the base household's head (fake)


def _resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def _luhn(prefix: str) -> str:
    for d in "0123456789":
        digits = prefix + d
        total = 0
        for i, c in enumerate(reversed(digits)):
            n = int(c) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return digits
    raise AssertionError


FAKE_ID = _resident_id("50010119850612345")  # fake, checksum-valid
FAKE_MOBILE = "13912345678"
FAKE_CARD = _luhn("622202123456789012")  # 19 digits, Luhn-valid, fake


# -- detectors ------------------------------------------------------------------------------


def test_resident_id_in_text_is_found_but_a_uscc_is_not():
    assert number_kinds(f"户主身份证{FAKE_ID}，已核实") == {RESIDENT_ID}
    assert number_kinds(f"身份证号 {FAKE_ID[:6]} {FAKE_ID[6:14]} {FAKE_ID[14:]}") == {RESIDENT_ID}
    x_id = next(
        _resident_id(f"5001011985061234{d}")
        for d in "0123456789"
        if _resident_id(f"5001011985061234{d}").endswith("X")
    )
    assert number_kinds(f"证件号{x_id}") == {RESIDENT_ID}
    assert number_kinds(FAKE_ID[:17] + str((int(FAKE_ID[17]) + 1) % 10)) == set()
    # 统一社会信用代码: letters inside, or all digits with the GB 32100 check character
    assert number_kinds("统一社会信用代码 51500000MJP5555554") == set()
    digits_uscc = "11500000123456789" + uscc_check_char("11500000123456789")
    assert number_kinds(f"信用代码{digits_uscc}") == set()


def test_mobile_with_spaces_or_dashes_is_found_but_an_office_landline_is_not():
    for text in (
        f"联系电话{FAKE_MOBILE}",
        "联系 139 1234 5678",
        "手机：139-1234-5678",
        "+86 139 1234 5678",
        f"2024-03-05 {FAKE_MOBILE} 回访",
    ):
        assert number_kinds(text) == {MOBILE}, text
    for text in ("办公电话 023-12345678", "023-6789 1234", "电话 3930226", "0931-1234567"):
        assert number_kinds(text) == set(), text


def test_bank_card_needs_luhn_and_dates_amounts_and_postcodes_are_not_cards():
    spaced = " ".join(FAKE_CARD[i : i + 4] for i in range(0, len(FAKE_CARD), 4))
    assert number_kinds(f"打卡账号{FAKE_CARD}") == {BANK_CARD}
    assert number_kinds(f"卡号 {spaced}") == {BANK_CARD}
    wrong = FAKE_CARD[:-1] + str((int(FAKE_CARD[-1]) + 1) % 10)
    assert number_kinds(f"卡号{wrong}") == set()
    for text in (
        "2024-03-05 至 2024-12-31",
        "2024-03-31 2024-04-30 2024-05-31",
        "20240305",
        "20240305123045",
        "发放资金 12,345.67 元",
        "共计 1234567.89 元",
        "邮编 400010",
        "渝民发〔2020〕123号",
    ):
        assert number_kinds(text) == set(), text


def test_a_name_inside_a_public_place_name_is_not_a_person_name():
    names = NameIndex(["张家", "王伟明", "李", "Tom Li"])
    places = mask_pattern(["张家湾", "柳村"])
    assert names.found("到张家湾村走访", places) is False
    assert names.found("张家来电咨询", places) is True
    assert names.found("王伟明来访", places) is True
    assert names.found("王伟来访", places) is False  # only whole names count
    assert names.found("李村委会", places) is False  # one character is not a name
    assert names.found("Tom Li 来访", places) is False  # names are CJK only


def test_name_digests_answer_like_the_plain_names_they_were_made_from():
    names = ["张家", "王伟明", "李", "Tom Li", "买买提·艾力"]
    key = b"k" * 16
    plain = NameIndex(names)
    keep = [n for n in names if n in plain.names]
    digests = NameDigests(key, [name_digest(key, n) for n in keep], [len(n) for n in keep])
    split = NameDigests(key, [name_digest(key, "张家")], [2]).with_names(["王伟明", "买买提·艾力"])
    places = mask_pattern(["张家湾", "柳村"])
    for text in (
        "到张家湾村走访",
        "张家来电咨询",
        "王伟明来访",
        "王伟来访",
        "李村委会",
        "Tom Li 来访",
        "看望买买提·艾力一家",
        "张家湾的张家",
        "",
    ):
        for mask in (places, None):
            want = plain.found(text, mask)
            assert digests.found(text, mask) is want, (text, mask)
            assert split.found(text, mask) is want, (text, mask)
    assert name_digest(key, "王伟明") != name_digest(b"x" * 16, "王伟明")  # keyed


def test_ids_and_file_names_that_hold_numbers_or_look_like_id_numbers():
    assert id_kinds("h-13912345678") == {MOBILE}
    assert RESIDENT_ID in id_kinds(f"h-{FAKE_ID.lower()}")
    assert id_kinds("h-123456789012345") == {RESIDENT_ID}  # 15 digits: an old id number
    for clean in ("h-0001", "2024-03", "qianjiang-2015-2016-poverty-exit", "h-a42872fac4"):
        assert id_kinds(clean) == set(), clean


def _strings_by_hand(node, steps, idx=()):
    """What ``strings_at`` must give, walked the plain way."""
    if not steps:
        return [(idx, node)] if type(node) is str and node else []
    step, rest = steps[0], steps[1:]
    if step == ITEMS:
        if type(node) is not list:
            return []
        return [
            hit for i, item in enumerate(node) for hit in _strings_by_hand(item, rest, (*idx, i))
        ]
    if type(node) is not dict or step not in node:
        return []
    return _strings_by_hand(node[step], rest, idx)


@pytest.mark.parametrize("seed", range(4))
def test_strings_at_gives_every_non_empty_string_at_a_path(seed):
    """The short paths nearly every record has are walked by their own code: the same strings
    and list indices as the plain walk, over values of every type at every step."""
    import random

    rng = random.Random(seed)
    leaves = ["", "文字", "x", None, 3, 2.5, True, [], {}, ["a"], {"k": "v"}]

    def value(depth):
        r = rng.random()
        if depth > 2 or r < 0.4:
            return rng.choice(leaves)
        if r < 0.7:
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        return {k: value(depth + 1) for k in rng.sample(["a", "b", "c"], rng.randrange(4))}

    paths = [
        ("a",), ("a", "b"), ("a", ITEMS), ("a", ITEMS, "b"), ("a", "b", "c"), (ITEMS,),
        (ITEMS, "a"), ("a", ITEMS, ITEMS), ("a", ITEMS, "b", ITEMS, "c"), ("a", "b", ITEMS),
    ]  # fmt: skip
    for _ in range(400):
        data = value(0) if rng.random() < 0.1 else {k: value(1) for k in ("a", "b", "c")}
        for steps in paths:
            assert strings_at(data, steps) == _strings_by_hand(data, steps), (data, steps)


def test_fields_scanned_come_from_the_schema_allow_list():
    report = free_text_paths(SCHEMAS, "report")
    assert ("entries", "[]", "content") in report and ("corrections", "[]", "reason") in report
    org = free_text_paths(SCHEMAS, "organization")
    assert ("name",) in org
    assert ("office_phone",) not in org and ("uscc",) not in org  # shaped by a pattern
    assert free_text_paths(SCHEMAS, "household") == ()  # never published
    assert name_paths(SCHEMAS, "household") == (("head", "name"), ("members", "[]", "name"))


# -- through bangfu check -----------------------------------------------------------------


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    p = root / rel
    text = p.read_text("utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), "utf-8")


def _check(root: Path, *args: str, fmt: str = "json"):
    proc = bangfu("check", *args, "--format", fmt, "--as-of", DEFAULT_AS_OF, cwd=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _found(proc) -> set[tuple[str, str, str]]:
    return {(f["file"], f["path"], f["code"]) for f in json.loads(proc.stdout)["findings"]}


PLACEMENTS = [
    (
        REPORT,
        "content: 采购农产品",
        "content: 采购农产品，户主身份证 {v}",
        "$.entries[1].content",
        FAKE_ID,
    ),
    (
        REPORT,
        "content: 入户了解收入情况",
        "content: 入户了解收入情况 {v}",
        "$.entries[0].content",
        "139 1234 5678",
    ),
    (
        PLAN,
        "description: 产业扶持资金",
        "description: 产业扶持资金打入卡号{v}",
        "$.measures[0].description",
        FAKE_CARD,
    ),
    (
        REPORT,
        "content: 入户了解收入情况",
        "content: 看望{v}一家",
        "$.entries[0].content",
        HEAD_NAME,
    ),
    (ORG, "name: 测试爱心协会", "name: {v}爱心协会", "$.name", HEAD_NAME),
]


@pytest.mark.parametrize("rel,old,new,path,value", PLACEMENTS, ids=lambda v: str(v)[:12])
def test_personal_data_typed_into_public_text_is_refused_without_printing_it(
    tmp_path, rel, old, new, path, value
):
    root = make_case(tmp_path, None)
    _edit(root, rel, old, new.format(v=value))
    proc = _check(root)
    assert proc.returncode == 1
    assert (rel, path, IN_FIELD) in _found(proc)
    for fmt in ("json", "text", "github"):
        out = _check(root, fmt=fmt).stdout
        assert IN_FIELD in out
        assert value not in out and value.replace(" ", "") not in out, fmt


def test_correction_reason_naming_a_household_head_is_refused(tmp_path):
    root = make_case(tmp_path, None)
    p = root / REPORT
    p.write_text(
        p.read_text("utf-8")
        + "corrections:\n  - date: 2024-04-02\n    by: 测试县乡村振兴局\n"
        + f"    reason: {HEAD_NAME}反映金额有误\n    path: $.entries[1].amount\n"
        + "    original: 1200.5\n",
        "utf-8",
    )
    proc = _check(root)
    assert (REPORT, "$.corrections[0].reason", IN_FIELD) in _found(proc)
    assert HEAD_NAME not in proc.stdout


def test_office_phone_uscc_and_place_names_are_not_personal_data(tmp_path):
    """A household head named like a township: the township's name in a report is no leak;
    an organization's public office phone may be a mobile (the field is shaped as a phone)."""
    root = make_case(tmp_path, None)
    _edit(root, HOUSEHOLD, f"name: {HEAD_NAME}", "name: 东乡")
    _edit(root, REPORT, "content: 采购农产品", "content: 在东乡柳村采购农产品，邮编 400010")
    _edit(root, ORG, "office_phone: 023-87654321", f"office_phone: '{FAKE_MOBILE}'")
    proc = _check(root)
    assert proc.returncode == 0, proc.stdout


def test_a_name_from_another_county_is_not_flagged(tmp_path):
    root = make_case(tmp_path, None)
    county = (root / "data/counties/tc-alpha.yaml").read_text("utf-8")
    (root / "data/counties/tc-beta.yaml").write_text(
        county.replace("tc-alpha", "tc-beta").replace("测试县", "另测县"), "utf-8"
    )
    other = root / "data/households/tc-beta/tc-beta-east-willow/h-0009.yaml"
    other.parent.mkdir(parents=True)
    other.write_text(
        (root / HOUSEHOLD)
        .read_text("utf-8")
        .replace("h-0001", "h-0009")
        .replace("tc-alpha", "tc-beta")
        .replace(HEAD_NAME, "王别县"),
        "utf-8",
    )
    _edit(root, REPORT, "content: 采购农产品", "content: 王别县介绍采购农产品")
    assert IN_FIELD not in {c for _, _, c in _found(_check(root))}
    _edit(root, HOUSEHOLD, "address:", "members:\n  - name: 王别县\n    relation: 子女\naddress:")
    assert (REPORT, "$.entries[1].content", IN_FIELD) in _found(_check(root))


# -- a check of a few files: names of the households it does not read -----------------------

NEIGHBOUR = "data/households/tc-alpha/tc-alpha-east-willow/h-0002.yaml"
NEIGHBOUR_HEAD = "欧阳邻户"  # fake; in no file the report names
NEIGHBOUR_MEMBER = "司马邻子"  # fake


def _indexed_repo(tmp_path, monkeypatch) -> Path:
    """The base records and a second household, in a working copy whose cache holds the
    reference index of a full check."""
    root = make_case(tmp_path, None)
    text = (root / HOUSEHOLD).read_text("utf-8").replace("h-0001", "h-0002")
    (root / NEIGHBOUR).write_text(
        text.replace(HEAD_NAME, NEIGHBOUR_HEAD).replace(
            "address:", f"members:\n  - name: {NEIGHBOUR_MEMBER}\n    relation: 子女\naddress:"
        ),
        "utf-8",
    )
    (root / DIRNAME).mkdir()
    monkeypatch.setenv("BANGFU_CACHE", "1")
    assert _check(root).returncode == 0  # the full check writes the index
    return root


def _few(root: Path, *rels: str) -> set[tuple[str, str, str]]:
    """The findings of a check of ``rels`` through the reference index, as (file, path, code)."""
    cfg = Config.make(root / "data", as_of=DEFAULT_AS_OF)
    quick = incremental.run_few(cfg, check.wanted(cfg, [root / r for r in rels]))
    assert quick is not None  # the few-file path, not a full check
    return {(f.file, f.path, f.code) for f in quick[0]}


def _full(root: Path, rel: str, monkeypatch) -> set[tuple[str, str, str]]:
    """The same from a full check that neither reads nor writes the cache."""
    monkeypatch.setenv("BANGFU_CACHE", "0")
    result = check.run(Config.make(root / "data", as_of=DEFAULT_AS_OF))
    monkeypatch.setenv("BANGFU_CACHE", "1")
    return {(f.file, f.path, f.code) for f in result.findings if f.file == rel}


def test_few_file_check_finds_a_household_head_name_typed_into_a_report(tmp_path, monkeypatch):
    root = _indexed_repo(tmp_path, monkeypatch)
    _edit(root, REPORT, "content: 入户了解收入情况", f"content: 入户看望{HEAD_NAME}")
    _edit(root, REPORT, "content: 采购农产品", f"content: 向{NEIGHBOUR_MEMBER}采购农产品")
    want = {(REPORT, "$.entries[0].content", IN_FIELD), (REPORT, "$.entries[1].content", IN_FIELD)}
    assert _few(root, REPORT) == want
    proc = _check(root, REPORT)  # what the pre-commit hook runs
    assert proc.returncode == 1 and _found(proc) == want
    assert HEAD_NAME not in proc.stdout and NEIGHBOUR_MEMBER not in proc.stdout


def test_few_file_check_sees_household_names_changed_added_or_removed_since_the_index(
    tmp_path, monkeypatch
):
    root = _indexed_repo(tmp_path, monkeypatch)
    newcomer = "data/households/tc-alpha/tc-alpha-east-willow/h-0003.yaml"
    _edit(root, REPORT, "content: 入户了解收入情况", "content: 入户看望诸葛新名")
    _edit(root, REPORT, "content: 采购农产品", f"content: 向{NEIGHBOUR_HEAD}采购农产品")
    # the neighbour's head is renamed; a new household's member is the name in entry 0
    _edit(root, NEIGHBOUR, f"name: {NEIGHBOUR_HEAD}", "name: 上官改名")
    text = (root / HOUSEHOLD).read_text("utf-8").replace("h-0001", "h-0003")
    (root / newcomer).write_text(text.replace(HEAD_NAME, "诸葛新名"), "utf-8")
    want = {(REPORT, "$.entries[0].content", IN_FIELD)}
    assert _few(root, REPORT) == _full(root, REPORT, monkeypatch) == want
    # the newcomer is removed again: its name no longer counts
    (root / newcomer).unlink()
    assert _few(root, REPORT) == _full(root, REPORT, monkeypatch) == set()


def test_few_file_check_after_a_village_moved_between_counties_equals_the_full_check(
    tmp_path, monkeypatch
):
    """A household's names count for the county its village is in; the county records say
    which that is, and they can change while the household's file does not."""
    root = make_case(tmp_path, None)
    alpha = root / "data/counties/tc-alpha.yaml"
    beta = root / "data/counties/tc-beta.yaml"
    beta.write_text(
        alpha.read_text("utf-8").replace("tc-alpha", "tc-beta").replace("测试县", "另测县"),
        "utf-8",
    )
    other = root / "data/households/tc-beta/tc-beta-east-pine/h-0009.yaml"
    other.parent.mkdir(parents=True)
    text = (root / HOUSEHOLD).read_text("utf-8").replace("h-0001", "h-0009")
    other.write_text(
        text.replace("tc-alpha-east-willow", "tc-beta-east-pine").replace(HEAD_NAME, "王别县"),
        "utf-8",
    )
    _edit(root, REPORT, "content: 采购农产品", "content: 王别县介绍采购农产品")
    (root / DIRNAME).mkdir()
    monkeypatch.setenv("BANGFU_CACHE", "1")
    _check(root)  # the full check writes the index
    assert _few(root, REPORT) == _full(root, REPORT, monkeypatch) == set()
    # the village the household names moves to tc-alpha; the household's file stays as it was
    _edit(root, "data/counties/tc-beta.yaml", "id: tc-beta-east-pine", "id: tc-beta-east-fir")
    _edit(root, "data/counties/tc-alpha.yaml", "id: tc-alpha-east-pine", "id: tc-beta-east-pine")
    want = {(REPORT, "$.entries[1].content", IN_FIELD)}
    assert _few(root, REPORT) == _full(root, REPORT, monkeypatch) == want
    # and back: the name no longer counts for tc-alpha
    _edit(root, "data/counties/tc-alpha.yaml", "id: tc-beta-east-pine", "id: tc-alpha-east-pine")
    assert _few(root, REPORT) == _full(root, REPORT, monkeypatch) == set()


def test_reference_index_holds_no_plain_person_names(tmp_path, monkeypatch):
    root = _indexed_repo(tmp_path, monkeypatch)
    [index] = (root / DIRNAME).glob("index-*")
    stored = [p for p in index.rglob("*") if p.is_file()]
    assert any(p.name.startswith("names-") for p in stored)  # the names store was written
    blob = b"".join(p.read_bytes() for p in stored)
    records = (root / HOUSEHOLD).read_bytes() + (root / NEIGHBOUR).read_bytes()
    for name in (HEAD_NAME, NEIGHBOUR_HEAD, NEIGHBOUR_MEMBER):
        assert name.encode("utf-8") in records  # the canary is there to be found
        assert name.encode("utf-8") not in blob, name
        assert name.encode("utf-16-le") not in blob, name


def test_household_id_holding_a_mobile_number_is_refused(tmp_path):
    root = make_case(tmp_path, None)
    folder = root / "data/households/tc-alpha/tc-alpha-east-willow"
    text = (folder / "h-0001.yaml").read_text("utf-8")
    (folder / f"h-{FAKE_MOBILE}.yaml").write_text(text.replace("h-0001", f"h-{FAKE_MOBILE}"))
    proc = _check(root)
    rel = f"data/households/tc-alpha/tc-alpha-east-willow/h-{FAKE_MOBILE}.yaml"
    assert (rel, "$.id", IN_ID) in _found(proc)
    [f] = [f for f in json.loads(proc.stdout)["findings"] if f["code"] == IN_ID]
    assert FAKE_MOBILE not in f["message"]


def test_an_id_number_is_found_in_the_id_folder_or_file_name_wherever_it_stands(tmp_path):
    """The path and the id are looked at part by part (a run of digits never crosses "/"):
    a mobile number in the id alone (the file named otherwise), in a folder's name, and split
    as 139/12345678 across two parts (not a run: nothing)."""
    root = make_case(tmp_path, None)
    folder = root / "data/households/tc-alpha/tc-alpha-east-willow"
    text = (folder / "h-0001.yaml").read_text("utf-8")
    (folder / "h-0003.yaml").write_text(text.replace("h-0001", f"h-{FAKE_MOBILE}"))
    odd = root / f"data/households/tc-alpha/x-{FAKE_MOBILE}"
    odd.mkdir()
    (odd / "h-0004.yaml").write_text(text.replace("h-0001", "h-0004"))
    split = root / f"data/households/tc-alpha/x-{FAKE_MOBILE[:3]}"
    split.mkdir()
    (split / f"{FAKE_MOBILE[3:]}.yaml").write_text(text.replace("h-0001", FAKE_MOBILE[3:]))
    found = _found(_check(root))
    base = "data/households/tc-alpha/"
    assert (base + "tc-alpha-east-willow/h-0003.yaml", "$.id", IN_ID) in found
    assert (base + f"x-{FAKE_MOBILE}/h-0004.yaml", "$", IN_ID) in found
    assert not [
        f for f in found if f[0].startswith(base + f"x-{FAKE_MOBILE[:3]}/") and f[2] == IN_ID
    ]


def test_file_names_holding_a_name_or_an_id_number_are_refused(tmp_path):
    root = make_case(tmp_path, None)
    folder = root / "data/households/tc-alpha/tc-alpha-east-willow"
    text = (folder / "h-0001.yaml").read_text("utf-8")
    (folder / f"{HEAD_NAME}.yaml").write_text(text.replace("h-0001", "h-0002"))
    (folder / f"{FAKE_ID}.txt").write_text("x")
    found = _found(_check(root))
    base = "data/households/tc-alpha/tc-alpha-east-willow/"
    assert (base + f"{HEAD_NAME}.yaml", "$", IN_ID) in found
    assert (base + f"{FAKE_ID}.txt", "$", IN_ID) in found


# -- through bangfu import and bangfu review ---------------------------------------------------


def test_progress_import_with_an_id_number_in_entry_content_is_refused(tmp_path):
    root = make_case(tmp_path, None)
    path = template(root, "progress", "p.xlsx", "--plan", "tp-one")
    entry = {
        "走访日期": dt.date(2024, 4, 3),
        "帮扶户": "h-0001（柳村）",
        "活动类别": "走访",
        "帮扶内容": f"入户核实身份证{FAKE_ID}",
    }
    fill(
        path,
        "进度",
        {"报送期": "2024-04", "报送日期": dt.date(2024, 4, 25)},
        {"【帮扶内容】": [entry]},
    )
    before = tree_hash(root / "data")
    proc = bangfu("import", str(path), "--as-of", DEFAULT_AS_OF, cwd=root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"[{IN_FIELD}]" in proc.stdout
    assert FAKE_ID not in proc.stdout + proc.stderr
    assert tree_hash(root / "data") == before


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)


def _reviewed_repo(tmp_path) -> Path:
    """A repository whose last commit types the head's name and a mobile into a report."""
    root = make_case(tmp_path, None)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "测试")
    _git(root, "config", "user.email", "test@example.invalid")
    _git(root, "config", "commit.gpgsign", "false")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    _edit(
        root,
        REPORT,
        "content: 入户了解收入情况",
        f"content: 入户看望{HEAD_NAME}，电话{FAKE_MOBILE}",
    )
    _git(root, "commit", "-q", "-am", "报告")
    return root


def _review(root: Path, fmt: str):
    proc = bangfu("review", "main~1", "HEAD", "--format", fmt, "--as-of", DEFAULT_AS_OF, cwd=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_review_blocks_a_report_that_names_the_household_head(tmp_path):
    root = _reviewed_repo(tmp_path)
    doc = json.loads(_review(root, "json").stdout)
    [f] = [f for f in doc["findings"] if f["code"] == IN_FIELD]
    assert (f["file"], f["path"]) == (REPORT, "$.entries[0].content")
    assert HEAD_NAME not in f["message"] + f["hint"] and FAKE_MOBILE not in f["message"]
    for fmt in ("markdown", "text"):
        proc = _review(root, fmt)
        assert proc.returncode == 1, proc.stdout
        [line] = [ln for ln in proc.stdout.splitlines() if IN_FIELD in ln]
        assert HEAD_NAME not in line and FAKE_MOBILE not in line, fmt


def test_review_comment_never_shows_personal_data_typed_into_a_public_field(tmp_path):
    out = _review(_reviewed_repo(tmp_path), "markdown").stdout
    assert HEAD_NAME not in out and FAKE_MOBILE not in out


def test_a_date_is_read_once_per_string_and_the_same_as_ever(monkeypatch):
    """``date_of`` keeps each string's answer (up to ``DATES_KEPT`` strings, then reads the
    rest each time): the answers are those of ``date.fromisoformat`` on ``YYYY-MM-DD`` only,
    whatever was asked before."""
    import datetime as dt
    import random

    from bangfu import checksums

    class Text(str):
        pass

    def want(v):
        if type(v) not in (str, Text) or len(v) != 10 or v[4] != "-" or v[7] != "-":
            return None
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            return None

    rng = random.Random(7)
    days = [f"{rng.randint(1, 2999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"]
    days += [dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 3000)) for _ in range(300)]
    values = [d.isoformat() if isinstance(d, dt.date) else d for d in days]
    values += ["2020-W01-1", "20200101", "2020-1-01 ", "２０２０-01-01", "", None, 20200101]
    values += [Text("2020-02-29"), Text("2021-02-29"), b"2020-01-01", dt.date(2020, 1, 1)]
    monkeypatch.setattr(checksums, "DATES_READ", {})
    monkeypatch.setattr(checksums, "DATES_KEPT", 50)
    for _ in range(3):  # first asked, then kept (or not, past the limit)
        rng.shuffle(values)
        assert [checksums.date_of(v) for v in values] == [want(v) for v in values]
    assert len(checksums.DATES_READ) == 50
