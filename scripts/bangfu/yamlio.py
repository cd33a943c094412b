"""Writing records: one canonical YAML layout (ruamel.yaml round-trip, comments kept) and
atomic file replacement, so no writer can leave a half-written or lost file.

The file writers (lock, journal, all-or-nothing ``write_all``) live in ``writes`` and are
re-exported here, with ``is_tool_temp``, the one test for the tool's temporary file names."""

from __future__ import annotations

import datetime as dt
import io
import re

from ruamel.yaml import YAML

from .writes import (  # noqa: F401  (the writers, re-exported)
    WriteError,
    atomic_write,
    is_tool_temp,
    write_all,
    write_new,
    writing,
)
from .yamlsafe import parse

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def yaml_rt() -> YAML:
    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    y.allow_unicode = True
    y.preserve_quotes = True
    return y


def to_yaml_types(value):
    if isinstance(value, dict):
        return {k: to_yaml_types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_yaml_types(v) for v in value]
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def dump_text(data: dict, header: str = "") -> str:
    """Canonical text of a record built in code (dates written plain, like hand-written files).

    Plain records (mappings, lists, strings, integers, booleans) take a small direct emitter
    that writes exactly what ruamel.yaml would; anything it is unsure about goes to ruamel."""
    fast = dump_fast(data)
    if fast is not None:
        return header + fast
    buf = io.StringIO()
    yaml_rt().dump(to_yaml_types(data), buf)
    return header + buf.getvalue()


class _Unsure(Exception):
    pass


_PLAIN_FIRST_BAD = frozenset("-?:,[]{}#&*!|>'\"%@`=<~.+0123456789 ")
# digit-led strings that ruamel.yaml writes plain: report periods, landlines, resident ids
_DIGIT_PLAIN = re.compile(
    r"[0-9]{4}-(?:[0-9]{2}|W[0-9]{2}|Q[1-4])\Z|0[0-9]{2,3}-[0-9]{7,8}\Z|[0-9]{17}X\Z"
)
_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})


def _scalar_text(v) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if type(v) is int:
        return str(v)
    if type(v) is not str or not v or len(v) > 1000:
        raise _Unsure
    first = v[0]
    if first in _PLAIN_FIRST_BAD:
        if v.isascii() and v.isdigit():
            return f"'{v}'"
        if _DATE.match(v):
            try:
                dt.date.fromisoformat(v)
            except ValueError:
                raise _Unsure from None
            return v
        if _DIGIT_PLAIN.match(v):
            return v
        raise _Unsure
    if not v.isprintable() or v[-1] in " :" or ": " in v or " #" in v or v.lower() in _WORDS:
        raise _Unsure
    return v


def _emit_map(d: dict, indent: int, out: list, first_prefix: str | None = None) -> None:
    pad = " " * indent
    for k, v in d.items():
        if type(k) is not str:
            raise _Unsure
        head = (first_prefix if first_prefix is not None else pad) + _scalar_text(k) + ":"
        first_prefix = None
        if type(v) is dict:
            if not v:
                out.append(head + " {}\n")
            else:
                out.append(head + "\n")
                _emit_map(v, indent + 2, out)
        elif type(v) is list:
            if not v:
                out.append(head + " []\n")
            else:
                out.append(head + "\n")
                _emit_seq(v, indent + 2, out)
        else:
            out.append(head + " " + _scalar_text(v) + "\n")


def _emit_seq(items: list, indent: int, out: list) -> None:
    dash = " " * indent + "- "
    for v in items:
        if type(v) is dict and v:
            _emit_map(v, indent + 2, out, first_prefix=dash)
        elif type(v) in (dict, list):
            raise _Unsure
        else:
            out.append(dash + _scalar_text(v) + "\n")


def dump_fast(data: dict) -> str | None:
    """The canonical text of a plain record, or None when ruamel.yaml must decide."""
    if type(data) is not dict or not data:
        return None
    out: list[str] = []
    try:
        _emit_map(data, 0, out)
    except _Unsure:
        return None
    return "".join(out)


def update_text(data: dict, existing: str | None) -> str:
    """Canonical text of ``data``; an existing file keeps its comments and is returned
    unchanged when its data already equals ``data``. A file in canonical form whose only
    comments are a header of whole ``#`` lines at its top (``bangfu new`` and the demo write
    one) has nothing else to keep: its new text is that header and ``dump_text(data)``, what
    the round trip through ruamel.yaml (``round_trip_update``) writes, 20–60× faster."""
    if existing is None:
        return dump_text(data)
    old = parse(existing, "existing").data
    if old == data:
        return existing
    header = _header(existing)
    body = existing[len(header) :]
    if "#" not in body and isinstance(old, dict) and dump_text(old) == body:
        return dump_text(data, header)
    return round_trip_update(data, existing, old)


def _header(text: str) -> str:
    """The lines at the top of ``text`` that are whole comments."""
    end = 0
    while text.startswith("#", end):
        nl = text.find("\n", end)
        if nl < 0:
            return text[:end]
        end = nl + 1
    return text[:end]


def round_trip_update(data: dict, existing: str, old) -> str:
    """``existing`` (whose data is ``old``) changed into ``data`` through ruamel.yaml's round
    trip: comments and the text of unchanged keys are kept, keys follow ``data``'s order."""
    try:
        doc = yaml_rt().load(existing)
    except Exception:
        return dump_text(data)
    if not isinstance(old, dict) or not hasattr(doc, "keys"):
        return dump_text(data)
    fresh = yaml_rt().load(dump_text(data))
    for key in list(doc.keys()):
        if key not in data:
            del doc[key]
    for key in data:
        if key not in doc or old.get(key) != data[key]:
            doc[key] = fresh[key]
    ordered = list(data)
    if list(doc.keys()) != ordered:
        for key in ordered:  # move keys into the record's order, keeping their comments
            doc.move_to_end(key)
    buf = io.StringIO()
    yaml_rt().dump(doc, buf)
    return buf.getvalue()
