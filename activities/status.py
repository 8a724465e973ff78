"""Appendix A rules about the activity as a record: its action and ids, the reporting year, what
an Update or Delete may change, and what each status requires (SPEC §4b).

Statuses and what each requires:
  Draft           title, format, start date, reporting year (and the Provider Activity ID);
  Active          + end date not in the past, AMA credits, providership, description, location
                    (courses and series); MOC registrations with their points;
  Ready to Close  the same, with the end date in the past;
  Closed          + joint provider names (joint providership), commercial support, physician and
                    other-learner counts (0 allowed).

`judge` runs every rule of rules.py and this module: the one judgement every door calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from activities.facts import (
    ActivityError,
    CleanActivity,
    CleanMoc,
    ExistingActivity,
    Lookups,
    fail,
)
from activities.inputs import ACTIONS, ADD, DELETE, UPDATE, ActivityInput
from activities.models import ActivityStatus
from activities.rules import LOCATED_FORMATS, invalid, missing, value_errors, yes_no
from learners.engine.values import format_date, reporting_deadline

STATUS_NAMES = {
    **{s.value: s.value for s in ActivityStatus},
    **{s.label.casefold(): s.value for s in ActivityStatus},
    "ready": ActivityStatus.READY_TO_CLOSE,
}


@dataclass
class Judged:
    """The rules' answer for one activity: its errors, and its values when there are none."""

    action: str = ""
    errors: list[ActivityError] = field(default_factory=list)
    clean: CleanActivity = field(default_factory=CleanActivity)

    @property
    def accepted(self) -> bool:
        return not self.errors

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]


def record_action(value: str) -> tuple[str, list[ActivityError]]:
    """'add' → 'Add'; 101 when missing, 102 when not Add, Update or Delete."""
    if not value:
        return "", [fail("action", "101")]
    action = ACTIONS.get(value.strip().casefold())
    return (action, []) if action else ("", [fail("action", "102", value=value)])


def identity_errors(
    action: str, item: ActivityInput, existing: ExistingActivity | None, taken_by: str | None
) -> list[ActivityError]:
    """Add of a known id (476, 458, 103); Update or Delete of an unknown (104/105) or closed (481)."""
    accme_id = item.accme_activity_id
    if action == ADD:
        if accme_id and existing is not None:
            return [fail("accme_activity_id", "476", value=accme_id)]
        if accme_id:
            return [fail("accme_activity_id", "458", identifier=item.identifier, value=accme_id)]
        if taken_by:
            shown = f"{item.provider_activity_id} ({taken_by})"
            return [fail("provider_activity_id", "103", activity_id=shown)]
        return []
    if not accme_id:
        return [fail("accme_activity_id", "202")]
    if not re.fullmatch(r"\d{9}", accme_id):
        return [fail("accme_activity_id", "302", value=accme_id)]
    if existing is None:
        code = "104" if action == UPDATE else "105"
        return [fail("accme_activity_id", code, activity_id=accme_id)]
    if existing.status == ActivityStatus.CLOSED:
        return [fail("status", "481", activity_id=accme_id)]
    if action == UPDATE and taken_by:
        value = f"{item.provider_activity_id} (already used by activity {taken_by})"
        return [invalid(item, "provider_activity_id", "Provider Activity ID", value)]
    return []


def year_is_open(year: int, *, today: date) -> bool:
    """The learners' reporting window: year Y is open until 31 March of Y+2 (one function)."""
    return today <= reporting_deadline(date(year, 1, 1))


def plausible_year(year: int, *, today: date) -> bool:
    """A reporting year PARS could hold: 1990 to five years ahead (one function)."""
    return 1990 <= year <= today.year + 5


def reporting_year_errors(
    item: ActivityInput,
    clean: CleanActivity,
    existing: ExistingActivity | None,
    *,
    required: bool,
    today: date,
) -> list[ActivityError]:
    """452 no plausible year; 462 not the start's year; 465 a stored activity in a closed year;
    461 adding or moving an activity into a closed year. A start date whose year no reporting
    year could be (9999, 1900) is refused as a start date (305) when no year is given: the
    reporting year is the start's year, and the browser form asks only for the date."""
    given = item.reporting_year
    if given or required:
        if not re.fullmatch(r"\d{4}", given) or not plausible_year(int(given), today=today):
            return [fail("reporting_year", "452", value=given or "(missing)")]
        if clean.start_date and clean.start_date.year != int(given):
            return [
                fail("reporting_year", "462", identifier=item.identifier,
                     element="ReportingYear", value=given)
            ]  # fmt: skip
    elif clean.start_date and not plausible_year(clean.start_date.year, today=today):
        return [fail("start_date", "305", value=item.start_date)]
    if existing is not None and not year_is_open(existing.reporting_year, today=today):
        year = str(existing.reporting_year)
        return [
            fail("reporting_year", "465", identifier=item.identifier, element="ReportingYear",
                 value=year)
        ]  # fmt: skip
    year_text = given or (str(clean.start_date.year) if clean.start_date else "")
    if year_text and not year_is_open(int(year_text), today=today):
        return [
            fail("reporting_year", "461", identifier=item.identifier, element="ReportingYear",
                 value=year_text)
        ]  # fmt: skip
    return []


