"""Disclosure control of the aggregate: every published figure about households becomes a
cell of ``bangfu.disclosure``, with the identities that tie cells together across levels and
tables; the cells it withholds are replaced by ``WITHHELD`` in the tables and the site's cells.

Cells and what they concern (``households``):

- place figures (households, monitored, paired, due, done, overdue, with income projects, by
  category) at village, township, county and ledger level — the households counted;
  identities: a parent is the sum of its children, and monitored is the sum of its categories
  where every monitored household has a category;
- delivered amounts and visits of a place — the households that household entries reached
  (or were visited in the year); an amount that includes deliveries to the village itself is
  not about particular households; identities: the place hierarchy;
- plan targets by village and in total; a plan's delivered amount and its report-entry rows
  (plan × period × kind: households reached, entries, amount) — identity: the plan's amount
  is the sum of its rows';
- progress (village × month × category): monitored, paired and visited households; entries
  and amounts concern the households visited;
- warning tiers by county and households paired by campaign and county.

The same figure shown in two places (a village's households in ``villages.csv`` and on its
county page) is one cell, so it is withheld everywhere or nowhere.

Figures no identity ties to any other published figure (``BY_ROW``: every column of
``progress``; households and entries of ``report_entries``) can only be given away by
themselves: the primary rule decides each, row by row, with no cell and no search (at a
province's size they are most of the figures). A relation naming one is refused.

No identity joins a place figure to a plan's, a tier's or a campaign's, nor one plan's figure
to another plan's, so the decision comes in parts searched on their own: the place figures
(``decide_places``), the tiers' and campaigns' cells, and the plans in shares of
``SHARE_PLANS`` (``PlanShares``). ``compute`` starts a second process once the tables are
built (``start``): it decides the place figures, then takes shares of plans; this process
decides the tiers and campaigns, then takes shares too, until none is left (``protect``).
The answer is the union of the parts' answers, whichever process decided which share.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from .. import collector, forked
from ..disclosure import Relation, is_primary, is_small
from ..disclosure_parts import connected, is_star, protect_parts, solve_stars
from .columns import WITHHELD
from .protect_cells import Cells, Inputs, reach
from .protect_plans import Marks, PlanShares, marks_of, plan_cells
from .withhold import apply

PLACE_COUNTS = ("households", "monitored", "paired", "due", "done", "overdue", "income_project")
LEVEL = {0: "village", 1: "township", 3: "county", 7: "total"}


def inputs(store) -> Inputs:
    return Inputs(
        store.dicts("SELECT * FROM fig ORDER BY level, county, township, village"),
        store.dicts(
            "SELECT level, county, township, village, category, households FROM fig_category"
            " ORDER BY level, county, township, village, category"
        ),
        store.rows("SELECT plan, reached, own_amount FROM plan_fig ORDER BY plan"),
    )


def _place_key(measure: str, level: int, county, township, village) -> tuple:
    name = LEVEL[level]
    pid = {"village": village, "township": township, "county": county, "total": ""}[name]
    return ("place", measure, name, pid)


def _places(c: Cells, inp: Inputs) -> None:
    """Place figures and their hierarchy: village → township → county → total."""
    children: dict[tuple, list[tuple]] = defaultdict(list)  # (level, id) → child (level, id)
    for r in inp.fig:
        lvl, co, to, vi = r["level"], r["county"], r["township"], r["village"]
        here = _place_key("", lvl, co, to, vi)[2:]
        up = {0: (1, co, to, None), 1: (3, co, None, None), 3: (7, None, None, None)}.get(lvl)
        if up:
            children[_place_key("", *up)[2:]].append(here)
        for m in PLACE_COUNTS:
            c.add(("place", m, *here), r[m])
        # an amount with deliveries to the village itself is not about particular households
        amount_hh = r["reached"] if not r["own_amount"] else max(r["reached"], c.t)
        c.add(("place", "delivered", *here), r["delivered"], amount_hh)
        c.add(("place", "visits", *here), r["visits"], r["visited"])
    for r in inp.fig_category:
        key = _place_key("", r["level"], r["county"], r["township"], r["village"])[2:]
        c.add(("category", r["category"], *key), r["households"])
    categories = {k[1] for k in c.cells if k[0] == "category"}
    for parent, kids in children.items():
        for m in (*PLACE_COUNTS, "delivered", "visits"):
            c.relate(("place", m, *parent), [("place", m, *k) for k in kids])
        for cat in categories:
            c.relate(("category", cat, *parent), [("category", cat, *k) for k in kids])
    places = {k[2:] for k in c.cells if k[0] == "place"}
    for place in sorted(places, key=repr):
        for small, big in (
            ("monitored", "households"),
            ("paired", "households"),
            ("income_project", "households"),
            ("done", "due"),
            ("overdue", "monitored"),
        ):
            c.at_most(("place", small, *place), ("place", big, *place))
    by_place: dict[tuple, list[tuple]] = defaultdict(list)
    for k in list(c.cells):
        if k[0] == "category":
            by_place[k[2:]].append(k)
    for place, keys in by_place.items():
        total = ("place", "monitored", *place)
        if total in c.cells and sum(c.cells[k].value for k in keys) == c.cells[total].value:
            c.relate(total, keys)


def _column(name: str):
    return lambda row, threshold: row[name]


BY_ROW = {  # table → {column: households the figure concerns (row, threshold)}
    "progress": {
        "households_monitored": _column("households_monitored"),
        "households_paired": _column("households_paired"),
        "households_visited": _column("households_visited"),
        "entries": _column("households_visited"),
        "amount_yuan": _column("households_visited"),
    },
    "report_entries": {"households_reached": _column("households_reached"), "entries": reach},
}
# No inequality is stated inside a progress or report-entries row (paired <= monitored,
# visited <= entries): the rows are tied to nothing else, and the primary rule already
# withholds every cell an inequality could pin — a withheld count is at least 1, so it is
# pinned only by a published partner of 1, and a partner of 1 concerns one household
# (entries and amounts concern the households visited), so it is withheld too.


def by_row(agg) -> None:
    """The primary rule over the ``BY_ROW`` columns of the tables, in place."""
    t = agg.threshold
    for name, columns in BY_ROW.items():
        rules = list(columns.items())
        for row in agg.tables[name].rows:
            small = [
                col
                for col, households in rules
                if row[col] is not None and is_small(households(row, t), t)
            ]  # all read before any is withheld: a column is another's households
            for col in small:
                row[col] = WITHHELD


def place_cells(threshold: int, inp: Inputs) -> Cells:
    """The place figures' cells and identities (``_places``): they read only ``inp``."""
    c = Cells(threshold)
    _places(c, inp)
    return c


