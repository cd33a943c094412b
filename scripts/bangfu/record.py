"""The record: one file of the data folder as read (its kind, display path, parts relative to the
data root, the parse and the facts), and where a record sits in the layout: path → kind
(``classify``), the id a file must carry (``expected_stem``), display paths (``locate``)."""

from __future__ import annotations

import marshal
import os
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Finding
from .layout import id_of, kind_of
from .yamlsafe import Parsed

# the field holding a record's sealed private fields (``privacy.seal``); no schema has it
SEALED_FIELD = "sealed"

# the kinds most records are of: a province holds millions of them, and nothing is published
# from them but what the aggregate counts (``Packed``, ``Model.release``)
BULK = ("household", "report")
# a packed record's top-level fields read without its data: by the model's index (``id``, a
# report's ``plan``), the site's synthetic-data notice (``synthetic``) and the rows of the
# policies' rules, to find a household's county (``village``; ``rules.tiers.households_under``)
HEAD = ("id", "plan", "synthetic", "village")


class Released:
    """What stays of a record's parse once its data is let go (``Record.release``): its id and
    its findings. Its data is gone: reading it is a bug, and raises."""

    __slots__ = ("id", "findings")

    def __init__(self, id_: str | None, findings: list[Finding]):
        self.id = id_
        self.findings = findings

    @property
    def data(self):
        raise _released()

    @property
    def positions(self) -> dict[tuple, tuple[int, int]]:
        raise _released()

    def where(self, parts) -> tuple[int, int]:
        raise _released()


class Packed(Parsed):
    """A clean bulk record's parse (no findings of its own), loaded from the parse cache, whose
    data stays as marshal bytes until read: ``data`` decodes it anew at every read and keeps
    nothing, ``unpack`` decodes it once and keeps it. At 200,000 households a household's data
    held 4.7 KB as objects, 1.3 KB packed; a command whose figures come from the records'
    facts (``bangfu site`` with the rules' findings kept, ``verdicts``) reads no report's data
    and a household's only where a policy's rule applies to it, and never holds them all. The
    rules read every record many times: ``Model.unpack`` first. ``head``: the record's
    ``HEAD`` fields, each when a text or a truth value (else None)."""

    __slots__ = ("_packed", "head")

    def __init__(self, head: tuple, packed: bytes, source=None):
        # the slots set here, not through ``Parsed.__init__`` and the ``data`` setter: a
        # province's load makes a million of these; the data slot is set by ``unpack``
        self.findings: list[Finding] = []
        self._positions = None
        self._source = source
        self.head = head
        self._packed: bytes | None = packed

    @property
    def data(self):
        packed = self._packed
        if packed is None:
            return _DATA.__get__(self)
        return marshal.loads(packed)

    @data.setter
    def data(self, value) -> None:
        _DATA.__set__(self, value)
        self._packed = None

    @property
    def id(self) -> str | None:
        return self.head[0] if isinstance(self.head[0], str) else None

    @property
    def still_packed(self) -> bool:
        """Whether the data is still bytes (not yet ``unpack``-ed)."""
        return self._packed is not None

    def unpack(self) -> None:
        """Decode the data once and keep it: ``data`` is then the same object at every read,
        and a change to it stays."""
        if self._packed is not None:
            self.data = marshal.loads(self._packed)


_DATA = Parsed.__dict__["data"]  # the slot ``Packed.data`` reads once unpacked


def pack(kind: str | None, data: object, clean: bool) -> object:
    """What the parse cache keeps as a record's data: for a clean record of the ``BULK``
    kinds, ``(head, marshal bytes)`` (``packed`` makes its ``Packed`` again); else the data
    itself, which a YAML document never makes a tuple."""
    if not clean or kind not in BULK or type(data) is not dict:
        return data
    head = tuple(v if isinstance(v, str | bool) else None for v in map(data.get, HEAD))
    return head, marshal.dumps(data)


def pack_facts(facts: object) -> object:
    """A record's facts as the parse cache keeps them: marshal bytes (``unpack_facts``)."""
    return marshal.dumps(facts) if type(facts) is dict else facts


def unpack_facts(facts: object) -> dict | None:
    """A record's facts, decoded where the cache kept them packed; None where there are none
    or the bytes are damaged (then they are computed again from the data)."""
    if type(facts) is bytes:
        try:
            facts = marshal.loads(facts)
        except (EOFError, ValueError, TypeError):
            return None
    return facts if type(facts) is dict else None


def packed(kept: object, source=None) -> Parsed | None:
    """The parse of a clean record from what the parse cache keeps as its data (``pack``);
    None when that is neither data nor a well-formed pack (a damaged cache: read it again)."""
    if type(kept) is not tuple:
        return Parsed(kept, None, [], source)
    if len(kept) != 2 or type(kept[0]) is not tuple or type(kept[1]) is not bytes:
        return None
    head = kept[0]
    if len(head) != len(HEAD) or not all(map(_HEAD_TYPES.__contains__, map(type, head))):
        return None
    return Packed(head, kept[1], source)


