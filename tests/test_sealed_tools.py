"""Sealed private fields in the other tools (issue 17): ``review --private --key`` names the
private fields that changed inside the sealed values and never their values; ``status`` needs
no key; statewide organizations are sealed for the province's recipients."""

from __future__ import annotations

import json

from .conftest import bangfu, commit, init_repo
from .test_sealed import HOUSEHOLD, PRIVATE, sealed_repo  # noqa: F401 (a fixture)

CANARIES = (*PRIVATE, "测试新备注", "测试新住址")


def _changed_privately(root, sup):
    (root / ".gitignore").write_text(".bangfu-cache/\n", "utf-8")
    assert bangfu("encrypt", "--key", str(sup), cwd=root).returncode == 0
    init_repo(root)
    path = root / HOUSEHOLD
    path.write_text(path.read_text("utf-8") + "notes: 测试新备注\naddress: 测试新住址\n", "utf-8")
    res = bangfu("encrypt", "--key", str(sup), cwd=root)
    assert res.returncode == 0, res.stdout + res.stderr
    commit(root, "改备注和住址")


def test_review_with_a_key_names_the_changed_private_fields_only(sealed_repo):  # noqa: F811
    root, sup, _, _, _ = sealed_repo
    _changed_privately(root, sup)
    for fmt in ("json", "markdown", "text"):
        args = ("review", "main~1", "HEAD", "--format", fmt, "--private", "--key", str(sup))
        res = bangfu(*args, cwd=root)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "隐私字段已修改" in res.stdout and "家庭住址" in res.stdout
        assert not [v for v in CANARIES if v in res.stdout + res.stderr]
    doc = json.loads(bangfu(*args[:4], "json", "--private", "--key", str(sup), cwd=root).stdout)
    rec = next(r for r in doc["records"] if "h-0001" in (r["new_path"] or ""))
    fields = sorted((f["path"], f["op"], f["private"]) for f in rec["fields"])
    assert fields == [("$.address", "changed", True), ("$.notes", "added", True)]
    assert all("old" not in f and "new" not in f for f in rec["fields"])
    # without a key, or with a key that opens nothing here: the one sealed row
    for extra in ((), ("--key", str(_stranger(root)))):
        res = bangfu("review", "main~1", "HEAD", "--format", "json", "--private", *extra, cwd=root)
        rec = next(r for r in json.loads(res.stdout)["records"] if "h-0001" in r["new_path"])
        assert [(f["path"], f["note"]) for f in rec["fields"]] == [("$.sealed", "隐私字段已修改")]
    # a key is only for the reviewer's own machine: refused without --private
    res = bangfu("review", "main~1", "HEAD", "--key", str(sup), cwd=root)
    assert res.returncode == 2 and "--private" in res.stderr


def _stranger(root):
    out = root.parent / "keys" / "stranger.key"
    assert bangfu("keys", "generate", "--out", str(out), cwd=root.parent).returncode == 0
    return out
