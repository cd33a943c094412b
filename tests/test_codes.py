"""Finding codes: each is a constant of bangfu/codes.py, passed to make() by name (a typo fails
at import); no code is written as a string where a finding is made; every registered code is
produced somewhere in the test suite (a golden case, or a test listed in codes_record.PRODUCERS,
which checks itself when it runs)."""

from __future__ import annotations

import ast
import errno
import json
import re
from pathlib import Path

import pytest
import yaml

from bangfu import codes, readfile
from bangfu.codes import (
    DATE_IN_FUTURE,
    FILE_UNREADABLE,
    FMT_UNSAFE,
    HISTORY_REPORT_REWRITTEN,
    REGISTRY,
    SCHEMA_FORMAT,
    SCHEMA_INVALID,
    SCHEMA_MINIMUM,
    WRITE_FAILED,
    Code,
    make,
)
from bangfu.findings import Finding
from bangfu.yamlio import WriteError, write_all, writing

from .codes_record import PRODUCERS, recorded
from .conftest import CASES, DEFAULT_AS_OF, bangfu, commit, edit, init_repo, make_case
from .write_helpers import full_disk

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "scripts" / "bangfu"
FAMILIES = sorted({c.split(".")[0] for c in REGISTRY})
LOOKS_LIKE_A_CODE = re.compile(rf"^(?:{'|'.join(FAMILIES)})\.[a-z0-9-]+$")


def constant_name(code: str) -> str:
    return re.sub(r"[.-]", "_", code).upper()


def test_each_code_is_a_constant_named_after_it():
    constants = {n: v for n, v in vars(codes).items() if isinstance(v, Code)}
    assert {n: v.code for n, v in constants.items()} == {constant_name(c): c for c in REGISTRY}, (
        "each code is one constant, named after the code"
    )
    assert list(REGISTRY.values()) == list(constants.values())
    assert len(REGISTRY) > 100


def test_make_takes_only_a_registered_constant():
    f = make(FILE_UNREADABLE, "data/x.yaml", "无法读取", line=1)
    assert (f.code, f.severity, f.hint) == (FILE_UNREADABLE.code, "error", FILE_UNREADABLE.hint)
    with pytest.raises(TypeError):
        make(FILE_UNREADABLE.code, "data/x.yaml", "无法读取")  # type: ignore[arg-type]
    lookalike = Code(FILE_UNREADABLE.code, "error", "文件无法读取", "另一个提示")
    with pytest.raises(TypeError):
        make(lookalike, "data/x.yaml", "无法读取")


def test_a_misspelt_code_fails_at_import():
    with pytest.raises(ImportError, match="FILE_UNREADBLE"):
        exec("from bangfu.codes import FILE_UNREADBLE", {})


