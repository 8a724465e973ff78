"""The synthetic sandbox: fictitious physicians, two providers, their activities and accounts.

Everything is derived from fixed seeds, so seeding twice yields the same directory and ids.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from activities.models import Activity, MocRegistration, PracticeArea
from learners.engine.names import name_key
from learners.engine.npi import make_npi
from learners.engine.states import STATES
from learners.models import (
    ActivityFormat,
    Board,
    CreditType,
    Learner,
    LearnerBoardId,
    LearnerLicense,
)
from learners.reference_data import BOARDS
from portal.models import Membership, Provider, WebServiceAccount

DIRECTORY_SIZE = 459  # 9 boards x 51 licensing jurisdictions, plus the named physicians below
DEMO_PASSWORD = "pars-demo"
DEMO_WS_PASSWORD = "pars-ws-demo"
ADMIN_LOGIN = ("admin@pars.local", "pars-admin")

FIRST_NAMES = [
    "Jane", "Georgia", "Jackson", "Vincent", "Claude", "Maria", "José", "Zoë", "Aisha", "Wei",
    "Priya", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Chloé", "Sean", "Fatima", "Hiroshi",
    "Ingrid", "Kwame", "Lucía", "Mohammed", "Nadia", "Oscar", "Pilar", "Quentin", "Rosa", "Søren",
]  # fmt: skip
LAST_NAMES = [
    "ACCME", "O'Keeffe", "Pollock", "Van Gogh", "Monet", "Muñoz", "Smith-Jones", "Nguyen", "Patel",
    "García", "Kowalski", "Okafor", "Lindqvist", "D'Angelo", "Fitzgerald", "Yamamoto", "Haddad",
    "Brontë", "MacLeod", "St. James", "Øvergaard", "Ruiz", "Chen", "Abara", "Novak", "Ferreira",
    "Ibáñez", "Kaur", "Le Blanc", "Zimmermann", "Adeyemi", "Castellanos", "Duarte", "Eriksen",
]  # fmt: skip
SCHOOLS = [
    "Lakeshore University School of Medicine",
    "Prairie State College of Medicine",
    "Coastal Medical College",
    "Mountain View School of Medicine",
]


@dataclass(frozen=True)
class PhysicianSpec:
    first_name: str
    last_name: str
    birth_month: int
    birth_day: int
    birth_year: int | None
    npi: str
    medical_school: str
    licenses: tuple[tuple[str, str], ...]
    boards: tuple[tuple[str, str], ...] = field(default=())
    me_number: str = ""


def physician_specs() -> list[PhysicianSpec]:
    """The fixed synthetic directory; every 20th physician shares a name and birthday with another."""
    rng = random.Random(20261122)
    states = sorted(STATES)
    boards = list(BOARDS)
    specs = [
        PhysicianSpec(
            "Jane", "ACCME", 10, 30, 1904, make_npi("199999902"), SCHOOLS[0],
            (("IL", "036999902"), ("ME", "MD999902")), (("ABIM", "999902"),),
        )
    ]  # fmt: skip
    for i in range(1, DIRECTORY_SIZE):
        state = states[i % len(states)]
        board = boards[i % len(boards)]
        if i % 20 == 0:
            twin = specs[i - 7]
            first, last, month, day = (
                twin.first_name,
                twin.last_name,
                twin.birth_month,
                twin.birth_day,
            )
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            month, day = rng.randint(1, 12), rng.randint(1, 28)
        licenses = [(state, f"{state}{100000 + i}")]
        if i % 11 == 0:
            other = states[(i * 7) % len(states)]
            if other != state:
                licenses.append((other, f"{other}{500000 + i}"))
        board_ids = [(board, f"{(i * 37) % 1000:03d}{100 + i}")]
        if i % 13 == 0:
            second = boards[(i + 4) % len(boards)]
            board_ids.append((second, f"9{i:05d}"))
        specs.append(
            PhysicianSpec(
                first_name=first,
                last_name=last,
                birth_month=month,
                birth_day=day,
                birth_year=1950 + rng.randint(0, 45) if i % 3 == 0 else None,
                npi=make_npi(f"1{i:08d}"),
                medical_school=rng.choice(SCHOOLS),
                licenses=tuple(licenses),
                boards=tuple(board_ids),
            )
        )
    specs.append(INTEGRATION_NOTES_PHYSICIAN)
    return specs


# The physician of the integration notes (reference/integrator-notes.txt), fictitious like every
# other: their MedicalEducationNumber 1234567890 is his ME number (it is no valid NPI).
INTEGRATION_NOTES_PHYSICIAN = PhysicianSpec(
    first_name="James",
    last_name="Holloway",
    birth_month=3,
    birth_day=22,
    birth_year=1975,
    npi=make_npi("197503220"),
    medical_school=SCHOOLS[1],
    licenses=(("MA", "MA197503"),),
    boards=(("ABIM", "975322"),),
    me_number="1234567890",
)


def seed_directory() -> int:
    """Create the physicians that are missing (keyed by NPI); return how many were added."""
    specs = physician_specs()
    existing = set(
        Learner.objects.filter(npi__in=[s.npi for s in specs]).values_list("npi", flat=True)
    )
    missing = [s for s in specs if s.npi not in existing]
    Learner.objects.bulk_create(
        [
            Learner(
                first_name=s.first_name,
                last_name=s.last_name,
                first_name_key=name_key(s.first_name),
                last_name_key=name_key(s.last_name),
                birth_month=s.birth_month,
                birth_day=s.birth_day,
                birth_year=s.birth_year,
                npi=s.npi,
                me_number=s.me_number or None,
                medical_school=s.medical_school,
            )
            for s in missing
        ]
    )
    by_npi = dict(Learner.objects.filter(npi__in=[s.npi for s in missing]).values_list("npi", "id"))
    boards = {b.code: b.id for b in Board.objects.all()}
    LearnerLicense.objects.bulk_create(
        [
            LearnerLicense(learner_id=by_npi[s.npi], state=state, license_id=license_id)
            for s in missing
            for state, license_id in s.licenses
        ],
        ignore_conflicts=True,
    )
    LearnerBoardId.objects.bulk_create(
        [
            LearnerBoardId(learner_id=by_npi[s.npi], board_id=boards[code], diplomate_id=ident)
            for s in missing
            for code, ident in s.boards
        ],
        ignore_conflicts=True,
    )
    return len(missing)


@dataclass(frozen=True)
class ProviderSpec:
    accme_id: str
    name: str
    rems: bool
    staff_email: str
    ws_user: str = ""  # none: its staff create the web-service account in the portal


PROVIDERS = [
    ProviderSpec("0001234", "AAA Test Organization", True, "demo@aaa-test.org", "ws@aaa-test.org"),
    ProviderSpec(
        "0005678", "Western Regional Medical Center", False, "demo@wrmc.org", "ws@wrmc.org"
    ),
    # The integration notes' provider: its staff walk through the README's integration.
    ProviderSpec("0008273", "Academic Medical Center", False, "demo@amc-test.org"),
]


def seed_provider(spec: ProviderSpec) -> Provider:
    provider, _ = Provider.objects.update_or_create(
        accme_id=spec.accme_id,
        defaults={
            "name": spec.name,
            "primary_contact_email": spec.staff_email,
            "participates_in_rems": spec.rems,
        },
    )
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=spec.staff_email,
        defaults={"email": spec.staff_email, "first_name": "Demo", "last_name": "User"},
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save()
    Membership.objects.update_or_create(
        user=user, defaults={"provider": provider, "role": Membership.Role.MANAGER}
    )
    if spec.ws_user:
        account, created = WebServiceAccount.objects.get_or_create(
            username=spec.ws_user, defaults={"provider": provider}
        )
        if created or not account.check_password(DEMO_WS_PASSWORD):
            account.set_password(DEMO_WS_PASSWORD)
            account.save()
    return provider


def seed_admin() -> None:
    user_model = get_user_model()
    email, password = ADMIN_LOGIN
    user, created = user_model.objects.get_or_create(
        username=email, defaults={"email": email, "is_staff": True, "is_superuser": True}
    )
    if created:
        user.set_password(password)
        user.save()


@dataclass(frozen=True)
class ActivitySpec:
    activity_id: str
    provider_activity_id: str
    title: str
    format_code: str
    start: date
    end: date
    ama_credits: str
    status: str = Activity.Status.ACTIVE
    boards: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    rems: bool = False
    repeat_participation: bool = True


def activity_specs(today: date) -> dict[str, list[ActivitySpec]]:
    """Activities relative to today, so the reporting windows are open (or closed) whenever seeded."""
    recent = today - timedelta(days=150)
    recent_end = today + timedelta(days=200)
    last_year = today.year - 1
    ly_start, ly_end = date(last_year, 3, 1), date(last_year, 11, 30)
    # Completions of year Y are accepted until 31 March of Y+2: pick a year that is surely closed.
    closed_year = today.year - 2 if today >= date(today.year, 4, 1) else today.year - 3
    all_types: tuple[str, ...] = ()
    s = ActivitySpec
    return {
        "0001234": [
            s("210015516", "IMU-2", "Internal Medicine Update 2", "C", ly_start, ly_end, "10",
              boards=(("ABIM", "10", ("Medical Knowledge", "Patient Safety")),)),
            s("210015517", "ANES-PS", "Anesthesia Patient Safety Review", "IEM", recent, recent_end, "4",
              boards=(("ABA", "4", all_types),)),
            s("210015518", "OHNS-GR", "Head and Neck Surgery Grand Rounds", "RSS", recent, recent_end, "12",
              boards=(("ABOHNS", "12", ("Lifelong Learning", "Self-Assessment")),)),
            s("210015519", "ORTHO-TR", "Orthopaedic Trauma Course", "C", ly_start, ly_end, "16",
              boards=(("ABOS", "16", ("Lifelong Learning", "Self-Assessment")),)),
            s("210015520", "PEDS-QI", "Pediatric Quality Improvement Project", "PI", recent, recent_end, "20",
              boards=(("ABP", "25", ("Quality Improvement",)),), repeat_participation=False),
            s("210015521", "PATH-JC", "Pathology Journal Club", "JN", recent, recent_end, "1",
              boards=(("ABPath", "1", all_types),)),
            s("210015522", "PMR-WEB", "Rehabilitation Medicine Webinar", "IL", recent, recent_end, "2",
              boards=(("ABPMR", "2", all_types),)),
            s("210015523", "SURG-EM", "Surgical Skills Update", "EM", ly_start, ly_end, "8",
              boards=(("ABS", "8", ("Lifelong Learning", "Self-Assessment")),)),
            s("210015524", "THOR-MR", "Thoracic Surgery Manuscript Review", "MR", recent, recent_end, "3",
              boards=(("ABTS", "3", all_types),)),
            s("210015525", "REMS-OA", "Opioid Analgesic REMS: Safe Prescribing", "IEM", recent, recent_end,
              "3", rems=True),
            s("210015526", "MULTI-PS", "Multispecialty Patient Safety Conference", "C", recent, recent_end,
              "6.5", boards=(("ABIM", "6.5", ("Patient Safety",)), ("ABA", "6.5", ("Patient Safety",)),
                             ("ABS", "6", ("Patient Safety",)))),
            s("210015527", "PC-ESS", "Primary Care Essentials", "C", recent, recent_end, "5"),
            # A symposium being planned: its credits and providership aren't settled (749).
            s("210015528", "CARD-DRAFT", "Cardiology Symposium", "C", recent, recent_end, "",
              status=Activity.Status.DRAFT),
            s("210015529", "GR-CLOSED", "Hospital Medicine Grand Rounds", "RSS", ly_start, ly_end, "12",
              status=Activity.Status.CLOSED, boards=(("ABIM", "12", ("Medical Knowledge",)),)),
            s("210015530", f"DM-{closed_year}", f"Diabetes Update {closed_year}", "C",
              date(closed_year, 2, 1), date(closed_year, 6, 30), "6",
              boards=(("ABIM", "6", ("Medical Knowledge",)),)),
        ],
        "0005678": [
            s("210025501", "WRMC-GR", "WRMC Grand Rounds", "RSS", recent, recent_end, "24",
              boards=(("ABIM", "24", ("Medical Knowledge", "Practice Assessment")),)),
            s("210025502", "WRMC-IEM999", "Internet Enduring Material 999 MOC", "IEM", recent,
              recent_end, "0.25", boards=(("ABIM", "0.25", ("Medical Knowledge",)),)),
            s("210025503", "WRMC-CME", "WRMC Clinical Skills", "C", recent, recent_end, "3"),
        ],
    }  # fmt: skip


def seed_activity(provider: Provider, spec: ActivitySpec, today: date) -> Activity:
    activity, created = Activity.objects.get_or_create(
        provider=provider,
        provider_activity_id=spec.provider_activity_id,
        defaults={
            "activity_id": spec.activity_id,
            "title": spec.title,
            "format": ActivityFormat.objects.get(code=spec.format_code),
            "start_date": spec.start,
            "end_date": spec.end,
            "credit_claim_date": spec.end + timedelta(days=90),
            "ama_credits": Decimal(spec.ama_credits) if spec.ama_credits else None,
            "status": _seeded_status(spec, today),
            "rems_registered": spec.rems,
            "repeat_participation": spec.repeat_participation,
            **_activity_details(spec),
        },
    )
    if not created:
        return activity
    for board_code, points, type_names in spec.boards:
        board = Board.objects.get(code=board_code)
        registration = MocRegistration.objects.create(
            activity=activity,
            board=board,
            points=Decimal(points),
            # Boards that ask for a practice area (ABPath, ABS) get their first one.
            practice_area=PracticeArea.objects.filter(board=board).order_by("name").first(),
        )
        types = CreditType.objects.filter(board=board)
        if type_names:
            types = types.filter(name__in=type_names)
        registration.credit_types.set(types)
    return activity


def _seeded_status(spec: ActivitySpec, today: date) -> str:
    if spec.status == Activity.Status.ACTIVE and spec.end < today:
        return Activity.Status.READY_TO_CLOSE
    return spec.status


def _activity_details(spec: ActivitySpec) -> dict[str, object]:
    """What an Active activity carries besides its dates (SPEC §4b), and a closed one's counts."""
    if spec.status == Activity.Status.DRAFT:
        return {}
    details: dict[str, object] = {
        "description": f"{spec.title}: case-based updates for practising physicians.",
        "providership": "direct",
        "commercial_support": False,
    }
    if spec.format_code in ("C", "RSS"):
        details.update(city="Chicago", state="IL", country="USA")
    if spec.status == Activity.Status.CLOSED:
        details.update(physician_count=42, other_learner_count=7)
    return details


@dataclass
class SeedSummary:
    learners_added: int
    providers: int
    activities: int


@transaction.atomic
def seed_sandbox(*, today: date) -> SeedSummary:
    """Seed (or top up) the sandbox; safe to run any number of times."""
    added = seed_directory()
    seed_admin()
    providers = {spec.accme_id: seed_provider(spec) for spec in PROVIDERS}
    count = 0
    for accme_id, specs in activity_specs(today).items():
        for spec in specs:
            seed_activity(providers[accme_id], spec, today)
            count += 1
    return SeedSummary(learners_added=added, providers=len(providers), activities=count)
