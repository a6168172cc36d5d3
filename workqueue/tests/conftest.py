import pytest

from workqueue.tests.factories import register_test_kind


@pytest.fixture(autouse=True)
def _test_kind():
    return register_test_kind()
