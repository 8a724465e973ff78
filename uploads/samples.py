"""The sample XML learner file offered next to the templates (ACCMELearnerReports v3)."""

from __future__ import annotations

from datetime import date

from django.template.loader import render_to_string


def learner_reports_xml_sample(*, today: date) -> bytes:
    """One completion of the sandbox's Internal Medicine Update 2 (210015516) by Jane ACCME."""
    context = {
        "created": today.isoformat(),
        "completed": date(today.year - 1, 7, 6).isoformat(),
        "year": today.year - 1,
    }
    return render_to_string("uploads/learner_reports_sample.xml", context).encode("utf-8")
