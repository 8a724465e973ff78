"""One learner record written for each door: a `.txt` or `.csv` row, an XML ActivityReport, an
envelope.

A record is the learner-file columns of SPEC §2.1 (a dict by LearnerRow field name). Each door's
form says the same thing: the XML names the licence, NPI and board as UniqueIDs and each credit
in a CreditCertificate with its own CreditID, as an LMS would send it.
"""

from __future__ import annotations

import csv
import io
from xml.sax.saxutils import escape

from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS
from learners.engine.values import parse_date

NAMESPACES = (
    'xmlns:accme="http://docs.accme.org/schemas/ACCMELearnerReports/v3/" '
    'xmlns:ex="http://docs.accme.org/schemas/ACCMELearnerReportExtension/v3/" '
    'xmlns:ar="http://ns.medbiq.org/activityreport/v2/" '
    'xmlns:m="http://ns.medbiq.org/member/v2/" xmlns:n="http://ns.medbiq.org/name/v2/" '
    'xmlns:hx="http://ns.medbiq.org/lom/extend/v1/"'
)
TXT_HEADER = "\t".join(title for _, title in BOARD_COLUMNS)


def txt_line(record: dict[str, str]) -> str:
    return "\t".join(record.get(name, "") for name, _ in BOARD_COLUMNS)


def txt_file(records: list[dict[str, str]]) -> bytes:
    return ("\r\n".join([TXT_HEADER, *map(txt_line, records)]) + "\r\n").encode("utf-8")


def csv_file(records: list[dict[str, str]], columns: tuple[tuple[str, str], ...]) -> bytes:
    """The records as a comma-separated `.csv`, quoted where a value needs it, as Excel saves."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(
        [[title for _, title in columns], *([r.get(n, "") for n, _ in columns] for r in records)]
    )
    return out.getvalue().encode("utf-8")


def _e(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _certificate(name: str, points: str, credit_id: str) -> str:
    return (
        "<ar:CreditCertificate><ar:CreditReceived>"
        f"<hx:activityCertification>{_e(name)}</hx:activityCertification>"
        f"<hx:creditUnit>Point</hx:creditUnit><hx:numberOfCredits>{_e(points)}</hx:numberOfCredits>"
        f"</ar:CreditReceived><ar:CreditID>{_e(credit_id)}</ar:CreditID></ar:CreditCertificate>"
    )


def _member(record: dict[str, str]) -> str:
    ids = []
    state, licence = record.get("licensing_state", ""), record.get("license_id", "")
    if state:
        ids.append((state, licence))
    elif licence:
        ids.append(("NPI", licence))
    if record.get("board"):
        ids.append((record["board"], record.get("board_id", "")))
    unique_ids = "".join(f'<m:UniqueID domain="{_e(d)}">{_e(v)}</m:UniqueID>' for d, v in ids)
    return (
        f"<ar:Member>{unique_ids}<m:Name><n:GivenName>{_e(record.get('first_name', ''))}"
        f"</n:GivenName><n:FamilyName>{_e(record.get('last_name', ''))}</n:FamilyName></m:Name>"
        f"<m:PersonalInfo><m:BirthDate>{_e(record.get('birth_date', ''))}</m:BirthDate>"
        "</m:PersonalInfo></ar:Member>"
    )


def _certificates(record: dict[str, str], credit_id: str) -> str:
    parts = []
    cme, board = record.get("cme_credits", ""), record.get("board", "")
    if cme or not board:  # an empty CME cell is an AMA certificate without credits
        parts.append(("AMA PRA Category 1", cme))
    for type_field, points_field in (
        ("credit_type", "credit_type_points"),
        ("additional_credit_type", "additional_credit_type_points"),
    ):
        if record.get(type_field):
            parts.append((f"{board} {record[type_field]}", record.get(points_field, "")))
    return "".join(
        _certificate(name, points, f"{credit_id}-{n}") for n, (name, points) in enumerate(parts)
    )


def _report(record: dict[str, str], person: str, certificates: str) -> str:
    """An ar:ActivityReport around the learner (`person`) and the `certificates` given."""
    completion = record.get("completion_date", "")
    parsed = parse_date(completion)
    shown = parsed.isoformat() if parsed is not None else completion
    activity_id = _e(record.get("activity_id", ""))
    return (
        f"<ar:ActivityReport>{person}<ar:Activity>"
        f"<ar:ActivityName>{activity_id}</ar:ActivityName><ar:Module>"
        f'<ar:ModuleName moduleID="{activity_id}">Activity</ar:ModuleName>'
        f"<ar:Status>Completed</ar:Status><ar:CompletedDateTime>{_e(shown)}</ar:CompletedDateTime>"
        f"{certificates}</ar:Module></ar:Activity>"
        "<ar:XtensibleInfo><ex:learnerRecordAction>"
        f"{_e(record.get('record_action', 'Add').lower())}</ex:learnerRecordAction>"
        "</ar:XtensibleInfo></ar:ActivityReport>"
    )


def activity_report(record: dict[str, str], credit_id: str) -> str:
    """One ar:ActivityReport saying what the file row says."""
    return _report(record, _member(record), _certificates(record, credit_id))


def learner_reports_xml(reports: list[str]) -> str:
    return (
        f"<accme:ACCMELearnerReports {NAMESPACES}><ar:ActivityReports>"
        + "".join(reports)
        + "</ar:ActivityReports></accme:ACCMELearnerReports>"
    )


def submit_message(data: str, *, user: str, password: str, provider_id: str) -> str:
    """A SaveLearnerActivity envelope carrying `data`, its elements in alphabetical order."""
    namespace = "http://schemas.datacontract.org/2004/07/ACCMEDataServices.ServiceObjects"
    return (
        f'<SubmitMessage xmlns="{namespace}"><Data>{escape(data)}</Data>'
        f"<Password>{escape(password)}</Password><ProviderId>{provider_id}</ProviderId>"
        f"<User>{escape(user)}</User></SubmitMessage>"
    )


REMS_TXT_HEADER = "\t".join(title for _, title in REMS_COLUMNS)
_PARTICIPANT = (
    ("learner_local_id", "LocalIdentifier"),
    ("practice_state", "StateOfPrimaryPractice"),
    ("dea_registration", "DEARegistration"),
    ("profession", "Profession"),
    ("practice_area", "PracticeArea"),
    ("performs_surgery", "SurgicalProcedures"),
    ("time_in_practice", "TimeInPractice"),
)
_SURGERY = {"Y": "true", "N": "false"}


def rems_txt_file(records: list[dict[str, str]]) -> bytes:
    lines = ["\t".join(r.get(name, "") for name, _ in REMS_COLUMNS) for r in records]
    return ("\r\n".join([REMS_TXT_HEADER, *lines]) + "\r\n").encode("utf-8")


def rems_activity_report(record: dict[str, str], credit_id: str) -> str:
    """One ar:ActivityReport with one ar:Participant saying what the REMS file row says."""
    surgery = record.get("performs_surgery", "")
    values = {**record, "performs_surgery": _SURGERY.get(surgery, surgery)}
    participant = "".join(
        f"<ar:{tag}>{_e(values.get(name, ''))}</ar:{tag}>" for name, tag in _PARTICIPANT
    )
    participants = (
        f"<ar:Participants><ar:Participant>{participant}</ar:Participant></ar:Participants>"
    )
    certificate = (
        f"<ar:CreditCertificate><ar:CreditID>{_e(credit_id)}</ar:CreditID></ar:CreditCertificate>"
    )
    return _report(record, participants, certificate)
