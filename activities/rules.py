"""Appendix A, one rule per function: what an activity's values may be (dates, credits, format,
providership, location, specialties, MOC and REMS registrations).

Pure: each rule reads an `ActivityInput` and the `Lookups`, records what it understood on a
`CleanActivity` and returns its errors. Which fields a status requires, the reporting year and
what an Update or Delete may do are in status.py; `judge` there runs them all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal

from activities.facts import ActivityError, CleanActivity, CleanMoc, Lookups, fail
from activities.inputs import ActivityInput, MocInput
from activities.reference_data import COUNTRIES, UNITED_STATES
from learners.engine.codes import CODES
from learners.engine.states import state_code
from learners.engine.values import (
    NOT_QUARTER,
    control_character,
    is_iso_date_shape,
    parse_credits,
    parse_date,
)

MAX_COUNT = 10_000_000
MAX_TITLE, MAX_PROVIDER_ID, MAX_URL, MAX_JOINT_NAME = 500, 50, 500, 200
MAX_DESCRIPTION = 10_000
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: .*)?")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})
PROVIDERSHIPS = {"direct": "direct", "directly provided": "direct", "joint": "joint",
                 "jointly provided": "joint"}  # fmt: skip
# Formats whose location (city, state, country) is part of the record: courses and series.
LOCATED_FORMATS = frozenset({"C", "RSS"})


def parse_activity_date(value: str) -> tuple[date | None, bool]:
    """The date of '2026-01-30', '2026-01-30T00:00:00' or '01/30/2026' (the engine's one date
    parser) and whether the text has a date's shape at all: 305 versus 315."""
    text = value.strip()
    parsed = parse_date(text)
    return parsed, parsed is not None or is_iso_date_shape(text) or bool(_US.fullmatch(text))


def quarter_steps(value: str, *, allow_zero: bool) -> Decimal | None:
    """A number in steps of 0.25 within what we store, or None: the engine's credit parser, so
    an activity's credits and a learner's are read alike ('1e1' and '+2' are no amounts)."""
    amount, _ = parse_credits(value, allow_zero=allow_zero)
    return amount


def yes_no(value: str) -> bool | None:
    """'Yes'/'No' (and true/false, Y/N, 1/0) → True/False; None for anything else."""
    folded = value.strip().casefold()
    return True if folded in YES else False if folded in NO else None


def invalid(item: ActivityInput, field_name: str, element: str, value: str) -> ActivityError:
    return fail(field_name, "456", identifier=item.identifier, element=element, value=value)


def missing(item: ActivityInput, field_name: str, element: str) -> ActivityError:
    return fail(field_name, "457", identifier=item.identifier, element=element, field=element)


# Values that may run over several lines; every other value is one line.
MULTILINE_FIELDS = frozenset({"description"})


def character_errors(item: ActivityInput) -> list[ActivityError]:
    """456 for a value holding a control character (a NUL, a stray line break): none may."""
    errors = []
    for name, text in _texts(item):
        allowed = "\n\r\t" if name in MULTILINE_FIELDS else ""
        found = control_character(text.strip(), allowed=allowed)
        if found is not None:
            value = f"a control character ({found}), which no value may hold"
            errors.append(invalid(item, name, name.replace("_", " ").capitalize(), value))
    return errors


def _texts(item: ActivityInput) -> Iterator[tuple[str, str]]:
    for f in dataclasses.fields(item):
        value = getattr(item, f.name)
        if isinstance(value, str):
            yield f.name, value
        elif isinstance(value, tuple):
            yield from ((f.name, v) for v in value if isinstance(v, str))
    for moc in item.moc:
        yield "moc", moc.board
        yield "moc", moc.points
        yield "moc", moc.practice_area
        yield from (("moc", v) for v in moc.credit_types)


