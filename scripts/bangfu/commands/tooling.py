"""The maintainers' tooling (``scripts/bangfu_tools``), loaded on demand by the commands that
use it (``bangfu bench``, ``bangfu docs``)."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from ..config import UsageError
from ..resources import checkout


def tooling(module: str) -> ModuleType:
    """A module of the maintainers' tooling (``bangfu_tools``: the benchmark, the README's
    generated sections). It sits next to this package in a source checkout and is not part of
    the wheel: from an installed package the command is a usage error, never a traceback."""
    top = checkout()
    if top is not None and str(top / "scripts") not in sys.path:
        sys.path.append(str(top / "scripts"))  # after the rest: never shadows anything
    try:
        return importlib.import_module(f"bangfu_tools.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != "bangfu_tools":
            raise
        raise UsageError(
            "这个命令是维护者工具（bangfu_tools），只能在源代码检出中运行"
            "（PYTHONPATH=scripts 或 pip install -e .），不随安装包提供"
        ) from None
