"""Builders of learner files for the corpus: rows, tab-delimited text, XML, workbooks, zips.

Every row meant to be valid uses the sandbox seeded for 2026-11-22
(`learners.sandbox.seed_sandbox`): activity 210015516 "Internal Medicine Update 2" (provider
0001234, ABIM 10 points, Medical Knowledge / Patient Safety, 2025-03-01..2025-11-30, claims until
2026-02-28, 10 AMA credits) and the synthetic physicians of `physician_specs()`.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import date, timedelta

TODAY = date(2026, 11, 22)
ACTIVITY = "210015516"  # provider 0001234, ABIM
REMS_ACTIVITY = "210015525"
CME_ONLY_ACTIVITY = "210015527"
DRAFT_ACTIVITY = "210015528"
CLOSED_YEAR_ACTIVITY = "210015530"
OTHER_PROVIDERS_ACTIVITY = "210025501"

HEADER = [
    "Record Action", "ACCME Activity ID", "Completion Date", "First Name", "Last Name",
    "Date of Birth", "Licensing State", "Licensing ID or NPI", "Number of CME Credits",
    "Certifying Board", "Certifying Board ID", "Total Board Credits", "Credit Type ",
    "Credits Awarded for Credit Type", "Additional Credit Type",
    "Credits Awarded for Additional Credit Type",
]  # fmt: skip
REMS_HEADER = [
    "Record Action", "ACCME Activity ID", "Completion Date", "Learner Local ID", "Profession",
    "Practice Area", "DEA Registration", "State of Primary Practice", "Time in Practice",
    "Performs Surgical Procedures (Y/N)",
]  # fmt: skip

# Physicians of the sandbox directory (index into physician_specs()): name, DOB, licence.
JANE = ("Jane", "ACCME", "10/30", "IL", "036999902")
ZOE = ("Zoë", "Abara", "05/13", "CA", "CA100004")
PRIYA = ("Priya", "Ibáñez", "03/23", "IL", "IL100014")
SOREN = ("Søren", "O'Keeffe", "07/07", "KS", "KS100016")
OSCAR = ("Oscar", "O'Keeffe", "03/14", "AZ", "AZ100003")
FATIMA = ("Fatima", "Duarte", "04/21", "AL", "AL100001")


def day(n: int) -> str:
    """The n-th day (0-based) of activity 210015516's claim window, as MM/DD/YYYY."""
    return (date(2025, 3, 1) + timedelta(days=n)).strftime("%m/%d/%Y")


def moc_row(completion: str = "06/15/2025", **changes: str) -> list[str]:
    """Jane ACCME, CME and ABIM MOC on 210015516: a row the engine accepts.

    One MOC point each, so that a file of several of her completions stays within the 10 points
    the activity offers one learner (710 / 711).
    """
    first, last, dob, state, licence = JANE
    row = dict(
        zip(
            HEADER,
            ["Add", ACTIVITY, completion, first, last, dob, state, licence, "10", "ABIM",
             "999902", "1", "Medical Knowledge", "1", "", ""],
            strict=True,
        )
    )  # fmt: skip
    row.update({_header(key): value for key, value in changes.items()})
    return list(row.values())


def cme_row(
    physician: tuple[str, ...] = JANE, completion: str = "06/15/2025", **changes: str
) -> list[str]:
    """A CME-only row (licence, no board) on 210015516: accepted."""
    first, last, dob, state, licence = physician
    row = dict(
        zip(
            HEADER,
            ["Add", ACTIVITY, completion, first, last, dob, state, licence, "2"],
            strict=False,
        )
    )
    row.update({h: "" for h in HEADER[9:]})
    row.update({_header(key): value for key, value in changes.items()})
    return list(row.values())


_KEYS = {
    "action": "Record Action", "activity": "ACCME Activity ID", "date": "Completion Date",
    "first": "First Name", "last": "Last Name", "dob": "Date of Birth", "state": "Licensing State",
    "licence": "Licensing ID or NPI", "credits": "Number of CME Credits", "board": "Certifying Board",
    "board_id": "Certifying Board ID", "points": "Total Board Credits", "type": "Credit Type ",
    "type_points": "Credits Awarded for Credit Type",
}  # fmt: skip


def _header(key: str) -> str:
    return _KEYS[key]


def txt(
    rows: list[list[str]],
    *,
    header: list[str] | None = HEADER,
    encoding: str = "utf-8",
    newline: str = "\r\n",
    bom: bytes = b"",
    delimiter: str = "\t",
) -> bytes:
    lines = ([header] if header else []) + rows
    text = newline.join(delimiter.join(cells) for cells in lines) + newline
    return bom + text.encode(encoding)


def good_rows(n: int = 2) -> list[list[str]]:
    """n accepted rows: Jane's MOC row then CME rows of other physicians."""
    others = [OSCAR, FATIMA, ZOE, PRIYA, SOREN]
    return [moc_row(day(100))] + [
        cme_row(others[i % len(others)], day(101 + i)) for i in range(n - 1)
    ]


# ---- XML ------------------------------------------------------------------------------------

XML_NAMESPACES = (
    'xmlns="http://docs.accme.org/schemas/ACCMELearnerReports/v3/" '
    'xmlns:accme="http://docs.accme.org/schemas/ACCMELearnerReports/v3/" '
    'xmlns:ex="http://docs.accme.org/schemas/ACCMELearnerReportExtension/v3/" '
    'xmlns:ar="http://ns.medbiq.org/activityreport/v2/" '
    'xmlns:m="http://ns.medbiq.org/member/v2/" xmlns:n="http://ns.medbiq.org/name/v2/" '
    'xmlns:hx="http://ns.medbiq.org/lom/extend/v1/"'
)


