"""One pipeline for every command: publish modules never check, each stage runs once per
command, and the command — not a publish module — refuses data with errors."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bangfu import aggregate, check, cli, model, releases, rules
from bangfu import config as config_mod
from bangfu.config import Config, PublishRefused
from bangfu.pipeline import Pipeline
from bangfu.publish import release
from bangfu.publish import site as site_mod

from .conftest import ROOT, git, make_case

PACKAGE = ROOT / "scripts" / "bangfu"
AS_OF = "2026-01-31"

# what a publish module must never reach for: the checker and the loader behind it
CHECK_MODULES = {"bangfu.check", "bangfu.incremental", "bangfu.pipeline", "bangfu.load"}
CHECK_NAMES = {
    "run_all",
    "run_first",
    "run_last",
    "load_tree",
    "load_checked",
    "refuse_if_errors",
    "Pipeline",
}


def _imports(path: Path, package: str) -> set[str]:
    """Modules a file imports at run time (``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text("utf-8"))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for n in ast.walk(stmt)
    }
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def _publish_files() -> list[Path]:
    files = sorted((PACKAGE / "publish").glob("*.py"))
    assert len(files) > 10
    return files


@pytest.mark.parametrize("path", _publish_files(), ids=lambda p: p.name)
def test_publish_modules_do_not_import_or_call_the_check(path):
    imported = _imports(path, "bangfu.publish")
    assert not imported & CHECK_MODULES, sorted(imported & CHECK_MODULES)
    tree = ast.parse(path.read_text("utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not names & CHECK_NAMES, sorted(names & CHECK_NAMES)


def test_importing_every_publish_module_loads_no_checker():
    code = (
        "import importlib, pkgutil, sys\n"
        "import bangfu.publish as p\n"
        "for i in pkgutil.iter_modules(p.__path__):\n"
        "    importlib.import_module('bangfu.publish.' + i.name)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('bangfu'))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(proc.stdout.split())
    assert "bangfu.publish.site" in loaded
    assert not loaded & (CHECK_MODULES - {"bangfu.load"}), sorted(loaded & CHECK_MODULES)


def test_public_figures_are_computed_only_in_the_aggregate_stage():
    """``aggregate.compute`` and ``aggregate.status_of`` (the one SQL definition of every
    figure) are called in one place: the pipeline's aggregate stage."""
    callers = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            owner = (
                f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            )
            if name == "status_of" or (name == "compute" and owner == "aggregate"):
                callers.add(path.relative_to(PACKAGE).as_posix())
            if name in ("from_model",) and owner == "Store":
                callers.add(path.relative_to(PACKAGE).as_posix())
    assert callers == {"pipeline.py", "aggregate/__init__.py"}, callers


# ---------------------------------------------------------------- each stage once


@pytest.fixture
def counted(monkeypatch):
    """Count the stages: reading the folder, the rules, the model, each figure, git."""
    calls: Counter = Counter()

    def wrap(owner, name, label):
        real = getattr(owner, name)

        def counting(*args, **kwargs):
            calls[label] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)

    wrap(check, "load_tree", "load")
    ran: Counter = Counter()  # each rule module, however the check splits them
    real_run = rules.run

    def running(which, *args, **kwargs):
        ran.update(which)
        calls["rules"] = 1 if ran == Counter(rules.RULES) else 2
        return real_run(which, *args, **kwargs)

    monkeypatch.setattr(rules, "run", running)
    wrap(model, "build", "model")
    wrap(aggregate, "status_of", "status")
    wrap(aggregate, "compute", "figures")
    wrap(release, "release_of", "git")

    def fake_mkdocs(src: Path, site_dir: Path, epoch: int) -> None:  # MkDocs is not counted
        (site_dir / "search").mkdir(parents=True)
        (site_dir / "search" / "search_index.json").write_text("{}", "utf-8")

    monkeypatch.setattr(site_mod, "mkdocs_build", fake_mkdocs)
    return calls


def _real_data(tmp: Path) -> Path:
    """A copy of the repository's records (enough for every page), outside git."""
    shutil.copytree(ROOT / "data", tmp / "repo" / "data")
    shutil.copytree(ROOT / "schemas", tmp / "repo" / "schemas")
    return tmp / "repo" / "data"


ONCE = {
    "site": {"load", "rules", "model", "figures", "git"},
    "export": {"load", "rules", "model", "figures", "git"},
    "status": {"load", "model", "status"},
    "check": {"load", "rules", "model"},
}


@pytest.mark.parametrize("command", sorted(ONCE))
def test_each_stage_runs_once_per_command(tmp_path, counted, capsys, command, monkeypatch):
    # one process: the counts are kept here (a forked child's calls would not reach them)
    monkeypatch.setenv("BANGFU_WORKERS", "1")
    data = _real_data(tmp_path)
    args = [command, "--data", str(data), "--as-of", AS_OF]
    if command == "site":
        args += ["--out", str(tmp_path / "site"), "--src", str(tmp_path / "src")]
    if command == "export":
        args += ["--out", str(tmp_path / "export")]
    assert cli.main(args) == 0, capsys.readouterr()
    assert dict(counted) == dict.fromkeys(ONCE[command], 1)


@pytest.mark.parametrize("model_first", [False, True])
def test_a_pipeline_keeps_each_stage(tmp_path, counted, model_first):
    pipe = Pipeline(Config.make(make_case(tmp_path, None) / "data", as_of=AS_OF))
    if model_first:  # the check's rules then run over the model already built
        assert pipe.model.by_kind["household"]
    assert pipe.errors() == []
    agg = pipe.aggregate(pipe.cfg.as_of)
    assert agg.model is pipe.model and agg is pipe.aggregate(pipe.cfg.as_of)
    assert agg.tables is agg.tables and agg.status is agg.status
    assert dict(counted) == {"load": 1, "rules": 1, "model": 1, "figures": 1}


def test_statistics_day_defaults_to_the_last_data_change(tmp_path):
    pipe = Pipeline(Config.make(make_case(tmp_path, None) / "data", as_of=AS_OF))
    agg = pipe.aggregate()
    assert agg.as_of.isoformat() == agg.updated[:10] != AS_OF
    assert agg.status.as_of == agg.as_of


# 22:54 UTC on 30 November is 06:54 on 1 December in Beijing
LATE_EVENING_UTC = "2026-11-30T22:54:44+00:00"
BEIJING_DAY = dt.date(2026, 12, 1)


def test_statistics_day_is_the_beijing_day_the_footer_shows(tmp_path):
    root = make_case(tmp_path, None)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "数据", date=LATE_EVENING_UTC)
    agg = Pipeline(Config.make(root / "data", as_of=AS_OF)).aggregate()
    assert dt.datetime.fromisoformat(agg.updated) == dt.datetime.fromisoformat(LATE_EVENING_UTC)
    assert agg.as_of == BEIJING_DAY and agg.status.as_of == BEIJING_DAY
    foot = site_mod.footer(site_mod.context(agg))
    assert foot["as_of"] == "2026-12-01"
    assert foot["updated"] == "2026年12月1日 06:54（北京时间）"
    # a release tagged at that instant is compared on the same day
    assert releases.release_day(LATE_EVENING_UTC) == BEIJING_DAY


def test_statistics_day_from_the_clock_is_the_day_in_beijing(monkeypatch):
    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.fromisoformat(LATE_EVENING_UTC).astimezone(tz)

    monkeypatch.delenv(config_mod.AS_OF_ENV, raising=False)
    monkeypatch.setattr(config_mod, "dt", type("dt", (), {"datetime": Clock}))
    assert config_mod.today() == BEIJING_DAY
    assert config_mod.today("2026-11-30") == dt.date(2026, 11, 30)


# ---------------------------------------------------------------- refusing


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("site", "bangfu site: 数据有错误，不生成网站：\n"),
        (
            "export",
            "bangfu export: 数据中有 1 个错误，修正后才能导出（运行 bangfu check 查看全部）。",
        ),
    ],
)
def test_command_refuses_data_with_errors_and_writes_nothing(tmp_path, capsys, command, message):
    data = make_case(tmp_path, None) / "data"
    (data / "organizations" / "broken.yaml").write_text("id: [unclosed\n", "utf-8")
    out = tmp_path / "out"
    before = sorted(tmp_path.iterdir())
    args = [command, "--data", str(data), "--out", str(out), "--as-of", AS_OF]
    if command == "site":
        args += ["--src", str(tmp_path / "src")]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and "broken.yaml" in err and "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == before  # no output, no sources, no temporary folder
    assert not out.exists() and not (tmp_path / "src").exists()


def test_refusal_names_the_findings_not_private_values(tmp_path):
    data = make_case(tmp_path, None) / "data"
    (data / "organizations" / "broken.yaml").write_text("id: [unclosed\n", "utf-8")
    pipe = Pipeline(Config.make(data, as_of=AS_OF))
    with pytest.raises(PublishRefused) as exc:
        pipe.refuse_if_errors("export")
    first = pipe.errors()[0]
    assert f"[{first.code}]" in str(exc.value) and first.file in str(exc.value)


def test_export_without_check_publishes_without_running_the_rules(tmp_path, counted, capsys):
    data = make_case(tmp_path, None) / "data"
    args = ["export", "--data", str(data), "--out", str(tmp_path / "o"), "--as-of", AS_OF]
    assert cli.main([*args, "--no-check"]) == 0, capsys.readouterr()
    assert counted["rules"] == 0 and counted["load"] == 1 and counted["model"] == 1
