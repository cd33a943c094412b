"""The privacy canary on sealed data (issue 17): every private field holds a canary, every
county's records are sealed, and with no key anywhere (as in CI) the data folder, the parse
cache, the check, the whole site and its open data hold no canary."""

from __future__ import annotations

from pathlib import Path

from .conftest import ROOT, bangfu, build_site
from .test_canary import Canaries, _contents, _seed


def _leaks(files: list[Path], values: list[str], base: Path) -> list[str]:
    needles = [v.encode("utf-8") for v in values]
    out = []
    for p in files:
        for blob in _contents(p):
            flat = blob.replace("\u200b".encode(), b"").replace(b"\\u200b", b"")
            out += [f"{p.relative_to(base)}: {n.decode()}" for n in needles if n in flat]
    return out


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
