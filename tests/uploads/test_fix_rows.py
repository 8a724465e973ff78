"""Fixing rejected rows in the browser: the grid, the correcting upload, the chain, the refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from activities.models import Activity
from learners.engine.results import RowError
from learners.formats import read_learner_file
from learners.models import CompletionRecord
from portal.models import Provider
from tests.factories import LearnerFactory, MembershipFactory
from tests.uploads.conftest import Physician, PostUpload, cme_row, latest_upload, txt_file
from uploads.corrections import (
    FixRow,
    chain_open_count,
    chain_open_rows,
    chain_state,
    code_counts,
    fix_groups,
    is_fixable,
)
from uploads.fix_views import posted_edits
from uploads.models import Mode, Upload, UploadKind, UploadStatus
from uploads.processing import upload_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def rejected(
    staff_client: Client,
    provider: Provider,
    activity: Activity,
    physicians: list[Physician],
    post_upload: PostUpload,
) -> Upload:
    """A processed upload with three rejected rows (722, 622, 671) and one good row."""
    credits = cme_row(activity, physicians[0], credits="1.10")
    nameless = cme_row(activity, physicians[1])
    nameless[3] = ""
    undated = cme_row(activity, physicians[2])
    undated[2] = "13/45/2026"
    cassatt = LearnerFactory(
        first_name="Mary", last_name="Cassatt", birth_month=5, birth_day=22, license=("IL", "0369")
    )
    good = cme_row(activity, Physician(cassatt, "0369"))
    response = post_upload(staff_client, txt_file([credits, nameless, undated, good]))
    assert response.status_code == 303
    upload = latest_upload(provider)
    upload_process(upload_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.processed_records, upload.rejected_records) == (1, 3)
    return upload


def fix_url(upload: Upload) -> str:
    return reverse("uploads:fix", args=[upload.pk])


def cell(key: str, field: str) -> str:
    return f"cell.{key}.{field}"


def grid_inputs(page: str) -> dict[str, str]:
    """Each grid input's tag by its name."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r'<input type="text" name="([^"]+)"[^>]*>', page)
    }


def test_it_shows_the_rejected_rows_grouped_by_code_with_the_cells_at_fault(
    staff_client: Client, rejected: Upload
) -> None:
    response = staff_client.get(fix_url(rejected))

    assert response.status_code == 200
    page = response.content.decode()
    # Groups in code order: 622 (row 2 of the file), 671 (row 3), 722 (row 1).
    assert page.index('id="code-622"') < page.index('id="code-671"') < page.index('id="code-722"')
    inputs = grid_inputs(page)
    key_622, key_671, key_722 = (f"{rejected.pk}-{n}" for n in (2, 3, 1))
    assert 'aria-invalid="true"' in inputs[cell(key_622, "first_name")]
    assert 'aria-invalid="true"' in inputs[cell(key_671, "completion_date")]
    assert 'aria-invalid="true"' in inputs[cell(key_722, "cme_credits")]
    assert 'aria-invalid="true"' not in inputs[cell(key_722, "first_name")]
    assert f'aria-describedby="errors-{key_722}"' in inputs[cell(key_722, "cme_credits")]
    assert 'aria-label="Row 1, First Name"' in inputs[cell(key_622, "first_name")]
    assert 'aria-label="Row 3, Number of CME Credits"' in inputs[cell(key_722, "cme_credits")]
    assert 'value="13/45/2026"' in inputs[cell(key_671, "completion_date")]
    assert len(inputs) == 3 * 16
    assert "Completion Date &#x27;13/45/2026&#x27; is not a valid date" in page
    assert 'src="/static/js/fix_grid.js"' in page
    assert f'value="{chain_state(rejected)}"' in page


