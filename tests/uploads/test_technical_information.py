"""PARS's technical information page and its "Download XML Schema" links."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from activities.table import COLUMNS as ACTIVITY_COLUMNS
from learners.engine.rows import BOARD_COLUMNS, REMS_COLUMNS
from uploads.technical import SCHEMA_ROOT, schema_files

PAGE = reverse("technical_information")
BUNDLE = reverse("schema_bundle")


def test_it_describes_every_column_of_both_file_layouts(client: Client, db: None) -> None:
    response = client.get(PAGE)

    assert response.status_code == 200
    page = response.content.decode()
    for _, title in (*BOARD_COLUMNS, *REMS_COLUMNS):
        assert f'<td data-label="Header">{title}</td>' in page
    assert "2,500 records" in page
    assert "Error Codes" in page and "Error Messages" in page


def test_it_describes_every_column_of_the_activity_template(client: Client, db: None) -> None:
    page = client.get(PAGE).content.decode()

    for _, title in ACTIVITY_COLUMNS:
        assert f'<td data-label="Header">{title}</td>' in page
    assert "Template D" in page and "ACCMEActivities" in page


def test_it_describes_csv_files_and_what_excel_changes(client: Client, db: None) -> None:
    page = client.get(PAGE).content.decode()

    assert "<strong>Comma-Separated Values File .csv</strong>" in page
    assert "separated by commas, as Excel writes it with United States settings" in page
    assert "semicolons" in page and "<code>15-Nov</code>" in page
    assert "Fix rows in the browser" in page


def test_it_is_public_as_acmes_page_is(client: Client, db: None) -> None:
    page = client.get(PAGE).content.decode()

    assert "Download XML Schema" in page
    assert reverse("uploads:new") not in page  # the upload links are for logged-in staff


def test_it_links_every_schema_and_serves_it(client: Client, db: None) -> None:
    page = client.get(PAGE).content.decode()
    xsds = [name for name in schema_files() if name.endswith(".xsd")]

    assert "medbiq/activityreport/v2/activityreport.xsd" in xsds and len(xsds) == 9
    for name in xsds:
        url = reverse("schema_file", args=[name])
        assert f'href="{url}"' in page
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml"
        assert b"".join(response.streaming_content) == (SCHEMA_ROOT / name).read_bytes()  # type: ignore[attr-defined]


def test_it_bundles_the_schemas_in_one_zip(client: Client, db: None) -> None:
    response = client.get(BUNDLE)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="medbiq_schemas.zip"' in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        assert sorted(bundle.namelist()) == sorted(schema_files())
        assert b"ActivityReport" in bundle.read("medbiq/activityreport/v2/activityreport.xsd")
        assert b"MedBiquitous" in bundle.read("medbiq/README.md")


@pytest.mark.parametrize(
    "name",
    ["medbiq/nothing.xsd", "../technical.py", "medbiq/../../technical.py", "/etc/passwd", "medbiq"],
)
def test_it_serves_nothing_but_the_listed_schemas(client: Client, db: None, name: str) -> None:
    url = reverse("schema_file", args=["x"]).removesuffix("x") + name

    assert client.get(url).status_code == 404


def test_it_refuses_writes(client: Client, db: None) -> None:
    assert client.post(PAGE).status_code == 405
    assert client.post(BUNDLE).status_code == 405


def test_it_is_linked_where_pars_links_it(staff_client: Client) -> None:
    upload_page = staff_client.get(reverse("uploads:new")).content.decode()

    assert f'<a href="{PAGE}">technical information</a>' in upload_page
    assert f'<a href="{BUNDLE}" download>Download XML Schema</a>' in upload_page
    logged_in = staff_client.get(PAGE).content.decode()
    assert reverse("uploads:template", args=["board", "xml"]) in logged_in
