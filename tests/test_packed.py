"""A clean household's or report's data kept as marshal bytes until read (``record.Packed``):
read as parsed, decoded anew at each read, never held by the model's index, the site's
figures read each household at most twice and no report, the rules decode each record once
and keep it, and a damaged pack in the parse cache is read again."""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from pathlib import Path

import pytest

from bangfu import cache, check, load, readone, rules
from bangfu import facts as facts_mod
from bangfu.aggregate.store import tier_rows
from bangfu.config import Config
from bangfu.facts import entry_contacts, facts_of, record_facts
from bangfu.model import BULK
from bangfu.pipeline import Pipeline, last_update
from bangfu.policy import PolicyIndex
from bangfu.publish.release import release_of
from bangfu.record import HEAD, Packed, Record, pack, packed
from bangfu.rules.base import Context, date_of
from bangfu.rules.cycle import supervisor_rows
from bangfu.yamlsafe import Parsed

from .conftest import CASES, cached_copy, make_case, settle

AS_OF = "2026-06-30"


@pytest.fixture
def decodes(monkeypatch) -> Counter:
    """Reads of a packed record's data that decode it (``Packed.data``), by the record's
    kind, told apart by its head (a report names its plan), and by (kind, id)."""
    seen: Counter = Counter()
    real = Packed.data

    def counted(self):
        if self.still_packed:
            kind = "report" if self.head[HEAD.index("plan")] else "household"
            seen[kind] += 1
            seen[kind, self.id] += 1
        return real.fget(self)

    monkeypatch.setattr(Packed, "data", property(counted, real.fset))
    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    return seen


def _warm(data: Path) -> Path:
    """``data`` once loaded: its parse cache written, from which the next load packs."""
    if not (data.parent / ".bangfu-cache").is_dir():
        (data.parent / ".bangfu-cache").mkdir()
    cold = load.load_tree(data, data.parent / "schemas").records
    assert not any(type(r.parsed) is Packed for r in cold)  # parsed now: decoded
    return data


def test_clean_households_and_reports_are_packed_and_read_as_parsed(
    demo_data, tmp_path, monkeypatch
):
    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    data = _warm(cached_copy(demo_data, tmp_path))
    records = Pipeline(Config.make(data, as_of=AS_OF)).records
    kinds = Counter((r.kind, type(r.parsed) is Packed) for r in records)
    assert kinds[("household", True)] >= 300 and kinds[("report", True)] > 300
    assert not any(packed for (kind, packed) in kinds if kind not in BULK)
    assert kinds[("household", False)] == kinds[("report", False)] == 0  # all clean
    for rec in [r for r in records if r.kind in BULK][::37]:
        fresh = readone.read_record(data.parent / rec.file, data)
        assert rec.data == fresh.data and rec.data is not rec.data  # decoded at every read
        assert rec.id == fresh.data["id"] == rec.head("id")
        for key in HEAD:
            assert rec.head(key) == fresh.head(key) == fresh.data.get(key)
        assert rec.mapping


def test_a_record_with_findings_is_kept_as_parsed(tmp_path, monkeypatch):
    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    data = _warm(make_case(tmp_path, CASES / "invalid" / "enum-value") / "data")
    records = Pipeline(Config.make(data, as_of="2025-01-01")).records
    wrong = [r for r in records if r.findings]
    assert wrong and all(type(r.parsed) is not Packed for r in wrong)
    assert all(f.line and f.line > 1 for r in wrong for f in r.findings)
    assert any(type(r.parsed) is Packed for r in records)  # the clean ones are packed


def test_pack_keeps_only_clean_mappings_of_the_bulk_kinds():
    data = {"id": "h-1", "plan": ["x"], "synthetic": True, "members": [{"name": "甲"}]}
    head, raw = pack("household", data, True)
    assert head == ("h-1", None, True, None) and type(raw) is bytes  # a list is no head value
    assert packed((head, raw)).data == data
    assert pack("household", data, False) is data  # a record with findings
    assert pack("plan", data, True) is data  # not a bulk kind
    assert pack("report", ["a"], True) == ["a"]  # not a mapping


