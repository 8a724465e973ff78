"""Tab-delimited `.txt` learner files as Excel writes them."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS
from learners.formats import FileFormatError, read_learner_file

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "\t".join(title for _, title in BOARD_COLUMNS)
ROW = "Add\t210015516\t07/06/2025\tJane\tACCME\t10/30\tIL\t036999902\t2"


def read(text: str, program: str = "board") -> list:
    return read_learner_file(text.encode("utf-8"), file_type="txt", program=program)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("names_*.txt")), ids=lambda p: p.stem)
def test_it_reads_every_excel_encoding_and_line_end_to_the_same_rows(path: Path) -> None:
    rows = read_learner_file(path.read_bytes(), file_type="txt")

    assert [(r.first_name, r.last_name) for r in rows] == [
        ("Sean", "O'Keeffe"),
        ("José", "Muñoz"),
        ("Zoë", "Brontë"),
    ]
    first, second, third = rows
    assert first.values() == [
        "Add", "210015516", "07/06/2025", "Sean", "O'Keeffe", "03/14", "IL", "IL100001", "2",
        "ABIM", "037101", "1.5", "Medical Knowledge", "1.5", "", "",
    ]  # fmt: skip
    assert [r.row_number for r in rows] == [2, 3, 4]
    assert second.cme_credits == "1.25" and second.board == ""
    assert (third.record_action, third.birth_date, third.license_id) == (
        "Delete",
        "2/9",
        "1000000004",
    )


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_it_reads_utf16_written_without_its_byte_order_mark(codec: str) -> None:
    text = (FIXTURES / "names_utf8_crlf.txt").read_text(encoding="utf-8-sig")
    data = text.encode(codec)
    assert not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))

    rows = read_learner_file(data, file_type="txt")

    assert [(r.first_name, r.last_name) for r in rows] == [
        ("Sean", "O'Keeffe"),
        ("José", "Muñoz"),
        ("Zoë", "Brontë"),
    ]


def test_it_reads_a_file_without_a_header_by_position() -> None:
    rows = read(ROW + "\r\n")

    assert len(rows) == 1
    assert rows[0].row_number == 1
    assert (rows[0].first_name, rows[0].license_id, rows[0].cme_credits) == (
        "Jane",
        "036999902",
        "2",
    )


def test_it_skips_a_guidance_row_above_the_header() -> None:
    guidance = "Add or Delete\t9-digit ACCME Activity ID\tMM/DD/YYYY\tFirst name\tLast name\tMM/DD"
    rows = read(f"{guidance}\r\n{HEADER}\r\n{ROW}\r\n")

    assert [r.row_number for r in rows] == [3]
    assert rows[0].first_name == "Jane"


def test_it_skips_a_guidance_row_just_below_the_header() -> None:
    guidance = "Add or Delete\t9-digit ACCME Activity ID\tMM/DD/YYYY\tLearner's first name"
    rows = read(f"{HEADER}\n{guidance}\n{ROW}\n")

    assert [r.row_number for r in rows] == [3]


def test_it_skips_a_guidance_row_in_a_file_without_header() -> None:
    guidance = "Add or Delete\t9-digit ACCME Activity ID\tMM/DD/YYYY\tRequired"
    rows = read(f"{guidance}\n{ROW}\n")

    assert [r.row_number for r in rows] == [2]


def test_it_keeps_a_badly_filled_first_row_that_is_no_guidance() -> None:
    # An invalid action and prose-like cells are the rules' business, not a reason to drop it.
    row = "Ad\tnot an id\tsome day in July\tMary Ann\tVan der Berg\t\tNew York"
    rows = read(f"{HEADER}\n{row}\n")

    assert len(rows) == 1
    assert (rows[0].record_action, rows[0].first_name) == ("Ad", "Mary Ann")


def test_it_matches_headers_loosely_and_by_name() -> None:
    header = (
        "record action\tACCME activity id \tFirst Name\tLast  Name\tCompletion Date\t"
        "Date of Birth (MM/DD)\tCREDIT TYPE \tCertifying Board"
    )
    row = "Add\t210015516\tJane\tACCME\t07/06/2025\t10/30\tMedical Knowledge\tABIM"
    rows = read(f"{header}\n{row}\n")

    assert rows[0].first_name == "Jane"
    assert rows[0].completion_date == "07/06/2025"
    assert rows[0].birth_date == "10/30"
    assert rows[0].credit_type == "Medical Knowledge"
    assert rows[0].board == "ABIM"


def test_it_ignores_the_error_columns_of_our_report() -> None:
    rows = read(
        f"{HEADER}\tError Codes\tError Messages\n{ROW}\t\t\t\t\t\t\t\t690\tNo such activity\n"
    )

    assert rows[0].values()[-1] == ""
    assert rows[0].raw[-2:] == ("690", "No such activity")


def test_it_drops_one_apostrophe_before_formula_characters() -> None:
    rows = read(
        f"{HEADER}\nAdd\t210015516\t07/06/2025\t'=Jane\t'-Smith\t'@x\t'+1\t''=kept\t'plain\n"
    )

    row = rows[0]
    assert (row.first_name, row.last_name, row.birth_date) == ("=Jane", "-Smith", "@x")
    assert row.licensing_state == "+1"
    assert row.license_id == "'=kept"
    assert row.cme_credits == "'plain"


def test_it_strips_values_and_reads_excel_quoted_cells() -> None:
    rows = read(f'{HEADER}\n  Add \t210015516\t07/06/2025\t"Jane ""JJ"""\t"Smith\tJones"\t\n')

    assert rows[0].record_action == "Add"
    assert rows[0].first_name == 'Jane "JJ"'
    assert rows[0].last_name == "Smith\tJones"


