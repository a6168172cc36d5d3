"""Hostile query parameters never give a 500 (issue 13, item 19).

Every GET route of the URLconf without path parameters, every report view, and the detail pages
of a small book are requested as each role with hostile values in their parameters: the
parameters the page declares (its FilterSet's or its form's fields) and the ones any page might
read (``page``, ``q``, ``sort``, ``team``…). For each URL and value, one request sets every
parameter to that value as each role; then each declared filter gets alone the values its kind
of field might mishandle (a number field: not a number, a key too long, a negative; a date: the
calendar's ends; text: a NUL, a long text; any: two values), the role turning with the parameter
and the value so that every role meets every kind of value. The reports (one form for all), the
exports (which read their list's filters, fuzzed on the list) and the pages that declare no
parameter get each value once in every parameter, the role turning with the value.
Django's test client re-raises a view's exception, so a 500 fails with its traceback."""

import pytest
from django import forms
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.notifications.forms import OutboxFilterForm
from clients.forms import MergeChooseForm
from clients.selectors import ClientFilterSet
from clients.tests.factories import ClientFactory
from policies.selectors import PolicyFilterSet
from policies.tests.factories import InsurerFactory, PolicyFactory, VehicleFactory
from renewals.kind import RENEWAL_KIND
from renewals.selectors import RenewalFilterSet
from renewals.tests.factories import RenewalCaseFactory
from reports.filters import ReportFilterForm
from reports.registry import REPORTS
from workqueue.forms import DistributionForm
from workqueue.tests.factories import WorkItemFactory

pytestmark = pytest.mark.django_db

ROLES = ("agent", "manager", "maintainer", "admin")

HOSTILE = {
    "superscript-two": "²",
    "nul": "\x00",
    "last-day": "9999-12-31",
    "first-day": "0001-01-01",
    "minus-one": "-1",
    "huge-number": "99999999999999999999",
    "long": "x" * 10_000,
    "percent": "%",
    "quote": "'",
    "script": "<script>",
    "empty": "",
    "two-values": ["1", "²"],
}


def _alone(field_class) -> tuple[str, ...]:
    """The values a declared filter of this kind of field also gets alone (every value, and
    these, reached it in the grouped requests)."""
    if issubclass(field_class, forms.IntegerField | forms.ModelChoiceField):
        keys = ("superscript-two", "huge-number", "minus-one")
    elif issubclass(field_class, forms.DateField):
        keys = ("last-day", "first-day")
    elif issubclass(field_class, forms.CharField):
        keys = ("nul", "long")
    else:
        keys = ("nul",)
    return (*keys, "two-values")


def _filters(filterset) -> dict:
    return {name: f.field_class for name, f in filterset.base_filters.items()}


def _fields(form) -> dict:
    return {name: type(field) for name, field in form.base_fields.items()}


# Parameters any list or page might read, whatever it declares.
GENERIC = (
    "page", "q", "sort", "format", "team", "agent", "owner", "insurer", "item",
    "export", "view", "next", "status", "channel", "kind", "other", "seed", "inline", "by",
)  # fmt: skip

REPORT_PARAMS = _fields(ReportFilterForm)

# Routes left out: Django's own admin (staff only, none of the roles), and the log-out and
# password-reset pages that end the test client's session or send mail.
SKIPPED_PREFIXES = ("admin/", "accounts/logout/", "accounts/password/reset/", "i18n/")


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _static_urls() -> list[str]:
    """Every route of the URLconf that takes no path parameter."""
    urls = []
    for route, pattern in _routes(get_resolver().url_patterns):
        if pattern.pattern.converters or "(" in route or "<" in route:
            continue
        if route.startswith(SKIPPED_PREFIXES) or route.startswith("^"):
            continue
        urls.append("/" + route.lstrip("^").rstrip("$"))
    return urls


