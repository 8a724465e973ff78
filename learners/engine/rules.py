"""The rules of SPEC §3: small pure functions over a row being judged and a RuleContext.

No rule queries the database: the loader (load.py) fetches everything a window of rows
needs in a few bulk queries first. A row collects every code that applies, but a rule that depends on a fact
the row failed to give (an activity that doesn't exist, a date that isn't one) is skipped rather
than piling consequences on the first mistake.

A row is judged in three passes because each needs what the previous one found:
  judge_fields      — everything from the row itself, the activity and the calendar;
  judge_identity    — matching against the directory (loaded for the window's ids);
  judge_duplicates  — stored records and earlier rows of the same batch (duplicates.py).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from typing import Protocol

from learners.engine.certificates import (
    certificate_points_total,
    judge_certificates,
    judge_member_ids,
)
from learners.engine.codes import error
from learners.engine.duplicates import judge_duplicates, remember
from learners.engine.facts import (
    ADD,
    DELETE,
    BoardFacts,
    Judgement,
    RuleContext,
)
from learners.engine.matching import Identity
from learners.engine.names import name_key
from learners.engine.npi import is_valid_npi
from learners.engine.programs import Program
from learners.engine.rems import judge_rems_fields
from learners.engine.results import RowError
from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS, LearnerRow
from learners.engine.states import state_code
from learners.engine.values import (
    MAX_AMOUNT,
    NOT_POSITIVE,
    NOT_QUARTER,
    TOO_LARGE,
    control_character,
    format_date,
    parse_birth,
    parse_credits,
    parse_date,
    reporting_deadline,
)

CLOSED_ACTIVITY = (
    "Activity {activity_id} is closed: closed activities may not be edited, and no more learners "
    "may be reported for them."
)
MISSING_BOARD = (
    "Certifying Board is missing: it is required when a board id, MOC points or a credit type "
    "is given"
)
NO_CREDIT = "No credit is reported: give CME credits, MOC points, or both"
# Credit types whose refusal PARS names with a code of its own (Appendix B).
_SPECIFIC_TYPE_CODES = {"patient safety": "680", "practice assessment": "681"}
_ZERO = Decimal(0)
_TYPE_POINTS = "Credits Awarded for Credit Type"
_ADDITIONAL_POINTS = "Credits Awarded for Additional Credit Type"
# A batch names the same few hundred physicians over and over: normalise each value once.
_name_key = lru_cache(maxsize=16384)(name_key)
_is_npi = lru_cache(maxsize=16384)(is_valid_npi)


def _looks_like_npi(value: str) -> bool:
    return len(value) == 10 and value.isascii() and value.isdigit()


_state_code = lru_cache(maxsize=256)(state_code)
CREDIT_ID_MAX = 100
# Codes that mean the row's identity can't be looked up as given: matching would only add noise.
IDENTITY_FIELD_CODES = frozenset(
    {"622", "623", "624", "712", "719", "720", "721", "728", "621", "718"}
)

__all__ = ["judge_duplicates", "judge_fields", "judge_identity", "remember"]


def judge_fields(j: Judgement, ctx: RuleContext) -> None:
    """First pass: the row's own fields, its activity and dates (no directory, no records)."""
    if judge_characters(j) or judge_repeated_elements(j):
        return
    judge_action(j)
    judge_activity(j, ctx)
    judge_completion_date(j, ctx)
    # A record on a REMS-registered activity is a REMS record, whatever door it came in by.
    j.rems_rules = ctx.program == Program.REMS or bool(j.activity and j.activity.rems_registered)
    judge_credit_ids(j)
    if j.rems_rules:
        if j.action == ADD:
            judge_rems_fields(j, rems_program=ctx.program == Program.REMS)
        else:
            local_id = j.row.learner_local_id.strip()
            j.rems = {"rems_learner_local_id": local_id} if local_id else None
        return
    if j.row.from_xml:
        judge_member_ids(j, ctx)
    judge_licence(j)
    judge_board(j, ctx)
    if j.row.from_xml:
        judge_certificates(j, ctx)
    elif j.board is not None:
        j.moc = True
        j.credit_pairs = column_credit_pairs(j.row)
    if j.action == ADD:
        if j.moc:
            judge_moc(j, ctx)
        judge_names_and_birth(j)
        judge_cme_credits(j)
        j.identity = identity_of(j)


