"""The filters every report takes from its URL: a date range, team, agent, insurer and line.
What is not understood is said and set aside; a range is never longer than three years."""

from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from brokerage.accounts.models import Team, User
from brokerage.accounts.selectors import teams_visible_to
from clients.selectors import agents_for_reassignment
from policies.models import Currency, Insurer, Line

MAX_YEARS = 3
GROUPINGS = ("month", "agent", "team", "insurer", "line")


def teams_for(user):
    """The teams whose figures the user reads (the teams they lead; every team for
    administrators), by name."""
    return teams_visible_to(user=user).order_by("name")


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
        """The filters in ``params``; ``groupings`` are the report's own ways to group its rows
        (the first is the default; none: the report has one grouping)."""
        today = timezone.localdate()
        default_start = today.replace(month=1, day=1)
        default_end = today.replace(month=12, day=31)
        problems = []

        def day(name, default):
            text = params.get(name, "")
            if not text:
                return default
            try:
                return date.fromisoformat(text)
            except ValueError:
                problems.append(
                    _("%(value)s is not a date; the default is used.") % {"value": text}
                )
                return default

        start, end = day("start", default_start), day("end", default_end)
        if end < start:
            problems.append(_("The range ended before it started; the default range is used."))
            start, end = default_start, default_end
        if end > start + relativedelta(years=MAX_YEARS):
            end = start + relativedelta(years=MAX_YEARS) - relativedelta(days=1)
            problems.append(
                _("A report covers at most %(n)d years: the range ends on %(end)s.")
                % {"n": MAX_YEARS, "end": end.isoformat()}
            )
        by = params.get("by") or (groupings[0] if groupings else "")
        if groupings and by not in groupings:
            problems.append(_("Unknown grouping %(value)s; the default is used.") % {"value": by})
            by = groupings[0]
        elif not groupings:
            by = ""
        agents = agents_for_reassignment(user=user)
        teams = teams_for(user)

        def pick(name, queryset, label):
            text = params.get(name, "")
            if not text:
                return None
            found = queryset.filter(pk=text).first() if text.isdigit() else None
            if found is None:
                problems.append(
                    _("Unknown %(what)s: %(value)s; ignored.") % {"what": label, "value": text}
                )
            return found

        currency = params.get("currency", "") or settings.CARTERA_CURRENCY
        if currency not in Currency.values:
            problems.append(_("Unknown currency: %(value)s; ignored.") % {"value": currency})
            currency = settings.CARTERA_CURRENCY
        line = params.get("line", "")
        if line and line not in Line.values:
            problems.append(_("Unknown line of business: %(value)s; ignored.") % {"value": line})
            line = ""
        return cls(
            start=start, end=end, by=by,
            team=pick("team", teams, _("team")), agent=pick("agent", agents, _("agent")),
            insurer=pick("insurer", Insurer.objects.all(), _("insurer")), line=line,
            currency=currency, problems=problems,
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
