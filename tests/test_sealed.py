"""Private fields sealed to their county's keys (issue 17): a round trip with generated keys,
no plain text in the data folder or any output without a key, rotation that shuts the old key
out of new writes, plain private fields refused once a county has keys, the key file kept out
of the repository, ``check --key`` on the private part, and ``demo --recipient``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bangfu.privacy import seal
from bangfu.schema import bundled
from bangfu.yamlio import dump_text

from .conftest import ROOT, bangfu, commit, init_repo, make_case
from .sealed_helpers import COUNTY, HOUSEHOLD, PRIVATE, all_bytes, load_data, new_key


def test_round_trip_with_generated_keys():
    schema = bundled(ROOT / "schemas")["household"]
    data = load_data(ROOT / "tests/cases/base" / HOUSEHOLD)
    secret, public = seal.generate()
    other_secret, _ = seal.generate()
    sealed = seal.seal(schema, data, [public])
    assert not any(v in repr(sealed) for v in PRIVATE)
    assert "head" not in sealed and sealed["village"] == data["village"]
    assert sealed["sealed"]["to"] == [seal.fingerprint(public)]
    from pyrage import x25519

    ident = x25519.Identity.from_str(secret)
    assert seal.open_record(schema, sealed, [ident]) == data
    assert seal.open_record(schema, sealed, [x25519.Identity.from_str(other_secret)]) is None
    # unchanged content and recipients: the ciphertext is kept byte for byte
    assert seal.seal(schema, sealed, [public], [ident]) == sealed
    with pytest.raises(seal.SealError):
        seal.parse({"to": [seal.fingerprint(public)], "age": "bm90IGFnZQ=="})


def test_sealed_repository_holds_no_plaintext_and_checks_without_a_key(sealed_repo):
    root, sup, rec, _, _ = sealed_repo
    blob = all_bytes(root / "data")
    assert not [v for v in PRIVATE if v.encode() in blob]
    assert "sealed" in load_data(root / HOUSEHOLD)
    for args in (("check",), ("check", "--format", "github"), ("fmt", "--check")):
        res = bangfu(*args, cwd=root)
        assert res.returncode == 0, res.stdout
        assert not [v for v in PRIVATE if v in res.stdout + res.stderr]
    opened = bangfu("keys", "list", "--files", "--key", str(rec), cwd=root)
    assert HOUSEHOLD in opened.stdout and opened.returncode == 0
    # with the key, the private part is checked against the schema, its values never shown
    schema = bundled(root / "schemas")["household"]
    from pyrage import x25519

    ids = [x25519.Identity.from_str(sup.read_text().splitlines()[-1])]
    data = load_data(root / HOUSEHOLD)
    whole = seal.open_record(schema, data, ids)
    whole["head"]["id_number"] = "110105194912310021"  # a wrong check digit
    (root / HOUSEHOLD).write_text(dump_text(seal.seal(schema, whole, _keys(root), ids)), "utf-8")
    plain = bangfu("check", cwd=root)
    assert plain.returncode == 0, plain.stdout  # without the key the error cannot be seen
    keyed = bangfu("check", "--format", "json", cwd=root, env={"BANGFU_KEY_FILE": str(sup)})
    assert keyed.returncode == 1 and "schema.resident-id-checksum" in keyed.stdout
    assert "$.head.id_number" in keyed.stdout and "110105194912310021" not in keyed.stdout


def _keys(root: Path) -> list[str]:
    county = load_data(root / "data/counties" / f"{COUNTY}.yaml")
    return [r["key"] for r in county["recipients"]]


def test_plaintext_private_field_is_refused_once_the_county_has_keys(sealed_repo):
    root, sup, _, _, _ = sealed_repo
    path = root / HOUSEHOLD
    path.write_text(path.read_text("utf-8") + "health_notes: 测试病情说明\n", "utf-8")
    for args in (("check",), ("check", HOUSEHOLD)):  # the full check and the pre-commit one
        res = bangfu(*args, cwd=root)
        assert res.returncode == 1 and "sealed.plaintext" in res.stdout, res.stdout
        assert "测试病情说明" not in res.stdout
    refused = bangfu("encrypt", cwd=root)  # folding it in needs a key that opens the record
    assert refused.returncode == 1 and "sealed.cannot-open" in refused.stdout
    assert "测试病情说明" in path.read_text("utf-8")  # nothing written
    done = bangfu("encrypt", "--key", str(sup), cwd=root)
    assert done.returncode == 0, done.stdout
    assert "测试病情说明" not in path.read_text("utf-8")
    assert bangfu("check", cwd=root).returncode == 0


def test_rotation_shuts_the_removed_key_out_of_new_writes(sealed_repo):
    root, sup, rec, sup_pub, _ = sealed_repo
    res = bangfu("keys", "remove", COUNTY, "--recipient", sup_pub, "--key", str(rec), cwd=root)
    assert res.returncode == 0, res.stdout
    assert "0 条记录" in bangfu("keys", "list", "--key", str(sup), cwd=root).stdout
    assert bangfu("check", cwd=root).returncode == 0
    # a new write after the rotation is sealed for the remaining keys only
    path = root / HOUSEHOLD
    path.write_text(path.read_text("utf-8") + "notes: 测试备注\n", "utf-8")
    assert bangfu("encrypt", "--key", str(sup), cwd=root).returncode == 1
    assert bangfu("encrypt", "--key", str(rec), cwd=root).returncode == 0
    assert "0 条记录" in bangfu("keys", "list", "--key", str(sup), cwd=root).stdout
    listed = bangfu("keys", "list", "--files", "--key", str(rec), cwd=root).stdout
    assert HOUSEHOLD in listed


def test_hand_edited_recipients_make_records_stale_until_rotated(sealed_repo):
    root, sup, rec, _, _ = sealed_repo
    _, new_pub = new_key(root.parent, "new-supervisor")
    county = root / "data/counties" / f"{COUNTY}.yaml"
    data = load_data(county)
    data["recipients"].append({"key": new_pub, "role": "审核人"})
    county.write_text(dump_text(data), "utf-8")
    stale = bangfu("check", cwd=root)
    assert stale.returncode == 1 and "sealed.stale-recipients" in stale.stdout
    rotated = bangfu("keys", "recover", COUNTY, "--key", str(rec), cwd=root)
    assert rotated.returncode == 0, rotated.stdout
    assert bangfu("check", cwd=root).returncode == 0


def test_a_secret_key_is_never_written_inside_the_repository(tmp_path):
    root = make_case(tmp_path, None)
    (root / ".git").mkdir()
    for where in (root / "k.key", root / "data" / "k.key", root / "sub" / "k.key"):
        res = bangfu("keys", "generate", "--out", str(where), cwd=root)
        assert res.returncode == 2 and "不能放在仓库里" in res.stderr
        assert not where.exists()


def test_demo_data_can_be_generated_sealed(tmp_path):
    _, public = new_key(tmp_path, "demo")
    out = tmp_path / "demo"
    res = bangfu("demo", "--households", "40", "--out", str(out), "--recipient", public, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    households = sorted((out / "data" / "households").rglob("*.yaml"))
    assert households and all("sealed" in load_data(p) for p in households)
    assert all("head" not in load_data(p) for p in households)
    check = bangfu("check", "--data", str(out / "data"), cwd=ROOT)
    # one key and no recovery key: only the sealed.no-recovery warnings
    assert check.returncode == 0 and "sealed.no-recovery" in check.stdout, check.stdout[-2000:]


def test_a_sealed_value_that_no_longer_fits_its_record_is_reported_with_the_key(sealed_repo):
    root, sup, _, _, _ = sealed_repo
    data = load_data(root / HOUSEHOLD)
    # a private field under a list item the public part no longer has
    data["sealed"] = seal.encrypt([[["risk_causes", 5, "note"], "测试说明"]], _keys(root))
    (root / HOUSEHOLD).write_text(dump_text(data), "utf-8")
    assert bangfu("check", cwd=root).returncode == 0  # the form is right: only a key sees more
    keyed = bangfu("check", "--key", str(sup), cwd=root)
    assert keyed.returncode == 1 and "sealed.mismatch" in keyed.stdout, keyed.stdout
    assert "测试说明" not in keyed.stdout


def test_review_says_the_private_fields_changed_and_nothing_more(sealed_repo):
    root, sup, _, _, _ = sealed_repo
    (root / ".gitignore").write_text(".bangfu-cache/\n", "utf-8")
    init_repo(root)
    path = root / HOUSEHOLD
    path.write_text(path.read_text("utf-8") + "notes: 测试新备注\n", "utf-8")
    assert bangfu("encrypt", "--key", str(sup), cwd=root).returncode == 0
    commit(root, "改备注")
    for fmt in ("json", "markdown", "text"):
        res = bangfu("review", "main~1", "HEAD", "--format", fmt, cwd=root)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "隐私字段已修改" in res.stdout
        assert not [v for v in (*PRIVATE, "测试新备注") if v in res.stdout + res.stderr]
    doc = json.loads(bangfu("review", "main~1", "HEAD", "--format", "json", cwd=root).stdout)
    rec = next(r for r in doc["records"] if "h-0001" in (r["new_path"] or ""))
    assert [(f["path"], f["private"]) for f in rec["fields"]] == [("$.sealed", True)]


def test_a_key_holder_sees_a_record_their_key_should_open_but_does_not(sealed_repo):
    root, sup, _, _, _ = sealed_repo
    data = load_data(root / HOUSEHOLD)
    _, stranger = seal.generate()
    forged = seal.encrypt([[["notes"], "测试"]], [stranger, seal.generate()[1]])
    data["sealed"]["age"] = forged["age"]  # the right fingerprints, another key's ciphertext
    (root / HOUSEHOLD).write_text(dump_text(data), "utf-8")
    assert bangfu("check", cwd=root).returncode == 0  # without a key it cannot be told
    keyed = bangfu("check", "--key", str(sup), cwd=root)
    assert keyed.returncode == 1 and "sealed.stale-recipients" in keyed.stdout, keyed.stdout
    assert HOUSEHOLD in keyed.stdout


def test_the_quick_plaintext_test_agrees_with_the_split_on_every_record(tmp_path):
    from bangfu.record import classify

    schemas = bundled(ROOT / "schemas")
    base = ROOT / "tests/cases/base/data"
    seen = 0
    for path in sorted(base.rglob("*.yaml")):
        kind = classify(path.relative_to(base).parts)
        data = load_data(path)
        variants = [data, seal.split(schemas[kind], data)[0]]
        if kind == "county":  # a private field deep inside public lists
            deep = json.loads(json.dumps(data))
            deep["townships"][0]["contact"] = {"name": "测试联络人"}
            variants.append(deep)
        for d in variants:
            expected = bool(seal.split(schemas[kind], d)[1])
            assert seal.has_private(schemas[kind], d) is expected, (path.name, kind)
            seen += expected
    assert seen >= 3  # households, organizations and the county with a contact


def test_import_writes_a_new_household_sealed_with_the_public_keys_only(sealed_repo):
    from .sheet_helpers import FILING_FIELDS, NEW_HOUSEHOLD, fill, run, template

    root, _, rec, _, _ = sealed_repo
    book = template(root, "filing", "f.xlsx", "--county", COUNTY)
    household = NEW_HOUSEHOLD
    fill(
        book,
        "报备",
        FILING_FIELDS,
        {
            "【帮扶主体】": [{"帮扶主体": "测试爱心协会（to-helpers）"}],
            "【帮扶对象】": [household],
            "【帮扶措施】": [
                {"措施类别": "资金", "措施内容": "产业扶持资金", "计划金额（元）": 5000}
            ],
        },
    )
    done = run(root, "import", str(book))  # no key: a new record needs only the public keys
    assert done.returncode == 0, done.stdout + done.stderr
    new = sorted((root / "data/households/tc-alpha/tc-alpha-east-pine").glob("*.yaml"))
    assert len(new) == 1
    text = new[0].read_text("utf-8")
    assert "sealed:" in text and not [
        v for v in ("李示例", "13600000000", "东乡松村三组") if v in text
    ]
    assert bangfu("check", cwd=root).returncode == 0
    listed = bangfu("keys", "list", "--files", "--key", str(rec), cwd=root).stdout
    assert new[0].name in listed
