"""Activities sent as ACCMEActivities v3 XML (SaveActivity): read, judge with Appendix A codes, apply.

The reader turns one MedicalEducationMetrics element into an `ActivityInput` of plain strings; the
rules are small pure functions over it and a few facts looked up once (formats, boards, the
existing activity); `activity_save` does the look-ups, asks the rules and applies an accepted
Add, Update or Delete in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from lxml import etree

from learners.engine.codes import CODES, error
from learners.engine.load import load_boards
from learners.engine.results import RowError
from learners.engine.values import NOT_QUARTER, is_iso_date_shape, parse_credits, parse_iso_date
from learners.formats.base import UnreadableXml, parse_untrusted_xml
from learners.models import (
    Activity,
    ActivityFormat,
    CompletionRecord,
    MocRegistration,
    RecordStatus,
)
from portal.models import Provider

ACTIONS = {"add": "Add", "update": "Update", "delete": "Delete"}
ACCME_ID_CATALOG = "accme activity id"
PROVIDER_ID_CATALOG = "provider activity id"


class ActivityDataError(Exception):
    """The Data is not one readable ACCMEActivities activity (453 or 454)."""

    def __init__(self, row_error: RowError) -> None:
        super().__init__(row_error.message)
        self.error = row_error


# ---------------------------------------------------------------------------------------------
# Reading ACCMEActivities v3


@dataclass(frozen=True)
class MocInput:
    board: str
    points: str
    credit_types: tuple[str, ...]


@dataclass(frozen=True)
class ActivityInput:
    """One activity as sent; every value a trimmed string ('' when absent)."""

    action: str = ""
    close: str = ""
    accme_activity_id: str = ""
    provider_activity_id: str = ""
    title: str = ""
    format_name: str = ""
    start_date: str = ""
    end_date: str = ""
    credit_claim_date: str = ""
    has_ama_credits: bool = False
    ama_credits: str = ""
    moc: tuple[MocInput, ...] = ()

    @property
    def identifier(self) -> str:
        """What PARS's MEMS messages call the entry: the provider's id, else PARS's."""
        return self.provider_activity_id or self.accme_activity_id or "(no id)"


@dataclass
class ParsedActivity:
    root: etree._Element
    input: ActivityInput
    accme_entry: etree._Element | None  # the lom:entry that carries (or will carry) the ACCME id
    general: etree._Element | None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    if element is None:
        return []
    return [c for c in element.iterchildren(tag=etree.Element) if _local(c) == name]


def _path(element: etree._Element | None, *names: str) -> etree._Element | None:
    for name in names:
        found = _children(element, name)
        element = found[0] if found else None
    return element


def _text(element: etree._Element | None) -> str:
    return "" if element is None else " ".join((element.text or "").split())


def _unreadable(detail: str) -> ActivityDataError:
    return ActivityDataError(RowError("453", f"{CODES['453'].pars_message} {detail}"))


_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _parse(data: str) -> etree._Element:
    # Data arrives as decoded text; a leftover encoding declaration must not confuse the parser.
    raw = _DECLARATION.sub("", data, count=1).strip().encode("utf-8")
    if not raw:
        raise _unreadable("The Data element is empty.")
    try:
        return parse_untrusted_xml(raw)
    except UnreadableXml as exc:
        raise _unreadable(f"It {exc.problem}.") from None


def parse_activity_xml(data: str) -> ParsedActivity:
    """Read Data holding ACCMEActivities v3 with exactly one activity, or raise ActivityDataError."""
    root = _parse(data)
    if _local(root) != "ACCMEActivities":
        raise _unreadable(f"Expected an ACCMEActivities document, not '{_local(root)}'.")
    metrics = _children(root, "MedicalEducationMetrics")
    if not metrics:
        raise _unreadable("ACCMEActivities holds no MedicalEducationMetrics (the activity).")
    if len(metrics) > 1:
        raise ActivityDataError(
            RowError("454", f"{CODES['454'].pars_message} This Data holds {len(metrics)}.")
        )
    return _read_metrics(root, metrics[0])


