"""A finding about a private field names the field and the rule, never the value.

Canary values sit in every private field of every record kind (household, organization,
county, report corrections), each breaking one kind of constraint the schemas use on private
fields: type, pattern, maxLength, minLength, maxItems, format (the resident-ID checksum),
additionalProperties (a canary as an unknown key), required, and a YAML duplicate key. Every
channel that prints findings or summaries is run on them — check (text, json, github; whole
folder and a few files), review (markdown, text, json; with and without --private),
spreadsheet import, status — and no canary, nor a fragment of one, may appear.

The schemas have no enum on a private field, so "enum" cannot be broken there.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from bangfu.checksums import resident_id_check_char
from bangfu.codes import (
    DATE_IN_FUTURE,
    SCHEMA_ADDITIONAL_PROPERTIES,
    SCHEMA_INVALID,
    SCHEMA_LENGTH,
    SCHEMA_MAX_ITEMS,
    SCHEMA_PATTERN,
    SCHEMA_REQUIRED,
    SCHEMA_RESIDENT_ID_CHECKSUM,
    SCHEMA_TYPE,
    SHEET_FORMULA,
    YAML_DUPLICATE_KEY,
)
from bangfu.findings import Finding
from bangfu.readone import read_record
from bangfu.redact import MASK, redact
from bangfu.schema import PACKAGE_SCHEMAS, bundled, is_public
from bangfu.yamlio import dump_text

from .conftest import DEFAULT_AS_OF, bangfu, commit, edit, init_repo, make_case
from .sheet_helpers import FILING_FIELDS as SHEET_FILING_FIELDS
from .sheet_helpers import fill, template

VILLAGE_DIR = "data/households/tc-alpha/tc-alpha-east-willow"
HOUSEHOLD = f"{VILLAGE_DIR}/h-0001.yaml"
REPORT = "data/plans/tc-alpha/tp-one/reports/2024-03.yaml"
ORG = "data/organizations/to-helpers.yaml"
COUNTY = "data/counties/tc-alpha.yaml"
# digits of a text canary: birds' names, which no message, title or path contains
_CODE = "鹬鸻鹭鸱鸬鹈鹕鹗鹞鸫"


class Canaries:
    """Unique values; every 4-character piece of a text canary is itself distinctive."""

    def __init__(self):
        self.n = 0
        self.texts: list[str] = []
        self.digits: list[str] = []

    def text(self) -> str:
        self.n += 1
        code = "".join(_CODE[int(c)] for c in f"{self.n:03d}")
        value = f"雀哨{code}隐鸮"
        self.texts.append(value)
        return value

    def mobile(self) -> str:
        self.n += 1
        value = f"197{self.n:04d}5386"
        self.digits.append(value)
        return value

    def id_number(self, valid: bool = True) -> str:
        self.n += 1
        born = dt.date(1950, 1, 1) + dt.timedelta(days=self.n)
        first = f"990101{born:%Y%m%d}{self.n % 1000:03d}"
        check = resident_id_check_char(first)
        if not valid:
            check = "0" if check != "0" else "1"
        value = first + check
        self.digits.append(value)
        return value

    def number(self) -> int:
        self.n += 1
        value = int(f"8675{self.n:04d}31")
        self.digits.append(str(value))
        return value

    def leaks(self, output: str) -> list[str]:
        """Canaries, or pieces of them, found in ``output``: any 4 characters of a text
        canary (also across a repetition), any 8 digits of a number."""
        found = []
        for t in self.texts:
            twice = t + t
            if any(twice[i : i + 4] in output for i in range(len(t))):
                found.append(t)
        for d in self.digits:
            if any(d[i : i + 8] in output for i in range(len(d) - 7)):
                found.append(d)
        return found


def _write(root: Path, rel: str, data: dict) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(dump_text(data), "utf-8")


def _household(root: Path, hid: str, **fields) -> None:
    import yaml

    d = yaml.safe_load((root / HOUSEHOLD).read_text("utf-8"))
    d = {k: v for k, v in d.items() if k not in ("head", "address")}
    d["id"] = hid
    d.update(fields)
    _write(root, f"{VILLAGE_DIR}/{hid}.yaml", d)


def _member(c: Canaries, **over) -> dict:
    m = {"name": c.text(), "relation": c.text(), "id_number": c.id_number(), "health": c.text()}
    m.update(over)
    return m


def seed_valid(root: Path, c: Canaries) -> None:
    """Canaries that pass the checker, in every private field of every kind."""
    import yaml

    d = yaml.safe_load((root / HOUSEHOLD).read_text("utf-8"))
    d["head"] = {"name": c.text(), "id_number": c.id_number(), "phone": c.mobile()}
    d["address"] = c.text()
    d["members"] = [_member(c), _member(c)]
    d["health_notes"] = c.text()
    d["photos"] = [c.text() + ".jpg"]
    d["notes"] = c.text()
    d["corrections"] = [
        {"date": "2024-02-01", "by": "村委会", "reason": "核对", "path": "$.address"}
        | {"original": c.text()}
    ]
    _write(root, HOUSEHOLD, d)
    org = yaml.safe_load((root / ORG).read_text("utf-8"))
    org["leader"] = {"name": c.text(), "mobile": c.mobile()}
    _write(root, ORG, org)
    county = yaml.safe_load((root / COUNTY).read_text("utf-8"))
    for t in county["townships"]:
        t["contact"] = {"name": c.text(), "mobile": c.mobile(), "role": "乡扶贫办主任"}
    _write(root, COUNTY, county)
    rep = yaml.safe_load((root / REPORT).read_text("utf-8"))
    rep["corrections"] = [
        {"date": "2024-03-26", "by": "帮扶主体", "reason": "补录", "path": "$.entries"}
        | {"original": {"content": c.text(), "amount": c.number()}}
    ]
    _write(root, REPORT, rep)


def seed_broken(root: Path, c: Canaries) -> None:
    """Canaries in private fields, each breaking a constraint."""
    import yaml

    def long(times: int) -> str:
        return c.text() * times

    # maxLength / minLength
    _household(
        root,
        "h-c01",
        head={"name": long(20), "id_number": c.id_number(), "phone": c.mobile()},
        address=long(300),
        members=[_member(c, name=long(20), relation=long(20), health=long(300))],
        health_notes=long(300),
        notes=long(300),
        photos=[long(30)],
    )
    _household(root, "h-c08", members=[_member(c, relation="")])
    # pattern / format (the resident-ID checksum)
    _household(
        root,
        "h-c02",
        head={"name": c.text(), "id_number": c.text(), "phone": c.text()},
        members=[_member(c, id_number=c.id_number(valid=False))],
    )
    # type
    _household(
        root,
        "h-c03",
        head={"name": [c.text(), c.text()], "phone": c.number()},
        address={c.text(): c.text()},
        members=[_member(c, name={c.text(): c.text()}, health=c.number())],
        health_notes=[c.text()],
        notes=c.number(),
        photos=c.text(),
        corrections=c.text(),
    )
    _household(root, "h-c06", head=c.text(), members={c.text(): _member(c)})
    # maxItems
    _household(
        root,
        "h-c04",
        members=[_member(c) for _ in range(31)],
        photos=[c.text() for _ in range(51)],
    )
    # additionalProperties (a canary as the key) and required
    _household(
        root,
        "h-c05",
        head={"name": c.text(), c.text(): c.text()},
        members=[{"name": c.text(), c.text(): c.mobile()}],
        corrections=[{"original": c.text()}],
    )
    # a duplicate key under a private mapping: the file does not parse at all
    dup_a = c.text()
    (root / f"{VILLAGE_DIR}/h-c07.yaml").write_text(
        f"id: h-c07\nvillage: tc-alpha-east-willow\nhead:\n  {dup_a}: 1\n  {dup_a}: 2\n", "utf-8"
    )
    org = yaml.safe_load((root / ORG).read_text("utf-8"))
    org["leader"] = {"name": long(20), "mobile": c.text(), c.text(): c.text()}
    _write(root, ORG, org)
    org2 = dict(org, id="to-canary", leader=c.text())
    _write(root, "data/organizations/to-canary.yaml", org2)
    county = yaml.safe_load((root / COUNTY).read_text("utf-8"))
    county["townships"][0]["contact"] = {
        "name": [c.text()],
        "mobile": c.text(),
        "role": "乡扶贫办主任",
        c.text(): c.text(),
    }
    _write(root, COUNTY, county)
    rep = yaml.safe_load((root / REPORT).read_text("utf-8"))
    rep["corrections"] = [{"original": {c.text(): c.text(), "amount": c.number()}}]
    rep["entries"][0][c.text()] = c.text()  # an unknown key in a submitted entry
    _write(root, REPORT, rep)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> tuple[Path, Canaries]:
    """A repository: the base case with valid canaries, then a commit breaking them."""
    root = make_case(tmp_path_factory.mktemp("canary"), None)
    c = Canaries()
    seed_valid(root, c)
    init_repo(root)  # valid canaries
    seed_broken(root, c)
    commit(root, "broken canaries")
    return root, c


def _assert_clean(c: Canaries, label: str, proc) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    out = proc.stdout + proc.stderr
    leaks = c.leaks(out)
    assert not leaks, f"{label}: {leaks[:5]}\n{out[:3000]}"


def test_check_never_prints_private_values_in_any_format(seeded):
    root, c = seeded
    codes = set()
    for fmt in ("text", "json", "github"):
        proc = bangfu("check", "--format", fmt, "--as-of", DEFAULT_AS_OF, cwd=root)
        assert proc.returncode == 1, proc.stdout[-2000:]
        _assert_clean(c, f"check --format {fmt}", proc)
        if fmt == "json":
            codes = {
                (f["file"].rsplit("/", 1)[-1], f["code"])
                for f in json.loads(proc.stdout)["findings"]
            }
    # the canaries really broke the constraints they were meant to break
    for want in [
        ("h-c01.yaml", SCHEMA_LENGTH.code),
        ("h-c08.yaml", SCHEMA_LENGTH.code),
        ("h-c02.yaml", SCHEMA_PATTERN.code),
        ("h-c02.yaml", SCHEMA_RESIDENT_ID_CHECKSUM.code),
        ("h-c03.yaml", SCHEMA_TYPE.code),
        ("h-c06.yaml", SCHEMA_TYPE.code),
        ("h-c04.yaml", SCHEMA_MAX_ITEMS.code),
        ("h-c05.yaml", SCHEMA_ADDITIONAL_PROPERTIES.code),
        ("h-c05.yaml", SCHEMA_REQUIRED.code),
        ("h-c07.yaml", YAML_DUPLICATE_KEY.code),
        ("to-helpers.yaml", SCHEMA_LENGTH.code),
        ("to-helpers.yaml", SCHEMA_PATTERN.code),
        ("to-helpers.yaml", SCHEMA_ADDITIONAL_PROPERTIES.code),
        ("to-canary.yaml", SCHEMA_TYPE.code),
        ("tc-alpha.yaml", SCHEMA_TYPE.code),
        ("tc-alpha.yaml", SCHEMA_ADDITIONAL_PROPERTIES.code),
        ("2024-03.yaml", SCHEMA_REQUIRED.code),
    ]:
        assert want in codes, want


def test_github_annotation_never_prints_private_member_names(seeded):
    """The reported case: 31 members (maxItems 30) printed every name and ID number."""
    root, c = seeded
    # a full check first writes the reference index, so the few-file path runs below
    bangfu("check", "--as-of", DEFAULT_AS_OF, cwd=root)
    proc = bangfu(
        "check",
        f"{VILLAGE_DIR}/h-c04.yaml",
        "--format",
        "github",
        "--as-of",
        DEFAULT_AS_OF,
        cwd=root,
    )
    assert "title=schema.max-items" in proc.stdout and "$.members" in proc.stdout
    _assert_clean(c, "check PATH --format github", proc)


def test_review_never_prints_private_values_in_any_format(seeded):
    root, c = seeded
    for fmt in ("markdown", "text", "json"):
        for extra in ((), ("--private",)):
            proc = bangfu(
                "review",
                "main~1",
                "HEAD",
                "--format",
                fmt,
                "--as-of",
                DEFAULT_AS_OF,
                *extra,
                cwd=root,
            )
            assert proc.returncode == 1, proc.stdout[-2000:]
            _assert_clean(c, f"review --format {fmt} {' '.join(extra)}", proc)


def test_status_never_prints_private_values(tmp_path):
    root = make_case(tmp_path, None)
    c = Canaries()
    seed_valid(root, c)
    assert bangfu("check", "--as-of", DEFAULT_AS_OF, cwd=root).returncode == 0
    scopes = ((), ("--county", "tc-alpha"), ("--township", "tc-alpha-east"))
    for fmt in ("text", "json", "csv"):
        for scope in scopes:
            proc = bangfu("status", "--format", fmt, "--as-of", DEFAULT_AS_OF, *scope, cwd=root)
            assert proc.returncode == 0 and "h-0001" in proc.stdout, proc.stdout
            _assert_clean(c, f"status --format {fmt} {' '.join(scope)}", proc)


# the filing form's plan fields, the plan's status left for the import to default
FILING_FIELDS = {k: v for k, v in SHEET_FILING_FIELDS.items() if k != "方案状态"}


def _filing(root: Path, name: str, households: list[dict]) -> Path:
    path = template(root, "filing", name, "--county", "tc-alpha")
    rows = [
        {
            "对象类型": "帮扶户",
            "所在村": "东乡柳村（tc-alpha-east-willow）",
            "监测类别": "边缘易致贫户",
            "监测状态": "风险未消除",
            "收入年度": 2023,
            "人均纯收入（元）": 4000,
            **h,
        }
        for h in households
    ]
    return fill(
        path,
        "报备",
        FILING_FIELDS,
        {"【帮扶主体】": [{"帮扶主体": "测试爱心协会（to-helpers）"}], "【帮扶对象】": rows},
    )


def test_import_errors_never_print_private_cells(tmp_path):
    root = make_case(tmp_path, None)
    c = Canaries()
    broken = _filing(
        root,
        "broken.xlsx",
        [
            {"户主姓名": c.text() * 20, "联系电话": c.text(), "家庭住址": c.text() * 300},
            {"户主姓名": c.text(), "联系电话": c.mobile() + "0", "家庭住址": c.text()},
        ],
    )
    formula = _filing(root, "formula.xlsx", [{"户主姓名": "=" + c.text(), "联系电话": c.mobile()}])
    for path, code in ((broken, SCHEMA_LENGTH.code), (formula, SHEET_FORMULA.code)):
        proc = bangfu("import", str(path), "--as-of", DEFAULT_AS_OF, cwd=root)
        assert proc.returncode == 1 and code in proc.stdout, proc.stdout
        _assert_clean(c, f"import {path.name}", proc)
    assert not list((root / "data/plans/tc-alpha").glob("*/plan.yaml"))[1:]


def test_redaction_masks_private_values_a_message_would_leak(seeded):
    """The last line of defence: even a message that quotes a private value (as a future
    rule might) leaves the checker masked, and a path through an unknown private key is cut."""
    root, c = seeded
    rec = read_record(root / HOUSEHOLD, root / "data")
    head = rec.data["head"]
    member = rec.data["members"][1]
    leaky = [
        Finding(
            SCHEMA_INVALID.code,
            "error",
            rec.file,
            f"户主 {head['name']}，电话 {head['phone']}，成员 {member['name']}（{member['id_number']}）",
            hint=f"请核对 {rec.data['address']}",
            path=f"$.head.{head['name']}",
        ),
        Finding(
            SCHEMA_INVALID.code,
            "error",
            rec.file,
            "村 tc-alpha-east-willow 不存在",
            path="$.village",
        ),
    ]
    out = redact(leaky, [rec], bundled(PACKAGE_SCHEMAS))
    assert not c.leaks(json.dumps([f.as_dict() for f in out], ensure_ascii=False))
    assert out[0].path == "$.head" and MASK in out[0].message and MASK in out[0].hint
    # public values are left alone
    assert out[1] == leaky[1]


def test_visibility_of_paths_follows_the_schema_marks():
    h = bundled(PACKAGE_SCHEMAS)["household"]
    assert is_public(h, ["income", "per_capita"]) and is_public(h, [])
    assert not is_public(h, ["head", "name"]) and not is_public(h, ["members", 3, "name"])
    assert not is_public(h, ["no-such-field"]) and not is_public(h, ["head", "张三"])
    r = bundled(PACKAGE_SCHEMAS)["report"]
    assert is_public(r, ["corrections", 0, "reason"])
    assert not is_public(r, ["corrections", 0, "original", "content"])


# --- item 4: the pull-request summary holds no per-household value by default -------------


_HEX_ID = re.compile(r"\b[0-9a-f]{7,40}\b")


def _review(root: Path, fmt: str, *extra: str) -> str:
    proc = bangfu(
        "review", "main~1", "HEAD", "--format", fmt, "--as-of", DEFAULT_AS_OF, *extra, cwd=root
    )
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def test_pr_comment_shows_no_household_values_by_default(repo):
    """The reported case: category, income and warning tier of each new or changed household
    were printed in the comment, bypassing the site's aggregation and suppression."""
    edit(repo, HOUSEHOLD, "category: 边缘易致贫户", "category: 突发严重困难户")
    edit(repo, HOUSEHOLD, "per_capita: 4800", "per_capita: 7319.5")
    edit(repo, HOUSEHOLD, "warning_tier: 黄", "warning_tier: 橙")
    edit(repo, HOUSEHOLD, "status: 风险未消除", "status: 风险已消除")
    edit(repo, HOUSEHOLD, "year: 2023", "year: 2031")  # a finding about the household
    text = (repo / HOUSEHOLD).read_text("utf-8").replace("h-0001", "h-0002")
    (repo / f"{VILLAGE_DIR}/h-0002.yaml").write_text(text, "utf-8")
    commit(repo, "改户信息，新增户")
    values = ["边缘易致贫户", "突发严重困难户", "4800", "7319", "7,319", "黄", "橙"]
    values += ["风险未消除", "风险已消除", "2023", "2031"]
    for fmt in ("markdown", "text", "json"):
        out = _review(repo, fmt)
        # commit ids are random hex: "7319" or "2031" may turn up inside one by chance
        shown = [v for v in values if v in _HEX_ID.sub("", out)]
        assert not shown, (fmt, shown, out)
        # what the comment does say: the record, the fields changed, the kind of change
        assert "h-0001" in out and "h-0002" in out and "人均纯收入（元）" in out, out
        assert "逐户信息" in out
    doc = json.loads(_review(repo, "json"))
    [rec] = [r for r in doc["records"] if r["id"] == "h-0001"]
    assert {f["path"] for f in rec["fields"]} >= {"$.category", "$.income.per_capita"}
    assert all("old" not in f and "new" not in f for f in rec["fields"])
    assert ("$.income.year", DATE_IN_FUTURE.code) in {
        (f["path"], f["code"]) for f in doc["findings"]
    }
    assert {h["topic"] for h in doc["highlights"]} >= {"household", "status", "income"}
    # the county's reviewers see the values locally, with --private
    local = _review(repo, "markdown", "--private")
    assert "| 人均纯收入（元） | 修改 | 4800 | 7319.5 |" in local and "--private" in local
    assert "风险未消除 → 风险已消除" in local