def delete_errors(existing: ExistingActivity) -> list[ActivityError]:
    """106 while learner records exist; 492 when only deleted ones (kept as history) remain."""
    if existing.live_records:
        return [
            fail("accme_activity_id", "106", activity_id=existing.activity_id,
                 count=existing.live_records)
        ]  # fmt: skip
    if existing.all_records:
        message = (
            f"Activity {existing.activity_id} cannot be deleted: it keeps the history of "
            f"{existing.all_records} deleted learner records."
        )
        return [ActivityError("492", message, "accme_activity_id")]
    return []


def update_errors(existing: ExistingActivity, clean: CleanActivity) -> list[ActivityError]:
    """What an Update may not change: the year (464); once learners are in, the format (486),
    a board with records (320) or the REMS registration with REMS records (321)."""
    errors = []
    if clean.start_date and clean.start_date.year != existing.reporting_year:
        errors.append(
            fail("start_date", "464", existing_year=existing.reporting_year,
                 new_year=clean.start_date.year)
        )  # fmt: skip
    if existing.live_records and clean.format and clean.format.pk != existing.format_id:
        errors.append(fail("format_name", "486"))
    kept = {moc.code for moc in clean.moc}
    for code in sorted(existing.boards_with_records - kept):
        errors.append(fail(f"moc:{code}:board", "320", board=code))
    if existing.rems_records and not clean.rems:
        errors.append(fail("rems", "321"))
    return errors


def held_by_records(
    item: ActivityInput, existing: ExistingActivity, clean: CleanActivity, lookups: Lookups
) -> list[ActivityError]:
    """An Update may not leave a learner it reported outside the activity (456): a start after
    a completion (672's rule), a credit claim date before one (747's), fewer AMA credits (748's)
    or MOC points (674's) than a learner was given, or without a credit type one was given
    (735's). Those records are deleted first."""
    if not existing.live_records:
        return []
    on = f"on activity {existing.activity_id}; delete those learner records first"
    first_of, given_to = "the first completion", "a learner was given"
    errors = []
    first, last = existing.first_completion, existing.last_completion
    if clean.start_date and first and clean.start_date > first:
        value = f"{format_date(clean.start_date)} (after {format_date(first)}, {first_of} {on})"
        errors.append(invalid(item, "start_date", "Activity Start Date", value))
    if clean.credit_claim_date and last and clean.credit_claim_date < last:
        # With no credit claim date given, the end date is the last day credit can be claimed.
        name, element = (
            ("credit_claim_date", "Credit Claim Date")
            if item.credit_claim_date
            else ("end_date", "Activity End Date")
        )
        claim = format_date(clean.credit_claim_date)
        value = f"{claim} (before {format_date(last)}, the last completion {on})"
        errors.append(invalid(item, name, element, value))
    most = existing.most_ama_credits
    if clean.ama_credits is not None and most is not None and clean.ama_credits < most:
        value = f"{clean.ama_credits} (fewer than the {most:.2f} credits {given_to} {on})"
        errors.append(invalid(item, "ama_credits", "AMA PRA Category 1 Credits", value))
    for moc in clean.moc:
        given = existing.most_points.get(moc.code)
        if given is not None and moc.points and moc.points < given:
            value = f"{moc.points} (fewer than the {given:.2f} {moc.code} points {given_to} {on})"
            errors.append(invalid(item, f"moc:{moc.code}:points", "MOC Points", value))
        dropped = _types_dropped(moc, existing, lookups)
        if dropped:
            value = f"{', '.join(dropped)} left out (a type {given_to} {on})"
            errors.append(invalid(item, f"moc:{moc.code}:credit_types", "MOCCreditType", value))
    return errors


def _types_dropped(moc: CleanMoc, existing: ExistingActivity, lookups: Lookups) -> list[str]:
    """The credit types learners were given on the board that the registration no longer lists."""
    used = existing.types_used.get(moc.code)
    board = lookups.boards.get(moc.code.casefold())
    if not used or board is None or not moc.credit_type_ids:  # none listed is 484 already
        return []
    kept = {name for name, pk in board.credit_types.items() if pk in moc.credit_type_ids}
    return sorted(name for folded, name in used.items() if folded not in kept)


