"""Whatever bytes arrive, a reader returns rows or raises FileFormatError: nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learners.formats import FileFormatError, read_learner_file
from learners.formats.templates import filled_xlsx

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_XML = (FIXTURES / "guide_sample.xml").read_bytes()
SAMPLE_TXT = (FIXTURES / "names_utf8_crlf.txt").read_bytes()
FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def read_or_refuse(data: bytes, file_type: str, program: str = "board") -> None:
    try:
        rows = read_learner_file(data, file_type=file_type, program=program)
    except FileFormatError as problem:
        assert str(problem)
    else:
        assert rows


def mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    """The seed file with a few bytes overwritten, inserted or cut away."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        data = bytearray(seed)
        for _ in range(draw(st.integers(1, 6))):
            position = draw(st.integers(0, len(data)))
            action = draw(st.sampled_from(["replace", "insert", "cut"]))
            chunk = draw(st.binary(min_size=1, max_size=8))
            if action == "replace":
                data[position : position + len(chunk)] = chunk
            elif action == "insert":
                data[position:position] = chunk
            else:
                del data[position : position + len(chunk)]
        return bytes(data)

    return build()


@FUZZ
@given(data=st.binary(max_size=2000), file_type=st.sampled_from(["txt", "xml", "xlsx"]))
def test_it_survives_arbitrary_bytes(data: bytes, file_type: str) -> None:
    read_or_refuse(data, file_type)


@FUZZ
@given(data=mutated(SAMPLE_TXT), program=st.sampled_from(["board", "rems"]))
def test_it_survives_a_damaged_text_file(data: bytes, program: str) -> None:
    read_or_refuse(data, "txt", program)


@FUZZ
@given(data=mutated(SAMPLE_XML))
def test_it_survives_a_damaged_xml_file(data: bytes) -> None:
    read_or_refuse(data, "xml")


@pytest.fixture
def workbook() -> bytes:
    return filled_xlsx(
        [["Add", "210015516", "07/06/2025", "Jane", "ACCME", "10/30", "IL", "036999902", 2]]
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_it_survives_a_damaged_workbook(workbook: bytes, data: st.DataObject) -> None:
    read_or_refuse(data.draw(mutated(workbook)), "xlsx")
