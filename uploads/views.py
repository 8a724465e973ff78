"""Batch Upload Learners: upload new file, duplicate prompt, processing page, history, downloads.

Thin: parse the request, scope to the user's provider, call a service, render. Every URL with an
upload id goes through `_provider_upload` (another provider's upload is a 404).
"""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.files import activities_xml_sample, activity_template_txt, activity_template_xlsx
from learners.engine.programs import Program
from learners.formats.templates import text_template, xlsx_template
from portal.access import provider_required
from portal.paging import page_of
from uploads import refusals, samples
from uploads.corrections import chain_open_count, chain_root, is_fixable
from uploads.forms import ConfirmForm, HistoryFilterForm, UploadForm
from uploads.handlers import UploadTooLargeHandler, upload_too_large
from uploads.history import upload_history_list, upload_history_rows
from uploads.models import FileType, Mode, Upload, UploadKind, UploadStatus
from uploads.pdf import upload_summary_pdf
from uploads.refusals import Refusal, UploadRefused
from uploads.services import (
    IncomingFile,
    upload_cancel_queued,
    upload_confirm,
    upload_create,
    upload_discard,
    upload_find_duplicate,
)
from uploads.status import upload_situation

FILE_TYPE_LABELS = [
    (FileType.TXT, "Tab Delimited File .txt"),
    (FileType.CSV, "Comma-Separated Values File .csv"),
    (FileType.XML, "Extensible Markup Language .xml"),
    (FileType.XLSX, "Excel Workbook .xlsx"),
]
HISTORY_PER_PAGE = 25
REPORT_CONTENT_TYPES = {"txt": "text/plain; charset=utf-8", "csv": "text/csv; charset=utf-8"}
TEMPLATE_CONTENT_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xml": "application/xml; charset=utf-8",
}


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _provider_upload(request: HttpRequest, upload_id: int) -> Upload:
    provider = request.provider  # type: ignore[attr-defined]
    return get_object_or_404(
        Upload.objects.for_provider(provider).select_related("user", "corrects"), pk=upload_id
    )


# Exempt only to put the size cap in place before the CSRF check reads the body: the view
# itself is protected (csrf_protect below), as Django's docs show for upload handlers.
@csrf_exempt
def upload_new(request: HttpRequest) -> HttpResponse:
    request.upload_handlers.insert(0, UploadTooLargeHandler(request))
    return _upload_new(request)


