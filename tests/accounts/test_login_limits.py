"""Brute force is limited per account (SPEC §8, RATE_LIMIT_LOGIN_ACCOUNT = 10/15minutes in every
APP_ENV): the 11th failure gets 429 with Retry-After, whatever address it comes from."""

from __future__ import annotations

import base64
import logging

import pyotp
import pytest

from shared.limits import warn_untrusted_forwarding
from tests.accounts.conftest import NEW_PASSWORD, login
from tests.conftest import OPERATOR
from tests.support import PASSWORD

LIMIT = 10


def _from(i: int) -> dict:
    return {"REMOTE_ADDR": f"10.77.{i // 250}.{i % 250 + 1}"}


def _assert_429(resp) -> None:
    assert resp.status_code == 429, resp.get_json()
    assert resp.get_json()["code"] == "rate_limited"
    assert 0 < int(resp.headers["Retry-After"]) <= 15 * 60


def test_settings_default_is_ten_per_fifteen_minutes(runtime):
    assert runtime.settings.app_env == "test"
    assert runtime.settings.rate_limit_login_account == "10/15minutes"


def test_eleventh_failed_login_from_eleven_addresses_is_429(client, tenant):
    for i in range(LIMIT):
        resp = client.post(
            "/v1/auth/login",
            json={"email": tenant.email, "password": f"Wrong-{i}-Password"},
            environ_base=_from(i),
        )
        assert resp.status_code == 401, i
    # the e-mail is normalised: another spelling is the same account
    eleventh = client.post(
        "/v1/auth/login",
        json={"email": tenant.email.upper(), "password": "Wrong-11-Password"},
        environ_base=_from(LIMIT),
    )
    _assert_429(eleventh)
    # even the right password waits now
    _assert_429(client.post("/v1/auth/login", json={"email": tenant.email, "password": PASSWORD}))


def test_nine_failures_still_let_the_owner_in_and_success_resets(client, tenant):
    for i in range(LIMIT - 1):
        assert login(client, tenant.email, f"Wrong-{i}-Password").status_code == 401
    assert login(client, tenant.email).status_code == 200
    for i in range(LIMIT):  # the count started again after the success
        assert login(client, tenant.email, f"Wrong-{i}-Password").status_code == 401
    _assert_429(login(client, tenant.email, "Wrong-Again-Password"))


def test_wrong_mfa_codes_count_against_the_account(client, tenant):
    secret = client.post("/v1/auth/2fa/enroll", headers=tenant.headers).get_json()["secret"]
    totp = pyotp.TOTP(secret)
    assert (
        client.post(
            "/v1/auth/2fa/verify", json={"code": totp.now()}, headers=tenant.headers
        ).status_code
        == 200
    )
    wrong = f"{(int(totp.now()) + 500000) % 1000000:06d}"
    assert login(client, tenant.email).get_json()["code"] == "mfa_required"  # not a failure
    for i in range(LIMIT):
        resp = client.post(
            "/v1/auth/login",
            json={"email": tenant.email, "password": PASSWORD, "mfa_code": wrong},
            environ_base=_from(i),
        )
        assert resp.status_code == 401, i
    _assert_429(login(client, tenant.email, mfa_code=totp.now()))


def test_password_reset_confirm_failures_count_against_the_account(client, tenant, mails):
    client.post("/v1/auth/password-reset", json={"email": tenant.email})
    token = [m for m in mails if m["template"] == "password_reset"][-1]["context"]["token"]
    body = {"token": token, "new_password": NEW_PASSWORD}
    assert client.post("/v1/auth/password-reset/confirm", json=body).status_code == 204
    for i in range(LIMIT):  # the spent token, replayed from many addresses
        resp = client.post("/v1/auth/password-reset/confirm", json=body, environ_base=_from(i))
        assert resp.status_code == 400, i
    _assert_429(client.post("/v1/auth/password-reset/confirm", json=body))
    _assert_429(login(client, tenant.email, NEW_PASSWORD))  # one bucket per account


