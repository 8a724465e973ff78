"""The engine's edges through SaveLearnerActivity and the status look-ups."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from learners.models import CompletionRecord, Learner, RecordCreditId, RecordStatus
from portal.models import Provider
from tests.factories import LearnerFactory
from tests.webservices.test_learner_status import by_credit_id, lines
from tests.webservices.test_save_learner_activity import (
    REMS_PARTICIPANTS,
    codes,
    messages,
    rems_report,
    report,
    save,
    status_code,
)

pytestmark = pytest.mark.django_db

IDS = [f"ccid:aaatestorganization.org:v3123{n}" for n in (4, 5, 6)]


def test_it_answers_a_completion_in_9999_with_750_not_a_server_error(
    sandbox: Provider, ws: Client
) -> None:
    response = save(ws, report(date=("2025-07-06", "9999-12-31")))

    assert response.status_code == 200
    assert codes(response) == ["750"]


def test_it_answers_650_and_stores_nothing_without_a_credit_id(
    sandbox: Provider, ws: Client
) -> None:
    data = re.sub(r"<ar:CreditID>[^<]*</ar:CreditID>", "", report())

    first, second = save(ws, data), save(ws, data)

    assert set(codes(first)) == {"650"} and set(codes(second)) == {"650"}
    assert not CompletionRecord.objects.exists()


@pytest.mark.parametrize("credit_id", IDS)
def test_it_finds_the_record_by_each_certificates_credit_id(
    sandbox: Provider, ws: Client, credit_id: str
) -> None:
    assert status_code(save(ws, report())) == "Accepted"

    found = lines(by_credit_id(ws, credit_id))

    assert [status for _, _, status in found] == ["Pending"]
    assert RecordCreditId.objects.filter(credit_id__in=IDS).count() == 3


@pytest.mark.parametrize("credit_id", IDS[1:])
def test_it_deletes_the_record_by_a_later_certificates_credit_id(
    sandbox: Provider, ws: Client, credit_id: str
) -> None:
    save(ws, report())
    data = report(action=("<ex:learnerRecordAction>add", "<ex:learnerRecordAction>delete"))
    only_that_id = re.sub(r"<ar:CreditID>[^<]*</ar:CreditID>", "", data)
    only_that_id = only_that_id.replace(
        "</ar:CreditCertificate>",
        f"<ar:CreditID>{credit_id}</ar:CreditID></ar:CreditCertificate>",
        1,
    )
    only_that_id = re.sub(
        r"(</ar:CreditCertificate>)\s*<ar:CreditCertificate>.*</ar:CreditCertificate>",
        r"\1",
        only_that_id,
        flags=re.S,
    )

    response = save(ws, only_that_id)

    assert status_code(response) == "Accepted", messages(response)
    assert CompletionRecord.objects.get().status == RecordStatus.DELETED


def test_it_refuses_a_later_certificates_credit_id_used_again_with_603(
    sandbox: Provider, ws: Client
) -> None:
    save(ws, report())
    other = report(date=("2025-07-06", "2025-07-07")).replace(IDS[0], "ccid:new:1")

    response = save(ws, other)

    assert "603" in codes(response)
    assert CompletionRecord.objects.count() == 1


def _rems(participants: str) -> str:
    certificate = "<ar:CreditCertificate><ar:CreditID>rems-9</ar:CreditID></ar:CreditCertificate>"
    return rems_report(participants).replace("<ar:Status>", certificate + "<ar:Status>")


def test_it_stores_each_participant_of_a_rems_report_under_its_credit_id(
    sandbox: Provider, ws: Client
) -> None:
    participants = "".join(
        REMS_PARTICIPANTS.replace("L-1", f"L-{n}")
        .replace("<ar:Participants>\n", "")
        .replace("</ar:Participants>\n", "")
        for n in (1, 2, 3)
    )
    response = save(ws, _rems(f"<ar:Participants>\n{participants}</ar:Participants>\n"))

    assert status_code(response) == "Accepted", messages(response)
    stored = CompletionRecord.objects.filter(credit_id="rems-9")
    assert sorted(stored.values_list("rems_learner_local_id", flat=True)) == ["L-1", "L-2", "L-3"]
    assert len(lines(by_credit_id(ws, "rems-9"))) == 3


def test_it_judges_a_rems_report_without_local_id_and_profession_by_the_rems_rules(
    sandbox: Provider, ws: Client
) -> None:
    bare = re.sub(r"<ar:(LocalIdentifier|Profession)>[^<]*</ar:\1>\n", "", REMS_PARTICIPANTS)

    found = codes(save(ws, _rems(bare)))

    assert set(found) == {"714"}
    assert not {"622", "623", "624"} & set(found)


def test_it_answers_the_same_718_as_a_file_for_an_npi_with_a_bad_check_digit(
    sandbox: Provider, ws: Client
) -> None:
    data = report(uid=('<m:UniqueID domain="ABIM">999902', '<m:UniqueID domain="NPI">1234567890'))

    response = save(ws, data)

    assert "718" in codes(response)
    assert any("'1234567890' is not a valid NPI" in m for m in messages(response))


def test_it_matches_a_name_spelt_without_its_nordic_letters(sandbox: Provider, ws: Client) -> None:
    LearnerFactory(first_name="Søren", last_name="Øvergaard", birth_month=10, birth_day=30,
                   board_ids={"ABIM": "777001"})  # fmt: skip
    data = report(
        uid=('<m:UniqueID domain="ABIM">999902', '<m:UniqueID domain="ABIM">777001'),
        given=("<n:GivenName>Jane", "<n:GivenName>Soren"),
        family=("<n:FamilyName>ACCME", "<n:FamilyName>Overgaard"),
    )

    response = save(ws, data)

    assert status_code(response) == "Accepted", messages(response)
    assert CompletionRecord.objects.get().learner == Learner.objects.get(
        board_ids__diplomate_id="777001"
    )
