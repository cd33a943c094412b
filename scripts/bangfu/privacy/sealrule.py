"""The sealing rule, without a key: once a county lists ``recipients``, its records hold no
private field in plain text, and each ``sealed`` value is well formed and addressed to the
county's current recipients (``privacy.seal``). A county's records are its own record, the
households, plans and reports in its folders, and the organizations whose ``county`` it is.
Findings name the field's title, never a value."""

from __future__ import annotations

from collections.abc import Iterator

from ..codes import (
    SEALED_MALFORMED,
    SEALED_NO_RECIPIENTS,
    SEALED_NO_RECOVERY,
    SEALED_PLAINTEXT,
    SEALED_STALE_RECIPIENTS,
)
from ..findings import Finding
from ..model import Model
from ..record import SEALED_FIELD, Record
from ..rules.base import at
from ..schema import PACKAGE_SCHEMAS, bundled, title_at
from . import seal

RECOVERY_ROLE = "恢复"
_BY_FOLDER = frozenset({"household", "plan", "report"})


def county_of(rec: Record) -> str | None:
    """The county whose keys seal ``rec``, or None for a kind that is not sealed."""
    d = rec.data
    if rec.kind == "county":
        return rec.id
    if rec.kind in _BY_FOLDER and len(rec.rel) > 2:
        return rec.rel[1]
    if rec.kind == "organization" and isinstance(d, dict) and isinstance(d.get("county"), str):
        return d["county"]
    return None


def recipients(county: Record | None) -> list[dict]:
    """The well-formed entries of a county's ``recipients`` (the schema reports the rest)."""
    d = county.data if county is not None else None
    out = []
    for r in (d.get("recipients") or []) if isinstance(d, dict) else []:
        if isinstance(r, dict) and isinstance(r.get("key"), str) and seal.RECIPIENT.match(r["key"]):
            out.append(r)
    return out


def keys_of(county: Record | None) -> list[str]:
    return sorted({r["key"] for r in recipients(county)})


def check(model: Model, ctx) -> Iterator[Finding]:
    schemas = bundled(getattr(ctx, "schemas_dir", None) or PACKAGE_SCHEMAS)
    current: dict[str, tuple[str, ...]] = {}
    for cid, county in model.by_kind["county"].items():
        entries = recipients(county)
        current[cid] = tuple(seal.fingerprints(r["key"] for r in entries))
        if entries and not any(r.get("role") == RECOVERY_ROLE for r in entries):
            yield at(
                county,
                SEALED_NO_RECOVERY,
                ("recipients",),
                "区县的密钥收件人中没有维护者的恢复密钥",
            )
    for rec in model.records:
        d = rec.data
        if rec.kind is None or not isinstance(d, dict):
            continue
        c = county_of(rec)
        if c is None or c not in current:
            continue
        yield from _record(rec, schemas[rec.kind], current[c])


def _record(rec: Record, schema: dict, to: tuple[str, ...]) -> Iterator[Finding]:
    d = rec.data
    if SEALED_FIELD in d:
        try:
            sealed = seal.parse(d[SEALED_FIELD])
        except seal.SealError as exc:
            yield at(rec, SEALED_MALFORMED, (SEALED_FIELD,), str(exc))
        else:
            if not to:
                yield at(
                    rec, SEALED_NO_RECIPIENTS, (SEALED_FIELD,), "区县没有登记密钥，记录却有密文"
                )
            elif sealed.to != to:
                yield at(
                    rec,
                    SEALED_STALE_RECIPIENTS,
                    (SEALED_FIELD, "to"),
                    f"密文加密给了 {len(sealed.to)} 把密钥，与区县现在登记的 {len(to)} 把不一致",
                )
    if not to:
        return
    if seal.has_private(schema, d):
        plain = seal.split(schema, d)[1]
        parts = tuple(plain[0][0])
        title = title_at(schema, list(parts))
        more = f"等 {len(plain)} 个隐私字段" if len(plain) > 1 else "是隐私字段"
        yield at(
            rec,
            SEALED_PLAINTEXT,
            parts,
            f"“{title}”{more}，本区县已登记密钥，只能以密文保存",
        )
