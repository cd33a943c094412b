"""Detectors for personal data in a piece of text. Pure functions; no value they find is ever
returned to a caller that prints: they answer with the KIND of data only.

Numbers. A text is cut into digit runs: digit groups joined by single spaces or hyphens
(``138 1234 5678``, ``6222-0212-3456-7890``), optionally ending in ``X`` (a resident id's check
character). A candidate is one group or several consecutive groups of a run; a candidate of
several groups needs every group to have at least 3 digits, so dates (``2024-03-05``) and
ranges never join with a neighbouring number. Candidates are tested in this order, and a
group used by one finding is not reused:

- 身份证号: 18 characters, GB 11643 check character, a real birth date 1900–2099, and not
  also a valid 统一社会信用代码 (GB 32100);
- 手机号: 11 digits ``1[3-9]…`` (also after a ``86`` country code);
- 银行卡号: 13–19 digits starting 3, 4, 5, 6 or 9 (card networks; dates and amounts start
  otherwise or are shorter) with a valid Luhn check digit.

In free text a run touching a Latin letter or another digit is part of a code (a USCC such as
``91500000MA5U7…``, a document number) and is skipped; ids and file names are scanned without
that guard, and any 15 or more consecutive digits there count as an id number.

Names. ``NameIndex`` holds the person names known from private fields (at least 2 CJK
characters, ``·`` allowed). A name counts when its whole string occurs in the text outside
every occurrence of a public place or organization name (``张家`` inside the village name
``张家湾`` does not count). ``NameDigests`` answers the same question from keyed digests of
the names (a check of a few files gets the names of the files it did not read that way, see
``privacy.known``): every substring of the text shaped like a name, of a length some name
has, is digested with the same key and looked up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable

from ..checksums import resident_id_check_char, uscc_check_char

RESIDENT_ID = "身份证号"
MOBILE = "手机号"
BANK_CARD = "银行卡号"
NAME = "姓名"
KINDS = (RESIDENT_ID, MOBILE, BANK_CARD, NAME)  # the order kinds are named in messages

# at least 11 digits, single separators allowed: nothing shorter is a number we look for
_GATE = re.compile(r"[0-9](?:[ \-_.]?[0-9]){10}")
_RUN = re.compile(r"[0-9]+(?:[ -][0-9]+)*[Xx]?")
_CODE_CHAR = re.compile(r"[0-9A-Za-z]")
_LONG_DIGITS = re.compile(r"[0-9]{15,}")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NAME = re.compile(rf"[{_CJK}][{_CJK}·]*[{_CJK}]")
_CJK_CHAR = re.compile(f"[{_CJK}]")
MIN_GROUP = 3
MAX_DIGITS = 19


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def is_resident_id(s: str) -> bool:
    """A checksum-valid 18-character 公民身份号码 that is not also a valid USCC."""
    if len(s) != 18 or not s[:17].isdigit() or s[0] not in "12345678":
        return False
    last = s[17].upper()
    if not (last.isdigit() or last == "X"):
        return False
    try:
        born = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= 2099 or resident_id_check_char(s[:17]) != last:
        return False
    return not (last.isdigit() and uscc_check_char(s[:17]) == last)


def is_mobile(s: str) -> bool:
    if len(s) == 13 and s.startswith("86"):
        s = s[2:]
    return len(s) == 11 and s.isdigit() and s[0] == "1" and s[1] in "3456789"


def is_bank_card(s: str) -> bool:
    return (
        13 <= len(s) <= MAX_DIGITS
        and s.isdigit()
        and s[0] in "34569"
        and len(set(s)) > 2
        and luhn_ok(s)
    )


_TESTS = ((RESIDENT_ID, is_resident_id), (MOBILE, is_mobile), (BANK_CARD, is_bank_card))


def _candidates(groups: list[str], x: bool):
    """(start, end, string) for each run of consecutive groups short enough to be a number
    we look for, longest first."""
    out = []
    for s in range(len(groups)):
        total = 0
        for e in range(s, len(groups)):
            total += len(groups[e])
            if total > MAX_DIGITS:
                break
            if e > s and (len(groups[s]) < MIN_GROUP or len(groups[e]) < MIN_GROUP):
                continue  # a date part (2024-03-05) never joins a neighbour
            if e > s + 1 and any(len(g) < MIN_GROUP for g in groups[s + 1 : e]):
                continue
            out.append((s, e + 1, "".join(groups[s : e + 1])))
    out.sort(key=lambda c: (c[0] - c[1], c[0]))
    last = len(groups)
    for s, e, digits in out:
        if x and e == last:
            yield s, e, digits + "X", True
        else:
            yield s, e, digits, False


def has_digits(text: str) -> bool:
    """True when ``text`` has a run of at least 11 digits (single separators allowed)."""
    return _GATE.search(text) is not None


def number_kinds(text: str, *, strict_edges: bool = True) -> set[str]:
    """Which of 身份证号, 手机号, 银行卡号 occur in ``text``."""
    found: set[str] = set()
    if _GATE.search(text) is None:
        return found
    for m in _RUN.finditer(text):
        a, b = m.span()
        if strict_edges and (
            (a > 0 and _CODE_CHAR.match(text, a - 1))
            or (b < len(text) and _CODE_CHAR.match(text, b))
        ):
            continue
        run = m.group()
        x = run[-1] in "Xx"
        groups = (run[:-1] if x else run).replace("-", " ").split(" ")
        if sum(len(g) for g in groups) < 11:
            continue
        used: set[int] = set()
        for kind, test in _TESTS:
            for s, e, cand, with_x in _candidates(groups, x):
                if with_x and kind != RESIDENT_ID:
                    continue
                if used.intersection(range(s, e)) or not test(cand):
                    continue
                found.add(kind)
                used.update(range(s, e))
    return found


def id_kinds(value: str) -> set[str]:
    """Which kinds of personal number an id or a file name looks like it holds."""
    found = number_kinds(value.replace("_", "-").replace(".", "-"), strict_edges=False)
    if _LONG_DIGITS.search(value):
        found.add(RESIDENT_ID)
    return found


def is_person_name(value: object) -> bool:
    return isinstance(value, str) and _NAME.fullmatch(value) is not None


class _Matcher:
    """Whether a text holds a known name (outside the ``mask`` spans), remembered per text."""

    __slots__ = ()
    _seen: dict[tuple[str, int], bool]

    def _empty(self) -> bool:
        raise NotImplementedError

    def _scan(self, text: str, mask: re.Pattern | None) -> bool:
        raise NotImplementedError

    def found(self, text: str, mask: re.Pattern | None = None) -> bool:
        if self._empty():
            return False
        key = (text, id(mask))
        hit = self._seen.get(key)
        if hit is None:
            hit = self._seen[key] = self._scan(text, mask)
        return hit


class NameIndex(_Matcher):
    """The person names of one county. ``found(text, mask)`` is True when one of them occurs
    in ``text`` outside every match of ``mask`` (the public place and organization names,
    see ``mask_pattern``). Answers are remembered per text: report texts repeat a lot."""

    __slots__ = ("names", "_lengths", "_first", "_seen")

    def __init__(self, names: Iterable[str]):
        self.names = frozenset(n for n in names if is_person_name(n))
        self._lengths = sorted({len(n) for n in self.names}, reverse=True)
        first = "".join(sorted({n[0] for n in self.names}))
        self._first = re.compile(f"[{re.escape(first)}]") if first else None
        self._seen: dict[tuple[str, int], bool] = {}

    def _empty(self) -> bool:
        return self._first is None

    def _scan(self, text: str, mask: re.Pattern | None) -> bool:
        if self._first is None:  # no names (``found`` does not ask then)
            return False
        spans = None
        names = self.names
        size = len(text)
        for m in self._first.finditer(text):
            i = m.start()
            for n in self._lengths:
                if i + n > size or text[i : i + n] not in names:
                    continue
                if spans is None:
                    spans = [p.span() for p in mask.finditer(text)] if mask else []
                if not any(a <= i and i + n <= b for a, b in spans):
                    return True
        return False


DIGEST_SIZE = 8  # bytes; a false match needs a collision in 2**64 per lookup


def name_digest(key: bytes, name: str) -> bytes:
    """The keyed digest a name is kept as (``key``: random, per reference index)."""
    return hashlib.blake2b(name.encode("utf-8"), key=key, digest_size=DIGEST_SIZE).digest()


class NameDigests(_Matcher):
    """``NameIndex``'s twin over keyed digests: ``found(text, mask)`` gives the same answer as
    ``NameIndex(names).found(text, mask)`` when ``digests`` holds the digests of ``names`` and
    ``lengths`` their lengths. ``with_names`` adds plain names (the files that were read)."""

    __slots__ = ("key", "digests", "lengths", "_seen")

    def __init__(self, key: bytes, digests: Iterable[bytes], lengths: Iterable[int]):
        self.key = key
        self.digests = frozenset(digests)
        self.lengths = tuple(sorted(set(lengths), reverse=True))
        self._seen: dict[tuple[str, int], bool] = {}

    def with_names(self, names: Iterable[str]) -> NameDigests:
        plain = [n for n in names if is_person_name(n)]
        return NameDigests(
            self.key,
            self.digests.union(name_digest(self.key, n) for n in plain),
            set(self.lengths).union(len(n) for n in plain),
        )

    def _empty(self) -> bool:
        return not self.digests

    def _scan(self, text: str, mask: re.Pattern | None) -> bool:
        spans = None
        size = len(text)
        for m in _CJK_CHAR.finditer(text):
            i = m.start()
            for n in self.lengths:
                if i + n > size:
                    continue
                part = text[i : i + n]
                if _NAME.fullmatch(part) is None or name_digest(self.key, part) not in self.digests:
                    continue
                if spans is None:
                    spans = [p.span() for p in mask.finditer(text)] if mask else []
                if not any(a <= i and i + n <= b for a, b in spans):
                    return True
        return False


def mask_pattern(public_names: Iterable[str]) -> re.Pattern | None:
    """One pattern matching any of ``public_names`` (longest first), or None."""
    names = sorted(
        {n for n in public_names if isinstance(n, str) and len(n) >= 2},
        key=lambda n: (-len(n), n),
    )
    return re.compile("|".join(map(re.escape, names))) if names else None
