"""Sealed private fields, measured (issue 17): how fast records are sealed and opened (one
core, in process), and ``bangfu check`` without a key on the same synthetic ledger in plain
text and sealed. Run from a checkout::

    PYTHONPATH=scripts python -m bangfu_tools.bench_seal --households 2000 --out /tmp/seal-bench

The demo corpus is generated once (seed 1); the figures for a province of 500,000 households
are extrapolated linearly from the records per household of the corpus."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

TARGET = 500_000


def _check_seconds(data: Path, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system, the process and its workers) of
    ``bangfu check`` in a fresh process, no parse cache (a plain folder). On a shared machine
    the CPU time is the steadier figure."""
    env = {**os.environ, "BANGFU_AS_OF": "2025-06-30"}
    wall = cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        res = subprocess.run(
            [sys.executable, "-m", "bangfu", "check", "--data", str(data)],
            env=env,
            capture_output=True,
            text=True,
        )
        wall = min(wall, time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        cpu = min(cpu, used)
        if res.returncode not in (0, 1):
            raise SystemExit(res.stderr[-2000:])
    return wall, cpu


def _households(
    cfg, records, keys: list[str], secret: str, total: int = 0
) -> tuple[float, float, int]:
    """Seconds to seal households (split, encrypt, the file's new text) and to open them
    again (decrypt, merge), in memory: (seal seconds, open seconds, households). ``total``
    records are sealed by going round the corpus's households (each seal is fresh: age picks
    a new file key every time), so a province's count is measured, not extrapolated."""
    from pyrage import x25519

    from bangfu.privacy import seal
    from bangfu.privacy.convert import top_level_edit
    from bangfu.schema import bundled

    schema = bundled(cfg.schemas_dir)["household"]
    homes = [r for r in records if r.kind == "household"]
    texts = [cfg.data_root.joinpath(*r.rel).read_text("utf-8") for r in homes]
    total = total or len(homes)
    t = time.perf_counter()
    sealed = []
    for i in range(total):
        rec, text = homes[i % len(homes)], texts[i % len(texts)]
        new = seal.seal(schema, rec.data, keys)
        assert top_level_edit(text, rec.data, new) is not None
        sealed.append(new)
    seal_s = time.perf_counter() - t
    ident = [x25519.Identity.from_str(secret)]
    t = time.perf_counter()
    for data in sealed:
        seal.open_record(schema, data, ident)
    return seal_s, time.perf_counter() - t, total


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="加密隐私字段的吞吐量和无密钥检查的耗时")
    p.add_argument("--households", type=int, default=2000)
    p.add_argument("--out", default="build/bench-seal")
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument(
        "--sealed-households",
        type=int,
        default=0,
        help="在内存中加密、解密这么多户记录（轮流使用演示户；默认与演示户数相同），如 500000",
    )
    args = p.parse_args(argv)
    from pyrage import x25519

    from bangfu.config import Config
    from bangfu.privacy import seal
    from bangfu.privacy.convert import loaded, opened, register_everywhere
    from bangfu.synth import SynthOptions, generate
    from bangfu.writes import write_all

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    repo = Path(__file__).resolve().parents[2]
    cfg = Config.make(repo / "data", repo / "schemas", "2025-06-30")
    generate(cfg, SynthOptions(households=args.households, seed=1, out=out / "plain", workers=1))
    shutil.copytree(out / "plain", out / "sealed")
    secret, public = seal.generate()
    _, recovery = seal.generate()
    entries = [{"key": public, "role": "审核人"}, {"key": recovery, "role": "恢复"}]
    sealed_cfg = Config.make(out / "sealed" / "data", out / "sealed" / "schemas", "2025-06-30")
    tree = loaded(sealed_cfg)
    per_household = _households(
        sealed_cfg, tree[0], [public, recovery], secret, args.sealed_households
    )
    t = time.perf_counter()
    plan = register_everywhere(sealed_cfg, entries, tree)
    seal_s = time.perf_counter() - t
    write_all(plan.files, sealed_cfg.data_root)
    records, _ = loaded(sealed_cfg)
    ident = [x25519.Identity.from_str(secret)]
    t = time.perf_counter()
    whole, problems = opened(sealed_cfg, records, ident)
    open_s = time.perf_counter() - t
    assert not problems and len(whole) == plan.sealed, (len(whole), plan.sealed)
    plain_s = _check_seconds(out / "plain" / "data", args.repeat)
    sealed_s = _check_seconds(out / "sealed" / "data", args.repeat)
    n = plan.sealed
    print(f"户数 {args.households}，加密的记录 {n} 条（户、帮扶主体、区县、有隐私字段的报告）")
    print(f"整个数据文件夹（单核，不含读取）：加密 {seal_s:.2f} 秒（{n / seal_s:,.0f} 条/秒），")
    print(
        f"  解密并合并 {open_s:.2f} 秒（{n / open_s:,.0f} 条/秒）；区县记录大、数量固定，不随户数增长"
    )
    hs, ho, count = per_household
    print(
        f"户记录（{count} 条，单核）：加密并生成文字 {count / hs:,.0f} 户/秒，"
        f"解密并合并 {count / ho:,.0f} 户/秒"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  用时：加密 {hs:.1f} 秒，解密 {ho:.1f} 秒；本进程峰值内存 {peak:,.0f} MB")
    if count < TARGET:
        print(
            f"推算 {TARGET:,} 户：加密约 {TARGET * hs / count / 60:.1f} 分钟，"
            f"解密约 {TARGET * ho / count / 60:.1f} 分钟（单核，线性推算；两核约减半）"
        )
    print(f"无密钥的 bangfu check（无缓存，取 {args.repeat} 次最快）：")
    for label, i in (("墙钟", 0), ("CPU", 1)):
        a, b = plain_s[i], sealed_s[i]
        print(f"  {label}：明文 {a:.2f} 秒；密文 {b:.2f} 秒（{b / a - 1:+.1%}）")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
