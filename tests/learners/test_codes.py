"""The code registry: every Appendix A and B code, PARS's words kept, clearer messages rendered."""

from __future__ import annotations

import string

import pytest

from learners.engine.codes import CODES, activity_error, error
from learners.engine.results import RowError

APPENDIX_A = frozenset(
    str(n)
    for n in (
        101,
        102,
        103,
        104,
        105,
        106,
        107,
        200,
        202,
        203,
        204,
        205,
        206,
        207,
        208,
        209,
        210,
        211,
        212,
        213,
        214,
        215,
        216,
        217,
        218,
        219,
        220,
        302,
        303,
        304,
        305,
        306,
        307,
        308,
        309,
        310,
        311,
        312,
        313,
        314,
        315,
        316,
        317,
        318,
        319,
        320,
        321,
        322,
        451,
        452,
        453,
        454,
        455,
        456,
        457,
        458,
        459,
        460,
        461,
        462,
        463,
        464,
        465,
        466,
        467,
        468,
        469,
        472,
        473,
        474,
        475,
        476,
        477,
        478,
        479,
        480,
        481,
        482,
        483,
        484,
        485,
        486,
        487,
        488,
        489,
        490,
        491,
        492,
        999,
    )
)
APPENDIX_B = frozenset(
    str(n)
    for n in (
        601,
        602,
        603,
        605,
        606,
        607,
        621,
        622,
        623,
        624,
        630,
        631,
        632,
        650,
        661,
        664,
        665,
        670,
        671,
        672,
        673,
        674,
        675,
        676,
        677,
        678,
        680,
        681,
        690,
        705,
        706,
        709,
        710,
        711,
        712,
        713,
        714,
        715,
        716,
        717,
        718,
        719,
        720,
        721,
        722,
        723,
        724,
        725,
        726,
        727,
        728,
        729,
        730,
        731,
        732,
        733,
        734,
        735,
        736,
        737,
        738,
        739,
        740,
        741,
        742,
        743,
        744,
        745,
        746,
        747,
        748,
        749,
        750,
        751,
        998,
    )
)


def test_it_holds_every_appendix_code_and_nothing_else() -> None:
    assert set(CODES) == APPENDIX_A | APPENDIX_B
    assert all(code.code == key for key, code in CODES.items())


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


@pytest.mark.parametrize("key", sorted(CODES))
def test_it_renders_every_template_with_its_details(key: str) -> None:
    code = CODES[key]
    assert code.pars_message
    if not code.message:
        assert error(key).message == code.pars_message
        return
    detail = {name: f"<{name}>" for name in _placeholders(code.message)}
    message = error(key, **detail).message
    assert message != code.pars_message or not detail
    assert all(f"<{name}>" in message for name in detail)


def test_it_names_the_field_and_the_value() -> None:
    assert error("671", value="13/45/2026") == RowError(
        code="671", message="Completion Date '13/45/2026' is not a valid date (use MM/DD/YYYY)."
    )
    assert "Profession" in error("714", field="Profession").message


def test_it_falls_back_to_pars_wording_when_details_are_missing() -> None:
    assert error("673").message == "MOC points not valid."


def test_it_refuses_an_unknown_code() -> None:
    with pytest.raises(KeyError):
        error("12345")


def test_it_gives_activity_codes_for_the_activity_service() -> None:
    rejected = activity_error("469", start_date="2026-05-01", end_date="2026-04-01")
    assert rejected.code == "469"
    assert "2026-04-01" in rejected.message and "2026-05-01" in rejected.message
    assert activity_error("451").message == "Invalid User: Access Denied"
