"""The fast paths give the same answers as the careful ones: the compiled-parser fast path and
lazy line numbers, parallel loading, the parse cache, checks of a few files through the
reference index, the direct YAML writer and the synthetic corpus generator. Nothing here is
timed; speed is measured by ``bangfu bench``."""

from __future__ import annotations

import ast
import io
import os
import random
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bangfu import check, load, readone, yamlbuild, yamlsafe
from bangfu.cache import DIRNAME, open_cache
from bangfu.codes import (
    ID_DUPLICATE,
    ID_MISMATCH_PATH,
    REF_NOT_A_TARGET,
    SCHEMA_ADDITIONAL_PROPERTIES,
    YAML_SYNTAX,
)
from bangfu.config import WORKERS_ENV, Config
from bangfu.schemacheck import validate
from bangfu.yamlio import (
    dump_fast,
    dump_text,
    round_trip_update,
    to_yaml_types,
    update_text,
    yaml_rt,
)

from .conftest import CASES, DEFAULT_AS_OF, ROOT, bangfu, make_case
from .hostile_files import HOSTILE

CASE_DIRS = sorted(
    p for kind in ("valid", "invalid") for p in (CASES / kind).iterdir() if p.is_dir()
)

ODD_TEXTS = [
    "a: 012\n",
    "a: 0x1F\n",
    "a: 0o17\n",
    "a: 1_000\n",
    "a: .inf\n",
    "a: -.inf\n",
    "a: .nan\n",
    "a: 0b101\n",
    "a: 00\n",
    "a: 01.5\n",
    "a: -01\n",
    "a: 1e400\n",
    "a: 2024-01-01\n",
    "a: yes\n",
    "a: True\n",
    "a: ~\n",
    "a:\n",
    "a: 1.\n",
    "a: +.5\n",
    "a: 1E3\n",
    "a: +1\n",
    "a: -0\n",
    "a: 123456789012345678901234567890\n",
    "a: b: c\n",
    "a:\n  - b\n - c\n",
    "a: |\n  x\n   y\n",
    "a: >-\n  x\n\n  y\n",
    "a: x # c\nb: y#z\n",
    "- a\n",
    "a\n",
    "a: 1\nb\n",
    "a: []\nb: {}\n",
    "'a': 1\n\"b\": 2\n",
    "a: x\n...\n",
    "a: -\n",
    "? a\n: b\n",
    "a: 'x' y\n",
    'a: "x\\ty"\n',
    "1: x\n",
    "true: x\n",
    "null: x\n",
    "a: &x 1\nb: *x\n",
    "<<: {a: 1}\n",
    "a: [1, 2]\n",
    "a: {b: 1}\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: \u00e9\u4e2d\n",
    "a: 'it''s'\n",
    "a:\n  b: 1\n c: 2\n",
    "a: x\r\nb: y\r\n",
    "\ufeffa: 1\n",
    "a: \x85x\n",
    "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 40)),
]


def _base_texts() -> list[str]:
    return [p.read_text("utf-8") for p in sorted(CASES.rglob("*.yaml"))]


def _builder(text: str):
    out = yamlsafe.Parsed(positions={})
    try:
        out.data = yamlbuild.build(text, "x", out.positions)
    except (yamlbuild.Stop, yaml.YAMLError):
        return None, None
    return out.data, out


@pytest.mark.parametrize(
    "text", ODD_TEXTS + [raw.decode("utf-8", "replace") for raw, _ in HOSTILE.values()]
)
def test_fast_parser_defers_or_agrees(text):
    """Whether the fast path takes a text or defers it to the full builder, ``parse`` gives
    what the full builder gives: the same data, or findings where the builder refuses."""
    fast = yamlsafe.fast_load(text)
    data, built = _builder(text)
    if fast is not None:  # taken: the same values as the full builder
        assert built is not None and repr(fast) == repr(data)
    got = yamlsafe.parse(text, "x")
    if built is None:  # refused by the builder: deferred, and a finding
        assert fast is None and got.findings
    else:  # the same data (the checks after the build may add findings: an empty file…)
        assert repr(got.data) == repr(data)


def test_fast_parser_agrees_on_records_and_keeps_positions():
    taken = 0
    for text in _base_texts():
        fast = yamlsafe.fast_load(text)
        data, slow = _builder(text)
        if fast is None:
            continue
        taken += 1
        assert repr(fast) == repr(data)
        lazy = yamlsafe.parse(text, "x")
        assert not lazy.positions_read  # fast path: no positions until asked
        assert lazy.positions == slow.positions
    assert taken > 20


