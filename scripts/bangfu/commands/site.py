"""Sub-commands ``bangfu site`` (the public website) and ``bangfu status`` (monitoring
figures for supervisors)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from ..cli import command, common, config
from ..config import AS_OF_ENV, parse_date


def _explicit_as_of(args):
    value = getattr(args, "as_of", None) or os.environ.get(AS_OF_ENV)
    return parse_date(value, "--as-of") if value else None


def prepared(cfg, as_of, src: Path, tmp: Path):
    """The checked records' pages and open data (``publish.site.prepare``): the part of
    ``bangfu site`` that holds every record, run by a child that ends before MkDocs runs."""
    from .. import collector, forked
    from ..pipeline import Pipeline
    from ..publish.site import prepare
    from ..releases import read as read_releases

    # nothing is read from a household or report once the aggregate has: they let go of it
    pipeline = Pipeline(cfg)
    if forked.in_child():  # not freed as this child ends (``collector``); where no child was
        collector.kept(pipeline)  # started, freed on return, before MkDocs runs here
    agg = pipeline.publishable("site", as_of, release=True)
    # the figures and tables, kept until this part ends, out of the collections the pages make
    collector.keep()
    return prepare(agg, src, tmp, releases=read_releases(cfg.data_root, cfg.schemas_dir))


def _site(args) -> int:
    """The records, figures and pages are handed over to a child (``forked.hand_over``);
    this process, which never read a record, runs MkDocs once the child has ended and given
    all that memory back (at 100,000 households, 3 GB that would idle beside MkDocs)."""
    from .. import forked
    from ..publish.site import SiteError, finish, workspace
    from ..publish.text import beijing_text

    t0 = time.perf_counter()
    cfg = config(args)
    out = Path(args.out).resolve()
    try:
        with workspace(out) as tmp:  # a usage error (--out) comes before the check
            with forked.hand_over(
                "网站的页面和开放数据", prepared, cfg, _explicit_as_of(args), Path(args.src), tmp
            ) as job:
                prep = job.wait()
            res = finish(prep, out, t0)
    except SiteError as exc:
        print(f"bangfu site: {exc}", file=sys.stderr)
        return 1
    mark = "（演示数据）" if res.synthetic else ""
    print(
        f"已生成网站{mark}：{res.out}，{res.pages} 个页面，{res.files} 个文件，"
        f"用时 {res.seconds:.1f} 秒；统计日期 {res.as_of.isoformat()}，数据更新于 {beijing_text(res.updated)}。"
    )
    return 0


def _site_args(p):
    p.add_argument(
        "--out", default="public", help="网站输出文件夹（默认 public；开放数据写入其中的 data/）"
    )
    p.add_argument(
        "--src",
        default="build/site-src",
        help="生成的 Markdown 页面和 mkdocs.yml 放在这里（默认 build/site-src，不提交）",
    )
    common(p)
    p.set_defaults(as_of=None)


command("site", "生成公开网站（MkDocs，--strict）和开放数据；数据有错误时不生成", _site_args)(_site)


def _status(args) -> int:
    from .. import status_report
    from ..collector import kept
    from ..pipeline import Pipeline

    cfg = config(args)
    pipe = kept(Pipeline(cfg, skip_invalid=True))  # figures of the valid records, even with errors
    m = pipe.model
    scope = status_report.scope_of(m, args.county, args.township)  # a usage error first
    st = pipe.aggregate(cfg.as_of).status
    if args.format == "json":
        doc = status_report.as_json(m, st, scope)
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(status_report.as_csv(m, st, scope))
    else:
        sys.stdout.write(status_report.as_text(m, st, scope))
    return 0


def _status_args(p):
    p.add_argument("--format", choices=["text", "json", "csv"], default="text", help="输出格式")
    p.add_argument("--county", default=None, metavar="区县编号", help="只看这个区县")
    p.add_argument("--township", default=None, metavar="乡镇编号", help="只看这个乡镇")
    common(p)


command(
    "status",
    "监测情况（统计日期当天的快照）：各区县概况、逾期未回访的户（按户编号）、预警等级、"
    "各帮扶主体报送及时性",
    _status_args,
)(_status)
