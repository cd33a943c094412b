"""Sealing a record's private fields: one age ciphertext per record, to its county's keys.

A record's private part is every maximal private subtree (``schema.is_public`` is false for
its path: unmarked and unknown fields count as private), as ``[path, value]`` pairs; the
public part is the rest, kept as plain YAML. The private part is encrypted (age, X25519, via
pyrage) to the county's recipients and stored as::

    sealed:
      to:            # fingerprints of the recipients, sorted (``fingerprint``)
        - age1x60uyuauz7tw8dw7
      age: YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSAuLi4=   # base64 of the ciphertext

An X25519 stanza does not say whom it is for, so ``to`` is the writer's statement of the
recipients; without a key the checker verifies that the ciphertext is well formed, holds as
many X25519 stanzas as ``to`` names, and that ``to`` is the county's current list. A key holder
verifies more: that their key opens it (``bangfu keys list``)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

import pyrage
from pyrage import x25519

from ..record import SEALED_FIELD
from ..schema import is_public, node_at

FIELD = SEALED_FIELD
PAYLOAD_VERSION = 1
AGE_MAGIC = b"age-encryption.org/v1\n"
RECIPIENT = re.compile(r"age1[02-9ac-hj-np-z]{58}\Z")
FINGERPRINT = re.compile(r"age1[02-9ac-hj-np-z]{16}\Z")
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}\Z")


class SealError(Exception):
    """A sealed value that cannot be used; the message (Chinese) never holds a value."""


def fingerprint(recipient: str) -> str:
    """A short name of a public key: its first 20 characters (``age1`` and 80 bits of the
    key), so a reader can match it by eye against the county's ``recipients``. It always
    starts with a letter, so YAML writes and reads it as plain text."""
    return recipient[:20]


def fingerprints(recipients) -> list[str]:
    return sorted({fingerprint(r) for r in recipients})


# --- splitting a record into its public and private parts --------------------------------


def split(schema: dict, data: dict) -> tuple[dict, list[list]]:
    """(public part, private fields as ``[path, value]`` pairs in document order). The
    ``sealed`` field itself belongs to neither."""
    private: list[list] = []
    public = _split(schema, (), data, private)
    assert isinstance(public, dict)
    return public, private


_PUBLIC: dict[tuple[int, tuple], bool] = {}  # (id of a schema, path shape) → public
_PINNED: dict[int, dict] = {}


def _split(schema: dict, parts: tuple, node, private: list, shape: tuple = ()) -> object:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if not parts and k == FIELD:
                continue
            sub, sub_shape = (*parts, k), (*shape, k)
            if _public(schema, sub_shape):
                out[k] = _split(schema, sub, v, private, sub_shape)
            else:
                private.append([list(sub), v])
        return out
    if isinstance(node, list):
        inner = (*shape, 0)
        return [_split(schema, (*parts, i), v, private, inner) for i, v in enumerate(node)]
    return node


def has_private(schema: dict, data: dict) -> bool:
    """Whether any private field is held in plain text. Subtrees whose schema has no private
    property are not walked (a key the schema does not know there is a schema error)."""
    _PINNED.setdefault(id(schema), schema)
    return _has_private(schema, id(schema), (), data)


_PRIVATE, _SKIP, _WALK = 0, 1, 2  # a path is private / public with no private below / public


def _state(schema: dict, shape: tuple) -> int:
    if not _public(schema, shape):
        return _PRIVATE
    return _SKIP if all_public(schema, shape) else _WALK


def _has_private(schema: dict, sid: int, shape: tuple, node) -> bool:
    if type(node) is list:
        inner = (*shape, 0)
        st = _STATE.get((sid, inner))
        if st is None:
            st = _STATE[(sid, inner)] = _state(schema, inner)
        return st == _WALK and any(_has_private(schema, sid, inner, v) for v in node)
    if type(node) is not dict:
        return False
    for k, v in node.items():
        sub = (*shape, k)
        st = _STATE.get((sid, sub))
        if st is None:
            st = _STATE[(sid, sub)] = _state(schema, sub)
        if st == _PRIVATE:
            if shape or k != FIELD:
                return True
        elif st == _WALK and type(v) in (dict, list) and _has_private(schema, sid, sub, v):
            return True
    return False


_STATE: dict[tuple[int, tuple], int] = {}


_ALL_PUBLIC: dict[tuple[int, tuple], bool] = {}
_COMBINATORS = ("oneOf", "anyOf", "allOf", "if", "then", "else", "patternProperties")


def all_public(schema: dict, shape: tuple) -> bool:
    """Whether every property the schema describes under ``shape`` is public."""
    key = (id(schema), shape)
    found = _ALL_PUBLIC.get(key)
    if found is None:
        _PINNED.setdefault(id(schema), schema)
        node = node_at(schema, list(shape))
        props = node.get("properties", {})
        items = "items" in node or node.get("type") == "array"
        obj = "properties" in node or node.get("type") == "object"
        # keys a combinator or open mapping may allow are unknown to node_at: private
        open_ = any(k in node for k in _COMBINATORS) or (
            obj and node.get("additionalProperties") is not False
        )
        found = (
            not open_
            and all(_public(schema, (*shape, p)) and all_public(schema, (*shape, p)) for p in props)
            and (not items or all_public(schema, (*shape, 0)))
        )
        _ALL_PUBLIC[key] = found
    return found


def _public(schema: dict, shape: tuple) -> bool:
    found = _PUBLIC.get((id(schema), shape))
    if found is None:
        _PINNED.setdefault(id(schema), schema)  # its id is never reused
        found = _PUBLIC[(id(schema), shape)] = is_public(schema, shape)
    return found


def merge(public: dict, private: list) -> dict:
    """The whole record: the public part with the private fields put back at their paths.
    Raises ``SealError`` when a path no longer fits the public part."""
    out = json.loads(json.dumps(public))  # a deep copy of plain data
    for item in private:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], list)):
            raise SealError("密文内容的格式不对")
        path, value = item
        if not path:
            raise SealError("密文内容的格式不对")
        node = out
        for p in path[:-1]:
            try:
                node = node[p]
            except (KeyError, IndexError, TypeError):
                raise SealError("密文中的隐私字段与记录的公开部分对不上") from None
        last = path[-1]
        if isinstance(node, dict) and isinstance(last, str) and last not in node:
            node[last] = value
        else:
            raise SealError("密文中的隐私字段与记录的公开部分对不上")
    return out


# --- the sealed value --------------------------------------------------------------------


def _payload(private: list) -> bytes:
    doc = {"v": PAYLOAD_VERSION, "fields": private}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def encrypt(private: list, recipients: list[str]) -> dict:
    """The ``sealed`` value holding ``private`` for ``recipients`` (age1… strings)."""
    if not recipients:
        raise SealError("没有收件人（区县没有登记密钥）")
    keys = [x25519.Recipient.from_str(r) for r in sorted(set(recipients))]
    blob = pyrage.encrypt(_payload(private), keys)
    return {"to": fingerprints(recipients), "age": base64.b64encode(blob).decode("ascii")}


@dataclass(frozen=True, slots=True)
class Sealed:
    to: tuple[str, ...]
    blob: bytes


def parse(value) -> Sealed:
    """The ``sealed`` value checked for form without a key: ``to`` a sorted list of distinct
    fingerprints, ``age`` base64 of an age file with one X25519 stanza per fingerprint."""
    if not isinstance(value, dict) or set(value) != {"to", "age"}:
        raise SealError("“sealed”必须正好有“to”（收件人指纹）和“age”（密文）两项")
    to, age = value["to"], value["age"]
    if (
        not isinstance(to, list)
        or not to
        or not all(isinstance(t, str) and FINGERPRINT.match(t) for t in to)
    ):
        raise SealError("“sealed.to”必须是收件人指纹（公钥的前 20 个字符）的列表")
    if to != sorted(set(to)):
        raise SealError("“sealed.to”中的指纹必须按顺序排列、不重复")
    if not isinstance(age, str) or not _B64.match(age):
        raise SealError("“sealed.age”不是 base64 文字")
    try:
        blob = base64.b64decode(age, validate=True)
    except (binascii.Error, ValueError):
        raise SealError("“sealed.age”不是 base64 文字") from None
    stanzas = header_stanzas(blob)
    if stanzas is None:
        raise SealError("“sealed.age”不是 age 格式的密文")
    if stanzas != len(to):
        raise SealError(f"密文有 {stanzas} 个收件人，“sealed.to”列了 {len(to)} 个")
    return Sealed(tuple(to), blob)


def header_stanzas(blob: bytes) -> int | None:
    """How many X25519 recipient stanzas an age file's header holds; None when it is not an
    age file (no magic line, no ``---`` MAC line, or a payload too short)."""
    if not blob.startswith(AGE_MAGIC):
        return None
    end = blob.find(b"\n--- ")
    if end < 0:
        return None
    nl = blob.find(b"\n", end + 1)
    if nl < 0 or len(blob) - nl - 1 < 16 + 16:  # nonce + one empty chunk's tag
        return None
    lines = blob[len(AGE_MAGIC) : end].split(b"\n")
    return sum(1 for line in lines if line.startswith(b"-> X25519 "))


def decrypt(value, identities: list) -> list | None:
    """The private fields, or None when none of ``identities`` opens the value. Raises
    ``SealError`` when the value is damaged."""
    sealed = parse(value)
    try:
        raw = pyrage.decrypt(sealed.blob, identities)
    except pyrage.DecryptError:
        return None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SealError("密文内容的格式不对") from None
    if not isinstance(doc, dict) or doc.get("v") != PAYLOAD_VERSION:
        raise SealError("密文内容的版本不对")
    fields = doc.get("fields")
    if not isinstance(fields, list):
        raise SealError("密文内容的格式不对")
    return fields


def seal(schema: dict, data: dict, recipients: list[str], identities: list | None = None) -> dict:
    """``data`` with its private fields sealed for ``recipients``. Plain private fields are
    added to what an existing ``sealed`` value holds (opened with ``identities``); the value
    is kept byte for byte when neither its content nor its recipients change (age ciphertexts
    are random, so re-encrypting unchanged content would make a change out of nothing).
    Raises ``SealError`` when there is an existing value and no given key opens it."""
    public, plain = split(schema, data)
    old = data.get(FIELD)
    held: list = []
    if old is not None:
        if not plain and parse(old).to == tuple(fingerprints(recipients)):
            return {**public, FIELD: old}
        if not identities:
            raise SealError("记录已有密文，要改它需要能打开它的密钥")
        opened = decrypt(old, identities)
        if opened is None:
            raise SealError("给出的密钥打不开这条记录的密文")
        held = opened
        whole = merge(public, held)
        for path, value in plain:  # plain text typed over a sealed field wins
            _put(whole, path, value)
        public, private = split(schema, whole)
        if _same(private, held) and parse(old).to == tuple(fingerprints(recipients)):
            return {**public, FIELD: old}  # the same values typed again: nothing changed
    else:
        private = plain
    if not private:
        return public
    return {**public, FIELD: encrypt(private, recipients)}


def _same(a: list, b: list) -> bool:
    """Whether two lists of private fields hold the same values, in whatever order."""

    def norm(fields: list) -> list:
        return sorted(json.dumps(f, ensure_ascii=False, sort_keys=True) for f in fields)

    return norm(a) == norm(b)


def _put(node, path: list, value) -> None:
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def open_record(schema: dict, data: dict, identities: list) -> dict | None:
    """The whole record (``sealed`` replaced by the fields it holds), or None when no key
    opens it. A record without ``sealed`` is returned as it is."""
    if FIELD not in data:
        return data
    fields = decrypt(data[FIELD], identities)
    if fields is None:
        return None
    public, plain = split(schema, data)
    whole = merge(public, fields)
    for path, value in plain:
        _put(whole, path, value)
    return whole


def generate() -> tuple[str, str]:
    """A new key pair: (secret key ``AGE-SECRET-KEY-1…``, public key ``age1…``)."""
    ident = x25519.Identity.generate()
    return str(ident), str(ident.to_public())
