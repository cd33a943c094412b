"""Synthetic corpora at county and province scale, for the benchmark.

The same record shapes as ``bangfu demo`` (households, demo organizations, one demo campaign,
pairing plans of eight households, monthly progress reports), over the real reference data,
but generated village by village with a random generator seeded by (seed, village), so the
work splits across processes and the output is the same whatever the number of workers.
Every record carries ``synthetic: true`` and is written in the canonical layout.

With ``province`` the places are not the reference ones but a synthetic province of that name
(``shape`` = counties × townships per county × villages per township, ``PROVINCE_SHAPE`` unless
given; ids prefixed by a code derived from the name), with its own demo campaign: packages of
different synthetic provinces share no id, so they can be merged into a national package
(``bangfu merge``, ``bangfu bench --merge``).

With a ``shape`` but no ``province`` the reference data stays whole (so the project's own pages,
which speak of its real campaigns and policies, can still be filled) and a synthetic province of
that shape, named ``SHAPED``, is added beside it; every synthetic household lives in its
villages. A province-sized shape (``parse_shape("100x10x10")``) lets the benchmark show costs
that grow with the number of places and organizations, which the reference places (a few
counties) hide.
"""

from __future__ import annotations

import hashlib
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import demo
from .config import Config, UsageError, cores, workers_set
from .pipeline import Pipeline
from .policy import PolicyIndex
from .yamlio import dump_text

HEADER = demo.HEADER


@dataclass(frozen=True, slots=True)
class SynthOptions:
    households: int
    seed: int
    out: Path
    households_per_plan: int = 8
    workers: int = 1
    province: str | None = None  # a synthetic province of this name instead of the reference
    shape: tuple[int, int, int] | None = None  # its places; PROVINCE_SHAPE when None


# counties, townships per county, villages per township of a synthetic province
PROVINCE_SHAPE = (4, 3, 4)
SHAPED = "合成省"  # the synthetic province added beside the reference data (shape, no province)
MAX_VILLAGES = 200_000  # a shape with more villages than this is refused (no real province has)


def parse_shape(text: str) -> tuple[int, int, int]:
    """``"100x10x10"`` (also ``×`` or ``*``) → (counties, townships per county, villages per
    township); a clear error for anything else."""
    parts = text.strip().lower().replace("×", "x").replace("*", "x").split("x")
    try:
        nums = tuple(int(p.strip()) for p in parts)
    except ValueError:
        nums = ()
    if len(nums) != 3 or min(nums) < 1:
        raise UsageError(
            f"地方规模“{text}”应写成 区县数x每县乡镇数x每乡镇村数，三个正整数，如 100x10x10"
        )
    if nums[0] * nums[1] * nums[2] > MAX_VILLAGES:
        raise UsageError(
            f"地方规模“{text}”共 {nums[0] * nums[1] * nums[2]:,} 个村，"
            f"超过上限 {MAX_VILLAGES:,}；请减小其中一个数"
        )
    return (nums[0], nums[1], nums[2])


# set in the parent before the worker processes fork
_STATE: dict = {}


def _write(path: Path, rec: dict) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(dump_text(rec, HEADER))


