"""Typed settings read from the environment (12-factor).

Built once in ``create_app``/``Runtime.from_env`` — never at import. Every setting has a declared type
and default; ``validate()`` refuses unsafe production configurations.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet
from limits import parse_many

from shared.shards import shard_map

DEV_SECRET = "dev-insecure-secret-change-me-0123456789"
# A published key for dev and test only (like DEV_SECRET): production refuses to start with it.
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHkta2V5LWNsZWFucGxhbmUtMDEyMzQ1Njc="
RATE_LIMIT_SETTINGS = (
    "rate_limit_public",
    "rate_limit_public_tenant",
    "rate_limit_login",
    "rate_limit_signup",
    "rate_limit_login_account",
    "rate_limit_operator_auth",
    "rate_limit_operator_auth_global",
    "rate_limit_client_login_email",
    "rate_limit_client_login_ip",
)
# The Stripe values dev and test run with; production refuses them (they are in this repo).
PUBLISHED_STRIPE_DEFAULTS = {
    "stripe_secret_key": "sk_test_dev",
    "stripe_webhook_secret": "whsec_dev",
    "stripe_connect_webhook_secret": "whsec_connect_dev",
}
_STRIPE_SHAPES = {
    "stripe_secret_key": re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9]{20,}$"),
    "stripe_webhook_secret": re.compile(r"^whsec_[A-Za-z0-9+/=_-]{20,}$"),
    "stripe_connect_webhook_secret": re.compile(r"^whsec_[A-Za-z0-9+/=_-]{20,}$"),
}
OPERATOR_PASSWORD_MIN = 16
METRICS_TOKEN_MIN = 32
SECRET_MIN = 32


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a Fernet key (32 url-safe base64 bytes), or None."""
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return "not a Fernet key (32 url-safe base64-encoded bytes)"
    return None


