"""Sub-commands of ``bangfu``, one module per area; every module here is imported, and each
registers its commands with ``bangfu.cli.command``."""

from __future__ import annotations

import importlib
import pkgutil

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    importlib.import_module(f"{__name__}.{_info.name}")
