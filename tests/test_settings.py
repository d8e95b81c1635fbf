"""Typed settings and the production refusals (SPEC §7)."""

import pytest
from cryptography.fernet import Fernet

from shared.settings import DEV_ENCRYPTION_KEY, DEV_SECRET, Settings, SettingsError

GOOD_PROD = {
    "APP_ENV": "prod",
    "SECRET_KEY": "s" * 32,
    "JWT_SECRET": "j" * 32,
    "OPERATOR_BASIC_AUTH": "ops:" + "p" * 16,
    "STRICT_CORS": "true",
    "CORS_ORIGINS": "https://app.example.com",
    "METRICS_TOKEN": "m" * 32,
    "EXPORT_HOST_ALLOWLIST": "hooks.example.com",
    "STRIPE_SECRET_KEY": "sk_live_" + "a1B2c3D4e5F6g7H8i9J0k1L2",
    "STRIPE_WEBHOOK_SECRET": "whsec_" + "Q" * 32,
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_" + "R" * 32,
    "DATA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
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
        ({"METRICS_TOKEN": "m" * 31}, "METRICS_TOKEN"),
        ({"EXPORT_HOST_ALLOWLIST": ""}, "EXPORT_HOST_ALLOWLIST"),
        ({"JWT_SECRET": "s" * 32}, "SECRET_KEY and JWT_SECRET must be different"),
        ({"OPERATOR_BASIC_AUTH": "ops:" + "p" * 15}, "OPERATOR_BASIC_AUTH passwords"),
        (
            {"OPERATOR_BASIC_AUTH": "ops:" + "p" * 16 + ",weak:" + "p" * 15},
            r"too short for: weak\)",
        ),
        ({"STRIPE_SECRET_KEY": "sk_test_dev"}, "STRIPE_SECRET_KEY is the published"),
        ({"STRIPE_SECRET_KEY": "pk_live_" + "a" * 24}, "STRIPE_SECRET_KEY does not look"),
        ({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY does not look"),
        ({"STRIPE_WEBHOOK_SECRET": "whsec_dev"}, "STRIPE_WEBHOOK_SECRET is the published"),
        ({"STRIPE_WEBHOOK_SECRET": "secret-" + "x" * 30}, "STRIPE_WEBHOOK_SECRET does not"),
        (
            {"STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_connect_dev"},
            "STRIPE_CONNECT_WEBHOOK_SECRET is the published",
        ),
        ({"STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_"}, "STRIPE_CONNECT_WEBHOOK_SECRET does not"),
        ({"DATA_ENCRYPTION_KEYS": ""}, "DATA_ENCRYPTION_KEYS must hold"),
        ({"DATA_ENCRYPTION_KEYS": DEV_ENCRYPTION_KEY}, "DATA_ENCRYPTION_KEYS may not"),
        ({"DATA_ENCRYPTION_KEYS": "not-a-key"}, "DATA_ENCRYPTION_KEYS: not a Fernet key"),
    ],
)
def test_production_refusals(change, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**GOOD_PROD, **change})


def test_production_names_every_offending_variable_in_one_error():
    env = {
        "APP_ENV": "prod",
        "SECRET_KEY": "x" * 40,
        "JWT_SECRET": "x" * 40,
        "OPERATOR_BASIC_AUTH": "ops:short",
        "METRICS_TOKEN": "tiny",
    }
    with pytest.raises(SettingsError) as err:
        Settings.from_env(env)
    message = str(err.value)
    for name in (
        "SECRET_KEY and JWT_SECRET",
        "OPERATOR_BASIC_AUTH",
        "METRICS_TOKEN",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_CONNECT_WEBHOOK_SECRET",
        "DATA_ENCRYPTION_KEYS",
        "STRICT_CORS",
    ):
        assert name in message, name


def test_production_boundaries_are_inclusive():
    """16-character operator password and 32-character metrics token are enough."""
    Settings.from_env(
        {**GOOD_PROD, "OPERATOR_BASIC_AUTH": "ops:" + "p" * 16, "METRICS_TOKEN": "m" * 32}
    )


def test_a_rotated_key_list_starts_in_production():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    s = Settings.from_env({**GOOD_PROD, "DATA_ENCRYPTION_KEYS": f"{new},{old}"})
    assert s.data_encryption_keys == [new, old]


def test_dev_and_test_get_the_dev_key_and_the_account_limit():
    for env in ({}, {"APP_ENV": "test"}):
        s = Settings.from_env(env)
        assert s.data_encryption_keys == [DEV_ENCRYPTION_KEY]
        assert s.rate_limit_login_account == "10/15minutes"
    assert Settings.from_env(GOOD_PROD).rate_limit_login_account == "10/15minutes"


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


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("STRIPE_SECRET_KEY", "sk_live_"),
        ("STRIPE_SECRET_KEY", "rk_test_"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_"),
        ("STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_"),
    ],
)
def test_stripe_values_need_twenty_characters_after_the_prefix(name, prefix):
    Settings.from_env({**GOOD_PROD, name: prefix + "A1" * 10})
    with pytest.raises(SettingsError, match=f"{name} does not look like a Stripe value"):
        Settings.from_env({**GOOD_PROD, name: prefix + "A1" * 9 + "A"})
