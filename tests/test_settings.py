"""Typed settings and the production refusals (SPEC §7)."""

import pytest

from shared.settings import DEV_SECRET, Settings, SettingsError

GOOD_PROD = {
    "APP_ENV": "prod",
    "SECRET_KEY": "s" * 32,
    "JWT_SECRET": "j" * 32,
    "OPERATOR_BASIC_AUTH": "ops:very-long-operator-password",
    "STRICT_CORS": "true",
    "CORS_ORIGINS": "https://app.example.com",
    "METRICS_TOKEN": "metrics-token",
    "EXPORT_HOST_ALLOWLIST": "hooks.example.com",
}


def test_good_production_config_starts():
    settings = Settings.from_env(GOOD_PROD)
    assert settings.is_prod and settings.rate_limit_public == "60/minute"


def test_dev_defaults_do_not_throttle_local_tools():
    assert Settings.from_env({}).rate_limit_public == "10000/minute"
    assert Settings.from_env({"APP_ENV": "test"}).rate_limit_public == "10000/minute"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": DEV_SECRET}, "SECRET_KEY"),
        ({"SECRET_KEY": "s" * 31}, "SECRET_KEY"),
        ({"JWT_SECRET": "j" * 31}, "JWT_SECRET"),
        ({"OPERATOR_BASIC_AUTH": ""}, "OPERATOR_BASIC_AUTH"),
        ({"OPERATOR_BASIC_AUTH": "nopassword"}, "OPERATOR_BASIC_AUTH"),
        ({"STRICT_CORS": "false"}, "STRICT_CORS"),
        ({"CORS_ORIGINS": "*"}, "CORS_ORIGINS"),
        ({"METRICS_TOKEN": ""}, "METRICS_TOKEN"),
        ({"EXPORT_HOST_ALLOWLIST": ""}, "EXPORT_HOST_ALLOWLIST"),
    ],
)
def test_production_refusals(change, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**GOOD_PROD, **change})


def test_secret_of_exactly_32_chars_is_enough():
    Settings.from_env({**GOOD_PROD, "SECRET_KEY": "x" * 32, "JWT_SECRET": "y" * 32})


def test_export_webhooks_off_needs_no_allowlist():
    Settings.from_env(
        {**GOOD_PROD, "EXPORT_HOST_ALLOWLIST": "", "EXPORT_WEBHOOKS_ENABLED": "false"}
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"STRICT_CORS": "maybe"}, "STRICT_CORS"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND"),
    ],
)
def test_values_are_parsed_by_declared_type(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_types_are_declared_not_guessed():
    s = Settings.from_env({"PORT": "9000", "JOB_HEARTBEAT_REQUIRED": "yes", "CORS_ORIGINS": "a, b"})
    assert s.port == 9000 and s.job_heartbeat_required is True and s.cors_origins == ["a", "b"]
