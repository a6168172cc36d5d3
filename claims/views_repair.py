"""The repair shops' directory (agents read it to steer their clients; maintainers, managers
and administrators keep it) and the claim page's "where it was repaired" form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from brokerage.core.filters import ignored_message
from brokerage.core.forms import apply_service_errors, form_errors_text
from policies.models import Insurer

from . import repair
from .forms import RepairForm, RepairShopFilterSet, RepairShopForm
from .models import RepairShop
from .selectors import claim_for_user
from .views import _detail, _require_role

PAGE_SIZE = 50


@login_required
def shop_list(request):
    if not repair.may_read_shops(request.user):
        raise PermissionDenied
    values, ignored = RepairShopFilterSet(request.GET).read()
    if ignored:
        messages.warning(request, ignored_message(ignored))
    page = Paginator(repair.shop_list(values=values), PAGE_SIZE).get_page(request.GET.get("page"))
    query = {k: (v.pk if hasattr(v, "pk") else ("1" if v is True else v))
             for k, v in values.items() if v is not False}  # fmt: skip
    return render(
        request, "claims/repair_shop_list.html",
        {
            "page": page, "values": values, "query_string": urlencode(query),
            "insurers": Insurer.objects.order_by("name"),
            "may_edit": repair.may_edit_shops(request.user),
        },
    )  # fmt: skip


@login_required
def shop_form(request, pk=None):
    """Add a shop to the directory or change one (maintainers, managers, administrators)."""
    if not repair.may_edit_shops(request.user):
        raise PermissionDenied
    shop = get_object_or_404(RepairShop, pk=pk) if pk else None
    form = RepairShopForm(request.POST or None, instance=shop)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in repair.SHOP_FIELDS}
        try:
            shop = repair.repair_shop_save(
                shop=shop, by=request.user, data=data, insurers=form.cleaned_data["insurers"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Shop %(shop)s saved.") % {"shop": shop.name})
            return redirect("claims:repair_shops")
    return render(request, "claims/repair_shop_form.html", {"form": form, "shop": shop})


@require_POST
@login_required
def claim_repair(request, pk):
    """Record where the claim's vehicle was repaired, by whoever works the claim."""
    _require_role(request.user)
    claim = claim_for_user(user=request.user, pk=pk)
    form = RepairForm(request.POST)
    if form.is_valid():
        try:
            repair.claim_repair_record(claim=claim, by=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Repair recorded."))
            return redirect(f"{reverse('claims:detail', args=[claim.pk])}#repair")
    messages.error(
        request, _("The repair was not recorded: %(errors)s") % {"errors": form_errors_text(form)}
    )
    return _detail(request, claim, repair_form=form, status=400)
