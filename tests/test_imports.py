"""The package's shape: no import cycles between its modules (imports inside functions and under
``if TYPE_CHECKING:`` count too), and no module longer than 400 lines."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp
import pytest

import bangfu

from .conftest import ROOT

PACKAGE = ROOT / "scripts" / "bangfu"
MAX_LINES = 400

# the code registry: one entry per finding code, long by nature
LONG_BY_NATURE = {"codes.py"}
# being split by other branches of issue 14 (sheets/, bench moved out of the package); the
# coordinator empties these lists once those branches are merged
LONG_UNTIL_SPLIT: set[str] = set()
CYCLES_UNTIL_SPLIT: list[set[str]] = []


def cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected components of more than one module: each is one or more
    cycles."""
    out: list[set[str]] = []
    seen: set[str] = set()
    for module in sorted(graph.modules):
        if module in seen:
            continue
        component = ({module} | graph.find_upstream_modules(module)) & (
            {module} | graph.find_downstream_modules(module)
        )
        seen |= component
        if len(component) > 1:
            out.append(component)
    return out


def describe(graph: grimp.ImportGraph, component: set[str]) -> str:
    lines = [" ↔ ".join(sorted(component))]
    for importer in sorted(component):
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & component):
            for d in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"    {importer}:{d['line_number']}  {d['line_contents']}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    assert Path(bangfu.__file__).resolve().parent == PACKAGE, "bangfu is imported from elsewhere"
    # the package and the maintainers' tooling next to it (which imports the package)
    g = grimp.build_graph("bangfu", "bangfu_tools", cache_dir=None)
    assert len(g.modules) > 100 and "bangfu_tools.bench" in g.modules
    return g


def test_no_import_cycles(graph):
    found = cycles(graph)
    new = [c for c in found if not any(c <= allowed for allowed in CYCLES_UNTIL_SPLIT)]
    assert not new, "import cycles:\n" + "\n".join(describe(graph, c) for c in new)
    gone = [a for a in CYCLES_UNTIL_SPLIT if not any(c <= a for c in found)]
    assert not gone, f"no longer cycles, remove them from CYCLES_UNTIL_SPLIT: {gone}"


def test_the_cycle_finder_finds_cycles_through_function_level_imports(tmp_path):
    pkg = tmp_path / "cyc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", "utf-8")
    (pkg / "a.py").write_text("from .b import x\n", "utf-8")
    (pkg / "b.py").write_text("x = 1\n\n\ndef f():\n    from .c import y\n", "utf-8")
    (pkg / "c.py").write_text("from . import a\ny = 2\n", "utf-8")
    (pkg / "d.py").write_text("from . import a\n", "utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        g = grimp.build_graph("cyc", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert cycles(g) == [{"cyc.a", "cyc.b", "cyc.c"}]
    assert "cyc.b:5  from .c import y" in describe(g, {"cyc.a", "cyc.b", "cyc.c"})


def test_no_module_over_400_lines():
    sizes = {
        p.relative_to(PACKAGE).as_posix(): len(p.read_text("utf-8").splitlines())
        for p in sorted(PACKAGE.rglob("*.py"))
    }
    # the maintainers' tooling next to the package counts too
    sizes |= {
        f"../bangfu_tools/{p.name}": len(p.read_text("utf-8").splitlines())
        for p in sorted((PACKAGE.parent / "bangfu_tools").glob("*.py"))
    }
    assert len(sizes) > 100
    long = {
        name: n
        for name, n in sizes.items()
        if n > MAX_LINES and name not in LONG_BY_NATURE | LONG_UNTIL_SPLIT
    }
    assert not long, f"modules over {MAX_LINES} lines (split them): {long}"
    done = sorted(n for n in LONG_UNTIL_SPLIT if sizes.get(n, 0) <= MAX_LINES)
    assert not done, f"split (or gone): remove them from LONG_UNTIL_SPLIT: {done}"


def test_tests_import_no_test_module_and_no_private_name():
    """Shared test helpers live in conftest.py or a helper module, never in a test module; a
    test reaches the package through its public names only."""
    bad = []
    for py in sorted((ROOT / "tests").glob("*.py")):
        tree = ast.parse(py.read_text("utf-8"))
        bad += [f"{py.name}: {name}" for name in _private_attributes_of_our_modules(tree)]
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                if isinstance(node, ast.Import):
                    bad += [f"{py.name}: import {a.name}" for a in node.names if ".test_" in a.name]
                continue
            module = node.module.split(".")[-1]
            if module.startswith("test_"):
                bad.append(f"{py.name}: from {node.module} import …")
            ours = node.level > 0 or node.module.split(".")[0] in ("bangfu", "bangfu_tools")
            private = [a.name for a in node.names if a.name.startswith("_")]
            if ours and private and not (node.level > 0 and module == "conftest"):
                bad.append(f"{py.name}: from {node.module} import {', '.join(private)}")
    assert not bad, "\n".join(bad)


def _private_attributes_of_our_modules(tree: ast.Module) -> list[str]:
    """``m._name`` where ``m`` is a name this file imported from the package (``from bangfu
    import check``, ``from bangfu.privacy import seal as seal_mod``, ``import bangfu.x as m``)."""
    ours: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in ("bangfu", "bangfu_tools"):
                ours |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            ours |= {a.asname for a in node.names if a.asname and a.name.split(".")[0] == "bangfu"}
    return [
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ours
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]


def test_a_private_attribute_of_our_module_is_seen():
    tree = ast.parse(
        "from bangfu import check\nfrom bangfu.privacy import seal as s\nimport os\n"
        "check._wanted(1)\ns._all_public\nos._exit\ncheck.__name__\ncheck.wanted\n"
    )
    assert sorted(_private_attributes_of_our_modules(tree)) == ["check._wanted", "s._all_public"]
