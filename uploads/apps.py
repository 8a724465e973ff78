from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = "Batch uploads"

    def ready(self) -> None:
        from uploads.models import Upload
        from uploads.signals import upload_files_delete_on_commit

        post_delete.connect(
            upload_files_delete_on_commit, sender=Upload, dispatch_uid="upload-files-delete"
        )
