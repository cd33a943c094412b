"""The sealing benchmark (bangfu_tools.bench_seal) runs end to end on a tiny corpus: it seals
and opens every record, checks the plain and the sealed ledger without a key, and reports
the figures the closing note quotes."""

from __future__ import annotations

import re

from bangfu_tools import bench_seal


def test_bench_seal_measures_sealing_opening_and_the_keyless_check(tmp_path, capsys):
    out = tmp_path / "seal"
    assert (
        bench_seal.main(
            ["--households", "20", "--out", str(out), "--repeat", "1", "--sealed-households", "45"]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert re.search(r"户记录（45 条，单核）：加密并生成文字 [\d,]+ 户/秒", text), text
    assert re.search(r"用时：加密 [\d.]+ 秒，解密 [\d.]+ 秒；本进程峰值内存 [\d,]+ MB", text)
    assert re.search(r"明文 [\d.]+ 秒；密文 [\d.]+ 秒", text)
    # the sealed copy really is sealed: no household file of it holds a plain head name
    sealed = list((out / "sealed" / "data").rglob("*.yaml"))
    assert sealed and any("sealed:" in p.read_text("utf-8") for p in sealed)
    assert not any("\nhead:" in p.read_text("utf-8") for p in sealed if "/households/" in str(p))
