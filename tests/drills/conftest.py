"""Fixtures shared by the drills."""

import pytest

from tests.drills.support import OwnRedis


@pytest.fixture()
def own_redis(tmp_path):
    """A private redis-server the drill may stop and start; stopped at the end."""
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()
