"""Realistic learner files from the sandbox, with a chosen share of rows carrying known defects.

Valid rows are valid under every rule of SPEC §3: a real directory physician (name, birth month
and day, and one of NPI / state licence / board + board id that is theirs), one of the provider's
active activities (MOC only with a board the activity is registered with, allowed credit types,
points within the offer, in 0.25 steps), a completion date inside the activity's dates, not in
the future and in an open reporting window, and no learner + activity + date twice (nor a second
completion of an activity without repeat participation, in the file or already stored).
The same seed, sandbox and day give the same file.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from activities.models import Activity
from learners.engine.rems import DEA_REGISTRATIONS, PRACTICE_AREAS, PROFESSIONS, TIMES_IN_PRACTICE
from learners.engine.rows import LearnerRow
from learners.engine.states import STATES
from learners.formats import FILE_TYPES
from learners.formats.base import columns_for
from learners.formats.writers import encode_learner_file
from learners.models import CompletionRecord, Learner
from portal.models import Provider

QUARTER = Decimal("0.25")
MAX_ATTEMPTS_PER_ROW = 500


class FileGenerationError(ValueError):
    """The sandbox can't give what was asked (no activities, too many distinct rows, …)."""


@dataclass(frozen=True)
class _Physician:
    pk: int
    first_name: str
    last_name: str
    birth_month: int
    birth_day: int
    npi: str
    licences: tuple[tuple[str, str], ...]
    board_ids: dict[str, str]


@dataclass(frozen=True)
class _Moc:
    points: Decimal
    credit_types: tuple[str, ...]


@dataclass(frozen=True)
class _Activity:
    pk: int
    activity_id: str
    ama_credits: Decimal
    first_day: date  # the window a valid completion date may fall in
    last_day: date
    repeat_participation: bool
    moc: dict[str, _Moc]


def open_from(today: date) -> date:
    """The first completion date still inside a reporting window (year Y closes 31 March Y+2)."""
    oldest_open = today.year - 2 if today <= date(today.year, 3, 31) else today.year - 1
    return date(oldest_open, 1, 1)


def _activities(provider: Provider, today: date, *, rems: bool) -> list[_Activity]:
    queryset = (
        Activity.objects.for_provider(provider)
        # The activities that take learners; ended ones (Ready to Close) still do.
        .filter(
            status__in=(Activity.Status.ACTIVE, Activity.Status.READY_TO_CLOSE),
            end_date__isnull=False,
        )
        .prefetch_related("moc_registrations__board", "moc_registrations__credit_types")
        .order_by("activity_id")
    )
    # A record on a REMS-registered activity is judged as a REMS record: board files skip them.
    queryset = queryset.filter(rems_registered=rems)
    found = []
    for activity in queryset:
        assert activity.end_date is not None
        first, last = max(activity.start_date, open_from(today)), min(activity.end_date, today)
        if first > last:
            continue
        moc = {
            reg.board.code: _Moc(reg.points, tuple(sorted(t.name for t in reg.credit_types.all())))
            for reg in activity.moc_registrations.all()
        }
        found.append(
            _Activity(
                activity.pk, activity.activity_id, activity.ama_credits or Decimal(0), first, last,
                activity.repeat_participation, moc,
            )
        )  # fmt: skip
    return found


def _physicians() -> list[_Physician]:
    learners = Learner.objects.prefetch_related("licenses", "board_ids__board").order_by(
        "npi", "pk"
    )
    return [
        _Physician(
            pk=learner.pk,
            first_name=learner.first_name,
            last_name=learner.last_name,
            birth_month=learner.birth_month,
            birth_day=learner.birth_day,
            npi=learner.npi or "",
            licences=tuple((lic.state, lic.license_id) for lic in learner.licenses.all()),
            board_ids={b.board.code: b.diplomate_id for b in learner.board_ids.all()},
        )
        for learner in learners
    ]