def requirement_errors(
    status: str, item: ActivityInput, clean: CleanActivity, *, today: date
) -> list[ActivityError]:
    """The fields `status` requires that the activity lacks (Draft's are in required_errors)."""
    if status == ActivityStatus.DRAFT:
        return []
    errors = []
    if not item.end_date:
        errors.append(fail("end_date", "215"))
    if not item.ama_credits:
        errors.append(fail("ama_credits", "200"))
    if not item.providership:
        errors.append(fail("providership", "212"))
    if not item.description:
        errors.append(missing(item, "description", "Description"))
    if clean.format and clean.format.code in LOCATED_FORMATS:
        errors += _location_missing(item, clean)
    if status == ActivityStatus.CLOSED:
        errors += _closing_missing(item, clean)
    ended = clean.end_date is not None and clean.end_date < today
    if status in (ActivityStatus.READY_TO_CLOSE, ActivityStatus.CLOSED) and (errors or not ended):
        errors.append(fail("status", "483"))
    return errors


def _location_missing(item: ActivityInput, clean: CleanActivity) -> list[ActivityError]:
    needed = [("city", "City"), ("country", "Country")]
    if clean.country == "USA":
        needed.append(("state", "State"))
    return [missing(item, name, element) for name, element in needed if not getattr(item, name)]


def _closing_missing(item: ActivityInput, clean: CleanActivity) -> list[ActivityError]:
    errors = []
    if clean.providership == "joint" and not clean.joint_providers:
        errors.append(fail("joint_providers", "214"))
    for name, element in (
        ("commercial_support", "Commercial Support"),
        ("physicians", "Number of Physicians"),
        ("other_learners", "Number of Other Learners"),
    ):
        if not getattr(item, name):
            errors.append(missing(item, name, element))
    return errors


def requested_status(item: ActivityInput) -> tuple[str, list[ActivityError]]:
    """The status the door asks for: a Status value, or closeActivityRecord; '' for none."""
    errors = []
    closing = yes_no(item.close) if item.close else False
    if closing is None:
        errors.append(invalid(item, "close", "closeActivityRecord", item.close))
    if closing:
        return ActivityStatus.CLOSED, errors
    if not item.status:
        return "", errors
    status = STATUS_NAMES.get(item.status.strip().casefold())
    if status is None:
        value = f"{item.status} (Draft, Active, Ready to Close or Closed)"
        errors.append(invalid(item, "status", "Status", value))
        return "", errors
    return status, errors


def settle_status(
    asked: str,
    item: ActivityInput,
    clean: CleanActivity,
    existing: ExistingActivity | None,
    *,
    today: date,
) -> list[ActivityError]:
    """Set `clean.status` and return the requirement errors of that status.

    Asked for nothing (SaveActivity, files without a Status), a new or draft activity gets the
    furthest status its fields allow, Draft at least; one past Draft stays Active (or Ready to
    Close) and must keep what that requires. Active with an end date already past is stored as
    Ready to Close. An activity that is no longer a draft can't go back to Draft.
    """
    was_draft = existing is None or existing.status == ActivityStatus.DRAFT
    if asked == ActivityStatus.DRAFT and not was_draft:
        clean.status = existing.status if existing else ActivityStatus.DRAFT
        value = "Draft (an activity that is no longer a draft can't go back to draft)"
        return [invalid(item, "status", "Status", value)]
    ended = clean.end_date is not None and clean.end_date < today
    running = ActivityStatus.READY_TO_CLOSE if ended else ActivityStatus.ACTIVE
    automatic = asked in ("", ActivityStatus.ACTIVE)
    status = running if automatic else asked
    checked = ActivityStatus.ACTIVE if automatic else asked
    errors = requirement_errors(checked, item, clean, today=today)
    if not asked and errors and was_draft:
        status, errors = ActivityStatus.DRAFT, []
    clean.status = status
    return errors


def judge(
    item: ActivityInput,
    *,
    lookups: Lookups,
    existing: ExistingActivity | None,
    taken_by: str | None,
    today: date,
    reporting_year_required: bool = False,
) -> Judged:
    """Every Appendix A error of one activity and, when it has none, its clean values."""
    action, errors = record_action(item.action)
    judged = Judged(action=action, errors=errors)
    if errors:
        return judged
    errors += identity_errors(action, item, existing, taken_by)
    if action == DELETE:
        if not errors and existing is not None:
            errors += delete_errors(existing)
            if not year_is_open(existing.reporting_year, today=today):
                errors += reporting_year_errors(
                    item, judged.clean, existing, required=False, today=today
                )
        return judged
    if errors and existing is not None and existing.status == ActivityStatus.CLOSED:
        return judged  # 481: nothing else about a closed activity matters
    asked, status_errors = requested_status(item)
    errors += status_errors
    errors += value_errors(item, lookups, judged.clean)
    errors += reporting_year_errors(
        item, judged.clean, existing, required=reporting_year_required, today=today
    )
    if action == UPDATE and existing is not None:
        errors += update_errors(existing, judged.clean)
        errors += held_by_records(item, existing, judged.clean, lookups)
    errors += settle_status(asked, item, judged.clean, existing, today=today)
    return judged
