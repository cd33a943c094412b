"""Disclosure control end to end: an attacker with every published table and page figure, and
every identity between them, recovers no withheld cell; every cell about fewer households
than the threshold is withheld — counts, entries and amounts alike."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bangfu.aggregate import WITHHELD, Result, cells, compute, status, tables
from bangfu.aggregate.protect import decide, inputs
from bangfu.aggregate.store import Store
from bangfu.config import Config
from bangfu.disclosure import Relation, attack, is_primary
from bangfu.pipeline import Pipeline
from bangfu.synth import SynthOptions, generate

from .conftest import demo_corpus

# one worker runs them all (make test: --dist loadgroup): the module's fixtures are made once
pytestmark = pytest.mark.xdist_group("disclosure_published")

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2025, 9, 30)


def _shaped(tmp_path_factory) -> Path:
    """400 households in a small synthetic province (3 counties, 2 townships each, 2 villages
    each) beside the reference data: places of about 30 households, so most place figures
    are small and the attacker works on a province's shape too."""
    out = tmp_path_factory.mktemp("shaped") / "demo"
    cfg = Config.make(ROOT / "data")
    generate(cfg, SynthOptions(households=400, seed=5, out=out, shape=(3, 2, 2)))
    return out / "data"


@pytest.fixture(scope="module", params=["demo", "shaped"])
def released(request, tmp_path_factory):
    if request.param == "shaped":
        data = _shaped(tmp_path_factory)
    else:
        data = demo_corpus(tmp_path_factory, 300, 6)
    cfg = Config.make(data, None, AS_OF.isoformat())
    model = Pipeline(cfg).model
    published = compute(model, cfg.schemas_dir, AS_OF)
    store = Store.from_model(model, AS_OF)
    try:  # the same figures, exact (before disclosure control)
        exact = Result(
            AS_OF,
            published.threshold,
            tables.build(store, model, cfg.schemas_dir, published.threshold),
            cells.read(store),
            status.read(store),
        )
        sdc, relations, withheld = decide(exact, inputs(store))
        sdc.all_relations = list(sdc.relations)  # every identity, inequalities too
        sdc.relations = relations  # the identities in force
        sdc.withheld = withheld
        sdc.exact_tables = exact.tables
    finally:
        store.close()
    assert published.threshold > 1
    return model, published, sdc


_INDEX: dict[tuple, tuple] = {}


def _row(table, cols: tuple[str, ...], key: tuple):
    """The first row of ``table`` whose ``cols`` hold ``key`` (an index per table and columns,
    built on first use: a scan per cell made the tests quadratic in the table's size)."""
    held = _INDEX.get((id(table), cols))
    if held is None or held[0] is not table:
        index: dict[tuple, dict] = {}
        for r in table.rows:
            index.setdefault(tuple(r[c] for c in cols), r)
        held = _INDEX[id(table), cols] = (table, index)
    return held[1][tuple(key)]


def _shown(agg, key):
    """What the release shows for a cell key: the value, or WITHHELD."""
    kind = key[0]
    f, t = agg.figs, agg.tables
    if kind in ("place", "category"):
        _, measure, level, pid = key
        cell = f.total if level == "total" else getattr(f, level)[pid]
        return cell.categories[measure] if kind == "category" else getattr(cell, measure)
    if kind == "entries_row":  # the amount: households and entries go by row
        return _row(t["report_entries"], ("plan", "period", "kind"), key[2:])["amount_yuan"]
    if kind == "plan_target":
        return _row(t["plan_targets"], ("plan", "village"), key[1:])["households"]
    if kind == "plan":
        row = _row(t["plans"], ("id",), key[1:2])
        return row[
            "target_households" if key[2] == "target_households" else "delivered_amount_yuan"
        ]
    if kind == "tier":
        return f.tiers[key[1]][key[2]]
    if kind == "campaign_paired":
        return f.campaign_paired[key[1:]]
    raise AssertionError(key)


def _table_relations(agg) -> list[Relation]:
    """The place hierarchy as a reader rebuilds it from the published CSVs alone."""
    out = []
    t = agg.tables
    for measure, col in (("households", "households"), ("paired", "households_paired")):
        by_town: dict[str, list] = {}
        for r in t["villages"].rows:
            by_town.setdefault(r["township"], []).append(("place", measure, "village", r["id"]))
        for tid, parts in by_town.items():
            out.append(Relation(("place", measure, "township", tid), tuple(parts)))
        by_county: dict[str, list] = {}
        for r in t["townships"].rows:
            by_county.setdefault(r["county"], []).append(("place", measure, "township", r["id"]))
        for cid, parts in by_county.items():
            out.append(Relation(("place", measure, "county", cid), tuple(parts)))
        del col
    return out


def test_every_identity_the_attacker_uses_holds_exactly(released):
    _, _, sdc = released
    assert len(sdc.relations) > 100
    for rel in sdc.relations:
        total = sdc.cells[rel.total].value
        assert total == sum(sdc.cells[p].value for p in rel.parts), rel


