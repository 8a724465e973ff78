"""Matching learners against the directory, in bulk for a window of rows or one at a time.

A learner is identified (SPEC §3) by first + last name + birth month/day + one of: NPI,
(licensing state, licence id), (certifying board, board id), or the AMA ME number that legacy
ACCMELearnerRecords v1 records carry. Names compare through `name_key`, so
case, accents, spaces, hyphens and apostrophes don't matter.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Cast

from learners.engine.codes import error
from learners.engine.names import name_key
from learners.engine.npi import is_valid_npi
from learners.engine.results import RowError
from learners.engine.sql import any_of, pairs_in, slotted_rows
from learners.engine.states import state_code
from learners.engine.values import control_character, parse_birth
from learners.models import Learner, LearnerBoardId, LearnerLicense

_PERSON_FIELDS = ("id", "first_name_key", "last_name_key", "birth_month", "birth_day")


# Person and Identity are built for every row: plain slotted classes, because a frozen
# dataclass's __init__ costs several times more. Treat them as read-only all the same.
@dataclass(slots=True)
class Person:
    """The directory facts matching needs about one physician."""

    pk: int
    first_key: str
    last_key: str
    birth_month: int
    birth_day: int
    name: str = ""  # as the directory spells it, where a message needs it

    def has_name(self, first_key: str, last_key: str) -> bool:
        return self.first_key == first_key and self.last_key == last_key

    def has_birthday(self, birth: tuple[int, int]) -> bool:
        return (self.birth_month, self.birth_day) == birth


@dataclass(slots=True)
class Identity:
    """What a row says about who the learner is (already parsed and checked for form)."""

    first_key: str
    last_key: str
    birth: tuple[int, int]
    npi: str = ""
    me_number: str = ""
    licence: tuple[str, str] | None = None  # (state code, licence id)
    board: tuple[int, str] | None = None  # (board pk, diplomate id)
    board_code: str = ""
    name: str = ""  # as given, for messages

    @property
    def has_id(self) -> bool:
        return bool(self.npi or self.me_number or self.licence or self.board)


def licence_key(state: str, license_id: str) -> tuple[str, str]:
    return state, license_id.strip().upper()


def _person(values: Sequence[Any]) -> Person:
    return Person(*values)


@dataclass
class DirectoryIndex:
    """Directory look-ups for a batch of rows, loaded with one query per kind of id.

    `add` only asks for ids the index doesn't know yet (found or not), so a batch that names the
    same physicians window after window looks each one up once.
    """

    by_npi: dict[str, Person] = field(default_factory=dict)
    by_licence: dict[tuple[str, str], Person] = field(default_factory=dict)
    by_board: dict[tuple[int, str], Person] = field(default_factory=dict)
    by_me: dict[str, Person] = field(default_factory=dict)
    asked: set[object] = field(default_factory=set)

    @classmethod
    def build(
        cls,
        *,
        npis: Iterable[str] = (),
        licences: Iterable[tuple[str, str]] = (),
        board_ids: Iterable[tuple[int, str]] = (),
        me_numbers: Iterable[str] = (),
    ) -> DirectoryIndex:
        index = cls()
        index.add(npis=npis, licences=licences, board_ids=board_ids, me_numbers=me_numbers)
        return index

    def add(
        self,
        *,
        npis: Iterable[str] = (),
        licences: Iterable[tuple[str, str]] = (),
        board_ids: Iterable[tuple[int, str]] = (),
        me_numbers: Iterable[str] = (),
    ) -> None:
        """Load the entries for ids not asked about before."""
        new_npis = {n for n in npis if n} - self.asked
        new_licences = {licence_key(s, i) for s, i in licences} - self.asked
        new_board_ids = set(board_ids) - self.asked
        # ME numbers and NPIs are both strings of digits: ask for ME numbers under their own key.
        new_me = {m for m in me_numbers if m and ("me", m) not in self.asked}
        self.asked |= new_npis | new_licences | new_board_ids | {("me", m) for m in new_me}
        rows = _directory_rows(new_npis, new_licences, new_board_ids, new_me)
        for kind, first, second, *person in rows:
            if kind == _NPI:
                self.by_npi[first] = _person(person)
            elif kind == _ME:
                self.by_me[first] = _person(person)
            elif kind == _LICENCE:
                key = licence_key(first, second)
                if key in new_licences:
                    self.by_licence[key] = _person(person)
            elif (int(first), second) in new_board_ids:
                self.by_board[(int(first), second)] = _person(person)

    def match(self, identity: Identity) -> tuple[int | None, list[RowError]]:
        """The matched learner's pk, or the codes that say why there is none (661/664/665/718/737)."""
        found: dict[str, Person | None] = {}
        if identity.board:
            person = self.by_board.get(identity.board)
            problems = board_id_problems(identity, person)
            if problems:
                return None, problems
            found["the Certifying Board ID"] = person
        if identity.npi:
            person = self.by_npi.get(identity.npi)
            if person is None and identity.licence:
                # A 10-digit licence id can pass the NPI check by chance: fall back to it.
                person = self.by_licence.get(licence_key(*identity.licence))
            found[f"NPI {identity.npi}"] = person
        elif identity.licence:
            state, license_id = identity.licence
            found[f"{state} licence {license_id}"] = self.by_licence.get(
                licence_key(*identity.licence)
            )
        if identity.me_number:
            found[f"ME number {identity.me_number}"] = self.by_me.get(identity.me_number)
        return _decide(identity, found)