def test_it_sends_only_the_changed_rows_as_a_new_upload_correcting_the_first(
    staff_client: Client,
    rejected: Upload,
    provider: Provider,
    django_capture_on_commit_callbacks: Any,
) -> None:
    key_671, key_722 = f"{rejected.pk}-3", f"{rejected.pk}-1"
    page = grid_inputs(staff_client.get(fix_url(rejected)).content.decode())
    # Every cell posted, as without the page's script; two rows changed, one left as it was.
    posted = {name: re.search(r'value="([^"]*)"', tag).group(1) for name, tag in page.items()}  # type: ignore[union-attr]
    posted[cell(key_722, "cme_credits")] = "1.00"
    posted[cell(key_671, "completion_date")] = "99/99/2026"

    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(fix_url(rejected), {**posted, "state": chain_state(rejected)})

    correction = latest_upload(provider)
    assert response.status_code == 303
    assert response["Location"] == reverse("uploads:detail", args=[correction.pk])
    assert len(callbacks) == 1  # dispatched to a worker like any upload
    assert correction.corrects == rejected
    assert correction.corrected_rows == [key_671, key_722]  # the grid's order; 622 not resent
    assert (correction.status, correction.mode, correction.file_type) == ("queued", "submit", "txt")
    assert correction.original_name == "May_Learners-corrections-1.txt"
    with correction.file.open("rb") as stored:
        rows = read_learner_file(stored.read(), file_type="txt")
    assert [(r.completion_date, r.cme_credits) for r in rows] == [
        ("99/99/2026", "1.00"),
        (rows[1].completion_date, "1.00"),
    ]


def _correct(staff_client: Client, rejected: Upload, edits: dict[str, str]) -> Upload:
    response = staff_client.post(fix_url(rejected), {**edits, "state": chain_state(rejected)})
    assert response.status_code == 303, response.content.decode()[:3000]
    correction = Upload.objects.get(corrects=rejected, pk=response["Location"].split("/")[-2])
    upload_process(upload_id=correction.pk)
    correction.refresh_from_db()
    return correction


def test_it_keeps_the_rows_still_wrong_with_their_new_codes_and_shows_the_chain(
    staff_client: Client, rejected: Upload
) -> None:
    key_622, key_671, key_722 = (f"{rejected.pk}-{n}" for n in (2, 3, 1))

    correction = _correct(
        staff_client,
        rejected,
        {cell(key_722, "cme_credits"): "1.00", cell(key_671, "completion_date"): "12/40/2026"},
    )

    assert (correction.status, correction.processed_records, correction.rejected_records) == (
        UploadStatus.COMPLETED,
        1,
        1,
    )
    assert CompletionRecord.objects.filter(upload=correction).count() == 1
    rows = chain_open_rows(rejected)
    assert [(row.key, row.code) for row in rows] == [
        (key_622, "622"),
        (f"{correction.pk}-1", "671"),
    ]
    assert rows[1].values["completion_date"] == "12/40/2026"
    assert chain_open_count(rejected) == 2
    page = staff_client.get(fix_url(rejected)).content.decode()
    assert "12/40/2026" in page and "13/45/2026" not in page
    assert "sent again in May_Learners-corrections-1.txt" in page
    assert "2 rows sent, completed: 1 processed, 1 not processed" in page

    history = staff_client.get(reverse("uploads:history")).content.decode()
    detail = reverse("uploads:detail", args=[rejected.pk])
    assert f'Corrects <a href="{detail}">May_Learners.txt</a>' in history
    assert "Corrected by <a href" in history and "May_Learners-corrections-1.txt</a>" in history
    status = staff_client.get(reverse("uploads:detail", args=[correction.pk])).content.decode()
    assert "Fix 2 rows in the browser" in status
    assert f'correcting <a href="{detail}"' in status


