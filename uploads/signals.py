"""An upload's stored files go with it: deleting the row (admin, ORM, clean-up) deletes them."""

from __future__ import annotations

import logging
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from uploads.models import Upload

logger = logging.getLogger(__name__)


def upload_files_delete_on_commit(sender: type[Upload], instance: Upload, **kwargs: Any) -> None:
    """post_delete: once the deletion is committed (never for a rolled-back one), drop the files."""
    names = [
        str(f.name) for f in (instance.file, instance.report_file, instance.report_csv_file) if f
    ]
    if names:
        transaction.on_commit(lambda: stored_files_delete(names), using=kwargs.get("using"))


def stored_files_delete(names: list[str]) -> None:
    """Delete stored files by name; a file already gone, or a storage hiccup, is only logged."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            # The row is gone either way; the nightly clean-up can't find these files again,
            # so say which ones were left behind.
            logger.exception("Could not delete the stored file %s", name)
