"""``/readyz`` details only for operators or the metrics token; anyone else gets the status alone."""

from __future__ import annotations

import re

import pytest

from tests.support import ApiClient

METRICS_TOKEN = "m" * 40
DETAILS = {"database", "redis", "jobs", "tenants", "search_path"}


@pytest.fixture()
def token_app(runtime):
    from wsgi import create_wsgi

    return create_wsgi(runtime.settings.replace(metrics_token=METRICS_TOKEN))


@pytest.fixture()
def token_client(token_app) -> ApiClient:
    return ApiClient(token_app)


def _assert_details(resp) -> None:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["status"] == "ok"
    assert set(body) >= DETAILS
    assert body["search_path"] == "cp_guard"


def test_anonymous_caller_gets_the_status_alone(token_client):
    resp = token_client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Authorization" in resp.headers["Vary"]


def test_operator_basic_credentials_see_the_details(token_client, operator_headers):
    _assert_details(token_client.get("/readyz", headers=operator_headers))


def test_operator_token_sees_the_details(token_app, token_client):
    runner = token_app.control_plane.test_cli_runner()
    made = runner.invoke(args=["ops", "token", "create", "readyz-probe"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    _assert_details(token_client.get("/readyz", headers={"Authorization": f"Bearer {token}"}))
    token_id = re.search(r"token id \(for revoke\): ([0-9a-f-]{36})", made.output).group(1)
    assert runner.invoke(args=["ops", "token", "revoke", token_id]).exit_code == 0
    revoked = token_client.get("/readyz", headers={"Authorization": f"Bearer {token}"})
    assert revoked.get_json() == {"status": "ok"}


def test_metrics_token_sees_the_details(token_client):
    _assert_details(
        token_client.get("/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    )


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer " + "x" * 40,  # wrong metrics token
        "Bearer " + METRICS_TOKEN[:-1],  # one character short
        "Basic b3BzOndyb25n",  # ops:wrong
        "Basic !!!not-base64",
        "Bearer not.a.jwt",
    ],
)
def test_wrong_credentials_get_the_status_alone(token_client, authorization):
    resp = token_client.get("/readyz", headers={"Authorization": authorization})
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_a_tenant_staff_token_gets_the_status_alone(client, tenant):
    resp = client.get("/readyz", headers=tenant.headers)
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_without_a_metrics_token_configured_an_empty_bearer_is_not_enough(client):
    """Dev/test run without METRICS_TOKEN: an empty or any bearer must not match the empty token."""
    for header in ("Bearer ", "Bearer x"):
        assert client.get("/readyz", headers={"Authorization": header}).get_json() == {
            "status": "ok"
        }
