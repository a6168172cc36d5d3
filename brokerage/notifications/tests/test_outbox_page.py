import pytest

from brokerage.notifications.models import Message, Status

pytestmark = pytest.mark.django_db


def _message(status, to="+5215512345678", channel="sms"):
    return Message.objects.create(
        channel=channel,
        to=to,
        template="welcome",
        body="Hola",
        status=status,
        error="boom" if status == Status.FAILED else "",
    )


def test_maintainers_read_the_outbox_and_filter_it(client, maintainer):
    _message(Status.SENT, to="+5215500000001")
    failed = _message(Status.FAILED, to="+5215500000002")
    client.force_login(maintainer)
    html = client.get("/outbox/?status=failed").content.decode()
    assert f'data-message="{failed.pk}"' in html
    assert "+5215500000001" not in html
    assert "boom" in html


def test_the_outbox_answers_htmx_with_the_table_only(client, maintainer):
    _message(Status.SENT)
    client.force_login(maintainer)
    html = client.get("/outbox/", HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<div id="outbox-table">')
    assert "<nav" not in html


def test_the_outbox_runs_a_fixed_number_of_queries(
    client, maintainer, django_assert_max_num_queries
):
    for i in range(60):
        _message(Status.SENT, to=f"+52155000000{i:02d}")
    client.force_login(maintainer)
    with django_assert_max_num_queries(10):
        response = client.get("/outbox/")
    assert response.content.decode().count("data-message=") == 50


def test_retry_from_the_page(client, maintainer, django_capture_on_commit_callbacks):
    failed = _message(Status.FAILED)
    client.force_login(maintainer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/outbox/{failed.pk}/retry/")
    failed.refresh_from_db()
    assert failed.status == Status.SENT


def test_agents_and_managers_cannot_see_the_outbox(client, agent, manager):
    failed = _message(Status.FAILED)
    for user in (agent, manager):
        client.force_login(user)
        assert client.get("/outbox/").status_code == 403
        assert client.post(f"/outbox/{failed.pk}/retry/").status_code == 403
    failed.refresh_from_db()
    assert failed.status == Status.FAILED