def _description(mem: etree._Element) -> etree._Element:
    """Where lom:lom sits: in ActivityDescription, as MEMS puts it, or directly under
    MedicalEducationMetrics, as some clients write it; either is read when only one is there."""
    described = _children(mem, "ActivityDescription")
    direct = _children(mem, "lom")
    if described and direct:
        raise _unreadable(
            "MedicalEducationMetrics holds lom:lom both directly and in ActivityDescription; "
            "send it once, in ActivityDescription."
        )
    if len(described) > 1 or len(direct) > 1:
        raise _unreadable("MedicalEducationMetrics must hold one ActivityDescription (lom:lom).")
    return described[0] if described else mem


def _read_metrics(root: etree._Element, mem: etree._Element) -> ParsedActivity:
    description = _description(mem)
    general = _path(description, "lom", "general")
    ids: dict[str, str] = {}
    accme_entry = None
    for identifier in _children(general, "identifier"):
        catalog = _text(_path(identifier, "catalog")).casefold()
        entry = _path(identifier, "entry")
        if catalog == ACCME_ID_CATALOG and accme_entry is None:
            accme_entry = entry
        ids.setdefault(catalog, _text(entry))
    education = _path(description, "lom", "healthcareMetadata", "healthcareEducation")
    ama = _ama_credits(education)
    extension = _path(mem, "XtensibleInfo")
    registrations = _children(_path(extension, "MOCRegistrations"), "MOCRegistration")
    return ParsedActivity(
        root=root,
        general=general,
        accme_entry=accme_entry,
        input=ActivityInput(
            action=_text(_path(extension, "activityRecordAction")),
            close=_text(_path(extension, "closeActivityRecord")),
            accme_activity_id=ids.get(ACCME_ID_CATALOG, ""),
            provider_activity_id=ids.get(PROVIDER_ID_CATALOG, ""),
            title=_text(_path(general, "title", "string")),
            format_name=_text(_path(education, "activityFormat", "string")),
            start_date=_text(_path(education, "startDateTime")),
            end_date=_text(_path(education, "endDateTime")),
            credit_claim_date=_text(_path(extension, "CreditClaimDate")),
            has_ama_credits=ama is not None,
            ama_credits=_text(ama),
            moc=tuple(
                MocInput(
                    board=_text(_path(r, "boardName")),
                    points=_text(_path(r, "mocPoints")),
                    credit_types=tuple(_text(t) for t in _children(r, "MOCCreditType")),
                )
                for r in registrations
            ),
        ),
    )


def _ama_credits(education: etree._Element | None) -> etree._Element | None:
    """The numberOfCredits of the AMA PRA Category 1 credits block; a missing count reads as ''."""
    for credits in _children(education, "credits"):
        if _text(_path(credits, "activityCertification")).casefold() == "ama pra category 1":
            count = _path(credits, "numberOfCredits")
            return etree.Element("numberOfCredits") if count is None else count
    return None


def echo_with_activity_id(parsed: ParsedActivity, activity_id: str) -> str:
    """The Data as sent, with the assigned ACCME Activity ID filled in (as PARS's response does)."""
    entry = parsed.accme_entry
    if entry is None and parsed.general is not None:
        namespace = etree.QName(parsed.general).namespace
        identifier = etree.SubElement(parsed.general, f"{{{namespace}}}identifier")
        etree.SubElement(identifier, f"{{{namespace}}}catalog").text = "ACCME Activity ID"
        entry = etree.SubElement(identifier, f"{{{namespace}}}entry")
    if entry is not None:
        entry.text = activity_id
    return etree.tostring(parsed.root, encoding="unicode")


# ---------------------------------------------------------------------------------------------
# Rules (pure)


def quarter_steps(value: str, *, allow_zero: bool) -> Decimal | None:
    """A number in steps of 0.25 within what we store, or None: the engine's credit parser, so
    an activity's credits and a learner's are read alike ('1e1' and '+2' are no amounts)."""
    amount, _ = parse_credits(value, allow_zero=allow_zero)
    return amount


