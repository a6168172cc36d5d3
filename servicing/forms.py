from datetime import timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brokerage.core.filters import FlagFilter, ListFilterSet, TextFilter
from clients.models import Client
from clients.search import search_q

from .models import (
    AGENT_SEARCHES,
    OPEN_STATUSES,
    CaseClass,
    CaseOutcome,
    CaseSource,
    ItemState,
    PartyRole,
    Relation,
    RequestKind,
    RequestStatus,
    ServiceCase,
    ServiceItem,
    ServiceRequest,
)
from .parties import id_number_error, parties_errors

# A request is due this many days after it is made unless the form says otherwise.
REQUEST_DUE_DAYS = 15
SHARE = {"max_digits": 5, "decimal_places": 2, "required": False}
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _SmallWidgets:
    """Bootstrap's small inputs, for forms shown as table rows."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(field.widget, forms.HiddenInput | forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-control form-control-sm")


class PartyFieldsForm(_SmallWidgets, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    relation = forms.ChoiceField(
        label=_("Relation to the insured"), choices=[("", "—"), *Relation.choices],
        required=False,
    )  # fmt: skip
    id_number = forms.CharField(label=_("ID number"), max_length=32, required=False)
    share = forms.DecimalField(label=_("Share (%)"), **SHARE)

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        if (message := id_number_error(value)) is not None:
            raise forms.ValidationError(message)
        return value


class PartyForm(PartyFieldsForm):
    """One party on the parties page (``id`` for one already recorded)."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The role extra rows start with: a blank row left as it is counts as unchanged.
    role = forms.ChoiceField(
        label=_("Role"), choices=PartyRole.choices, initial=PartyRole.BENEFICIARY
    )

    field_order = ["id", "role", "name", "relation", "id_number", "share"]


