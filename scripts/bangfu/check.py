"""The checker: load → schema → model → rules, collected into one sorted list of findings."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from . import model as model_mod
from . import rules, schema, verdicts
from .config import Config, UsageError
from .findings import Finding
from .load import Tree, load_tree
from .record import Record, locate, under
from .redact import redact
from .rules.base import Context


class Result:
    """Findings, the records read, and how many files the findings cover. After a check of a
    few files only those were read; ``records`` then reads the rest on first use."""

    __slots__ = ("findings", "_records", "files_checked", "_rest")

    def __init__(
        self,
        findings: list[Finding],
        records: list[Record],
        files_checked: int,
        rest: Callable[[], list[Record]] | None = None,
    ):
        self.findings = findings
        self._records = records
        self.files_checked = files_checked
        self._rest = rest

    @property
    def records(self) -> list[Record]:
        if self._rest is not None:
            self._records, self._rest = self._rest(), None
        return self._records

    @records.setter
    def records(self, value: list[Record]) -> None:
        self._records, self._rest = value, None

    @property
    def deferred(self) -> bool:
        """Whether the records outside the checked files are still unread (a check of a few
        files that took the reference index)."""
        return self._rest is not None

    def __repr__(self) -> str:
        return f"Result({len(self.findings)} findings, {self.files_checked} files)"


def load_checked(cfg: Config) -> Tree:
    """Every record under the data folder (parallel, cached), each carrying its own findings:
    reading, parsing and the schema check. The load stage of ``pipeline.Pipeline``."""
    tree = load_tree(cfg.data_root, cfg.schemas_dir)
    for rec, schema_findings in zip(tree.records, tree.schema_findings, strict=True):
        rec.findings.extend(schema_findings)
    return tree


def run(
    cfg: Config,
    only: Iterable[str | Path] | None = None,
    *,
    loaded: Callable[[], Tree] | None = None,
    modelled: Callable[[], model_mod.Model] | None = None,
) -> Result:
    """Check the whole data folder; with ``only``, report findings for those files only
    (references are still resolved against everything).

    With ``only`` and a reference index from an earlier full check, just those files, the
    reference records and the files they touch are read (see ``incremental``); the findings
    are the same as a full check's for those files.

    ``loaded`` and ``modelled`` give the loaded tree (``load_checked``'s result) and the model
    of its records when the caller holds them or will need them again (``pipeline``); by
    default they are made here."""
    load = loaded or (lambda: load_checked(cfg))
    if only is not None:
        only = list(only)
        paths = wanted(cfg, only)
        from .incremental import run_few

        quick = run_few(cfg, paths)
        if quick is not None:
            findings, few, files = quick
            findings = redact(findings, few, schema.bundled(cfg.schemas_dir))
            return Result(findings, [], files, rest=lambda: load().records)
    tree = load()
    records = tree.records
    # built when the rules run or the reference index is stale: a kept verdict needs neither
    model_of = functools.cache(lambda: modelled() if modelled is not None else _model(tree))
    index = functools.partial(_write_index, cfg, tree, model_of)
    findings = _own_findings(records)
    ruled = verdicts.cached(cfg, tree)
    if ruled is None:  # the reference index is written beside the rules' second half
        ruled = rules.run_all(model_of(), _context(cfg), beside=index)
        verdicts.keep(cfg, tree, ruled)
    else:
        index()
    findings.extend(ruled)
    files = len(records)
    if only is not None:  # paths: what ``only`` names, resolved above
        findings = [f for f in findings if under(f.file, paths)]
        files = sum(1 for r in records if under(r.file, paths))
    return _result(cfg, findings, records, files)


# A whole-folder check in two parts two processes run at once (``Pipeline.publishable``): its
# result is ``run``'s.


def run_first(cfg: Config, tree: Tree, m: model_mod.Model) -> tuple[list[Finding], list]:
    """The reference index written (when stale); the records' own findings and those of the
    rules of ``rules.FIRST`` (a list per rule)."""
    _write_index(cfg, tree, lambda: m)
    return _own_findings(tree.records), rules.run(rules.FIRST, m, _context(cfg))


def run_last(cfg: Config, m: model_mod.Model) -> list[list[Finding]]:
    """The findings of the rules of ``rules.LAST`` (a list per rule)."""
    return rules.run(rules.LAST, m, _context(cfg))


def joined(cfg: Config, tree: Tree, first: tuple[list[Finding], list], last: list) -> Result:
    """The result of a whole-folder check from ``run_first``'s and ``run_last``'s; the rules'
    findings are kept for the same inputs (``verdicts``)."""
    own, found = first
    ruled = rules.in_order(found, last)
    verdicts.keep(cfg, tree, ruled)
    return _result(cfg, own + ruled, tree.records, len(tree.records))


def kept(cfg: Config, tree: Tree, m: model_mod.Model) -> Result | None:
    """The result of a whole-folder check whose rules' findings were kept for exactly these
    inputs (``verdicts.cached``; the records' own findings are theirs, as in ``run_first``);
    None when there are none: the rules must run."""
    ruled = verdicts.cached(cfg, tree)
    if ruled is None:
        return None
    _write_index(cfg, tree, lambda: m)
    return _result(cfg, _own_findings(tree.records) + ruled, tree.records, len(tree.records))


def _model(tree: Tree) -> model_mod.Model:
    """The model of the tree's records, with the parse cache's columns they were loaded with
    (the rules read the reports' entries from there: ``facts.contact_days``)."""
    m = model_mod.build(tree.records)
    m.columns = tree.columns
    return m


def _own_findings(records: list[Record]) -> list[Finding]:
    """The records' own findings (reading, parsing, schema), in the records' order."""
    return [f for rec in records for f in rec.findings]


def _context(cfg: Config) -> Context:
    return Context(as_of=cfg.as_of, schemas_dir=cfg.schemas_dir)


def _result(cfg: Config, findings: list[Finding], records: list[Record], files: int) -> Result:
    findings.sort(key=Finding.sort_key)
    return Result(redact(findings, records, schema.bundled(cfg.schemas_dir)), records, files)


def _write_index(cfg: Config, tree: Tree, model: Callable[[], model_mod.Model]) -> None:
    """The reference index and the names store a check of a few files reads, when stale
    (``model()`` gives the model of the tree's records, for the names store)."""
    from .cache import enabled, usable
    from .privacy import known
    from .refindex import open_index, write_index

    if not enabled() or not usable(cfg.data_root):
        return  # no index is kept
    index = open_index(cfg.data_root, cfg.schemas_dir)
    # folder stamps left unset because the folder had just changed (racy) are set as soon as
    # a later full check sees them settled; until then few-file checks re-read those folders
    if tree.changed or index is None or index.dirs != tree.dirs or not known.present(index.path):
        model().unpack()  # both read every household, plan and report
        path = write_index(cfg.data_root, cfg.schemas_dir, tree.records, tree.stamps, tree.dirs)
        if path is not None:
            known.write(path, model(), cfg.schemas_dir, tree.stamps)


def wanted(cfg: Config, only) -> list[str]:
    """The data-relative paths (files or folders) that ``only`` names; a path that does not
    exist is a usage error."""
    out = []
    for p in only:
        path = Path(p)
        if not os.path.lexists(path):
            raise UsageError(f"路径 {p} 不存在")
        # a symbolic link is named as itself (and refused when read), never followed
        file, rel = locate(path, cfg.data_root)
        if rel is None:
            raise UsageError(f"路径 {p} 不在数据文件夹 {cfg.data_root} 内")
        out.append(file)
    return out