@pytest.mark.parametrize(
    "damaged",
    [
        (("h-1", None, None), b"\x00"),  # a head one short
        (("h-1", None, 3, None), b"\x00"),  # a number in the head
        (["h-1", None, None, None], b"\x00"),  # a list for the head
        (("h-1", None, None, None), "text"),  # text for the bytes
        (("h-1", None, None, None),),  # no bytes
    ],
)
def test_a_damaged_pack_in_the_parse_cache_is_read_again(demo_data, tmp_path, damaged, monkeypatch):
    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    assert packed(damaged) is None
    data = cached_copy(demo_data, tmp_path)
    first = load.load_tree(data, data.parent / "schemas").records
    path = cache.cache_file(data, data.parent / "schemas")
    kept = cache.read_cache(path)
    assert kept.entries
    for key, (_data, pf, sf, facts) in list(kept.entries.items()):
        kept.entries[key] = (damaged, pf, sf, facts)
    kept.dirty = True
    kept.save()
    again = load.load_tree(data, data.parent / "schemas").records
    assert [(r.file, r.kind, r.data, r.findings) for r in again] == [
        (r.file, r.kind, r.data, r.findings) for r in first
    ]


def test_the_cache_keeps_facts_and_stamps_packed_and_they_read_as_computed(
    demo_data, tmp_path, monkeypatch
):
    """Facts are bytes in the cache and on a record loaded from it; they read (``facts_of``)
    as the data's facts computed now. A file's stamp and digest are one bytes value."""
    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    data = _warm(cached_copy(demo_data, tmp_path))
    kept = cache.read_cache(cache.cache_file(data, data.parent / "schemas"))
    assert kept.entries and all(type(r[3]) is bytes for r in kept.entries.values())
    assert kept.files and all(
        type(v) is bytes and len(v) == cache.STAMP_BYTES + 16 for v in kept.files.values()
    )
    records = load.load_tree(data, data.parent / "schemas").records
    assert all(type(r.facts) is bytes for r in records if r.kind)
    for rec in records[::11]:
        assert facts_of(rec) == record_facts(rec.kind, rec.data)
    assert any(facts_of(r) for r in records[::11])  # not all empty
    for rec in records:  # damaged bytes: computed from the data again
        rec.facts = b"\xff" + (rec.facts or b"")[1:]
    assert [facts_of(r) for r in records[::11]] == [
        record_facts(r.kind, r.data) for r in records[::11]
    ]


def test_a_stamp_that_does_not_fit_matches_no_file():
    assert cache.pack_stamp((1, 2, 3, 4)) != cache.pack_stamp((1, 2, 3, 5))
    far = (1, 2**63, 5, 1)  # a time past 2262 in nanoseconds
    assert cache.pack_stamp(far) is None
    kept = cache.ParseCache(None, written_ns=10**19)
    kept.put("a.yaml", (1, 5, 5, 1), b"d" * 16, "household", (None, [], [], None))
    assert kept.digest_by_stamp("a.yaml", (1, 5, 5, 1)) == b"d" * 16
    assert kept.digest_by_stamp("a.yaml", (2, 5, 5, 1)) is None  # another size
    assert kept.digest_by_stamp("b.yaml", (1, 5, 5, 1)) is None
    kept.put("f.yaml", far, b"e" * 16, "household", (None, [], [], None))
    assert kept.digest_by_stamp("f.yaml", far) is None  # never taken by its stamp
    assert kept.digest_by_stamp("f.yaml", (1, 2**63 + 1, 5, 1)) is None


def test_a_trees_stamps_are_its_files_lstat_by_position_packed_in_one_buffer(
    demo_data, tmp_path, monkeypatch
):
    """``Tree.stamps``: each record's stat stamp by its position (None for a file refused
    before it was read), 32 bytes a record, not a dict entry of some 330 bytes; a stamp that
    does not pack reads back as it was."""
    import os
    import pickle

    monkeypatch.delenv("BANGFU_CACHE", raising=False)
    data = _warm(cached_copy(demo_data, tmp_path))
    hh = next(data.glob("households/*/*"))
    (hh / "x-link.yaml").symlink_to(next(hh.glob("*.yaml")))
    tree = load.load_tree(data, data.parent / "schemas")
    assert len(tree.stamps) == len(tree.records) > 100
    for rec, st in zip(tree.records, tree.stamps, strict=True):
        path = data.parent / rec.file
        if rec.file.endswith("x-link.yaml"):
            assert st is None and rec.findings[0].code == "file.symlink"
        else:
            assert st == cache.stamp(os.lstat(path)), rec.file
    assert list(tree.stamps) == [tree.stamps[i] for i in range(len(tree.stamps))]
    assert len(pickle.dumps(tree.stamps)) < 40 * len(tree.stamps) + 200
    with pytest.raises(IndexError):
        tree.stamps[len(tree.stamps)]

    stamps = cache.Stamps()
    for st in [(1, 2, 3, 4), None, (1, 2**63, 5, 1), (5, -6, 7, 8)]:  # 2**63 ns: past 2262
        stamps.append(st)
    assert list(stamps) == [(1, 2, 3, 4), None, (1, 2**63, 5, 1), (5, -6, 7, 8)]
    assert stamps[2] == (1, 2**63, 5, 1) and stamps[3] == (5, -6, 7, 8)
    assert stamps == pickle.loads(pickle.dumps(stamps)) and stamps != cache.Stamps()