def record_action(value: str) -> tuple[str, list[RowError]]:
    """'add' → 'Add'; 101 when missing, 102 when not Add, Update or Delete."""
    if not value:
        return "", [error("101")]
    action = ACTIONS.get(value.casefold())
    return (action, []) if action else ("", [error("102", value=value)])


@dataclass(frozen=True)
class Lookups:
    """Reference facts the rules need, looked up once: names are case-folded."""

    formats: Mapping[str, int]  # format name or code → id
    boards: Mapping[str, tuple[int, str, Mapping[str, int]]]  # code → (id, code, {type: id})


@dataclass(frozen=True)
class ExistingActivity:
    activity_id: str
    status: str
    reporting_year: int
    format_id: int
    live_records: int
    all_records: int
    boards_with_records: frozenset[str]


@dataclass
class CleanActivity:
    """An activity that passed the rules, in model terms."""

    title: str = ""
    provider_activity_id: str = ""
    format_id: int = 0
    start_date: date = date.min
    end_date: date = date.min
    credit_claim_date: date = date.min
    ama_credits: Decimal = Decimal("0")
    moc: list[tuple[int, str, Decimal, list[int]]] = field(default_factory=list)  # id, code, …
    close: bool = False


def required_errors(item: ActivityInput) -> list[RowError]:
    checks = (
        (item.title, "203"), (item.start_date, "205"), (item.format_name, "211"),
        (item.end_date, "215"), (item.provider_activity_id, "216"),
    )  # fmt: skip
    return [error(code) for value, code in checks if not value]


def date_errors(item: ActivityInput, clean: CleanActivity) -> list[RowError]:
    """Fills the dates of `clean`; 305/315/316/456 for bad values, 469 and 475 for their order."""
    errors: list[RowError] = []
    shape_codes = (("start_date", "315", "305"), ("end_date", "316", "316"))
    for name, format_code, value_code in shape_codes:
        value = getattr(item, name)
        if not value:
            continue
        parsed = parse_iso_date(value)
        if parsed is None:
            bad_shape = not is_iso_date_shape(value)
            errors.append(error(format_code if bad_shape else value_code, value=value))
        else:
            setattr(clean, name, parsed)
    claim = parse_iso_date(item.credit_claim_date) if item.credit_claim_date else clean.end_date
    if claim is None:
        errors.append(_invalid(item, "CreditClaimDate", item.credit_claim_date))
    else:
        clean.credit_claim_date = claim
    if date.min not in (clean.start_date, clean.end_date):
        if clean.end_date < clean.start_date:
            errors.append(error("469", end_date=clean.end_date, start_date=clean.start_date))
        elif claim is not None and claim < clean.end_date:
            errors.append(error("475", credit_claim_date=claim, end_date=clean.end_date))
    return errors


def _invalid(item: ActivityInput, element: str, value: str) -> RowError:
    return error("456", identifier=item.identifier, element=element, value=value)


def value_errors(item: ActivityInput, lookups: Lookups, clean: CleanActivity) -> list[RowError]:
    """Title, ids, format, AMA credits and close flag; fills `clean`."""
    errors: list[RowError] = []
    clean.title, clean.provider_activity_id = item.title, item.provider_activity_id
    if len(item.title) > 500:
        errors.append(error("303", value=item.title[:60] + "…"))
    if len(item.provider_activity_id) > 50:
        errors.append(_invalid(item, "Provider Activity ID", item.provider_activity_id))
    if item.format_name:
        format_id = lookups.formats.get(item.format_name.casefold())
        if format_id is None:
            errors.append(error("311", value=item.format_name))
        clean.format_id = format_id or 0
    if item.has_ama_credits:
        credits = quarter_steps(item.ama_credits, allow_zero=True)
        if not item.ama_credits:
            errors.append(error("200"))
        elif credits is None:
            errors.append(error("468", identifier=item.identifier, value=item.ama_credits))
        clean.ama_credits = credits or Decimal("0")
    if item.close.casefold() not in ("", "true", "false", "1", "0"):
        errors.append(_invalid(item, "closeActivityRecord", item.close))
    clean.close = item.close.casefold() in ("true", "1")
    return errors


