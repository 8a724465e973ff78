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

from decimal import Decimal
from functools import lru_cache

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
from learners.engine.states import state_code
from learners.engine.values import (
    NOT_POSITIVE,
    NOT_QUARTER,
    format_date,
    parse_birth,
    parse_credits,
    parse_date,
    reporting_deadline,
)

BLANK = "(blank)"
CLOSED_ACTIVITY = (
    "Activity {activity_id} is closed: closed activities may not be edited, and no more learners "
    "may be reported for them."
)
_ZERO = Decimal(0)
_TYPE_POINTS = "Credits Awarded for Credit Type"
_ADDITIONAL_POINTS = "Credits Awarded for Additional Credit Type"
# A batch names the same few hundred physicians over and over: normalise each value once.
_name_key = lru_cache(maxsize=16384)(name_key)
_is_npi = lru_cache(maxsize=16384)(is_valid_npi)
_state_code = lru_cache(maxsize=256)(state_code)
CREDIT_ID_MAX = 100
# Codes that mean the row's identity can't be looked up as given: matching would only add noise.
IDENTITY_FIELD_CODES = frozenset({"622", "623", "624", "719", "720", "721", "728", "621", "718"})

__all__ = ["judge_duplicates", "judge_fields", "judge_identity", "remember"]


def judge_fields(j: Judgement, ctx: RuleContext) -> None:
    """First pass: the row's own fields, its activity and dates (no directory, no records)."""
    judge_action(j)
    if len(j.credit_id) > CREDIT_ID_MAX:
        j.errors.append(
            error("998", reason=f"the Credit ID is longer than {CREDIT_ID_MAX} characters")
        )
    judge_activity(j, ctx)
    judge_completion_date(j, ctx)
    if ctx.program == Program.REMS:
        if j.action == ADD:
            judge_rems_fields(j)
        else:
            local_id = j.row.learner_local_id.strip()
            j.rems = {"rems_learner_local_id": local_id} if local_id else None
        return
    judge_licence(j)
    judge_board(j, ctx)
    if j.action == ADD:
        judge_names_and_birth(j)
        judge_cme_credits(j)
        j.identity = identity_of(j)


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
    if activity.status == "draft":
        j.errors.append(error("749", activity_id=text))
    elif activity.status == "closed":
        # SPEC §4b: closing an activity reports its learner counts; no learner comes after it.
        j.errors.append(RowError("481", CLOSED_ACTIVITY.format(activity_id=text)))
    if ctx.program == Program.REMS and not activity.rems_registered:
        j.errors.append(error("716", activity_id=text))


def judge_completion_date(j: Judgement, ctx: RuleContext) -> None:
    text = j.row.completion_date.strip()
    if not text:
        j.errors.append(error("631"))
        return
    completion = parse_date(text)
    if completion is None:
        j.errors.append(error("671", value=text))
        return
    j.completion = completion
    deadline = reporting_deadline(completion)
    if j.action == DELETE:
        if ctx.today > deadline:
            j.errors.append(error("706", year=completion.year, deadline=format_date(deadline)))
        return
    if completion > ctx.today:
        j.errors.append(error("750", completion_date=format_date(completion)))
        return
    if ctx.today > deadline:
        shown, until = format_date(completion), format_date(deadline)
        j.errors.append(error("705", completion_date=shown, year=completion.year, deadline=until))
    activity = j.activity
    if activity is None:
        return
    if completion < activity.start_date:
        start = format_date(activity.start_date)
        j.errors.append(error("672", completion_date=format_date(completion), start_date=start))
    elif completion > activity.credit_claim_date:
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
    if npi and not _is_npi(npi):
        j.errors.append(error("718", identity=f"'{npi}' is not a valid NPI"))
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
    row = j.row
    text = row.board.strip()
    if not text:
        moc_columns = (row.board_id, row.board_points, row.credit_type, row.credit_type_points)
        if (any(moc_columns) and any(v.strip() for v in moc_columns)) or row.extra_credit_types:
            j.errors.append(error("728", value=BLANK))
        return
    board = ctx.boards.get(text.casefold())
    if board is None:
        j.errors.append(error("728", value=text))
        return
    j.board = board
    j.board_id = row.board_id.strip()
    if not j.board_id:
        j.errors.append(error("621", board=board.code))
    if j.action != ADD:
        return
    registration = None
    if j.activity is not None:
        registration = j.activity.moc.get(board.code)
        if registration is None:
            j.errors.append(error("670", activity_id=j.activity.activity_id, board=board.code))
    offered = registration.points if registration else None
    judge_board_points(j, offered)
    judge_credit_types(j, board, registration.credit_types if registration else None)