def other_cells(agg, inp: Inputs) -> Cells:
    """Every other cell: the plans' (``protect_plans.plan_cells``, all in one), the tiers'
    and the campaigns'. No identity ties one of them to a place figure."""
    shares = PlanShares(agg, inp)
    every = [plan for share in shares.shares for plan in share]
    return rest_cells(agg).merge(plan_cells(agg.threshold, shares, every))


def rest_cells(agg) -> Cells:
    """The tiers' and the campaigns' cells (in no identity)."""
    c = Cells(agg.threshold)
    for county, tiers in agg.status.tiers.items():
        for tier, n in tiers.items():
            c.add(("tier", county, tier), n)
    for (camp, county), n in agg.figs.campaign_paired.items():
        c.add(("campaign_paired", camp, county), n)
    return c


def withheld_plans(threshold: int, shares: PlanShares) -> Marks:
    """Where the cells to withhold are, of every share of plans that no process has taken
    yet, taken one by one until none is left (``PlanShares.take``)."""
    out: Marks = defaultdict(list)
    while (plans := shares.take()) is not None:
        c = plan_cells(threshold, shares, plans)
        for where, rows in marks_of(c, _decided(c, threshold)).items():
            out[where] += rows
    return dict(out)


def cells_of(agg, inp: Inputs) -> Cells:
    """All the cells and identities, the place figures' first."""
    return place_cells(agg.threshold, inp).merge(other_cells(agg, inp))


def _place_inequality(r: Relation) -> bool:
    return any(p[0] == "latent" and p[1][0] == "place" for p in r.parts)


Decision = tuple[Cells, list[Relation], frozenset]  # the cells, the identities in force, withheld


def decide(agg, inp: Inputs) -> Decision:
    """The cells, the identities in force and the cells to withhold, all in this process:
    the place figures' decision (``decide_places``) and the others' (``decide_others``)
    together. No identity joins the two, so each is searched on its own
    (``disclosure_parts``: groups no relation joins are searched independently); ``protect``
    gets the same answer from parts shared out between two processes (see the module text)."""
    c, relations, withheld = decide_places(agg.threshold, inp)
    rest, rest_relations, rest_withheld = decide_others(agg, inp)
    return c.merge(rest), relations + rest_relations, withheld | rest_withheld