def required_errors(item: ActivityInput) -> list[ActivityError]:
    """What every activity needs, even a draft: 203 title, 205 start, 211 format, 216 id."""
    checks = (
        ("title", "203"), ("start_date", "205"), ("format_name", "211"),
        ("provider_activity_id", "216"),
    )  # fmt: skip
    return [fail(name, code) for name, code in checks if not getattr(item, name)]


def text_errors(item: ActivityInput, clean: CleanActivity) -> list[ActivityError]:
    """Title (303), Provider Activity ID, description and URL (456)."""
    errors: list[ActivityError] = []
    clean.title, clean.provider_activity_id = item.title, item.provider_activity_id
    clean.description, clean.url = item.description, item.url
    if len(item.title) > MAX_TITLE:
        errors.append(fail("title", "303", value=item.title[:60] + "…"))
    if len(item.provider_activity_id) > MAX_PROVIDER_ID:
        value = f"{item.provider_activity_id[:60]} (at most {MAX_PROVIDER_ID} characters)"
        errors.append(invalid(item, "provider_activity_id", "Provider Activity ID", value))
    if len(item.description) > MAX_DESCRIPTION:
        value = f"{len(item.description):,} characters (at most {MAX_DESCRIPTION:,})"
        errors.append(invalid(item, "description", "Description", value))
    if item.url and (len(item.url) > MAX_URL or not _URL.fullmatch(item.url)):
        value = f"{item.url[:80]} (a web address starting with http:// or https://)"
        errors.append(invalid(item, "url", "URL", value))
    return errors


def format_errors(
    item: ActivityInput, lookups: Lookups, clean: CleanActivity
) -> list[ActivityError]:
    if not item.format_name:
        return []
    clean.format = lookups.formats.get(item.format_name.casefold())
    return [] if clean.format else [fail("format_name", "311", value=item.format_name)]


def credit_errors(item: ActivityInput, clean: CleanActivity) -> list[ActivityError]:
    """AMA PRA Category 1 credits offered: 0 or more, in steps of 0.25 (468)."""
    if not item.ama_credits:
        return []
    clean.ama_credits = quarter_steps(item.ama_credits, allow_zero=True)
    if clean.ama_credits is None:
        return [fail("ama_credits", "468", identifier=item.identifier, value=item.ama_credits)]
    return []


def date_errors(item: ActivityInput, clean: CleanActivity) -> list[ActivityError]:
    """Start (315/305), end (316), claim (456) dates; 469 and 475 for their order.

    A missing credit claim date means the end date, as PARS assumes.
    """
    errors: list[ActivityError] = []
    if item.start_date:
        clean.start_date, shaped = parse_activity_date(item.start_date)
        if clean.start_date is None:
            errors.append(fail("start_date", "305" if shaped else "315", value=item.start_date))
    if item.end_date:
        clean.end_date, shaped = parse_activity_date(item.end_date)
        if clean.end_date is None and item.end_date.strip() == item.start_date.strip():
            pass  # one date for both (a course's in Template D): said once, as the start date
        elif clean.end_date is None and shaped:
            value = f"{item.end_date} (no such day)"
            errors.append(invalid(item, "end_date", "Activity End Date", value))
        elif clean.end_date is None:
            errors.append(fail("end_date", "316", value=item.end_date))
    clean.credit_claim_date = clean.end_date
    if item.credit_claim_date:
        clean.credit_claim_date, _ = parse_activity_date(item.credit_claim_date)
        if clean.credit_claim_date is None:
            value = f"{item.credit_claim_date} (a date such as 2026-12-31)"
            errors.append(invalid(item, "credit_claim_date", "Credit Claim Date", value))
    start, end, claim = clean.start_date, clean.end_date, clean.credit_claim_date
    if start and end and end < start:
        errors.append(fail("end_date", "469", end_date=end, start_date=start))
    elif end and claim and claim < end:
        errors.append(fail("credit_claim_date", "475", credit_claim_date=claim, end_date=end))
    return errors