@pytest.mark.parametrize("every", [False, True])
def test_the_index_reads_no_packed_data_and_the_rules_decode_each_record_once(
    demo_data, tmp_path, decodes, every
):
    data = _warm(cached_copy(demo_data, tmp_path))
    pipe = Pipeline(Config.make(data, as_of=AS_OF))
    pipe.model  # noqa: B018 (the index: ids and plans from the heads)
    assert pipe.model.reports_by_plan and pipe.model.by_kind["household"]
    assert decodes == Counter()
    bulk = [r for r in pipe.records if type(r.parsed) is Packed]
    context = Context(as_of=dt.date(2026, 6, 30), schemas_dir=data.parent / "schemas")
    if every:
        found = rules.run_all(pipe.model, context)
    else:
        found = [f for part in rules.run(rules.RULES, pipe.model, context) for f in part]
    assert decodes == Counter()  # decoded once, up front, and kept for every rule
    assert bulk and not any(r.parsed.still_packed for r in bulk)
    # decoded with the collector held off (as it was after), and out of later collections
    # like the records themselves (``collector.held(freeze=True)``)
    assert gc.isenabled()
    walked = {id(o) for o in gc.get_objects()}
    assert not [r for r in bulk if id(r.data) in walked]
    assert all(r.data is r.data for r in bulk)
    assert not [f for f in found if f.severity == "error"]


@pytest.mark.parametrize("rules_here", [False, True])
def test_the_site_reads_no_report_and_only_the_households_a_policy_rule_judges(
    demo_data, tmp_path, decodes, rules_here
):
    """With the rules' findings kept, the figures read a household's data only where a
    policy's rules make rows of it (the derived tier, the supervisor rows), at most twice,
    and no report's: in the demo corpus no policy applies to a county, unless one is added
    for a province's (``rules_here``)."""
    data = cached_copy(demo_data, tmp_path)
    here = _add_rules(data) if rules_here else set()
    settle(data)  # no file so new that the next load reads it again (``cache.RACY_SECONDS``)
    check.run(Config.make(data, as_of=AS_OF))  # keeps the rules' findings (``verdicts``)
    decodes.clear()
    packed_run = Pipeline(Config.make(data, as_of=AS_OF)).publishable("site", release=True)
    assert packed_run.figures  # computed before the records are let go
    judged = _judged(data, here)
    assert decodes["report"] == 0 and (decodes["household"] > 0) == rules_here
    assert {k[1] for k in decodes if isinstance(k, tuple) and k[0] == "household"} <= judged
    # twice each (the derived tier, the supervisor rows; a found row's finding is not placed:
    # ``rules.base.Unplaced``), and once more where the rules found something about it, to
    # mask its findings (``redact``)
    assert rules_here <= max((decodes["household", h] for h in judged), default=0) <= 3
    whole = Pipeline(Config.make(data, as_of=AS_OF))
    whole.model.unpack()
    decoded_run = whole.publishable("site", release=True)
    assert decoded_run.figures.tables["organizations"].rows  # figures of something
    assert packed_run.figures == decoded_run.figures  # every table, cell and status


def _add_rules(data: Path) -> set[str]:
    """The test case's policy of visits, tiers, household plans and gradual exit, for the
    county of the first household of the demo corpus (one of its 41): the households of the
    others are under none. Gives that county."""
    county = sorted((data / "households").glob("*/*/*.yaml"))[0].parts[-3]
    text = (CASES / "valid" / "cycle-rules" / "data" / "policy" / "tp-cycle.yaml").read_text()
    text = text.replace("id: tp-cycle", "id: tp-here").replace(
        "document: test-source", "document: normalized-assistance-work-plans"
    )
    (data / "policy" / "tp-here.yaml").write_text(text.replace("tc-alpha", county), "utf-8")
    return {county}


