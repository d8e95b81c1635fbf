"""Signup/login rate limits (429 + Retry-After, XFF only from trusted proxies) and the breaker."""

import pytest

from shared import circuit
from shared.errors import ServiceUnavailable
from tests.support import ApiClient, unique_slug


@pytest.fixture()
def limited_client(runtime):
    from wsgi import create_wsgi

    settings = runtime.settings.replace(
        rate_limit_signup="2/minute", rate_limit_login="3/minute", trusted_proxy_cidrs=["10.0.0.0/8"]
    )
    return ApiClient(create_wsgi(settings))


def _signup_body():
    return {"company_name": "X", "slug": unique_slug(), "email": "bad-email", "password": "x"}


def test_signup_is_limited_per_ip_with_retry_after(limited_client):
    env = {"REMOTE_ADDR": "192.0.2.10"}
    codes = [
        limited_client.post("/v1/signup", json=_signup_body(), environ_base=env).status_code
        for _ in range(3)
    ]
    assert codes[:2] == [422, 422]
    assert codes[2] == 429
    resp = limited_client.post("/v1/signup", json=_signup_body(), environ_base=env)
    assert resp.get_json()["code"] == "rate_limited"
    assert int(resp.headers["Retry-After"]) > 0
    # another client IP has its own budget
    other = limited_client.post(
        "/v1/signup", json=_signup_body(), environ_base={"REMOTE_ADDR": "192.0.2.11"}
    )
    assert other.status_code == 422


def test_forwarded_for_is_ignored_from_untrusted_peers(limited_client):
    body = {"email": "nobody@example.com", "password": "Whatever-123x"}
    spoofed = [
        limited_client.post(
            "/v1/auth/login", json=body,
            environ_base={"REMOTE_ADDR": "198.51.100.7"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        ).status_code
        for i in range(4)
    ]
    assert spoofed == [401, 401, 401, 429]


def test_forwarded_for_is_used_behind_a_trusted_proxy(limited_client):
    body = {"email": "nobody@example.com", "password": "Whatever-123x"}
    codes = [
        limited_client.post(
            "/v1/auth/login", json=body,
            environ_base={"REMOTE_ADDR": "10.1.2.3"},
            headers={"X-Forwarded-For": f"203.0.113.{50 + i}"},
        ).status_code
        for i in range(5)
    ]
    assert codes == [401] * 5


def test_circuit_opens_after_repeated_failures_and_fails_fast():
    circuit.reset_all()
    calls = []

    def flaky():
        calls.append(1)
        raise ConnectionError("down")

    breaker = circuit.breaker("test-dep", fail_max=2, reset_timeout=60)
    for _ in range(2):
        with pytest.raises((ConnectionError, ServiceUnavailable)):
            circuit.call("test-dep", flaky)
    assert breaker.current_state == "open"
    with pytest.raises(ServiceUnavailable):
        circuit.call("test-dep", flaky)
    assert len(calls) == 2  # the open circuit did not call the dependency again
    circuit.reset_all()