def moc_errors(item: ActivityInput, lookups: Lookups, clean: CleanActivity) -> list[RowError]:
    """Each MOCRegistration: a known board once, points > 0 in 0.25 steps, the board's credit types."""
    errors: list[RowError] = []
    seen: set[str] = set()
    for registration in item.moc:
        board = lookups.boards.get(registration.board.casefold())
        if board is None:
            errors.append(_invalid(item, "boardName", registration.board or "(empty)"))
            continue
        board_id, code, types = board
        if code in seen:
            errors.append(_invalid(item, "boardName", f"{code} (registered twice)"))
        seen.add(code)
        points = _moc_points(registration.points, code, errors)
        type_ids = []
        for name in registration.credit_types:
            if name.casefold() not in types:
                errors.append(_invalid(item, "MOCCreditType", f"{name} (not a {code} credit type)"))
            else:
                type_ids.append(types[name.casefold()])
        # No credit type listed means every type the board recognises, as PARS assumes.
        clean.moc.append((board_id, code, points or Decimal("0"), type_ids or list(types.values())))
    return errors


def _moc_points(value: str, board: str, errors: list[RowError]) -> Decimal | None:
    if not value:
        errors.append(error("206", board=board))
        return None
    number, verdict = parse_credits(value)
    if verdict == NOT_QUARTER:
        errors.append(error("319", value=value))
    elif number is None:
        errors.append(error("306", value=value))
    return number


def reporting_year_errors(
    item: ActivityInput, reporting_year: str, start: date, *, today: date
) -> list[RowError]:
    """452 for a ReportingYear that is no plausible year; 462 when it isn't the start date's year."""
    if (
        not re.fullmatch(r"\d{4}", reporting_year)
        or not 1990 <= int(reporting_year) <= today.year + 5
    ):
        return [error("452", value=reporting_year or "(missing)")]
    if start != date.min and start.year != int(reporting_year):
        return [
            error("462", identifier=item.identifier, element="ReportingYear", value=reporting_year)
        ]
    return []


def existing_errors(
    action: str,
    item: ActivityInput,
    existing: ExistingActivity | None,
    *,
    taken_provider_id: str | None,
) -> list[RowError]:
    """Add of a known id (476/103); Update or Delete of an unknown (104/105) or closed (481) one."""
    accme_id = item.accme_activity_id
    if action == "Add":
        if accme_id and existing is not None:
            return [error("476", value=accme_id)]
        if accme_id:
            return [error("458", identifier=item.identifier, value=accme_id)]
        if taken_provider_id:
            return [error("103", activity_id=f"{item.provider_activity_id} ({taken_provider_id})")]
        return []
    if not accme_id:
        return [error("202")]
    if not re.fullmatch(r"\d{9}", accme_id):
        return [error("302", value=accme_id)]
    if existing is None:
        return [error("104" if action == "Update" else "105", activity_id=accme_id)]
    if existing.status == Activity.Status.CLOSED:
        return [error("481", activity_id=accme_id)]
    if action == "Update" and taken_provider_id:
        value = f"{item.provider_activity_id} (already used by activity {taken_provider_id})"
        return [_invalid(item, "Provider Activity ID", value)]
    return []


def delete_errors(existing: ExistingActivity) -> list[RowError]:
    if existing.live_records:
        return [error("106", activity_id=existing.activity_id, count=existing.live_records)]
    if existing.all_records:
        # Deleted learner records stay as history, and they keep their activity.
        message = (
            f"Activity {existing.activity_id} cannot be deleted: it keeps the history of "
            f"{existing.all_records} deleted learner records."
        )
        return [RowError("492", message)]
    return []


