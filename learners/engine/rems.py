"""Opioid Analgesic REMS rows: de-identified learners, values from fixed lists (SPEC §2.1)."""

from __future__ import annotations

from learners.engine.codes import error
from learners.engine.facts import Judgement
from learners.engine.states import STATES, state_code

# MedBiquitous ActivityReport v2 value lists.
PROFESSIONS = (
    "Physician", "Advanced practice nurse", "Physician Assistant", "Dentist", "Podiatrist", "Nurse",
    "Pharmacist", "Optometrist", "Psychologist", "Veterinarian", "Other healthcare professional",
    "Other",
)  # fmt: skip
DEA_REGISTRATIONS = ("Individual", "Institutional", "None")
TIMES_IN_PRACTICE = (
    "Trainee", "0-5 years post training", "6-10 years", "11-15 years", "16-20 years", "21+ years",
)  # fmt: skip
PRACTICE_AREAS = (
    "Addiction", "Anesthesiology", "Critical Care", "Dentistry", "Emergency", "Family Medicine",
    "Geriatric", "Hematology", "Hospice and/or Palliative Care", "Internal Medicine", "Neurology",
    "Obstetrics/Gynecology", "Oncology", "Ophthalmology", "Pain", "Pediatric",
    "Physical Medicine and Rehabilitation", "Psychiatry", "General Surgery", "Orthopedic surgery",
    "Other surgical specialty", "Urology", "Other", "N/A",
)  # fmt: skip
YES_NO = {"y": True, "yes": True, "n": False, "no": False}

LOCAL_ID_MAX = 100


def _lookup(values: tuple[str, ...]) -> dict[str, str]:
    return {v.casefold(): v for v in values}


# (row field, column header, record field, allowed values casefolded → as stored)
CHOICE_FIELDS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("profession", "Profession", "rems_profession", _lookup(PROFESSIONS)),
    ("practice_area", "Practice Area", "rems_practice_area", _lookup(PRACTICE_AREAS)),
    ("dea_registration", "DEA Registration", "rems_dea_registration", _lookup(DEA_REGISTRATIONS)),
    ("time_in_practice", "Time in Practice", "rems_time_in_practice", _lookup(TIMES_IN_PRACTICE)),
)


_REMS_ROW_FIELDS = (
    "learner_local_id",
    *(name for name, *_ in CHOICE_FIELDS),
    "practice_state",
    "performs_surgery",
)


def judge_rems_fields(j: Judgement, *, rems_program: bool = True) -> None:
    """714 for a missing field, 715 for a value outside its list; each names the field.

    A row of a board/CME report holding no REMS value at all, on an activity registered for
    REMS, gets one 714 saying why (its learners are reported in the REMS program), not seven.
    """
    row = j.row
    if not rems_program and not any(getattr(row, name).strip() for name in _REMS_ROW_FIELDS):
        activity_id = j.activity.activity_id if j.activity else ""
        field = (
            f"every one (Learner Local ID, Profession, …): activity {activity_id} is registered "
            "for Opioid Analgesic REMS, so its learners are reported in the REMS program"
        )
        j.errors.append(error("714", field=field))
        return
    values: dict[str, object] = {}
    local_id = row.learner_local_id.strip()
    if not local_id:
        j.errors.append(error("714", field="Learner Local ID"))
    elif len(local_id) > LOCAL_ID_MAX:
        j.errors.append(
            error("715", field="Learner Local ID", value=local_id[:20] + "…",
                  allowed=f"at most {LOCAL_ID_MAX} characters")
        )  # fmt: skip
    else:
        values["rems_learner_local_id"] = local_id
    for name, header, record_field, allowed in CHOICE_FIELDS:
        text = getattr(row, name).strip()
        if not text:
            j.errors.append(error("714", field=header))
        elif text.casefold() not in allowed:
            shown = ", ".join(allowed.values())
            j.errors.append(error("715", field=header, value=text, allowed=shown))
        else:
            values[record_field] = allowed[text.casefold()]
    _judge_state(j, values)
    _judge_surgery(j, values)
    j.rems = values


def _judge_state(j: Judgement, values: dict[str, object]) -> None:
    text = j.row.practice_state.strip()
    header = "State of Primary Practice"
    if not text:
        j.errors.append(error("714", field=header))
    elif state_code(text) is None:
        allowed = "a 2-letter state code such as " + ", ".join(list(STATES)[:3]) + " or its name"
        j.errors.append(error("715", field=header, value=text, allowed=allowed))
    else:
        values["rems_practice_state"] = state_code(text)


def _judge_surgery(j: Judgement, values: dict[str, object]) -> None:
    text = j.row.performs_surgery.strip()
    header = "Performs Surgical Procedures"
    if not text:
        j.errors.append(error("714", field=header))
    elif text.casefold() not in YES_NO:
        j.errors.append(error("715", field=header, value=text, allowed="Y, N"))
    else:
        values["rems_performs_surgery"] = YES_NO[text.casefold()]
