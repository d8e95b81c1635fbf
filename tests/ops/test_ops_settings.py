"""Settings added for operations: rate-limit strings are validated at start-up, prod defaults."""

import pytest

from shared.settings import Settings, SettingsError
from tests.test_settings import GOOD_PROD


@pytest.mark.parametrize(
    "name",
    ["RATE_LIMIT_PUBLIC", "RATE_LIMIT_PUBLIC_TENANT", "RATE_LIMIT_LOGIN", "RATE_LIMIT_SIGNUP"],
)
def test_a_malformed_rate_limit_refuses_to_start(name):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: "lots"})
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**GOOD_PROD, name: ""})


def test_rate_limits_accept_several_windows():
    s = Settings.from_env({"RATE_LIMIT_PUBLIC": "10/second;100/minute"})
    assert s.rate_limit_public == "10/second;100/minute"


def test_public_per_tenant_limit_defaults():
    assert Settings.from_env(GOOD_PROD).rate_limit_public_tenant == "1200/minute"
    assert Settings.from_env({"APP_ENV": "test"}).rate_limit_public_tenant == "100000/minute"
