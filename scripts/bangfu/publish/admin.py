"""The web editor at ``/admin/`` of the built site: its configuration generated from the data
being published (``bangfu.cms``: ``config.json``, ``counties.json`` and ``counties/``), and
Decap CMS's bundle copied from ``node_modules/`` (the version pinned in ``package-lock.json``),
so the page loads nothing from another host.

Without ``node_modules/decap-cms`` (``npm ci`` not run) the site is built without the editor
and ``write`` returns False."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from .. import cms, cms_inputs
from ..record import Record
from ..resources import checkout

BUNDLE = ("decap-cms.js", "decap-cms.js.LICENSE.txt")  # and the chunks it loads: N.decap-cms.js


def bundle_dir() -> Path | None:
    top = checkout()
    dist = top / "node_modules" / "decap-cms" / "dist" if top else None
    return dist if dist and (dist / BUNDLE[0]).is_file() else None


def bundle_files(dist: Path) -> list[Path]:
    chunks = [p for p in dist.glob("*.decap-cms.js") if p.name.split(".")[0].isdigit()]
    return [dist / n for n in BUNDLE] + sorted(chunks)


def write(docs: Path, records: Iterable[Record], schemas_dir: Path) -> bool:
    """Fill ``docs/admin/`` (copied from ``site/admin/``): the configuration of the records
    being published (the plans and counties among ``records``) and ``vendor/``."""
    admin = docs / "admin"
    dist = bundle_dir()
    if dist is None:
        shutil.rmtree(admin, ignore_errors=True)
        return False
    shutil.rmtree(admin / cms.COUNTY_DIR, ignore_errors=True)  # the repository's own data's
    for rel, text in cms.files(schemas_dir, cms_inputs.from_records(records)).items():
        (admin / rel).parent.mkdir(parents=True, exist_ok=True)
        (admin / rel).write_text(text, "utf-8")
    vendor = admin / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    for f in bundle_files(dist):
        shutil.copyfile(f, vendor / f.name)
    return True
