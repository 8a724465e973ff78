"""The integration notes' Learner Match: a legacy `ar:LearnerMatchRequest` read as MatchCriteria."""

from __future__ import annotations

from learners.engine.matching import MatchCriteria
from learners.formats.legacy import (
    birth_month_day,
    medical_education_number_ids,
    read_legacy_match_request,
)
from learners.formats.xml import parse_xml


def legacy_match_criteria(data: bytes) -> tuple[MatchCriteria | None, list[str]]:
    """The criteria the Data holds, or None with the reasons it can match no one.

    FileFormatError when the Data is not an ar:LearnerMatchRequest (ACCMELearnerRecords v1).
    """
    request = read_legacy_match_request(parse_xml(data))
    birth = birth_month_day(request.date_of_birth) if request.date_of_birth else None
    if request.date_of_birth and birth is None:
        return None, [f"DateOfBirth '{request.date_of_birth}' is not a date (use YYYY-MM-DD)."]
    npi, me_number = medical_education_number_ids(request.medical_education_number)
    criteria = MatchCriteria(
        first_name=request.first_name,
        last_name=request.last_name,
        birth_month=birth[0] if birth else None,
        birth_day=birth[1] if birth else None,
        npi=npi,
        me_number=me_number,
    )
    return criteria, []
