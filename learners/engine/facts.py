"""The plain facts the rules judge against, loaded in bulk per chunk (see load.py).

Rules never query: they read these frozen shapes, so one row's judgement is a pure function of the
row and a `RuleContext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeAlias

from learners.engine.matching import DirectoryIndex, Identity
from learners.engine.results import RowError
from learners.engine.rows import LearnerRow

ADD = "add"
DELETE = "delete"

# Who a completion belongs to: a directory learner's pk, or ("rems", local id) for a
# de-identified REMS learner.
Who: TypeAlias = int | tuple[str, str]


@dataclass(frozen=True, slots=True)
class BoardFacts:
    pk: int
    code: str
    credit_types: Mapping[str, str]  # casefolded name → name as registered
    credit_type_ids: Mapping[str, int] = field(default_factory=dict)  # casefolded name → pk


@dataclass(frozen=True, slots=True)
class MocFacts:
    board_pk: int
    points: Decimal
    credit_types: frozenset[str]


@dataclass(frozen=True, slots=True)
class ActivityFacts:
    pk: int
    activity_id: str
    status: str
    start_date: date
    # A draft may lack these (what it lacks decides 749: rules.lacks_for_learners).
    end_date: date | None
    credit_claim_date: date | None
    ama_credits: Decimal | None
    rems_registered: bool
    repeat_participation: bool
    moc: Mapping[str, MocFacts]  # by board code
    providership: str = ""


@dataclass(slots=True)  # one per stored record fetched: not frozen, which is slower to build
class ExistingRecord:
    """A stored completion record, as far as duplicate and delete rules care."""

    pk: int
    credit_id: str
    activity_pk: int
    learner_id: int | None
    completion_date: date
    status: str
    board_pk: int | None
    diplomate_id: str
    npi: str
    licensing_state: str
    license_id: str
    rems_local_id: str
    upload_id: int | None
    source_row: int | None
    moc_points: Decimal | None

    @property
    def has_moc(self) -> bool:
        return self.board_pk is not None and self.moc_points is not None

    @property
    def live(self) -> bool:
        return self.status != "deleted"

    @property
    def who(self) -> Who | None:
        if self.learner_id is not None:
            return self.learner_id
        return ("rems", self.rems_local_id) if self.rems_local_id else None


@dataclass
class BatchMemory:
    """What earlier accepted rows of the same batch claimed (for 603, 709/717 and 751)."""

    credit_ids: dict[str, tuple[int, int]] = field(default_factory=dict)  # → (row, report)
    keys: dict[tuple[Who, int, date], tuple[int, bool]] = field(default_factory=dict)
    completions: dict[tuple[Who, int], date] = field(default_factory=dict)
    # MOC points accepted so far per learner, activity and board (for 710/711).
    points: dict[tuple[Who, int, int], Decimal] = field(default_factory=dict)
    # Adds accepted earlier in the batch, for a later Delete row of the same file: by each
    # Credit ID, and by activity and completion date.
    added_by_credit_id: dict[str, list[Judgement]] = field(default_factory=dict)
    added_by_completion: dict[tuple[int, date], list[Judgement]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)  # stored records a Delete row removed


@dataclass
class RuleContext:
    """Everything the rules may consult for one chunk; filled by the loader, read by the rules."""

    today: date
    program: str
    boards: Mapping[str, BoardFacts]  # by casefolded code
    activities: Mapping[str, ActivityFacts]  # this provider's, by ACCME Activity ID
    directory: DirectoryIndex = field(default_factory=DirectoryIndex)
    # Stored records by every Credit ID they hold (a REMS report's id is its participants').
    records_by_credit_id: Mapping[str, list[ExistingRecord]] = field(default_factory=dict)
    live_by_key: Mapping[tuple[Who, int, date], list[ExistingRecord]] = field(default_factory=dict)
    live_by_completion: Mapping[tuple[Who, int], list[ExistingRecord]] = field(default_factory=dict)
    records_by_activity_date: Mapping[tuple[int, date], list[ExistingRecord]] = field(
        default_factory=dict
    )
    batch: BatchMemory = field(default_factory=BatchMemory)
    # The upload this batch (re)processes: its own rows stored by an earlier run are no duplicates.
    upload_id: int | None = None


@dataclass(slots=True)
class Judgement:
    """One row while it is judged: what was parsed from it and the codes it collected."""

    row: LearnerRow
    credit_id: str  # the record's own key: the first Credit ID given, or one the engine made
    credit_id_generated: bool
    errors: list[RowError] = field(default_factory=list)
    credit_ids: tuple[str, ...] = ()  # every Credit ID the sender gave (XML: one a certificate)
    rems_rules: bool = False  # judged as an Opioid Analgesic REMS record
    # A value holds a control character: judged no further, and never looked up in the database.
    unreadable: bool = False
    moc: bool = False  # reports MOC credit (a board with points), not just a board id
    # (credit type, points, label naming the column or XML element) per credit type reported.
    credit_pairs: list[tuple[str, str, str]] = field(default_factory=list)
    action: str = ""
    activity: ActivityFacts | None = None
    completion: date | None = None
    birth: tuple[int, int] | None = None
    npi: str = ""
    state: str = ""
    license_id: str = ""
    board: BoardFacts | None = None
    board_id: str = ""
    cme: Decimal | None = None
    points: Decimal | None = None
    credits: list[tuple[str, Decimal]] = field(default_factory=list)
    rems: dict[str, object] | None = None
    identity: Identity | None = None
    learner_id: int | None = None
    delete_record: ExistingRecord | None = None
    delete_added: Judgement | None = None  # a record an earlier Add row of this batch makes
    replay: bool = False  # this very record was stored by an earlier run of the same batch

    @property
    def has_moc(self) -> bool:
        return self.moc

    @property
    def who(self) -> Who | None:
        if self.learner_id is not None:
            return self.learner_id
        local_id = self.rems.get("rems_learner_local_id") if self.rems else None
        return ("rems", str(local_id)) if local_id else None

    def codes(self) -> set[str]:
        return {e.code for e in self.errors}
