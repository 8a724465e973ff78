"""ACCMEActivities v3 in and out: the guide's sample, an integrator's shape, files, round trips."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from activities.inputs import MocInput
from activities.xml import parse_activity_xml, read_activities_xml
from activities.xml_writer import activities_xml
from learners.formats.base import FileFormatError, TooManyRecordsError
from tests.activities.makers import good_activity

FIXTURES = Path(__file__).resolve().parents[1] / "webservices" / "fixtures"
# The Data of reference/integrator-notes.txt: MEMS parts directly under MedicalEducationMetrics.
INTEGRATOR_DATA = """<accme:ACCMEActivities xmlns="http://ns.medbiq.org/metrics/v2/"
 xmlns:accme="http://docs.accme.org/schemas/ACCMEActivities/v3/"
 xmlns:ex="http://www.accme.org/ACCMEActivityExtension/v3" xmlns:lom="http://ltsc.ieee.org/xsd/LOM"
 xmlns:hx="http://ns.medbiq.org/lom/extend/v1/"> <MedicalEducationMetrics> <ReportDescription>
 <ReportingStartDate>2026-01-01</ReportingStartDate> <ReportingEndDate>2026-12-31</ReportingEndDate>
 </ReportDescription> <lom:lom> <lom:general> <lom:identifier> <lom:catalog>Provider Activity ID</lom:catalog>
 <lom:entry>AMC-HIPAA-2025-V4</lom:entry> </lom:identifier> <lom:title><lom:string>HIPAA Privacy and Security
 for Physicians</lom:string></lom:title> </lom:general> <hx:healthcareMetadata> <hx:healthcareEducation>
 <hx:credits> <hx:activityCertification>AMA PRA Category 1</hx:activityCertification>
 <hx:numberOfCredits>1.0</hx:numberOfCredits> </hx:credits> <hx:startDateTime>2026-01-01</hx:startDateTime>
 <hx:endDateTime>2026-12-31</hx:endDateTime> <hx:activitySponsorship>direct</hx:activitySponsorship>
 <hx:activityFormat><lom:string>Internet Enduring Material</lom:string></hx:activityFormat>
 <hx:commercialSupport>no</hx:commercialSupport> </hx:healthcareEducation> </hx:healthcareMetadata> </lom:lom>
 <XtensibleInfo> <ex:CreditClaimDate>2026-12-31</ex:CreditClaimDate> <ex:ForPublicList>true</ex:ForPublicList>
 <ex:activityRecordAction>Add</ex:activityRecordAction> <ex:closeActivityRecord>false</ex:closeActivityRecord>
 </XtensibleInfo> </MedicalEducationMetrics> </accme:ACCMEActivities>"""


def test_it_reads_everything_of_the_guides_sample() -> None:
    item = parse_activity_xml((FIXTURES / "activity_add.xml").read_text()).input
    assert (item.action, item.close, item.provider_activity_id) == (
        "Add",
        "false",
        "addactivityexample",
    )
    assert (item.title, item.url) == ("Internal Medicine Manuscript", "http://www.example.nil")
    assert item.description.startswith("Content is the description")
    assert (item.start_date, item.end_date, item.credit_claim_date) == (
        "2021-01-30", "2021-12-30", "2021-12-31",
    )  # fmt: skip
    assert (item.ama_credits, item.format_name, item.providership) == (
        "28",
        "Manuscript Review",
        "direct",
    )
    assert (item.commercial_support, item.physicians, item.other_learners) == ("yes", "2", "108")
    assert item.specialties == ("Hematology", "Nephrology")
    assert item.moc == (MocInput("ABIM", "2.0", ("Medical Knowledge", "Patient Safety")),)


def test_it_reads_mems_parts_placed_directly_under_the_metrics_element() -> None:
    item = parse_activity_xml(INTEGRATOR_DATA).input
    assert (item.provider_activity_id, item.format_name) == (
        "AMC-HIPAA-2025-V4", "Internet Enduring Material",
    )  # fmt: skip
    assert (item.title, item.ama_credits) == ("HIPAA Privacy and Security for Physicians", "1.0")
    assert (item.start_date, item.end_date, item.commercial_support) == (
        "2026-01-01",
        "2026-12-31",
        "no",
    )


def test_it_writes_what_it_reads() -> None:
    item = dataclasses.replace(
        good_activity(),
        accme_activity_id="200000123",
        url="https://learning.example.org/a",
        providership="joint",
        joint_providers=("Lakeshore Society", "Prairie College"),
        rems="Opioid Analgesic REMS",
        physicians="12",
        other_learners="0",
        moc=(MocInput("ABPath", "2", ("Lifelong Learning",), "Cytopathology"),),
    )
    [read] = read_activities_xml(activities_xml([item]).encode())
    assert dataclasses.replace(read, row_number=0, close="") == dataclasses.replace(item, close="")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not XML", "not well-formed XML"),
        (b"<ACCMELearnerReports/>", "an activity file is an ACCMEActivities document"),
        (b"<ACCMEActivities/>", "contains no activities"),
    ],
)
def test_it_refuses_a_file_it_cannot_read_as_activities(data: bytes, message: str) -> None:
    with pytest.raises(FileFormatError) as refused:
        read_activities_xml(data)
    assert message in str(refused.value)


def test_it_refuses_more_than_2500_activities_in_one_file() -> None:
    data = activities_xml([good_activity(n) for n in range(1, 2502)]).encode()
    with pytest.raises(TooManyRecordsError):
        read_activities_xml(data)


def test_it_refuses_a_file_whose_activity_holds_lom_in_both_places() -> None:
    lom = INTEGRATOR_DATA[INTEGRATOR_DATA.index("<lom:lom>") : INTEGRATOR_DATA.index("</lom:lom>")]
    both = INTEGRATOR_DATA.replace(
        "<XtensibleInfo>",
        f"<ActivityDescription>{lom}</lom:lom></ActivityDescription><XtensibleInfo>",
    )
    assert parse_activity_xml(INTEGRATOR_DATA).input.title  # one place: read
    with pytest.raises(FileFormatError) as refused:
        read_activities_xml(both.encode())
    assert "Activity 1 of the file" in str(refused.value)
    assert "both directly and in ActivityDescription" in str(refused.value)


def test_it_refuses_a_file_whose_activity_gives_its_title_twice() -> None:
    data = activities_xml([good_activity(1), good_activity(2)])
    title = data[data.index("<lom:title>") : data.index("</lom:title>") + len("</lom:title>")]
    twice = data.replace(title, title + title.replace("<lom:string>", "<lom:string>Other "), 1)

    with pytest.raises(FileFormatError) as refused:
        read_activities_xml(twice.encode())

    assert "Activity 1 of the file" in str(refused.value)
    assert "general holds 2 title elements" in str(refused.value)
