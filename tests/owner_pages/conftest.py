import pytest


@pytest.fixture()
def mails(runtime):
    """Platform mail this test queued, read from the real control-plane outbox."""
    from tests.support import PlatformMails

    return PlatformMails(runtime)
