"""Turning a row's strings into values: dates, birthdays, amounts. Pure and cached.

A 2,500-row file repeats the same few dates and credit amounts over and over, so the parsers are
memoised: each distinct string is parsed once per process.
"""

from __future__ import annotations

import calendar
import re
from datetime import MAXYEAR, date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

QUARTER = Decimal("0.25")
_FOUR = Decimal(4)


@lru_cache(maxsize=8192)
def parse_date(text: str) -> date | None:
    """MM/DD/YYYY (or M/D/YYYY) or YYYY-MM-DD, any time part dropped; None when not a date."""
    value = text.strip()
    if "/" not in value:
        return parse_iso_date(value)
    parts = value.split(" ", 1)[0].split("/")
    if len(parts) != 3:
        return None
    month, day, year = parts
    return _date(year, month, day)


@lru_cache(maxsize=4096)
def parse_iso_date(text: str) -> date | None:
    """'2021-07-06', '2021-7-6' or '2021-07-06T00:00:00…' → the date (a time part is dropped).

    The one ISO date parser: XML elements, web-service envelopes and activity dates use it.
    """
    value = text.strip().split("T", 1)[0].split(" ", 1)[0]
    parts = value.split("-")
    if len(parts) != 3:
        return None
    year, month, day = parts
    return _date(year, month, day)


def is_iso_date_shape(text: str) -> bool:
    """YYYY-MM-DD (a time part allowed), whether or not the day exists: 2021-02-31 is one."""
    parts = text.strip().split("T", 1)[0].split(" ", 1)[0].split("-")
    return (
        len(parts) == 3
        and len(parts[0]) == 4
        and all(1 <= len(p) <= 2 for p in parts[1:])
        and "".join(parts).isascii()
        and "".join(parts).isdigit()
    )


def _date(year: str, month: str, day: str) -> date | None:
    if len(year) != 4 or not 1 <= len(month) <= 2 or not 1 <= len(day) <= 2:
        return None
    if not (year + month + day).isascii() or not (year + month + day).isdigit():
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


# Excel turns a typed or imported "11/15" into a date and writes it back as "15-Nov" (US locale).
_MONTH_ABBREVIATIONS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


@lru_cache(maxsize=4096)
def parse_birth(text: str) -> tuple[int, int] | None:
    """A birth month and day from MM/DD, M/D, MM/DD/YYYY, YYYY-MM-DD, --MM-DD or Excel's D-Mon
    ("15-Nov", what a `.csv` saved by Excel holds); None when invalid."""
    value = text.strip()
    day_month = value.split("-")
    if len(day_month) == 2 and day_month[1].casefold() in _MONTH_ABBREVIATIONS:
        parts = [str(_MONTH_ABBREVIATIONS[day_month[1].casefold()]), day_month[0]]
    elif value.startswith("--"):
        parts = value[2:].split("-")
    elif "/" in value:
        parts = value.split("/")[:2] if value.count("/") in (1, 2) else []
    else:
        pieces = value.split("T", 1)[0].split("-")
        parts = pieces[1:] if len(pieces) == 3 and len(pieces[0]) == 4 else []
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        return None
    month, day = int(parts[0]), int(parts[1])
    # 2000 is a leap year, so 02/29 is a valid birthday.
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
        return None
    return month, day


# What a DecimalField(max_digits=6, decimal_places=2) holds, in steps of 0.25.
MAX_AMOUNT = Decimal("9999.75")


@lru_cache(maxsize=4096)
def parse_amount(text: str) -> Decimal | None:
    """A plain non-negative decimal ('2', '1.5', '.25'); None for anything else.

    The one parser of credit and point amounts, for learners and activities alike: no sign,
    exponent, grouping or other digits ('+2', '1e1', '1,5', '-1', 'x', '²' are all None).
    """
    value = text.strip()
    digits = value.replace(".", "", 1)
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


POSITIVE, NOT_POSITIVE, NOT_QUARTER = "ok", "not a number above 0", "not in steps of 0.25"
TOO_LARGE = f"more than {MAX_AMOUNT}"


@lru_cache(maxsize=4096)
def parse_credits(text: str, *, allow_zero: bool = False) -> tuple[Decimal | None, str]:
    """An amount of credits or points and its verdict: POSITIVE, NOT_POSITIVE, NOT_QUARTER or
    TOO_LARGE. `allow_zero`: 0 is an amount (an activity may offer no AMA credits)."""
    amount = parse_amount(text)
    if amount is None or amount < 0 or (amount == 0 and not allow_zero):
        return None, NOT_POSITIVE
    if not in_quarter_steps(amount):
        return None, NOT_QUARTER
    if amount > MAX_AMOUNT:
        return None, TOO_LARGE
    return amount, POSITIVE


def in_quarter_steps(value: Decimal) -> bool:
    scaled = value * _FOUR
    return scaled == scaled.to_integral_value()


def reporting_deadline(completion: date) -> date:
    """Completions of year Y are accepted until 31 March of Y+2."""
    return _deadline(completion.year)


@lru_cache(maxsize=64)
def _deadline(year: int) -> date:
    # Completions of 9998 and 9999 would be due after the calendar ends: they are never late.
    if year + 2 > MAXYEAR:
        return date.max
    return date(year + 2, 3, 31)


def own_id_key(provider_activity_id: str) -> str:
    """A Provider Activity ID as it is compared: in any case ('course-1' is 'COURSE-1'), as the
    activities' constraint `provider_activity_id_unique` compares it (UPPER). Staff type these
    ids by hand, and one activity under two spellings would split its learners."""
    return provider_activity_id.upper()


def format_date(value: date) -> str:
    """MM/DD/YYYY, the year in four digits (0001 too): what parse_date reads back."""
    return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"


def control_character(text: str, *, allowed: str = "") -> str | None:
    """The first control character in `text` as U+XXXX (NUL, a line break, …); None when clean.

    No value a provider reports may hold one: a NUL can't even be stored, and the others break the
    tab-delimited report. `allowed` names the ones a value may hold (a description's line breaks).
    """
    found = _control_pattern(allowed).search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


@lru_cache(maxsize=8)
def _control_pattern(allowed: str) -> re.Pattern[str]:
    controls = "".join(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in allowed)
    return re.compile(f"[{re.escape(controls)}]")
