"""Where the pages of villages, plans and campaigns live, so that every page links its
neighbours (county ↔ township ↔ village ↔ plan ↔ organization ↔ campaign) the same way.

A key village (on any key list) has its own page; another village is shown on its county's
page. Every plan and every campaign of the ledger has a page. Paths are the final ``.html``
paths relative to a page at ``depth``.
"""

from __future__ import annotations

from ..aggregate.columns import NOT_RECORDED
from .context import SiteContext
from .text import esc, link


def has_village_page(ctx: SiteContext, vid: str) -> bool:
    v = ctx.model.villages.get(vid)
    return bool(v and v.key_lists)


def village_href(ctx: SiteContext, vid: str, depth: int) -> str | None:
    v = ctx.model.villages.get(vid)
    if v is None:
        return None
    if v.key_lists:
        return f"{ctx.up(depth)}villages/{vid}.html"
    return ctx.county_href(v.county, depth)


def plan_href(ctx: SiteContext, pid: str, depth: int) -> str:
    return f"{ctx.up(depth)}plans/{pid}.html"


def campaign_href(ctx: SiteContext, cid: str, depth: int) -> str:
    return f"{ctx.up(depth)}campaigns/{cid}.html"


def village_link(ctx: SiteContext, vid: str, depth: int) -> str:
    href = village_href(ctx, vid, depth)
    name = ctx.village_name(vid)
    return link(href, name) if href else esc(name)


def plan_link(ctx: SiteContext, pid: str, depth: int) -> str:
    if ctx.model.get("plan", pid) is None:
        return esc(pid)
    return link(plan_href(ctx, pid, depth), ctx.name("plan", pid))


def campaign_link(ctx: SiteContext, cid: str | None, depth: int) -> str:
    if not cid:
        return "—"
    if ctx.model.get("campaign", cid) is None:
        return esc(cid)
    return link(campaign_href(ctx, cid, depth), ctx.name("campaign", cid))


def org_link(ctx: SiteContext, oid: str, depth: int) -> str:
    if ctx.model.get("organization", oid) is None:
        return esc(oid)
    return link(ctx.org_href(oid, depth), ctx.name("organization", oid))


def county_link(ctx: SiteContext, cid: str | None, depth: int) -> str:
    if not cid:
        return "—"
    if ctx.model.get("county", cid) is None:
        return esc(cid)
    return link(ctx.county_href(cid, depth), ctx.county_name(cid))


def count(ctx: SiteContext, v) -> str:
    """A count from a table as a page shows it: 台账中无记录 (``NOT_RECORDED``, None) as the
    dash, a withheld one as the marker."""
    return ctx.count(None if v is NOT_RECORDED else v)