def test_it_says_nothing_is_left_once_every_row_is_fixed(
    staff_client: Client, rejected: Upload, physicians: list[Physician]
) -> None:
    key_622, key_671, key_722 = (f"{rejected.pk}-{n}" for n in (2, 3, 1))
    date = chain_open_rows(rejected)[2].values["completion_date"]
    edits = {
        cell(key_722, "cme_credits"): "1.00",
        cell(key_671, "completion_date"): date,
        cell(key_622, "first_name"): physicians[1].learner.first_name,
    }

    correction = _correct(staff_client, rejected, edits)

    assert (correction.processed_records, correction.rejected_records) == (3, 0)
    assert chain_open_count(rejected) == 0
    page = staff_client.get(fix_url(rejected)).content.decode()
    assert "NO REJECTED ROWS ARE LEFT TO FIX" in page
    assert (
        "Fix 0 rows"
        not in staff_client.get(reverse("uploads:detail", args=[rejected.pk])).content.decode()
    )


def test_it_sends_the_first_upload_s_page_for_a_correction(
    staff_client: Client, rejected: Upload
) -> None:
    key_722 = f"{rejected.pk}-1"
    correction = _correct(staff_client, rejected, {cell(key_722, "cme_credits"): "1.00"})

    response = staff_client.get(fix_url(correction))

    assert response.status_code == 303
    assert response["Location"] == fix_url(rejected)


# -- Refusals -----------------------------------------------------------------------------------


def test_it_answers_404_to_an_outsider(outsider_client: Client, rejected: Upload) -> None:
    assert outsider_client.get(fix_url(rejected)).status_code == 404
    response = outsider_client.post(
        fix_url(rejected),
        {cell(f"{rejected.pk}-1", "cme_credits"): "1.00", "state": chain_state(rejected)},
    )
    assert response.status_code == 404
    assert not Upload.objects.filter(corrects=rejected).exists()


def test_it_refuses_other_methods(staff_client: Client, rejected: Upload) -> None:
    assert staff_client.put(fix_url(rejected)).status_code == 405
    assert staff_client.delete(fix_url(rejected)).status_code == 405


def test_it_requires_a_login(rejected: Upload) -> None:
    assert Client().get(fix_url(rejected)).status_code == 302


def test_it_refuses_a_correction_of_an_upload_without_rejected_rows(
    staff_client: Client,
    provider: Provider,
    activity: Activity,
    physicians: list[Physician],
    post_upload: PostUpload,
) -> None:
    post_upload(staff_client, txt_file([cme_row(activity, physicians[0])]))
    clean = latest_upload(provider)
    upload_process(upload_id=clean.pk)

    page = staff_client.get(fix_url(clean))
    response = staff_client.post(
        fix_url(clean), {cell(f"{clean.pk}-1", "cme_credits"): "2.00", "state": chain_state(clean)}
    )

    assert page.status_code == 200 and b"NO REJECTED ROWS ARE LEFT TO FIX" in page.content
    assert response.status_code == 409
    assert b"THIS UPLOAD HAS NO REJECTED ROWS LEFT TO FIX." in response.content
    assert not Upload.objects.filter(corrects=clean).exists()


def test_it_refuses_a_submission_that_changes_nothing(
    staff_client: Client, rejected: Upload
) -> None:
    key_722 = f"{rejected.pk}-1"
    response = staff_client.post(
        fix_url(rejected), {cell(key_722, "cme_credits"): " 1.10 ", "state": chain_state(rejected)}
    )

    assert response.status_code == 400
    assert b"NO ROW WAS CHANGED." in response.content
    assert b'id="fix-error"' in response.content and b"autofocus" in response.content
    assert not Upload.objects.filter(corrects=rejected).exists()


def test_it_refuses_a_second_correction_while_one_runs(
    staff_client: Client, rejected: Upload
) -> None:
    key_722, key_671 = f"{rejected.pk}-1", f"{rejected.pk}-3"
    first = staff_client.post(
        fix_url(rejected), {cell(key_722, "cme_credits"): "1.00", "state": chain_state(rejected)}
    )
    assert first.status_code == 303

    second = staff_client.post(
        fix_url(rejected), {cell(key_671, "completion_date"): "x", "state": chain_state(rejected)}
    )

    assert second.status_code == 409
    content = second.content.decode()
    assert "YOUR PREVIOUSLY UPLOADED FILE IS IN PROGRESS" in content
    assert 'value="x"' in content  # what was typed is kept for when the first one is done
    assert "YOUR CORRECTIONS (MAY_LEARNERS-CORRECTIONS-1.TXT) ARE QUEUED" in content
    assert Upload.objects.filter(corrects=rejected).count() == 1


