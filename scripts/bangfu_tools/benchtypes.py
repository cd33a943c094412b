"""What the bench modules share (``bench``, ``benchsteps``, ``benchimpl``, ``benchreport``,
``bench_merge``): the constants, a run's options, each measured step and the report, filling a
step from a measurement, the edits a step makes to corpus files, and text widths for tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SIZES = (20_000, 200_000, 500_000)
QUICK_SIZES = (2_000,)
AS_OF = "2026-06-30"
MARKER = ".bangfu-bench.json"
EDIT = "\n# 基准测试改动\n"
GENERATOR = 2  # bumped when synth/demo output changes: older corpora are regenerated
FULL_CHECKS = ("check-nocache", "check-cold", "check-warm")


@dataclass
class Step:
    size: int
    name: str
    label: str
    records: int
    wall: float | None = None
    maxrss_mb: float | None = None
    cpu: float | None = None
    status: str = "ok"
    note: str = ""
    extrapolated: bool = False
    impl: str = ""  # "" today's code; benchimpl.BASELINE for the code at --baseline-ref
    peak_mb: float | None = None  # peak of the whole process tree (PSS), sampled (benchimpl)
    rss_sum_mb: float | None = None  # peak of its resident sizes summed: shared pages repeated
    load: float | None = None  # 1-minute load average when the step started
    runs: list | None = None  # every repetition's seconds (or status), with --repeat

    @property
    def rate(self) -> float | None:
        if not self.wall or self.status != "ok":
            return None
        return self.records / self.wall


@dataclass
class BenchOptions:
    sizes: tuple[int, ...]
    out: Path
    seed: int = 1
    sample: int = 300
    quick: bool = False
    generate_only: bool = False
    timeout: float = 3600.0
    workers: int | None = None
    steps: tuple[str, ...] | None = None  # benchsteps.parse_steps; None = all
    step_timeouts: dict[str, float] = field(default_factory=dict)
    baseline_ref: str | None = None
    repeat: int = 1  # each bangfu step, interleaved; the fastest is kept
    places: tuple[int, int, int] | None = None  # a synthetic province of this shape (synth)


@dataclass
class Report:
    machine: dict
    options: dict
    generation: list[dict] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


def fill_step(step: Step, m: dict, ok_codes=(0,)) -> Step:
    step.wall = m.get("wall")
    step.maxrss_mb = round(m.get("maxrss_kb", 0) / 1024, 1)
    step.cpu = m.get("cpu")
    rc = m.get("rc")
    if rc == "timeout":
        step.status = "超时"
    elif rc not in ok_codes:
        step.status = f"失败（退出码 {rc}）"
        lines = str(m.get("stderr") or "").strip().splitlines()
        step.note = lines[-1][:120] if lines else ""
    return step


def edit_files(paths: list[str], mark: str = EDIT) -> dict[str, bytes]:
    saved = {}
    for p in paths:
        raw = Path(p).read_bytes()
        saved[p] = raw
        Path(p).write_bytes(raw + mark.encode("utf-8"))
    return saved


def restore_files(saved: dict[str, bytes]) -> None:
    for p, raw in saved.items():
        Path(p).write_bytes(raw)


def width(text: str) -> int:
    """Columns a terminal gives ``text`` (CJK characters take two)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))