def judge_credit_ids(j: Judgement) -> None:
    """650 for a certificate without a CreditID (or an add without any); 998 for one too long."""
    for certificate in j.row.certificates or ():
        if not certificate.credit_id.strip():
            shown = certificate.certification or "(no activityCertification)"
            j.errors.append(error("650", certificate=shown))
    # A REMS report may carry no certificate; a web-service one still needs its Credit ID. (A
    # board report without any certificate is 677, no credit, rather than 650 as well.)
    no_certificate = j.row.from_xml and not j.row.certificates and j.rems_rules
    if j.action == ADD and no_certificate and not j.credit_id:
        j.errors.append(error("650", certificate="(none)"))
    if any(len(credit_id) > CREDIT_ID_MAX for credit_id in (*j.credit_ids, j.credit_id)):
        reason = f"the Credit ID is longer than {CREDIT_ID_MAX} characters"
        j.errors.append(error("998", reason=reason))


def unknown_board(text: str) -> str:
    return f"Certifying Board '{text}' is unknown (use a board acronym such as ABIM)"


def cme_not_valid(text: str) -> str:
    return f"Number of CME Credits '{text}' is not valid (a number above 0 in steps of 0.25)"


# The row's text values with the names a provider knows them by (file headers, XML elements).
_TEXT_FIELDS: tuple[tuple[str, str], ...] = (
    *BOARD_COLUMNS,
    *REMS_COLUMNS[3:],
    ("credit_id", "Credit ID"),
    ("npi", "NPI"),
    ("me_number", "Medical Education Number"),
)


_text_values = attrgetter(*(name for name, _ in _TEXT_FIELDS))


def judge_characters(j: Judgement) -> bool:
    """998 for a value holding a control character (a NUL, a line break): no value may.

    Such a row is judged no further: its values can't be looked up (PostgreSQL refuses a NUL).
    """
    values: tuple[str, ...] = _text_values(j.row)
    # One search over the values as given settles the usual, clean row; only a row where it
    # finds one (perhaps a line break that stripping removes) is looked at value by value.
    if control_character("".join(values)) is None:
        return False
    for value, (_, header) in zip(values, _TEXT_FIELDS, strict=True):
        found = control_character(value.strip())
        if found is not None:
            reason = f"the {header} holds a control character ({found}), which no value may hold"
            j.errors.append(error("998", reason=reason))
            j.unreadable = True
    return j.unreadable


def judge_repeated_elements(j: Judgement) -> bool:
    """998 for an element an XML report gives twice where the record holds one value (two
    GivenNames, two learnerRecordActions): which one was meant is anybody's guess, so the row is
    judged no further."""
    for path in dict.fromkeys(j.row.repeated_elements):
        reason = f"the report gives {path} more than once, and a learner record holds one"
        j.errors.append(error("998", reason=reason))
        j.unreadable = True
    return j.unreadable


def judge_action(j: Judgement) -> None:
    action = j.row.record_action.strip().casefold()
    if not action:
        j.errors.append(error("601"))
    elif action not in (ADD, DELETE):
        j.errors.append(error("602", value=j.row.record_action.strip()))
    else:
        j.action = action


def judge_activity(j: Judgement, ctx: RuleContext) -> None:
    text = j.row.activity_id.strip()
    if not text:
        j.errors.append(error("630"))
        return
    activity = ctx.activities.get(text)
    if activity is None:
        # Another provider's activity is reported exactly like one that doesn't exist.
        j.errors.append(error("690", activity_id=text))
        return
    j.activity = activity
    if j.action == DELETE:
        return
    lacking = lacks_for_learners(activity)
    if lacking:
        j.errors.append(error("749", activity_id=text, lacking=", ".join(lacking)))
    elif activity.status == "closed":
        # SPEC §4b: closing an activity reports its learner counts; no learner comes after it.
        j.errors.append(RowError("481", CLOSED_ACTIVITY.format(activity_id=text)))
    if ctx.program == Program.REMS and not activity.rems_registered:
        j.errors.append(error("716", activity_id=text))


