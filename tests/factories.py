"""factory_boy factories for the domain, shared by every test package."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model

from activities.models import Activity, MocRegistration
from learners.engine.npi import make_npi
from learners.models import (
    ActivityFormat,
    Board,
    CompletionRecord,
    CreditType,
    Learner,
    LearnerBoardId,
    LearnerLicense,
    RecordSource,
    RecordStatus,
)
from portal.models import Membership, Provider, WebServiceAccount


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ["accme_id"]

    accme_id = factory.Sequence(lambda n: f"{9000000 + n:07d}")
    name = factory.Sequence(lambda n: f"Test Provider {n}")
    primary_contact_email = factory.Sequence(lambda n: f"contact{n}@provider.test")
    participates_in_rems = False


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}@provider.test")
    email = factory.SelfAttribute("username")
    first_name = "Test"
    last_name = "User"
    password = factory.django.Password("pars-test-password")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    provider = factory.SubFactory(ProviderFactory)
    role = Membership.Role.STAFF


class WebServiceAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebServiceAccount
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    username = factory.Sequence(lambda n: f"ws{n}@provider.test")

    @factory.post_generation
    def password(
        obj: WebServiceAccount, create: bool, extracted: str | None, **kwargs: Any
    ) -> None:
        obj.set_password(extracted or "pars-ws-test")
        if create:
            obj.save()


def activity_format(code: str = "C") -> ActivityFormat:
    return ActivityFormat.objects.get(code=code)


class ActivityFactory(factory.django.DjangoModelFactory):
    """An active CME activity that started 60 days ago; pass `boards=` to register it for MOC."""

    class Meta:
        model = Activity
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    provider_activity_id = factory.Sequence(lambda n: f"PA-{n}")
    title = factory.Sequence(lambda n: f"Test Activity {n}")
    format = factory.LazyFunction(activity_format)
    start_date = factory.LazyFunction(lambda: date.today() - timedelta(days=60))
    end_date = factory.LazyAttribute(lambda a: a.start_date + timedelta(days=120))
    credit_claim_date = factory.LazyAttribute(lambda a: a.end_date + timedelta(days=90))
    ama_credits = Decimal("10")
    status = Activity.Status.ACTIVE

    @factory.post_generation
    def boards(
        obj: Activity, create: bool, extracted: dict[str, str] | None, **kwargs: Any
    ) -> None:
        """boards={"ABIM": "10"} registers the activity with ABIM for 10 points, all credit types."""
        for code, points in (extracted or {}).items():
            board = Board.objects.get(code=code)
            registration = MocRegistration.objects.create(
                activity=obj, board=board, points=Decimal(points)
            )
            registration.credit_types.set(CreditType.objects.filter(board=board))


class LearnerFactory(factory.django.DjangoModelFactory):
    """A directory physician; pass `license=("IL", "123")` and `board_ids={"ABIM": "1001"}`."""

    class Meta:
        model = Learner
        skip_postgeneration_save = True

    first_name = factory.Sequence(lambda n: f"Given{n}")
    last_name = factory.Sequence(lambda n: f"Family{n}")
    birth_month = 5
    birth_day = 17
    npi = factory.Sequence(lambda n: make_npi(f"2{n:08d}"))

    @factory.post_generation
    def license(
        obj: Learner, create: bool, extracted: tuple[str, str] | None, **kwargs: Any
    ) -> None:
        if extracted:
            LearnerLicense.objects.create(learner=obj, state=extracted[0], license_id=extracted[1])

    @factory.post_generation
    def board_ids(
        obj: Learner, create: bool, extracted: dict[str, str] | None, **kwargs: Any
    ) -> None:
        for code, ident in (extracted or {}).items():
            LearnerBoardId.objects.create(
                learner=obj, board=Board.objects.get(code=code), diplomate_id=ident
            )


class CompletionRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompletionRecord

    activity = factory.SubFactory(ActivityFactory)
    provider = factory.SelfAttribute("activity.provider")
    learner = factory.SubFactory(LearnerFactory)
    credit_id = factory.Sequence(lambda n: f"ccid:test:{n}")
    completion_date = factory.LazyAttribute(lambda r: r.activity.start_date + timedelta(days=1))
    ama_credits = Decimal("1")
    status = RecordStatus.ACCEPTED
    source = RecordSource.MANUAL
