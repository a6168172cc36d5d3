"""The ladder settings pages: ladders with their rungs, the default ladder, and the rules that
choose a ladder for an insurer or a line."""

import pytest
from django.urls import reverse

from policies.models import Line
from policies.tests.factories import InsurerFactory
from renewals.jobs import renewals_morning_job
from renewals.ladder_services import ladder_rule_add, ladder_save
from renewals.models import Ladder, LadderRule, RenewalCase
from renewals.tests.conftest import TODAY, policy_ending

pytestmark = pytest.mark.django_db


def ladder_post(*, name, code, rungs, is_default=False, initial=0, delete=()):
    """The edit form as a browser posts it: the rows given (the first ``initial`` of them the
    ladder's own rungs, in order) plus one empty extra row."""
    data = {
        "name": name,
        "code": code,
        "rungs-TOTAL_FORMS": str(len(rungs) + 1),
        "rungs-INITIAL_FORMS": str(initial),
        "rungs-MIN_NUM_FORMS": "0",
        "rungs-MAX_NUM_FORMS": "1000",
    }
    if is_default:
        data["is_default"] = "on"
    for i, rung in enumerate(rungs):
        data[f"rungs-{i}-days"] = str(rung["days"])
        data[f"rungs-{i}-stage"] = rung.get("stage", "reminder")
        data[f"rungs-{i}-message"] = rung.get("message", "")
        if i in delete:
            data[f"rungs-{i}-DELETE"] = "on"
    empty = len(rungs)
    data[f"rungs-{empty}-days"] = ""
    data[f"rungs-{empty}-stage"] = "reminder"
    data[f"rungs-{empty}-message"] = ""
    return data