class LearnerReportNeeds(Protocol):
    """What of an activity decides whether learners may be reported on it (stored facts, or the
    model itself for the screens)."""

    @property
    def status(self) -> str: ...
    @property
    def end_date(self) -> date | None: ...
    @property
    def credit_claim_date(self) -> date | None: ...
    @property
    def ama_credits(self) -> Decimal | None: ...
    @property
    def providership(self) -> str: ...


def lacks_for_learners(activity: LearnerReportNeeds) -> list[str]:
    """What a draft activity lacks that a learner report needs; [] when learners may be reported.

    The one rule of 749. A learner report is judged against its activity's dates (672, 747), the
    credits it offers (748) and its providership, so a draft without any of these takes no
    learners. A draft that has them all takes learners: what Active adds beyond them (a
    description, a location) describes the activity, not its learners, and an integrator that
    registers a course without a description (SaveActivity stores it as a Draft) may report its
    learners at once. Active and later statuses require all of them (activities/status.py).
    """
    if activity.status != "draft":
        return []
    needs = (
        ("end date", activity.end_date),
        ("credit claim date", activity.credit_claim_date),
        ("AMA PRA Category 1 credits", activity.ama_credits),
        ("providership", activity.providership),
    )
    return [name for name, value in needs if value is None or value == ""]


def judge_completion_date(j: Judgement, ctx: RuleContext) -> None:
    text = j.row.completion_date.strip()
    if not text:
        missing = "ar:CompletedDateTime" in j.row.missing_elements
        j.errors.append(error("746" if missing else "631"))
        return
    completion = parse_date(text)
    if completion is None:
        j.errors.append(error("671", value=text))
        return
    j.completion = completion
    deadline = reporting_deadline(completion)
    if j.action == DELETE:
        if ctx.today > deadline:
            year, until = f"{completion.year:04d}", format_date(deadline)
            j.errors.append(error("706", year=year, deadline=until))
        return
    if completion > ctx.today:
        j.errors.append(error("750", completion_date=format_date(completion)))
        return
    if ctx.today > deadline:
        shown, until = format_date(completion), format_date(deadline)
        year = f"{completion.year:04d}"  # as the date shows it: 0001, not 1
        j.errors.append(error("705", completion_date=shown, year=year, deadline=until))
    activity = j.activity
    if activity is None:
        return
    if completion < activity.start_date:
        start = format_date(activity.start_date)
        j.errors.append(error("672", completion_date=format_date(completion), start_date=start))
    elif activity.credit_claim_date is not None and completion > activity.credit_claim_date:
        claim = format_date(activity.credit_claim_date)
        shown = format_date(completion)
        j.errors.append(error("747", completion_date=shown, credit_claim_date=claim))


def judge_names_and_birth(j: Judgement) -> None:
    if not j.row.first_name.strip():
        j.errors.append(error("622"))
    if not j.row.last_name.strip():
        j.errors.append(error("623"))
    text = j.row.birth_date.strip()
    if not text:
        j.errors.append(error("624"))
        return
    j.birth = parse_birth(text)
    if j.birth is None:
        j.errors.append(error("719", value=text))


def judge_licence(j: Judgement) -> None:
    """Licensing State + 'Licensing ID or NPI': a 10-digit value passing the NPI check is an NPI."""
    state_text = j.row.licensing_state.strip()
    value = j.row.license_id.strip()
    npi = j.row.npi.strip()
    if value and not npi and not state_text and _looks_like_npi(value):
        npi, value = value, ""  # ten digits without a state: meant as an NPI
    if npi and not _is_npi(npi):
        j.errors.append(
            error("718", identity=f"'{npi}' is not a valid NPI (its check digit is wrong)")
        )
        npi = ""
    if value and not npi and _is_npi(value):
        npi, value = value, ""
    j.npi = npi
    if state_text:
        j.state = _state_code(state_text) or ""
        if not j.state:
            j.errors.append(error("721", value=state_text))
    if bool(state_text) != bool(value) and not (state_text and j.npi and not value):
        j.errors.append(error("720", state=state_text, license_id=value))
    j.license_id = value
    if j.action == DELETE and j.npi and j.state and not value:
        # On a delete the NPI may also have been stored as a licence id: keep it for matching.
        j.license_id = j.npi