def test_pr_comment_shows_no_report_entry_values_by_default(repo):
    edit(repo, REPORT, "content: 入户了解收入情况", "content: 入户送米面油两袋")
    edit(repo, REPORT, "amount: 1200.5", "amount: 1377.25")
    commit(repo, "改条目")
    for fmt in ("markdown", "text", "json"):
        out = _review(repo, fmt)
        bare = _HEX_ID.sub("", out)
        assert "米面油" not in out and "1377" not in bare and "1200" not in bare, out
        assert "帮扶内容" in out or "content" in out
    local = _review(repo, "text", "--private")
    assert "入户送米面油两袋" in local and "1377.25" in local


@pytest.mark.parametrize("digit", ["²", "٣", "３"])
def test_an_id_number_with_a_digit_of_another_script_is_a_finding_not_a_traceback(tmp_path, digit):
    """``str.isdigit`` takes superscripts and other scripts' digits, which ``int`` refuses:
    the resident-ID check raised ``ValueError`` (quoting the character) out of the schema
    check. Now the shape is the pattern's finding and the checksum is not computed."""
    root = make_case(tmp_path, None)
    c = Canaries()
    value = c.id_number()
    odd = value[:15] + digit + value[16:]
    edit(root, HOUSEHOLD, "id_number: 11010519491231002X", f"id_number: '{odd}'")
    for args in (("--format", "text"), ("--format", "json"), ("--format", "github")):
        res = bangfu("check", "--data", "data", "--as-of", DEFAULT_AS_OF, *args, cwd=root)
        out = res.stdout + res.stderr
        assert res.returncode == 1 and "Traceback" not in out, out
        assert SCHEMA_PATTERN.code in out and HOUSEHOLD.removeprefix("data/") in out
        assert not c.leaks(out) and digit not in out
