"""Where the package's own folders are: ``schemas/``, ``site/`` and ``mkdocs.yml``.

They live at the top of the repository. A wheel carries copies of them inside the package
(``bangfu/_bundled/``, copied by ``setup.py`` when the wheel is built); a source checkout
(an editable install, or ``PYTHONPATH=scripts``) uses the top-level folders themselves, so an
edit to a schema is seen at once and never shadowed by a stale copy."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).resolve().parent
BUNDLED = PACKAGE / "_bundled"  # the copies in a wheel (see setup.py)


def _checkout() -> Path | None:
    """The repository top when this package is ``<top>/scripts/bangfu`` of a checkout."""
    top = PACKAGE.parents[1]
    if PACKAGE.parent.name == "scripts" and (top / "schemas" / "common.schema.json").is_file():
        return top
    return None


def root() -> Path:
    """The folder holding ``schemas/``, ``site/`` and ``mkdocs.yml``: the source checkout's
    top, else the copies bundled in the installed package."""
    return _checkout() or BUNDLED


def schemas() -> Path:
    return root() / "schemas"


def site() -> Path:
    return root() / "site"


def mkdocs_yml() -> Path:
    return root() / "mkdocs.yml"


def tooling(module: str) -> ModuleType:
    """A module of the maintainers' tooling (``bangfu_tools``: the benchmark, the README's
    generated sections). It sits next to this package in a source checkout and is not part of
    the wheel: from an installed package the command is a usage error, never a traceback."""
    top = _checkout()
    if top is not None and str(top / "scripts") not in sys.path:
        sys.path.append(str(top / "scripts"))  # after the rest: never shadows anything
    try:
        return importlib.import_module(f"bangfu_tools.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != "bangfu_tools":
            raise
        from .config import UsageError

        raise UsageError(
            "这个命令是维护者工具（bangfu_tools），只能在源代码检出中运行"
            "（PYTHONPATH=scripts 或 pip install -e .），不随安装包提供"
        ) from None
