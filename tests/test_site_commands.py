"""Every ``bangfu …`` command the site shows in a code block runs, as written, on the data the
site was built from; ``bangfu new report`` takes the county from the plan."""

from __future__ import annotations

import html
import re
import shlex
import shutil
from pathlib import Path

import pytest

from .conftest import bangfu, make_case

BLOCK = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S)


@pytest.fixture(scope="module")
def demo(demo_data, demo_site) -> tuple[Path, Path]:
    """(demo folder holding data/ and schemas/, the site built from it): the run's shared demo
    corpus and site (read-only; each block below works on a copy)."""
    return demo_data.parent, demo_site


def site_commands(site: Path) -> list[tuple[str, list[list[str]]]]:
    """(page, the block's bangfu commands) for every code block that shows one."""
    out = []
    for page in sorted(site.rglob("*.html")):
        for block in BLOCK.findall(page.read_text("utf-8")):
            text = html.unescape(re.sub(r"<[^>]+>", "", block))
            cmds = []
            for line in text.splitlines():
                line = line.split("#", 1)[0].strip()
                if line.startswith("bangfu "):
                    cmds.append(shlex.split(line)[1:])
            if cmds:
                out.append((page.relative_to(site).as_posix(), cmds))
    return out


def test_every_bangfu_command_shown_on_the_site_runs(demo, tmp_path):
    folder, site = demo
    blocks = site_commands(site)
    shown = {cmd[0] for _, cmds in blocks for cmd in cmds}
    # the contribute page shows the record route and the spreadsheet route
    assert {"new", "check", "fmt", "template", "export-forms", "import", "status"} <= shown
    for i, (page, cmds) in enumerate(blocks):
        work = tmp_path / f"block{i}"
        shutil.copytree(folder, work)  # each block on a fresh copy; its lines in order
        for cmd in cmds:
            res = bangfu(*cmd, cwd=work, timeout=300)
            assert res.returncode == 0, (page, cmd, res.stdout[-2000:], res.stderr[-2000:])


def test_contribute_page_shows_code_blocks_not_inline_fences(demo):
    page = (demo[1] / "contribute.html").read_text("utf-8")
    assert "```" not in page and "<code>bash" not in page
    assert page.count("<pre") >= 4
    assert 'id="corrections"' in page


def test_new_report_takes_the_county_from_the_plan(tmp_path):
    root = make_case(tmp_path, None)
    res = bangfu("new", "report", "--plan", "tp-one", "--period", "2024-05", cwd=root)
    assert res.returncode == 0, res.stderr
    assert (root / "data/plans/tc-alpha/tp-one/reports/2024-05.yaml").is_file()


def test_new_report_refuses_a_county_that_is_not_the_plans(tmp_path):
    root = make_case(tmp_path, None)
    res = bangfu(
        "new", "report", "--plan", "tp-one", "--county", "tc-other", "--period", "2024-06", cwd=root
    )
    assert res.returncode == 2 and "tc-alpha" in res.stderr
    assert not list((root / "data/plans").rglob("2024-06.yaml"))


def test_new_report_for_an_unknown_plan_says_so(tmp_path):
    root = make_case(tmp_path, None)
    res = bangfu("new", "report", "--plan", "tp-nowhere", "--period", "2024-05", cwd=root)
    assert res.returncode == 2 and "tp-nowhere" in res.stderr and "Traceback" not in res.stderr