def decide_places(threshold: int, inp: Inputs) -> Decision:
    """The place figures: a cell in no identity can only be given away by itself, so the
    primary rule decides it; the others go through complementary suppression. When the
    inequalities between a place's columns leave the witness search no way but its last
    resort (withholding every connected cell, ``stats["scaled"]``), they are left out and the
    search runs again, over only the cells tied to such an inequality: the hierarchies are
    always kept, and the groups no inequality touches have the same cells and identities in
    both searches, so the first search's answer for them stands."""
    c = place_cells(threshold, inp)
    if threshold <= 1:
        return c, list(c.relations), frozenset()
    tied, stats = _search(c, c.relations, None, threshold)
    relations = c.relations
    if stats.get("scaled"):
        touched = connected(relations, [r for r in relations if _place_inequality(r)])
        relations = [r for r in relations if not _place_inequality(r)]
        again, _ = _search(c, relations, touched, threshold)
        tied = (tied - touched) | again
    return c, list(relations), _alone(c, relations) | tied


def decide_others(agg, inp: Inputs) -> Decision:
    """The plans', tiers' and campaigns' cells, decided in one process (``protect`` shares
    the plans' out: ``withheld_plans``)."""
    c = other_cells(agg, inp)
    return c, list(c.relations), _decided(c, agg.threshold)


def _decided(c: Cells, threshold: int) -> frozenset:
    """The cells of ``c`` to withhold, where no identity ties one to a place figure. The
    plans' stars (``Cells.stars``: a plan's total and its rows) are each answered on their
    own (``disclosure_parts.solve_stars``, as the search would); the search covers only the
    other identities, if any."""
    if threshold <= 1:
        return frozenset()
    stars = [r for r in c.stars if is_star(c.cells, r)]
    starred = {id(r) for r in stars}
    searched = [r for r in c.relations if id(r) not in starred]
    tied, _ = _search(c, searched, None, threshold) if searched else (frozenset(), None)
    solved: set = set()
    solve_stars(c.cells, stars, threshold, solved, Counter())
    return _alone(c, c.relations) | tied | solved


def _alone(c: Cells, relations: list[Relation]) -> frozenset:
    """The cells in none of ``relations`` that the primary rule withholds."""
    related = {k for r in relations for k in (r.total, *r.parts)}
    return frozenset(k for k, cell in c.cells.items() if k not in related and is_primary(cell, c.t))


def withheld_places(threshold: int, inp: Inputs) -> frozenset:
    """The place figures' cells to withhold (``decide_places``), alone."""
    with collector.held():  # cells and identities, in no cycle
        return decide_places(threshold, inp)[2]


def second_half(threshold: int, inp: Inputs, shares: PlanShares) -> tuple[frozenset, Marks]:
    """What the second process decides: the place figures (``withheld_places``), then the
    shares of plans this process has not taken (``withheld_plans``)."""
    with collector.held():  # across both: a collection between them walked every cell
        return withheld_places(threshold, inp), withheld_plans(threshold, shares)


def start(threshold: int, inp: Inputs, shares: PlanShares) -> forked.Job:
    """The second half (``second_half``) in a second process where one is free
    (``forked.start``; else now, here), while this one decides the rest (``protect``). It
    reads only the store's place figures (``inputs``) and the plans' rows (``shares``, made
    before it starts)."""
    return forked.start("披露控制", second_half, threshold, inp, shares)


def _search(c: Cells, relations: list[Relation], within: set | None, threshold: int):
    """The complementary search over the cells in ``relations`` (those in ``within`` only,
    with the relations among them, when given)."""
    if within is not None:
        relations = [r for r in relations if r.total in within]
    related = {k for r in relations for k in (r.total, *r.parts)}
    return protect_parts({k: c.cells[k] for k in related}, relations, threshold)


def protect(agg, inp: Inputs, half: forked.Job | None = None, shares: PlanShares | None = None):
    """Withhold what disclosure control decides, in the tables and the site's figures, in
    place; ``half``: the second half already started (``start``) with ``shares``. This
    process decides the tiers' and campaigns' cells, then takes shares of plans until none
    is left."""
    # a million cells and identities in no cycle: the collector held off while they are made,
    # and they are freed before it runs again (it would walk them all once more)
    with collector.held():
        if shares is None:
            shares = PlanShares(agg, inp)
        withheld = _decided(rest_cells(agg), agg.threshold)
        marks = withheld_plans(agg.threshold, shares)  # reads the rows' exact figures:
        by_row(agg)  # before by_row
        placed, theirs = (
            half.wait() if half is not None else second_half(agg.threshold, inp, shares)
        )
        apply(agg, withheld | placed, [marks, theirs])
        del withheld, placed, marks, theirs
