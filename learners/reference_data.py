"""Reference data loaded by migration: certifying boards, their credit types, activity formats."""

from __future__ import annotations

from typing import Any

BOARDS: dict[str, str] = {
    "ABA": "American Board of Anesthesiology",
    "ABIM": "American Board of Internal Medicine",
    "ABOHNS": "American Board of Otolaryngology - Head and Neck Surgery",
    "ABOS": "American Board of Orthopaedic Surgery",
    "ABP": "American Board of Pediatrics",
    "ABPath": "American Board of Pathology",
    "ABPMR": "American Board of Physical Medicine and Rehabilitation",
    "ABS": "American Board of Surgery",
    "ABTS": "American Board of Thoracic Surgery",
}

_GENERIC_TYPES = [
    "Lifelong Learning",
    "Self-Assessment",
    "Improvement in Medical Practice",
    "Patient Safety",
]

CREDIT_TYPES: dict[str, list[str]] = {
    "ABA": ["Lifelong Learning", "Patient Safety"],
    "ABIM": ["Medical Knowledge", "Patient Safety", "Practice Assessment"],
    "ABP": ["Lifelong Learning and Self-Assessment", "Quality Improvement"],
    **{code: _GENERIC_TYPES for code in ("ABOHNS", "ABOS", "ABPath", "ABPMR", "ABS", "ABTS")},
}

ACTIVITY_FORMATS: dict[str, str] = {
    "C": "Live Course",
    "RSS": "Regularly Scheduled Series",
    "IL": "Internet Live Course",
    "EM": "Enduring Material",
    "IEM": "Internet Enduring Material",
    "JN": "Journal-based CE",
    "MR": "Manuscript Review",
    "TIW": "Test Item Writing",
    "CL": "Committee Learning",
    "PI": "Performance/Quality Improvement",
    "ISL": "Internet Searching and Learning",
    "LFT": "Learning from Teaching",
    "OTH": "Other/Blended Learning",
}


def load_reference_data(board_model: Any, credit_type_model: Any, format_model: Any) -> None:
    """Create what is missing; safe to run again (used by the migration and by tests)."""
    for code, name in BOARDS.items():
        board, _ = board_model.objects.get_or_create(code=code, defaults={"name": name})
        for type_name in CREDIT_TYPES[code]:
            credit_type_model.objects.get_or_create(board=board, name=type_name)
    for code, name in ACTIVITY_FORMATS.items():
        format_model.objects.get_or_create(code=code, defaults={"name": name})
