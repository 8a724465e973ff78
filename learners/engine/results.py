"""What the engine says about a row: its errors and, when it passes, the record it becomes.

Kept apart from services.py so the code registry, the readers and the reports can import these
shapes without pulling in the ORM (services.py re-exports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from learners.engine.rows import LearnerRow


@dataclass(frozen=True, slots=True)
class RowError:
    """One PARS code and a message that names the field and the value."""

    code: str
    message: str


@dataclass(slots=True)
class RowResult:
    """The judgement of one row: accepted when it collected no errors."""

    row: LearnerRow
    errors: list[RowError] = field(default_factory=list)
    credit_id: str = ""
    learner_id: int | None = None
    action: str = ""  # "add" or "delete" once the Record Action was understood
    record_id: int | None = None  # for an accepted delete: the stored record it removes
    # For an accepted delete of a record an earlier row of the batch adds: its key.
    delete_key: tuple[str, str] | None = None
    # For an accepted add: the CompletionRecord fields to store (None when already stored).
    values: dict[str, object] | None = field(default=None, repr=False, compare=False)
    claims: tuple[str, ...] = ()  # the Credit IDs the sender gave, held once each when stored

    @property
    def accepted(self) -> bool:
        return not self.errors

    @property
    def codes(self) -> list[str]:
        return [error.code for error in self.errors]
