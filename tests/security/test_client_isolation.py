"""Client sessions (``typ=client``) in the isolation sweep: a customer's cookie token is no
credential for any staff, worker or operator operation of the API, in its own workspace or
another; the account pages' own isolation is in tests/account/test_actions.py."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.auth import tokens
from tests.security.test_isolation import _call, _fill, _is_public, _operations


def _client_token(settings, tenant) -> str:
    token, _ = tokens.issue(
        settings,
        typ="client",
        sub="1",
        tid=str(tenant.id),
        sid="00000000-0000-4000-8000-000000000000",
        now=datetime.now(UTC),
    )
    return token


def test_every_protected_operation_refuses_a_client_token(client, tenant, settings):
    headers = {"Authorization": f"Bearer {_client_token(settings, tenant)}"}
    doc = client.get(tenant.url("/openapi.json")).get_json()
    checked = 0
    for path, method, op in _operations(doc):
        if _is_public(op):
            continue
        resp = _call(client, method, tenant.url(_fill(path, op)), headers)
        assert resp.status_code in (401, 403, 404), (method, path, resp.status_code)
        checked += 1
    assert checked >= 20
    control = client.get("/v1/openapi.json").get_json()
    for path, method, op in _operations(control):
        if _is_public(op):
            continue
        resp = _call(client, method, _fill(path, op), headers)
        assert resp.status_code in (401, 403, 404), (method, path, resp.status_code)