def test_it_refuses_a_page_older_than_the_last_correction(
    staff_client: Client, rejected: Upload
) -> None:
    stale = chain_state(rejected)
    _correct(staff_client, rejected, {cell(f"{rejected.pk}-1", "cme_credits"): "1.00"})

    response = staff_client.post(
        fix_url(rejected), {cell(f"{rejected.pk}-2", "first_name"): "Jackson", "state": stale}
    )

    assert response.status_code == 409
    assert b"THE REJECTED ROWS CHANGED SINCE THIS PAGE WAS OPENED." in response.content
    assert Upload.objects.filter(corrects=rejected).count() == 1


def test_it_refuses_a_row_emptied_of_every_value(staff_client: Client, rejected: Upload) -> None:
    key = f"{rejected.pk}-2"
    row = next(r for r in chain_open_rows(rejected) if r.key == key)
    emptied = {cell(key, name): "" for name in row.values}

    response = staff_client.post(fix_url(rejected), {**emptied, "state": chain_state(rejected)})

    assert response.status_code == 400
    assert b"Row 1 has no values left" in response.content
    assert not Upload.objects.filter(corrects=rejected).exists()


@pytest.mark.parametrize(
    "change",
    [{"status": UploadStatus.PROCESSING}, {"mode": Mode.CHECK}, {"status": UploadStatus.FAILED}],
)
def test_it_offers_no_grid_for_an_upload_not_processed_or_only_checked(
    staff_client: Client, rejected: Upload, change: dict[str, str]
) -> None:
    Upload.objects.filter(pk=rejected.pk).update(**change)

    assert staff_client.get(fix_url(rejected)).status_code == 404
    assert (
        b"in the browser"
        not in staff_client.get(reverse("uploads:detail", args=[rejected.pk])).content
    )


# -- Grouping ---------------------------------------------------------------------------------


def _row(key: str, *codes: str) -> FixRow:
    return FixRow(key, 1, {}, [RowError(code, f"m{code}") for code in codes])


def test_it_groups_rows_by_their_first_code_in_code_order() -> None:
    rows = [_row("a", "722"), _row("b", "690", "722"), _row("c", "722", "671"), _row("d", "1000")]

    groups = fix_groups(rows)

    assert [(g.code, [r.key for r in g.rows]) for g in groups] == [
        ("690", ["b"]),
        ("722", ["a", "c"]),
        ("1000", ["d"]),
    ]
    assert groups[0].message == "ACCME activity ID does not exist"
    assert code_counts(rows) == [
        ("671", "Activity completion date not valid.", 1),
        ("690", "ACCME activity ID does not exist", 1),
        ("722", "CME Credits not valid.", 3),
        ("1000", "", 1),
    ]


def test_it_reads_the_posted_cells_by_row_and_field() -> None:
    from django.http import QueryDict

    data = QueryDict("cell.12-3.first_name=Ann&cell.12-3.last_name=Lee&cell.4-1.cme_credits=2"
                     "&state=12.0&csrfmiddlewaretoken=x&cell.bad=1")  # fmt: skip

    assert posted_edits(data) == {
        "12-3": {"first_name": "Ann", "last_name": "Lee"},
        "4-1": {"cme_credits": "2"},
    }