def update_errors(existing: ExistingActivity, clean: CleanActivity) -> list[RowError]:
    """What an Update may not change: year (464); once learners are in, format (486) and boards (320)."""
    errors = []
    if clean.start_date != date.min and clean.start_date.year != existing.reporting_year:
        errors.append(
            error("464", existing_year=existing.reporting_year, new_year=clean.start_date.year)
        )
    if existing.live_records and clean.format_id and clean.format_id != existing.format_id:
        errors.append(error("486"))
    kept = {code for _, code, _, _ in clean.moc}
    errors += [error("320", board=code) for code in sorted(existing.boards_with_records - kept)]
    return errors


def close_errors(clean: CleanActivity, *, today: date) -> list[RowError]:
    if clean.close and clean.end_date != date.min and clean.end_date >= today:
        return [error("483")]
    return []


def judge_activity(
    action: str,
    item: ActivityInput,
    *,
    lookups: Lookups,
    existing: ExistingActivity | None,
    taken_provider_id: str | None,
    reporting_year: str,
    today: date,
) -> tuple[list[RowError], CleanActivity]:
    """Every Appendix A error of one activity (action already valid), and its clean values."""
    clean = CleanActivity()
    errors = existing_errors(action, item, existing, taken_provider_id=taken_provider_id)
    if action == "Delete":
        if not errors and existing is not None:
            errors += delete_errors(existing)
        return errors + reporting_year_errors(item, reporting_year, date.min, today=today), clean
    errors += required_errors(item)
    errors += value_errors(item, lookups, clean)
    errors += date_errors(item, clean)
    errors += moc_errors(item, lookups, clean)
    errors += reporting_year_errors(item, reporting_year, clean.start_date, today=today)
    errors += close_errors(clean, today=today)
    if action == "Update" and existing is not None and existing.status != Activity.Status.CLOSED:
        errors += update_errors(existing, clean)
    return errors, clean


# ---------------------------------------------------------------------------------------------
# Services


@dataclass
class ActivitySaveOutcome:
    errors: list[RowError]
    data: str  # the Data to echo: as sent, with the assigned ACCME Activity ID after an Add
    activity_id: str = ""

    @property
    def accepted(self) -> bool:
        return not self.errors

    @property
    def unreadable(self) -> bool:
        """The Data could not be read as one activity at all (453)."""
        return any(item.code == "453" for item in self.errors)


def activity_lookups() -> Lookups:
    """Formats (by name or code) and boards with their credit types, case-folded."""
    formats: dict[str, int] = {}
    for format_id, code, name in ActivityFormat.objects.values_list("id", "code", "name"):
        formats[name.casefold()] = format_id
        formats[code.casefold()] = format_id
    boards = {
        key: (board.pk, board.code, dict(board.credit_type_ids))
        for key, board in load_boards().items()  # the engine's boards: loaded one way
    }
    return Lookups(formats=formats, boards=boards)


def _existing(provider: Provider, accme_id: str) -> tuple[Activity | None, ExistingActivity | None]:
    """The provider's activity with that ACCME id; another provider's reads as not found."""
    if not re.fullmatch(r"\d{9}", accme_id):
        return None, None
    activity = Activity.objects.for_provider(provider).filter(activity_id=accme_id).first()
    if activity is None:
        return None, None
    records = CompletionRecord.objects.filter(activity=activity)
    counts = records.aggregate(
        all=Count("id"), live=Count("id", filter=~Q(status=RecordStatus.DELETED))
    )
    boards = records.live().exclude(board=None).values_list("board__code", flat=True).distinct()
    return activity, ExistingActivity(
        activity_id=activity.activity_id,
        status=activity.status,
        reporting_year=activity.reporting_year,
        format_id=activity.format_id,
        live_records=counts["live"],
        all_records=counts["all"],
        boards_with_records=frozenset(boards),
    )


def _taken_provider_id(
    provider: Provider, provider_activity_id: str, activity: Activity | None
) -> str | None:
    """The ACCME id of another activity of this provider already using that Provider Activity ID."""
    if not provider_activity_id:
        return None
    others = Activity.objects.for_provider(provider).filter(
        provider_activity_id=provider_activity_id
    )
    if activity is not None:
        others = others.exclude(pk=activity.pk)
    return others.values_list("activity_id", flat=True).first()


