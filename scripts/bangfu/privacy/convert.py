"""Sealing the data folder and reading it with a key: ``bangfu encrypt`` and ``bangfu keys``
(re-seal, all or nothing, through ``writes.write_all``), ``bangfu check --key`` (the private
part checked against the schema) and ``bangfu keys list`` (which records a key opens)."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from pathlib import Path

from ..check import load_checked
from ..codes import SEALED_CANNOT_OPEN, SEALED_MISMATCH, SEALED_STALE_RECIPIENTS, make
from ..config import Config
from ..findings import Finding
from ..model import Model, build
from ..readone import FileText
from ..record import SEALED_FIELD, Record, classify
from ..redact import redact
from ..schema import bundled
from ..schemacheck import validate
from ..yamlio import dump_text, update_text
from ..yamlsafe import Parsed, parse
from . import seal
from .keyfile import identities
from .sealrule import county_of, keys_of


@dataclasses.dataclass(slots=True)
class Plan:
    """What a re-seal would write: (path, text) per changed file, and why it cannot."""

    files: list[tuple[Path, str | bytes]] = dataclasses.field(default_factory=list)
    findings: list[Finding] = dataclasses.field(default_factory=list)
    sealed: int = 0  # records that hold a sealed value after the write
    counties: Counter = dataclasses.field(default_factory=Counter)


def loaded(cfg: Config) -> tuple[list[Record], Model]:
    records = [r for r in load_checked(cfg).records if r.kind and r.mapping]
    model = build(records)
    model.unpack()  # each record read several times: decoded once and kept
    return records, model


def reseal(
    cfg: Config,
    identities: list,
    *,
    counties: set[str] | None = None,
    keys: dict[str, list[str]] | None = None,
    changed: dict[str, dict] | None = None,
    loaded_records: tuple[list[Record], Model] | None = None,
) -> Plan:
    """The files to write so that every record of ``counties`` (default: every county with
    recipients) is sealed for its county's recipients (``keys`` overrides them per county;
    ``changed`` gives new data for some files, e.g. a county record with new recipients).
    A record whose sealed value no given key opens stops the whole plan (a finding)."""
    records, model = loaded_records or loaded(cfg)
    schemas = bundled(cfg.schemas_dir)
    changed = changed or {}
    plan = Plan()
    for rec in records:
        c, kind = county_of(rec), rec.kind
        if c is None or kind is None or (counties is not None and c not in counties):
            continue
        to = (keys or {}).get(c)
        if to is None:
            to = keys_of(model.get("county", c))
        data = changed.get(rec.file, rec.data)
        if not to:
            if SEALED_FIELD in data:
                plan.findings.append(_cannot(rec, "区县没有登记密钥，无法重新加密这条记录"))
            elif rec.file in changed:
                plan.files.append((_path(cfg, rec), _text(cfg, rec, data)))
            continue
        try:
            new = seal.seal(schemas[kind], data, to, identities)
        except seal.SealError as exc:
            plan.findings.append(_cannot(rec, str(exc)))
            continue
        plan.sealed += SEALED_FIELD in new
        if new != rec.data:
            plan.files.append((_path(cfg, rec), _text(cfg, rec, new)))
            plan.counties[c] += 1
    return plan


def _cannot(rec: Record, message: str) -> Finding:
    line, col = rec.at((SEALED_FIELD,))
    return make(SEALED_CANNOT_OPEN, rec.file, message, line=line, column=col, path="$.sealed")


def _path(cfg: Config, rec: Record) -> Path:
    return cfg.data_root.joinpath(*rec.rel)


def _text(cfg: Config, rec: Record, data: dict) -> str:
    existing = _path(cfg, rec).read_text("utf-8")
    if isinstance(rec.data, dict):
        quick = top_level_edit(existing, rec.data, data)
        if quick is not None:
            return quick
    return update_text(data, existing)


_TOP_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: |$)")


def top_level_edit(text: str, old: dict, new: dict) -> str | None:
    """The common re-seal in text, without a YAML round trip (ruamel takes ~0.1 s a file):
    top-level private fields and the old ``sealed`` dropped, the new ``sealed`` appended, every
    other line kept as it is (comments too). None when the change is not of that shape or the
    result does not read back as ``new``; then ``update_text`` does it."""
    kept = [k for k in old if k in new and k != SEALED_FIELD]
    if list(new) != [*kept, SEALED_FIELD] or any(old[k] != new[k] for k in kept):
        return None
    lines = text.splitlines(keepends=True)
    starts = [(i, m.group(1)) for i, line in enumerate(lines) if (m := _TOP_KEY.match(line))]
    if [k for _, k in starts] != list(old) or not text.endswith("\n"):
        return None
    bounds = [*[i for i, _ in starts[1:]], len(lines)]
    out = lines[: starts[0][0]] if starts else []
    for (i, key), end in zip(starts, bounds, strict=True):
        if key in kept:
            out.extend(lines[i:end])
    result = "".join(out) + _sealed_text(new[SEALED_FIELD])
    return result if parse(result, "sealed").data == new else None


def opened(cfg: Config, records: list[Record], identities: list) -> tuple[list[Record], list]:
    """(the records ``identities`` open, with their whole data; findings for sealed values
    that are damaged or do not fit their record)."""
    schemas = bundled(cfg.schemas_dir)
    out, findings = [], []
    for rec in records:
        d = rec.data
        if rec.kind is None or not isinstance(d, dict) or SEALED_FIELD not in d:
            continue
        try:
            whole = seal.open_record(schemas[rec.kind], d, identities)
        except seal.SealError as exc:
            line, col = rec.at((SEALED_FIELD,))
            findings.append(
                make(SEALED_MISMATCH, rec.file, str(exc), line=line, column=col, path="$.sealed")
            )
            continue
        if whole is not None:
            src = FileText(str(_path(cfg, rec)))
            out.append(Record(rec.kind, rec.file, rec.rel, Parsed(whole, None, [], src)))
    return out, findings


def private_findings(
    cfg: Config, records: list[Record], identities: list, known: list[Finding]
) -> tuple[list[Finding], int]:
    """Schema findings on the private part of every record the key opens (the public part
    is checked without a key), masked like every finding; and how many records it opened."""
    whole, findings = opened(cfg, records, identities)
    seen = {(f.file, f.code, f.path) for f in known}
    by_file = {r.file: r for r in records}
    findings.extend(_not_for_me(records, {r.file for r in whole}, identities, seen))
    for rec in whole:
        line, col = by_file[rec.file].at((SEALED_FIELD,))
        for f in validate(rec, cfg.schemas_dir):
            if (f.file, f.code, f.path) not in seen:
                findings.append(dataclasses.replace(f, line=line, column=col))
    findings.sort(key=Finding.sort_key)
    return redact(findings, whole, bundled(cfg.schemas_dir)), len(whole)


def _not_for_me(records: list[Record], opened_files: set, identities: list, seen: set):
    """A sealed record of a county that lists one of ``identities`` among its recipients,
    which that key does not open: the ``to`` list claims a key the ciphertext is not for
    (only a key holder can tell; see ``privacy.seal``)."""
    mine = {str(i.to_public()) for i in identities}
    counties = {r.id: set(keys_of(r)) & mine for r in records if r.kind == "county"}
    for rec in records:
        d = rec.data
        if not isinstance(d, dict) or SEALED_FIELD not in d or rec.file in opened_files:
            continue
        if (
            counties.get(county_of(rec))
            and (rec.file, SEALED_STALE_RECIPIENTS.code, "$.sealed.to") not in seen
        ):
            line, col = rec.at((SEALED_FIELD, "to"))
            yield make(
                SEALED_STALE_RECIPIENTS,
                rec.file,
                "本区县登记了这把密钥，它却打不开这条记录的密文",
                line=line,
                column=col,
                path="$.sealed.to",
            )


def sealed_for_import(
    cfg: Config, model: Model, rel: tuple[str, ...], data: dict, keys: list | None = None
) -> dict:
    """A record an import writes, with its private fields sealed when its county lists keys
    (public keys are enough for a record whose private fields are all new; changing a sealed
    one needs ``keys``, by default those of ``BANGFU_KEY_FILE``). When it cannot be sealed it is written as it
    is, and the check refuses it (``sealed.plaintext``) until ``bangfu encrypt --key``."""
    kind = classify(rel)
    if kind is None:
        return data
    rec = Record(kind, "/".join(rel), rel, Parsed(data))
    to = keys_of(model.get("county", county_of(rec) or ""))
    if not to:
        return data
    try:
        keys = identities(None) if keys is None else keys
        return seal.seal(bundled(cfg.schemas_dir)[kind], data, to, keys)
    except seal.SealError:
        return data


def _sealed_text(value: dict) -> str:
    """The canonical text of a ``sealed`` field. The base64 text is written plain on one line
    (it starts with ``YWdl``, has no spaces), as ruamel.yaml writes it, without its slow
    analysis of a long scalar."""
    return _sealed_head(tuple(value["to"])) + value["age"] + "\n"


@functools.lru_cache(maxsize=256)
def _sealed_head(to: tuple[str, ...]) -> str:
    """Everything of the ``sealed`` text before the base64 (one per county's key list)."""
    return dump_text({SEALED_FIELD: {"to": list(to), "age": "A"}})[: -len("A\n")]


def register_everywhere(
    cfg: Config, entries: list[dict], loaded_records: tuple[list[Record], Model] | None = None
) -> Plan:
    """Every county of the data folder given ``entries`` as its recipients, and every record
    sealed for them (the synthetic demo: ``bangfu demo --recipient``); nothing may be sealed
    yet."""
    records, model = loaded_records or loaded(cfg)
    keys = sorted({e["key"] for e in entries})
    changed = {}
    for county in model.by_kind["county"].values():
        data = {k: v for k, v in county.data.items() if k not in ("recipients", SEALED_FIELD)}
        changed[county.file] = {**data, "recipients": entries}
        if SEALED_FIELD in county.data:
            changed[county.file][SEALED_FIELD] = county.data[SEALED_FIELD]
    every = {cid: keys for cid in model.by_kind["county"]}
    return reseal(cfg, [], keys=every, changed=changed, loaded_records=(records, model))
