"""The rules' findings kept by their inputs (``verdicts``): a check over the same records,
schemas, statistics day and code takes them instead of running the rules, and gives the same
result; a change to any of those inputs runs the rules again; a damaged verdict is a miss; and
``bangfu site`` with a kept verdict starts no check process and still refuses on errors."""

from __future__ import annotations

import marshal
import shutil
from pathlib import Path

import pytest

from bangfu import check, forked, rules, verdicts
from bangfu.config import Config, PublishRefused
from bangfu.pipeline import Pipeline

from .conftest import CASES, make_case

DIRNAME = ".bangfu-cache"
AS_OF = "2025-01-01"
# findings of every source: a schema finding (the record's own), rules of both halves (a
# date in the future, a private value in a report, a duplicate id)
OVERLAID = ("enum-value", "submitted-in-future", "pii-in-report", "duplicate-village-id")
PRIVATE = "500101198506123451"  # the fake resident id the report case carries
REPORT = "plans/tc-alpha/tp-one/reports/2024-12.yaml"
CODES = {"schema.enum", "date.in-future", "privacy.personal-data-in-public-field", "id.duplicate"}


def _repo(tmp: Path, cases=OVERLAID) -> Path:
    root = make_case(tmp, None)
    for name in cases:
        shutil.copytree(CASES / "invalid" / name / "data", root / "data", dirs_exist_ok=True)
    (root / DIRNAME).mkdir()  # caches are kept here (a Git checkout would do as well)
    return root


def _shown(findings) -> list[tuple]:
    return [
        (f.file, f.line, f.column, f.path, f.code, f.severity, f.message, f.hint) for f in findings
    ]


@pytest.fixture
def runs(monkeypatch) -> list[int]:
    """How many times the rules ran (``rules.run``: both halves and ``run_all`` go through
    it), one entry per call."""
    calls: list[int] = []
    real = rules.run

    def counted(which, model, ctx):
        calls.append(len(which))
        return real(which, model, ctx)

    monkeypatch.setattr(rules, "run", counted)
    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    return calls


def _verdict_files(root: Path) -> list[Path]:
    return sorted((root / DIRNAME).glob("verdict-*.marshal"))


def test_a_kept_verdict_gives_the_same_result_without_the_rules(tmp_path, runs):
    root = _repo(tmp_path)
    cfg = Config.make(root / "data", as_of=AS_OF)
    first = check.run(cfg)
    assert runs and len(_verdict_files(root)) == 1
    codes = {f.code for f in first.findings}
    assert codes >= CODES, codes
    runs.clear()
    again = check.run(cfg)
    assert runs == []  # no rule ran
    assert _shown(again.findings) == _shown(first.findings)
    assert again.files_checked == first.files_checked
    # the private value is masked in the kept result as in the computed one
    assert all(PRIVATE not in f.message + f.hint for f in again.findings)


def test_a_kept_verdict_with_a_fresh_index_builds_no_model(tmp_path, runs, monkeypatch):
    """``bangfu check`` over unchanged files reads them and takes the verdict: the model is
    built only for the rules or for a stale reference index."""
    from bangfu import model
    from bangfu.cache import open_cache

    root = _repo(tmp_path)
    cfg = Config.make(root / "data", as_of=AS_OF)
    want = _shown(check.run(cfg).findings)
    # the cache's own write time makes every stamp racy; pretend it was written long ago
    store = open_cache(cfg.data_root, cfg.schemas_dir)
    store.written_ns += 10**12
    store.dirty = True
    store.save()
    check.run(cfg)  # the index is written again for the settled stamps

    def no_model(records):
        raise AssertionError("the model was built")

    monkeypatch.setattr(model, "build", no_model)
    runs.clear()
    assert _shown(check.run(cfg).findings) == want and runs == []


@pytest.mark.parametrize("change", ["content", "renamed", "added", "as_of", "code", "schema"])
def test_any_changed_input_runs_the_rules_again(tmp_path, runs, monkeypatch, change):
    root = _repo(tmp_path)
    cfg = Config.make(root / "data", as_of=AS_OF)
    before = _shown(check.run(cfg).findings)
    runs.clear()
    report = root / "data" / REPORT
    if change == "content":  # submitted on the statistics day: no longer in the future
        report.write_text(report.read_text("utf-8").replace("2025-01-10", "2025-01-01"), "utf-8")
    elif change == "renamed":
        village = next((root / "data" / "households").glob("*/*/"))
        village.rename(village.with_name(village.name + "x"))
    elif change == "added":
        shutil.copy(report, report.with_name("2024-11.yaml"))
    elif change == "as_of":  # the report's submission day has come
        cfg = Config.make(root / "data", as_of="2025-02-01")
    elif change == "code":
        monkeypatch.setattr(verdicts, "code_fingerprint", lambda: "another version of the code")
    else:  # the same rules under other schemas (one description changed)
        other = root / "other-schemas"
        shutil.copytree(root / "schemas", other)
        schema = other / "report.schema.json"
        text = schema.read_text("utf-8")
        assert '"description": "' in text
        schema.write_text(text.replace('"description": "', '"description": "（改）', 1), "utf-8")
        cfg = Config.make(root / "data", schemas=other, as_of=AS_OF)
    after = check.run(cfg)
    assert runs, "the rules did not run again"
    assert len(_verdict_files(root)) == 2
    if change in ("content", "as_of"):  # the kept verdict would have been wrong
        assert any(code == "date.in-future" for *_, code, _s, _m, _h in before)
        assert _shown(after.findings) != before
        assert not any(f.code == "date.in-future" for f in after.findings)
    # the second run with the same inputs takes the new verdict
    runs.clear()
    assert _shown(check.run(cfg).findings) == _shown(after.findings)
    assert runs == []