def test_every_cell_about_too_few_households_is_withheld(released):
    _, published, sdc = released
    primary = [k for k, c in sdc.cells.items() if is_primary(c, published.threshold)]
    assert any(c.latent for c in sdc.cells.values())  # inequalities between columns are known
    kinds = {k[0] for k in primary}
    assert {"place", "entries_row"} <= kinds, kinds
    for key in primary:
        assert _shown(published, key) is WITHHELD, key


# the households each figure of a by-row column concerns, written out again here
_CONCERNS = {
    "progress": {
        "households_monitored": lambda r, t: r["households_monitored"],
        "households_paired": lambda r, t: r["households_paired"],
        "households_visited": lambda r, t: r["households_visited"],
        "entries": lambda r, t: r["households_visited"],
        "amount_yuan": lambda r, t: r["households_visited"],
    },
    "report_entries": {
        "households_reached": lambda r, t: r["households_reached"],
        "entries": lambda r, t: (
            max(r["households_reached"], t) if r["villages_reached"] else r["households_reached"]
        ),
    },
}


def test_figures_tied_to_nothing_are_withheld_row_by_row(released):
    """Progress figures and the households and entries of report-entry rows are in no
    identity: each is withheld when it concerns 1 .. threshold-1 households, entries and
    amounts of a small group too, and published exactly otherwise."""
    from bangfu.aggregate.protect import BY_ROW

    _, published, sdc = released
    t = published.threshold
    assert {n: set(c) for n, c in BY_ROW.items()} == {n: set(c) for n, c in _CONCERNS.items()}
    exact = sdc.exact_tables
    withheld = set()
    for name, columns in _CONCERNS.items():
        shown_rows, exact_rows = published.tables[name].rows, exact[name].rows
        assert len(shown_rows) == len(exact_rows) > 0
        for shown, row in zip(shown_rows, exact_rows, strict=True):
            for col, concerns in columns.items():
                if row[col] is not None and 0 < concerns(row, t) < t:
                    assert shown[col] is WITHHELD, (name, col, row)
                    withheld.add((name, col))
                else:
                    assert shown[col] == row[col], (name, col, row)
    # entries and amounts of a small group too, not only its household counts
    assert {("progress", "amount_yuan"), ("progress", "entries")} <= withheld, withheld
    assert ("report_entries", "households_reached") in withheld


def test_a_relation_naming_a_figure_decided_by_row_is_refused():
    """The rule by row is safe only while no identity ties those figures to another: a
    relation naming one is an error, not a relation silently dropped."""
    from bangfu.aggregate.protect import cells_of

    class Agg:  # the least ``cells_of`` reads: no places, plans, tiers or campaigns
        threshold = 3
        tables = {
            n: type("T", (), {"rows": []})() for n in ("plan_targets", "plans", "report_entries")
        }
        status = type("S", (), {"tiers": {}})()
        figs = type("F", (), {"campaign_paired": {}})()

    c = cells_of(Agg(), type("I", (), {"fig": [], "fig_category": [], "plan_fig": []})())
    c.add(("place", "visits", "village", "v1"), 5)
    with pytest.raises(ValueError, match="逐行"):
        c.relate(("place", "visits", "village", "v1"), [("progress", "visited", "v1", "m", "k")])
    with pytest.raises(ValueError, match="逐行"):
        c.relate(("entries_row", "entries", "p", "2025", "k"), [])


def test_attacker_recovers_nothing_from_every_published_table(released):
    _, published, sdc = released
    values = {}
    for key, cell in sdc.cells.items():
        if cell.latent:  # an inequality's slack: known to a reader only as >= 0
            values[key] = None
            continue
        shown = _shown(published, key)
        values[key] = None if shown is WITHHELD else shown
        if shown is not WITHHELD:
            assert shown == cell.value or float(shown) == float(cell.value), key
    withheld = [k for k, v in values.items() if v is None and not sdc.cells[k].latent]
    assert withheld, "the demo has small cells"
    relations = list(sdc.relations)
    known = {(r.total, r.parts) for r in relations}
    for rel in _table_relations(published):  # a reader's own reconstruction
        rel = Relation(rel.total, tuple(p for p in rel.parts if p in values))
        if rel.total in values and rel.parts and (rel.total, rel.parts) not in known:
            relations.append(rel)
    lower = {k: 1 for k in withheld if sdc.cells[k].value >= 1}
    recovered = attack(values, relations, lower, integral=True)
    # a latent cell is the difference of two published figures, not a secret
    recovered = {k: v for k, v in recovered.items() if not sdc.cells[k].latent}
    assert recovered == {}, sorted(recovered.items(), key=repr)[:5]


def test_without_complementary_suppression_the_attacker_would_succeed(released):
    """The attack is real: withholding only the primary cells gives cells away."""
    _, published, sdc = released
    values = {
        k: (None if c.latent or is_primary(c, published.threshold) else c.value)
        for k, c in sdc.cells.items()
    }
    lower = {
        k: 1
        for k, v in values.items()
        if v is None and not sdc.cells[k].latent and sdc.cells[k].value >= 1
    }
    recovered = attack(values, sdc.relations, lower, integral=True)
    recovered = {k: v for k, v in recovered.items() if not sdc.cells[k].latent}
    assert recovered
    for key, value in recovered.items():
        assert value == sdc.cells[key].value


