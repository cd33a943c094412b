"""Build step for the wheel: copy the top-level ``schemas/``, ``site/`` and ``mkdocs.yml`` into
the package (``bangfu/_bundled/``), where ``bangfu.resources`` finds them in an installed
wheel. The folders themselves stay at the top of the repository; a source checkout (and an
editable install) reads them there. Everything else is declared in ``pyproject.toml``."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TOP = Path(__file__).resolve().parent
BUNDLED = ("schemas", "site", "mkdocs.yml")  # what bangfu.resources returns


class BuildWithResources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own folders
        dest = Path(self.build_lib, "bangfu", "_bundled")
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        for name in BUNDLED:
            src = TOP / name
            if src.is_dir():
                shutil.copytree(src, dest / name)
            else:
                shutil.copy2(src, dest / name)


setup(cmdclass={"build_py": BuildWithResources})
