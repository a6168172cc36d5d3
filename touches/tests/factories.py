import datetime

from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory, VehicleFactory


def sold_policy(written_on: datetime.date, *, client=None, owner=None, **kwargs):
    """An auto policy sold in Cartera on ``written_on`` (its start the same day)."""
    client = client or ClientFactory(owner=owner)
    kwargs.setdefault("start_date", written_on)
    kwargs.setdefault("end_date", kwargs["start_date"] + datetime.timedelta(days=365))
    return PolicyFactory(holder=client, written_on=written_on, **kwargs)


def vehicle_of(policy, **kwargs):
    return VehicleFactory(policy=policy, **kwargs)