def test_eleventh_failed_worker_login_is_429(client, tenant):
    from tests.workforce.helpers import login_worker, make_worker

    worker = make_worker(client, tenant)
    for i in range(LIMIT):
        resp = client.post(
            tenant.url("/worker/login"),
            json={"email": worker.email, "password": f"Wrong-{i}-Password"},
            environ_base=_from(i),
        )
        assert resp.status_code == 401, i
    _assert_429(login_worker(client, tenant, worker.email.upper()))


@pytest.fixture()
def clean_operator_limits(runtime):
    def wipe():
        for key in runtime.redis.scan_iter("auth-fail:operator-*"):
            runtime.redis.delete(key)

    wipe()
    yield
    wipe()


def _basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_failed_operator_basic_auth_is_limited_per_ip(client, clean_operator_limits):
    ip = {"REMOTE_ADDR": "10.88.0.1"}
    for _ in range(10):
        resp = client.get("/v1/ops/tenants", headers=_basic("ops", "guess"), environ_base=ip)
        assert resp.status_code == 401
    _assert_429(client.get("/v1/ops/tenants", headers=_basic(*OPERATOR), environ_base=ip))
    other = {"REMOTE_ADDR": "10.88.0.2"}
    assert (
        client.get("/v1/ops/tenants", headers=_basic(*OPERATOR), environ_base=other).status_code
        == 200
    )


def test_failed_operator_basic_auth_is_limited_globally(client, clean_operator_limits):
    for i in range(100):
        resp = client.get(
            "/v1/ops/tenants", headers=_basic("ops", f"guess-{i}"), environ_base=_from(i)
        )
        assert resp.status_code == 401, i
    _assert_429(client.get("/v1/ops/tenants", headers=_basic(*OPERATOR), environ_base=_from(500)))


def test_prod_warns_once_when_forwarded_for_arrives_without_trusted_proxies(
    runtime, wsgi_app, caplog
):
    app = wsgi_app.control_plane
    prod = runtime.settings.replace(app_env="prod", trusted_proxy_cidrs=[])
    trusted = prod.replace(trusted_proxy_cidrs=["10.0.0.0/8"])
    caplog.set_level(logging.WARNING, logger="cleanplane.limits")
    with app.test_request_context("/", headers={"X-Forwarded-For": "1.2.3.4"}):
        assert warn_untrusted_forwarding(trusted) is False
        assert warn_untrusted_forwarding(runtime.settings) is False  # not prod
        assert warn_untrusted_forwarding(prod) is True
        assert warn_untrusted_forwarding(prod) is False  # once per process
    assert any("TRUSTED_PROXY_CIDRS" in r.getMessage() for r in caplog.records)
    with app.test_request_context("/"):
        assert warn_untrusted_forwarding(prod.replace(metrics_token="x")) is False


def test_counters_expire_with_their_window(rt, tenant):
    from shared.limits import login_failures

    login_failures.failed(tenant.email)
    ttl = rt.redis.ttl(login_failures.key(tenant.email))
    assert 15 * 60 - 5 <= ttl <= 15 * 60


def test_failures_are_still_counted_in_memory_when_redis_is_down(runtime):
    from shared.errors import AppError
    from shared.limits import FailureLimit
    from shared.runtime import Runtime, use_runtime

    dead = Runtime(runtime.settings.replace(redis_url="redis://127.0.0.1:1/0"))
    limit = FailureLimit("login-drill", "rate_limit_login_account")
    try:
        with use_runtime(dead):
            for _ in range(LIMIT):
                limit.check("down@example.com")
                limit.failed("down@example.com")
            with pytest.raises(AppError) as err:
                limit.check("Down@Example.com")
            assert err.value.status == 429 and int(err.value.headers["Retry-After"]) > 0
            limit.succeeded("down@example.com")
            limit.check("down@example.com")
    finally:
        dead.dispose()