def providership_errors(item: ActivityInput, clean: CleanActivity) -> list[ActivityError]:
    """Direct or joint (312); joint provider names only for joint providership (314)."""
    errors: list[ActivityError] = []
    if item.providership:
        clean.providership = PROVIDERSHIPS.get(item.providership.casefold(), "")
        if not clean.providership:
            errors.append(fail("providership", "312", value=item.providership))
    names = [name for name in item.joint_providers if name]
    clean.joint_providers = names
    for name in names:
        if len(name) > MAX_JOINT_NAME:
            errors.append(fail("joint_providers", "314", value=f"{name[:60]}… (too long)"))
    if names and clean.providership == "direct":
        value = f"{'; '.join(names)[:80]} (only a jointly provided activity has joint providers)"
        errors.append(fail("joint_providers", "314", value=value))
    return errors


def location_errors(item: ActivityInput, clean: CleanActivity) -> list[ActivityError]:
    """Country as ISO 3166 alpha-3; in the United States, a state (2 letters or its name)."""
    errors: list[ActivityError] = []
    clean.city, clean.state = item.city, item.state
    country = item.country.upper()
    if country and country not in COUNTRIES:
        errors.append(
            invalid(item, "country", "Country", f"{item.country} (ISO 3166 alpha-3, e.g. USA)")
        )
    clean.country = country if country in COUNTRIES else ""
    if len(item.city) > PLACE_MAX_LENGTH:
        errors.append(invalid(item, "city", "City", _too_long(item.city)))
    if len(item.state) > PLACE_MAX_LENGTH:
        errors.append(invalid(item, "state", "State", _too_long(item.state)))
    elif item.state and country == UNITED_STATES:
        clean.state = state_code(item.state) or ""
        if not clean.state:
            errors.append(invalid(item, "state", "State", f"{item.state} (a US state, e.g. IL)"))
    return errors


PLACE_MAX_LENGTH = 100


def _too_long(value: str) -> str:
    return f"{value[:60]}… (at most {PLACE_MAX_LENGTH} characters)"


def closing_value_errors(item: ActivityInput, clean: CleanActivity) -> list[ActivityError]:
    """Commercial support (yes/no) and the learner counts (whole numbers, 0 allowed): 456."""
    errors: list[ActivityError] = []
    if item.commercial_support:
        clean.commercial_support = yes_no(item.commercial_support)
        if clean.commercial_support is None:
            value = f"{item.commercial_support} (Yes or No)"
            errors.append(invalid(item, "commercial_support", "Commercial Support", value))
    for name, element, target in (
        ("physicians", "Number of Physicians", "physician_count"),
        ("other_learners", "Number of Other Learners", "other_learner_count"),
    ):
        value = getattr(item, name)
        if not value:
            continue
        number = int(value) if value.isdigit() and int(value) <= MAX_COUNT else None
        setattr(clean, target, number)
        if number is None:
            errors.append(invalid(item, name, element, f"{value} (a whole number, 0 or more)"))
    return errors


def specialty_errors(
    item: ActivityInput, lookups: Lookups, clean: CleanActivity
) -> list[ActivityError]:
    errors = []
    for name in item.specialties:
        specialty = lookups.specialties.get(name.casefold())
        if specialty is None:
            errors.append(fail("specialties", "304", value=name))
        elif specialty not in clean.specialty_ids:
            clean.specialty_ids.append(specialty)
    return errors


def rems_errors(item: ActivityInput, lookups: Lookups, clean: CleanActivity) -> list[ActivityError]:
    """REMS registration: yes/no (or the REMS type's name); only for providers in REMS (480)."""
    if not item.rems:
        return []
    registered = yes_no(item.rems)
    if registered is None and "opioid" in item.rems.casefold():
        registered = True
    if registered is None:
        return [fail("rems", "480", value=f"{item.rems} (Yes, No or Opioid Analgesic REMS)")]
    if registered and not lookups.rems_allowed:
        value = f"{item.rems} (your organization does not take part in Opioid Analgesic REMS)"
        return [fail("rems", "480", value=value)]
    clean.rems = registered
    return []