def test_parse_results_unchanged_for_every_case_file():
    for path in sorted(CASES.rglob("*.yaml")):
        text = path.read_text("utf-8")
        got = yamlsafe.parse(text, "f")
        want = yamlsafe.Parsed(positions={})
        try:
            want.data = yamlbuild.build(text, "f", want.positions)
        except (yamlbuild.Stop, yaml.YAMLError):
            assert got.findings
            continue
        assert got.data == want.data
        assert got.positions == want.positions


def test_the_parse_cache_key_covers_the_code_its_results_come_from():
    """The cache is keyed by the text of the files that make a result (``CODE_FILES``): a
    change to any of them (the parser, the schema check, the facts and the rules they call)
    makes every cached result stale. Every module those files import is in the list, or named
    with the reason it cannot change a result."""
    from bangfu import cache

    package = ROOT / "scripts" / "bangfu"
    listed = set(cache.CODE_FILES)
    assert all((package / name).is_file() for name in listed)
    seen = 0
    for name in sorted(listed):
        here = (package / name).parent
        tree = ast.parse((package / name).read_text("utf-8"))
        for node in ast.walk(tree):  # every relative import, at any depth, however written
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            base = here
            for _ in range(node.level - 1):
                base = base.parent
            if node.module:
                targets = [base.joinpath(*node.module.split("."))]
            else:  # from . import a, b as c: modules or packages
                targets = [base / alias.name for alias in node.names]
            for t in targets:
                path = t.with_suffix(".py") if t.with_suffix(".py").is_file() else t / "__init__.py"
                assert path.is_file(), (name, ast.unparse(node))  # every name resolves
                rel = path.relative_to(package).as_posix()
                assert rel in listed or rel in cache.CODE_IMPORTS_ELSEWHERE, (name, rel)
                seen += 1
    assert seen >= len(listed)


@pytest.mark.parametrize("dist", ["yaml_rs", "jsonschema_rs"])
def test_the_parse_cache_key_covers_the_parser_and_validator_versions(monkeypatch, dist):
    """The records are parsed by yaml_rs and screened with jsonschema_rs's built-in date
    format: another version of either makes every cached result stale."""
    from importlib import metadata

    from bangfu import cache

    key = cache.fingerprint.__wrapped__(None)
    assert cache.fingerprint.__wrapped__(None) == key
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda n: "0.0.0-other" if n == dist else real(n))
    assert cache.fingerprint.__wrapped__(None) != key


def _strings(node, out: list) -> list:
    if isinstance(node, dict):
        out.extend(node)
        for v in node.values():
            _strings(v, out)
    elif isinstance(node, list):
        for v in node:
            _strings(v, out)
    elif isinstance(node, str):
        out.append(node)
    return out


def test_parsed_keys_and_short_strings_are_interned_on_both_paths():
    """The loader keeps millions of records: their keys and short strings (ids, dates,
    categories) are interned as they are parsed, by the fast path and the careful one."""
    import sys

    text = HOUSEHOLD_CASE.read_text("utf-8")
    careful = text.replace("status: 风险未消除", "status: &s 风险未消除\nx: *s")  # an alias
    fast, slow = yamlsafe.parse(text, "f"), yamlsafe.parse(careful, "f")
    assert not fast.positions_read and slow.positions_read  # one on each path
    for parsed in (fast, slow):
        words = [s for s in _strings(parsed.data, []) if 2 <= len(s) <= 32]
        assert len(words) > 30
        # a new copy of each, interned, is the word itself only if the word was interned
        assert all(sys.intern("".join(list(s))) is s for s in words)


def test_cached_facts_hold_each_short_text_interned_and_equal_the_facts_of_the_data(demo_data):
    """The facts the loader caches with a parse are ``record_facts`` of the parsed data, and
    each of their short texts is interned: the data's own words, or interned where a fact is
    made (a report's first day), so that a new fact made from a fresh string fails here."""
    import sys

    from bangfu.facts import record_facts
    from bangfu.record import classify

    root = demo_data.resolve()
    seen: dict[str, int] = {}
    for path, rel, hid in load.scan(root):
        kind = classify(rel) if path.endswith(".yaml") and not hid else None
        if kind is None:
            continue
        _dig, (data, pf, _sf, facts) = readone.parse_one(
            path, "data/" + "/".join(rel), rel, kind, str(ROOT / "schemas")
        )
        assert not pf and facts == record_facts(kind, data)
        texts = [v for rows in facts.values() for row in rows for v in row if type(v) is str]
        assert all(sys.intern("".join(list(t))) is t for t in texts if len(t) <= 32), path
        for name, rows in facts.items():
            seen[name] = seen.get(name, 0) + len(rows)
    # every table is made from the demo records, the reports' first days among them
    assert all(seen.get(name) for name in ("household", "plan", "report", "entry", "village"))


