"""The Upload New File form: every problem reported at once, the choices kept, the file asked again."""

from __future__ import annotations

import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from portal.models import Provider
from tests.factories import MembershipFactory
from uploads.models import Upload

NEW = reverse("uploads:new")
CHOOSE_AGAIN = "Choose the file again in step 3"


def summary_items(page: str) -> list[str]:
    summary = re.search(r'<div id="upload-error".*?</ul>', page, re.S)
    assert summary is not None, "no error summary"
    return re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)


def checked(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="(\w+)"[^>]*\schecked', page)


def client_of(provider: Provider) -> Client:
    client = Client()
    client.force_login(MembershipFactory(provider=provider).user)
    return client


def test_it_reports_every_missing_step_at_once(staff_client: Client) -> None:
    response = staff_client.post(NEW, {"mode": "submit"})

    assert response.status_code == 400
    page = response.content.decode()
    items = summary_items(page)
    assert len(items) == 3
    assert "STEP 1 OF 3" in items[0] and 'href="#step-1"' in items[0]
    assert "STEP 3 OF 3" in items[2] and 'href="#id_file"' in items[2]
    assert "There are 3 problems with the form" in page
    assert Upload.objects.count() == 0


def test_it_reports_a_wrong_extension_and_a_program_not_taken_together(
    other_provider: Provider,
) -> None:
    response = client_of(other_provider).post(
        NEW,
        {
            "file_type": "xml",
            "program": "rems",
            "mode": "submit",
            "file": SimpleUploadedFile("May_Learners.txt", b"Add\t210015516\n"),
        },
    )

    assert response.status_code == 400
    items = summary_items(response.content.decode())
    assert len(items) == 2
    assert "DOES NOT TAKE PART IN THE OPIOID ANALGESIC REMS PROGRAM" in items[0]
    assert "THE FILE SELECTED IS NOT A .XML FILE" in items[1]
    assert "“May_Learners.txt” does not end in .xml." in items[1]
    assert Upload.objects.count() == 0


def test_it_keeps_the_choices_and_asks_for_the_file_again(staff_client: Client) -> None:
    response = staff_client.post(
        NEW,
        {
            "file_type": "xml",
            "program": "rems",
            "mode": "check",
            "file": SimpleUploadedFile("learners.txt", b"abc"),
        },
    )

    page = response.content.decode()
    assert checked(page, "file_type") == ["xml"]
    assert checked(page, "program") == ["rems"]
    assert CHOOSE_AGAIN in page
    file_input = re.search(r'<input type="file"[^>]*>', page)
    assert file_input is not None
    assert 'aria-invalid="true"' in file_input.group(0)
    assert "file-error choose-again" in file_input.group(0)  # read with the field


def test_it_marks_the_fields_at_fault_and_describes_them(staff_client: Client) -> None:
    page = staff_client.post(NEW, {"program": "board"}).content.decode()

    radios = re.findall(r'<input type="radio" name="file_type"[^>]*>', page)
    assert radios and all('aria-invalid="true"' in radio for radio in radios)
    assert 'aria-describedby="file-type-help file-type-error"' in page
    assert '<p class="field-error" id="file-type-error">' in page
    program = re.findall(r'<input type="radio" name="program"[^>]*>', page)
    assert not any("aria-invalid" in radio for radio in program)


def test_it_focuses_the_error_summary_first_on_the_page(staff_client: Client) -> None:
    page = staff_client.post(NEW, {}).content.decode()

    main = page[page.index('<main id="main"') :]
    summary = main.index('id="upload-error"')
    assert summary < main.index("<form")
    assert re.search(r'<div id="upload-error"[^>]*\sautofocus', page)
    assert re.search(r'<div id="upload-error"[^>]*role="alert"', page)


def test_it_lists_a_refusal_of_the_file_with_what_was_found(
    staff_client: Client, post_upload: Any, good_and_bad_file: bytes
) -> None:
    response = post_upload(staff_client, b"just words\nno tabs\n", name="words.txt")

    assert response.status_code == 400
    page = response.content.decode()
    assert "The file was not uploaded" in page
    assert "THE FILE IS NOT FORMATTED CORRECTLY" in page and "What we found:" in page
    assert CHOOSE_AGAIN in page
    assert checked(page, "file_type") == ["txt"]


def test_it_shows_no_error_summary_on_a_fresh_page(staff_client: Client) -> None:
    page = staff_client.get(NEW).content.decode()

    assert 'id="upload-error"' not in page and CHOOSE_AGAIN not in page
    assert "aria-invalid" not in page


def test_it_keeps_the_choices_of_a_file_refused_for_its_size(
    staff_client: Client, settings: Any
) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    response = staff_client.post(
        NEW,
        {
            "file_type": "txt",
            "program": "rems",
            "mode": "submit",
            "file": SimpleUploadedFile("big.txt", b"x" * 5000),
        },
    )

    assert response.status_code == 413
    page = response.content.decode()
    items = summary_items(page)
    assert len(items) == 1 and "THE FILE IS TOO LARGE" in items[0]
    assert "PLEASE CHOOSE A FILE" not in page  # it was chosen: it was too large
    assert checked(page, "file_type") == ["txt"] and checked(page, "program") == ["rems"]
    assert Upload.objects.count() == 0