@csrf_protect
@require_http_methods(["GET", "POST"])
@provider_required
def _upload_new(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    if request.method == "GET":
        return _render_new(request, UploadForm(provider=provider))
    form = UploadForm(request.POST, request.FILES, provider=provider)
    valid = form.is_valid()
    too_large = upload_too_large(request)
    if too_large is not None:
        # The file was not missing: its reading was stopped for its size.
        form.errors.pop("file", None)
        form.add_refusal("file", refusals.too_large(too_large))
        return _render_new(request, form, status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    if not valid:
        return _render_new(request, form, status=HTTPStatus.BAD_REQUEST)
    uploaded = form.cleaned_data["file"]
    try:
        intake = upload_create(
            provider=provider,
            user=request.user,
            file_type=form.cleaned_data["file_type"],
            program=form.cleaned_data["program"],
            mode=form.cleaned_data["mode"],
            kind=form.cleaned_data["kind"],
            incoming=IncomingFile(name=uploaded.name[:255], size=uploaded.size, open=uploaded.open),
        )
    except UploadRefused as refusal:
        return _render_new(request, form, refusal=refusal, status=refusal.status)
    if intake.duplicate_of is not None:
        return _render_duplicate(request, intake.upload, intake.duplicate_of, status=409)
    return _see_other(reverse("uploads:detail", args=[intake.upload.pk]))


def _render_new(
    request: HttpRequest,
    form: UploadForm,
    *,
    refusal: UploadRefused | None = None,
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    """The upload page; after an error, the choices made are kept and every problem is listed."""
    provider = request.provider  # type: ignore[attr-defined]
    context = {
        "nav": "uploads",
        "form": form,
        "refusal": refusal,
        "errors": form.error_list() if form.is_bound else [],
        "selected": {
            "kind": form.data.get("kind", "") or request.GET.get("kind") or UploadKind.LEARNERS,
            "file_type": form.data.get("file_type", ""),
            "program": form.data.get("program", ""),
        },
        "file_types": FILE_TYPE_LABELS,
        "rems_available": provider.participates_in_rems,
        "active": Upload.objects.for_provider(provider).active().first(),
        "max_records": f"{settings.UPLOAD_MAX_RECORDS:,}",
        "max_megabytes": f"{settings.UPLOAD_MAX_BYTES / (1024 * 1024):g}",
    }
    return render(request, "uploads/new.html", context, status=status)


def _render_duplicate(
    request: HttpRequest,
    upload: Upload,
    previous: Upload | None,
    *,
    status: int,
    refusal: UploadRefused | None = None,
) -> HttpResponse:
    same_name = (
        previous is not None and previous.original_name.lower() == upload.original_name.lower()
    )
    context = {
        "nav": "uploads",
        "upload": upload,
        "previous": previous,
        "same_name": same_name,
        "same_content": previous is not None and previous.sha256 == upload.sha256,
        "file_type_label": upload.get_file_type_display(),
        "refusal": refusal,
    }
    return render(request, "uploads/duplicate.html", context, status=status)


def _previous_of(upload: Upload) -> Upload | None:
    return upload_find_duplicate(
        provider=upload.provider,
        name=upload.original_name,
        file_type=upload.file_type,
        size=upload.size,
        sha256=upload.sha256,
        kind=upload.kind,
    )


@require_POST
@provider_required
def upload_confirm_view(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = _provider_upload(request, upload_id)
    if upload.user_id != request.user.pk:
        raise Http404("Only the person who chose the file can answer for it.")
    if upload.status != UploadStatus.PENDING:
        # A second click, or the answer came from another tab: show where the upload is.
        return _see_other(reverse("uploads:detail", args=[upload.pk]))
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        refusal = UploadRefused(
            refusal=Refusal.FORM, message="PLEASE ANSWER “YES, UPLOAD FILE” OR “NO, DON'T UPLOAD”."
        )
        return _render_duplicate(request, upload, _previous_of(upload), status=400, refusal=refusal)
    provider = request.provider  # type: ignore[attr-defined]
    try:
        if form.cleaned_data["decision"] == "yes":
            upload_confirm(provider=provider, user=request.user, upload_id=upload.pk)
            return _see_other(reverse("uploads:detail", args=[upload.pk]))
        upload_discard(provider=provider, user=request.user, upload_id=upload.pk)
    except UploadRefused as refusal:
        upload.refresh_from_db()
        return _render_duplicate(
            request, upload, _previous_of(upload), status=refusal.status, refusal=refusal
        )
    messages.info(request, f"{upload.original_name} was not uploaded.")
    return _see_other(reverse("uploads:new"))


@require_GET
@provider_required
def upload_detail(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = _provider_upload(request, upload_id)
    if upload.status == UploadStatus.PENDING:
        if upload.user_id != request.user.pk:
            raise Http404("This file is waiting for its uploader's answer.")
        return _render_duplicate(request, upload, _previous_of(upload), status=200)
    return _render_detail(request, upload)


def _render_detail(
    request: HttpRequest, upload: Upload, refusal: UploadRefused | None = None
) -> HttpResponse:
    context = {
        "nav": "uploads",
        "upload": upload,
        "situation": upload_situation(upload, now=timezone.now()),
        "refusal": refusal,
        "to_fix": _rows_to_fix(upload),
    }
    status = refusal.status if refusal else 200
    return render(request, "uploads/detail.html", context, status=status)


@require_GET
@provider_required
def upload_status(request: HttpRequest, upload_id: int) -> HttpResponse:
    """The fragment htmx polls every second or two while the upload runs."""
    upload = _provider_upload(request, upload_id)
    situation = upload_situation(upload, now=timezone.now())
    context = {"upload": upload, "situation": situation, "to_fix": _rows_to_fix(upload)}
    return render(request, "uploads/_status.html", context)


def _rows_to_fix(upload: Upload) -> int:
    """Rows of the upload's chain still to fix in the browser, once it is processed."""
    if upload.status != UploadStatus.COMPLETED or upload.is_check:
        return 0
    root = chain_root(upload)
    return chain_open_count(root) if is_fixable(root) else 0


@require_POST
@provider_required
def upload_cancel_view(request: HttpRequest, upload_id: int) -> HttpResponse:
    """ "Cancel this upload" on a queued upload's page: the provider's lock is released at once."""
    upload = _provider_upload(request, upload_id)
    try:
        upload_cancel_queued(
            provider=request.provider,  # type: ignore[attr-defined]
            user=request.user,
            upload_id=upload.pk,
        )
    except UploadRefused as refusal:
        upload.refresh_from_db()
        return _render_detail(request, upload, refusal)
    messages.info(request, f"The upload of {upload.original_name} was cancelled.")
    return _see_other(reverse("uploads:detail", args=[upload.pk]))


@require_GET
@provider_required
def upload_history(request: HttpRequest) -> HttpResponse:
    provider = request.provider  # type: ignore[attr-defined]
    form = HistoryFilterForm(request.GET)
    context: dict[str, object] = {
        "nav": "uploads",
        "form": form,
        "retention_days": settings.UPLOAD_RETENTION.days,
    }
    if not form.is_valid():
        return render(request, "uploads/history.html", {**context, "page": None}, status=400)
    uploads = upload_history_list(
        provider=provider,
        since=timezone.now() - settings.UPLOAD_RETENTION,
        filters=form.filters(),
    )
    context["page"] = page_of(request, uploads, HISTORY_PER_PAGE)
    context["filtered"] = any(form.cleaned_data.values())
    return render(request, "uploads/history.html", context)


@require_GET
@provider_required
def upload_history_row(request: HttpRequest, upload_id: int) -> HttpResponse:
    """One history row: htmx polls it while the upload runs (the final row stops the polling)."""
    provider = request.provider  # type: ignore[attr-defined]
    # An upload waiting for confirmation is not in the history: a 404 like any unknown id.
    upload = get_object_or_404(upload_history_rows(provider=provider), pk=upload_id)
    return render(request, "uploads/_history_row.html", {"u": upload})


@require_GET
@provider_required
def upload_summary(request: HttpRequest, upload_id: int) -> HttpResponse:
    """The Submitted Learner Summary Report PDF ("View" in the history) of what was stored."""
    upload = _provider_upload(request, upload_id)
    if (
        upload.status != UploadStatus.COMPLETED
        or upload.mode != Mode.SUBMIT
        or upload.is_activities
    ):
        raise Http404("Only a processed upload has a learner summary.")
    exported_by = getattr(request.user, "email", "") or str(request.user)
    pdf = upload_summary_pdf(upload=upload, exported_by=exported_by)
    stamp = timezone.localtime().strftime("%Y_%m_%d_%H_%M_%S")
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="submitted_learners_{stamp}.pdf"'},
    )


@require_GET
@provider_required
def upload_rejected(request: HttpRequest, upload_id: int, fmt: str) -> HttpResponse:
    """The rejected rows as a file to correct and upload again."""
    upload = _provider_upload(request, upload_id)
    stored = upload.report_file if fmt == "txt" else upload.report_csv_file
    if not stored or upload.files_removed_at is not None:
        raise Http404("This upload has no rejected-rows report (or it has been removed).")
    try:
        with stored.open("rb") as handle:
            data = handle.read()  # a report of at most 2,500 rows: small
    except FileNotFoundError as exc:
        raise Http404("The report file is no longer stored.") from exc
    stamp = timezone.localtime().strftime("%Y_%m_%d_%H_%M_%S")
    return HttpResponse(
        data,
        content_type=REPORT_CONTENT_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="rejected_{upload.kind}_{stamp}.{fmt}"'
        },
    )


@require_GET
@provider_required
def template_download(request: HttpRequest, program: str, ext: str) -> HttpResponse:
    """The learner-file templates (.txt, .csv, .xlsx) and a sample .xml file; the same for activities."""
    if program == UploadKind.ACTIVITIES:
        return _activity_template(ext)
    if (
        program not in Program.values
        or ext not in TEMPLATE_CONTENT_TYPES
        or (ext == "xml" and program != Program.BOARD)
    ):
        raise Http404("No such template.")
    if ext in ("txt", "csv"):
        data = text_template(program, file_type=ext)
    elif ext == "xlsx":
        data = xlsx_template(program)
    else:
        data = samples.learner_reports_xml_sample(today=timezone.localdate())
    name = "learner_reports_sample.xml" if ext == "xml" else f"{program}_learner_template.{ext}"
    return HttpResponse(
        data,
        content_type=TEMPLATE_CONTENT_TYPES[ext],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _activity_template(ext: str) -> HttpResponse:
    if ext not in TEMPLATE_CONTENT_TYPES:
        raise Http404("No such template.")
    if ext == "txt":
        data = activity_template_txt()
    elif ext == "xlsx":
        data = activity_template_xlsx()
    else:
        data = activities_xml_sample(today=timezone.localdate())
    name = "activities_sample.xml" if ext == "xml" else f"activity_template.{ext}"
    return HttpResponse(
        data,
        content_type=TEMPLATE_CONTENT_TYPES[ext],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
