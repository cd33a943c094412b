"""Where the package's own folders are: ``schemas/``, ``site/`` and ``mkdocs.yml``.

They live at the top of the repository. A wheel carries copies of them inside the package
(``bangfu/_bundled/``, copied by ``setup.py`` when the wheel is built); a source checkout
(an editable install, or ``PYTHONPATH=scripts``) uses the top-level folders themselves, so an
edit to a schema is seen at once and never shadowed by a stale copy."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
BUNDLED = PACKAGE / "_bundled"  # the copies in a wheel (see setup.py)


def checkout() -> Path | None:
    """The repository top when this package is ``<top>/scripts/bangfu`` of a checkout."""
    top = PACKAGE.parents[1]
    if PACKAGE.parent.name == "scripts" and (top / "schemas" / "common.schema.json").is_file():
        return top
    return None


def root() -> Path:
    """The folder holding ``schemas/``, ``site/`` and ``mkdocs.yml``: the source checkout's
    top, else the copies bundled in the installed package."""
    return checkout() or BUNDLED


def schemas() -> Path:
    return root() / "schemas"


def site() -> Path:
    return root() / "site"


def mkdocs_yml() -> Path:
    return root() / "mkdocs.yml"