def activity_save(
    *, provider: Provider, data: str, reporting_year: str, today: date
) -> ActivitySaveOutcome:
    """Judge one ACCMEActivities activity and, when it passes, add, update or delete it."""
    try:
        parsed = parse_activity_xml(data)
    except ActivityDataError as exc:
        return ActivitySaveOutcome(errors=[exc.error], data=data)
    item = parsed.input
    action, errors = record_action(item.action)
    if errors:
        return ActivitySaveOutcome(errors=errors, data=data)
    activity, existing = _existing(provider, item.accme_activity_id)
    errors, clean = judge_activity(
        action,
        item,
        lookups=activity_lookups(),
        existing=existing,
        taken_provider_id=_taken_provider_id(provider, item.provider_activity_id, activity),
        reporting_year=reporting_year,
        today=today,
    )
    if errors:
        return ActivitySaveOutcome(errors=errors, data=data)
    try:
        saved = _apply(action, provider, activity, clean)
    except IntegrityError:
        # Another request took the Provider Activity ID between our check and our insert.
        return ActivitySaveOutcome(
            errors=[error("103", activity_id=item.provider_activity_id)], data=data
        )
    if action == "Add" and saved is not None:
        return ActivitySaveOutcome(
            errors=[],
            data=echo_with_activity_id(parsed, saved.activity_id),
            activity_id=saved.activity_id,
        )
    return ActivitySaveOutcome(errors=[], data=data, activity_id=item.accme_activity_id)


@transaction.atomic
def _apply(
    action: str, provider: Provider, activity: Activity | None, clean: CleanActivity
) -> Activity | None:
    if action == "Delete":
        assert activity is not None
        activity.delete()
        return None
    if activity is None:
        activity = Activity(provider=provider)
    activity.provider_activity_id = clean.provider_activity_id
    activity.title = clean.title
    activity.format_id = clean.format_id
    activity.start_date = clean.start_date
    activity.end_date = clean.end_date
    activity.credit_claim_date = clean.credit_claim_date
    activity.ama_credits = clean.ama_credits
    activity.status = Activity.Status.CLOSED if clean.close else Activity.Status.ACTIVE
    activity.save()
    # An Update sends the whole activity: its MOC registrations replace the stored ones.
    activity.moc_registrations.all().delete()
    for board_id, _, points, type_ids in clean.moc:
        registration = MocRegistration.objects.create(
            activity=activity, board_id=board_id, points=points
        )
        registration.credit_types.set(type_ids)
    return activity


class ActivitySearchError(Exception):
    """The search criteria can't be used; the message says why."""


SEARCH_LIMIT = 200


def activity_search(
    *,
    provider: Provider,
    activity_id: int | None = None,
    start_date: date | None = None,
    type_name: str = "",
    provider_activity_id: str = "",
) -> list[Activity]:
    """The provider's activities matching every criterion given (at least one), newest first."""
    if activity_id is None and start_date is None and not type_name and not provider_activity_id:
        raise ActivitySearchError(
            "Give at least one of ActivityID, ActivityStartDate, ActivityTypeName or "
            "ProviderActivityId."
        )
    activities = Activity.objects.for_provider(provider)
    if activity_id is not None:
        activities = activities.filter(activity_id=f"{activity_id:09d}" if activity_id >= 0 else "")
    if start_date is not None:
        activities = activities.filter(start_date=start_date)
    if type_name:
        activity_format = ActivityFormat.objects.filter(name__iexact=type_name).first()
        if activity_format is None:
            names = ", ".join(
                ActivityFormat.objects.order_by("name").values_list("name", flat=True)
            )
            raise ActivitySearchError(
                f"ActivityTypeName '{type_name}' is not an activity type; use one of: {names}."
            )
        activities = activities.filter(format=activity_format)
    if provider_activity_id:
        activities = activities.filter(provider_activity_id=provider_activity_id)
    activities = activities.select_related("format", "provider").prefetch_related(
        "moc_registrations__board", "moc_registrations__credit_types"
    )
    return list(activities.order_by("-start_date", "activity_id")[:SEARCH_LIMIT])
