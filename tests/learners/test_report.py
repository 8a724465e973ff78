"""The rejected-rows report: Excel-safe, and it uploads again as it is."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learners.engine.results import RowError, RowResult
from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS, LearnerRow
from learners.formats import read_learner_file
from learners.report import rejected_rows_csv, rejected_rows_txt

pytestmark = pytest.mark.django_db

HEADER = [title for _, title in BOARD_COLUMNS] + ["Error Codes", "Error Messages"]


def result(row: LearnerRow, *codes: str) -> RowResult:
    return RowResult(row=row, errors=[RowError(code, f"Message for {code}") for code in codes])


def lines_of(data: bytes, delimiter: str = "\t") -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def test_it_writes_the_header_and_only_the_rejected_rows() -> None:
    bad = LearnerRow(
        row_number=2, record_action="Add", activity_id="999", first_name="Zoë", last_name="Muñoz"
    )
    good = LearnerRow(row_number=3, record_action="Add", activity_id="210015516")

    data = rejected_rows_txt([result(bad, "690", "719"), result(good)])

    assert b"\r\n" in data and data.count(b"\r\n") == 2
    header, line = lines_of(data)
    assert header == HEADER
    assert line[:5] == ["Add", "999", "", "Zoë", "Muñoz"]
    assert line[-2:] == ["690; 719", "Message for 690 | Message for 719"]


def test_it_neutralises_formula_cells() -> None:
    row = LearnerRow(
        row_number=2, first_name="=HYPERLINK(\"http://x\")", last_name="+1", birth_date="-2",
        licensing_state="@SUM(A1)", license_id="'=already", cme_credits="plain",
    )  # fmt: skip

    _, line = lines_of(rejected_rows_txt([result(row, "622")]))

    assert line[3:9] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "''=already",
        "plain",
    ]


def test_it_writes_xml_rows_in_the_file_columns() -> None:
    row = LearnerRow(
        row_number=1, record_action="add", activity_id="210015516", completion_date="07/06/2021",
        first_name="Jane", last_name="ACCME", birth_date="10/30", npi="1999999026",
        board="ABIM", board_id="999902", board_points="3.08", credit_type="Medical Knowledge",
        credit_type_points="1.58", credit_id="ccid:x:1",
    )  # fmt: skip

    _, line = lines_of(rejected_rows_txt([result(row, "705")]))

    assert line[:8] == [
        "add",
        "210015516",
        "07/06/2021",
        "Jane",
        "ACCME",
        "10/30",
        "",
        "1999999026",
    ]
    assert line[9:14] == ["ABIM", "999902", "3.08", "Medical Knowledge", "1.58"]


def test_it_writes_the_rems_columns_for_rems() -> None:
    row = LearnerRow(
        row_number=2,
        record_action="Add",
        activity_id="210015525",
        learner_local_id="L1",
        profession="Astrologer",
    )

    header, line = lines_of(rejected_rows_txt([result(row, "715")], program="rems"))

    assert header == [title for _, title in REMS_COLUMNS] + ["Error Codes", "Error Messages"]
    assert line[3:5] == ["L1", "Astrologer"]


def test_it_writes_the_same_report_as_csv() -> None:
    row = LearnerRow(row_number=2, record_action="Add", first_name="Smith, Jr.", last_name="=cmd")

    header, line = lines_of(rejected_rows_csv([result(row, "630")]), delimiter=",")

    assert header == HEADER
    assert line[3:5] == ["Smith, Jr.", "'=cmd"]


def test_it_uploads_again_as_it_is() -> None:
    rows = [
        LearnerRow(
            row_number=2,
            record_action="Add",
            activity_id="21001551",
            first_name="O'Keeffe",
            last_name="-Smith",
        ),
        LearnerRow(
            row_number=5, record_action="Delete", completion_date="2025-13-01", board_points="=1+1"
        ),
    ]

    back = read_learner_file(rejected_rows_txt([result(r, "690") for r in rows]), file_type="txt")

    assert [r.values() for r in back] == [r.values() for r in rows]


# Values a reader can produce: stripped, no NUL (a NUL-bearing file is refused as binary).
cell_values = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
).map(str.strip)
leading = st.sampled_from(["=", "+", "-", "@", "'", "''=", '"', ""])
tricky_values = st.builds(lambda lead, rest: (lead + rest).strip(), leading, cell_values)


def rows_of(columns: tuple[tuple[str, str], ...]) -> st.SearchStrategy[LearnerRow]:
    fields = {name: st.one_of(tricky_values, cell_values) for name, _ in columns}
    return st.builds(LearnerRow, row_number=st.just(1), **fields)


errors = st.lists(
    st.builds(RowError, code=st.from_regex(r"[0-9]{3}", fullmatch=True), message=cell_values),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(rows_of(BOARD_COLUMNS), min_size=1, max_size=4), row_errors=errors)
def test_it_reads_back_any_row_it_wrote(rows: list[LearnerRow], row_errors: list[RowError]) -> None:
    data = rejected_rows_txt([RowResult(row=r, errors=row_errors) for r in rows])

    back = read_learner_file(data, file_type="txt")

    assert [r.values() for r in back] == [r.values() for r in rows]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(rows_of(REMS_COLUMNS), min_size=1, max_size=3), row_errors=errors)
def test_it_reads_back_any_rems_row_it_wrote(
    rows: list[LearnerRow], row_errors: list[RowError]
) -> None:
    data = rejected_rows_txt([RowResult(row=r, errors=row_errors) for r in rows], program="rems")

    back = read_learner_file(data, file_type="txt", program="rems")

    assert [r.values(REMS_COLUMNS) for r in back] == [r.values(REMS_COLUMNS) for r in rows]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(rows_of(BOARD_COLUMNS), min_size=1, max_size=4), row_errors=errors)
def test_it_reads_back_any_row_it_wrote_as_csv(
    rows: list[LearnerRow], row_errors: list[RowError]
) -> None:
    data = rejected_rows_csv([RowResult(row=r, errors=row_errors) for r in rows])

    back = read_learner_file(data, file_type="csv")

    assert [r.values() for r in back] == [r.values() for r in rows]
