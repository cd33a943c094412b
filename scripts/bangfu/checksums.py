"""Check digits of the two national identifiers we store."""

from __future__ import annotations

import datetime as dt
from operator import mul

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_BIAS = ord("0") * sum(_ID_WEIGHTS)


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(value: object) -> bool:
    """统一社会信用代码 (GB 32100-2015): 18 characters, the last a mod-31 check character."""
    if not isinstance(value, str) or len(value) != 18:
        return True  # length and alphabet are the schema pattern's job
    if any(c not in _USCC_CHARS for c in value):
        return True
    return uscc_check_char(value[:17]) == value[17]


def _ascii_digits(s: str) -> bool:
    # str.isdigit alone also takes other scripts' digits and superscripts ("²"), which int()
    # refuses
    return s.isascii() and s.isdigit()


def resident_id_check_char(first17: str) -> str:
    """The check character of a 公民身份号码's first 17 digits; "" when they are not 17
    ASCII digits (it then matches no check character)."""
    if len(first17) != 17 or not _ascii_digits(first17):
        return ""
    # the digits' bytes minus "0" each, weighted: the checker calls this for every ID number
    return _ID_CHECK[(sum(map(mul, first17.encode("ascii"), _ID_WEIGHTS)) - _ID_BIAS) % 11]


def is_valid_resident_id(value: object) -> bool:
    """公民身份号码 (GB 11643-1999): a real birth date and a mod-11 check character."""
    if not isinstance(value, str) or len(value) != 18 or not _ascii_digits(value[:17]):
        return True  # the schema pattern reports the shape
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return resident_id_check_char(value[:17]) == value[17]


def date_of(value: object) -> dt.date | None:
    """The date a ``YYYY-MM-DD`` string names; None for anything else (a week date such as
    ``2020-W01-1``, which ``fromisoformat`` also takes, is not a date here).

    A tree's records name few distinct days many times over (the parse and the rules ask
    about 30 times per household): each string's answer is kept, up to ``DATES_KEPT``
    strings (a date is immutable, so the same object is given each time)."""
    if value.__class__ is str:
        try:
            return DATES_READ[value]
        except KeyError:
            day = _date_of(value)
            if len(DATES_READ) < DATES_KEPT:
                DATES_READ[value] = day
            return day
    return _date_of(value) if isinstance(value, str) else None


DATES_KEPT = 1 << 16  # about 180 years of days, and then some strings that are not dates
DATES_READ: dict[str, dt.date | None] = {}  # string → its date (None: not a date)


def _date_of(value: str) -> dt.date | None:
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def is_valid_date(value: object) -> bool:
    """The ``date`` format: a string must be a real ``YYYY-MM-DD`` date."""
    return not isinstance(value, str) or date_of(value) is not None


FORMATS = {"uscc": is_valid_uscc, "cn-resident-id": is_valid_resident_id, "date": is_valid_date}
