from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from brokerage.core.exports import export_record, xlsx_response

from . import services
from .errors import render as render_error
from .fields import FIELDS_BY_KIND
from .forms import MappingForm, UploadForm
from .models import ImportJob, JobStatus, RowLevel
from .reader import ReportError

PERMISSION = "accounts.import_reports"


def _job(pk) -> ImportJob:
    jobs = ImportJob.objects.select_related("insurer", "uploaded_by", "discarded_by")
    return get_object_or_404(jobs, pk=pk)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_list(request):
    """Upload a report; the imports so far."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job, created = services.job_upload(
                insurer=form.cleaned_data["insurer"], by=request.user, name=upload.name,
                file=upload, kind=form.cleaned_data["kind"],
            )  # fmt: skip
        except ReportError as exc:
            form.add_error("file", str(exc))
        else:
            if not created:
                messages.info(
                    request,
                    _("You had already uploaded this file for this insurer: here is its import."),
                )
            return redirect("imports:mapping", pk=job.pk)
    listed = ImportJob.objects.exclude(status=JobStatus.DISCARDED)
    jobs = Paginator(listed.select_related("insurer", "uploaded_by"), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "imports/import_list.html", {"form": form, "page": jobs})


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_mapping(request, pk):
    """Map the file's columns to Cartera's fields (suggested, or the insurer's saved mapping),
    then see the dry run, which runs as a task. The page shows the header and first rows read
    on upload: it never parses the file again."""
    job = _job(pk)
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.DISCARDED):
        return redirect("imports:detail", pk=job.pk)
    if not job.sample:
        try:
            services.sample_load(job)
        except ReportError as exc:
            messages.error(request, str(exc))
    sample = job.sample
    headers = sample.get("headers", [])
    form = MappingForm(request.POST or None, job=job, headers=headers)
    if request.method == "POST" and job.in_dry_run:
        messages.warning(request, _("The dry run is running: change the mapping once it ends."))
        return redirect("imports:mapping", pk=job.pk)
    if request.method == "POST" and form.is_valid():
        services.mapping_save(job=job, by=request.user, columns=form.cleaned_data)
        services.dry_run_queue(job_id=job.pk)
        return redirect("imports:detail", pk=job.pk)
    shown = [i for i, h in enumerate(headers) if h]
    samples = [
        [cells[i] if i < len(cells) else "" for i in shown] for _n, cells in sample.get("rows", [])
    ]
    return render(
        request,
        "imports/import_mapping.html",
        {"job": job, "form": form, "samples": samples, "sheets": sample.get("sheets", []),
         "headers": [headers[i] for i in shown]},
    )  # fmt: skip


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def import_sheet(request, pk):
    """Read the report from another sheet of its workbook (remembered with the mapping)."""
    job = _job(pk)
    if job.status not in (JobStatus.UPLOADED, JobStatus.PREVIEWED):
        messages.warning(request, _("The sheet can be changed only before the import."))
        return redirect("imports:mapping", pk=job.pk)
    try:
        services.sheet_choose(job=job, sheet=request.POST.get("sheet", ""))
    except ReportError as exc:
        messages.error(request, str(exc))
    return redirect("imports:mapping", pk=job.pk)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_detail(request, pk):
    """The dry run (counts, first rows as mapped, every error) and, once committed, the
    progress and what changed since the last import of this insurer."""
    job = _job(pk)
    errors = Paginator(job.row_errors.all(), 100).get_page(request.GET.get("page"))
    warnings = job.row_errors.filter(level=RowLevel.WARNING).exists()
    return render(
        request,
        "imports/import_detail.html",
        {"job": job, "errors": errors, "page": errors, "fields": FIELDS_BY_KIND[job.kind],
         "warnings": warnings},
    )  # fmt: skip


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_discard(request, pk):
    """Discard an import that was never committed (an upload left unmapped, a dry run not
    imported): its uploader or a maintainer confirms, then the job leaves the list and its
    file is deleted."""
    job = _job(pk)
    if not job.may_discard(request.user):
        raise PermissionDenied
    if not job.discardable:
        messages.error(request, _("Only an import that was never committed can be discarded."))
        return redirect("imports:detail", pk=job.pk)
    if request.method == "POST":
        try:
            services.job_discard(job=job, by=request.user)
        except services.NotDiscardable:
            messages.error(request, _("Only an import that was never committed can be discarded."))
            return redirect("imports:detail", pk=job.pk)
        messages.success(
            request, _("The import of “%(name)s” was discarded.") % {"name": job.original_name}
        )
        return redirect("imports:list")
    return render(request, "imports/import_discard.html", {"job": job})


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def import_commit(request, pk):
    """Queue the commit once: the job is claimed with a conditional update, so a double click
    queues one task."""
    if services.commit_queue(job_id=pk):
        messages.success(request, _("The import is running."))
    else:
        messages.warning(request, _("This import is not waiting for a commit."))
    return redirect("imports:detail", pk=pk)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_progress(request, pk):
    """The progress bar's partial; once the job ends the page reloads to show the outcome."""
    job = _job(pk)
    if not job.in_progress:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/_progress.html", {"job": job})


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_errors_xlsx(request, pk):
    job = _job(pk)
    rows = job.row_errors.values_list("row", "column", "value", "reason", "code", "params")
    export_record(user=request.user, what="import errors", filters={"job": job.pk},
                  rows=rows.count())  # fmt: skip
    # The reason in the reader's language (old rows without a code: as stored).
    rendered = (
        (row, column, value, render_error(code, params, fallback=reason))
        for row, column, value, reason, code, params in rows.iterator()
    )
    return xlsx_response(
        filename=f"import-{job.pk}-errors.xlsx",
        sheet=_("Errors"),
        header=[_("Row"), _("Column"), _("Value"), _("Reason")],
        rows=rendered,
    )