def test_the_code_fingerprint_covers_every_python_file(tmp_path):
    package = tmp_path / "bangfu"
    shutil.copytree(Path(verdicts.__file__).parent, package, ignore=shutil.ignore_patterns("*.pyc"))
    base = verdicts.code_fingerprint(package)
    rule = package / "rules" / "refs.py"
    rule.write_text(rule.read_text("utf-8") + "\n# changed\n", "utf-8")
    changed = verdicts.code_fingerprint.__wrapped__(package)
    assert changed != base
    (package / "rules" / "new_rule.py").write_text("X = 1\n", "utf-8")
    assert verdicts.code_fingerprint.__wrapped__(package) not in (base, changed)
    (package / "rules" / "notes.txt").write_text("not code\n", "utf-8")
    assert verdicts.code_fingerprint.__wrapped__(package) == verdicts.code_fingerprint.__wrapped__(
        package
    )


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"not marshal at all",
        marshal.dumps((verdicts.VERSION, "not a list")),
        marshal.dumps((verdicts.VERSION, [("code", "error", "file")])),
        marshal.dumps((verdicts.VERSION, [("c", "error", "f", "m", "h", "1", 0, "$")])),
        marshal.dumps((verdicts.VERSION + 1, [])),
    ],
)
def test_a_damaged_or_foreign_verdict_is_a_miss(tmp_path, runs, blob):
    root = _repo(tmp_path)
    cfg = Config.make(root / "data", as_of=AS_OF)
    want = _shown(check.run(cfg).findings)
    (kept,) = _verdict_files(root)
    kept.write_bytes(blob)
    runs.clear()
    assert _shown(check.run(cfg).findings) == want
    assert runs  # the rules ran, and their findings were kept again
    runs.clear()
    assert _shown(check.run(cfg).findings) == want and runs == []


def test_an_empty_verdict_is_kept_for_clean_data(tmp_path, runs):
    """A clean ledger's verdict (no rule finding) is a hit too, not taken for a missing one."""
    root = _repo(tmp_path, cases=())
    cfg = Config.make(root / "data", as_of=AS_OF)
    assert check.run(cfg).findings == []
    runs.clear()
    assert check.run(cfg).findings == [] and runs == []


def test_no_verdict_without_the_cache(tmp_path, runs, monkeypatch):
    root = _repo(tmp_path)
    monkeypatch.setenv("BANGFU_CACHE", "0")
    cfg = Config.make(root / "data", as_of=AS_OF)
    want = _shown(check.run(cfg).findings)
    runs.clear()
    assert _shown(check.run(cfg).findings) == want
    assert runs and _verdict_files(root) == []


def test_only_the_newest_verdicts_are_kept(tmp_path, runs, monkeypatch):
    root = _repo(tmp_path)
    monkeypatch.setattr(verdicts, "KEEP", 3)
    days = [f"2025-01-{d:02d}" for d in range(1, 6)]
    for day in days:
        check.run(Config.make(root / "data", as_of=day))
    assert len(_verdict_files(root)) == 3
    runs.clear()
    for day in days[-3:]:  # the newest three are hits
        check.run(Config.make(root / "data", as_of=day))
    assert runs == []
    check.run(Config.make(root / "data", as_of=days[0]))
    assert runs


@pytest.fixture
def started(monkeypatch) -> list[str]:
    """The names of the children ``forked.start`` was asked for, with two processes."""
    monkeypatch.setenv("BANGFU_WORKERS", "2")
    names: list[str] = []
    real = forked.start

    def start(name, *args, **kw):
        names.append(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(forked, "start", start)
    return names


@pytest.mark.parametrize("release", [True, False])
def test_a_site_with_a_kept_verdict_starts_no_check_and_still_refuses(
    tmp_path, runs, started, release
):
    # errors the rules find only (a record's own error refuses before any rule would run)
    root = _repo(tmp_path, cases=OVERLAID[1:])
    cfg = Config.make(root / "data", as_of=AS_OF)
    whole = check.run(cfg)
    runs.clear()
    started.clear()
    pipe = Pipeline(Config.make(root / "data", as_of=AS_OF))
    with pytest.raises(PublishRefused) as refused:
        pipe.publishable("site", release=release)
    assert runs == [] and "数据检查" not in started
    assert _shown(pipe.result.findings) == _shown(whole.findings)
    assert "date.in-future" in str(refused.value) and PRIVATE not in str(refused.value)


def test_a_site_with_a_kept_verdict_gives_the_same_figures(tmp_path, runs, started):
    root = _repo(tmp_path, cases=())
    cfg = Config.make(root / "data", as_of=AS_OF)
    computed = Pipeline(cfg).publishable("site", release=True)
    assert "数据检查" in started  # the first run checks, in a second process
    runs.clear()
    started.clear()
    kept = Pipeline(Config.make(root / "data", as_of=AS_OF)).publishable("site", release=True)
    assert runs == [] and "数据检查" not in started
    assert computed.figures.tables["organizations"].rows  # figures of something
    assert kept.figures == computed.figures  # every table, cell and status
