"""Sealed private fields, measured (issue 17): how fast records are sealed and opened (one
core, in process), and ``bangfu check`` without a key on the same synthetic ledger in plain
text and sealed. Run from a checkout::

    PYTHONPATH=scripts python -m bangfu_tools.bench_seal --households 2000 --out /tmp/seal-bench

The demo corpus is generated once (seed 1); the figures for a province of 500,000 households
are extrapolated linearly from the records per household of the corpus."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

TARGET = 500_000


def _check_seconds(data: Path, repeat: int) -> float:
    """Best wall time of ``bangfu check`` (a fresh process, no parse cache: a plain folder)."""
    env = {**os.environ, "BANGFU_AS_OF": "2025-06-30"}
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        res = subprocess.run(
            [sys.executable, "-m", "bangfu", "check", "--data", str(data)],
            env=env,
            capture_output=True,
            text=True,
        )
        best = min(best, time.perf_counter() - t)
        if res.returncode not in (0, 1):
            raise SystemExit(res.stderr[-2000:])
    return best


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="加密隐私字段的吞吐量和无密钥检查的耗时")
    p.add_argument("--households", type=int, default=2000)
    p.add_argument("--out", default="build/bench-seal")
    p.add_argument("--repeat", type=int, default=2)
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
    per_household = n / args.households
    scale = TARGET / args.households
    print(f"户数 {args.households}，加密的记录 {n} 条（每户约 {per_household:.2f} 条）")
    print(
        f"加密（拆分、加密、生成 YAML 文字，单核，不含读取）：{seal_s:.2f} 秒，{n / seal_s:,.0f} 条/秒"
    )
    print(f"解密（解密并合并回记录，单核，不含读取）：{open_s:.2f} 秒，{n / open_s:,.0f} 条/秒")
    print(
        f"推算 {TARGET:,} 户（{n * scale:,.0f} 条）：加密约 {seal_s * scale / 60:.1f} 分钟，"
        f"解密约 {open_s * scale / 60:.1f} 分钟（单核，线性推算）"
    )
    print(f"无密钥的 bangfu check（无缓存，取 {args.repeat} 次最快）：")
    print(f"  明文 {plain_s:.2f} 秒；密文 {sealed_s:.2f} 秒（{sealed_s / plain_s - 1:+.1%}）")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
