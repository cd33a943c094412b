"""The monitoring status (``bangfu status``, the organization pages), read from the aggregate
store: revisits, warning tiers, report timeliness and the per-place snapshot as ``figures.sql``
defines them."""

from __future__ import annotations

from collections import Counter, defaultdict

from ..monitor import PLACE_FIGURES, PeriodReport, Revisit, Status

# the tables of figures.sql that ``read`` reads (``status_of`` builds only these)
TABLES = (
    "ledger",
    "fig",
    "revisit",
    "tier",
    "period_state",
    "org_timeliness",
    "status_place",
    "status_periods",
)


def read(store) -> Status:
    st = Status(as_of=store.as_of)
    ((st.households_recorded,),) = store.rows("SELECT households_recorded FROM ledger")
    ((st.monitored,),) = store.rows("SELECT COALESCE(sum(monitored), 0) FROM fig WHERE level = 7")
    st.revisits = [
        Revisit(hid, vid, cid, status, last, due, overdue, interval, start, tuple(contacts or ()))
        for hid, vid, cid, status, last, due, overdue, interval, start, contacts in store.rows(
            "SELECT household, village, county, status, last, due, days_overdue, interval,"
            " start, contacts FROM revisit ORDER BY county, village, household"
        )
    ]
    tiers: dict[str, Counter] = defaultdict(Counter)
    for county, tier, n in store.rows("SELECT county, tier, households FROM tier ORDER BY 1, 2"):
        tiers[county][tier] = n
    st.tiers = dict(tiers)
    st.periods = [
        PeriodReport(*row)
        for row in store.rows(
            'SELECT plan, label, start, "end", due, submitted, state, due_time, submitted_time'
            " FROM period_state ORDER BY plan, start, label"
        )
    ]
    by_org: dict[str, Counter] = defaultdict(Counter)
    for org, state, n in store.rows(
        "SELECT organization, state, periods FROM org_timeliness ORDER BY 1, 2"
    ):
        by_org[org][state] = n
    st.by_org = dict(by_org)
    cols = ", ".join(PLACE_FIGURES)
    for row in store.rows(
        f"SELECT county, township, level, {cols} FROM status_place"
        " WHERE level = 1 OR township IS NOT NULL ORDER BY county, level DESC, township"
    ):
        county, township, level, *figs = row
        st.places[(county, township if level == 0 else None)] = dict(
            zip(PLACE_FIGURES, figs, strict=True)
        )
    periods: dict[tuple, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for county, township, level, org, state, n in store.rows(
        "SELECT county, township, level, organization, state, periods FROM status_periods"
        " ORDER BY county, level DESC, township, organization, state"
    ):
        periods[(county, township if level == 0 else None)][org][state] = n
    st.place_periods = {k: dict(v) for k, v in periods.items()}
    return st
