"""Who must approve a change: CODEOWNERS generated from the data.

A county record's ``supervisors`` (GitHub handles) own that county's households and plans
(reports included) and the organizations registered in it. Everything else — schemas, code,
workflows, tests, policy, sources, campaigns, county records themselves — belongs to the
maintainers listed in ``.github/maintainers.txt`` (one handle per line, ``#`` comments).
Counties that name no supervisors yet route to the maintainers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..load import iter_files
from ..readone import read_record
from ..schema import id_pattern

MAINTAINERS_FILE = ".github/maintainers.txt"
CODEOWNERS_FILE = ".github/CODEOWNERS"
# used only when the repository has no maintainers file; a placeholder team, not a person
DEFAULT_MAINTAINERS = ("@bangfu-ledger/maintainers",)
HANDLE = re.compile(r"@[A-Za-z0-9][A-Za-z0-9-]{0,38}(/[A-Za-z0-9._-]{1,100})?\Z")
MAINTAINER_PATHS = (
    "/schemas/",
    "/scripts/",
    "/.github/",
    "/tests/",
    "/data/policy/",
    "/data/sources/",
    "/data/campaigns/",
    "/data/counties/",
    "/data/organizations/",
)


def parse_maintainers(text: str | None) -> tuple[str, ...]:
    if text is None:
        return DEFAULT_MAINTAINERS
    out: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        out.extend(h for h in line.split() if HANDLE.match(h) and h not in out)
    return tuple(out) or DEFAULT_MAINTAINERS


def handles(value) -> tuple[str, ...]:
    """Valid, distinct handles from a county record's ``supervisors`` (invalid ones are the
    checker's business and are left out here)."""
    out: list[str] = []
    for h in value if isinstance(value, list) else []:
        if isinstance(h, str) and HANDLE.match(h) and h not in out:
            out.append(h)
    return tuple(out)


@dataclass
class Routing:
    maintainers: tuple[str, ...]
    supervisors: dict[str, tuple[str, ...]] = field(default_factory=dict)  # county → handles
    county_names: dict[str, str] = field(default_factory=dict)
    org_county: dict[str, str] = field(default_factory=dict)  # organization → county

    def county_of(self, path: str) -> str | None:
        parts = path.split("/")
        if len(parts) >= 3 and parts[0] == "data" and parts[1] in ("households", "plans"):
            return parts[2]
        if (
            len(parts) == 3
            and parts[:2] == ["data", "organizations"]
            and parts[2].endswith(".yaml")
        ):
            return self.org_county.get(parts[2][: -len(".yaml")])
        return None

    def owners(self, path: str, county: str | None = None) -> tuple[tuple[str, ...], str | None]:
        """(handles, county) for a repository path; ``county`` overrides the path's county
        (for an organization record not yet known to the routing)."""
        county = county or self.county_of(path)
        if county and self.supervisors.get(county):
            return self.supervisors[county], county
        return self.maintainers, county


def from_data(data_root: Path, maintainers_text: str | None) -> Routing:
    r = Routing(parse_maintainers(maintainers_text))
    for folder, kind in (("counties", "county"), ("organizations", "organization")):
        base = data_root / folder
        if not base.is_dir():
            continue
        for path in iter_files(base):
            if path.suffix != ".yaml":
                continue
            rec = read_record(path, data_root)
            if (
                not isinstance(rec.data, dict)
                or rec.id is None
                or not id_pattern().fullmatch(rec.id)
            ):
                continue
            if kind == "county":
                r.supervisors[rec.id] = handles(rec.data.get("supervisors"))
                r.county_names[rec.id] = str(rec.data.get("name") or "")
            elif isinstance(rec.data.get("county"), str) and path.stem == rec.id:
                r.org_county[rec.id] = rec.data["county"]
    return r


def render(r: Routing) -> str:
    m = " ".join(r.maintainers)
    lines = [
        "# 由 `bangfu codeowners` 根据 data/counties/*.yaml 的 supervisors（审核人）和",
        f"# {MAINTAINERS_FILE}（维护者）生成，请勿手工修改；改了数据后重新运行 bangfu codeowners。",
        "# 后面的规则优先。没有登记审核人的区县由维护者审核。",
        "",
        f"* {m}",
    ]
    lines += [f"{p} {m}" for p in MAINTAINER_PATHS]
    lines += ["", "# 各区县的帮扶户、方案和进度报告"]
    for county in sorted(r.supervisors):
        owners = " ".join(r.supervisors[county] or r.maintainers)
        name = " ".join(r.county_names.get(county, "").split())[:50]  # one comment line
        lines.append(f"# {county} {name}".rstrip())
        lines.append(f"/data/households/{county}/ {owners}")
        lines.append(f"/data/plans/{county}/ {owners}")
    orgs = [(o, c) for o, c in sorted(r.org_county.items()) if r.supervisors.get(c)]
    if orgs:
        lines += ["", "# 登记在有审核人的区县的帮扶主体"]
        lines += [f"/data/organizations/{o}.yaml {' '.join(r.supervisors[c])}" for o, c in orgs]
    return "\n".join(lines) + "\n"
