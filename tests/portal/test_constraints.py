"""The domain's invariants are database facts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from activities.models import Activity
from learners.models import CompletionRecord, LearnerBoardId
from portal.models import Provider, WebServiceAccount
from tests.factories import (
    ActivityFactory,
    CompletionRecordFactory,
    LearnerFactory,
    ProviderFactory,
    WebServiceAccountFactory,
)

pytestmark = pytest.mark.django_db


def test_it_assigns_a_nine_digit_activity_id() -> None:
    first, second = ActivityFactory(), ActivityFactory()

    assert len(first.activity_id) == 9 and first.activity_id.isdigit()
    assert int(second.activity_id) > int(first.activity_id)
    assert first.reporting_year == first.start_date.year


def test_it_refuses_an_activity_id_that_is_not_nine_digits() -> None:
    activity = ActivityFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(activity_id="12345")


def test_it_refuses_a_provider_id_that_is_not_seven_digits() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Provider.objects.create(accme_id="12345", name="Short", primary_contact_email="a@b.test")


@pytest.mark.parametrize("again", ["GR-1", "gr-1"])
def test_it_refuses_a_duplicate_provider_activity_id_within_a_provider(again: str) -> None:
    activity = ActivityFactory(provider_activity_id="GR-1")

    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityFactory(provider=activity.provider, provider_activity_id=again)


def test_it_allows_the_same_provider_activity_id_at_another_provider() -> None:
    ActivityFactory(provider_activity_id="GR-1")

    assert ActivityFactory(provider_activity_id="GR-1").pk


def test_it_refuses_an_activity_ending_before_it_starts() -> None:
    activity = ActivityFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(
            end_date=activity.start_date - timedelta(days=1)
        )


def test_it_refuses_a_credit_claim_date_before_the_end_date() -> None:
    activity = ActivityFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(
            credit_claim_date=activity.end_date - timedelta(days=1)
        )


def test_it_refuses_a_duplicate_credit_id_within_a_provider() -> None:
    record = CompletionRecordFactory(credit_id="ccid:1")

    with pytest.raises(IntegrityError), transaction.atomic():
        CompletionRecordFactory(activity=record.activity, credit_id="ccid:1")


def test_it_allows_the_same_credit_id_at_another_provider() -> None:
    CompletionRecordFactory(credit_id="ccid:1")
    CompletionRecordFactory(credit_id="ccid:1")

    assert CompletionRecord.objects.filter(credit_id="ccid:1").count() == 2


# The foreign keys are checked when a transaction commits; these tests ask for it at once.
postgresql_keys = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the (activity, provider) key is PostgreSQL's"
)


def _checked_now() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@postgresql_keys
def test_it_refuses_a_record_under_one_provider_on_another_providers_activity() -> None:
    record = CompletionRecordFactory()
    elsewhere = ProviderFactory()
    _checked_now()

    with pytest.raises(IntegrityError), transaction.atomic():
        CompletionRecordFactory(activity=record.activity, provider=elsewhere)
    with pytest.raises(IntegrityError), transaction.atomic():
        CompletionRecord.objects.filter(pk=record.pk).update(provider=elsewhere)


@postgresql_keys
def test_it_refuses_a_record_on_an_activity_that_does_not_exist() -> None:
    record = CompletionRecordFactory()
    _checked_now()

    with pytest.raises(IntegrityError), transaction.atomic():
        CompletionRecord.objects.filter(pk=record.pk).update(activity_id=record.activity_id + 999)


@postgresql_keys
def test_it_keeps_an_activity_that_holds_records_and_its_provider() -> None:
    record = CompletionRecordFactory()
    _checked_now()

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM learners_activity WHERE id = %s", [record.activity_id])
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=record.activity_id).update(provider=ProviderFactory())
    assert CompletionRecord.objects.filter(pk=record.pk, provider=record.activity.provider).exists()


def test_it_refuses_a_board_id_held_by_two_physicians() -> None:
    LearnerFactory(board_ids={"ABIM": "123456"})

    with pytest.raises(IntegrityError), transaction.atomic():
        LearnerFactory(board_ids={"ABIM": "123456"})
    assert LearnerBoardId.objects.filter(diplomate_id="123456").count() == 1


def test_it_stores_web_service_passwords_hashed() -> None:
    account = WebServiceAccountFactory(password="s3cret-value")

    assert "s3cret-value" not in account.password
    assert account.check_password("s3cret-value")
    assert not account.check_password("wrong")


def test_it_keeps_normalised_name_keys_for_matching() -> None:
    learner = LearnerFactory(first_name="Zoë", last_name="O'Keeffe-Muñoz")

    assert learner.first_name_key == "zoe"
    assert learner.last_name_key == "okeeffemunoz"


def test_it_keeps_providers_apart() -> None:
    a, b = ProviderFactory(), ProviderFactory()
    ActivityFactory(provider=a)

    assert Activity.objects.for_provider(b).count() == 0
    assert Activity.objects.for_provider(a).count() == 1


def test_it_holds_a_web_service_user_name_once_in_any_case() -> None:
    provider = ProviderFactory()
    WebServiceAccount.objects.create(provider=provider, username="lms@amc.test", password="x")

    with pytest.raises(IntegrityError), transaction.atomic():
        WebServiceAccount.objects.create(provider=provider, username="LMS@amc.test", password="y")
