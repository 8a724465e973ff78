"""The rows of a production-size database, generated on the fly (nothing is held in memory).

Every value is a pure function of the row's number, so the loader streams each table to COPY
and the same scale always gives the same database. The shapes follow what the real models and
the engine need: a record's learner holds the board id it reports, its Credit ID is held in
`RecordCreditId`, and no learner completes an activity twice on one date (709).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from learners.engine.names import name_key
from learners.engine.npi import make_npi
from learners.engine.states import STATES

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "José", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Anne-Marie", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "O'Brien",
    "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
)  # fmt: skip
TOPICS = (
    "Cardiology", "Sepsis", "Diabetes", "Opioid Prescribing", "Pediatric Asthma", "Stroke",
    "Oncology", "Patient Safety", "Anesthesia", "Imaging", "Infectious Disease", "Nephrology",
)  # fmt: skip
STATE_CODES = tuple(sorted(STATES))
REPORTING_YEARS = (2024, 2025, 2026)
DAYS_PER_ACTIVITY = 28  # a learner's completions of one activity fall on one of these days
BOARD_COUNT = 9  # a learner holds the id of one board: learner index % 9
BIG_PROVIDER_ACTIVITIES = 200
BIG_PROVIDER_RECORDS = 60_000
UPLOADS_PER_PROVIDER = 10
BIG_PROVIDER_UPLOADS = 400
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind; the first provider is the big one."""

    scale: float
    providers: int
    activities: int
    learners: int
    records: int
    big_activities: int
    big_records: int
    uploads_per_provider: int
    big_uploads: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        def n(full: int, least: int) -> int:
            return max(least, round(full * scale))

        providers = n(2_000, 2)
        activities = n(40_000, 2 * providers)
        big_activities = min(n(BIG_PROVIDER_ACTIVITIES, 1), activities - (providers - 1))
        return cls(
            scale=scale,
            providers=providers,
            activities=activities,
            learners=n(500_000, 2_000),
            records=n(5_000_000, 2 * activities),
            big_activities=big_activities,
            big_records=n(BIG_PROVIDER_RECORDS, big_activities),
            uploads_per_provider=n(UPLOADS_PER_PROVIDER, 1),
            big_uploads=n(BIG_PROVIDER_UPLOADS, 2),
        )


@dataclass(frozen=True)
class Reference:
    """Primary keys of the reference data the migrations loaded."""

    boards: tuple[int, ...]  # BOARD_COUNT boards, by code
    credit_types: dict[int, tuple[int, str]]  # board pk → its first credit type (pk, name)
    formats: tuple[int, ...]


def accme_id(provider: int) -> str:
    return f"{1_000_000 + provider:07d}"


def activity_code(activity: int) -> str:
    return f"{300_000_000 + activity:09d}"


def provider_of(activity: int, sizes: Sizes) -> int:
    """The big provider (0) owns the first activities; the rest go round the others."""
    if activity < sizes.big_activities:
        return 0
    return 1 + (activity - sizes.big_activities) % (sizes.providers - 1)


def has_moc(activity: int) -> bool:
    return activity % 10 != 9


def board_index(activity: int) -> int:
    return activity % BOARD_COUNT


def start_date(activity: int) -> date:
    # Newest first, so even the smallest scale gives the big provider an activity still open.
    year = REPORTING_YEARS[-1 - activity % len(REPORTING_YEARS)]
    return date(year, 1, 1) + timedelta(days=(activity * 13) % 240)


def diplomate_id(learner: int) -> str:
    return f"{100_000 + learner}"


def npi(learner: int) -> str:
    return make_npi(f"1{learner:08d}")


def license_id(learner: int) -> str:
    return f"ML{learner:07d}"


def providers(sizes: Sizes, now: datetime) -> Iterator[tuple[object, ...]]:
    """portal_provider: id, accme_id, name, primary_contact_email, participates_in_rems, created_at"""
    for p in range(sizes.providers):
        name = f"{TOPICS[p % len(TOPICS)]} Education Institute {p}"
        yield p + 1, accme_id(p), name, f"cme{p}@bench.example", p % 10 == 0, now