def test_it_asks_before_sending_the_same_corrected_rows_twice(
    staff_client: Client, rejected: Upload, provider: Provider
) -> None:
    """The duplicate rules apply as for any file: the same bytes within 30 days are a question."""
    first = _correct(
        staff_client, rejected, {cell(f"{rejected.pk}-3", "completion_date"): "12/40/2026"}
    )
    second = _correct(
        staff_client, rejected, {cell(f"{first.pk}-1", "completion_date"): "12/41/2026"}
    )

    response = staff_client.post(
        fix_url(rejected),
        {cell(f"{second.pk}-1", "completion_date"): "12/40/2026", "state": chain_state(rejected)},
    )

    third = latest_upload(provider)
    assert response.status_code == 303
    assert response["Location"] == reverse("uploads:detail", args=[third.pk])
    assert third.status == UploadStatus.PENDING and third.sha256 == first.sha256
    question = staff_client.get(response["Location"])
    assert b"Potential duplicate file detected" in question.content
    page = staff_client.get(fix_url(rejected)).content.decode()
    assert "WAITING FOR YOUR ANSWER" in page
    assert 'disabled aria-describedby="fix-running"' in page

    staff_client.post(reverse("uploads:confirm", args=[third.pk]), {"decision": "no"})

    assert not Upload.objects.filter(pk=third.pk).exists()
    open_rows = {row.key: row for row in chain_open_rows(rejected)}
    assert open_rows[f"{second.pk}-1"].values["completion_date"] == "12/41/2026"


def test_it_pages_the_grid_and_sends_the_rows_changed_on_a_page(
    staff_client: Client,
    provider: Provider,
    activity: Activity,
    physicians: list[Physician],
    post_upload: PostUpload,
) -> None:
    post_upload(staff_client, txt_file([cme_row(activity, physicians[0], credits="1.10")] * 30))
    upload = latest_upload(provider)
    upload_process(upload_id=upload.pk)
    url = fix_url(upload) + "?page=2"

    page = staff_client.get(url).content.decode()
    last = f"{upload.pk}-30"
    response = staff_client.post(
        url, {cell(last, "cme_credits"): "1.00", "state": chain_state(upload)}
    )

    assert len(grid_inputs(page)) == 5 * 16  # rows 26 to 30
    assert (
        'aria-label="Row 30, Number of CME Credits"' in grid_inputs(page)[cell(last, "cme_credits")]
    )
    assert f'action="{url}"' in page
    assert response.status_code == 303
    assert Upload.objects.get(corrects=upload).corrected_rows == [last]


def test_it_lets_a_colleague_correct_while_someone_else_s_duplicate_question_waits(
    staff_client: Client, rejected: Upload, provider: Provider
) -> None:
    """Only its uploader can answer a possible duplicate: it holds up no one else's fixes."""
    colleague = Client()
    colleague.force_login(MembershipFactory(provider=provider).user)
    first = _correct(
        staff_client, rejected, {cell(f"{rejected.pk}-3", "completion_date"): "12/40/2026"}
    )
    second = _correct(
        staff_client, rejected, {cell(f"{first.pk}-1", "completion_date"): "12/41/2026"}
    )
    staff_client.post(
        fix_url(rejected),
        {cell(f"{second.pk}-1", "completion_date"): "12/40/2026", "state": chain_state(rejected)},
    )
    assert latest_upload(provider).status == UploadStatus.PENDING

    page = colleague.get(fix_url(rejected)).content.decode()
    response = colleague.post(
        fix_url(rejected),
        {cell(f"{rejected.pk}-1", "cme_credits"): "1.00", "state": chain_state(rejected)},
    )

    assert "WAITING FOR YOUR ANSWER" not in page
    assert response.status_code == 303
    assert latest_upload(provider).status == UploadStatus.QUEUED


def test_it_offers_no_fixing_for_an_activity_upload(rejected: Upload) -> None:
    # An activity file's report has the activity layout: its rows are fixed on the activity form.
    Upload.objects.filter(pk=rejected.pk).update(kind=UploadKind.ACTIVITIES)
    rejected.refresh_from_db()
    assert is_fixable(rejected) is False