def xml_report(
    credit_id: str,
    *,
    given: str = "Jane",
    family: str = "ACCME",
    birth: str = "1904-10-30",
    ids: tuple[tuple[str, str], ...] = (("ABIM", "999902"),),
    activity: str = ACTIVITY,
    completed: str = "2025-06-15",
    credits: tuple[tuple[str, str], ...] = (
        ("AMA PRA Category 1", "2"),
        ("ABIM Medical Knowledge", "2"),
    ),
    action: str = "add",
) -> str:
    unique_ids = "".join(f'<m:UniqueID domain="{d}">{v}</m:UniqueID>' for d, v in ids)
    certificates = "".join(
        "<ar:CreditCertificate><ar:CreditReceived>"
        f"<hx:activityCertification>{cert}</hx:activityCertification>"
        f"<hx:creditUnit>Point</hx:creditUnit><hx:numberOfCredits>{points}</hx:numberOfCredits>"
        f"</ar:CreditReceived><ar:CreditID>{credit_id}-{i}</ar:CreditID></ar:CreditCertificate>"
        for i, (cert, points) in enumerate(credits)
    )
    return (
        "<ar:ActivityReport>"
        "<ar:ReportingOrganization>AAA Test Organization</ar:ReportingOrganization>"
        f"<ar:Member>{unique_ids}<m:Name><n:GivenName>{given}</n:GivenName>"
        f"<n:FamilyName>{family}</n:FamilyName></m:Name>"
        f"<m:PersonalInfo><m:BirthDate>{birth}</m:BirthDate></m:PersonalInfo></ar:Member>"
        "<ar:Activity><ar:ProviderOrganization>0001234</ar:ProviderOrganization>"
        f"<ar:ActivityName>{activity}</ar:ActivityName><ar:Module>"
        f'<ar:ModuleName moduleID="{activity}">Internal Medicine Update 2</ar:ModuleName>'
        f"<ar:Status>Completed</ar:Status><ar:CompletedDateTime>{completed}</ar:CompletedDateTime>"
        f"{certificates}</ar:Module></ar:Activity>"
        f"<ar:XtensibleInfo><ex:learnerRecordAction>{action}</ex:learnerRecordAction>"
        "</ar:XtensibleInfo></ar:ActivityReport>\n"
    )


def xml(
    reports: list[str],
    *,
    prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n',
    doctype: str = "",
    namespaces: str = XML_NAMESPACES,
    root: str = "accme:ACCMELearnerReports",
    encoding: str = "utf-8",
) -> bytes:
    body = (
        f"{prolog}{doctype}<{root} {namespaces}>\n<ar:ActivityReports>"
        "<ar:DateTimeCreated>2026-11-22</ar:DateTimeCreated>\n"
        + "".join(reports)
        + f"</ar:ActivityReports>\n</{root}>\n"
    )
    return body.encode(encoding)


def good_reports(n: int = 2, prefix: str = "ccid:corpus:") -> list[str]:
    dates = [(date(2025, 6, 1) + timedelta(days=i)).isoformat() for i in range(n)]
    return [xml_report(f"{prefix}{i}", completed=d) for i, d in enumerate(dates)]


# ---- XLSX -----------------------------------------------------------------------------------


def xlsx(rows: list[list[object]], *, header: list[str] | None = HEADER) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """Rewrite a zip with a fixed timestamp, so rebuilding the corpus gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"/>'
            target.writestr(_zip_info(info.filename), content)
    return out.getvalue()


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (2026, 11, 22, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members.items():
            target.writestr(_zip_info(name), content)
    return out.getvalue()


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


# ---- Big files ------------------------------------------------------------------------------


def records(n: int) -> bytes:
    """n accepted CME rows: directory physicians x distinct dates of 210015516's window."""
    from learners.sandbox import physician_specs

    specs = [
        s for i, s in enumerate(physician_specs()) if i % 20 not in (0, 13) and len(s.licenses) == 1
    ][:20]
    out = []
    for i in range(n):
        s = specs[i % len(specs)]
        state, licence = s.licenses[0]
        who = (s.first_name, s.last_name, f"{s.birth_month:02d}/{s.birth_day:02d}", state, licence)
        out.append(cme_row(who, day(i // len(specs)), credits="1"))
    return txt(out)


def records_xml(n: int) -> bytes:
    dates = [date(2025, 3, 1) + timedelta(days=i) for i in range(n)]
    return xml(
        [xml_report(f"ccid:corpus:{i}", completed=d.isoformat()) for i, d in enumerate(dates)]
    )


def nested_xml(depth: int) -> bytes:
    return (
        b'<?xml version="1.0"?>\n'
        + b'<accme:ACCMELearnerReports xmlns:accme="http://docs.accme.org/schemas/ACCMELearnerReports/v3/">'
        + b"<a>" * depth
        + b"</a>" * depth
        + b"</accme:ACCMELearnerReports>\n"
    )


def shared_strings_xlsx(count: int) -> bytes:
    """A valid workbook whose shared-string table holds `count` one-letter strings."""
    from uploads.management.commands.bench_upload_memory import workbook_with_strings

    return workbook_with_strings(xlsx(good_rows(2)), count)


def padded_xlsx(padding: int) -> bytes:
    """A valid workbook whose sheet inflates by `padding` bytes (a few hundred KB compressed)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(good_rows(2))))
    members = {name: source.read(name) for name in source.namelist()}
    members["xl/worksheets/sheet1.xml"] += b" " * padding
    return zip_of(members)