def _village_job(job: tuple[int, int]) -> dict[str, int]:
    """Households, plans and reports of one village: ``job`` is (village index, households)."""
    from faker import Faker

    vi, n = job
    st = _STATE
    v = st["villages"][vi]
    data: Path = st["data"]
    seed: int = st["seed"]
    per_plan: int = st["per_plan"]
    rng = random.Random(f"{seed}:{v.id}")
    fake = st.get("faker")
    if fake is None:
        fake = st["faker"] = Faker("zh_CN")
    fake.seed_instance(f"{seed}:{v.id}")
    counts = {"household": 0, "plan": 0, "report": 0}
    hdir = data / "households" / v.county / v.id
    hdir.mkdir(parents=True, exist_ok=True)
    members = []
    nv = len(st["villages"])
    for k in range(n):
        hid = demo._hid(seed, vi + k * nv)
        rec, status = demo.household(rng, fake, hid, v, st["policies"], vi + k * nv)
        _write(hdir / f"{hid}.yaml", rec)
        members.append((hid, status))
        counts["household"] += 1
    orgs_here = st["orgs_by_county"][v.county]
    for start in range(0, len(members), per_plan):
        group = members[start : start + per_plan]
        num = start // per_plan + 1
        pid = f"demo-plan-{v.id}-{num}"
        if len(pid) > 64:
            pid = "demo-plan-" + hashlib.sha256(pid.encode()).hexdigest()[:12]
        orgs = rng.sample(orgs_here, k=min(len(orgs_here), rng.choice([1, 1, 2])))
        first_month = rng.randint(1, 4)
        measures = [
            {"kind": kind, "description": desc, "amount": rng.randrange(2000, 60000, 500)}
            for kind, desc in rng.sample(demo.MEASURES, k=rng.randint(1, 3))
        ]
        if len(orgs) == 1:
            form = "一对一" if len(group) == 1 else "一对多"
        else:
            form = "多对一" if len(group) == 1 else "多对多"
        pdir = data / "plans" / v.county / pid
        (pdir / "reports").mkdir(parents=True, exist_ok=True)
        _write(
            pdir / "plan.yaml",
            {
                "id": pid,
                "name": f"（演示）{v.name}结对帮扶方案 {num}",
                "county": v.county,
                "campaign": st["campaign"],
                "form": form,
                "organizations": sorted(orgs),
                "targets": {"villages": [v.id], "households": sorted(h for h, _ in group)},
                "period": {
                    "start": f"{demo.YEAR}-{first_month:02d}-01",
                    "end": f"{demo.YEAR}-12-31",
                },
                "measures": measures,
                "status": "执行中",
                "synthetic": True,
            },
        )
        counts["plan"] += 1
        for month in range(first_month, 13):
            _write(
                pdir / "reports" / f"{demo.YEAR}-{month:02d}.yaml",
                demo._report(rng, pid, v.id, group, measures, month),
            )
            counts["report"] += 1
    return counts


def province_code(name: str) -> str:
    """The id prefix of a synthetic province: stable for a name, distinct between names."""
    return "sp" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]


def _province_places(data: Path, name: str, shape: tuple[int, int, int]) -> None:
    """The county records of a synthetic province (its places only; no real fact)."""
    code = province_code(name)
    nc, nt, nv = shape
    (data / "counties").mkdir(parents=True, exist_ok=True)
    for c in range(1, nc + 1):
        cid = f"{code}-c{c}"
        townships = [
            {
                "id": f"{cid}-t{t}",
                "name": f"演示{c}-{t}乡",
                "villages": [
                    {"id": f"{cid}-t{t}-v{v}", "name": f"演示{c}-{t}-{v}村"}
                    for v in range(1, nv + 1)
                ],
            }
            for t in range(1, nt + 1)
        ]
        _write(
            data / "counties" / f"{cid}.yaml",
            {
                "id": cid,
                "name": f"{name}第{c}县",
                "province": name,
                "city": f"{name}第1市",
                "townships": townships,
                "sources": [],
                "synthetic": True,
            },
        )