def _amount(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    """A multiple of 0.25 in [low, high]."""
    steps = int((high - low) / QUARTER)
    return low + QUARTER * rng.randint(0, max(steps, 0))


def _text(amount: Decimal) -> str:
    return format(amount.normalize(), "f")


class _BoardRows:
    """Draws distinct valid board-program rows."""

    def __init__(self, provider: Provider, today: date, rng: random.Random) -> None:
        self.rng = rng
        self.activities = [
            a for a in _activities(provider, today, rems=False) if a.moc or a.ama_credits > 0
        ]
        if not self.activities:
            raise FileGenerationError(
                f"Provider {provider.accme_id} has no active activity open for reporting; "
                "run `manage.py seed_sandbox` first."
            )
        self.physicians = _physicians()
        if not self.physicians:
            raise FileGenerationError(
                "The learner directory is empty; run `manage.py seed_sandbox`."
            )
        self.by_board: dict[str, list[_Physician]] = {}
        for physician in self.physicians:
            for code in physician.board_ids:
                self.by_board.setdefault(code, []).append(physician)
        live = CompletionRecord.objects.for_provider(provider).live().exclude(learner=None)
        stored = list(live.values_list("learner_id", "activity_id", "completion_date"))
        self.used = set(stored)
        self.completed = {(learner, activity) for learner, activity, _ in stored}
        # A learner's MOC points on an activity add up to its offer at most (710/711): one MOC
        # completion each.
        with_moc = live.exclude(moc_points=None).values_list("learner_id", "activity_id")
        self.moc_done = set(with_moc)

    def row(self, number: int) -> LearnerRow:
        for _ in range(MAX_ATTEMPTS_PER_ROW):
            found = self._attempt(number)
            if found is not None:
                return found
        raise FileGenerationError(
            f"Could not find {number} distinct valid learner completions in the sandbox; "
            "ask for fewer rows."
        )

    def _attempt(self, number: int) -> LearnerRow | None:
        rng = self.rng
        activity = rng.choice(self.activities)
        boards = sorted(code for code in activity.moc if self.by_board.get(code))
        kinds = (["cme"] if activity.ama_credits > 0 else []) + (["moc", "both"] if boards else [])
        if not kinds:
            return None
        kind = rng.choice(kinds)
        board = rng.choice(boards) if kind != "cme" else ""
        physician = rng.choice(self.by_board[board] if board else self.physicians)
        if board == "" and not (physician.npi or physician.licences):
            return None
        completion = activity.first_day + timedelta(
            days=rng.randint(0, (activity.last_day - activity.first_day).days)
        )
        key = (physician.pk, activity.pk, completion)
        once = (physician.pk, activity.pk)
        if key in self.used or (not activity.repeat_participation and once in self.completed):
            return None
        if board and once in self.moc_done:
            return None
        self.used.add(key)
        self.completed.add(once)
        if board:
            self.moc_done.add(once)
        values: dict[str, Any] = {
            **self._person(physician, with_licence=kind == "cme" or rng.random() < 0.3),
            **(self._moc(physician, board, activity.moc[board]) if board else {}),
        }
        if kind != "moc":
            values["cme_credits"] = _text(_amount(rng, QUARTER, activity.ama_credits))
        return LearnerRow(
            row_number=number,
            record_action=rng.choice(("Add", "Add", "Add", "add", "ADD")),
            activity_id=activity.activity_id,
            completion_date=completion.strftime("%m/%d/%Y"),
            **values,
        )

    def _person(self, physician: _Physician, *, with_licence: bool) -> dict[str, str]:
        rng = self.rng
        month, day = physician.birth_month, physician.birth_day
        values = {
            "first_name": physician.first_name,
            "last_name": physician.last_name.upper() if rng.random() < 0.1 else physician.last_name,
            "birth_date": f"{month}/{day}" if rng.random() < 0.1 else f"{month:02d}/{day:02d}",
        }
        if with_licence:
            if physician.licences and (not physician.npi or rng.random() < 0.6):
                state, license_id = rng.choice(physician.licences)
                values.update(licensing_state=state, license_id=license_id)
            elif physician.npi:
                values["license_id"] = physician.npi
        return values

    def _moc(self, physician: _Physician, board: str, moc: _Moc) -> dict[str, str]:
        rng = self.rng
        total = _amount(rng, QUARTER, moc.points)
        values = {
            "board": board,
            "board_id": physician.board_ids[board],
            "board_points": _text(total),
        }
        types = list(moc.credit_types)
        if not types:
            return values
        if len(types) > 1 and total >= 2 * QUARTER and rng.random() < 0.4:
            first_type, second_type = rng.sample(types, 2)
            first = _amount(rng, QUARTER, total - QUARTER)
            values.update(
                credit_type=first_type, credit_type_points=_text(first),
                additional_credit_type=second_type, additional_credit_type_points=_text(total - first),
            )  # fmt: skip
        else:
            values.update(credit_type=rng.choice(types), credit_type_points=_text(total))
        return values


class _RemsRows:
    """Draws distinct valid Opioid Analgesic REMS rows (de-identified learners)."""

    def __init__(self, provider: Provider, today: date, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.activities = _activities(provider, today, rems=True)
        if not self.activities:
            raise FileGenerationError(
                f"Provider {provider.accme_id} has no active REMS activity open for reporting; "
                "run `manage.py seed_sandbox` first."
            )
        self.prefix = f"L{seed}-"
        used = CompletionRecord.objects.for_provider(provider).filter(
            rems_learner_local_id__startswith=self.prefix
        )
        self.taken = set(used.values_list("rems_learner_local_id", flat=True))
        self.next_id = 0

    def row(self, number: int) -> LearnerRow:
        rng = self.rng
        local_id = self._local_id()
        activity = rng.choice(self.activities)
        completion = activity.first_day + timedelta(
            days=rng.randint(0, (activity.last_day - activity.first_day).days)
        )
        return LearnerRow(
            row_number=number,
            record_action="Add",
            activity_id=activity.activity_id,
            completion_date=completion.strftime("%m/%d/%Y"),
            learner_local_id=local_id,
            profession=rng.choice(PROFESSIONS),
            practice_area=rng.choice(PRACTICE_AREAS),
            dea_registration=rng.choice(DEA_REGISTRATIONS),
            practice_state=rng.choice(sorted(STATES)),
            time_in_practice=rng.choice(TIMES_IN_PRACTICE),
            performs_surgery=rng.choice(("Y", "N")),
        )

    def _local_id(self) -> str:
        while True:
            self.next_id += 1
            local_id = f"{self.prefix}{self.next_id:05d}"
            if local_id not in self.taken:
                return local_id


# -- defects: each turns a valid row into one the engine must reject -----------------------------

Defect = Callable[[LearnerRow, date], LearnerRow]
UNKNOWN_ACTIVITY_ID = "199999999"  # below the ids the system assigns (200000000 upwards)


def _replace(**changes: Any) -> Defect:
    return lambda row, today: dataclasses.replace(row, **changes)


def _future_date(row: LearnerRow, today: date) -> LearnerRow:
    return dataclasses.replace(
        row, completion_date=(today + timedelta(days=30)).strftime("%m/%d/%Y")
    )


def _wrong_birth_date(row: LearnerRow, today: date) -> LearnerRow:
    month, _, day = row.birth_date.partition("/")
    return dataclasses.replace(row, birth_date=f"{int(month) % 12 + 1:02d}/{day}")


def _points_off_quarter(row: LearnerRow, today: date) -> LearnerRow:
    if row.board:
        return dataclasses.replace(
            row, board_points="1.1", credit_type_points="1.1" if row.credit_type else "",
            additional_credit_type="", additional_credit_type_points="",
        )  # fmt: skip
    return dataclasses.replace(row, cme_credits="1.1")


def _unknown_board(row: LearnerRow, today: date) -> LearnerRow:
    return dataclasses.replace(
        row, board="ABXYZ", board_id=row.board_id or "12345", board_points=row.board_points or "1"
    )


def _cme_above_offer(row: LearnerRow, today: date) -> LearnerRow:
    return dataclasses.replace(row, cme_credits="999")


BOARD_DEFECTS: dict[str, Defect] = {
    "unknown activity id": _replace(activity_id=UNKNOWN_ACTIVITY_ID),
    "bad completion date": _replace(completion_date="13/45/2025"),
    "missing last name": _replace(last_name=""),
    "wrong birth date": _wrong_birth_date,
    "points not in 0.25 steps": _points_off_quarter,
    "unknown board": _unknown_board,
    "CME credits above the offer": _cme_above_offer,
    "completion in the future": _future_date,
    "missing record action": _replace(record_action=""),
}
REMS_DEFECTS: dict[str, Defect] = {
    "unknown activity id": _replace(activity_id=UNKNOWN_ACTIVITY_ID),
    "bad completion date": _replace(completion_date="13/45/2025"),
    "missing profession": _replace(profession=""),
    "practice area not in the list": _replace(practice_area="Astrology"),
    "missing learner local id": _replace(learner_local_id=""),
    "completion in the future": _future_date,
}


def generate_learner_rows(
    *, provider: Provider, rows: int, error_rate: float, program: str = "board", seed: int = 0,
    today: date,
) -> list[LearnerRow]:  # fmt: skip
    """`rows` learner rows, round(rows * error_rate) of them with a known defect each."""
    columns_for(program)
    if rows < 1:
        raise FileGenerationError("Ask for at least one row.")
    if not 0 <= error_rate <= 1:
        raise FileGenerationError("The error rate is a share between 0 and 1 (e.g. 0.1).")
    rng = random.Random(f"{seed}:{program}:{provider.accme_id}")
    source = (
        _RemsRows(provider, today, rng, seed)
        if program == "rems"
        else _BoardRows(provider, today, rng)
    )
    generated = [source.row(number) for number in range(1, rows + 1)]
    defects = list((REMS_DEFECTS if program == "rems" else BOARD_DEFECTS).values())
    for count, index in enumerate(sorted(rng.sample(range(rows), round(rows * error_rate)))):
        generated[index] = defects[count % len(defects)](generated[index], today)
    return generated


def _with_credit_ids(provider: Provider, rows: list[LearnerRow], seed: int) -> list[LearnerRow]:
    """XML carries the submitter's Credit IDs: number them, skipping any already stored."""
    prefix = f"ccid:{provider.accme_id}:gen{seed}:"
    used = set(
        CompletionRecord.objects.for_provider(provider)
        .filter(credit_id__startswith=prefix)
        .values_list("credit_id", flat=True)
    )
    numbers = (n for n in range(1, len(rows) + len(used) + 1) if f"{prefix}{n}" not in used)
    return [dataclasses.replace(row, credit_id=f"{prefix}{next(numbers)}") for row in rows]


def generate_learner_file(
    *, provider: Provider, rows: int, error_rate: float, file_type: str, program: str = "board",
    seed: int = 0, today: date,
) -> bytes:  # fmt: skip
    """A learner file of `rows` rows for `provider`, a share `error_rate` of them defective."""
    if file_type not in FILE_TYPES:
        raise FileGenerationError(
            f"Unknown file type {file_type!r}; expected one of {', '.join(FILE_TYPES)}."
        )
    generated = generate_learner_rows(
        provider=provider, rows=rows, error_rate=error_rate, program=program, seed=seed, today=today
    )
    if file_type == "xml":
        generated = _with_credit_ids(provider, generated, seed)
    return encode_learner_file(
        generated, file_type=file_type, program=program, provider=provider, today=today
    )
