"""The legacy ACCMELearnerRecords v1 reader: records and match requests into the engine's terms."""

from __future__ import annotations

import pytest
from lxml import etree

from learners.engine.npi import make_npi
from learners.formats.base import FileFormatError
from learners.formats.legacy import (
    LEGACY_NS,
    LegacyCredit,
    LegacyRecord,
    birth_month_day,
    is_ama_credit,
    legacy_activity_id,
    legacy_row,
    medical_education_number_ids,
    read_legacy_match_request,
    read_legacy_records,
)

NOTES_RECORD = f"""<ar:ACCMELearnerRecords xmlns:ar="{LEGACY_NS}"> <ar:LearnerRecord>
<ar:FirstName>James</ar:FirstName> <ar:LastName>Holloway</ar:LastName>
<ar:DateOfBirth>1975-03-22</ar:DateOfBirth>
<ar:MedicalEducationNumber>1234567890</ar:MedicalEducationNumber>
<ar:ProviderID>0008273</ar:ProviderID> <ar:ProviderActivityID>AMC-HIPAA-2025-V4</ar:ProviderActivityID>
<ar:AccmeActivityID>12345678</ar:AccmeActivityID> <ar:DateTimeCreated>2026-05-06</ar:DateTimeCreated>
<ar:CompletedDateTime>2026-05-06</ar:CompletedDateTime>
<ar:Credits> <ar:Credit> <ar:CreditType>AMA PRA Category 1 Credit</ar:CreditType>
<ar:CreditAmount>1.0</ar:CreditAmount> </ar:Credit> </ar:Credits>
</ar:LearnerRecord> </ar:ACCMELearnerRecords>"""


def records(xml: str) -> list[LegacyRecord]:
    return read_legacy_records(etree.fromstring(xml.encode()))


def test_it_reads_the_notes_record() -> None:
    (record,) = records(NOTES_RECORD)
    assert (record.first_name, record.last_name, record.date_of_birth) == (
        "James",
        "Holloway",
        "1975-03-22",
    )
    assert (record.provider_activity_id, record.accme_activity_id) == (
        "AMC-HIPAA-2025-V4",
        "12345678",
    )
    assert (record.provider_id, record.completed, record.credit_id) == ("0008273", "2026-05-06", "")
    assert [(c.credit_type, c.amount) for c in record.credits] == [
        ("AMA PRA Category 1 Credit", "1.0")
    ]


def test_it_turns_a_record_into_the_engines_row() -> None:
    (record,) = records(NOTES_RECORD)
    row = legacy_row(record, activity_id="200000001")
    assert (row.record_action, row.activity_id, row.completion_date) == (
        "add",
        "200000001",
        "05/06/2026",
    )
    assert (row.first_name, row.last_name, row.birth_date) == ("James", "Holloway", "03/22")
    assert (row.cme_credits, row.board, row.npi, row.me_number) == ("1.0", "", "", "1234567890")


def test_it_reads_board_credits_as_moc() -> None:
    record = LegacyRecord(
        first_name="Jane",
        credits=(
            LegacyCredit("AMA PRA Category 1", "2"),
            LegacyCredit("ABIM Medical Knowledge", "1.5"),
            LegacyCredit("ABIM Patient Safety", "0.5"),
        ),
    )
    row = legacy_row(record, activity_id="210015516")
    assert (row.cme_credits, row.board, row.board_points) == ("2", "ABIM", "2")
    assert (row.credit_type, row.credit_type_points) == ("Medical Knowledge", "1.5")
    assert (row.additional_credit_type, row.additional_credit_type_points) == (
        "Patient Safety",
        "0.5",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234567890", ("", "1234567890")),  # fails the NPI check digit: an ME number
        (make_npi("197503220"), (make_npi("197503220"), "")),  # a valid NPI stays an NPI
        ("02501010101", ("", "02501010101")),  # an 11-digit ME number
        (" 1234567890 ", ("", "1234567890")),
        ("", ("", "")),
    ],
)
def test_it_reads_the_medical_education_number_as_npi_or_me_number(
    value: str, expected: tuple[str, str]
) -> None:
    assert medical_education_number_ids(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1975-03-22", (3, 22)),
        ("1975-03-22T00:00:00", (3, 22)),
        ("1975-02-31", (2, 31)),  # a birthday nobody has: matching finds no one
        ("03/22/1975", None),
        ("1975-13-01", None),
        ("", None),
    ],
)
def test_it_reads_the_month_and_day_of_birth(value: str, expected: object) -> None:
    assert birth_month_day(value) == expected


