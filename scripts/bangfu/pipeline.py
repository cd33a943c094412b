"""The one pipeline every command uses: load → check → model → aggregate → publish.

``Pipeline(cfg, paths)`` runs each stage on first use and keeps its result, so a command
that needs the findings, the model and the public figures reads the data folder once, runs
the rules once and builds the model once::

    pipe = Pipeline(cfg)
    agg = pipe.publishable("site", as_of)  # every public figure, for pages and extracts;
    # refused on errors (the command decides; publish modules never check)
    status = pipe.aggregate(as_of).status  # figures without a check (``bangfu status``)

Stages:

- ``tree`` / ``records``: every record, each with its own findings (read, parse, schema);
  ``check.load_checked``.
- ``result``: the checker's findings (``check.run``; with ``paths``, findings for those files
  only, and only the files they need are read when the reference index allows). The
  cross-record rules' findings are kept by their inputs and taken while those are unchanged
  (``verdicts``).
- ``model``: ``model.build`` over every record, or, with ``skip_invalid``, over the records
  without findings of their own. The check's rules run over this same model.
- ``aggregate(as_of)``: ``aggregate_stage``, the one place that computes public figures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from . import check as check_mod
from . import model as model_mod
from . import render
from .config import Config, PublishRefused, beijing_time
from .findings import ERROR, Finding
from .load import Tree
from .record import Packed, Record
from .rules.base import date_of

if TYPE_CHECKING:  # the aggregate modules are imported when used: ``bangfu check`` starts fast
    from . import aggregate
    from .aggregate import Table
    from .aggregate.cells import Figures
    from .aggregate.store import ReleaseHook
    from .monitor import Status
    from .publish.release import Release

__all__ = ["Aggregate", "Pipeline", "PublishRefused", "aggregate_stage", "last_update"]


# ---------------------------------------------------------------- aggregate stage


@dataclass(frozen=True, eq=False)
class Aggregate:
    """Every public figure of one model on one statistics day. Each part is computed on first
    use and kept: ``bangfu status`` reads only ``status``, the site reads everything."""

    model: model_mod.Model
    cfg: Config
    day: dt.date | None = None  # the statistics day asked for; None: the data's last update

    @cached_property
    def release(self) -> Release:
        """The last commit touching the data folder ("unknown" outside git)."""
        from .publish.release import release_of

        return release_of(self.cfg.data_root)

    @cached_property
    def updated(self) -> str:
        """ISO date-time of the last data change (see ``last_update``)."""
        return last_update(self.release, self.model.records, self.model.columns)

    @cached_property
    def as_of(self) -> dt.date:
        """The statistics day: the one asked for, else the day of the last data change in
        Beijing, the day the footer's 数据更新于 shows."""
        return self.day or beijing_time(self.updated).date()

    @cached_property
    def synthetic(self) -> bool:
        return any(r.head("synthetic") is True for r in self.model.records)

    @cached_property
    def figures(self) -> aggregate.Result:
        """Every public figure under disclosure control (``bangfu.aggregate.compute``)."""
        from . import aggregate

        return aggregate.compute(self.model, self.cfg.schemas_dir, self.as_of)

    def figures_releasing(
        self,
        release: ReleaseHook,
        supervisor: Callable[[], list[tuple]] | None = None,
    ) -> aggregate.Result:
        """``figures``, calling ``release`` once the aggregate has read the records: it gives
        what lets go of their data (``Model.release``), run beside the database's build.
        What else is read from every record (``updated``, ``synthetic``) is read first.
        ``supervisor``: the supervisor rows, computed by the check's process
        (``aggregate.compute``)."""
        if "figures" not in self.__dict__:
            from . import aggregate

            self.updated, self.as_of, self.synthetic  # noqa: B018 (read while the records are whole)
            self.__dict__["figures"] = aggregate.compute(
                self.model, self.cfg.schemas_dir, self.as_of, release, supervisor
            )
        return self.figures

    @property
    def threshold(self) -> int:
        return self.figures.threshold

    @cached_property
    def status(self) -> Status:
        """The monitoring status; alone (``bangfu status``) without the tables."""
        if "figures" in self.__dict__:
            return self.figures.status
        from .aggregate import status_of

        return status_of(self.model, self.as_of)

    @property
    def figs(self) -> Figures:
        return self.figures.figs

    @property
    def tables(self) -> dict[str, Table]:
        return self.figures.tables


def aggregate_stage(model: model_mod.Model, cfg: Config, as_of: dt.date | None) -> Aggregate:
    """The public figures of ``model`` on ``as_of`` (None: the day of the last data change)."""
    return Aggregate(model, cfg, as_of)