def test_it_pads_short_rows_and_keeps_raw_values_of_long_ones() -> None:
    long_row = ROW + "\t\t\t\t\t\t\t\textra1\textra2"
    rows = read(f"Add\t210015516\n{long_row}\n")

    assert rows[0].first_name == "" and rows[0].values()[2:] == [""] * 14
    assert rows[1].raw[-2:] == ("extra1", "extra2")
    assert len(rows[1].values()) == 16


def test_it_ignores_blank_lines_anywhere() -> None:
    rows = read(f"\r\n{HEADER}\r\n\r\n{ROW}\r\n\t\t\t\r\n{ROW}\r\n\r\n\r\n")

    assert [r.row_number for r in rows] == [4, 6]


def test_it_reads_a_row_after_a_long_run_of_blank_lines() -> None:
    """No record is lost to blank lines, however many come before it."""
    rows = read(f"{HEADER}\r\n{ROW}\r\n" + "\r\n" * 10_001 + f"{ROW}\r\n")

    assert [r.row_number for r in rows] == [2, 10_004]


def test_it_reads_the_rems_layout() -> None:
    header = "\t".join(title for _, title in REMS_COLUMNS) + " (Y/N)"
    row = "Add\t210015525\t10/15/2026\tH046431\tPhysician\tPain\tIndividual\tMI\t6-10 years\tY"
    rows = read(f"{header}\n{row}\n", program="rems")

    assert rows[0].learner_local_id == "H046431"
    assert rows[0].practice_area == "Pain"
    assert rows[0].performs_surgery == "Y"
    assert rows[0].first_name == ""


def test_it_refuses_a_rems_file_submitted_as_board() -> None:
    header = "\t".join(title for _, title in REMS_COLUMNS)
    with pytest.raises(FileFormatError, match="Opioid Analgesic REMS columns"):
        read(f"{header}\nAdd\t210015525\t10/15/2026\tH1\n")


def test_it_refuses_a_board_file_submitted_as_rems() -> None:
    with pytest.raises(FileFormatError, match="Licensing or Specialty Board columns"):
        read(f"{HEADER}\n{ROW}\n", program="rems")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "contains no learner records"),
        ("\r\n\r\n", "contains no learner records"),
        (HEADER + "\r\n", "contains no learner records"),
        ("name,activity,date\nJane,210015516,07/06/2025\n", "not tab-delimited"),
    ],
)
def test_it_refuses_files_without_records_or_tabs(text: str, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        read(text)


def test_it_refuses_more_than_the_record_limit(settings) -> None:
    settings.UPLOAD_MAX_RECORDS = 10
    with pytest.raises(FileFormatError, match="more than 10 learner records"):
        read(HEADER + "\n" + (ROW + "\n") * 11)

    assert len(read(HEADER + "\n" + (ROW + "\n") * 10)) == 10


def test_it_refuses_2501_records_at_the_default_limit() -> None:
    with pytest.raises(FileFormatError, match="more than 2,500 learner records"):
        read((ROW + "\n") * 2501)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04rest of a zip", "Excel workbook"),
        (b"%PDF-1.7 ...", "PDF"),
        (b"Add\t2100\x00\x00\x01", "binary data"),
        (codecs.BOM_UTF8 + b"Add\t\xff\xfe\n", "Line 1 holds bytes that are not valid text"),
        (codecs.BOM_UTF16_LE + b"A\x00\n", "not valid text"),
    ],
)
def test_it_refuses_files_that_are_not_text(data: bytes, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        read_learner_file(data, file_type="txt")


def test_it_names_the_line_of_a_quote_that_is_never_closed() -> None:
    with pytest.raises(FileFormatError, match="Line 3: a cell begins with a double quote"):
        read(f'{HEADER}\n{ROW}\nAdd\t"210015516\t07/06/2025\nAdd\t1\n')


def test_it_reads_a_stray_quote_inside_a_cell_leniently() -> None:
    rows = read(f'{HEADER}\nAdd\t210015516\t07/06/2025\t"Bob" Smith\tJones\n')

    assert rows[0].first_name == "Bob Smith"
    assert rows[0].last_name == "Jones"


def test_it_refuses_a_file_above_the_byte_limit(settings) -> None:
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(FileFormatError, match="the limit is 100 bytes"):
        read(HEADER + "\n" + ROW + "\n")


def test_it_reads_2500_rows() -> None:
    # How fast is bench_engine's to measure (it prints the figures); a test only checks what.
    data = (
        "\r\n".join([HEADER, *([ROW + "\t\tABIM\t1001\t1\tMedical Knowledge\t1"] * 2500)]) + "\r\n"
    ).encode()

    rows = read_learner_file(data, file_type="txt")

    assert len(rows) == 2500
    assert {row.activity_id for row in rows} == {"210015516"}