_NPI, _LICENCE, _BOARD_ID, _ME = 0, 1, 2, 3


def _directory_rows(
    npis: set[str],
    licences: set[tuple[str, str]],
    board_ids: set[tuple[int, str]],
    me_numbers: Collection[str] = (),
) -> Iterable[tuple]:
    """(kind, key part, key part, person fields…) for each id found: one UNION ALL query."""
    shape = (bool(npis), bool(licences), bool(board_ids), bool(me_numbers))
    if not any(shape):
        return []
    values = {
        "npis": list(npis),
        "states": [state for state, _ in licences],
        "license_ids": [license_id for _, license_id in licences],
        "boards": [board for board, _ in board_ids],
        "diplomate_ids": [diplomate_id for _, diplomate_id in board_ids],
        "me_numbers": list(me_numbers),
    }
    return slotted_rows(("directory", shape), partial(_directory_query, shape), values)


def _directory_query(
    shape: tuple[bool, bool, bool, bool], values: Mapping[str, Any]
) -> models.QuerySet:
    learner_fields = tuple(f"learner__{name}" for name in _PERSON_FIELDS)
    with_npis, with_licences, with_board_ids, with_me = shape
    parts: list[models.QuerySet] = []
    if with_npis:
        parts.append(
            Learner.objects.filter(any_of("npi", values["npis"]))
            .annotate(kind=Value(_NPI), first=F("npi"), second=Value(""))
            .values_list("kind", "first", "second", *_PERSON_FIELDS)
        )
    if with_licences:
        parts.append(
            LearnerLicense.objects.filter(
                pairs_in(("state", "license_id"), (values["states"], values["license_ids"]))
            )
            .annotate(kind=Value(_LICENCE))
            .values_list("kind", "state", "license_id", *learner_fields)
        )
    if with_board_ids:
        parts.append(
            LearnerBoardId.objects.filter(
                pairs_in(("board_id", "diplomate_id"), (values["boards"], values["diplomate_ids"]))
            )
            .annotate(kind=Value(_BOARD_ID), first=Cast("board_id", models.CharField()))
            .values_list("kind", "first", "diplomate_id", *learner_fields)
        )
    if with_me:
        parts.append(
            Learner.objects.filter(any_of("me_number", values["me_numbers"]))
            .annotate(kind=Value(_ME), first=F("me_number"), second=Value(""))
            .values_list("kind", "first", "second", *_PERSON_FIELDS)
        )
    parts = [part.order_by() for part in parts]
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def board_id_problems(identity: Identity, person: Person | None) -> list[RowError]:
    """661 unknown board id; 664 / 665 the birthday / name differ from the diplomate's."""
    assert identity.board is not None
    board_id = identity.board[1]
    if person is None:
        return [error("661", board_id=board_id, board=identity.board_code)]
    problems = []
    if not person.has_birthday(identity.birth):
        birth = f"{identity.birth[0]:02d}/{identity.birth[1]:02d}"
        problems.append(
            error("664", birth_date=birth, board=identity.board_code, board_id=board_id)
        )
    if not person.has_name(identity.first_key, identity.last_key):
        problems.append(
            error("665", name=identity.name, board=identity.board_code, board_id=board_id)
        )
    return problems