def last_update(release: Release, records: Sequence[Record], columns=None) -> str:
    """ISO date-time of the last commit touching the data folder; outside git, the latest
    date in the records (report submissions, entries, source documents), at midnight UTC:
    a clean record's from its facts, from the parse cache's ``columns`` where it was loaded
    with them (``factcache.Columns.latest_days``)."""
    with contextlib.suppress(ValueError):
        dt.datetime.fromisoformat(release.date)
        return release.date
    from .facts import facts_of, recorded_days  # imported when used (pyarrow): outside git

    cells = [
        r.cell if isinstance(r.parsed, Packed) and r.facts is not None else -1 for r in records
    ]
    days = columns.latest_days([c for c in cells if c >= 0]) if columns is not None else None
    latest = max(days) if days else None
    for rec, cell in zip(records, cells, strict=True):
        if cell >= 0 and days is not None:
            continue  # among the columns' days
        if isinstance(rec.parsed, Packed) and rec.facts is not None:
            cands: list = recorded_days(facts_of(rec))  # as the data's, without decoding it
        else:
            d = rec.data if isinstance(rec.data, dict) else {}
            cands = [d.get("submitted"), d.get("date")]
            cands += [e.get("date") for e in d.get("entries") or [] if isinstance(e, dict)]
        for c in cands:
            x = date_of(c) if isinstance(c, str) else (c if isinstance(c, dt.date) else None)
            if x and (latest is None or x > latest):
                latest = x
    latest = latest or dt.date(1970, 1, 1)
    return f"{latest.isoformat()}T00:00:00+00:00"


# ---------------------------------------------------------------- refusing to publish


def _site_refusal(result: check_mod.Result) -> str:
    return (
        "数据有错误，不生成网站：\n" + render.text(result.findings, result.files_checked).rstrip()
    )


def _export_refusal(result: check_mod.Result) -> str:
    errors = [f for f in result.findings if f.severity == ERROR]
    first = errors[0]
    return (
        f"数据中有 {len(errors)} 个错误，修正后才能导出（运行 bangfu check 查看全部）。"
        f"第一个：{first.file}:{first.line or 1} [{first.code}] {first.message}"
    )


REFUSALS = {"site": _site_refusal, "export": _export_refusal}


# ---------------------------------------------------------------- the pipeline