# The parameters each page declares (name: form field class); pages not named here take the
# generic ones only.
DECLARED = {
    "/clients/": _filters(ClientFilterSet),
    "/clients/export.csv": _filters(ClientFilterSet),
    "/clients/export.xlsx": _filters(ClientFilterSet),
    "/policies/": _filters(PolicyFilterSet),
    "/renewals/": _filters(RenewalFilterSet),
    "/renewals/export.xlsx": _filters(RenewalFilterSet),
    "/reports/mine/": REPORT_PARAMS,
    "/reports/renewals/": REPORT_PARAMS,
    "/reports/renewals/clients/": REPORT_PARAMS,
    **{f"/reports/{report.slug}/": REPORT_PARAMS for report in REPORTS},
    "/queue/distribution/": _fields(DistributionForm),
    "/clients/merge/": _fields(MergeChooseForm),
    "/outbox/": _fields(OutboxFilterForm),
}

REPORT_URLS = {
    "/reports/renewals/",
    "/reports/renewals/clients/",
    *(f"/reports/{report.slug}/" for report in REPORTS),
}
EXPORTS = {"/clients/export.csv", "/clients/export.xlsx", "/renewals/export.xlsx"}

# Pages with a path parameter, named by the book object whose key they take.
DETAIL_URLS = (
    ("clients:detail", "client"),
    ("clients:merge", "client"),
    ("policies:detail", "policy"),
    ("renewals:detail", "case"),
    ("renewals:renew", "case"),
    ("renewals:elsewhere", "case"),
)

URLS = sorted(set(_static_urls()) | set(DECLARED)) + [f"{name}:{key}" for name, key in DETAIL_URLS]


@pytest.fixture
def book(settings):
    """A team led by a manager, its agent's client with a policy (a vehicle), a renewal case
    and the case's work item, and one user of each role (logged in without a password: the
    quick hasher spares 45 tests five password hashings each)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    manager = UserFactory(roles=["manager"])
    team = TeamFactory(manager=manager)
    agent = UserFactory(roles=["agent"], team=team)
    users = {
        "agent": agent,
        "manager": manager,
        "maintainer": UserFactory(roles=["maintainer"]),
        "admin": UserFactory(roles=["admin"]),
    }
    client = ClientFactory(owner=agent)
    policy = PolicyFactory(holder=client, insurer=InsurerFactory())
    VehicleFactory(policy=policy)
    case = RenewalCaseFactory(policy=policy, agent=agent)
    WorkItemFactory(kind=RENEWAL_KIND, subject_id=case.pk, agent=agent, title="Renewal")
    return {"users": users, "client": client, "policy": policy, "case": case}


def _url(spec: str, book) -> str:
    if spec.startswith("/"):
        return spec
    name, key = spec.rsplit(":", 1)
    return reverse(name, args=[book[key].pk])


def _get(client, url, params):
    response = client.get(url, params)
    assert response.status_code < 500, (url, params)
    # Streamed exports are read through, so an error while writing one shows as well.
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)


@pytest.mark.parametrize("spec", URLS)
def test_it_answers_hostile_parameters_without_a_server_error(client, book, spec):
    url = _url(spec, book)
    declared = DECLARED.get(spec, {})
    names = tuple(dict.fromkeys((*declared, *GENERIC)))
    # A list meets every value as every role; another page (a report, an export that reads
    # its list's filters) meets every value once, the role turning with the value.
    listed = bool(declared) and spec not in EXPORTS
    every_role = listed and spec not in REPORT_URLS
    for j, value in enumerate(HOSTILE.values()):
        for role in ROLES if every_role else (ROLES[j % len(ROLES)],):
            client.force_login(book["users"][role])
            _get(client, url, dict.fromkeys(names, value))
    alone = [(i, name, j, HOSTILE[key]) for i, (name, kind) in enumerate(declared.items())
             for j, key in enumerate(_alone(kind)) if listed]  # fmt: skip
    for r, role in enumerate(ROLES):
        client.force_login(book["users"][role])
        for i, name, j, value in alone:
            if (i + j) % len(ROLES) == r:
                _get(client, url, {name: value})


def test_it_covers_every_list_and_report():
    """The lists and reports the issue names are among the URLs fuzzed."""
    for url in (
        "/clients/", "/policies/", "/renewals/", "/reports/mine/", "/queue/",
        "/queue/callbacks/", "/queue/maintainers/", "/queue/distribution/", "/imports/",
        "/outbox/", "/accounts/team/", *(f"/reports/{r.slug}/" for r in REPORTS),
    ):  # fmt: skip
        assert url in URLS