@pytest.mark.parametrize("role", ["agent", "maintainer"])
def test_it_refuses_agents_and_maintainers(client, request, ladders, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    rule = LadderRule.objects.create(ladder=ladders["dealer"], line=Line.AUTO)
    pages = [
        ("get", reverse("renewals:ladders")),
        ("get", reverse("renewals:ladder_create")),
        ("get", reverse("renewals:ladder_edit", args=[ladders["dealer"].pk])),
        ("post", reverse("renewals:rule_add")),
        ("post", reverse("renewals:rule_delete", args=[rule.pk])),
    ]
    for method, url in pages:
        assert getattr(client, method)(url).status_code == 403, url
    assert LadderRule.objects.filter(pk=rule.pk).exists()


def test_it_lets_managers_and_admins_in(client, manager, cartera_admin, ladders):
    for user in (manager, cartera_admin):
        client.force_login(user)
        assert client.get(reverse("renewals:ladders")).status_code == 200
        assert client.get(reverse("renewals:ladder_create")).status_code == 200


def test_it_lists_ladders_with_rungs_default_and_rules_in_precedence(client, manager, ladders):
    insurer = InsurerFactory(name="Qualitas")
    by_line = LadderRule.objects.create(ladder=ladders["dealer"], line=Line.LIFE)
    by_both = LadderRule.objects.create(ladder=ladders["dealer"], line=Line.AUTO, insurer=insurer)
    by_insurer = LadderRule.objects.create(ladder=ladders["default"], insurer=insurer)
    client.force_login(manager)
    text = client.get(reverse("renewals:ladders")).content.decode()
    assert 'data-testid="ladder-design-card"' in text and 'data-testid="ladder-dealer"' in text
    default_card = text.split('data-testid="ladder-design-card"')[1].split("</ol>")[0]
    assert 'data-testid="ladder-default"' in default_card
    assert "30 days" in default_card and "Quote and renew" in default_card
    dealer_card = text.split('data-testid="ladder-dealer"')[1].split("</ol>")[0]
    assert 'data-testid="ladder-default"' not in dealer_card and "Lapse notice" in dealer_card
    order = [text.index(f'data-testid="rule-{r.pk}"') for r in (by_both, by_insurer, by_line)]
    assert order == sorted(order)
    assert text.index(f'data-testid="rule-{by_line.pk}"') < text.index('data-testid="rule-default"')
    assert "only affects the touches created from then on" in text
    assert "first a rule for" in text  # the precedence is explained


def test_it_shows_the_message_channel_of_a_rung(client, manager, ladders):
    ladder_save(
        ladder=ladders["dealer"], by=manager, name="Dealer", code="dealer", is_default=False,
        rungs=[{"days": 60, "stage": "reminder", "message": "whatsapp"}, {"days": 0}],
    )  # fmt: skip
    client.force_login(manager)
    text = client.get(reverse("renewals:ladders")).content.decode()
    dealer_card = text.split('data-testid="ladder-dealer"')[1].split("</ol>")[0]
    assert dealer_card.count('data-testid="rung-message"') == 1 and "WhatsApp" in dealer_card


def test_it_creates_a_ladder_with_rungs(client, manager, ladders):
    client.force_login(manager)
    data = ladder_post(
        name="Fleet",
        code="fleet",
        rungs=[
            {"days": 20, "stage": "negotiation"},
            {"days": 45, "stage": "reminder", "message": "email"},
        ],
    )
    response = client.post(reverse("renewals:ladder_create"), data)
    assert response.status_code == 302 and response.url == reverse("renewals:ladders")
    ladder = Ladder.objects.get(code="fleet")
    assert ladder.name == "Fleet" and not ladder.is_default
    assert ladder.rungs == [
        {"days": 45, "stage": "reminder", "message": "email"},
        {"days": 20, "stage": "negotiation", "message": ""},
    ]
    assert Ladder.objects.get(pk=ladders["default"].pk).is_default


def own_rungs(ladder):
    return [dict(rung) for rung in ladder.rungs]


def test_it_edits_a_ladder_and_removes_rungs(client, manager, ladders):
    client.force_login(manager)
    dealer = ladders["dealer"]
    page = client.get(reverse("renewals:ladder_edit", args=[dealer.pk])).content.decode()
    assert 'value="60"' in page and page.count('data-testid="rung-row"') == 11 + 3
    rungs = own_rungs(dealer)
    assert rungs[4]["days"] == 30
    rungs[4]["message"] = "whatsapp"
    data = ladder_post(
        name="Dealer channel",
        code="dealer",
        rungs=rungs,
        initial=len(rungs),
        delete=set(range(len(rungs))) - {0, 4},
    )
    response = client.post(reverse("renewals:ladder_edit", args=[dealer.pk]), data)
    assert response.status_code == 302
    dealer.refresh_from_db()
    assert dealer.name == "Dealer channel"
    assert dealer.rungs == [
        {"days": 60, "stage": "reminder", "message": ""},
        {"days": 30, "stage": "confirmation", "message": "whatsapp"},
    ]


@pytest.mark.parametrize(
    ("days", "message"),
    [(60, "The ladder has 60 days twice."), (-2, "days must be zero or more")],
)
def test_it_refuses_duplicate_or_negative_days_and_saves_nothing(
    client, manager, ladders, days, message
):
    client.force_login(manager)
    dealer = ladders["dealer"]
    before = own_rungs(dealer)
    rungs = own_rungs(dealer)
    rungs[-1]["days"] = days
    response = client.post(
        reverse("renewals:ladder_edit", args=[dealer.pk]),
        ladder_post(name="Renamed", code="dealer", rungs=rungs, initial=len(rungs)),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="rung-errors"' in text and message in text
    dealer.refresh_from_db()
    assert dealer.rungs == before and dealer.name == "Dealer"
    rungs = [{"days": 60}, {"days": days}]
    response = client.post(
        reverse("renewals:ladder_create"), ladder_post(name="New", code="new", rungs=rungs)
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not Ladder.objects.filter(code="new").exists()


def test_it_keeps_at_least_one_rung(client, manager, ladders):
    client.force_login(manager)
    dealer = ladders["dealer"]
    rungs = own_rungs(dealer)
    data = ladder_post(name="Dealer", code="dealer", rungs=rungs, initial=11, delete=set(range(11)))
    response = client.post(reverse("renewals:ladder_edit", args=[dealer.pk]), data)
    assert response.status_code == 200 and "at least one rung" in response.content.decode()
    dealer.refresh_from_db()
    assert len(dealer.rungs) == 11


def test_it_refuses_a_code_already_taken(client, manager, ladders):
    client.force_login(manager)
    response = client.post(
        reverse("renewals:ladder_create"),
        ladder_post(name="Copy", code="dealer", rungs=[{"days": 10}]),
    )
    assert response.status_code == 200
    assert Ladder.objects.filter(code="dealer").count() == 1
    assert "already exists" in response.content.decode()


def test_it_leaves_exactly_one_default_when_switching(client, manager, ladders):
    client.force_login(manager)
    dealer = ladders["dealer"]
    data = ladder_post(
        name="Dealer", code="dealer", rungs=own_rungs(dealer), initial=11, is_default=True
    )
    assert client.post(reverse("renewals:ladder_edit", args=[dealer.pk]), data).status_code == 302
    assert list(Ladder.objects.filter(is_default=True)) == [dealer]
    data = ladder_post(name="Brand new", code="brand-new", rungs=[{"days": 5}], is_default=True)
    assert client.post(reverse("renewals:ladder_create"), data).status_code == 302
    assert list(Ladder.objects.filter(is_default=True).values_list("code", flat=True)) == [
        "brand-new"
    ]


def test_it_refuses_to_leave_no_default_ladder(client, manager, ladders):
    client.force_login(manager)
    default = ladders["default"]
    data = ladder_post(name="30/25/15", code="design-card", rungs=own_rungs(default), initial=3)
    response = client.post(reverse("renewals:ladder_edit", args=[default.pk]), data)
    assert response.status_code == 200 and "There must be a default ladder" in (
        response.content.decode()
    )
    assert Ladder.objects.get(pk=default.pk).is_default


def test_adding_a_rule_changes_the_ladder_the_morning_job_uses(client, manager, ladders):
    insurer = InsurerFactory()
    other = InsurerFactory()
    ruled = policy_ending(30, insurer=insurer)
    unruled = policy_ending(30, insurer=other)
    client.force_login(manager)
    response = client.post(
        reverse("renewals:rule_add"),
        {"insurer": insurer.pk, "line": "", "ladder": ladders["dealer"].pk},
        follow=True,
    )
    assert "Rule added." in response.content.decode()
    rule = LadderRule.objects.get()
    assert (rule.insurer, rule.line, rule.ladder) == (insurer, "", ladders["dealer"])
    renewals_morning_job(day=TODAY)
    assert RenewalCase.objects.get(policy=ruled).ladder == ladders["dealer"]
    assert RenewalCase.objects.get(policy=unruled).ladder == ladders["default"]


@pytest.mark.parametrize("line", ["", Line.AUTO])
def test_it_refuses_a_duplicate_rule_with_a_message(client, manager, ladders, line):
    insurer = InsurerFactory()
    LadderRule.objects.create(ladder=ladders["dealer"], insurer=insurer, line=line)
    client.force_login(manager)
    response = client.post(
        reverse("renewals:rule_add"),
        {"insurer": insurer.pk, "line": line, "ladder": ladders["default"].pk},
        follow=True,
    )
    assert "There is already a rule for this insurer and line" in response.content.decode()
    assert LadderRule.objects.count() == 1


def test_it_refuses_a_duplicate_rule_for_a_line_alone(manager, ladders):
    """No insurer: the unique constraint cannot catch it (NULLs differ), the service does."""
    from django.core.exceptions import ValidationError

    ladder_rule_add(by=manager, ladder=ladders["dealer"], line=Line.LIFE, insurer=None)
    with pytest.raises(ValidationError, match="already a rule"):
        ladder_rule_add(by=manager, ladder=ladders["default"], line=Line.LIFE, insurer=None)
    assert LadderRule.objects.count() == 1


def test_it_refuses_a_rule_with_neither_line_nor_insurer(client, manager, ladders):
    client.force_login(manager)
    response = client.post(
        reverse("renewals:rule_add"),
        {"insurer": "", "line": "", "ladder": ladders["dealer"].pk},
        follow=True,
    )
    assert "Choose a line of business, an insurer, or both." in response.content.decode()
    assert not LadderRule.objects.exists()


def test_it_deletes_a_rule(client, manager, ladders):
    insurer = InsurerFactory()
    rule = LadderRule.objects.create(ladder=ladders["dealer"], insurer=insurer)
    client.force_login(manager)
    assert client.get(reverse("renewals:rule_delete", args=[rule.pk])).status_code == 405
    response = client.post(reverse("renewals:rule_delete", args=[rule.pk]), follow=True)
    assert "Rule deleted." in response.content.decode()
    assert not LadderRule.objects.exists()
    policy = policy_ending(30, insurer=insurer)
    renewals_morning_job(day=TODAY)
    assert RenewalCase.objects.get(policy=policy).ladder == ladders["default"]