class SettingsError(RuntimeError):
    """The environment does not describe a configuration the app may start with."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {raw!r}")


def _list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


_PARSERS = {"str": str, "int": int, "float": float, "bool": _bool, "list": _list}


def env(kind: str, default: Any = None, *, name: str | None = None, dev_default: Any = None):
    """Declare a setting: its type (``kind``), default and optional dev/test default."""
    meta = {"kind": kind, "name": name, "dev_default": dev_default}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    app_env: str = env("str", "dev")
    database_url: str = env("str", "postgresql://cleanplane_app@localhost:5432/cleanplane")
    database_owner_url: str = env("str", "")
    redis_url: str = env("str", "redis://localhost:6379/0")
    port: int = env("int", 8000)
    secret_key: str = env("str", DEV_SECRET)
    jwt_secret: str = env("str", DEV_SECRET)
    operator_basic_auth: list = env("list", [])
    metrics_token: str = env("str", "")
    stripe_secret_key: str = env("str", "sk_test_dev")
    stripe_webhook_secret: str = env("str", "whsec_dev")
    stripe_connect_webhook_secret: str = env("str", "whsec_connect_dev")
    stripe_api_base: str = env("str", "")
    smtp_url: str = env("str", "")
    sendgrid_api_key: str = env("str", "")
    # make run's mail catcher keeps every message here; /dev/mail lists them (APP_ENV=dev only).
    dev_mail_dir: str = env("str", "")
    mail_from: str = env("str", "Cleanplane <no-reply@cleanplane.dev>")
    public_base_url: str = env("str", "http://localhost:8000")
    # SMS through Twilio (SPEC §5.12): the platform's account, its shared Messaging Service (the
    # sender of tenants without their own ``sms_from`` number) and, in tests, a local stand-in.
    twilio_account_sid: str = env("str", "")
    # Empty (production default): SMS sending and the Twilio webhooks are off (403).
    twilio_auth_token: str = env("str", "", dev_default="twilio-dev-auth-token")
    twilio_messaging_service_sid: str = env("str", "")
    twilio_api_base: str = env("str", "")
    sms_timeout_seconds: float = env("float", 10.0)
    storage_backend: str = env("str", "local")
    storage_dir: str = env("str", ".data/storage")
    s3_bucket: str = env("str", "")
    s3_endpoint_url: str = env("str", "")
    s3_region: str = env("str", "us-east-1")
    s3_access_key_id: str = env("str", "")
    s3_secret_access_key: str = env("str", "")
    r2_bucket: str = env("str", "")
    r2_endpoint_url: str = env("str", "")
    r2_access_key_id: str = env("str", "")
    r2_secret_access_key: str = env("str", "")
    cf_images_account_id: str = env("str", "")
    cf_images_api_token: str = env("str", "")
    cf_images_api_base: str = env("str", "https://api.cloudflare.com/client/v4")
    cf_images_delivery_url: str = env("str", "")
    cf_images_signing_key: str = env("str", "")
    cors_origins: list = env("list", [])
    strict_cors: bool = env("bool", False)
    trusted_proxy_cidrs: list = env("list", [])
    rate_limit_public: str = env("str", "60/minute", dev_default="10000/minute")
    rate_limit_public_tenant: str = env("str", "1200/minute", dev_default="100000/minute")
    rate_limit_login: str = env("str", "10/minute", dev_default="10000/minute")
    rate_limit_signup: str = env("str", "5/minute", dev_default="10000/minute")
    # Failed sign-ins per normalised e-mail (login, MFA code, reset confirm, worker login), every
    # APP_ENV: the attempt after the limit is refused with 429 whatever the client address.
    rate_limit_login_account: str = env("str", "10/15minutes")
    # Failed operator Basic credentials, per client IP and across all clients.
    rate_limit_operator_auth: str = env("str", "10/15minutes")
    rate_limit_operator_auth_global: str = env("str", "100/15minutes")
    # Magic sign-in links a tenant's customers may ask for (SPEC §5.13), every APP_ENV: per
    # e-mail address and per client IP, within the tenant.
    rate_limit_client_login_email: str = env("str", "5/hour")
    rate_limit_client_login_ip: str = env("str", "30/hour")
    tenant_pool_size: int = env("int", 5)
    tenant_base_domain: str = env("str", "")
    pool_max_tenants_per_conn: int = env("int", 200)
    pool_recycle_seconds: int = env("int", 1800)
    pool_size: int = env("int", 8)  # ≥ gunicorn threads per worker: overflow connections churn
    shards: list = env("list", [])
    shard_owner_urls: list = env("list", [])
    shard_placement: str = env("str", "fewest")
    captcha_mode: str = env("str", "off")
    turnstile_secret_key: str = env("str", "")
    turnstile_site_key: str = env("str", "")  # the widget's public key, shown on the booking page
    turnstile_verify_url: str = env(
        "str", "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    )
    deposit_hold_minutes: int = env("int", 30)
    recurring_horizon_days: int = env("int", 56)  # plan visits materialised ahead (SPEC §5.10)
    billing_grace_days: int = env("int", 7)
    tenant_delete_retention_days: int = env("int", 30)
    photo_max_bytes: int = env("int", 10 * 1024 * 1024)
    job_heartbeat_required: bool = env("bool", False)
    export_webhooks_enabled: bool = env("bool", True)
    export_allow_http: bool = env("bool", False)
    export_host_allowlist: list = env("list", [])
    # host:port pairs the export SSRF guard lets through although they resolve to a refused
    # address (tests point webhooks at 127.0.0.1); refused in production.
    export_unsafe_allow_targets: list = env("list", [])
    export_timeout_seconds: float = env("float", 5.0)
    export_auto_replay: bool = env("bool", False)
    export_auto_replay_max_age_hours: int = env("int", 72)
    export_auto_replay_max_replays: int = env("int", 3)
    export_auto_replay_per_tenant: int = env("int", 20)
    export_auto_replay_failure_streak: int = env("int", 3)
    mail_timeout_seconds: float = env("float", 10.0)
    sendgrid_api_base: str = env("str", "https://api.sendgrid.com")
    argon2_time_cost: int = env("int", 3)
    argon2_memory_cost: int = env("int", 65536)
    log_level: str = env("str", "INFO")
    # Fernet keys (comma-separated, newest first) for secrets at rest; required in production.
    data_encryption_keys: list = env("list", [], dev_default=[DEV_ENCRYPTION_KEY])

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Parse every declared setting from ``environ`` (default ``os.environ``)."""
        environ = os.environ if environ is None else environ
        app_env = overrides.get("app_env") or environ.get("APP_ENV", "dev")
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            meta = f.metadata
            key = meta.get("name") or f.name.upper()
            if f.name in overrides:
                values[f.name] = overrides[f.name]
                continue
            raw = environ.get(key)
            if raw is None:
                if app_env != "prod" and meta.get("dev_default") is not None:
                    values[f.name] = meta["dev_default"]
                continue
            try:
                values[f.name] = _PARSERS[meta["kind"]](raw)
            except ValueError as exc:
                raise SettingsError(f"{key}: {exc}") from exc
        settings = cls(**values)
        settings.validate()
        return settings

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ derived values
    @property
    def owner_url(self) -> str:
        return self.database_owner_url or self.database_url

    @property
    def shard_map(self):
        """Named tenant databases: ``default`` (``DATABASE_URL``) plus ``SHARDS``."""

        return shard_map(self.database_url, self.owner_url, self.shards, self.shard_owner_urls)

    @property
    def is_prod(self) -> bool:
        return self.app_env == "prod"

    @property
    def operator_credentials(self) -> dict[str, str]:
        pairs = {}
        for item in self.operator_basic_auth:
            user, sep, password = item.partition(":")
            if sep and user and password:
                pairs[user] = password
        return pairs

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        if self.app_env not in {"dev", "test", "prod"}:
            raise SettingsError(f"APP_ENV must be dev, test or prod, not {self.app_env!r}")
        if self.storage_backend not in {"local", "s3", "r2", "cloudflare_images"}:
            raise SettingsError(f"STORAGE_BACKEND {self.storage_backend!r} is not supported")
        if self.captcha_mode not in {"off", "turnstile"}:
            raise SettingsError("CAPTCHA_MODE must be off or turnstile")
        for name in RATE_LIMIT_SETTINGS:
            try:
                parse_many(getattr(self, name))
            except ValueError as exc:
                raise SettingsError(f"{name.upper()}: not a rate limit ({exc})") from exc
        if self.tenant_delete_retention_days < 0:
            raise SettingsError("TENANT_DELETE_RETENTION_DAYS may not be negative")
        if self.pool_max_tenants_per_conn < 1:
            raise SettingsError("POOL_MAX_TENANTS_PER_CONN must be at least 1")
        try:
            shards = self.shard_map
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
        if self.shard_placement != "fewest" and self.shard_placement not in shards:
            raise SettingsError("SHARD_PLACEMENT must be 'fewest' or the name of a shard")
        for key in self.data_encryption_keys:
            problem = key_problem(key)
            if problem:
                raise SettingsError(f"DATA_ENCRYPTION_KEYS: {problem}")
        if not self.is_prod:
            return
        problems = self.production_problems()
        if problems:
            raise SettingsError("refusing to start in production: " + "; ".join(problems))

    def production_problems(self) -> list[str]:
        """Every reason production must not start with these settings, each naming its variable
        (one error lists them all, so a deploy is fixed in one round)."""
        problems = []
        for name in ("secret_key", "jwt_secret"):
            value = getattr(self, name)
            if value == DEV_SECRET or len(value) < SECRET_MIN:
                problems.append(
                    f"{name.upper()} must be set to a secret of at least {SECRET_MIN} characters"
                )
        if self.secret_key == self.jwt_secret:
            problems.append("SECRET_KEY and JWT_SECRET must be different secrets")
        if not self.operator_credentials:
            problems.append("OPERATOR_BASIC_AUTH needs at least one user:password pair")
        short = [
            u for u, pw in self.operator_credentials.items() if len(pw) < OPERATOR_PASSWORD_MIN
        ]
        if short:
            problems.append(
                f"OPERATOR_BASIC_AUTH passwords must have at least {OPERATOR_PASSWORD_MIN} "
                f"characters (too short for: {', '.join(sorted(short))})"
            )
        if not self.strict_cors:
            problems.append("STRICT_CORS must be on")
        if "*" in self.cors_origins:
            problems.append("CORS_ORIGINS may not contain '*'")
        if len(self.metrics_token) < METRICS_TOKEN_MIN:
            problems.append(f"METRICS_TOKEN must be set, at least {METRICS_TOKEN_MIN} characters")
        for name, published in PUBLISHED_STRIPE_DEFAULTS.items():
            value = getattr(self, name)
            if value == published:
                problems.append(f"{name.upper()} is the published development default")
            elif not _STRIPE_SHAPES[name].match(value):
                problems.append(f"{name.upper()} does not look like a Stripe value")
        if not self.data_encryption_keys:
            problems.append("DATA_ENCRYPTION_KEYS must hold at least one Fernet key")
        elif DEV_ENCRYPTION_KEY in self.data_encryption_keys:
            problems.append("DATA_ENCRYPTION_KEYS may not contain the published development key")
        if self.export_webhooks_enabled and not self.export_host_allowlist:
            problems.append("export webhooks need EXPORT_HOST_ALLOWLIST in production")
        if self.export_unsafe_allow_targets:
            problems.append("EXPORT_UNSAFE_ALLOW_TARGETS is for tests and may not be set")
        return problems