def _decide(
    identity: Identity, found: dict[str, Person | None]
) -> tuple[int | None, list[RowError]]:
    if not found:
        return None, [error("718", identity="give an NPI, a licence or a Certifying Board ID")]
    for described, person in found.items():
        if person is None:
            return None, [error("718", identity=f"{described} is not in the directory")]
    people = {p.pk: p for p in found.values() if p is not None}
    fitting = [
        p
        for p in people.values()
        if p.has_name(identity.first_key, identity.last_key) and p.has_birthday(identity.birth)
    ]
    if len(fitting) > 1:
        return None, [error("737", count=len(fitting))]
    if len(fitting) == 1 and len(people) == 1:
        return fitting[0].pk, []
    if len(people) > 1:
        return None, [error("718", identity="the ids given belong to different physicians")]
    described = next(iter(found))
    return None, [error("718", identity=f"the name or date of birth does not match {described}")]


# -- Learner Match service ---------------------------------------------------------------------


@dataclass(frozen=True)
class MatchCriteria:
    """What a Learner Match request says about a learner (the form and the web service alike)."""

    first_name: str
    last_name: str
    birth_month: int | None = None
    birth_day: int | None = None
    npi: str = ""
    licensing_state: str = ""
    license_id: str = ""
    board_ids: tuple[tuple[str, str], ...] = ()  # (board acronym, board id)
    medical_school: str = ""
    me_number: str = ""  # the AMA Medical Education number (legacy ACCMELearnerRecords v1)


@dataclass(frozen=True)
class MatchProblem:
    """Why the values given can match no one, and the criterion it is about ("" for all)."""

    message: str
    field: str = ""  # a MatchCriteria field: first_name, birth_month, npi, license_id, board …


@dataclass
class MatchAnswer:
    """How many directory learners fit (1 = safe to submit), and in words why none can."""

    count: int
    problems: list[MatchProblem] = field(default_factory=list)
    well_formed: bool = True  # both names and at least one more fact: a question to answer

    @property
    def reasons(self) -> list[str]:
        return [problem.message for problem in self.problems]


NEEDS_A_FACT = (
    "Besides the first and last name, give at least one of: the date of birth (month and day), "
    "the NPI, the licensing state and ID, a certifying board and ID, the medical school or the "
    "ME number."
)


def learner_match(criteria: MatchCriteria) -> MatchAnswer:
    """The one Learner Match: the screen, the web service and the count use it.

    It never fails on a well-formed request: a value that can't match anyone (NPI 1234567890,
    February 31, an unknown board) counts 0 and says why.
    """
    c = _cleaned(criteria)
    facts = (c.birth_month, c.birth_day, c.npi, c.licensing_state, c.license_id,
             any(b or i for b, i in c.board_ids), c.medical_school, c.me_number)  # fmt: skip
    missing = [(label, field) for label, field, value in (
        ("first name", "first_name", c.first_name), ("last name", "last_name", c.last_name))
        if not name_key(value)]  # fmt: skip
    if missing or not any(v not in (None, "", False) for v in facts):
        problems = [MatchProblem(f"Give the {label}.", field) for label, field in missing]
        if not any(facts):
            problems.append(MatchProblem(NEEDS_A_FACT))
        return MatchAnswer(0, problems, well_formed=False)
    from learners.engine.load import load_boards  # load imports this module

    boards = {key: board.pk for key, board in load_boards().items()}
    problems = _match_problems(c, boards)
    if problems:
        return MatchAnswer(0, problems)
    count = _match_query(c, boards).count()
    none = [MatchProblem("No physician in the directory has all of these.")]
    return MatchAnswer(count, [] if count else none)


