"""The one normalised learner row every entrance produces and the engine judges.

A `.txt`, `.xlsx` or XML file row, a web-service ActivityReport and a hand-entered form all become
a `LearnerRow`: cleaned string values keyed by the learner-file columns of SPEC §2.1 (or the REMS
columns), plus where the row came from. Values stay strings here; the rules parse and judge them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# (field name, header as in ACCME's learner template), in file order.
BOARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("record_action", "Record Action"),
    ("activity_id", "ACCME Activity ID"),
    ("completion_date", "Completion Date"),
    ("first_name", "First Name"),
    ("last_name", "Last Name"),
    ("birth_date", "Date of Birth"),
    ("licensing_state", "Licensing State"),
    ("license_id", "Licensing ID or NPI"),
    ("cme_credits", "Number of CME Credits"),
    ("board", "Certifying Board"),
    ("board_id", "Certifying Board ID"),
    ("board_points", "Total Board Credits"),
    ("credit_type", "Credit Type"),
    ("credit_type_points", "Credits Awarded for Credit Type"),
    ("additional_credit_type", "Additional Credit Type"),
    ("additional_credit_type_points", "Credits Awarded for Additional Credit Type"),
)

REMS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("record_action", "Record Action"),
    ("activity_id", "ACCME Activity ID"),
    ("completion_date", "Completion Date"),
    ("learner_local_id", "Learner Local ID"),
    ("profession", "Profession"),
    ("practice_area", "Practice Area"),
    ("dea_registration", "DEA Registration"),
    ("practice_state", "State of Primary Practice"),
    ("time_in_practice", "Time in Practice"),
    ("performs_surgery", "Performs Surgical Procedures"),
)

# The two columns our rejected-rows report adds; readers ignore them so the report uploads again.
REPORT_COLUMNS: tuple[str, str] = ("Error Codes", "Error Messages")


@dataclass(frozen=True, slots=True)
class Certificate:
    """One XML `ar:CreditCertificate`: its activityCertification, numberOfCredits and CreditID."""

    certification: str
    points: str
    credit_id: str


# Not frozen: a frozen dataclass sets each of these 28 fields through object.__setattr__, a third
# of a file's reading time. Nothing hashes rows or changes them after reading (copies are made
# with dataclasses.replace): treat them as read-only all the same.
@dataclass(slots=True)
class LearnerRow:
    """One learner completion as submitted, before judgement."""

    row_number: int  # 1-based line (or ActivityReport position in XML) in its source
    record_action: str = ""
    activity_id: str = ""
    completion_date: str = ""  # as given; readers turn Excel date cells into MM/DD/YYYY
    first_name: str = ""
    last_name: str = ""
    birth_date: str = ""  # MM/DD (or M/D); the XML reader turns YYYY-MM-DD into MM/DD
    licensing_state: str = ""
    license_id: str = ""  # a state licence id or a 10-digit NPI
    cme_credits: str = ""
    board: str = ""
    board_id: str = ""
    board_points: str = ""
    credit_type: str = ""
    credit_type_points: str = ""
    additional_credit_type: str = ""
    additional_credit_type_points: str = ""
    # REMS (de-identified)
    learner_local_id: str = ""
    profession: str = ""
    practice_area: str = ""
    dea_registration: str = ""
    practice_state: str = ""
    time_in_practice: str = ""
    performs_surgery: str = ""
    # Given by XML and web services; assigned by the engine for file rows.
    credit_id: str = ""
    npi: str = ""  # XML UniqueID domain="NPI"
    me_number: str = ""  # legacy ACCMELearnerRecords v1 MedicalEducationNumber (AMA ME number)
    # XML may carry more board credit types than the two file columns hold: (type, points).
    extra_credit_types: tuple[tuple[str, str], ...] = field(default=())
    # Raw cell values as read, for the rejected-rows report of a text/Excel row.
    raw: tuple[str, ...] = field(default=(), compare=False)
    # XML only (None for a table row or a form): every CreditCertificate as sent, the Member's
    # UniqueIDs as (domain, value), and the elements the report left out (e.g. CompletedDateTime).
    certificates: tuple[Certificate, ...] | None = None
    member_ids: tuple[tuple[str, str], ...] = ()
    missing_elements: tuple[str, ...] = ()
    # Elements the report gives more than once where a row reads one value (two GivenNames).
    repeated_elements: tuple[str, ...] = ()
    # The ActivityReport a row came from (XML, 1-based); 0: the row is a record of its own.
    # A REMS report's participants share its number, and so its Credit ID.
    report: int = 0

    @property
    def from_xml(self) -> bool:
        return self.certificates is not None

    @property
    def credit_ids(self) -> tuple[str, ...]:
        """Every Credit ID the sender gave (one per certificate in XML), first one first."""
        if self.certificates is None:
            given = self.credit_id.strip()
            return (given,) if given else ()
        ids = (c.credit_id.strip() for c in self.certificates)
        return tuple(dict.fromkeys(i for i in ids if i))

    def values(self, columns: tuple[tuple[str, str], ...] = BOARD_COLUMNS) -> list[str]:
        return [getattr(self, name) for name, _ in columns]