def judge_board(j: Judgement, ctx: RuleContext) -> None:
    """The Certifying Board and its id (728, 621); in XML a board names the learner only."""
    row = j.row
    text = row.board.strip()
    if not text:
        moc_columns = (row.board_id, row.board_points, row.credit_type, row.credit_type_points)
        if not row.from_xml and any(v.strip() for v in moc_columns):
            j.errors.append(error("728", problem=MISSING_BOARD))
        return
    board = ctx.boards.get(text.casefold())
    if board is None:
        if not row.from_xml:  # in XML, 712 (UniqueID domain) or 676 (certificate) says it
            j.errors.append(error("728", problem=unknown_board(text)))
        return
    j.board = board
    j.board_id = row.board_id.strip()
    if not j.board_id and not (row.from_xml and j.action == ADD and not row.member_ids):
        j.errors.append(error("621", board=board.code))


def column_credit_pairs(row: LearnerRow) -> list[tuple[str, str, str]]:
    """A table row's credit types and their points, with the columns that hold them."""
    pairs = [(row.credit_type, row.credit_type_points, _TYPE_POINTS)]
    if row.additional_credit_type or row.additional_credit_type_points:
        pairs.append(
            (row.additional_credit_type, row.additional_credit_type_points, _ADDITIONAL_POINTS)
        )
    pairs.extend((t, p, _TYPE_POINTS) for t, p in row.extra_credit_types)
    return pairs


def judge_moc(j: Judgement, ctx: RuleContext) -> None:
    """MOC credit: the activity's registration with the board (670), points, credit types."""
    board = j.board
    if board is None:
        return
    registration = None
    if j.activity is not None:
        registration = j.activity.moc.get(board.code)
        if registration is None:
            j.errors.append(error("670", activity_id=j.activity.activity_id, board=board.code))
    offered = registration.points if registration else None
    if j.row.from_xml:
        judge_certificate_points(j, offered)
    else:
        judge_board_points(j, offered)
    judge_credit_types(j, board, registration.credit_types if registration else None)


def judge_certificate_points(j: Judgement, offered: Decimal | None) -> None:
    """XML: the MOC points are the board certificates' sum (632 when none gives any)."""
    assert j.board is not None
    if all(not points.strip() for _, points, _ in j.credit_pairs):
        j.errors.append(error("632", board=j.board.code, field="numberOfCredits"))
        return
    j.points = certificate_points_total(j)
    _judge_offered(j, offered)


def judge_board_points(j: Judgement, offered: Decimal | None) -> None:
    text = j.row.board_points.strip()
    assert j.board is not None
    if not text:
        j.errors.append(error("632", board=j.board.code, field="Total Board Credits"))
        return
    j.points = _points(j, "Total Board Credits", text)
    _judge_offered(j, offered)


def _judge_offered(j: Judgement, offered: Decimal | None) -> None:
    assert j.board is not None
    if j.points is not None and offered is not None:
        activity_id = j.activity.activity_id if j.activity else ""
        over = points_over_offer(j.points, offered, activity_id=activity_id, board=j.board.code)
        j.errors.extend([over] if over else [])


def points_over_offer(
    points: Decimal, offered: Decimal, *, activity_id: str, board: str
) -> RowError | None:
    """674: MOC points above what the activity offers for the board (intake and board alike)."""
    if points <= offered:
        return None
    return error("674", points=points, offered=offered, activity_id=activity_id, board=board)


def _points(j: Judgement, label: str, text: str) -> Decimal | None:
    """MOC points: a number above 0 (673) in steps of 0.25 (675)."""
    amount, verdict = parse_credits(text)
    if verdict in (NOT_POSITIVE, TOO_LARGE):
        reason = "a number above 0" if verdict == NOT_POSITIVE else f"at most {MAX_AMOUNT}"
        j.errors.append(error("673", field=label, value=text, reason=reason))
    elif verdict == NOT_QUARTER:
        j.errors.append(error("675", field=label, value=text))
    return amount


