import pytest

from tests.workforce.helpers import make_booking, make_worker


@pytest.fixture()
def worker(client, tenant):
    """A logged-in worker of the tenant's default team."""
    return make_worker(client, tenant)


@pytest.fixture()
def booking(client, tenant):
    """An unassigned PENDING booking of the default team."""
    return make_booking(client, tenant)