@pytest.mark.parametrize(
    "text",
    [
        "AMA PRA Category 1 Credit",
        "AMA PRA Category 1",
        "ama pra category 1 credits",
        "AMA PRA Category 1 Credit(s)™",
    ],
)
def test_it_knows_the_ama_credit_type_by_any_of_its_names(text: str) -> None:
    assert is_ama_credit(text)


def test_it_does_not_take_a_board_credit_for_ama() -> None:
    assert not is_ama_credit("ABIM Medical Knowledge")


IDS = {"AMC-HIPAA-2025-V4": "200000007"}


@pytest.mark.parametrize(
    ("provider_activity_id", "accme_activity_id", "expected"),
    [
        ("AMC-HIPAA-2025-V4", "12345678", "200000007"),  # a placeholder names no activity
        ("AMC-HIPAA-2025-V4", "200000007", "200000007"),  # both agree
        ("AMC-HIPAA-2025-V4", "", "200000007"),
        ("", "200000099", "200000099"),  # the engine judges it (690 when unknown)
        ("", "", ""),  # the engine says 630
    ],
)
def test_it_finds_the_activity_by_the_providers_own_id(
    provider_activity_id: str, accme_activity_id: str, expected: str
) -> None:
    record = LegacyRecord(
        provider_activity_id=provider_activity_id, accme_activity_id=accme_activity_id
    )
    assert legacy_activity_id(record, by_provider_activity_id=IDS) == (expected, [])


def test_it_rejects_two_ids_that_name_different_activities() -> None:
    record = LegacyRecord(provider_activity_id="AMC-HIPAA-2025-V4", accme_activity_id="200000099")
    activity_id, errors = legacy_activity_id(record, by_provider_activity_id=IDS)
    assert activity_id == ""
    assert [e.code for e in errors] == ["690"]
    assert (
        "name different activities: 'AMC-HIPAA-2025-V4' is ACCME Activity ID 200000007"
        in errors[0].message
    )


def test_it_rejects_an_unknown_provider_activity_id() -> None:
    record = LegacyRecord(provider_activity_id="NOPE", accme_activity_id="200000007")
    _, errors = legacy_activity_id(record, by_provider_activity_id={})
    assert [e.code for e in errors] == ["690"]
    assert "ProviderActivityID 'NOPE' names no activity of this provider" in errors[0].message


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            NOTES_RECORD.replace("ar:FirstName>", "ar:GivenName>"),
            "<ar:GivenName> is not an element of ar:LearnerRecord",
        ),
        (
            NOTES_RECORD.replace("<ar:LastName>", "<ar:FirstName>x</ar:FirstName><ar:LastName>"),
            "ar:FirstName appears more than once",
        ),
        (f'<ar:ACCMELearnerRecords xmlns:ar="{LEGACY_NS}"/>', "holds no ar:LearnerRecord"),
        (
            f'<ar:ACCMELearnerRecords xmlns:ar="{LEGACY_NS}"><ar:Other/></ar:ACCMELearnerRecords>',
            "may hold only ar:LearnerRecord",
        ),
        (
            NOTES_RECORD.replace("<ar:Credit>", "<ar:Bonus/><ar:Credit>"),
            "ar:Credits may hold only ar:Credit",
        ),
    ],
)
def test_it_names_what_is_wrong_with_a_record(xml: str, expected: str) -> None:
    with pytest.raises(FileFormatError, match=expected):
        records(xml)


def test_it_reads_the_notes_match_request() -> None:
    xml = (
        f'<ar:LearnerMatchRequest xmlns:ar="{LEGACY_NS}"> <ar:FirstName>James</ar:FirstName> '
        "<ar:LastName>Holloway</ar:LastName> <ar:DateOfBirth>1975-03-22</ar:DateOfBirth> "
        "<ar:MedicalEducationNumber>1234567890</ar:MedicalEducationNumber> </ar:LearnerMatchRequest>"
    )
    request = read_legacy_match_request(etree.fromstring(xml.encode()))
    assert (request.first_name, request.last_name) == ("James", "Holloway")
    assert (request.date_of_birth, request.medical_education_number) == ("1975-03-22", "1234567890")


def test_it_refuses_a_match_request_of_another_schema() -> None:
    with pytest.raises(FileFormatError, match="Expected ar:LearnerMatchRequest"):
        read_legacy_match_request(etree.fromstring(b"<LearnerMatchRequest/>"))
