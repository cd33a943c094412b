"""``bangfu review --private --key FILE``: which private fields changed inside a sealed value.

Without a key a change of ``sealed`` is one row, "隐私字段（密文）· 隐私字段已修改". With a key
that opens both sides, that row is replaced by one row per private field that changed, named
by its schema title: a private ``FieldChange`` never carries a value (``review.diff``), so the
output names fields, never what they hold. A side the key does not open keeps the one row."""

from __future__ import annotations

from ..privacy import seal
from ..record import SEALED_FIELD, Record
from .diff import SchemaView, diff
from .history import Pair

_SEALED_PATH = f"$.{SEALED_FIELD}"
_CLOSED = object()


def detail(records: list, pairs: list[Pair], views: dict[str, SchemaView], identities: list) -> int:
    """Name the private fields behind each sealed change the key opens (in place); returns
    how many sealed changes stay unopened."""
    closed = 0
    for rc, p in zip(records, pairs, strict=True):
        at = next((i for i, fc in enumerate(rc.fields) if fc.path == _SEALED_PATH), None)
        view = views.get(p.kind or "")
        if at is None or view is None or p.old is None or p.new is None:
            continue
        old, new = _open(view, p.old, identities), _open(view, p.new, identities)
        if old is _CLOSED or new is _CLOSED:
            closed += 1
            continue
        shown = {fc.path for fc in rc.fields}
        named = [fc for fc in diff(view, old, new).changes if fc.private and fc.path not in shown]
        if named:  # none: the same fields sealed again (e.g. for new recipients)
            rc.fields[at : at + 1] = named
    return closed


def _open(view: SchemaView, rec: Record, identities: list):
    d = rec.data
    if not isinstance(d, dict):
        return _CLOSED
    if SEALED_FIELD not in d:
        return d
    try:
        whole = seal.open_record(view.schema, d, identities)
    except seal.SealError:
        return _CLOSED
    return _CLOSED if whole is None else whole