def moc_errors(item: ActivityInput, lookups: Lookups, clean: CleanActivity) -> list[ActivityError]:
    """Each MOC registration: a known board once, points, credit types and practice area."""
    errors: list[ActivityError] = []
    seen: set[str] = set()
    for registration in item.moc:
        board = lookups.boards.get(registration.board.casefold())
        field_name = f"moc:{board.code if board else registration.board}"
        if board is None:
            value = registration.board or "(empty)"
            errors.append(invalid(item, f"{field_name}:board", "boardName", value))
            continue
        if board.code in seen:
            value = f"{board.code} (registered twice)"
            errors.append(invalid(item, f"{field_name}:board", "boardName", value))
        seen.add(board.code)
        points = _moc_points(registration, board.code, field_name, errors)
        type_ids = _credit_types(item, registration, board.credit_types, board.code, errors)
        area = _practice_area(registration, board.practice_areas, board.code, field_name, errors)
        clean.moc.append(CleanMoc(board.pk, board.code, points or Decimal(0), type_ids, area))
    return errors


def _credit_types(
    item: ActivityInput,
    registration: MocInput,
    allowed: Mapping[str, int],
    board: str,
    errors: list[ActivityError],
) -> list[int]:
    """The listed credit types' ids. None listed is 484: a registration offers the types it
    names, and a learner's credit is judged against them (735), so none is never 'all'."""
    if not any(name.strip() for name in registration.credit_types):
        value = f"{board} (list the {board} credit types the activity offers)"
        errors.append(fail(f"moc:{board}:credit_types", "484", value=value))
        return []
    ids = []
    for name in registration.credit_types:
        if name.casefold() in allowed:
            ids.append(allowed[name.casefold()])
        else:
            value = f"{name} (not a {board} credit type)"
            errors.append(invalid(item, f"moc:{board}:credit_types", "MOCCreditType", value))
    return sorted(set(ids))


def _moc_points(
    registration: MocInput, board: str, field_name: str, errors: list[ActivityError]
) -> Decimal | None:
    value = registration.points
    if not value:
        errors.append(fail(f"{field_name}:points", "206", board=board))
        return None
    number, verdict = parse_credits(value)
    if verdict == NOT_QUARTER:
        errors.append(fail(f"{field_name}:points", "319", value=value))
    elif number is None:
        errors.append(fail(f"{field_name}:points", "306", value=value))
    return number


def _practice_area(
    registration: MocInput,
    allowed: Mapping[str, int],
    board: str,
    field_name: str,
    errors: list[ActivityError],
) -> int | None:
    name = registration.practice_area
    if not name:
        if allowed:
            errors.append(fail(f"{field_name}:practice_area", "490"))
        return None
    if name.casefold() not in allowed:
        asks = "" if allowed else f"; {board} asks for none"
        errors.append(fail(f"{field_name}:practice_area", "491", value=f"{name}{asks}"))
        return None
    return allowed[name.casefold()]


def template_errors(item: ActivityInput) -> list[ActivityError]:
    """A row of a Template D file must say so in its first column (485 Invalid template)."""
    if item.template and item.template.strip().casefold() != "template d":
        message = f"{CODES['485'].pars_message}: '{item.template}' (this file is Template D)."
        return [ActivityError("485", message, "template")]
    return []


def value_errors(
    item: ActivityInput, lookups: Lookups, clean: CleanActivity
) -> list[ActivityError]:
    """Every rule about the values themselves, in the order of the form."""
    return [
        *character_errors(item),
        *template_errors(item),
        *required_errors(item),
        *text_errors(item, clean),
        *format_errors(item, lookups, clean),
        *date_errors(item, clean),
        *credit_errors(item, clean),
        *providership_errors(item, clean),
        *location_errors(item, clean),
        *specialty_errors(item, lookups, clean),
        *closing_value_errors(item, clean),
        *rems_errors(item, lookups, clean),
        *moc_errors(item, lookups, clean),
    ]