def judge_credit_types(j: Judgement, board: BoardFacts, allowed: frozenset[str] | None) -> None:
    """Each credit type must be the board's and allowed on the activity (735, or 680/681 for
    patient safety and practice assessment credit); its points valid (673/675)."""
    total = _ZERO
    for type_text, points_text, label in j.credit_pairs:
        type_text, points_text = type_text.strip(), points_text.strip()
        if not type_text and not points_text:
            continue
        if not type_text:
            reason = "no Credit Type is given for these credits"
            j.errors.append(error("673", field=label, value=points_text, reason=reason))
            continue
        name = credit_type_name(board, type_text)
        if name is None or (allowed is not None and name not in allowed):
            j.errors.append(_type_not_allowed(j, board, type_text, name))
        if not points_text:
            reason = f"required with Credit Type '{type_text}'"
            j.errors.append(error("673", field=label, value="", reason=reason))
            continue
        amount = _points(j, label, points_text)
        if amount is not None and name is not None:
            j.credits.append((name, amount))
            total += amount
    if not j.row.from_xml and j.points is not None and total > j.points:
        reason = f"the credit type points add up to {total}, more than the Total Board Credits"
        j.errors.append(
            error(
                "673", field="Total Board Credits", value=j.row.board_points.strip(), reason=reason
            )
        )


def _type_not_allowed(j: Judgement, board: BoardFacts, text: str, name: str | None) -> RowError:
    activity_id = j.activity.activity_id if j.activity else ""
    if name is not None and name.casefold() in _SPECIFIC_TYPE_CODES:
        code = _SPECIFIC_TYPE_CODES[name.casefold()]
        return error(code, board=board.code, activity_id=activity_id)
    return error("735", value=text, board=board.code, activity_id=activity_id)


def credit_type_name(board: BoardFacts, text: str) -> str | None:
    """The board's credit type named by `text`, ignoring case and a leading board acronym."""
    key = text.casefold()
    name = board.credit_types.get(key)
    if name is None and key.startswith(board.code.casefold() + " "):
        name = board.credit_types.get(key[len(board.code) + 1 :].strip())
    return name


def judge_cme_credits(j: Judgement) -> None:
    text = j.row.cme_credits.strip()
    if not text:
        moc_given = j.moc or (not j.row.from_xml and bool(j.row.board.strip()))
        if j.row.from_xml and not j.row.certificates:
            return  # 677 says it: no certificate at all
        if not moc_given:  # a row must report CME, MOC or both
            j.errors.append(error("722", problem=NO_CREDIT))
        return
    amount, _ = parse_credits(text)
    if amount is None:
        j.errors.append(error("722", problem=cme_not_valid(text)))
        return
    j.cme = amount
    offered = j.activity.ama_credits if j.activity is not None else None
    if j.activity is not None and offered is not None and amount > offered:
        j.errors.append(
            error(
                "748",
                credits=amount,
                offered=offered,
                activity_id=j.activity.activity_id,
            )
        )


def identity_of(j: Judgement) -> Identity | None:
    """The identity to match, or None when the row's identity fields already failed."""
    if j.birth is None or (j.errors and any(e.code in IDENTITY_FIELD_CODES for e in j.errors)):
        return None
    first, last = j.row.first_name.strip(), j.row.last_name.strip()
    identity = Identity(
        first_key=_name_key(first),
        last_key=_name_key(last),
        birth=j.birth,
        npi=j.npi,
        me_number=j.row.me_number.strip(),
        licence=(j.state, j.license_id or j.npi) if j.state and (j.license_id or j.npi) else None,
        board=(j.board.pk, j.board_id) if j.board and j.board_id else None,
        board_code=j.board.code if j.board else "",
        name=f"{first} {last}",
    )
    if not identity.has_id:
        j.errors.append(error("718", identity="give an NPI, a licence or a Certifying Board ID"))
        return None
    return identity


def judge_identity(j: Judgement, ctx: RuleContext) -> None:
    """Second pass: match the learner against the directory (661/664/665/718/737)."""
    if j.identity is None:
        return
    j.learner_id, problems = ctx.directory.match(j.identity)
    j.errors.extend(problems)
