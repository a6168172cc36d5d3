""" "Contact fixed" tells the apps above the queue whose contact it was (issue 14): the queue
asks the item's kind for its client and calls the registered hooks in the same transaction;
it knows no client itself."""

import pytest
from django.core.exceptions import ValidationError

from workqueue import kinds, services
from workqueue.models import Queue
from workqueue.services import item_return_to_agents, on_contact_fixed
from workqueue.tests.factories import WorkItemFactory, register_test_kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_clients(monkeypatch):
    """A kind that knows its subjects' clients, registered for this test only."""
    monkeypatch.setattr(kinds, "_KINDS", dict(kinds._KINDS))
    return register_test_kind(
        name="with_clients", clients_of=lambda ids: {i: 1000 + i for i in ids}
    )


@pytest.fixture
def calls(monkeypatch):
    """A recording hook, in a hook list of the test's own (the apps' hooks left out)."""
    monkeypatch.setattr(services, "_CONTACT_FIXED_HOOKS", [])
    seen = []
    on_contact_fixed(lambda **kwargs: seen.append(kwargs))
    return seen


def test_it_tells_the_hooks_which_client_was_fixed_and_by_whom(calls, with_clients, maintainer):
    item = WorkItemFactory(kind="with_clients", subject_id=7, queue=Queue.MAINTAINERS)
    item_return_to_agents(item=item, by=maintainer)
    assert calls == [{"client_ids": [1007], "by": maintainer}]


def test_it_calls_no_hook_for_a_kind_that_knows_no_client(calls, maintainer):
    item = WorkItemFactory(subject_id=7, queue=Queue.MAINTAINERS)
    item_return_to_agents(item=item, by=maintainer)
    assert calls == []


def test_a_hook_that_refuses_leaves_the_item_with_the_maintainers(
    monkeypatch, with_clients, maintainer
):
    monkeypatch.setattr(services, "_CONTACT_FIXED_HOOKS", [])

    def refuse(**kwargs):
        raise ValidationError("The e-mail on file is not valid.")

    on_contact_fixed(refuse)
    item = WorkItemFactory(kind="with_clients", subject_id=8, queue=Queue.MAINTAINERS)
    with pytest.raises(ValidationError):
        item_return_to_agents(item=item, by=maintainer)
    item.refresh_from_db()
    assert (item.queue, item.results.count()) == (Queue.MAINTAINERS, 0)


def test_a_hook_is_registered_once(monkeypatch):
    monkeypatch.setattr(services, "_CONTACT_FIXED_HOOKS", [])

    def hook(**kwargs):
        return None

    on_contact_fixed(hook)
    on_contact_fixed(hook)
    assert services._CONTACT_FIXED_HOOKS == [hook]
