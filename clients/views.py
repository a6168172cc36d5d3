from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from brokerage.core.exports import csv_response, export_record, xlsx_response
from brokerage.core.filters import ignored_message
from brokerage.core.forms import apply_service_errors, run_posted_form
from brokerage.core.pagination import CappedPaginator

from . import services
from .duplicates import can_merge_clients, client_duplicates, client_merge_preview
from .forms import (
    BookReassignForm,
    ClientForm,
    ClientMergeForm,
    ContactPersonForm,
    DocumentForm,
    InteractionForm,
    MergeChooseForm,
    ReassignOneForm,
)
from .models import (
    Client,
    ClientDocument,
    ClientKind,
    ClientStatus,
    LeadSource,
)
from .selectors import (
    ClientFilters,
    agents_for_reassignment,
    client_for_user,
    client_history,
    client_list,
    client_timeline,
)

PAGE_SIZE = 50


def _can_assign(user) -> bool:
    return user.is_manager or user.is_maintainer or user.is_cartera_admin


@login_required
def client_list_view(request):
    filters = ClientFilters.from_query(request.GET)
    page = CappedPaginator(client_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "filters": filters,
        "query_string": urlencode(filters.as_dict()),
        "statuses": ClientStatus.choices,
        "kinds": ClientKind.choices,
        "lead_sources": LeadSource.choices,
        "owners": agents_for_reassignment(user=request.user) if _can_assign(request.user) else [],
    }
    template = "clients/client_list.html"
    if request.htmx and request.htmx.target == "client-table":
        template += "#client-table"
    elif filters.ignored:
        messages.warning(request, ignored_message(filters.ignored))
    return render(request, template, context)


@login_required
@permission_required("accounts.export_data", raise_exception=True)
def client_export(request):
    filters = ClientFilters.from_query(request.GET)
    qs = client_list(user=request.user, filters=filters)
    rows = qs.count()
    export_record(user=request.user, what="clients", filters=filters.as_dict(), rows=rows)
    header = [
        _("Name"), _("Type"), _("National ID"), _("Tax ID"), _("Phone"), _("WhatsApp"),
        _("E-mail"), _("Status"), _("Owner agent"), _("Lead source"), _("VIP tier"),
    ]  # fmt: skip
    data = (
        [
            c.display_name,
            c.get_kind_display(),
            c.national_id,
            c.tax_id,
            c.phone,
            c.whatsapp,
            c.email,
            c.get_status_display(),
            c.owner or "",
            c.get_lead_source_display(),
            c.get_vip_tier_display(),
        ]  # fmt: skip
        for c in qs.select_related("owner").prefetch_related(None).iterator(chunk_size=2000)
    )
    if request.resolver_match.url_name == "export_xlsx":
        cells = ([str(v) if v is not None else "" for v in r] for r in data)
        return xlsx_response(filename="clients.xlsx", sheet=_("Clients"), header=header, rows=cells)
    return csv_response(filename="clients.csv", header=header, rows=data)