def test_the_search_in_two_processes_withholds_what_one_search_withholds(released, monkeypatch):
    """``protect_parts`` shares the groups of cells no relation joins out between two
    processes; the cells withheld and the witnesses found are those of one search of all."""
    from bangfu import disclosure_parts, forked
    from bangfu.disclosure import Protector

    _, published, sdc = released
    related = {k for r in sdc.relations for k in (r.total, *r.parts)}
    cells = {k: sdc.cells[k] for k in related}
    one = Protector(cells, sdc.relations)
    withheld = one.run(published.threshold)
    assert withheld and one.stats["move"] > 0

    jobs, start = [], forked.start

    def recorded(*args, **kwargs):
        jobs.append(start(*args, **kwargs))
        return jobs[-1]

    monkeypatch.setattr(forked, "start", recorded)
    monkeypatch.setattr(disclosure_parts, "PARTS_MIN", 1)
    monkeypatch.setenv("BANGFU_WORKERS", "2")
    got, stats = disclosure_parts.protect_parts(cells, sdc.relations, published.threshold)
    assert [job.forked for job in jobs] == [True]  # the second part ran in a child
    assert got == withheld
    assert stats == one.stats


def test_no_related_cell_is_no_search():
    """A release with no relation among its cells (a ledger with no village yet) has no cell
    to search: nothing is withheld, and every kind of witness is counted zero."""
    from bangfu import disclosure_parts
    from bangfu.disclosure import Protector

    got, stats = disclosure_parts.protect_parts({}, [], 3)
    assert got == frozenset()
    assert stats == Protector({}, []).stats


def _place_inequality(r: Relation) -> bool:
    return any(p[0] == "latent" and p[1][0] == "place" for p in r.parts)


def test_the_second_search_covers_only_the_place_hierarchy_and_agrees_with_a_whole_one(
    released, request
):
    """When the first search needs its last resort, ``decide`` searches again without the
    place inequalities, but only the groups of cells such an inequality touches; the other
    groups keep the first answer. The cells withheld are those of a second search of every
    cell (what ``decide`` did before)."""
    from bangfu.disclosure_parts import connected, protect_parts

    _, published, sdc = released
    t = published.threshold

    def search(relations):
        related = {k for r in relations for k in (r.total, *r.parts)}
        got, stats = protect_parts({k: sdc.cells[k] for k in related}, relations, t)
        alone = {
            k
            for k, c in sdc.cells.items()
            if k not in related and not c.latent and is_primary(c, t)
        }
        return frozenset(alone) | got, stats

    first, stats = search(sdc.all_relations)
    if request.node.callspec.params["released"] == "demo":
        assert stats["scaled"]  # this ledger's places need the last resort
    if not stats["scaled"]:
        assert sdc.relations == sdc.all_relations and sdc.withheld == first
        return
    in_force = [r for r in sdc.all_relations if not _place_inequality(r)]
    assert sdc.relations == in_force
    assert sdc.withheld == search(in_force)[0]
    touched = connected(sdc.all_relations, [r for r in sdc.all_relations if _place_inequality(r)])
    related = {k for r in sdc.all_relations for k in (r.total, *r.parts)}
    assert touched and len(touched) < len(related)  # the plans' rows are not searched again


def test_the_plans_stars_are_apart_and_answered_as_the_whole_search_answers_them(released):
    """``decide`` answers a plan's stars (its total and its rows) without the search: that
    holds because no cell of theirs is in another relation, and they are most of the cells.
    Their answer is one search's answer over every identity (``protect_parts``)."""
    from bangfu.disclosure_parts import protect_parts

    _, published, sdc = released
    starred = {id(r) for r in sdc.stars}
    assert sdc.stars and all(r in sdc.all_relations for r in sdc.stars)
    in_stars = [k for r in sdc.stars for k in (r.total, *r.parts)]
    elsewhere = {k for r in sdc.all_relations if id(r) not in starred for k in (r.total, *r.parts)}
    assert len(in_stars) == len(set(in_stars)) and not set(in_stars) & elsewhere
    assert {k[0] for k in in_stars} == {"plan", "plan_target", "entries_row"}
    related = {k for r in sdc.relations for k in (r.total, *r.parts)}
    whole, _ = protect_parts({k: sdc.cells[k] for k in related}, sdc.relations, published.threshold)
    assert {k for k in sdc.withheld if k in set(in_stars)} == whole & set(in_stars)
    assert whole & set(in_stars)  # the stars hold withheld cells: the comparison is not empty


def test_connected_follows_relations_across_shared_cells():
    from bangfu.disclosure_parts import connected

    rels = [
        Relation(("a",), (("b",), ("c",))),
        Relation(("c",), (("d",),)),
        Relation(("x",), (("y",),)),
    ]
    assert connected(rels, [rels[1]]) == {("a",), ("b",), ("c",), ("d",)}
    assert connected(rels, [rels[2]]) == {("x",), ("y",)}
    assert connected(rels, []) == set()