# --- no code as a string where a finding is made ---------------------------------------------


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def code_literals(source: str, *, anywhere: bool) -> list[tuple[int, str]]:
    """(line, literal) of code-like strings passed to make()/Finding() (as the code: first
    argument or ``code=``); with ``anywhere``, also every other registered code written as a
    string (docstrings and f-string parts aside)."""
    tree = ast.parse(source)
    out = []
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip |= {id(n) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name in ("make", "Finding"):
                args = node.args[:1] + [k.value for k in node.keywords if k.arg == "code"]
                for a in args:
                    if (
                        isinstance(a, ast.Constant)
                        and isinstance(a.value, str)
                        and (name == "make" or LOOKS_LIKE_A_CODE.match(a.value))
                    ):
                        out.append((a.lineno, a.value))
                        skip.add(id(a))
        if (
            anywhere
            and isinstance(node, ast.Constant)
            and node.value in REGISTRY
            and id(node) not in skip
        ):
            out.append((node.lineno, node.value))
    return sorted(set(out))


def test_the_literal_finder_finds_literals():
    src = (
        'make("file.unreadable", f, m)\n'
        'Finding(code="file.unreadabel", severity="error")\n'
        'x = at(rec, "date.in-future", ())\n'
        'make(FILE_UNREADABLE, f, "file.unreadable 之外的文字")\n'
    )
    assert code_literals(src, anywhere=False) == [(1, FILE_UNREADABLE.code), (2, "file.unreadabel")]
    assert (3, DATE_IN_FUTURE.code) in code_literals(src, anywhere=True)
    assert 4 not in {line for line, _ in code_literals(src, anywhere=True)}


def test_no_code_is_written_as_a_string_outside_codes_py():
    found = []
    for py in sorted([*PACKAGE.rglob("*.py"), *(REPO / "tests").rglob("*.py")]):
        if py == PACKAGE / "codes.py":
            continue
        anywhere = PACKAGE in py.parents  # the package: no code as a string at all
        for line, literal in code_literals(py.read_text("utf-8"), anywhere=anywhere):
            found.append(f"{py.relative_to(REPO)}:{line}: {literal!r}")
    assert not found, "write the constant from bangfu.codes instead:\n" + "\n".join(found)


# --- every registered code is produced somewhere -----------------------------------------------


def golden_codes() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for exp in sorted(CASES.rglob("expected.yaml")):
        for f in yaml.safe_load(exp.read_text("utf-8"))["findings"]:
            out.setdefault(f["code"], []).append(exp.parent.name)
    return out


def test_every_registered_code_is_produced_by_a_golden_case_or_a_listed_test():
    golden = golden_codes()
    assert set(golden) <= set(REGISTRY), "golden cases expect unregistered codes"
    assert set(PRODUCERS) <= set(REGISTRY), "PRODUCERS lists unregistered codes"
    nowhere = sorted(set(REGISTRY) - set(golden) - set(PRODUCERS))
    assert not nowhere, f"registered codes no golden case or listed test produces: {nowhere}"
    both = sorted(set(golden) & set(PRODUCERS))
    assert not both, f"codes with a golden case need no entry in PRODUCERS: {both}"


def test_the_listed_producers_exist():
    for code, test_id in PRODUCERS.items():
        file, _, func = test_id.partition("::")
        func = func.split("[")[0]
        source = (REPO / file).read_text("utf-8")
        assert re.search(rf"^def {re.escape(func)}\(", source, re.M), (code, test_id)


def test_codes_made_in_a_bangfu_process_are_recorded(tmp_path, request):
    root = make_case(tmp_path, CASES / "invalid" / "income-negative")
    proc = bangfu("check", "--as-of", DEFAULT_AS_OF, cwd=root)
    assert proc.returncode == 1 and f"[{SCHEMA_MINIMUM.code}]" in proc.stdout
    assert SCHEMA_MINIMUM.code in recorded()[request.node.nodeid]


def test_a_record_that_vanishes_before_it_is_read_is_unreadable(tmp_path):
    """A record deleted between listing and reading (another process, a network drive): a
    finding, not a traceback. As root no permission makes a file unreadable; a vanished one is."""
    gone = tmp_path / "h-0001.yaml"
    _, finding = readfile.lstat_problem(str(gone), "data/households/x/y/h-0001.yaml")
    assert isinstance(finding, Finding)
    assert (finding.code, finding.line) == (FILE_UNREADABLE.code, 1)


HOUSEHOLD = "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"


@pytest.mark.parametrize(
    "schema_file, prop, keyword, value, where, code",
    [
        (
            "organization",
            "office_phone",
            "format",
            "email",
            "data/organizations/to-helpers.yaml",
            SCHEMA_FORMAT,
        ),
        ("household", "household_size", "multipleOf", 2, HOUSEHOLD, SCHEMA_INVALID),
    ],
    ids=["format", "other-keyword"],
)
def test_a_schema_rule_without_its_own_code_is_still_reported(
    tmp_path, schema_file, prop, keyword, value, where, code
):
    """The bundled schemas only use keywords and formats with their own codes; one a schema
    adds later (a format such as email, a keyword such as multipleOf) is still reported, as
    schema.format or schema.invalid."""
    root = make_case(tmp_path, None)
    path = root / "schemas" / f"{schema_file}.schema.json"
    schema = json.loads(path.read_text("utf-8"))
    schema["properties"][prop][keyword] = value
    path.write_text(json.dumps(schema, ensure_ascii=False), "utf-8")
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root)
    assert proc.returncode == 1, proc.stderr
    found = [(f["file"], f["path"], f["code"]) for f in json.loads(proc.stdout)["findings"]]
    assert found == [(where, f"$.{prop}", code.code)]


# --- codes no other test produced --------------------------------------------------------------

REPORT = "data/plans/tc-alpha/tp-one/reports/2024-03.yaml"


def test_rewriting_a_submitted_reports_date_is_blocked_by_review(tmp_path):
    root = init_repo(make_case(tmp_path, None))
    edit(root, REPORT, "submitted: 2024-03-25", "submitted: 2024-03-20")
    commit(root, "改报送日期")
    proc = bangfu(
        "review", "main~1", "HEAD", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=root
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = {(f["file"], f["path"], f["code"]) for f in json.loads(proc.stdout)["history"]}
    assert found == {(REPORT, "$.submitted", HISTORY_REPORT_REWRITTEN.code)}


def test_fmt_leaves_a_file_alone_when_tidying_would_change_its_data(tmp_path):
    """A line separator (U+2028) inside a plain value is a line break to the writer's YAML
    library: tidying would change the value, so fmt reports fmt.unsafe and writes nothing."""
    root = make_case(tmp_path, None)
    edit(root, HOUSEHOLD, "address: 测试省测试县东乡柳村一组", "address: 测试省\u2028测试县")
    before = (root / HOUSEHOLD).read_bytes()
    proc = bangfu("fmt", cwd=root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"[{FMT_UNSAFE.code}]" in proc.stdout and "Traceback" not in proc.stderr
    assert (root / HOUSEHOLD).read_bytes() == before


def test_a_failed_write_other_than_a_full_disk_is_write_failed(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.yaml").write_text("old: 1\n")
    full_disk(monkeypatch, errno.EIO, after=2)  # the journal and the first file get written
    with writing(data), pytest.raises(WriteError) as info:
        write_all([(data / "a.yaml", "new: 1\n"), (data / "b/c.yaml", "new: 2\n")], data)
    assert [(f.code, f.file) for f in info.value.findings] == [(WRITE_FAILED.code, "data/b/c.yaml")]
    assert (data / "a.yaml").read_text() == "old: 1\n" and not (data / "b/c.yaml").exists()