@login_required
def client_create(request):
    kind = request.GET.get("kind", ClientKind.INDIVIDUAL)
    if kind not in ClientKind.values:
        kind = ClientKind.INDIVIDUAL
    can_assign = _can_assign(request.user)
    form = ClientForm(
        request.POST or None,
        kind=kind,
        can_assign=can_assign,
        agents=agents_for_reassignment(user=request.user),
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(
                by=request.user,
                co_agents=form.cleaned_data.get("co_agents") or (),
                **form.service_data(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Client %(name)s created.") % {"name": client})
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/client_form.html", {"form": form, "kind": kind})


@login_required
def client_edit(request, pk):
    client = client_for_user(user=request.user, pk=pk)
    # The owner and co-agents are offered only to whoever may reassign this client (the
    # owner's team decides, not visibility).
    can_assign = _can_assign(request.user) and services.client_may_reassign(
        client=client, by=request.user
    )
    form = ClientForm(
        request.POST or None,
        instance=client,
        kind=client.kind,
        can_assign=can_assign,
        agents=agents_for_reassignment(user=request.user),
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(
                client=client,
                by=request.user,
                data=form.service_data(),
                co_agents=form.cleaned_data.get("co_agents") if can_assign else None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Client %(name)s saved.") % {"name": client})
            return redirect("clients:detail", pk=client.pk)
    return render(
        request, "clients/client_form.html", {"form": form, "kind": client.kind, "client": client}
    )


@login_required
def client_detail(request, pk):
    from policies.selectors import policies_of_client, quotations_of_client

    try:
        client = client_for_user(user=request.user, pk=pk)
    except Http404:
        return _to_surviving_file(request, pk)
    services.client_record_access(client=client, user=request.user)
    return render(
        request,
        "clients/client_detail.html",
        {
            "client": client,
            "policies": list(policies_of_client(client=client)),
            "quotations": list(quotations_of_client(client=client)),
            "documents": list(client.documents.select_related("uploaded_by", "policy__insurer")),
            "timeline": client_timeline(client=client),
            "history": client_history(client=client),
            "accesses": client.accesses.select_related("user").order_by("-at")[:10],
            "interaction_form": InteractionForm(),
            "document_form": DocumentForm(),
            "contact_form": ContactPersonForm(),
            "can_merge": can_merge_clients(request.user),
            "reassign_form": ReassignOneForm(agents=agents_for_reassignment(user=request.user))
            if request.user.has_perm("accounts.manage_team")
            and services.client_may_reassign(client=client, by=request.user)
            else None,
        },
    )


def _to_surviving_file(request, pk):
    """A file merged into another leads to the one it was merged into (when the user may
    open that one); any other file the user may not see is a 404."""
    survivor = (
        Client.objects.filter(pk=pk, merged_into__isnull=False)
        .values_list("merged_into", flat=True)
        .first()
    )
    if survivor is None or not Client.objects.visible_to(request.user).filter(pk=survivor).exists():
        raise Http404
    return redirect("clients:detail", pk=survivor)


def _back_to_file(client, anchor):
    return redirect(reverse("clients:detail", args=[client.pk]) + f"#{anchor}")


@require_POST
@login_required
def interaction_create(request, pk):
    client = client_for_user(user=request.user, pk=pk)
    run_posted_form(
        request,
        InteractionForm(request.POST),
        lambda data: services.interaction_log(client=client, by=request.user, **data),
        done=_("Contact logged."),
        failed=_("The contact was not logged: %(errors)s"),
    )
    return _back_to_file(client, "timeline")


@require_POST
@login_required
def document_upload(request, pk):
    client = client_for_user(user=request.user, pk=pk)
    run_posted_form(
        request,
        DocumentForm(request.POST, request.FILES),
        lambda data: services.document_upload(
            client=client,
            by=request.user,
            kind=data["kind"],
            upload=data["file"],
            description=data["description"],
        ),
        done=_("Document kept."),
        failed=_("The document was not kept: %(errors)s"),
    )
    return _back_to_file(client, "documents")


@login_required
def document_download(request, pk):
    document = get_object_or_404(
        ClientDocument.objects.filter(
            client__in=Client.objects.visible_to(request.user).values("pk")
        ),
        pk=pk,
    )
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    # A document leaving Cartera is recorded like any export.
    export_record(
        user=request.user, what="client document",
        filters={"document": document.pk, "client": document.client_id}, rows=1,
    )  # fmt: skip
    return FileResponse(
        handle,
        as_attachment=request.GET.get("inline") != "1",
        filename=document.original_name,
        content_type=document.content_type,
    )


@require_POST
@login_required
def contact_add(request, pk):
    client = client_for_user(user=request.user, pk=pk)
    run_posted_form(
        request,
        ContactPersonForm(request.POST),
        lambda data: services.contact_person_add(client=client, by=request.user, **data),
        done=_("Contact person added."),
        failed=_("The contact person was not added: %(errors)s"),
    )
    return _back_to_file(client, "contacts")


@require_POST
@login_required
@permission_required("accounts.manage_team", raise_exception=True)
def client_reassign(request, pk):
    client = client_for_user(user=request.user, pk=pk)
    form = ReassignOneForm(request.POST, agents=agents_for_reassignment(user=request.user))
    if form.is_valid():
        try:
            services.client_reassign(client=client, to=form.cleaned_data["agent"], by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(client)s now belongs to %(agent)s, who has been introduced to the client.")
                % {"client": client, "agent": form.cleaned_data["agent"]},
            )
    else:
        messages.error(request, _("Choose an active agent of your teams."))
    return _back_to_file(client, "details")


@login_required
@permission_required("accounts.manage_team", raise_exception=True)
def book_reassign(request):
    """Managers move a departing agent's whole book to other agents, spread equally."""
    agents = agents_for_reassignment(user=request.user)
    form = BookReassignForm(request.POST or None, agents=agents)
    preview = None
    books = dict(
        Client.objects.filter(owner__in=agents)
        .values_list("owner_id")
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    if request.method == "POST" and form.is_valid():
        source = form.cleaned_data["from_agent"]
        targets = list(form.cleaned_data["to_agents"])
        total = books.get(source.pk, 0)
        if "confirm" in request.POST:
            try:
                counts = services.client_book_reassign(
                    from_agent=source,
                    to_agents=targets,
                    by=request.user,
                    notify=form.cleaned_data["notify"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(count)d clients of %(agent)s were spread over %(n)d agents.")
                    % {"count": sum(counts.values()), "agent": source, "n": len(counts)},
                )
                return redirect("clients:book_reassign")
        else:
            share, extra = divmod(total, len(targets))
            preview = {
                "source": source,
                "total": total,
                "shares": [(a, share + (1 if i < extra else 0)) for i, a in enumerate(targets)],
            }
    rows = [(agent, books.get(agent.pk, 0)) for agent in agents]
    return render(
        request,
        "clients/book_reassign.html",
        {"form": form, "preview": preview, "rows": rows},
    )


def _require_merge_right(user) -> None:
    if not can_merge_clients(user):
        raise PermissionDenied


@login_required
def client_merge(request, pk):
    """Compare a file with a possible duplicate (suggested, or chosen by its number) and see
    what a merge would move either way; the merge itself is a POST to client_merge_confirm."""
    _require_merge_right(request.user)
    client = client_for_user(user=request.user, pk=pk)
    form = MergeChooseForm(request.GET or None)
    other = None
    if form.is_valid():
        other = (
            Client.objects.visible_to(request.user)
            .exclude(pk=client.pk)
            .select_related("owner")
            .filter(pk=form.cleaned_data["other"])
            .first()
        )
        if other is None:
            form.add_error("other", _("There is no other client file with this number."))
    rows = []
    if other is not None:
        counts = client_merge_preview(clients=[client, other])
        rows = [
            (label, mine, theirs)
            for (label, mine), (_label, theirs) in zip(
                counts[client.pk], counts[other.pk], strict=True
            )
        ]
    candidates = client_duplicates(
        user=request.user,
        national_id=client.national_id,
        tax_id=client.tax_id,
        display_name=client.display_name,
        phones=[client.phone, client.phone_other, client.whatsapp],
        exclude_pk=client.pk,
    )
    return render(
        request,
        "clients/client_merge.html",
        {"client": client, "other": other, "form": form, "rows": rows, "candidates": candidates},
    )


@require_POST
@login_required
def client_merge_confirm(request):
    _require_merge_right(request.user)
    form = ClientMergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for e in form.errors.values() for m in e))
        return redirect("clients:list")
    # Not visible_to: a file merged already is in no one's book, and merging it again must
    # answer "done" (maintainers and administrators, the only ones here, see every file).
    files = Client.objects.in_bulk([form.cleaned_data["survivor"], form.cleaned_data["merged"]])
    survivor = files.get(form.cleaned_data["survivor"])
    merged = files.get(form.cleaned_data["merged"])
    if survivor is None or merged is None:
        raise Http404
    try:
        moved = services.client_merge(survivor=survivor, merged=merged, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        if survivor.merged_into_id:
            return redirect("clients:list")
        return redirect(reverse("clients:merge", args=[survivor.pk]) + f"?other={merged.pk}")
    if moved:
        what = pgettext("list separator", ", ").join(
            pgettext("what was moved and how many", "%(what)s: %(count)d")
            % {"what": label, "count": count}
            for label, count in moved
            if count
        )
        messages.success(
            request,
            _("%(merged)s (no. %(merged_pk)d) was merged into this file. Moved: %(what)s.")
            % {
                "merged": merged,
                "merged_pk": merged.pk,
                "what": what or _("nothing"),
            },
        )
    else:
        messages.info(request, _("These files had already been merged: nothing changed."))
    return redirect("clients:detail", pk=survivor.pk)
