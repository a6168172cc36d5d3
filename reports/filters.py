"""The filters every report takes from its URL: a date range, team, agent, insurer and line.
What is not understood is said and set aside; a range is never longer than three years."""

from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from brokerage.accounts.models import Team, User
from brokerage.accounts.selectors import teams_visible_to
from brokerage.core.filters import FIRST_DAY, LAST_DAY, DayField, PkField, read_form, shown
from clients.selectors import agents_for_reassignment
from policies.models import Currency, Insurer, Line

MAX_YEARS = 3
GROUPINGS = ("month", "agent", "team", "insurer", "line")


def teams_for(user):
    """The teams whose figures the user reads (the teams they lead; every team for
    administrators), by name."""
    return teams_visible_to(user=user).order_by("name")


class ObjectField(forms.ModelChoiceField):
    """One of the queryset's rows, named by its primary key (checked as a number first, so
    that only a plausible key reaches the database: one query)."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, required=False, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            key = PkField().clean(value)
        except ValidationError:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None
        return super().to_python(key)


class ReportFilterForm(forms.Form):
    """Every report's URL parameters: a date range, a grouping among the report's own, a team
    and an agent among those the user leads, an insurer, a line of business and a currency."""

    start = DayField()
    end = DayField()
    by = forms.ChoiceField(required=False)
    team = ObjectField(Team.objects.none())
    agent = ObjectField(User.objects.none())
    insurer = ObjectField(Insurer.objects.all())
    line = forms.ChoiceField(choices=Line.choices, required=False)
    currency = forms.ChoiceField(choices=Currency.choices, required=False)

    def __init__(self, data, *, user, groupings=GROUPINGS):
        super().__init__(data)
        if groupings:
            self.fields["by"].choices = [(g, g) for g in groupings]
        else:  # the report has one grouping: a ``by`` is no concern of its
            del self.fields["by"]
        self.fields["team"].queryset = teams_for(user)
        self.fields["agent"].queryset = agents_for_reassignment(user=user)


def _problem(form, name) -> str:
    """What the page says of a parameter that was not understood (its default is used)."""
    value = shown(form.data.get(name, ""))
    if name in ("start", "end"):
        if form.errors.as_data()[name][0].code == "invalid":
            return _("%(value)s is not a date; the default is used.") % {"value": value}
        return _(
            "%(value)s is outside the dates a report can cover (%(first)s to %(last)s); "
            "the default is used."
        ) % {"value": value, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
    if name == "by":
        return _("Unknown grouping %(value)s; the default is used.") % {"value": value}
    if name == "currency":
        return _("Unknown currency: %(value)s; ignored.") % {"value": value}
    if name == "line":
        return _("Unknown line of business: %(value)s; ignored.") % {"value": value}
    labels = {"team": _("team"), "agent": _("agent"), "insurer": _("insurer")}
    return _("Unknown %(what)s: %(value)s; ignored.") % {"what": labels[name], "value": value}


@dataclass
class ReportFilters:
    start: date
    end: date
    by: str = "month"
    team: Team | None = None
    agent: User | None = None
    insurer: Insurer | None = None
    line: str = ""
    # Money is summed in one currency at a time: the report counts that currency's policies.
    currency: str = ""
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, params, *, user, groupings=GROUPINGS) -> "ReportFilters":
        """The filters in ``params`` (ReportFilterForm says what each may hold); ``groupings``
        are the report's own ways to group its rows (the first is the default; none: the report
        has one grouping)."""
        today = timezone.localdate()
        default_start = today.replace(month=1, day=1)
        default_end = today.replace(month=12, day=31)
        form = ReportFilterForm(params, user=user, groupings=groupings)
        values, _ignored = read_form(form)
        wrong = [name for name in form.fields if name in form.errors]
        problems = [_problem(form, name) for name in wrong if name in ("start", "end")]
        start = values.get("start", default_start)
        end = values.get("end", default_end)
        if end < start:
            problems.append(_("The range ended before it started; the default range is used."))
            start, end = default_start, default_end
        if end > start + relativedelta(years=MAX_YEARS):
            end = start + relativedelta(years=MAX_YEARS) - relativedelta(days=1)
            problems.append(
                _("A report covers at most %(n)d years: the range ends on %(end)s.")
                % {"n": MAX_YEARS, "end": end.isoformat()}
            )
        problems += [_problem(form, name) for name in wrong if name not in ("start", "end")]
        return cls(
            start=start, end=end, by=values.get("by", groupings[0] if groupings else ""),
            team=values.get("team"), agent=values.get("agent"), insurer=values.get("insurer"),
            line=values.get("line", ""),
            currency=values.get("currency", settings.CARTERA_CURRENCY), problems=problems,
        )  # fmt: skip

    def narrow(self, qs):
        """``qs`` (policies, or renewal cases, which carry their policy's agent, insurer, line
        and currency) narrowed to the team, agent, insurer, line and currency."""
        for name, value in (
            ("agent__team", self.team), ("agent", self.agent), ("insurer", self.insurer),
            ("line", self.line), ("currency", self.currency),
        ):  # fmt: skip
            if value:
                qs = qs.filter(**{name: value})
        return qs

    def scope(self) -> dict:
        """The same narrowing as list filters, for the links from a figure to its list."""
        values = {
            "team": self.team.pk if self.team else "", "agent": self.agent.pk if self.agent else "",
            "insurer": self.insurer.pk if self.insurer else "", "line": self.line,
            "currency": self.currency,
        }  # fmt: skip
        return {k: v for k, v in values.items() if v not in ("", None)}

    def as_query(self, **changes) -> dict:
        values = {
            "start": self.start.isoformat(), "end": self.end.isoformat(), "by": self.by,
            "team": self.team.pk if self.team else "", "agent": self.agent.pk if self.agent else "",
            "insurer": self.insurer.pk if self.insurer else "", "line": self.line,
            "currency": self.currency if self.currency != settings.CARTERA_CURRENCY else "",
        }  # fmt: skip
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}