_HEAD_TYPES = frozenset((str, bool, type(None)))

# ``Record.facts`` of a record whose facts are at its ``cell`` of the parse cache's columns:
# not held a second time as bytes (at 500,000 households, 435 MB). ``facts.facts_of`` then
# computes them from the data; the figures and the rules read them from the columns.
IN_COLUMNS = b""


def _released() -> RuntimeError:
    return RuntimeError("bangfu：这条记录的数据已释放（Record.release 之后不能再读）")


@dataclass(slots=True)
class Record:
    kind: str | None
    file: str  # display path, e.g. data/households/cq-x/cq-x-y-z/h-1.yaml
    rel: tuple[str, ...]  # parts relative to the data root
    parsed: Parsed | Released = field(default_factory=Parsed)
    # the record's public-safe facts (``facts.record_facts``), computed with the parse and
    # cached with it by content hash, packed where they came from the cache (``pack_facts``;
    # read them with ``facts.facts_of``); ``IN_COLUMNS``: at its ``cell`` of the parse cache's
    # columns (``factcache``); None: not computed yet, or let go (``release``)
    facts: dict | bytes | None = None
    # where the parse cache's columns hold its facts (``factcache``); -1: not there
    cell: int = -1

    @property
    def data(self):
        return self.parsed.data

    @property
    def findings(self) -> list[Finding]:
        return self.parsed.findings

    @property
    def id(self) -> str | None:
        parsed = self.parsed
        if isinstance(parsed, Released | Packed):
            return parsed.id
        d = parsed.data
        if isinstance(d, dict) and isinstance(d.get("id"), str):
            return d["id"]
        return None

    def head(self, key: str) -> str | bool | None:
        """The record's top-level field ``key`` (one of ``HEAD``) when a text or a truth value,
        else None; a packed record's without decoding its data."""
        parsed = self.parsed
        if isinstance(parsed, Packed):
            return parsed.head[HEAD.index(key)]
        d = parsed.data
        v = d.get(key) if isinstance(d, dict) else None
        return v if isinstance(v, str | bool) else None

    @property
    def mapping(self) -> bool:
        """Whether the record's data is a mapping (a packed record's always is)."""
        return isinstance(self.parsed, Packed) or isinstance(self.parsed.data, dict)

    def at(self, parts) -> tuple[int, int]:
        return self.parsed.where(parts)

    def release(self) -> None:
        """Let go of the parsed data and the facts, keeping the id and the findings: for a
        command that has read from the record all it needs (``Model.release``)."""
        if not isinstance(self.parsed, Released):
            self.parsed = Released(self.id, self.parsed.findings)
        self.facts = None


def households_named(rec: Record) -> list[str]:
    """The household ids a plan's targets or a report's entries name."""
    d = rec.data
    out: list[str] = []
    if not isinstance(d, dict):
        return out
    if rec.kind == "plan":
        targets = d.get("targets")
        if isinstance(targets, dict):
            out.extend(h for h in targets.get("households") or [] if isinstance(h, str))
    elif rec.kind == "report":
        for e in d.get("entries") or []:
            if isinstance(e, dict) and isinstance(e.get("household"), str):
                out.append(e["household"])
    return out


def under(file: str, paths) -> bool:
    """Whether ``file`` is one of ``paths`` or lies in one of them (all data-relative, joined
    with ``/``): a finding or record within what a check of a few paths names."""
    return any(file == w or file.startswith(w + "/") for w in paths)


def hidden(rel: tuple[str, ...]) -> bool:
    """Whether a path (parts relative to the data root) has a hidden file or folder in it."""
    return "/." in "/" + "/".join(rel)


def classify(rel: tuple[str, ...]) -> str | None:
    """Record kind from a path relative to the data root, or None when it fits no kind
    (hidden files and files in hidden folders are never records)."""
    return None if hidden(rel) else kind_of(rel)


def expected_stem(rel: tuple[str, ...], kind: str) -> str:
    """The id a file at ``rel`` must carry (plans are named by their folder)."""
    return id_of(rel, kind)


def locate(path: Path, data_root: Path) -> tuple[str, tuple[str, ...] | None]:
    """(display path, parts relative to the data root or None when outside it) of ``path``.
    The last part is never followed: a symbolic link is named as itself."""
    if path.name in ("", ".", ".."):
        full = os.path.realpath(path)
    else:
        full = os.path.join(os.path.realpath(path.parent), path.name)
    root = os.path.realpath(data_root)
    base = os.path.dirname(root)
    rel = None
    if full.startswith(root + os.sep):
        rel = tuple(full[len(root) + 1 :].split(os.sep))
    elif full == root:
        rel = ()
    if full.startswith(base.rstrip(os.sep) + os.sep):
        return full[len(base.rstrip(os.sep)) + 1 :].replace(os.sep, "/"), rel
    return path.as_posix(), rel


def display(path: Path, root: Path) -> str:
    return locate(path, root)[0]
