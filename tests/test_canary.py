"""Privacy canary: every private field holds a unique value; after building the whole site and
its open data, no such value may appear in any file of the output (HTML — the pages per
village, plan and campaign and 最近更新 included —, search index, sitemap, the Atom feed,
JavaScript, CSV, JSON, the Excel workbook, Parquet and SQLite read back, and the gzip sitemap
unpacked). The data is a repository with two release tags, so the feed is built from it.
The second test seals the canaries to their county's keys and builds everything with no key."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import zipfile
from pathlib import Path

import pytest

from bangfu.checksums import resident_id_check_char
from bangfu.yamlio import dump_text
from bangfu.yamlsafe import parse

from .conftest import ROOT, bangfu, build_site, commit, git, init_repo


class Canaries:
    def __init__(self):
        self.n = 0
        self.values: list[str] = []

    def _keep(self, v: str) -> str:
        self.values.append(v)
        return v

    def text(self) -> str:
        self.n += 1
        return self._keep(f"雀哨{self.n:05d}隐")

    def mobile(self) -> str:
        self.n += 1
        return self._keep(f"139{self.n:08d}")

    def id_number(self) -> str:
        self.n += 1
        born = dt.date(1950, 1, 1) + dt.timedelta(days=self.n)
        first = f"110101{born:%Y%m%d}{self.n % 1000:03d}"
        return self._keep(first + resident_id_check_char(first))


# every canary has one of these shapes; the lookahead finds every such string at every
# position (overlaps too), so a canary occurs in a text exactly when it is among the strings
# found: one pass over the output instead of one search per canary
SHAPES = "雀哨[0-9]{5}隐|139[0-9]{8}|110101[0-9]{11}[0-9X]"
_FIND = re.compile(f"(?=({SHAPES}))".encode())


def _rewrite(path: Path, fn) -> None:
    data = parse(path.read_text("utf-8"), str(path)).data  # dates as text: the fast writer
    fn(data)
    path.write_text(dump_text(data), "utf-8")


def _seed(data: Path, c: Canaries) -> None:
    def household(d):
        d["head"] = {"name": c.text(), "id_number": c.id_number(), "phone": c.mobile()}
        d["address"] = c.text()
        d["members"] = [
            {"name": c.text(), "relation": c.text(), "id_number": c.id_number(), "health": c.text()}
        ]
        d["health_notes"] = c.text()
        d["photos"] = [c.text() + ".jpg"]
        d["notes"] = c.text()
        d["corrections"] = [
            {
                "date": "2025-02-01",
                "by": "村委会",
                "reason": "核对后更正",
                "path": "$.address",
                "original": c.text(),
            }
        ]

    def organization(d):
        d["leader"] = {"name": c.text(), "mobile": c.mobile()}

    def county(d):
        for t in d.get("townships") or []:
            t["contact"] = {**(t.get("contact") or {}), "name": c.text(), "mobile": c.mobile()}

    def report(d):
        d["corrections"] = [
            {
                "date": d["submitted"],
                "by": "帮扶主体",
                "reason": "补录",
                "path": "$.entries",
                "original": c.text(),
            }
        ]

    for p in sorted((data / "households").rglob("*.yaml")):
        _rewrite(p, household)
    for p in sorted((data / "organizations").glob("*.yaml")):
        _rewrite(p, organization)
    for p in sorted((data / "counties").glob("*.yaml")):
        _rewrite(p, county)
    for p in sorted((data / "plans").rglob("reports/*.yaml"))[:200]:
        _rewrite(p, report)


def _release_twice(root: Path, c: Canaries) -> None:
    """Make the demo a data repository with two release tags, the second adding correction
    notes (with canary originals) to more reports, so 最近更新 and the feed are built from
    the seeded records."""
    init_repo(root)
    git(root, "tag", "v1")

    def report(d):
        d["corrections"] = [
            *(d.get("corrections") or []),
            {
                "date": d["submitted"],
                "by": "帮扶主体",
                "reason": "更正金额",
                "path": "$.entries",
                "original": c.text(),
            },
        ]

    for p in sorted((root / "data" / "plans").rglob("reports/*.yaml"))[:30]:
        _rewrite(p, report)
    commit(root, "second release")
    git(root, "tag", "v2")


def _contents(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    out = [raw]
    if path.suffix == ".gz":
        out.append(gzip.decompress(raw))
    if path.suffix in (".xlsx", ".zip"):
        with zipfile.ZipFile(path) as z:
            out += [z.read(n) for n in z.namelist()]
    if path.suffix == ".parquet":  # compressed columns: read them back as text
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
        out.append("\n".join(str(v) for r in rows for v in r.values()).encode("utf-8"))
    if path.suffix == ".sqlite":  # every value of every table, read back as text
        import sqlite3

        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            values = [str(v) for n in names for r in con.execute(f'SELECT * FROM "{n}"') for v in r]
        finally:
            con.close()
        out.append("\n".join(values).encode("utf-8"))
    return out


@pytest.mark.slow
def test_no_private_value_reaches_the_output(tmp_path):
    res = bangfu(
        "demo", "--households", "120", "--seed", "7", "--out", str(tmp_path / "demo"), cwd=ROOT
    )
    assert res.returncode == 0, res.stderr
    data = tmp_path / "demo" / "data"
    c = Canaries()
    _seed(data, c)
    assert len(c.values) > 1000
    _release_twice(tmp_path / "demo", c)
    check = bangfu("check", "--data", str(data), cwd=ROOT, timeout=300)
    assert check.returncode == 0, check.stdout[-3000:]
    out = tmp_path / "out"
    res = build_site(data, out, tmp_path / "src")
    assert res.returncode == 0, res.stderr + res.stdout
    files = [p for p in sorted(out.rglob("*")) if p.is_file()]
    assert (
        any(p.suffix == ".csv" for p in files) and (out / "search" / "search_index.json").is_file()
    )
    assert any(p.suffix == ".parquet" for p in files)
    # the pages per village, plan and campaign, the SQLite file and the feed are searched too
    for folder in ("villages", "plans", "campaigns"):
        assert any((out / folder).glob("*.html")), folder
    assert (out / "data" / "bangfu-tables.sqlite").is_file()
    assert (out / "feed.xml").read_text("utf-8").count("<entry>") == 2
    from bangfu.publish.admin import bundle_dir

    if bundle_dir() is not None:  # the web editor's configuration is searched too
        assert (out / "admin" / "counties.json").is_file()
        assert len(list((out / "admin" / "counties").glob("*.json"))) > 1
    leaks = _leaks(files, c.values, out)
    assert not leaks, leaks[:20]
    # the facts the aggregate layer keeps (in the parse cache) hold no private value either
    from bangfu.config import Config
    from bangfu.facts import record_facts
    from bangfu.pipeline import Pipeline

    facts = [record_facts(r.kind, r.data) for r in Pipeline(Config.make(data, None, None)).records]
    flat_facts = repr(facts)
    needles = {v.encode("utf-8") for v in c.values}
    assert "h-" in flat_facts  # household facts were there to be searched
    found = needles.intersection(_FIND.findall(flat_facts.encode("utf-8")))
    assert not found, "a private value reached the facts"
    # the canaries were really there to be found: the source pages hold none either
    for p in (tmp_path / "src").rglob("*.md"):
        text = p.read_text("utf-8")
        assert not any(v in text for v in c.values[:50]), p


# --- the same canaries, sealed to their county's keys (issue 17) -----------------------------


def _leaks(files: list[Path], values: list[str], base: Path) -> list[str]:
    """Where a canary occurs in ``files`` (each read as ``_contents`` reads it): one pass of
    ``_FIND`` over each text, the canaries found kept if they are among ``values``."""
    assert all(re.fullmatch(SHAPES, v) for v in values)
    needles = {v.encode("utf-8") for v in values}
    out = []
    for p in files:
        for blob in _contents(p):
            # the search index splits Chinese words with zero-width spaces: join them back
            flat = blob.replace("\u200b".encode(), b"").replace(b"\\u200b", b"")
            out += [
                f"{p.relative_to(base)}: {n.decode()}"
                for n in sorted(needles.intersection(_FIND.findall(flat)))
            ]
    return out


@pytest.mark.slow
def test_sealed_canaries_reach_no_file_and_no_output_without_a_key(tmp_path):
    key = tmp_path / "keys" / "supervisor.key"
    made = bangfu("keys", "generate", "--out", str(key), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    public = next(line.split("：")[-1] for line in made.stdout.splitlines() if "age1" in line)
    demo = tmp_path / "demo"
    res = bangfu(
        "demo", "--households", "120", "--seed", "7", "--out", str(demo), "--recipient", public,
        cwd=ROOT,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    data = demo / "data"
    (demo / ".bangfu-cache").mkdir()  # the parse cache is kept (and searched) too
    c = Canaries()
    _seed(data, c)  # plain text typed next to the sealed values…
    assert len(c.values) > 1000
    refused = bangfu("check", "--data", str(data), cwd=ROOT, timeout=300)
    assert refused.returncode == 1 and "sealed.plaintext" in refused.stdout
    assert not [v for v in c.values if v in refused.stdout + refused.stderr]
    # …is sealed by a key holder; from here on no key is given to any command
    sealed = bangfu("encrypt", "--data", str(data), "--key", str(key), cwd=ROOT, timeout=300)
    assert sealed.returncode == 0, sealed.stdout[-2000:]
    check = bangfu("check", "--data", str(data), cwd=ROOT, timeout=300)
    assert check.returncode == 0, check.stdout[-3000:]
    assert not [v for v in c.values if v in check.stdout + check.stderr]
    out = tmp_path / "out"
    site = build_site(data, out, tmp_path / "src")
    assert site.returncode == 0, site.stderr + site.stdout
    assert not [v for v in c.values if v in site.stdout + site.stderr]
    files = [p for p in sorted(out.rglob("*")) if p.is_file()]
    assert any(p.suffix == ".csv" for p in files) and any(p.suffix == ".parquet" for p in files)
    assert (out / "data" / "bangfu-tables.sqlite").is_file()
    # the site and extracts, and the data folder with its parse cache: no canary anywhere
    assert not _leaks(files, c.values, out)
    stored = [p for p in sorted(demo.rglob("*")) if p.is_file()]
    assert any(".bangfu-cache" in p.parts for p in stored)
    assert not _leaks(stored, c.values, demo)
    # the key holder still reads them all back
    listed = bangfu("keys", "list", "--data", str(data), "--key", str(key), cwd=ROOT, timeout=300)
    assert listed.returncode == 0 and "这把密钥打开了" in listed.stdout
