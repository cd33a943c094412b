"""The runtime package stands on its own: a wheel carries ``schemas/``, ``site/`` and
``mkdocs.yml`` and checks data without the checkout; the maintainers' tooling
(``bangfu_tools``) is not in it and the runtime never imports it; the declared dependencies are
exactly what the runtime imports; an exported package validates itself before it is published."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib

import pytest

from bangfu import resources
from bangfu.codes import WRITE_INVALID_PACKAGE
from bangfu.config import Config
from bangfu.pipeline import Pipeline
from bangfu.publish import extracts, package_work
from bangfu.writes import WriteError

from .conftest import BASE, ROOT, make_case

AS_OF = "2026-06-30"
# distributions the runtime runs rather than imports: MkDocs and what its configuration names
RUN_BY_MKDOCS = {"mkdocs-material", "pymdown-extensions"}  # mkdocs: also imported (render_hook)
MODULE_OF = {"pyyaml": "yaml", "ruamel.yaml": "ruamel", "jsonschema-rs": "jsonschema_rs"}


def _run(cmd: list[str], cwd, pythonpath) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


# An installed package sees nothing of a checkout: an editable install (a .pth in
# site-packages) puts some checkout's scripts/ on the path, with the tooling; drop every entry
# that holds bangfu_tools, so the wheel's copy in ``lib`` is all there is.
_ONLY_INSTALLED = (
    "import os, runpy, sys; "
    "sys.path[:] = [p for p in sys.path if not os.path.isdir(os.path.join(p, 'bangfu_tools'))]; "
    "sys.argv = ['bangfu', *sys.argv[1:]]; runpy.run_module('bangfu', run_name='__main__')"
)


def _bangfu_installed(args: list[str], cwd, lib) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-c", _ONLY_INSTALLED, *args], cwd, lib)


def test_built_package_carries_its_folders_and_checks_without_the_checkout(tmp_path):
    src, lib = tmp_path / "src", tmp_path / "lib"
    # a copy of what the build reads (setuptools writes its egg-info next to the package)
    for name in ("schemas", "site", "scripts/bangfu", "scripts/bangfu_tools"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "README.md", "mkdocs.yml"):
        shutil.copy2(ROOT / name, src / name)
    proc = _run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(lib)], src, "")
    assert proc.returncode == 0, proc.stderr
    bundled = lib / "bangfu" / "_bundled"
    for rel in ("schemas/common.schema.json", "site/index.md", "mkdocs.yml"):
        assert (bundled / rel).read_bytes() == (ROOT / rel).read_bytes(), rel
    assert not (lib / "bangfu_tools").exists()  # tooling stays in the checkout

    work = tmp_path / "work"
    shutil.copytree(BASE, work / "data")  # no schemas/ next to it: the bundled ones are used
    where = _run(
        [sys.executable, "-c", "import bangfu.resources as r; print(r.root(), r.schemas())"],
        work,
        lib,
    )
    assert where.stdout.split() == [str(bundled.resolve()), str(bundled.resolve() / "schemas")]
    check = _bangfu_installed(["check", "--as-of", AS_OF], work, lib)
    assert check.returncode == 0, check.stdout + check.stderr
    bench = _bangfu_installed(["bench", "--show", "x.json"], work, lib)
    assert bench.returncode == 2 and "维护者工具" in bench.stderr
    assert "Traceback" not in bench.stderr


def test_checkout_reads_the_top_level_folders():
    assert resources.root() == ROOT
    assert resources.schemas() == ROOT / "schemas"
    assert resources.mkdocs_yml() == ROOT / "mkdocs.yml"


def _runtime_imports() -> dict[str, set[str]]:
    """Top-level module → files of the runtime package that import it."""
    out: dict[str, set[str]] = {}
    for py in (ROOT / "scripts" / "bangfu").rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for n in names:
                out.setdefault(n.split(".")[0], set()).add(py.name)
    return out


def test_runtime_never_imports_the_tooling():
    assert "bangfu_tools" not in _runtime_imports()


def test_dependencies_are_what_the_runtime_imports():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    declared = {d.split("==")[0].lower() for d in meta["dependencies"]}
    modules = {MODULE_OF.get(d, d.replace("-", "_")) for d in declared - RUN_BY_MKDOCS}
    imported = set(_runtime_imports()) - set(sys.stdlib_module_names) - {"bangfu"}
    assert modules - imported == set(), "declared but never imported by the runtime"
    assert imported - modules == set(), "imported by the runtime but not declared"
    conf = (ROOT / "mkdocs.yml").read_text("utf-8")
    assert "material" in conf and "pymdownx." in conf  # what RUN_BY_MKDOCS stands for


@pytest.fixture()
def agg(tmp_path):
    root = make_case(tmp_path, None)
    cfg = Config.make(root / "data", root / "schemas", AS_OF)
    return Pipeline(cfg).aggregate(cfg.as_of)


def test_export_validates_its_package_and_replaces_nothing_when_invalid(agg, tmp_path, monkeypatch):
    out = tmp_path / "public" / "data"
    extracts.export(agg, out)  # valid: written
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    descriptor = json.loads((out / "datapackage.json").read_text("utf-8"))
    table = descriptor["resources"][0]["name"]
    real = package_work.package_descriptor

    def broken(*args, **kw):  # a bangfu bug: a text column declared as a number
        d = real(*args, **kw)
        for res in d["resources"]:
            if res["name"] == table:
                text = next(f for f in res["schema"]["fields"] if f["type"] == "string")
                text["type"] = "number"
        return d

    monkeypatch.setattr(package_work, "package_descriptor", broken)
    with pytest.raises(WriteError) as exc:
        extracts.export(agg, out)
    findings = exc.value.findings
    assert findings and {f.code for f in findings} == {WRITE_INVALID_PACKAGE.code}
    assert any(table in f.file for f in findings), [f.file for f in findings]
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no leftovers
