"""Province-shaped synthetic corpora (``bangfu demo --places``, ``bangfu bench --places``): the
shape is parsed with clear errors, the reference data stays whole beside a synthetic province of
exactly that shape, every synthetic household lives in it, the corpus passes the checker, and
the bench keeps a corpus per shape and builds the site on it."""

from __future__ import annotations

import json

import pytest

from bangfu.config import Config, UsageError
from bangfu.demo import CAMPAIGN
from bangfu.findings import ERROR
from bangfu.load import scan
from bangfu.pipeline import Pipeline
from bangfu.synth import SHAPED, SynthOptions, generate, parse_shape, province_code

from .conftest import ROOT, bangfu


@pytest.mark.parametrize(
    ("text", "shape"),
    [("100x10x10", (100, 10, 10)), (" 3×2×1 ", (3, 2, 1)), ("2*2*2", (2, 2, 2))],
)
def test_a_shape_is_read(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("3x3", "三个正整数"),
        ("0x1x1", "三个正整数"),
        ("axbxc", "三个正整数"),
        ("-1x2x2", "三个正整数"),
        ("1000x100x10", "1,000,000 个村"),
    ],
)
def test_a_bad_shape_is_refused_in_words(text, says):
    with pytest.raises(UsageError) as exc:
        parse_shape(text)
    assert says in str(exc.value) and text in str(exc.value)


def test_demo_refuses_a_bad_shape_without_a_traceback(tmp_path):
    res = bangfu("demo", "--places", "3x3", "--out", str(tmp_path / "d"), cwd=ROOT)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "区县数x每县乡镇数x每乡镇村数" in res.stderr
    assert not (tmp_path / "d").exists()


@pytest.fixture(scope="module")
def shaped(tmp_path_factory):
    out = tmp_path_factory.mktemp("shaped") / "demo"
    cfg = Config.make(ROOT / "data")
    counts = generate(cfg, SynthOptions(households=60, seed=3, out=out, shape=(2, 2, 3)))
    return cfg, out, counts


def test_reference_data_stays_whole_beside_the_shaped_province(shaped):
    cfg, out, _ = shaped
    data = out / "data"
    for path in cfg.data_root.rglob("*"):
        if path.is_file():
            rel = path.relative_to(cfg.data_root)
            assert (data / rel).read_bytes() == path.read_bytes(), rel
    code = province_code(SHAPED)
    made = sorted(p.stem for p in (data / "counties").glob(f"{code}-*.yaml"))
    assert made == [f"{code}-c1", f"{code}-c2"]


def test_every_synthetic_household_lives_in_the_shaped_province(shaped):
    cfg, out, counts = shaped
    pipe = Pipeline(Config(out / "data", out / "schemas", cfg.as_of))
    m = pipe.model
    code = province_code(SHAPED) + "-"
    mine = [v for v in m.villages.values() if v.county.startswith(code)]
    assert len(mine) == 2 * 2 * 3
    assert len({v.township for v in mine}) == 2 * 2
    reference = set(Pipeline(cfg).model.ids("household"))
    new = set(m.ids("household")) - reference
    assert len(new) == counts["household"] == 60
    homes = {m.get("household", h).data["village"] for h in new}
    assert homes == {v.id for v in mine}  # 60 households over 12 villages: every one used
    campaign = m.get("campaign", f"{CAMPAIGN}-{province_code(SHAPED)}")
    assert sorted(campaign.data["counties"]) == [f"{code}c1", f"{code}c2"]
    orgs = [o for o in m.ids("organization") if o.startswith(f"demo-org-{code}")]
    assert len(orgs) == 2 * 2  # two per synthetic county
    assert all(m.get("organization", o).data["synthetic"] is True for o in orgs)
    bad = [f for f in pipe.result.findings if f.severity == ERROR]
    assert not bad, [(f.file, f.code) for f in bad][:5]


def test_the_same_seed_gives_the_same_files_with_any_number_of_workers(shaped, tmp_path):
    cfg, out, _ = shaped
    other = tmp_path / "demo"
    generate(cfg, SynthOptions(households=60, seed=3, out=other, shape=(2, 2, 3), workers=2))
    ours = {rel: (out / "data" / "/".join(rel)).read_bytes() for _, rel, _ in scan(out / "data")}
    theirs = {
        rel: (other / "data" / "/".join(rel)).read_bytes() for _, rel, _ in scan(other / "data")
    }
    assert ours == theirs


def test_bench_keeps_a_corpus_per_shape_and_builds_the_site_on_it(tmp_path):
    out = tmp_path / "bench"
    args = ("bench", "--sizes", "40", "--out", str(out), "--data", str(ROOT / "data"))
    res = bangfu(*args, "--places", "2x2x2", "--steps", "site", cwd=tmp_path, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "合成省 2x2x2（2 个区县、4 个乡镇、8 个村" in res.stdout
    result = json.loads((out / "latest.json").read_text("utf-8"))
    assert result["options"]["places"] == "2x2x2"
    (site,) = [s for s in result["steps"] if s["name"] == "site"]
    assert site["status"] == "ok", site
    marker = json.loads((out / "corpus-40-2x2x2" / ".bangfu-bench.json").read_text("utf-8"))
    assert marker["places"] == "2x2x2" and marker["households"] == 40
    again = bangfu(*args, "--places", "2x2x2", "--generate-only", cwd=tmp_path)
    assert again.returncode == 0 and "复用已生成的 40 户语料" in again.stdout
    plain = bangfu(*args, "--generate-only", cwd=tmp_path)  # the reference places: its own
    assert plain.returncode == 0 and "复用" not in plain.stdout
    assert (out / "corpus-40" / "data").is_dir()