def users(sizes: Sizes, now: datetime) -> Iterator[tuple[object, ...]]:
    """auth_user, one staff member per provider: id, password, username, email, …"""
    for p in range(sizes.providers):
        email = f"staff{p}@bench.example"
        yield p + 1, "!", False, email, "Staff", str(p), email, False, True, now


def memberships(sizes: Sizes, now: datetime) -> Iterator[tuple[object, ...]]:
    for p in range(sizes.providers):
        yield p + 1, p + 1, p + 1, "manager", now


def activities(sizes: Sizes, ref: Reference, now: datetime) -> Iterator[tuple[object, ...]]:
    for a in range(sizes.activities):
        start = start_date(a)
        end = start + timedelta(days=60)
        title = f"{TOPICS[a % len(TOPICS)]}: grand rounds {a}"
        yield (
            a + 1, provider_of(a, sizes) + 1, activity_code(a), f"PA-{a}", title,
            ref.formats[a % len(ref.formats)], start, end, end + timedelta(days=30),
            Decimal("2.00"), start.year, "active", "", "", "", "", "USA", "direct", "", False,
            None, None, False, True, now, now,
        )  # fmt: skip


def moc_registrations(sizes: Sizes, ref: Reference) -> Iterator[tuple[object, ...]]:
    for a in range(sizes.activities):
        if has_moc(a):
            yield a + 1, a + 1, ref.boards[board_index(a)], Decimal("10.00"), None


def moc_credit_types(sizes: Sizes, ref: Reference) -> Iterator[tuple[object, ...]]:
    for a in range(sizes.activities):
        if has_moc(a):
            yield a + 1, a + 1, ref.credit_types[ref.boards[board_index(a)]][0]


def learner_name(i: int) -> tuple[str, str]:
    first = FIRST_NAMES[i % len(FIRST_NAMES)]
    return first, f"{LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]}{_suffix(i)}"


def learner_birthday(i: int) -> tuple[int, int]:
    return 1 + i % 12, 1 + (i // 12) % 28


def learners(sizes: Sizes, now: datetime) -> Iterator[tuple[object, ...]]:
    for i in range(sizes.learners):
        first, last = learner_name(i)
        month, day = learner_birthday(i)
        yield (
            i + 1, first, last, name_key(first), name_key(last), month, day, 1950 + i % 45,
            npi(i), f"{10_000_000_000 + i}", "State University", True, now,
        )  # fmt: skip


def _suffix(i: int) -> str:
    """Names repeat over the directory like real ones, but not every name is shared."""
    block = i // (len(FIRST_NAMES) * len(LAST_NAMES))
    return "" if block == 0 else f"-{chr(65 + block % 26)}{block // 26 or ''}"


def licenses(sizes: Sizes) -> Iterator[tuple[object, ...]]:
    for i in range(sizes.learners):
        yield i + 1, i + 1, STATE_CODES[i % len(STATE_CODES)], license_id(i)


def board_ids(sizes: Sizes, ref: Reference) -> Iterator[tuple[object, ...]]:
    for i in range(sizes.learners):
        yield i + 1, i + 1, ref.boards[i % BOARD_COUNT], diplomate_id(i)


def uploads(sizes: Sizes, now: datetime) -> Iterator[tuple[object, ...]]:
    """Completed learner uploads of the last 30 days, for Upload History."""
    number = 0
    for p in range(sizes.providers):
        count = sizes.big_uploads if p == 0 else sizes.uploads_per_provider
        for u in range(count):
            number += 1
            created = now - timedelta(minutes=(u * 97) % (29 * 24 * 60) + 2)
            done = created + timedelta(minutes=1)
            yield (
                number, "", f"learners-{u}.txt", 250_000, f"{number:064x}", "txt", "board",
                "submit", "completed", 2500, 2500, 0, 2500, False, "", "", "", created, created,
                done, p + 1, p + 1, 1, "", "learners", "[]",
            )  # fmt: skip


UPLOAD_COLUMNS = (
    "id", "file", "original_name", "size", "sha256", "file_type", "program", "mode", "status",
    "total_records", "processed_records", "rejected_records", "progress_records",
    "duplicate_override", "report_file", "report_csv_file", "error_message", "created_at",
    "started_at", "finished_at", "provider_id", "user_id", "attempts", "task_id", "kind",
    "corrected_rows",
)  # fmt: skip