class Pipeline:
    """One command's run over one data folder; every stage runs at most once."""

    def __init__(
        self,
        cfg: Config,
        paths: Sequence[str | Path] | None = None,
        *,
        skip_invalid: bool = False,
    ):
        """``paths``: report findings for these files only (None: the whole folder; empty:
        check nothing). ``skip_invalid``: build the model from the records without findings
        of their own — for ``bangfu status``, which reports on the valid records even when
        some are broken, instead of refusing."""
        self.cfg = cfg
        self.paths = list(paths) if paths is not None else None
        self.skip_invalid = skip_invalid
        self._supervisor: list[tuple] | Exception | None = None  # the check's part's (``_take``)
        self._aggregates: dict[dt.date | None, Aggregate] = {}

    @cached_property
    def tree(self) -> Tree:
        return check_mod.load_checked(self.cfg)

    @property
    def records(self) -> list[Record]:
        return self.tree.records

    @cached_property
    def result(self) -> check_mod.Result:
        if self.paths == []:  # nothing to check: no findings, every record read
            return check_mod.Result([], [], 0, rest=lambda: self.records)
        # the rules run over the model of every record: this pipeline's, unless it skips some
        modelled = None if self.skip_invalid else (lambda: self.model)
        return check_mod.run(self.cfg, self.paths, loaded=lambda: self.tree, modelled=modelled)

    @cached_property
    def model(self) -> model_mod.Model:
        if self.skip_invalid:
            m = model_mod.build([r for r in self.records if not r.findings])
        else:
            m = model_mod.build(self.records)
        m.columns = self.tree.columns  # the records' facts as the parse cache's columns
        return m

    def aggregate(self, as_of: dt.date | None = None) -> Aggregate:
        """The public figures on ``as_of`` (None: the day of the last data change)."""
        if as_of not in self._aggregates:
            self._aggregates[as_of] = aggregate_stage(self.model, self.cfg, as_of)
        return self._aggregates[as_of]

    def publishable(
        self, what: str, as_of: dt.date | None = None, *, release: bool = False
    ) -> Aggregate:
        """The public figures on ``as_of`` of data without errors; else ``PublishRefused``
        (``refuse_if_errors``) and nothing is published. ``release``: the households and
        reports let go of their data once the check has ended and the aggregate has read
        them (``Model.release``); for a command that publishes this one aggregate and
        reads no record of those kinds afterwards (``bangfu site``).

        A whole-folder check's rules run in a second process (``forked``; the model is
        built first and shared) while this one computes the figures: each takes a core. The
        data's own errors (a record that cannot be read or fails its schema) refuse before any
        figure is computed; a cross-record error (a dangling reference…) is known only when the
        check ends, and the refusal is the same. Figures that fail on such data are not shown:
        the check's refusal is. With one process (``BANGFU_WORKERS=1``), the check runs first.
        With ``release``, this process must wait for the check before it lets go of the
        records; it runs the rules of the second half (``rules.LAST``) meanwhile, and the
        child the rest (``check.run_first``): the same findings as ``check.run``'s. Where the
        rules' findings were kept for these very inputs (``verdicts``: same records, schemas,
        statistics day and code), they are taken instead: no rule runs and no child starts."""
        from . import forked

        done = self._letting_go if release else None  # once the check has ended
        if self.paths is not None or self.skip_invalid or "result" in self.__dict__:
            self.refuse_if_errors(what)
            return self._computed(as_of, done)
        if any(f.severity == ERROR for rec in self.records for f in rec.findings):
            self.refuse_if_errors(what)  # runs the check here: it refuses
        self.model  # noqa: B018 (built once, here, for both processes)
        kept = check_mod.kept(self.cfg, self.tree, self.model)
        if kept is not None:  # the rules gave their findings for these very inputs before
            self.__dict__["result"] = kept
            self.refuse_if_errors(what)
            return self._computed(as_of, done)
        # with ``release``, this process runs the rules' second half while it would otherwise
        # wait for the child (``_checked_release``), and the child the supervisor rows of the
        # aggregate too (``_check_part``); else the child runs every rule
        day = self.aggregate(as_of).as_of if release else None
        self.model.unpack()  # the rules' data, decoded once for both processes
        job = forked.start("数据检查", self._check_part, not release, day)
        supervisor = self._taken_supervisor if release else None
        if not job.forked:  # the check has run: refuse before any figure
            self._take(job)
            self.refuse_if_errors(what)
            return self._computed(as_of, done, supervisor)
        if release:
            done = functools.partial(self._checked_release, job, what)
        try:
            agg = self._computed(as_of, done, supervisor)
        except Exception:
            self._take(job)  # the data's errors, if any, explain the failure
            self.refuse_if_errors(what)
            raise
        except BaseException:
            job.stop()
            raise
        self._take(job)
        self.refuse_if_errors(what)
        return agg

    def _check_part(
        self, whole: bool, day: dt.date | None
    ) -> tuple[tuple[list[Finding], list], list | None, list | Exception | None]:
        """A whole-folder check's child part: ``check.run_first`` and, if ``whole``,
        ``check.run_last`` (else this process runs it: ``_take``); with ``day``, the
        aggregate's supervisor rows on that day too (``rules.cycle.supervisor_rows``), which
        this process would otherwise compute before it runs the rules of ``run_last``: with
        them here, the two processes' parts take about as long (at 500,000 households, 8 s of
        this process's 37 s moved to the child's 24 s)."""
        from .rules.cycle import supervisor_rows

        first = check_mod.run_first(self.cfg, self.tree, self.model)
        last = check_mod.run_last(self.cfg, self.model) if whole else None
        rows: list | Exception | None = None
        if day is not None:
            try:
                rows = supervisor_rows(self.model, day)
            except Exception as exc:  # raised once the check's findings had their say (a
                rows = exc  # refusal first, as when this process computed them)
        return first, last, rows

    def _letting_go(self) -> Callable[[], None]:
        """What lets go of the bulk records' data (``Model.release``) and of the parse cache's
        columns, for the aggregate to run beside the database's build (``Store.from_model``)."""

        def go() -> None:
            self.model.release()
            self.tree.columns = None

        return go

    def _checked_release(self, job, what: str) -> Callable[[], None]:
        """Take the check's result (its errors refuse here, before the database is built),
        then give what lets go of the bulk records' data (``_letting_go``): freed while the
        child still shared their memory, every page of it would be copied first."""
        self._take(job, here=True)
        self.refuse_if_errors(what)
        return self._letting_go()

    def _take(self, job, *, here: bool = False) -> None:
        """The check's result from the child's part and, where the child did not run them,
        the rules of the second half run here (before ``Model.release``: they read the
        records); ``here``: run them before waiting for the child."""
        if "result" in self.__dict__:
            return
        last = self._last(job) if here else None
        first, theirs, self._supervisor = job.wait()
        if last is None:
            last = theirs if theirs is not None else self._last(job)
        self.__dict__["result"] = check_mod.joined(self.cfg, self.tree, first, last)

    def _last(self, job) -> list:
        try:
            return check_mod.run_last(self.cfg, self.model)
        except BaseException:
            job.stop()
            raise

    def _computed(
        self,
        as_of: dt.date | None,
        release: ReleaseHook | None,
        supervisor: Callable[[], list[tuple]] | None = None,
    ) -> Aggregate:
        agg = self.aggregate(as_of)
        if release is None:
            agg.figures  # noqa: B018 (every figure, computed now)
        else:
            agg.figures_releasing(release, supervisor)
        return agg

    def _taken_supervisor(self) -> list[tuple]:
        """The supervisor rows the check's part computed (``_check_part``), once taken; handed
        on, not kept (at 500,000 households, a million and a half rows), or the error that
        computing them raised."""
        rows, self._supervisor = self._supervisor, None
        if isinstance(rows, Exception):
            raise rows
        if rows is None:
            raise RuntimeError("bangfu：检查进程没有交回监督行（_check_part 未收到统计日期）")
        return rows

    def errors(self) -> list[Finding]:
        return [f for f in self.result.findings if f.severity == ERROR]

    def refuse_if_errors(self, what: str) -> None:
        """Raise ``PublishRefused`` (exit code 1, nothing written) when the check found
        errors; ``what`` is the command refusing (``site``, ``export``)."""
        if self.errors():
            raise PublishRefused(REFUSALS[what](self.result))