def _judged(data: Path, counties: set[str]) -> set[str]:
    """The households of ``counties``, by the village their file names."""
    model = Pipeline(Config.make(data, as_of=AS_OF)).model
    homes = model.by_kind["household"].items()
    return {h for h, r in homes if model.county_of_village(r.head("village")) in counties}


def test_only_the_households_of_counties_a_rule_can_apply_to_are_judged(
    demo_data, tmp_path, monkeypatch
):
    """The rows of the policies' rules skip the counties no policy with such a rule can apply
    to (``PolicyIndex.counties_where``) and are those of judging every household."""
    data = cached_copy(demo_data, tmp_path)
    here = _add_rules(data)
    model = Pipeline(Config.make(data, as_of=AS_OF)).model
    day = dt.date(2024, 6, 30)
    skipping = (supervisor_rows(model, day), tier_rows(model))
    assert skipping[0] and skipping[1]
    judged = _judged(data, here)
    assert 0 < len(judged) < len(model.by_kind["household"])
    assert {h for h, *_ in skipping[0]} <= judged and {h for h, _ in skipping[1]} <= judged
    everywhere = set(model.by_kind["county"])
    monkeypatch.setattr(PolicyIndex, "counties_where", lambda self, sets: everywhere)
    assert (supervisor_rows(model, day), tier_rows(model)) == skipping


@pytest.mark.parametrize("day", [dt.date(2024, 3, 15), dt.date(2026, 6, 30)])
def test_rows_read_from_packed_records_are_those_of_their_data(tmp_path, day, monkeypatch):
    """The supervisor rows (contacts from the reports' facts), the tier rows and the last
    update outside Git (the reports' days from their facts) are those of the decoded data."""
    data = _warm(make_case(tmp_path, CASES / "valid" / "cycle-rules") / "data")
    cfg = Config.make(data, as_of=AS_OF)
    packed_model, decoded = Pipeline(cfg).model, Pipeline(cfg).model
    decoded.unpack()
    assert any(type(r.parsed) is Packed and r.parsed.head for r in packed_model.records)
    rows = supervisor_rows(packed_model, day)
    assert rows == supervisor_rows(decoded, day) and any(found for *_, found in rows)
    assert tier_rows(packed_model) == tier_rows(decoded) != []
    release = release_of(data)  # outside Git: the latest date in the records
    latest = last_update(release, decoded.records)
    assert last_update(release, packed_model.records) == latest > "2024"
    # from the parse cache's columns, which then decode no record's facts
    assert packed_model.columns is not None
    monkeypatch.setattr(facts_mod, "facts_of", lambda rec: pytest.fail(f"decoded {rec.file}"))
    cells = [r.cell for r in packed_model.records if type(r.parsed) is Packed]
    assert cells and min(cells) >= 0
    assert last_update(release, packed_model.records, packed_model.columns) == latest


def _contacts_of_data(d: dict) -> list[tuple]:
    """What a report's data says of its entries, as the visit rules read it before they read
    the facts: every mapping entry with a text kind; its date when a valid one; its household
    when a text."""
    out = []
    for e in d.get("entries") or []:
        if isinstance(e, dict) and isinstance(e.get("kind"), str):
            day = e.get("date") if date_of(e.get("date")) is not None else None
            out.append(
                (e["kind"], day, e["household"] if isinstance(e.get("household"), str) else None)
            )
    return out


def test_the_contacts_read_from_a_reports_facts_are_those_of_its_data(demo_data):
    reports = [
        r for r in Pipeline(Config.make(demo_data, as_of=AS_OF)).records if r.kind == "report"
    ]
    assert sum(len(entry_contacts(r)) for r in reports) > 300
    for rec in reports:
        assert entry_contacts(rec) == _contacts_of_data(rec.data)
    odd = {
        "id": "2024-05",
        "plan": "tp-one",
        "entries": [
            "走访",  # not a mapping
            {"kind": 1, "date": "2024-05-02", "household": "h-1"},  # a number for the kind
            {"kind": "走访", "date": "2024-02-30", "household": "h-1"},  # no such day
            {"kind": "走访", "date": "2024-05-03", "household": ["h-1"]},  # a list
            {"kind": "电话回访", "date": "2024-05-04", "household": "h-2"},
        ],
    }
    rec = Record("report", "data/r.yaml", ("r.yaml",), Parsed(odd))
    assert (
        entry_contacts(rec)
        == _contacts_of_data(odd)
        == [
            ("走访", None, "h-1"),
            ("走访", "2024-05-03", None),
            ("电话回访", "2024-05-04", "h-2"),
        ]
    )
