"""ACCMELearnerReports v3 XML: the guide's sample, REMS participants, structure checks, attacks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from learners.engine.rows import LearnerRow
from learners.formats import (
    FileFormatError,
    parse_activity_reports,
    parse_learner_reports_xml,
    read_learner_file,
)
from learners.formats.base import UnreadableXml, parse_untrusted_xml
from learners.formats.xml_writer import learner_reports_xml

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = (FIXTURES / "guide_sample.xml").read_bytes()
OPEN = SAMPLE[: SAMPLE.index(b"<ar:ActivityReport>")]
REPORT = SAMPLE[SAMPLE.index(b"<ar:ActivityReport>") : SAMPLE.index(b"</ar:ActivityReports>")]
CLOSE = SAMPLE[SAMPLE.index(b"</ar:ActivityReports>") :]


def document(*reports: bytes) -> bytes:
    return OPEN + b"".join(reports) + CLOSE


def test_it_reads_the_guide_sample() -> None:
    (row,) = parse_learner_reports_xml(SAMPLE)

    assert row.row_number == 1
    assert (row.record_action, row.activity_id, row.completion_date) == (
        "add",
        "210015516",
        "07/06/2021",
    )
    assert (row.first_name, row.last_name, row.birth_date) == ("Jane", "ACCME", "10/30")
    # UniqueID domain="ME" is a state (Maine) licence; domain="ABIM" the diplomate id.
    assert (row.licensing_state, row.license_id) == ("ME", "MD999902")
    assert (row.board, row.board_id) == ("ABIM", "999902")
    assert row.cme_credits == "2"
    assert (row.credit_type, row.credit_type_points) == ("Medical Knowledge", "1.58")
    assert (row.additional_credit_type, row.additional_credit_type_points) == (
        "Patient Safety",
        "1.5",
    )
    assert row.board_points == "3.08"
    assert row.credit_id == "ccid:aaatestorganization.org:v31234"
    assert row.extra_credit_types == ()


def test_it_reads_a_delete_and_several_reports_in_order() -> None:
    second = REPORT.replace(b">add<", b">delete<").replace(b"v3123", b"v4123")
    second = second.replace(
        b'<m:UniqueID domain="ME"> MD999902</m:UniqueID>',
        b'<m:UniqueID domain="NPI">1999999026</m:UniqueID>',
    )

    rows = parse_learner_reports_xml(document(REPORT, second, REPORT))

    assert [r.row_number for r in rows] == [1, 2, 3]
    assert [r.record_action for r in rows] == ["add", "delete", "add"]
    assert rows[1].credit_id == "ccid:aaatestorganization.org:v41234"
    assert (rows[1].npi, rows[1].license_id, rows[1].licensing_state) == ("1999999026", "", "")


def test_it_keeps_more_board_credit_types_than_the_file_columns_hold() -> None:
    extra = b"""<ar:CreditCertificate><ar:CreditReceived>
        <hx:activityCertification>ABIM Practice Assessment</hx:activityCertification>
        <hx:numberOfCredits>0.75</hx:numberOfCredits></ar:CreditReceived>
        <ar:CreditID>ccid:x:3</ar:CreditID></ar:CreditCertificate></ar:Module>"""
    (row,) = parse_learner_reports_xml(document(REPORT.replace(b"</ar:Module>", extra)))

    assert row.extra_credit_types == (("Practice Assessment", "0.75"),)
    assert row.board_points == "3.83"


def test_it_takes_the_board_from_the_certificates_when_no_board_id_is_given() -> None:
    report = REPORT.replace(b'<m:UniqueID domain="ABIM">999902</m:UniqueID>', b"")
    (row,) = parse_learner_reports_xml(document(report))

    assert (row.board, row.board_id, row.credit_type) == ("ABIM", "", "Medical Knowledge")


def test_it_keeps_unrecognised_dates_and_numbers_as_given() -> None:
    report = REPORT.replace(b"2021-07-06", b"July 6th").replace(b"1904-10-30", b"30.10.1904")
    report = report.replace(b">1.58<", b">lots<")
    (row,) = parse_learner_reports_xml(document(report))

    assert row.completion_date == "July 6th"
    assert row.birth_date == "30.10.1904"
    assert row.board_points == "lots"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1904-10-30", "10/30"), ("--10-30", "10/30"), ("10-30", "10/30"), ("3/7", "03/07")],
)
def test_it_turns_birth_dates_into_month_and_day(given: str, expected: str) -> None:
    (row,) = parse_learner_reports_xml(document(REPORT.replace(b"1904-10-30", given.encode())))

    assert row.birth_date == expected


def test_it_reads_rems_participants_one_row_each() -> None:
    data = (FIXTURES / "rems_participants.xml").read_bytes()
    rows = read_learner_file(data, file_type="xml", program="rems")

    assert [r.row_number for r in rows] == [1, 2]
    first, second = rows
    assert (first.activity_id, first.completion_date, first.record_action) == (
        "210015525",
        "10/15/2026",
        "add",
    )
    assert (first.learner_local_id, first.profession, first.practice_area) == (
        "H046431",
        "Physician",
        "General Surgery",
    )
    assert (first.practice_state, first.dea_registration, first.time_in_practice) == (
        "Michigan",
        "Individual",
        "0-5 years post training",
    )
    assert (first.performs_surgery, second.performs_surgery) == ("Y", "N")


def test_it_refuses_a_program_that_does_not_fit_the_document() -> None:
    with pytest.raises(FileFormatError, match="holds Opioid Analgesic REMS participants"):
        read_learner_file((FIXTURES / "rems_participants.xml").read_bytes(), file_type="xml")
    with pytest.raises(FileFormatError, match="holds no REMS participants"):
        read_learner_file(SAMPLE, file_type="xml", program="rems")


def test_it_reports_no_structure_problems_for_the_sample() -> None:
    (report,) = parse_activity_reports(SAMPLE)

    assert report.problems == ()
    assert report.number == 1 and report.line is not None
    assert report.rows[0].credit_id == "ccid:aaatestorganization.org:v31234"


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        (
            b"<ar:Activity>",
            b"<ar:Activity><ar:ActivityName>x</ar:ActivityName></ar:Activity><ar:Activity>",
            "738",
        ),
        (
            b"</ar:Module>",
            b"</ar:Module><ar:Module><ar:ModuleName>x</ar:ModuleName></ar:Module>",
            "739",
        ),
        (b"</ar:Member>", b"</ar:Member><ar:Member/>", "740"),
        (b"</m:Name>", b"</m:Name><m:Name/>", "741"),
        (b"<m:BirthDate>1904-10-30</m:BirthDate>", b"", "742"),
        (
            b'<m:UniqueID domain="ABIM">999902</m:UniqueID>',
            b'<m:UniqueID domain="ME">1</m:UniqueID>',
            "743",
        ),
        (b"<ar:XtensibleInfo>", b"<ar:XtensibleInfo/><ar:XtensibleInfo>", "744"),
    ],
)
def test_it_names_each_node_that_is_not_there_exactly_once(
    old: bytes, new: bytes, code: str
) -> None:
    (report,) = parse_activity_reports(document(REPORT.replace(old, new)))

    assert report.problems == (code,)


def test_it_wants_exactly_one_participants_node_in_a_rems_report() -> None:
    data = (FIXTURES / "rems_participants.xml").read_bytes()
    assert parse_activity_reports(data, program="rems")[0].problems == ()

    doubled = data.replace(b"</ar:Participants>", b"</ar:Participants><ar:Participants/>")
    assert parse_activity_reports(doubled, program="rems")[0].problems == ("745",)
    assert parse_activity_reports(SAMPLE, program="rems")[0].problems == ("745",)


def test_it_reads_a_bare_medbiquitous_activity_reports_root() -> None:
    data = b"""<ActivityReports xmlns="http://ns.medbiq.org/activityreport/v2/"><ActivityReport>
        <Participants><Participant><LocalIdentifier>L1</LocalIdentifier></Participant></Participants>
        <Activity><ActivityName>210015525</ActivityName></Activity></ActivityReport></ActivityReports>"""

    (row,) = parse_learner_reports_xml(data)

    assert (row.learner_local_id, row.activity_id) == ("L1", "210015525")


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("xxe.xml", "DOCTYPE or ENTITY declaration"),
        ("billion_laughs.xml", "DOCTYPE or ENTITY declaration"),
        ("external_dtd.xml", "DOCTYPE or ENTITY declaration"),
        (
            "wrong_namespace.xml",
            "namespace 'http://docs.accme.org/schemas/ACCMELearnerReports/v2/'",
        ),
    ],
)
def test_it_refuses_dangerous_or_foreign_documents(fixture: str, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        parse_learner_reports_xml((FIXTURES / fixture).read_bytes())


@pytest.mark.parametrize("codec", ["utf-16-be", "utf-16-le"])
@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
def test_it_reads_utf16_without_its_byte_order_mark(codec: str, declared: bool) -> None:
    text = SAMPLE.decode("utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    if not declared:
        text = text[text.index("?>") + 2 :].lstrip()
    data = text.encode(codec)
    assert data[:2] in (b"\0<", b"<\0")  # no byte-order mark

    assert parse_learner_reports_xml(data) == parse_learner_reports_xml(SAMPLE)


def test_it_refuses_a_doctype_hidden_in_utf16() -> None:
    data = (FIXTURES / "xxe.xml").read_bytes().replace(b'encoding="utf-8"', b'encoding="utf-16"')
    with pytest.raises(FileFormatError, match="DOCTYPE or ENTITY declaration"):
        parse_learner_reports_xml(data.decode().encode("utf-16"))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            b"<a>\n<b>12</c></a>",
            "Opening and ending tag mismatch: b line 2 and c (line 2, column 10)",
        ),
        (b"<a><b>12", "Premature end of data in tag b line 1 (line 1, column 9)"),
    ],
)
def test_it_says_once_where_xml_stops_being_well_formed(data: bytes, problem: str) -> None:
    with pytest.raises(UnreadableXml) as refused:
        parse_untrusted_xml(data)
    assert refused.value.problem == f"is not well-formed XML: {problem}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not well-formed XML"),
        (b"Add\t210015516\t07/06/2025", "not well-formed XML"),
        (b"<accme:ACCMELearnerReports", "not well-formed XML"),
        (b"<learners><learner/></learners>", "root element is <learners> in no namespace"),
        (OPEN + CLOSE, "contains no learner records"),
        (
            b'<a:ACCMELearnerReports xmlns:a="http://docs.accme.org/schemas/ACCMELearnerReports/v3/"/>',
            "exactly one ar:ActivityReports element",
        ),
    ],
)
def test_it_refuses_files_that_are_not_learner_xml(data: bytes, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        read_learner_file(data, file_type="xml")


def test_it_refuses_more_reports_than_the_limit(settings) -> None:
    settings.UPLOAD_MAX_RECORDS = 3
    with pytest.raises(FileFormatError, match="more than 3 learner records"):
        parse_learner_reports_xml(document(*[REPORT] * 4))


def test_it_refuses_a_document_above_the_byte_limit(settings) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    with pytest.raises(FileFormatError, match="the limit is 1,000 bytes"):
        parse_learner_reports_xml(SAMPLE)


def test_it_reads_back_what_the_writer_wrote() -> None:
    rows = [
        LearnerRow(
            row_number=1, record_action="Add", activity_id="210015516", completion_date="07/06/2025",
            first_name="Zoë", last_name="O'Keeffe", birth_date="03/14", license_id="1999999026",
            cme_credits="2", board="ABIM", board_id="999902", board_points="2.5",
            credit_type="Medical Knowledge", credit_type_points="1.5",
            additional_credit_type="Patient Safety", additional_credit_type_points="1",
            credit_id="ccid:x:1",
        ),
        LearnerRow(
            row_number=2, record_action="Delete", activity_id="210015527", completion_date="08/01/2026",
            first_name="José", last_name="Muñoz", birth_date="11/02", licensing_state="TX",
            license_id="TX100002", cme_credits="1.25", credit_id="ccid:x:2",
        ),
    ]  # fmt: skip
    data = learner_reports_xml(
        rows, reporting_organization="AAA", provider_id="0001234", created=date(2026, 11, 22)
    )

    back = parse_learner_reports_xml(data)

    assert back[0].npi == "1999999026" and back[0].license_id == ""
    assert back[0].values()[:7] == ["add", *rows[0].values()[1:7]]
    assert back[0].values()[8:] == rows[0].values()[8:]
    assert back[1].values() == ["delete", *rows[1].values()[1:]]
    assert [r.credit_id for r in back] == ["ccid:x:1", "ccid:x:2"]
