"""``bangfu bench`` against a baseline: step choice and time limits, one parse cache per
implementation, the semantic edits of the rebuild step, the comparison table, and a real run
of today's code next to the code at HEAD on a tiny corpus. Nothing here asserts a speed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bangfu.cache import DIRNAME
from bangfu.config import UsageError
from bangfu_tools.benchimpl import BASELINE, Caches, Impl, edit_values, measure
from bangfu_tools.benchreport import summary, targets
from bangfu_tools.benchsteps import ALIASES, STEPS, comparison, fastest, parse_steps, parse_timeouts
from bangfu_tools.benchtypes import Report, Step, restore_files

from .conftest import ROOT, bangfu


def test_steps_and_time_limits_are_parsed():
    assert parse_steps(None) == ALIASES["all"]
    assert parse_steps("site,check-cold") == ("check-cold", "site")  # running order
    assert parse_steps("incr,tools") == ("incr-1", "incr-100", "tools")
    assert parse_steps("check") == STEPS[:5]
    with pytest.raises(UsageError):
        parse_steps("chek")
    with pytest.raises(UsageError):
        parse_steps(",")
    assert parse_timeouts("site=1800,incr=5") == {"site": 1800.0, "incr-1": 5.0, "incr-100": 5.0}
    assert parse_timeouts(None) == {}
    for bad in ("site", "site=0", "site=x", "=3", "nope=3"):
        with pytest.raises(UsageError):
            parse_timeouts(bad)


def test_each_implementation_keeps_its_own_cache(tmp_path):
    ours = Impl("", tmp_path, "")
    theirs = Impl(BASELINE, tmp_path, "", "0" * 40)
    caches = Caches(tmp_path, [ours, theirs])
    live = tmp_path / DIRNAME
    with caches.use(ours):
        (live / "parse.marshal").write_text("ours")
    with caches.use(theirs):
        assert live.is_dir() and not any(live.iterdir())
        (live / "parse.marshal").write_text("theirs")
    with caches.use(ours):
        assert (live / "parse.marshal").read_text() == "ours"
    with caches.use(ours, fresh=True):
        assert not any(live.iterdir())
    with caches.use(theirs):
        assert (live / "parse.marshal").read_text() == "theirs"
    caches.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == [DIRNAME]


def test_rebuild_edits_change_values_and_are_restored(tmp_path):
    household = tmp_path / "h.yaml"
    report = tmp_path / "r.yaml"
    other = tmp_path / "o.yaml"
    household.write_text("id: h-1\naddress: 某村 1 号\nsynthetic: true\n", "utf-8")
    report.write_text("id: 2025-01\nentries:\n  - kind: 走访\n    content: 了解情况\n", "utf-8")
    other.write_text("id: x\naddress: '01'\n", "utf-8")
    before = {p: p.read_bytes() for p in (household, report, other)}
    saved = edit_values([str(household), str(report), str(other)])
    assert "address: 某村 1 号（基准测试改动）\n" in household.read_text("utf-8")
    assert "    content: 了解情况（基准测试改动）\n" in report.read_text("utf-8")
    assert (
        other.read_text("utf-8") == "id: x\naddress: '01'\n\n# 基准测试改动\n"
    )  # quoted: a comment
    restore_files(saved)
    assert {p: p.read_bytes() for p in before} == before
    # a repetition marks differently, so a cache of the first edit does not answer the second
    saved = edit_values([str(household), str(other)], 2)
    assert "address: 某村 1 号（基准测试改动）2\n" in household.read_text("utf-8")
    assert other.read_text("utf-8").endswith("\n# 基准测试改动 2\n")
    restore_files(saved)
    assert {p: p.read_bytes() for p in before} == before


def test_repetitions_keep_the_fastest_unless_one_did_not_finish():
    def run(wall, status="ok", mem=10.0):
        return Step(1, "check-warm", "x", 1, wall=wall, maxrss_mb=mem, status=status, peak_mb=mem)

    best = fastest([run(3.0), run(2.0, mem=50.0), run(4.0)])
    assert best.wall == 2.0 and best.runs == [3.0, 2.0, 4.0] and best.peak_mb == 50.0
    assert "3 次取最快" in best.note
    worst = fastest([run(3.0), run(None, "超时")])
    assert worst.status == "超时" and worst.runs == [3.0, "超时"]
    single = fastest([run(1.0)])
    assert single.runs is None and single.note == ""


def test_comparison_and_targets_keep_the_two_sides_apart():
    def step(name, wall, impl="", status="ok", peak=None):
        st = Step(500_000, name, name, 1_200_000, wall=wall, maxrss_mb=100.0, status=status)
        st.impl, st.peak_mb, st.load = impl, peak, 1.5
        return st

    steps = [
        step("check-nocache", 40.0, peak=1500.0),
        step("check-nocache", 400.0, BASELINE, peak=3000.0),
        step("site", 100.0),
        step("site", None, BASELINE, status="超时"),
        step("incr-1", 0.5),
    ]
    report = Report({"cores": 2, "memory_gb": 8, "python": "3"}, {}, steps=steps)
    rows = {r["step"]: r for r in comparison(report)}
    assert set(rows) == {"check-nocache", "site"}  # incr-1 has no baseline side
    assert rows["check-nocache"]["ratio"] == 10.0
    assert rows["check-nocache"]["baseline_peak_mb"] == 3000.0
    assert rows["site"]["ratio"] is None and rows["site"]["baseline_status"] == "超时"
    verdicts = {name: (measured, v) for name, measured, v in targets(report)}
    # the baseline's 400 s is not judged against the targets; today's 40 s is
    full = [m for k, (m, _v) in verdicts.items() if k.startswith("500,000 户全量检查")]
    assert full == ["40.0 秒"]
    assert verdicts["生成网站（含开放数据）≤ 3 分钟"] == ("100.0 秒", "达到")
    text = summary(report)
    assert "与基线对比" in text and "10.00×" in text and "超时" in text


@pytest.mark.slow
def test_bench_against_a_baseline_ref(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a Git checkout: no ref to compare with")
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    out = tmp_path / "bench"
    proc = bangfu(
        "bench",
        "--sizes",
        "25",
        "--out",
        str(out),
        "--data",
        str(ROOT / "data"),
        "--baseline-ref",
        "HEAD",
        "--steps",
        "check-nocache,check-cold,check-warm,incr-1",
        "--step-timeout",
        "check-nocache=0.01",
        "--repeat",
        "2",
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "与基线对比" in proc.stdout and head[:10] in proc.stdout
    result = json.loads((out / "latest.json").read_text("utf-8"))
    base = result["options"]["baseline"]
    assert base["sha"] == head
    assert base["module"] == str(out / f"baseline-{head[:12]}" / "scripts/bangfu/__init__.py")
    if (ROOT / "node_modules").is_dir():  # both sides build the web editor into the site
        linked = out / f"baseline-{head[:12]}" / "node_modules"
        assert linked.is_symlink() and linked.resolve() == (ROOT / "node_modules").resolve()
    assert result["options"]["module"] == str(ROOT / "scripts/bangfu/__init__.py")
    got = {(s["name"], s["impl"]): s for s in result["steps"]}
    for name in ("check-cold", "check-warm", "incr-1"):
        for impl in ("", BASELINE):
            assert got[name, impl]["status"] == "ok", got[name, impl]
            assert got[name, impl]["maxrss_mb"] > 0 and got[name, impl]["load"] is not None
            runs = got[name, impl]["runs"]
            assert len(runs) == 2 and got[name, impl]["wall"] == pytest.approx(min(runs), abs=1e-3)
    # a step past its limit is recorded as such on both sides, not waited for
    assert got["check-nocache", ""]["status"] == got["check-nocache", BASELINE]["status"] == "超时"
    assert not any(s["name"] in ("site", "export", "check-jsonschema") for s in result["steps"])
    rows = {r["step"]: r for r in result["comparison"]}
    assert set(rows) == {"check-nocache", "check-cold", "check-warm", "incr-1"}
    for name in ("check-cold", "check-warm", "incr-1"):
        r = rows[name]
        assert r["ratio"] == pytest.approx(r["baseline_seconds"] / r["seconds"], rel=1e-2)
    assert rows["check-nocache"]["ratio"] is None
    corpus = out / "corpus-25"
    assert (corpus / DIRNAME).is_dir()  # today's cache is left in place, the other removed
    assert not list(corpus.glob(".bench-cache-*"))


def test_generated_names_stay_out_of_the_public_wording():
    """At province scale Faker draws 和健, who is inside 组织义诊和健康随访: the corpus would fail
    its own privacy check, and the site step could not be measured."""
    from bangfu.demo import PUBLIC_WORDING, person_name

    class Fake:
        drawn = iter(["和健", "王芳"])

        def name(self):
            return next(self.drawn)

    assert any("和健" in text for text in PUBLIC_WORDING)
    assert person_name(Fake()) == "王芳"


def test_a_step_that_ends_after_its_limit_is_over_it():
    """The wrapper polls every 0.25 s: a step that ended within the first poll but after its
    limit was recorded as finished (seen once under load with a 0.01 s limit)."""
    late = [sys.executable, "-c", "import time; time.sleep(0.1)"]
    assert measure(late, 0.01, {})["rc"] == "timeout"
    done = measure(late, 30, {})
    assert done["rc"] == 0 and 0.1 <= done["wall"] < 30
