"""Writers of one agent's cases and items at the same moment add to the same rows of the
reports' rollups, each in its own order: an agent logging a result writes the item, then the
case; a manager reassigning a departing agent's book to them moves the cases, then the items.
PostgreSQL then breaks the deadlock by failing one of them: that one runs again
(brokerage.core.db.atomic), so both are done, once each, and the rollups stay exact."""

import threading
import time

import pytest

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.services import client_book_reassign
from renewals import services
from renewals.jobs import renewals_morning_job
from renewals.kind import RENEWAL_KIND
from renewals.models import CaseStatus, RenewalCase
from renewals.tests.conftest import TODAY, policy_ending
from reports.rollups import work_rollup_rebuild
from reports.tests.test_rollup import assert_in_step as renewal_rollups_in_step
from reports.tests.test_work_rollup import assert_in_step as work_rollups_in_step
from workqueue.models import ItemResult, WorkItem
from workqueue.services import item_record_result


@pytest.mark.django_db(transaction=True)
def test_a_result_and_a_book_reassigned_to_its_agent_at_the_same_moment(ladders, monkeypatch):
    work_rollup_rebuild()  # the clock the work rollups count under (flushed in this test)
    manager = UserFactory(roles=["manager"])
    team = TeamFactory(manager=manager)
    agent = UserFactory(roles=["agent"], team=team)
    leaving = UserFactory(roles=["agent"], team=team)
    mine = policy_ending(30, owner=agent)
    theirs = policy_ending(30, owner=leaving, insurer=mine.insurer, line=mine.line)
    renewals_morning_job(day=TODAY)
    item = WorkItem.objects.get(kind=RENEWAL_KIND, subject_id=mine.renewal_case.pk)
    paused, errors, outcomes = threading.Event(), [], {}
    timeline = services.client_log_call_result

    def slow_timeline(**kwargs):
        # The item is written (its rollup rows held); the case comes after the pause.
        paused.set()
        time.sleep(1.0)
        return timeline(**kwargs)

    monkeypatch.setattr(services, "client_log_call_result", slow_timeline)

    def run(name, work):
        from django.db import connection as thread_connection

        try:
            outcomes[name] = work()
        except Exception as exc:  # noqa: BLE001
            errors.append((name, exc))
        finally:
            thread_connection.close()

    def reassign():
        paused.wait(5)
        return client_book_reassign(from_agent=leaving, to_agents=[agent], by=manager)

    threads = [
        threading.Thread(
            target=run,
            args=("result", lambda: item_record_result(item=item, by=agent, result="declined")),
        ),
        threading.Thread(target=run, args=("reassign", reassign)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert set(outcomes) == {"result", "reassign"}
    assert RenewalCase.objects.get(policy=mine).status == CaseStatus.LOST
    assert ItemResult.objects.filter(item=item).count() == 1
    moved = RenewalCase.objects.get(policy=theirs)
    assert moved.agent_id == agent.pk
    assert WorkItem.objects.get(kind=RENEWAL_KIND, subject_id=moved.pk).agent_id == agent.pk
    renewal_rollups_in_step()
    work_rollups_in_step()
