"""What the queue refuses to log, and that one submission logs one result (issue 13, item 20)."""

import datetime
import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from workqueue.models import ItemResult, ItemStatus, Queue
from workqueue.services import item_record_result
from workqueue.tests.factories import WorkItemFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ahead",
    [datetime.timedelta(days=61), datetime.timedelta(days=365), "2099"],
    ids=["61-days", "a-year", "2099"],
)
def test_it_refuses_a_call_back_too_far_ahead(agent, ahead):
    item = WorkItemFactory(agent=agent)
    when = (
        timezone.make_aware(datetime.datetime(2099, 1, 1, 10, 0))
        if ahead == "2099"
        else timezone.now() + ahead
    )
    with pytest.raises(ValidationError, match="at most 60 days ahead"):
        item_record_result(item=item, by=agent, result="call_back", callback_at=when)
    item.refresh_from_db()
    assert (item.attempts, item.callback_at, item.first_contact_at) == (0, None, None)
    assert item.due_on == timezone.localdate() and not item.results.exists()


@pytest.mark.django_db
def test_it_takes_a_call_back_within_the_limit_which_is_a_setting(agent, settings):
    item = WorkItemFactory(agent=agent)
    when = timezone.now() + datetime.timedelta(days=59)
    item_record_result(item=item, by=agent, result="call_back", callback_at=when)
    item.refresh_from_db()
    assert item.callback_at == when and item.due_on == timezone.localdate(when)
    settings.CALLBACK_MAX_DAYS = 7
    other = WorkItemFactory(agent=agent)
    with pytest.raises(ValidationError, match="at most 7 days ahead"):
        item_record_result(item=other, by=agent, result="call_back", callback_at=when)


@pytest.mark.django_db
def test_the_call_list_says_why_a_far_call_back_is_refused(client, agent):
    item = WorkItemFactory(agent=agent)
    client.force_login(agent)
    response = client.post(
        f"/queue/items/{item.pk}/result/",
        {"result": "call_back", "callback_at": "2099-01-01T10:00"},
        HTTP_HX_REQUEST="true",
    )
    assert "A call-back can be set at most 60 days ahead." in response.content.decode()
    item.refresh_from_db()
    assert (item.attempts, item.callback_at) == (0, None)


@pytest.mark.django_db
def test_the_same_submission_posted_again_logs_one_result(client, agent):
    item = WorkItemFactory(agent=agent)
    client.force_login(agent)
    page = client.get("/queue/").content.decode()
    assert 'name="token"' in page
    token = str(uuid.uuid4())
    for _ in range(3):
        response = client.post(
            f"/queue/items/{item.pk}/result/",
            {"result": "no_answer", "token": token},
            HTTP_HX_REQUEST="true",
        )
        assert "No answer: logged (attempt 1)." in response.content.decode()
    item.refresh_from_db()
    assert (item.attempts, item.results.count(), item.queue) == (1, 1, Queue.AGENT)
    # A new submission (a new token) is a new attempt.
    client.post(f"/queue/items/{item.pk}/result/", {"result": "no_answer", "token": uuid.uuid4()})
    item.refresh_from_db()
    assert item.attempts == 2


@pytest.mark.django_db
def test_a_replayed_final_result_answers_with_the_first_outcome(agent):
    item = WorkItemFactory(agent=agent)
    token = uuid.uuid4()
    first = item_record_result(item=item, by=agent, result="sold", token=token)
    again = item_record_result(item=item, by=agent, result="sold", token=token)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.status == ItemStatus.DONE and ItemResult.objects.filter(item=item).count() == 1
    # Without the token, a closed item refuses a second result as before.
    with pytest.raises(ValidationError, match="already closed"):
        item_record_result(item=item, by=agent, result="sold")


def _post_at_once(*, agent, item, data, n):
    barrier = threading.Barrier(n)
    statuses, errors = [], []

    def post():
        try:
            client = Client()
            client.force_login(agent)
            barrier.wait(timeout=10)
            statuses.append(
                client.post(
                    f"/queue/items/{item.pk}/result/", data, HTTP_HX_REQUEST="true"
                ).status_code
            )
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return statuses


@pytest.mark.django_db(transaction=True)
def test_identical_posts_at_the_same_moment_log_one_result(agent):
    item = WorkItemFactory(agent=agent)
    statuses = _post_at_once(
        agent=agent, item=item, data={"result": "no_answer", "token": str(uuid.uuid4())}, n=5
    )
    assert statuses == [200] * 5
    item.refresh_from_db()
    assert (item.attempts, item.results.count()) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_three_identical_failed_attempts_at_once_do_not_flag_the_contact(agent):
    item = WorkItemFactory(agent=agent)
    _post_at_once(
        agent=agent, item=item, data={"result": "wrong_number", "token": str(uuid.uuid4())}, n=3
    )
    item.refresh_from_db()
    assert (item.queue, item.agent_id, item.attempts) == (Queue.AGENT, agent.pk, 1)