class _PartySetMixin:
    """The set's rules (parties.parties_errors) put on the rows' fields and on the set."""

    role: str | None = None

    def _rows(self):
        """The rows of the set: every row shown filled in (a party already recorded, left as
        it was, is still one) and every extra row typed in; the ones to remove left out."""
        forms_ = [
            f for index, f in enumerate(self.forms)
            if (index < self.initial_form_count() or f.has_changed())
            and not (self.can_delete and self._should_delete_form(f))
        ]  # fmt: skip
        return forms_, [
            {**f.cleaned_data, "role": self.role or f.cleaned_data.get("role")} for f in forms_
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not 0 <= self.initial_form_count() <= self.total_form_count():
            # A tampered count would drop the rows already recorded (and so the parties).
            raise forms.ValidationError(
                _("The form arrived incomplete: open the page again and save once more.")
            )
        forms_, rows = self._rows()
        errors = parties_errors(rows, only=self.role)
        for index, fields in errors.rows.items():
            for field, message in fields.items():
                forms_[index].add_error(field if field in forms_[index].fields else None, message)
        if errors.whole:
            raise forms.ValidationError(errors.whole)

    def parties(self) -> list[dict]:
        return self._rows()[1]


class PartyFormSet(_PartySetMixin, forms.BaseFormSet):
    pass


class ProposedPartyFormSet(_PartySetMixin, forms.BaseFormSet):
    """The new beneficiaries or policyholder of a change request (``role`` set by the view
    from the request's type; no role: no rows allowed)."""

    def clean(self):
        if self.role is None:
            if any(f.has_changed() for f in self.forms):
                raise forms.ValidationError(
                    _("Only a beneficiary or policyholder change names new parties.")
                )
            return
        super().clean()


def party_formset(data=None, *, initial=None):
    cls = forms.formset_factory(
        PartyForm, formset=PartyFormSet, extra=2, can_delete=True, max_num=30,
        validate_max=True,
    )  # fmt: skip
    return cls(data, initial=initial, prefix="parties")


def proposed_formset(data=None, *, role=None):
    cls = forms.formset_factory(
        PartyFieldsForm, formset=ProposedPartyFormSet, extra=4, max_num=20, validate_max=True
    )
    formset = cls(data, prefix="new")
    formset.role = role
    return formset


class ServiceRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=RequestKind.choices)
    due_on = forms.DateField(label=_("Due on"), widget=DATE_INPUT)
    notes = forms.CharField(
        label=_("Notes"), max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    documents = forms.ModelMultipleChoiceField(
        label=_("Documents"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The client's documents sent with the request."),
    )  # fmt: skip

    def __init__(self, *args, documents, **kwargs):
        kwargs.setdefault(
            "initial", {"due_on": timezone.localdate() + timedelta(days=REQUEST_DUE_DAYS)}
        )
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = documents

    def clean_due_on(self):
        value = self.cleaned_data["due_on"]
        if not timezone.localdate() <= value <= timezone.localdate() + timedelta(days=366):
            raise forms.ValidationError(_("Give a due date from today to a year ahead."))
        return value


class AttachForm(forms.Form):
    documents = forms.ModelMultipleChoiceField(
        label=_("Documents"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = documents


class RequestStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=())
    reason = forms.CharField(
        label=_("Why it was rejected"), max_length=255, required=False,
        help_text=_("Needed when the request is rejected."),
    )  # fmt: skip

    def __init__(self, *args, request: ServiceRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (status, RequestStatus(status).label) for status in request.allowed_statuses
        ]
        if request.kind == RequestKind.REINSTATEMENT and RequestStatus.DONE in dict(
            self.fields["status"].choices
        ):
            self.fields["end_date"] = forms.DateField(
                label=_("The policy's new end date"), required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
                help_text=_("When the reinstatement is done and the policy's term has ended "
                            "(%(end)s): the end date the insurer set.")
                % {"end": request.policy.end_date.isoformat()},
            )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("status") == RequestStatus.REJECTED and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why it was rejected."))
        return data


class RequestFilterSet(ListFilterSet):
    """The service requests list's URL parameters."""

    q = TextFilter(length=60, label=_("client or policy"), method="by_text")
    status = django_filters.ChoiceFilter(
        choices=RequestStatus.choices, label=_("status"), method="by_field"
    )
    kind = django_filters.ChoiceFilter(
        choices=RequestKind.choices, label=_("type"), method="by_field"
    )
    overdue = FlagFilter(label=_("overdue"), method="by_overdue")

    class Meta:
        model = ServiceRequest
        fields = []

    def by_text(self, qs, name, value):
        from django.db.models import Q

        from clients.search import compact

        condition = Q(policy__holder__in=Client.objects.filter(search_q(value, matchers=False)))
        if code := compact(value):
            condition |= Q(policy__number_key=code)
        return qs.filter(condition)

    def by_field(self, qs, name, value):
        return qs.filter(**{name: value})

    def by_overdue(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(status__in=OPEN_STATUSES, due_on__lt=timezone.localdate())


# Open cases by age since they were opened: (code, label, first day, last day or None).
AGE_BUCKETS = (
    ("week", _("Up to 7 days"), 0, 7),
    ("month", _("8 to 30 days"), 8, 30),
    ("quarter", _("31 to 90 days"), 31, 90),
    ("older", _("Over 90 days"), 91, None),
)


def age_range(code: str, today):
    """The opened_at bounds of an age bucket: (earliest day or None, latest day)."""
    for value, _label, first, last in AGE_BUCKETS:
        if value == code:
            return (today - timedelta(days=last) if last is not None else None,
                    today - timedelta(days=first))  # fmt: skip
    raise KeyError(code)


class CaseFilterSet(ListFilterSet):
    """The service cases list's URL parameters (the manager's view drills down to it)."""

    case_class = django_filters.ChoiceFilter(
        choices=CaseClass.choices, label=_("class"), method="by_field"
    )
    age = django_filters.ChoiceFilter(
        choices=[(code, label) for code, label, _f, _l in AGE_BUCKETS], label=_("age"),
        method="by_age",
    )  # fmt: skip
    source = django_filters.ChoiceFilter(
        choices=CaseSource.choices, label=_("source"), method="by_field"
    )
    closed = FlagFilter(label=_("closed cases"), method="by_closed")

    class Meta:
        model = ServiceCase
        fields = []

    def by_field(self, qs, name, value):
        return qs.filter(**{name: value})

    def by_age(self, qs, name, value):
        from .selectors import day_start

        earliest, latest = age_range(value, timezone.localdate())
        qs = qs.filter(opened_at__lt=day_start(latest + timedelta(days=1)))
        if earliest is not None:
            qs = qs.filter(opened_at__gte=day_start(earliest))
        return qs

    def by_closed(self, qs, name, value):
        return qs.filter(closed_at__isnull=not value)


class CaseClassForm(forms.Form):
    case_class = forms.ChoiceField(label=_("Class"), choices=CaseClass.choices)


class CaseItemForm(forms.Form):
    item = forms.ChoiceField(label=_("Service item"), choices=ServiceItem.choices)
    state = forms.ChoiceField(label=_("State"), choices=ItemState.choices)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class CaseSearchForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Search method"), choices=[(m.value, m.label) for m in AGENT_SEARCHES]
    )
    note = forms.CharField(label=_("What came of it"), max_length=255, required=False)


class CaseCloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=())
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, case: ServiceCase, **kwargs):
        super().__init__(*args, **kwargs)
        outcomes = {
            CaseClass.NORMAL: [CaseOutcome.SERVED],
            CaseClass.DIFFICULT: [CaseOutcome.UNREACHABLE],
            CaseClass.LAPSED: [CaseOutcome.REINSTATEMENT, CaseOutcome.DECLINED],
        }[case.case_class]
        self.fields["outcome"].choices = [(o.value, o.label) for o in outcomes]


class ReinstatementForm(forms.Form):
    policy = forms.ModelChoiceField(label=_("Lapsed policy"), queryset=None)
    due_on = forms.DateField(label=_("Due on"), widget=DATE_INPUT)

    def __init__(self, *args, policies, shown=None, **kwargs):
        """``shown``: the lapsed policies the page already read; when there is only one,
        it is chosen (nothing to choose)."""
        kwargs.setdefault(
            "initial", {"due_on": timezone.localdate() + timedelta(days=REQUEST_DUE_DAYS)}
        )
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = policies
        if shown is not None and len(shown) == 1:
            self.fields["policy"].initial = shown[0].pk
            self.fields["policy"].empty_label = None

    def clean_due_on(self):
        value = self.cleaned_data["due_on"]
        if not timezone.localdate() <= value <= timezone.localdate() + timedelta(days=366):
            raise forms.ValidationError(_("Give a due date from today to a year ahead."))
        return value
