"""Sealed private fields in the other tools (issue 17): ``review --private --key`` names the
private fields that changed inside the sealed values and never their values; ``status`` needs
no key; every record with private fields belongs to a county (none is left in plain text)."""

from __future__ import annotations

import json

from .conftest import bangfu, commit, init_repo
from .sealed_helpers import HOUSEHOLD, PRIVATE

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


def test_review_with_a_key_names_the_changed_private_fields_only(sealed_repo):
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


def test_status_needs_no_key_and_takes_none(sealed_repo):
    root, sup, _, _, _ = sealed_repo
    plain = bangfu("status", "--format", "json", cwd=root)
    assert plain.returncode == 0, plain.stderr
    assert bangfu("encrypt", "--key", str(sup), cwd=root).returncode == 0
    assert "sealed:" in (root / HOUSEHOLD).read_text("utf-8")
    sealed = bangfu("status", "--format", "json", cwd=root, env={"BANGFU_KEY_FILE": str(sup)})
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout == plain.stdout  # status reads no private field: sealing changes nothing
    assert not [v for v in PRIVATE if v in sealed.stdout]
    assert bangfu("status", "--key", str(sup), cwd=root).returncode == 2


def test_every_record_with_private_fields_belongs_to_a_county(sealed_repo):
    """Why there is no province-level key list: an organization must name its county (the
    schema requires it), so its leader is sealed for that county; campaigns and sources have no
    private field at all; an organization without a county is refused before anything else."""
    from bangfu.privacy import seal as seal_mod
    from bangfu.schema import bundled

    from .conftest import ROOT

    schemas = bundled(ROOT / "schemas")
    assert "county" in schemas["organization"]["required"]
    for kind in ("campaign", "source"):
        assert seal_mod.all_public(schemas[kind], ()), kind
    root, *_ = sealed_repo
    org = root / "data/organizations/to-helpers.yaml"
    assert "sealed:" in org.read_text("utf-8") and "测试会长" not in org.read_text("utf-8")
    plain = org.read_text("utf-8").split("sealed:")[0] + "leader:\n  name: 测试会长\n"
    org.write_text(plain.replace("county: tc-alpha\n", ""), "utf-8")
    res = bangfu("check", cwd=root)
    assert res.returncode == 1 and "schema.required" in res.stdout, res.stdout
    assert "测试会长" not in res.stdout


def _secret(keyfile) -> str:
    return next(x for x in keyfile.read_text("utf-8").split() if x.startswith("AGE-SECRET-KEY-"))


def test_a_broken_key_or_recipient_is_a_clear_usage_error_and_writes_nothing(sealed_repo):
    """A missing key file, a folder, a file that is not an age secret key, a secret key
    given where a public one is expected: exit 2, one Chinese line naming what is wrong, no
    traceback, the data folder untouched."""
    root, sup, _, _, _ = sealed_repo
    before = {p: p.read_bytes() for p in sorted((root / "data").rglob("*")) if p.is_file()}
    (root.parent / "garbage.key").write_text("garbage\n", "utf-8")
    (root.parent / "folder.key").mkdir()
    cases = [
        (("check", "--key", str(root.parent / "missing.key")), "无法读取"),
        (("check", "--key", str(root.parent / "folder.key")), "无法读取"),
        (("check", "--key", str(root.parent / "garbage.key")), "不是 age 私钥"),
        (("encrypt", "--key", str(root.parent / "garbage.key")), "不是 age 私钥"),
        (("keys", "add", "tc-alpha", "--recipient", "age1garbage", "--role", "审核人"), "age 公钥"),
        (("keys", "add", "tc-alpha", "--recipient", _secret(sup)), "age 公钥"),
    ]
    for args, says in cases:
        res = bangfu(*args, cwd=root)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert says in res.stderr and "Traceback" not in res.stdout + res.stderr, args
        assert _secret(sup) not in res.stdout + res.stderr  # a secret key is never echoed
    after = {p: p.read_bytes() for p in sorted((root / "data").rglob("*")) if p.is_file()}
    assert after == before
