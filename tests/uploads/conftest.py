"""Fixtures for the batch upload tests: an activity, directory physicians and learner files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from activities.models import Activity
from learners.engine.rows import BOARD_COLUMNS
from learners.models import Learner
from portal.models import Provider
from tests.factories import ActivityFactory, LearnerFactory
from uploads.models import Upload

HEADER = [title for _, title in BOARD_COLUMNS]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Every test stores its files in its own folder (and hashes test passwords cheaply)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


@pytest.fixture
def activity(provider: Provider) -> Activity:
    return ActivityFactory(
        provider=provider, title="Internal Medicine Update", boards={"ABIM": "10"}
    )


@dataclass(frozen=True)
class Physician:
    learner: Learner
    license_id: str


@pytest.fixture
def physicians(db: None) -> list[Physician]:
    names = [("Georgia", "O'Keeffe"), ("Jackson", "Pollock"), ("Claude", "Monet")]
    return [
        Physician(
            LearnerFactory(
                first_name=first,
                last_name=last,
                birth_month=11,
                birth_day=i + 1,
                license=("IL", f"0360000{i}"),
            ),
            f"0360000{i}",
        )
        for i, (first, last) in enumerate(names)
    ]


def completion_date(activity: Activity) -> str:
    day = min(date.today() - timedelta(days=5), activity.end_date)
    return f"{day:%m/%d/%Y}"


def cme_row(activity: Activity, physician: Physician, credits: str = "1.00") -> list[str]:
    learner = physician.learner
    return [
        "Add",
        activity.activity_id,
        completion_date(activity),
        learner.first_name,
        learner.last_name,
        f"{learner.birth_month:02d}/{learner.birth_day:02d}",
        "IL",
        physician.license_id,
        credits,
        *[""] * 7,
    ]


def txt_file(rows: Sequence[Sequence[str]], *, header: bool = True) -> bytes:
    lines = ([HEADER] if header else []) + [list(row) for row in rows]
    return ("\r\n".join("\t".join(cells) for cells in lines) + "\r\n").encode("utf-8")


@pytest.fixture
def good_and_bad_file(activity: Activity, physicians: list[Physician]) -> bytes:
    """Two rows that pass, one whose credits are not a multiple of 0.25 (722)."""
    return txt_file(
        [
            cme_row(activity, physicians[0]),
            cme_row(activity, physicians[1], credits="1.10"),
            cme_row(activity, physicians[2]),
        ]
    )


PostUpload = Callable[..., Any]


@pytest.fixture
def post_upload() -> PostUpload:
    def post(
        client: Client,
        data: bytes,
        *,
        name: str = "May_Learners.txt",
        file_type: str = "txt",
        program: str = "board",
        mode: str = "submit",
    ) -> Any:
        return client.post(
            reverse("uploads:new"),
            {
                "file_type": file_type,
                "program": program,
                "mode": mode,
                "file": SimpleUploadedFile(name, data),
            },
        )

    return post


def latest_upload(provider: Provider) -> Upload:
    return Upload.objects.for_provider(provider).latest("created_at", "id")
