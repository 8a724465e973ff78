"""The sandbox's test physicians as a file, like ACCME's "file of 350+ test learners".

Every physician of a sandbox directory is fictitious; the file lists what identifies each one
(SPEC §3): name, birth month and day, NPI, ME number, licences and board ids.
"""

from __future__ import annotations

from collections.abc import Iterator

from learners.exports import Value
from learners.models import Learner

HEADER = (
    "First Name",
    "Last Name",
    "Birth Month",
    "Birth Day",
    "NPI",
    "ME Number",
    "Licenses (State License ID)",
    "Board IDs (Board ID)",
    "Boards",
    "States",
)


def physician_rows() -> Iterator[tuple[Value, ...]]:
    """One row per physician of the directory, by name."""
    learners = Learner.objects.prefetch_related("licenses", "board_ids__board").order_by(
        "last_name", "first_name", "birth_month", "birth_day", "pk"
    )
    for learner in learners:
        licences = sorted((lic.state, lic.license_id) for lic in learner.licenses.all())
        boards = sorted((b.board.code, b.diplomate_id) for b in learner.board_ids.all())
        yield (
            learner.first_name,
            learner.last_name,
            learner.birth_month,
            learner.birth_day,
            learner.npi or "",
            learner.me_number or "",
            "; ".join(f"{state} {license_id}" for state, license_id in licences),
            "; ".join(f"{code} {diplomate_id}" for code, diplomate_id in boards),
            ", ".join(sorted({code for code, _ in boards})),
            ", ".join(sorted({state for state, _ in licences})),
        )