def generate(cfg: Config, opts: SynthOptions) -> dict[str, int]:
    """Write a corpus of ``opts.households`` households (plus plans and reports) under
    ``opts.out/data``, next to a copy of the schemas."""
    from faker import Faker

    if opts.households < 0:
        raise UsageError("--households 不能为负数")
    if opts.province is not None and not opts.province.strip():
        raise UsageError("--province 不能为空")
    pipe = Pipeline(cfg)
    bad = [r.file for r in pipe.records if r.findings]
    if bad:
        raise UsageError(f"参考数据有问题，先运行 bangfu check：{bad[0]}")
    data = demo.prepare_out(opts.out)
    shutil.copytree(cfg.schemas_dir, opts.out / "schemas")
    campaign = demo.CAMPAIGN
    province = opts.province or (SHAPED if opts.shape else None)
    if opts.province:
        for folder in ("sources", "policy"):  # the rules the households are checked against
            if (cfg.data_root / folder).is_dir():
                shutil.copytree(cfg.data_root / folder, data / folder)
    else:
        shutil.copytree(cfg.data_root, data)
    if province:
        _province_places(data, province, opts.shape or PROVINCE_SHAPE)
        campaign = f"{demo.CAMPAIGN}-{province_code(province)}"
        pipe = Pipeline(Config(data.resolve(), (opts.out / "schemas").resolve(), cfg.as_of))
    m = pipe.model
    villages = sorted(m.villages.values(), key=lambda v: v.id)
    if province:  # the households live in the synthetic province only
        prefix = province_code(province) + "-"
        villages = [v for v in villages if v.county.startswith(prefix)]
    if not villages:
        raise UsageError("参考数据中没有村，无法生成合成数据")
    counties = sorted({v.county for v in villages})
    rng = random.Random(opts.seed)
    fake = Faker("zh_CN")
    fake.seed_instance(opts.seed)
    counts = {"household": 0, "organization": 0, "plan": 0, "report": 0, "campaign": 1}
    (data / "campaigns").mkdir(exist_ok=True)
    _write(
        data / "campaigns" / f"{campaign}.yaml",
        {
            "id": campaign,
            "name": "防返贫监测结对帮扶演示行动（2025）" + (f"（{province}）" if province else ""),
            "authority": "（演示）台账维护组",
            "counties": counties,
            "period": {"start": f"{demo.YEAR}-01-01", "end": f"{demo.YEAR}-12-31"},
            "reporting": {"cadence": "每月", "day_of_month": 25, "due_period": "下一期"},
            "sources": [],
            "synthetic": True,
        },
    )
    orgs_by_county: dict[str, list[str]] = {}
    for rec in m.by_kind["organization"].values():
        if rec.id is not None:
            orgs_by_county.setdefault(str(rec.data.get("county")), []).append(rec.id)
    (data / "organizations").mkdir(exist_ok=True)
    for c in counties:
        crec = m.get("county", c)
        cname = crec.data.get("name", c) if crec is not None else c
        for k in range(2):
            kind, category, suffix = demo.ORG_KINDS[
                (len(orgs_by_county.get(c, [])) + k) % len(demo.ORG_KINDS)
            ]
            oid = f"demo-org-{c}-{k + 1}"
            _write(
                data / "organizations" / f"{oid}.yaml",
                {
                    "id": oid,
                    "name": f"（演示）{cname}{fake.last_name()}家{suffix}",
                    "kind": kind,
                    "category": category,
                    "county": c,
                    "domains": ["志愿帮扶"],
                    "office_phone": f"023-{rng.randint(10000000, 99999999)}",
                    "leader": {"name": demo.person_name(fake), "mobile": fake.phone_number()},
                    "sources": [],
                    "synthetic": True,
                },
            )
            orgs_by_county.setdefault(c, []).append(oid)
            counts["organization"] += 1
    for lst in orgs_by_county.values():
        lst.sort()
    nv = len(villages)
    jobs = [(i, opts.households // nv + (1 if i < opts.households % nv else 0)) for i in range(nv)]
    jobs = [j for j in jobs if j[1] > 0]
    _STATE.clear()
    _STATE.update(
        villages=villages,
        data=data,
        seed=opts.seed,
        per_plan=opts.households_per_plan,
        campaign=campaign,
        policies=PolicyIndex(m),
        orgs_by_county=orgs_by_county,
    )
    try:
        if opts.workers > 1 and len(jobs) > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=opts.workers, mp_context=ctx) as pool:
                results = list(pool.map(_village_job, jobs))
        else:
            results = [_village_job(j) for j in jobs]
    finally:
        _STATE.clear()
    for r in results:
        for kind, n in r.items():
            counts[kind] += n
    return counts


def default_workers() -> int:
    """``BANGFU_WORKERS`` when set (as for reading a tree), else one process per core."""
    return workers_set() or cores()
