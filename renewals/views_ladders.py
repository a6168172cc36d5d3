"""Ladder settings: which days a renewal is touched, at which stage, with which message to the
client, and which ladder serves which insurer or line. Managers and admins only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from brokerage.core.forms import apply_service_errors, run_posted_form
from policies.models import Line

from . import ladder_services
from .forms import LadderForm, LadderRuleForm, RungFormSet, rungs_from_formset
from .models import Ladder, LadderRule, Stage

PERMISSION = "renewals.change_ladder"
CHANNEL_LABELS = {"email": gettext_lazy("E-mail"), "whatsapp": gettext_lazy("WhatsApp")}


def _rung_rows(ladder: Ladder) -> list[dict]:
    rows = []
    for rung in sorted(ladder.rungs, key=lambda r: -r["days"]):
        stage = rung.get("stage", "")
        message = rung.get("message") or ""
        rows.append(
            {
                "days": rung["days"],
                "stage": Stage(stage).label if stage in Stage.values else stage,
                "message": str(CHANNEL_LABELS.get(message, message)) if message else "",
            }
        )
    return rows


@login_required
@permission_required(PERMISSION, raise_exception=True)
def ladder_list_view(request):
    ladders = list(Ladder.objects.order_by("-is_default", "name"))
    rules = sorted(
        LadderRule.objects.select_related("ladder", "insurer"),
        key=lambda r: (-r.specificity, r.insurer.name if r.insurer_id else "", r.line),
    )
    line_labels = dict(Line.choices)
    rule_rows = [
        {"rule": rule, "line": line_labels.get(rule.line, rule.line) if rule.line else ""}
        for rule in rules
    ]
    return render(
        request,
        "renewals/ladder_list.html",
        {
            "ladders": [{"ladder": ladder, "rungs": _rung_rows(ladder)} for ladder in ladders],
            "default_ladder": next((ladder for ladder in ladders if ladder.is_default), None),
            "rule_rows": rule_rows,
            "rule_form": LadderRuleForm(),
        },
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
def ladder_edit_view(request, pk=None):
    ladder = get_object_or_404(Ladder, pk=pk) if pk else None
    data = request.POST if request.method == "POST" else None
    form = LadderForm(data, initial=LadderForm.initial_for(ladder))
    formset = RungFormSet(data, initial=ladder.rungs if ladder else None, prefix="rungs")
    rung_errors: list[str] = []
    if data is not None:
        # Both are checked, so that every mistake shows at once.
        form_ok, formset_ok = form.is_valid(), formset.is_valid()
        if form_ok and formset_ok:
            try:
                saved = ladder_services.ladder_save(
                    ladder=ladder, by=request.user, rungs=rungs_from_formset(formset),
                    **form.cleaned_data,
                )  # fmt: skip
            except ValidationError as exc:
                # The rungs' errors go above the rungs; the others on the ladder's fields.
                if hasattr(exc, "error_dict") and "rungs" in exc.error_dict:
                    rung_errors = ValidationError(exc.error_dict.pop("rungs")).messages
                if not hasattr(exc, "error_dict") or exc.error_dict:
                    apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Ladder “%(name)s” saved. It applies to the touches created from now on.")
                    % {"name": saved.display_name},
                )
                return redirect("renewals:ladders")
    return render(
        request,
        "renewals/ladder_form.html",
        {"ladder": ladder, "form": form, "formset": formset, "rung_errors": rung_errors},
    )


@require_POST
@login_required
@permission_required(PERMISSION, raise_exception=True)
def rule_add_view(request):
    run_posted_form(
        request,
        LadderRuleForm(request.POST),
        lambda data: ladder_services.ladder_rule_add(by=request.user, **data),
        done=_("Rule added. It applies to the renewal cases opened from now on."),
        failed=_("The rule was not added: %(errors)s"),
    )
    return redirect("renewals:ladders")


@require_POST
@login_required
@permission_required(PERMISSION, raise_exception=True)
def rule_delete_view(request, pk):
    rule = get_object_or_404(LadderRule, pk=pk)
    ladder_services.ladder_rule_delete(rule=rule, by=request.user)
    messages.success(request, _("Rule deleted."))
    return redirect("renewals:ladders")