# --- reading a file ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 4095, 70_000, 200_000])
def test_a_file_is_read_whole_when_it_is_larger_than_its_stat_says(tmp_path, monkeypatch, size):
    """``read_bounded`` asks for the stated size first: a file that grew after its stat is
    still read to its end, and refused once past the limit."""
    from bangfu import readfile
    from bangfu.codes import FILE_TOO_LARGE

    p = tmp_path / "a.yaml"
    p.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    real = os.fstat

    def stale(fd):
        st = real(fd)
        return os.stat_result((*st[:6], min(st.st_size, 7), *st[7:10]))

    monkeypatch.setattr(readfile.os, "fstat", stale)
    raw, problem = readfile.read_bounded(str(p), "a.yaml", 300_000, checked=True)
    assert problem is None and raw == p.read_bytes()
    raw, problem = readfile.read_bounded(str(p), "a.yaml", 100_000, checked=True)
    if size > 100_000:
        assert raw is None and problem is not None and problem.code == FILE_TOO_LARGE.code
    else:
        assert raw == p.read_bytes()


@pytest.mark.parametrize("size", [0, 1, 4095, 70_000])
def test_a_file_as_its_stat_says_is_read_in_one_call(tmp_path, monkeypatch, size):
    """One read gives the stated size and no more: the end is met, no second call is made.
    A file that shrank after its stat is read to its end all the same."""
    from bangfu import readfile

    p = tmp_path / "a.yaml"
    p.write_bytes(b"k: v\n" * (size // 5) + b"x" * (size % 5))
    calls = []
    real_read, real_fstat = os.read, os.fstat

    def counted(fd, n):
        calls.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(readfile.os, "read", counted)
    raw, problem = readfile.read_bounded(str(p), "a.yaml", 300_000, checked=True)
    assert problem is None and raw == p.read_bytes() and calls == [size + 1]

    def larger(fd):  # the stat says more than the file holds: the short read is not the end
        st = real_fstat(fd)
        return os.stat_result((*st[:6], st.st_size + 10, *st[7:10]))

    monkeypatch.setattr(readfile.os, "fstat", larger)
    calls.clear()
    raw, problem = readfile.read_bounded(str(p), "a.yaml", 300_000, checked=True)
    assert problem is None and raw == p.read_bytes() and len(calls) == (2 if size else 1)


# --- the schema check's screen -------------------------------------------------------------


def test_compiled_date_format_agrees_with_ours_on_patterned_dates_but_year_zero():
    """``schemacheck.screens`` rests on this: on every string the date pattern lets through, the
    validator's compiled ``date`` format and ``is_valid_date`` agree, except the year 0000
    (which ``may_differ`` sends to the full check)."""
    import jsonschema_rs

    from bangfu.checksums import is_valid_date
    from bangfu.schemacheck import DATE_PATTERN

    compiled = jsonschema_rs.Draft202012Validator(
        {"type": "string", "format": "date"}, validate_formats=True
    )
    assert re.fullmatch(DATE_PATTERN.strip("^$"), "2024-02-29")
    years = [*range(0, 13), 100, 400, 1600, 1896, 1900, 2000, 2023, 2024, 2100, 2400, 9999]
    differ = set()
    for y in years:
        for m in range(100):
            for d in range(100):
                s = f"{y:04d}-{m:02d}-{d:02d}"
                if compiled.is_valid(s) != is_valid_date(s):
                    differ.add(y)
    assert differ == {0}


HOUSEHOLD_CASE = CASES / "base/data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"


def _screened_cases() -> list[tuple[str, tuple, bytes]]:
    """Every case record (name, path under data/, bytes), and records the screen must not let
    through: a date of the year 0000 as written and as an escape, the placeholder as an
    escape, a date of 30 February."""
    out = []
    for p in sorted(CASES.rglob("*.yaml")):
        parts = p.relative_to(CASES).parts
        if "data" in parts:
            out.append(
                (str(p.relative_to(CASES)), parts[parts.index("data") + 1 :], p.read_bytes())
            )
    base = HOUSEHOLD_CASE.read_bytes()
    rel = ("households", "tc-alpha", "tc-alpha-east-willow", "h-0001.yaml")
    for new in (b"0000-06-01", rb'"\u0030000-06-01"', b"2024-02-30"):
        out.append((new.decode(), rel, base.replace(b"2024-01-05", new, 1)))
    escaped = base.replace("测试省测试县东乡柳村一组".encode(), rb'"\u5f85\u586b\u5199"', 1)
    out.append(("placeholder", rel, escaped))
    return out


def test_validation_through_the_screen_gives_the_same_findings():
    """``validate(rec, schemas, raw)`` (the screen first, the placeholder search only when the
    bytes can hold it) gives the findings of ``validate(rec, schemas)`` on every case record
    and on records made to slip past a careless screen."""
    from bangfu.codes import RECORD_PLACEHOLDER, SCHEMA_DATE
    from bangfu.record import Record, classify
    from bangfu.schema import PACKAGE_SCHEMAS

    seen: dict[str, set] = {}
    for name, rel, raw in _screened_cases():
        kind = classify(rel)
        rec = readone.parse_bytes(Record(kind=kind, file=name, rel=rel), raw)
        if kind is None or rec.data is None:
            continue
        want = validate(rec, PACKAGE_SCHEMAS)
        got = validate(rec, PACKAGE_SCHEMAS, raw)
        assert got == want, name
        seen[name] = {f.code for f in want}
    assert len(seen) > 100
    assert sum(bool(codes) for codes in seen.values()) > 10  # invalid records among them
    for name in ("0000-06-01", r'"\u0030000-06-01"', "2024-02-30"):
        assert SCHEMA_DATE.code in seen[name], name
    assert RECORD_PLACEHOLDER.code in seen["placeholder"]


# --- the writer ------------------------------------------------------------------------------


def _ruamel(data: dict) -> str:
    buf = io.StringIO()
    yaml_rt().dump(to_yaml_types(data), buf)
    return buf.getvalue()


@pytest.mark.slow
def test_fast_writer_writes_what_ruamel_writes(tmp_path):
    root = _synth(tmp_path, 40)
    records = [yamlsafe.parse(p.read_text("utf-8"), "x").data for p in sorted(root.rglob("*.yaml"))]
    records += [yamlsafe.parse(t, "x").data for t in _base_texts()]
    records += [
        {"a": v}
        for v in [
            "023-1234",
            "2024-13-01",
            "x: y",
            "-x",
            "yes",
            "Null",
            "1e3",
            ".5",
            "@x",
            "x #y",
            "11010519491231002X",
            "12345",
            "2025-W18",
            "  x",
            "line\nbreak",
            "\u3000x",
            1.5,
            None,
            "2024-02-30",
        ]
    ]
    fast = 0
    for rec in records:
        if not isinstance(rec, dict):
            continue
        text = dump_fast(rec)
        if text is not None:
            fast += 1
            assert text == _ruamel(rec)
        assert dump_text(rec) == _ruamel(rec)
    assert fast > 100


def _changes(rec: dict) -> list[dict]:
    """Edits a writer makes to a record: a value replaced by a long sealed-like text, a key
    added, a key removed, a list replaced, the keys reordered."""
    keys = list(rec)
    out = [
        {**rec, keys[-1]: "age1" + "x" * 300},
        {**rec, "notes": "新增的说明：第 3 条"},
        {k: v for k, v in rec.items() if k != keys[len(keys) // 2]},
        {**rec, keys[0]: [{"date": "2025-01-02", "what": "换成列表"}]},
        dict(reversed(rec.items())),
    ]
    return [c for c in out if c and c != rec]


@pytest.mark.slow
def test_update_text_fast_path_writes_what_the_round_trip_writes(tmp_path):
    """A canonical file without comments is rewritten by ``dump_text``: for every record of a
    synthetic county and five edits of each, the same text as ruamel.yaml's round trip; a
    file with a comment still takes the round trip and keeps it."""
    root = _synth(tmp_path, 6)
    fast = 0
    for path in sorted(root.rglob("*.yaml"))[::3]:  # every kind, a third of the files
        existing = path.read_text("utf-8")
        old = yamlsafe.parse(existing, "x").data
        if not isinstance(old, dict):
            continue
        for new in _changes(old):
            assert update_text(new, existing) == round_trip_update(new, existing, old), path
            lines = existing.splitlines(True)
            body = "".join(lines[next(i for i, x in enumerate(lines) if x[:1] != "#") :])
            fast += "#" not in body and dump_text(old) == body
        commented = re.sub(r"^(id: .*)$", r"\1  # 核对过", existing, count=1, flags=re.M)
        new = _changes(old)[1]
        kept = update_text(new, commented)
        assert "# 核对过" in kept and kept == round_trip_update(new, commented, old)
    assert fast > 40  # the fast path was taken (and agreed) for most of them


def _synth(tmp_path: Path, households: int, workers: int = 1, name: str = "syn") -> Path:
    from bangfu.synth import SynthOptions, generate

    cfg = Config.make(ROOT / "data")
    generate(cfg, SynthOptions(households, 7, tmp_path / name, workers=workers))
    return tmp_path / name / "data"


def test_synthetic_corpus_is_canonical_valid_and_deterministic(tmp_path):
    one = _synth(tmp_path, 30, workers=1, name="one")
    two = _synth(tmp_path, 30, workers=2, name="two")
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
    proc = bangfu("fmt", "--check", "--data", str(one), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = bangfu("check", "--data", str(one), "--as-of", "2026-06-30", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- loading: parallel and cached ------------------------------------------------------------


def _one_by_one(cfg: Config) -> list[tuple]:
    out = []
    for path in load.iter_files(cfg.data_root):
        rec = readone.read_record(path, cfg.data_root)
        if rec.data is not None and not rec.findings:
            rec.findings.extend(validate(rec, cfg.schemas_dir))
        out.append((rec.file, rec.kind, rec.rel, rec.data, rec.findings))
    return out


def _tree(cfg: Config, **kw) -> list[tuple]:
    tree = load.load_tree(cfg.data_root, cfg.schemas_dir, **kw)
    return [
        (r.file, r.kind, r.rel, r.data, r.findings + sf)
        for r, sf in zip(tree.records, tree.schema_findings, strict=True)
    ]


@pytest.fixture
def mixed_repo(tmp_path) -> Path:
    """Every golden case's files (renamed apart) in one data folder, hostile files included."""
    root = make_case(tmp_path, None)
    data = root / "data"
    hh = data / "households/tc-alpha/tc-alpha-east-willow"
    for i, case in enumerate(CASE_DIRS):
        for p in sorted((case / "data").rglob("*")) if (case / "data").is_dir() else []:
            if p.is_file():
                rel = p.relative_to(case / "data")
                target = (
                    data / rel.parent / f"c{i}-{rel.name}"
                    if rel.name != "plan.yaml"
                    else data / rel
                )
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists():
                    shutil.copyfile(p, target)
    for name, (content, _code) in HOSTILE.items():
        (hh / f"x-{name}.yaml").write_bytes(content)
    return root


def test_parallel_load_equals_one_by_one(mixed_repo, monkeypatch):
    """The same records and findings however the files are parsed: here, or by workers
    given chunks while the tree is still being walked and the rest after it."""
    cfg = Config.make(mixed_repo / "data", as_of=DEFAULT_AS_OF)
    want = _one_by_one(cfg)
    monkeypatch.setattr(load, "PARALLEL_MIN", 1)
    monkeypatch.setattr(load, "CHUNK", 3)
    sent_during_walk: list[tuple[int, int]] = []
    real = load.Parsing.results

    def results(self):
        sent_during_walk.append((self.sent, len(self.items)))
        return real(self)

    monkeypatch.setattr(load.Parsing, "results", results)
    assert _tree(cfg, workers=2, use_cache=False) == want
    # some chunks went to the workers during the walk, and some were left for after it
    assert 24 <= sent_during_walk[0][0] < sent_during_walk[0][1]
    assert _tree(cfg, workers=1, use_cache=False) == want
    assert sent_during_walk[1][0] == 0


def _listing_child(tmp_path, real, end: str):
    """``load.listing`` as the child runs it: it leaves the id of its process, then lists
    the tree (``lists``), dies (``dies``) or raises (``fails``)."""

    def child(root):
        (tmp_path / f"listed-{os.getpid()}").write_text("", "utf-8")
        if end == "dies":
            os._exit(3)
        if end == "fails":
            raise RuntimeError("boom")
        return real(root)

    return child


@pytest.mark.parametrize("child", ["lists", "dies", "fails", "no process"])
def test_a_tree_listed_beside_the_cache_read_loads_as_one_listed_here(
    mixed_repo, tmp_path, monkeypatch, child
):
    """Where the parse cache is large, a child lists the tree and takes each entry's lstat
    while this process reads the cache: the same records, findings, stamps and folder stamps
    as a tree listed here, special entries included, and no lstat taken again here. A child
    that dies or fails, or none that could be started, leaves the listing to this process,
    and nothing is lost."""
    import errno

    from bangfu import forked, readfile

    (mixed_repo / DIRNAME).mkdir()
    data = mixed_repo / "data"
    hh = data / "households/tc-alpha/tc-alpha-east-willow"
    os.mkfifo(hh / "x-pipe.yaml")
    (hh / "x-link.yaml").symlink_to(hh / "h-0001.yaml")
    (hh / "x-dangling.yaml").symlink_to(hh / "nowhere.yaml")
    (data / "households/.hidden").mkdir()
    (data / "households/.hidden/h.yaml").write_text("id: x\n", "utf-8")
    cfg = Config.make(data, as_of=DEFAULT_AS_OF)
    load.load_tree(cfg.data_root, cfg.schemas_dir)  # writes the cache
    store = open_cache(cfg.data_root, cfg.schemas_dir)
    store.written_ns += 10**12  # stamps not racy: the cache is trusted
    store.dirty = True
    store.save()

    def seen(tree) -> tuple:
        return _tree_rows(tree), tree.stamps, tree.dirs, tree.parsed, tree.cached

    here = seen(load.load_tree(cfg.data_root, cfg.schemas_dir))
    codes = {f.code for row in here[0] for f in row[4]}
    assert here[4] > 0 and codes >= {"file.symlink", "file.special", "file.hidden"}
    monkeypatch.setenv(WORKERS_ENV, "2")
    monkeypatch.setattr(load, "LISTED_BESIDE_CACHE", 0)
    monkeypatch.setattr(load, "listing", _listing_child(tmp_path, load.listing, child))
    if child == "no process":

        def no_process(*args, **kw):
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

        monkeypatch.setattr(forked, "start", no_process)
    taken_here: list[str] = []
    real_stat = readfile.stat_values
    monkeypatch.setattr(readfile, "stat_values", lambda p: taken_here.append(p) or real_stat(p))
    beside = seen(load.load_tree(cfg.data_root, cfg.schemas_dir))
    assert beside == here
    pids = [int(p.name.split("-")[1]) for p in tmp_path.glob("listed-*")]
    if child == "no process":
        assert pids == [] and taken_here
    else:
        assert len(pids) == 1 and pids[0] != os.getpid()  # the child ran
        # listed by the child: no lstat here; else every entry's here
        assert (taken_here == []) == (child == "lists")


def _tree_rows(tree) -> list[tuple]:
    return [
        (r.file, r.kind, r.rel, r.data, r.findings + sf)
        for r, sf in zip(tree.records, tree.schema_findings, strict=True)
    ]


def _findings(result) -> list[tuple]:
    return [(f.file, f.line, f.column, f.path, f.code, f.message) for f in result.findings]


def test_cache_hits_follow_content(mixed_repo):
    (mixed_repo / DIRNAME).mkdir()
    cfg = Config.make(mixed_repo / "data", as_of=DEFAULT_AS_OF)
    os.environ.pop("BANGFU_CACHE", None)
    first = load.load_tree(cfg.data_root, cfg.schemas_dir)
    assert first.parsed > 0 and list((mixed_repo / DIRNAME).glob("parse-*.marshal"))
    cold = _findings(check.run(cfg))
    # the cache's own write time makes every stamp racy; pretend it was written long ago
    store = open_cache(cfg.data_root, cfg.schemas_dir)
    store.written_ns += 10**12
    store.dirty = True
    store.save()
    again = load.load_tree(cfg.data_root, cfg.schemas_dir)
    assert again.parsed == 0 and again.cached > 0
    assert _findings(check.run(cfg)) == cold
    # a changed file is parsed again and its new findings show
    h = mixed_repo / "data/households/tc-alpha/tc-alpha-east-willow/h-0001.yaml"
    text = h.read_text("utf-8")
    h.write_text(text.replace("income:", "incme:", 1), "utf-8")
    changed = _findings(check.run(cfg))
    assert changed != cold
    assert any(
        f[0].endswith("h-0001.yaml") and f[4] == SCHEMA_ADDITIONAL_PROPERTIES.code for f in changed
    )
    # same size, same mtime, other content: still seen (ctime and content hash)
    st = h.stat()
    h.write_text(text.replace("income:", "incomf:", 1), "utf-8")
    os.utime(h, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _findings(check.run(cfg)) != cold
    h.write_text(text, "utf-8")
    assert _findings(check.run(cfg)) == cold


@pytest.mark.parametrize("garbage", [b"", b"\x00" * 100, b"not marshal at all", None])
def test_corrupt_cache_is_ignored(mixed_repo, garbage):
    import marshal

    (mixed_repo / DIRNAME).mkdir()
    cfg = Config.make(mixed_repo / "data", as_of=DEFAULT_AS_OF)
    want = _findings(check.run(cfg))
    for p in (mixed_repo / DIRNAME).rglob("*.marshal"):
        if garbage is None:  # well-formed marshal of the wrong shape
            p.write_bytes(marshal.dumps((1, 0, {"x": (1, 2)}, {b"y": (1, 2, 3)})))
        else:
            p.write_bytes(garbage)
    assert _findings(check.run(cfg)) == want
    proc = bangfu("check", "--format", "json", "--as-of", DEFAULT_AS_OF, cwd=mixed_repo)
    assert "Traceback" not in proc.stderr


def test_no_cache_written_into_a_plain_folder(base_repo):
    cfg = Config.make(base_repo / "data", as_of=DEFAULT_AS_OF)
    check.run(cfg)
    assert not (base_repo / DIRNAME).exists()


# --- checks of a few files -------------------------------------------------------------------


class _Full:
    """The reference side of the comparisons: a full check with no cache, its tree and model
    read once for the data as it stands (``check.run`` takes them as the pipeline gives them);
    a full read per comparison made these tests the slowest of the suite."""

    def __init__(self, cfg: Config, monkeypatch) -> None:
        from bangfu import model

        monkeypatch.setenv("BANGFU_CACHE", "0")
        self.tree = check.load_checked(cfg)
        self.model = model.build(self.tree.records)

    def run(self, cfg: Config, picks: list) -> check.Result:
        return check.run(cfg, picks, loaded=lambda: self.tree, modelled=lambda: self.model)


def _compare_few(cfg: Config, picks: list, monkeypatch, full: _Full) -> list[tuple]:
    monkeypatch.setenv("BANGFU_CACHE", "0")
    want = full.run(cfg, picks)
    monkeypatch.setenv("BANGFU_CACHE", "1")
    got = check.run(cfg, picks)
    assert got.deferred, picks  # the index path: the rest of the tree was left unread
    assert _findings(got) == _findings(want), picks
    assert got.files_checked == want.files_checked
    return _findings(want)


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_few_files_equal_full_check_restricted(case, tmp_path, monkeypatch):
    """The index is written for the shared base; the case's files then arrive (a stale
    index), and each file alone and all of them together are checked both ways."""
    import yaml

    expected = yaml.safe_load((case / "expected.yaml").read_text("utf-8"))
    root = make_case(tmp_path, None)
    (root / DIRNAME).mkdir()
    monkeypatch.setenv("BANGFU_CACHE", "1")
    check.run(Config.make(root / "data", as_of=DEFAULT_AS_OF))  # writes the index
    assert list((root / DIRNAME).glob("index-*/meta.marshal"))
    for rel in expected.get("remove", ()):
        (root / rel).unlink()
    if (case / "data").is_dir():
        shutil.copytree(case / "data", root / "data", dirs_exist_ok=True)
    cfg = Config.make(root / "data", as_of=expected.get("as_of", DEFAULT_AS_OF))
    files = [str(p) for p in load.iter_files(cfg.data_root)]
    full = _Full(cfg, monkeypatch)
    for f in files:
        _compare_few(cfg, [f], monkeypatch, full)
    _compare_few(cfg, files[::2], monkeypatch, full)
    _compare_few(cfg, [str(cfg.data_root / "plans")], monkeypatch, full)


@pytest.mark.slow
def test_few_files_with_edits_since_the_index(tmp_path, monkeypatch):
    """Ids changed, files removed, added and broken after the full check that wrote the index."""
    data = _synth(tmp_path, 40)
    root = data.parent
    (root / DIRNAME).mkdir(exist_ok=True)
    monkeypatch.setenv("BANGFU_CACHE", "1")
    # both sides read the tree in this process: 70 reads, each forking a pool of workers,
    # cost more than they save (the parallel read has its own test above)
    monkeypatch.setenv(WORKERS_ENV, "1")
    cfg = Config.make(data, as_of="2026-06-30")
    assert not check.run(cfg).findings
    households = sorted(data.glob("households/*/*/*.yaml"))
    plans = sorted(data.glob("plans/*/*/plan.yaml"))
    reports = sorted(data.glob("plans/*/*/reports/*.yaml"))
    a, b, c, d = households[3], households[10], households[20], households[30]
    # a duplicates b's id; c is removed; d is unreadable; a new household appears
    a.write_text(a.read_text("utf-8").replace(f"id: {a.stem}", f"id: {b.stem}"), "utf-8")
    c.unlink()
    d.write_text("id: [broken\n", "utf-8")
    new = b.parent / "h-newcomer01.yaml"
    new.write_text(b.read_text("utf-8").replace(f"id: {b.stem}", "id: h-newcomer01"), "utf-8")
    # a plan drops a target; a report names the newcomer
    p0 = plans[0]
    text = p0.read_text("utf-8")
    first_target = next(line for line in text.splitlines() if line.strip().startswith("- h-"))
    p0.write_text(text.replace(first_target + "\n", "", 1), "utf-8")
    r0 = reports[5]
    r0.write_text(
        r0.read_text("utf-8").replace("household: h-", "household: h-newcomer01\n    # h-", 1),
        "utf-8",
    )
    rng = random.Random(5)
    everything = [str(p) for p in load.iter_files(data)]
    picks = [[str(x)] for x in (a, b, d, new, p0, r0)] + [[str(x)] for x in reports[:12]]
    picks += [rng.sample(everything, 25) for _ in range(4)]
    codes = set()
    full = _Full(cfg, monkeypatch)
    for pick in picks:
        codes |= {f[4] for f in _compare_few(cfg, pick, monkeypatch, full)}
    # the edits are seen, as a full check sees them
    assert {
        ID_DUPLICATE.code,
        ID_MISMATCH_PATH.code,
        YAML_SYNTAX.code,
        REF_NOT_A_TARGET.code,
    } <= codes, codes
    few = check.run(cfg, [str(r0)])
    assert few.deferred  # the index path was taken: nothing else read yet
    assert len(few.records) == len(everything)  # and the rest is read on demand


# --- the benchmark's own plumbing --------------------------------------------------------------


def test_bench_table_and_targets():
    from bangfu_tools.benchreport import summary, targets
    from bangfu_tools.benchtypes import Report, Step

    steps = []
    for size, scale in ((1000, 1), (10_000, 10)):
        steps += [
            Step(size, "check-cold", "全量检查（无缓存）", 2500 * scale, wall=1.0 * scale),
            Step(size, "check-warm", "全量检查（有缓存）", 2500 * scale, wall=0.5 * scale),
            Step(size, "incr-1", "增量检查（改 1 个文件）", 1, wall=0.2),
            Step(size, "site", "生成网站", 2500 * scale, status="n/a", note="没有 site 命令"),
            Step(size, "check-jsonschema", "基线", 300, wall=300 / 20 * 1.0, extrapolated=True),
        ]
    report = Report(machine={"cores": 2, "memory_gb": 8, "python": "3"}, options={}, steps=steps)
    verdicts = {name: verdict for name, _measured, verdict in targets(report)}
    ratios = [v for k, v in verdicts.items() if "check-jsonschema" in k]
    assert ratios == ["达到", "达到"]
    assert any("增量" in k and v == "达到" for k, v in verdicts.items())
    text = summary(report)
    assert "n/a" in text and "2 核" in text and "外推全量" in text


@pytest.mark.slow
def test_bench_runs_end_to_end(tmp_path):
    import json

    proc = bangfu(
        "bench",
        "--sizes",
        "25",
        "--sample",
        "4",
        "--out",
        str(tmp_path / "bench"),
        "--data",
        str(ROOT / "data"),
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "全量检查" in proc.stdout and "目标" in proc.stdout
    result = json.loads((tmp_path / "bench" / "latest.json").read_text("utf-8"))
    names = {s["name"] for s in result["steps"]}
    assert {"check-cold", "check-warm", "incr-1", "incr-100", "pyyaml-jsonschema"} <= names
    assert all(s["status"] in ("ok", "n/a") for s in result["steps"]), result["steps"]
    assert result["machine"]["cores"] >= 1


def test_demo_output_is_canonical(tmp_path):
    proc = bangfu(
        "demo",
        "--households",
        "12",
        "--out",
        str(tmp_path / "demo"),
        "--data",
        str(ROOT / "data"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    proc = bangfu("fmt", "--check", "--data", str(tmp_path / "demo" / "data"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
