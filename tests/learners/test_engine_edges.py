"""The engine's edges: far dates, NPI check digits, folded names, XML certificates, MOC caps."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activities.models import MocRegistration
from learners.engine.codes import CODES
from learners.engine.rows import LearnerRow
from learners.engine.services import learner_rows_process, learner_rows_validate
from learners.engine.values import format_date, parse_date, reporting_deadline
from learners.formats.xml import parse_learner_reports_xml
from learners.models import CompletionRecord, CreditType, RecordSource
from portal.models import Provider
from tests.doors import activity_report, learner_reports_xml
from tests.factories import LearnerFactory
from tests.learners.test_rules import CME, MOC, REMS, TODAY, World, build_world, judge, make_row


@pytest.fixture
def world(provider: Provider, other_provider: Provider) -> World:
    return build_world(provider, other_provider)


def xml_rows(world: World, *reports: str) -> list[LearnerRow]:
    return parse_learner_reports_xml(learner_reports_xml(list(reports)).encode())


def report(world: World, base: dict[str, str], credit_id: str = "C1", **changes: str) -> str:
    row = make_row(world, base, **changes)
    return activity_report({n: getattr(row, n) for n in (*base, *changes)}, credit_id)


def errors(world: World, rows: list[LearnerRow]) -> list[list[tuple[str, str]]]:
    results = learner_rows_validate(provider=world.provider, rows=rows, today=TODAY)
    return [[(e.code, e.message) for e in r.errors] for r in results]


@pytest.mark.parametrize(
    ("date", "code"),
    [("12/31/9999", "750"), ("01/01/9998", "750"), ("9999-12-31", "750"), ("02/31/2026", "671"),
     ("02/29/2025", "671"), ("00/10/2026", "671"), ("12/31/0001", "705")],
)  # fmt: skip
def test_it_gives_every_date_a_code(world: World, date: str, code: str) -> None:
    codes = judge(world, [make_row(world, CME, completion_date=date)])[0]
    assert code in codes and codes <= {code, "672"}  # 0001 is before the activity too


@given(day=st.dates())
def test_it_reads_back_every_date_it_writes(day: date) -> None:
    """Messages, reports and the XML reader write dates; 0001-01-01 was written '01/01/1'."""
    assert parse_date(format_date(day)) == day
    assert len(format_date(day)) == 10


def test_it_writes_an_early_year_as_the_date_shows_it(world: World) -> None:
    (found,) = errors(world, [make_row(world, CME, completion_date="01/01/0001")])

    assert ("705", "Completion Date 01/01/0001 is outside the reporting window: completions of "
            "0001 were accepted until 03/31/0003.") in found  # fmt: skip


def test_it_never_overflows_the_reporting_deadline() -> None:
    assert reporting_deadline(date(9999, 12, 31)) == date.max
    assert reporting_deadline(date(2025, 6, 1)) == date(2027, 3, 31)


def test_it_answers_718_with_one_message_for_a_bad_npi_in_any_column(world: World) -> None:
    bad = "1234567890"
    as_licence = make_row(world, CME, licensing_state="", license_id=bad)
    as_xml_npi = make_row(world, CME, licensing_state="", license_id="", npi=bad)

    found = errors(world, [as_licence, as_xml_npi])

    assert found[0] == found[1]
    assert [code for code, _ in found[0]] == ["718"]
    assert "'1234567890' is not a valid NPI" in found[0][0][1]


@pytest.mark.parametrize(
    ("stored", "given"),
    [(("Søren", "Øvergaard"), ("Soren", "Overgaard")), (("Æsa", "Straße"), ("aesa", "STRASSE")),
     (("Łukasz", "Đorđević"), ("Lukasz", "Dordevic"))],
)  # fmt: skip
def test_it_matches_names_folded_to_ascii(
    world: World, stored: tuple[str, str], given: tuple[str, str]
) -> None:
    LearnerFactory(first_name=stored[0], last_name=stored[1], birth_month=1, birth_day=2,
                   license=("OH", "FOLD1"))  # fmt: skip
    row = make_row(world, CME, first_name=given[0], last_name=given[1], birth_date="01/02",
                   licensing_state="OH", license_id="FOLD1")  # fmt: skip
    assert judge(world, [row]) == [set()]


# -- XML certificates ----------------------------------------------------------------------------


def _moc_xml(world: World, **changes: str) -> str:
    return report(world, MOC, cme_credits="1", **changes)


def test_it_accepts_every_certificate_of_a_report(world: World) -> None:
    rows = xml_rows(world, _moc_xml(world))
    assert rows[0].credit_ids == ("C1-0", "C1-1")
    assert judge(world, rows) == [set()]


def test_it_answers_650_for_a_certificate_without_a_credit_id(world: World) -> None:
    data = re.sub(r"<ar:CreditID>C1-1</ar:CreditID>", "", _moc_xml(world))
    assert judge(world, xml_rows(world, data)) == [{"650"}]


def test_it_answers_650_for_a_report_whose_certificates_have_no_credit_id(world: World) -> None:
    data = re.sub(r"<ar:CreditID>[^<]*</ar:CreditID>", "", _moc_xml(world))
    results = learner_rows_process(
        provider=world.provider, rows=xml_rows(world, data), source=RecordSource.FILE,
        today=TODAY, credit_id_prefix="U1-R",
    )  # fmt: skip
    assert results.results[0].codes == ["650", "650"]
    assert not CompletionRecord.objects.exists()  # nothing stored under an invented id


def test_it_judges_no_further_a_file_report_giving_its_action_twice(world: World) -> None:
    data = _moc_xml(world).replace(
        "<ex:learnerRecordAction>add</ex:learnerRecordAction>",
        "<ex:learnerRecordAction>add</ex:learnerRecordAction>"
        "<ex:learnerRecordAction>delete</ex:learnerRecordAction>",
    )
    results = learner_rows_process(
        provider=world.provider, rows=xml_rows(world, data), source=RecordSource.FILE,
        today=TODAY, credit_id_prefix="U1-R",
    )  # fmt: skip
    assert results.results[0].codes == ["998"]
    assert "ar:XtensibleInfo/ex:learnerRecordAction more than once" in str(
        results.results[0].errors[0].message
    )
    assert not CompletionRecord.objects.exists()


def test_it_answers_677_for_a_report_without_certificates(world: World) -> None:
    data = re.sub(r"<ar:CreditCertificate>.*</ar:CreditCertificate>", "", _moc_xml(world))
    assert judge(world, xml_rows(world, data)) == [{"677"}]


def test_it_answers_678_for_a_second_ama_certificate(world: World) -> None:
    data = _moc_xml(world)
    first = re.search(r"<ar:CreditCertificate>.*?</ar:CreditCertificate>", data)
    assert first
    doubled = data.replace(first.group(0), first.group(0) + first.group(0).replace("C1-0", "C1-9"))
    found = errors(world, xml_rows(world, doubled))
    assert [code for code, _ in found[0]] == ["678"]
    assert "'AMA PRA Category 1' allowed once" in found[0][0][1]


def test_it_answers_676_for_an_unknown_activity_certification(world: World) -> None:
    data = _moc_xml(world).replace("ABIM Medical Knowledge", "ABIM Astrology")
    assert judge(world, xml_rows(world, data)) == [{"676"}]


def test_it_answers_712_for_an_unknown_learner_id_type(world: World) -> None:
    data = report(world, CME, licensing_state="", license_id="", board="XYZ", board_id="1")
    data = data.replace("<ar:CreditCertificate>", "<ar:CreditCertificate>", 1)
    assert judge(world, xml_rows(world, data)) == [{"712"}]


def test_it_answers_746_for_a_report_without_a_completion_date_element(world: World) -> None:
    data = re.sub(r"<ar:CompletedDateTime>.*?</ar:CompletedDateTime>", "", _moc_xml(world))
    assert judge(world, xml_rows(world, data)) == [{"746"}]


def test_it_judges_a_cme_only_report_with_a_board_unique_id_as_cme(world: World) -> None:
    data = report(world, CME, activity_id="cme", board="ABIM", board_id="1001")
    rows = xml_rows(world, data)
    results = learner_rows_validate(provider=world.provider, rows=rows, today=TODAY)
    assert results[0].codes == []
    assert results[0].values is not None and results[0].values["status"] == "accepted"


def test_it_names_the_element_of_points_not_in_quarter_steps(world: World) -> None:
    data = _moc_xml(world, board_points="3.08", credit_type_points="3.08")
    found = errors(world, xml_rows(world, data))
    assert [code for code, _ in found[0]] == ["675"]
    assert "numberOfCredits of 'ABIM Medical Knowledge'" in found[0][0][1]
    assert "Total Board Credits" not in found[0][0][1]


# -- Credit types and MOC caps ---------------------------------------------------------------


@pytest.mark.parametrize(("credit_type", "code"), [("Patient Safety", "680"),
                                                    ("Practice Assessment", "681")])  # fmt: skip
def test_it_names_credit_not_available_for_the_activity(
    world: World, credit_type: str, code: str
) -> None:
    registration = MocRegistration.objects.get(activity=world.activities["moc"])
    registration.credit_types.set(CreditType.objects.filter(board__code="ABIM",
                                                            name="Medical Knowledge"))  # fmt: skip
    assert judge(world, [make_row(world, MOC, credit_type=credit_type)]) == [{code}]


def test_it_caps_a_learners_moc_points_on_an_activity(world: World) -> None:
    # The activity offers 10 ABIM points; repeat completions add up.
    rows = [
        make_row(world, MOC, 1, completion_date="10/01/2026", board_points="6",
                 credit_type_points="6"),
        make_row(world, MOC, 2, completion_date="10/02/2026", board_points="6",
                 credit_type_points="6"),
        make_row(world, MOC, 3, completion_date="10/03/2026", board_points="4",
                 credit_type_points="4"),
        make_row(world, MOC, 4, completion_date="10/04/2026", board_points="1",
                 credit_type_points="1"),
    ]  # fmt: skip
    assert judge(world, rows) == [set(), {"711"}, set(), {"710"}]


def test_it_answers_709_not_717_when_the_second_row_reports_no_moc(world: World) -> None:
    cme_only = {"board": "", "board_id": "", "board_points": "", "credit_type": "",
                "credit_type_points": "", "licensing_state": "IL", "license_id": "IL123",
                "cme_credits": "1"}  # fmt: skip
    rows = [make_row(world, MOC, 1), make_row(world, MOC, 2, **cme_only)]
    assert judge(world, rows) == [set(), {"709"}]


def test_it_answers_607_for_a_delete_while_the_board_holds_the_record(world: World) -> None:
    stored = CompletionRecord.objects.create(
        provider=world.provider, activity=world.activities["moc"], learner=world.jane,
        credit_id="HELD-1", completion_date=TODAY.replace(month=10, day=1),
        board_id=world.activities["moc"].moc_registrations.get().board_id, diplomate_id="1001",
        moc_points=Decimal("2"), status="transmitted", source=RecordSource.WEB_SERVICE,
    )  # fmt: skip
    row = make_row(world, MOC, record_action="Delete", credit_id=stored.credit_id)
    assert judge(world, [row]) == [{"607"}]


def test_it_names_the_learner_local_id_in_a_rems_delete_606(world: World) -> None:
    row = make_row(world, REMS, record_action="Delete", learner_local_id="LMS-404")
    found = errors(world, [row])
    assert [code for code, _ in found[0]] == ["606"]
    assert "Learner Local ID 'LMS-404'" in found[0][0][1]
    assert "Certifying Board" not in found[0][0][1]


def test_it_judges_a_record_for_a_rems_activity_by_the_rems_rules(world: World) -> None:
    row = make_row(world, CME, activity_id="rems")
    codes = judge(world, [row])[0]
    assert codes and codes <= {"714"}
    assert not codes & {"622", "623", "624"}


def test_it_says_once_why_a_board_row_on_a_rems_activity_holds_no_rems_values(
    world: World,
) -> None:
    row = make_row(world, CME, activity_id="rems")

    (found,) = errors(world, [row])

    assert [code for code, _ in found] == ["714"]
    assert "is registered for Opioid Analgesic REMS" in found[0][1]
    assert "reported in the REMS program" in found[0][1]


def test_every_code_it_produces_is_in_the_registry() -> None:
    for code in ("650", "676", "677", "678", "680", "681", "607", "710", "711", "712", "746"):
        assert code in CODES
