"""最近更新 and its Atom feed (``feed.xml``): the data releases (git tags) with the number of
public-table rows added, changed and removed, and of records corrected, since the release
before (``bangfu.releases.read``, run by ``bangfu site``). Deterministic: every date comes from a tag, or, with no release,
from the data's last change (``SiteContext.updated``) — never from the clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from .context import SiteContext
from .text import WIDE, esc, front, table

if TYPE_CHECKING:
    from ..releases import Release, Releases

FEED = "feed.xml"
PAGE = "changes.md"
FEED_ID = "urn:bangfu-ledger:changes"
NOT_READ = "本次构建没有读取数据仓库的发布记录。"


def anchor(r: Release) -> str:
    return "release-" + quote(r.tag, safe="").replace("%", "-")


def summary(r: Release) -> str:
    return (
        f"新增 {r.added} 条、修改 {r.changed} 条、删除 {r.removed} 条记录（公开数据表中的行），"
        f"更正 {r.corrected} 条记录"
    )


def _since(r: Release) -> str:
    return f"与上一次发布 {r.previous} 相比" if r.previous else "第一次发布：全部记录都算新增"


def changes_page(ctx: SiteContext, rel: Releases | None) -> str:
    out = [
        front("最近更新", **WIDE),
        "# 最近更新",
        "",
        "每次数据发布（数据仓库中的一个 Git 标签）与上一次发布相比，公开数据表中新增、修改和删除的行数，"
        "以及新增了更正说明的记录数（进度报告等公开记录；户记录的更正不公开，也不计数）。"
        f'也可以订阅 <a href="{FEED}">Atom 订阅源 <code>{FEED}</code></a>。',
        "",
    ]
    if rel is None:
        return "\n".join([*out, NOT_READ, ""]) + "\n"
    if not rel.releases:
        return "\n".join([*out, esc(rel.note or NOT_READ), ""]) + "\n"
    rows = [
        [
            f'<a href="#{esc(anchor(r))}">{esc(r.tag)}</a>',
            esc(r.date[:10]),
            f"<code>{esc(r.commit[:12])}</code>",
            f"{r.added:,}",
            f"{r.changed:,}",
            f"{r.removed:,}",
            f"{r.corrected:,}",
        ]
        for r in rel.releases
    ]
    out.append(
        table(
            ["发布", "日期", "提交", "新增", "修改", "删除", "更正"],
            rows,
            numeric={3, 4, 5, 6},
            cls="bf-table bf-releases",
        )
    )
    if rel.older:
        out += [f"更早的 {rel.older} 次发布没有列出。", ""]
    out += [
        "“新增”“修改”“删除”按数据表的主键逐行比较（同一天的统计口径）；"
        "户数、金额等汇总数字的变化也算修改。“更正”是新增了更正说明的记录数。",
        "",
    ]
    for r in rel.releases:
        out += [f'<h2 id="{esc(anchor(r))}">{esc(r.tag)}（{esc(r.date[:10])}）</h2>', ""]
        out += [f"<p>{esc(_since(r))}：{esc(summary(r))}。</p>", ""]
        trows = [
            [
                esc(t.title),
                f"<code>{esc(name)}</code>",
                f"{t.added:,}",
                f"{t.changed:,}",
                f"{t.removed:,}",
            ]
            for name, t in r.tables.items()
            if t.added or t.changed or t.removed
        ]
        if trows:
            out.append(table(["表", "文件", "新增", "修改", "删除"], trows, numeric={2, 3, 4}))
        else:
            out += ["公开数据表没有变化。", ""]
    return "\n".join(out) + "\n"


def _x(text: str) -> str:
    return xml_escape(text)


def feed(ctx: SiteContext, rel: Releases | None) -> str:
    """The Atom feed (RFC 4287): one entry per release, newest first."""
    releases = rel.releases if rel else []
    updated = releases[0].date if releases else ctx.updated
    title = "结对帮扶公开台账 · 最近更新" + ("（演示数据）" if ctx.synthetic else "")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
        f"  <id>{FEED_ID}</id>",
        f"  <title>{_x(title)}</title>",
        f"  <updated>{_x(updated)}</updated>",
        f'  <link rel="self" type="application/atom+xml" href="{FEED}"/>',
        '  <link rel="alternate" type="text/html" href="changes.html"/>',
        "  <author><name>结对帮扶公开台账</name></author>",
    ]
    for r in releases:
        lines += [
            "  <entry>",
            f"    <id>{_x(FEED_ID)}:{_x(quote(r.tag, safe=''))}:{_x(r.commit)}</id>",
            f"    <title>{_x(f'数据发布 {r.tag}：{summary(r)}')}</title>",
            f"    <updated>{_x(r.date)}</updated>",
            f'    <link rel="alternate" type="text/html" href={quoteattr("changes.html#" + anchor(r))}/>',
            f'    <summary type="text">{_x(_since(r) + "：" + summary(r) + "。")}</summary>',
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def pages(ctx: SiteContext, rel: Releases | None) -> dict[str, str]:
    return {PAGE: changes_page(ctx, rel)}
