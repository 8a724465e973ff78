"""One activity, four doors, the same codes: SaveActivity, the register form (and the MOC form),
a batch file, and the Django admin.

Generated activities carry any mix of the known defects; each door must answer exactly the
same Appendix A codes (none for a valid activity, which every door then stores).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from activities.files import activity_rows_txt
from activities.inputs import ActivityInput, MocInput
from activities.models import Activity
from activities.xml_writer import activities_xml
from portal.models import Provider, WebServiceAccount
from tests.activities.makers import DEFECTS, good_activity
from tests.factories import CompletionRecordFactory
from uploads.models import Mode, UploadKind
from uploads.processing import upload_process
from uploads.services import IncomingFile, upload_create

pytestmark = pytest.mark.django_db
WS_USER, WS_PASSWORD = "ws@doors.test", "pars-ws-test"
SAVE_ACTIVITY = "/services/ACCMEService.svc/IACCMEServiceREST/SaveActivity"
ACTIVITY_NS = "http://schemas.datacontract.org/2004/07/BLL.Service"
# Activity-level defects go through the register form; MOC ones through the MOC form.
ACTIVITY_DEFECTS = [d for d in DEFECTS if d[0] not in ("319", "456")]
MOC_DEFECTS = [
    ("319", MocInput("ABIM", "2.1", ("Medical Knowledge",))),
    ("456", MocInput("ABIM", "2", ("Medical Knowledge", "Surgery"))),
    ("206", MocInput("ABIM", "", ("Medical Knowledge",))),
    ("484", MocInput("ABIM", "2", ())),
    ("490", MocInput("ABPath", "2", ("Lifelong Learning",))),
    ("491", MocInput("ABPath", "2", ("Lifelong Learning",), "Podiatry")),
]
_serial = itertools.count(1)


@dataclasses.dataclass
class Doors:
    provider: Provider
    staff: Client
    admin: Client
    ws: Client
    user: Any


@pytest.fixture
def doors(provider: Provider, staff_client: Client, settings: Any, tmp_path: Path) -> Doors:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    account = WebServiceAccount(provider=provider, username=WS_USER)
    account.set_password(WS_PASSWORD)
    account.save()
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root@doors.test", "", "pw"))
    return Doors(provider, staff_client, admin, Client(), staff_client.user)  # type: ignore[attr-defined]


def codes_in(text: str) -> list[str]:
    return sorted(re.findall(r"\b(\d{3}): ", text))


def by_web_service(d: Doors, item: ActivityInput) -> list[str]:
    year = item.start_date[:4]
    body = (
        f'<SubmitMessage xmlns="{ACTIVITY_NS}"><Data>{escape(activities_xml([item]))}</Data>'
        f"<Password>{WS_PASSWORD}</Password><ProviderId>{d.provider.accme_id}</ProviderId>"
        f"<ReportingYear>{year}</ReportingYear><User>{WS_USER}</User></SubmitMessage>"
    )
    response = d.ws.post(SAVE_ACTIVITY, data=body, content_type="application/xml; charset=utf-8")
    root = etree.fromstring(response.content)
    return sorted(e.text or "" for e in root.iter(f"{{{ACTIVITY_NS}}}Code"))


def form_fields(item: ActivityInput) -> dict[str, Any]:
    names = ("provider_activity_id", "title", "format_name", "start_date", "end_date",
             "credit_claim_date", "ama_credits", "providership", "description", "url", "city",
             "state", "country", "commercial_support", "physicians", "other_learners")  # fmt: skip
    return {
        **{name: getattr(item, name) for name in names},
        "joint_providers": "\n".join(item.joint_providers),
        "specialties": list(item.specialties),
        "status": "active",
    }


def by_form(d: Doors, item: ActivityInput) -> list[str]:
    return form_codes(d.staff.post(reverse("activities:new"), form_fields(item)))


def form_codes(response: Any) -> list[str]:
    if response.status_code == 302:
        return []
    return codes_in(_between(response.content.decode(), 'id="form-errors"', "</div>"))


def by_file(d: Doors, item: ActivityInput) -> list[str]:
    data = activity_rows_txt([item])
    incoming = IncomingFile.from_bytes(f"door-{next(_serial)}.txt", data)
    upload = upload_create(
        provider=d.provider, user=d.user, kind=UploadKind.ACTIVITIES, file_type="txt",
        program="board", mode=Mode.SUBMIT, incoming=incoming,
    ).upload  # fmt: skip
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    if not upload.rejected_records:
        return []
    line = upload.report_file.open("rb").read().decode("utf-8-sig").splitlines()[1]
    return sorted(line.split("\t")[-2].split("; "))


def admin_fields(d: Doors, item: ActivityInput) -> dict[str, Any]:
    moc = "\n".join(
        f"{m.board} | {m.points} | {'; '.join(m.credit_types)} | {m.practice_area}"
        for m in item.moc
    )
    return {**form_fields(item), "provider": d.provider.pk, "rems": "", "moc": moc}


def by_admin(d: Doors, item: ActivityInput) -> list[str]:
    return admin_codes(
        d.admin.post(reverse("admin:activities_activity_add"), admin_fields(d, item))
    )


def admin_codes(response: Any) -> list[str]:
    if response.status_code == 302:
        return []
    errors = re.findall(
        r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S
    )
    return codes_in("".join(errors))


def _between(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin)]


def fresh(item: ActivityInput) -> ActivityInput:
    """The same activity under a new Provider Activity ID, so each door adds its own."""
    return dataclasses.replace(item, provider_activity_id=f"DOOR-{next(_serial)}")


def every_door(d: Doors, item: ActivityInput) -> dict[str, list[str]]:
    return {
        "web service": by_web_service(d, fresh(item)),
        "form": by_form(d, fresh(item)),
        "file": by_file(d, fresh(item)),
        "admin": by_admin(d, fresh(item)),
    }


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(chosen=st.sets(st.sampled_from(range(len(ACTIVITY_DEFECTS))), max_size=3))
def test_every_door_gives_the_same_codes_for_the_same_activity(
    doors: Doors, chosen: set[int]
) -> None:
    item = dataclasses.replace(good_activity(), moc=())
    for index in sorted(chosen):
        item = ACTIVITY_DEFECTS[index][1](item)
    before = Activity.objects.filter(provider=doors.provider).count()
    answers = every_door(doors, item)
    expected = answers["web service"]
    assert all(codes == expected for codes in answers.values()), answers
    stored = Activity.objects.filter(provider=doors.provider).count() - before
    # A defect may hide another (no claim-date check against an end before the start).
    assert (expected == [], stored) == (not chosen, 0 if chosen else 4)


@pytest.mark.parametrize(("code", "moc"), MOC_DEFECTS, ids=[code for code, _ in MOC_DEFECTS])
def test_every_door_gives_the_same_codes_for_the_same_moc_registration(
    doors: Doors, code: str, moc: MocInput
) -> None:
    item = dataclasses.replace(good_activity(), moc=(moc,))
    answers = {
        "web service": by_web_service(doors, fresh(item)),
        "file": by_file(doors, fresh(item)),
        "admin": by_admin(doors, fresh(item)),
    }
    # The screens register a board on an activity already registered: the MOC form.
    registered = fresh(dataclasses.replace(item, moc=()))
    assert by_form(doors, registered) == []
    activity = Activity.objects.get(provider_activity_id=registered.provider_activity_id)
    data = {"board": moc.board, "points": moc.points, "credit_types": list(moc.credit_types),
            "practice_area": moc.practice_area}  # fmt: skip
    response = doors.staff.post(reverse("activities:moc", args=[activity.activity_id]), data)
    answers["form"] = codes_in(_between(response.content.decode(), 'id="form-errors"', "</div>"))
    assert all(codes == [code] for codes in answers.values()), answers


def test_every_door_refuses_an_update_that_leaves_a_reported_learner_outside(
    doors: Doors,
) -> None:
    item = dataclasses.replace(good_activity(), moc=(), provider_activity_id="DOOR-HELD")
    assert by_web_service(doors, item) == []
    activity = Activity.objects.get(provider_activity_id="DOOR-HELD")
    CompletionRecordFactory(activity=activity, completion_date=date(2026, 4, 10))
    moved = dataclasses.replace(
        item, action="Update", accme_activity_id=activity.activity_id, start_date="2026-04-11"
    )
    edit = reverse("activities:edit", args=[activity.activity_id])
    change = reverse("admin:activities_activity_change", args=[activity.pk])

    answers = {
        "web service": by_web_service(doors, moved),
        "file": by_file(doors, moved),
        "form": form_codes(doors.staff.post(edit, form_fields(moved))),
        "admin": admin_codes(doors.admin.post(change, admin_fields(doors, moved))),
    }

    assert all(codes == ["456"] for codes in answers.values()), answers
    activity.refresh_from_db()
    assert activity.start_date == date(2026, 3, 1)
