"""A whole-folder check in two parts (``check.run_first`` in a child, ``check.run_last`` in
the command's process, ``check.joined``): the same findings, in the same order, with the
same masking, as ``check.run``; and ``bangfu site`` runs its part before the records let
go of their data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bangfu import check, model, rules
from bangfu.config import Config, PublishRefused
from bangfu.pipeline import Pipeline

from .conftest import make_case

CASES = Path(__file__).parent / "cases" / "invalid"
AS_OF = "2026-01-31"
# findings of each kind: the records' own (schema), the first half's rules (dates), the
# second half's (privacy, identity); the privacy finding's message is masked
OVERLAID = ("enum-value", "report-outside-plan", "pii-in-report", "duplicate-village-id")


@pytest.fixture
def two_processes(monkeypatch):
    """The suite runs the commands with one process each (conftest); these tests use two."""
    monkeypatch.setenv("BANGFU_WORKERS", "2")


def _data(tmp: Path, cases=OVERLAID) -> Path:
    root = make_case(tmp, None)
    for name in cases:
        shutil.copytree(CASES / name / "data", root / "data", dirs_exist_ok=True)
    return root / "data"


def _shown(findings) -> list[tuple]:
    return [(f.file, f.line, f.column, f.path, f.code, f.severity, f.message) for f in findings]


def test_the_halves_are_in_different_processes_and_cover_every_rule():
    assert set(rules.FIRST) | set(rules.LAST) == set(rules.RULES)
    assert not set(rules.FIRST) & set(rules.LAST) and rules.LAST


def test_two_parts_give_the_findings_of_one_check(tmp_path):
    cfg = Config.make(_data(tmp_path), as_of=AS_OF)
    whole = check.run(cfg)
    codes = {f.code.split(".")[0] for f in whole.findings}
    assert {"schema", "date", "privacy", "id"} <= codes, codes
    tree = check.load_checked(cfg)
    m = model.build(tree.records)
    parts = check.joined(cfg, tree, check.run_first(cfg, tree, m), check.run_last(cfg, m))
    assert _shown(parts.findings) == _shown(whole.findings)
    assert parts.files_checked == whole.files_checked == len(tree.records)
    # the private value the report carries is masked in both
    assert all("500101198506123451" not in f.message for f in parts.findings)


@pytest.mark.parametrize("release", [True, False])
def test_a_refusal_names_every_finding_of_the_check(tmp_path, two_processes, release):
    cfg = Config.make(_data(tmp_path), as_of=AS_OF)
    whole = check.run(cfg)
    pipe = Pipeline(Config.make(cfg.data_root, as_of=AS_OF))
    with pytest.raises(PublishRefused):
        pipe.publishable("site", release=release)
    assert _shown(pipe.result.findings) == _shown(whole.findings)


def test_the_second_half_runs_here_before_the_records_let_go(tmp_path, two_processes, monkeypatch):
    """Only cross-record warnings or none: the site is published; this process ran the
    second half's rules, then released the records."""
    events: list[str] = []
    real_last, real_release = check.run_last, model.Model.release

    def last(*args, **kwargs):
        events.append("last")
        return real_last(*args, **kwargs)

    def release(self):
        events.append("release")
        return real_release(self)

    monkeypatch.setattr(check, "run_last", last)
    monkeypatch.setattr(model.Model, "release", release)
    pipe = Pipeline(Config.make(_data(tmp_path, ()), as_of=AS_OF))
    agg = pipe.publishable("site", release=True)
    assert events == ["last", "release"]
    assert pipe.errors() == [] and agg.tables
    assert _shown(pipe.result.findings) == _shown(check.run(pipe.cfg).findings)
