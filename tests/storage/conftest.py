import pytest

from shared import circuit
from tests.storage.servers import cf, cf_server, moto_endpoint  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def fresh_breaker():
    circuit.reset_all()
    yield
    circuit.reset_all()