def judge_board_points(j: Judgement, offered: Decimal | None) -> None:
    text = j.row.board_points.strip()
    assert j.board is not None
    if not text:
        j.errors.append(error("632", board=j.board.code))
        return
    points = _points(j, "Total Board Credits", text)
    if points is None:
        return
    j.points = points
    if offered is not None and points > offered:
        activity_id = j.activity.activity_id if j.activity else ""
        j.errors.append(
            error(
                "674", points=points, offered=offered, activity_id=activity_id, board=j.board.code
            )
        )


def _points(j: Judgement, label: str, text: str) -> Decimal | None:
    """MOC points: a number above 0 (673) in steps of 0.25 (675)."""
    amount, verdict = parse_credits(text)
    if verdict == NOT_POSITIVE:
        j.errors.append(error("673", field=label, value=text, reason="a number above 0"))
    elif verdict == NOT_QUARTER:
        j.errors.append(error("675", field=label, value=text))
    return amount


def judge_credit_types(j: Judgement, board: BoardFacts, allowed: frozenset[str] | None) -> None:
    """Each credit type must be the board's and allowed on the activity (735); points valid."""
    row = j.row
    pairs = [(row.credit_type, row.credit_type_points, _TYPE_POINTS)]
    if row.additional_credit_type or row.additional_credit_type_points:
        pairs.append(
            (row.additional_credit_type, row.additional_credit_type_points, _ADDITIONAL_POINTS)
        )
    pairs.extend((t, p, _TYPE_POINTS) for t, p in row.extra_credit_types)
    total = _ZERO
    for type_text, points_text, label in pairs:
        type_text, points_text = type_text.strip(), points_text.strip()
        if not type_text and not points_text:
            continue
        if not type_text:
            reason = "no Credit Type is given for these credits"
            j.errors.append(error("673", field=label, value=points_text, reason=reason))
            continue
        name = credit_type_name(board, type_text)
        if name is None or (allowed is not None and name not in allowed):
            activity_id = j.activity.activity_id if j.activity else ""
            j.errors.append(
                error("735", value=type_text, board=board.code, activity_id=activity_id)
            )
        if not points_text:
            reason = f"required with Credit Type '{type_text}'"
            j.errors.append(error("673", field=label, value="", reason=reason))
            continue
        amount = _points(j, label, points_text)
        if amount is not None and name is not None:
            j.credits.append((name, amount))
            total += amount
    if j.points is not None and total > j.points:
        reason = f"the credit type points add up to {total}, more than the Total Board Credits"
        j.errors.append(
            error(
                "673", field="Total Board Credits", value=j.row.board_points.strip(), reason=reason
            )
        )


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
        if not j.row.board.strip():
            j.errors.append(error("722", value=BLANK))  # a row must report CME, MOC or both
        return
    amount, _ = parse_credits(text)
    if amount is None:
        j.errors.append(error("722", value=text))
        return
    j.cme = amount
    if j.activity is not None and amount > j.activity.ama_credits:
        j.errors.append(
            error(
                "748",
                credits=amount,
                offered=j.activity.ama_credits,
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