def _cleaned(c: MatchCriteria) -> MatchCriteria:
    return MatchCriteria(
        first_name=c.first_name.strip(), last_name=c.last_name.strip(),
        birth_month=c.birth_month, birth_day=c.birth_day, npi=c.npi.strip(),
        licensing_state=c.licensing_state.strip(), license_id=c.license_id.strip(),
        board_ids=tuple((b.strip(), i.strip()) for b, i in c.board_ids),
        medical_school=c.medical_school.strip(), me_number=c.me_number.strip(),
    )  # fmt: skip


_TEXT_CRITERIA = (
    ("first_name", "First Name"), ("last_name", "Last Name"), ("npi", "NPI"),
    ("licensing_state", "Licensing State"), ("license_id", "Licensing ID"),
    ("medical_school", "Medical School"), ("me_number", "ME Number"),
)  # fmt: skip


def _control_characters(c: MatchCriteria) -> list[MatchProblem]:
    """A value holding a control character matches nobody, as a record holding one is refused
    (998, rules.judge_characters): a count of 1 would send the LMS on to that refusal."""
    values = [(field, label, getattr(c, field)) for field, label in _TEXT_CRITERIA]
    values += [("board", "Certifying Board ID", f"{b}{i}") for b, i in c.board_ids]
    problems = []
    for field_name, label, value in values:
        found = control_character(value)
        if found is not None:
            text = f"The {label} holds a control character ({found}), which no value may hold."
            problems.append(MatchProblem(text, field_name))
    return problems


def _match_problems(c: MatchCriteria, boards: Mapping[str, int]) -> list[MatchProblem]:
    """Why the values can't match anyone, each with the criterion it is about; none when they may."""
    problems = _control_characters(c)
    if problems:  # said once: its other checks would only echo the same value
        return problems
    if (c.birth_month is None) != (c.birth_day is None):
        missing = "birth_day" if c.birth_day is None else "birth_month"
        problems.append(MatchProblem("The birth month and the birth day go together.", missing))
    elif c.birth_month is not None and parse_birth(f"{c.birth_month}/{c.birth_day}") is None:
        text = f"Month {c.birth_month}, day {c.birth_day} is not a date of birth."
        problems.append(MatchProblem(text, "birth_day"))
    if c.npi and not is_valid_npi(c.npi):
        text = f"NPI '{c.npi}' is not a valid NPI (10 digits with a check digit)."
        problems.append(MatchProblem(text, "npi"))
    if bool(c.licensing_state) != bool(c.license_id):
        missing = "license_id" if c.licensing_state else "licensing_state"
        problems.append(
            MatchProblem("The licensing state and the licensing ID go together.", missing)
        )
    elif c.licensing_state and state_code(c.licensing_state) is None:
        text = f"Licensing state '{c.licensing_state}' is not a US state."
        problems.append(MatchProblem(text, "licensing_state"))
    for board, board_id in c.board_ids:
        if bool(board) != bool(board_id):
            missing = "board_id" if board else "board"
            problems.append(
                MatchProblem("The certifying board and the board ID go together.", missing)
            )
        elif board and board.casefold() not in boards:
            problems.append(MatchProblem(f"Certifying board '{board}' is unknown.", "board"))
    return problems


def _match_query(c: MatchCriteria, boards: Mapping[str, int]) -> models.QuerySet[Learner]:
    learners = Learner.objects.filter(
        first_name_key=name_key(c.first_name), last_name_key=name_key(c.last_name)
    )
    if c.birth_month is not None and c.birth_day is not None:
        learners = learners.filter(birth_month=c.birth_month, birth_day=c.birth_day)
    if c.npi:
        learners = learners.filter(npi=c.npi)
    if c.me_number:
        learners = learners.filter(me_number=c.me_number)
    if c.license_id:
        learners = learners.filter(
            licenses__state=state_code(c.licensing_state),
            licenses__license_id__iexact=c.license_id,
        )
    for board, board_id in c.board_ids:
        if board_id:
            held = LearnerBoardId.objects.filter(
                board_id=boards[board.casefold()], diplomate_id=board_id
            )
            learners = learners.filter(pk__in=held.values("learner_id"))
    if c.medical_school:
        learners = learners.filter(medical_school__iexact=c.medical_school)
    return learners.distinct()
