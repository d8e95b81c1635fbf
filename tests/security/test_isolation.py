"""OpenAPI-driven isolation sweep: every non-public operation, called with another tenant's
token, with no token, or with the wrong kind of credentials, gets nothing.

New endpoints are covered automatically because the list comes from the OpenAPI documents.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.workforce.helpers import make_worker

PARAM = re.compile(r"{([^}]+)}")


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                # flask-smorest documents path parameters on the path item, not the operation:
                # merge them so integer ids are filled as integers (and reach the guards).
                params = item.get("parameters", []) + op.get("parameters", [])
                yield path, method, {**op, "parameters": params}


def _fill(path: str, op: dict) -> str:
    types = {p["name"]: p.get("schema", {}) for p in op.get("parameters", []) if p["in"] == "path"}

    def value(match):
        schema = types.get(match.group(1), {})
        if schema.get("type") == "integer":
            return "1"
        return str(uuid.uuid4())

    return PARAM.sub(value, path)


def _call(client, method, url, headers):
    kwargs = {"headers": headers}
    if method in {"post", "put", "patch"}:
        kwargs["json"] = {}
    return getattr(client, method)(url, **kwargs)


def _is_public(op) -> bool:
    return op.get("security") == []


def test_every_tenant_operation_refuses_other_tenants_and_anonymous(client, tenant, other_tenant):
    doc = client.get(tenant.url("/openapi.json")).get_json()
    checked = 0
    for path, method, op in _operations(doc):
        if _is_public(op):
            continue
        url = tenant.url(_fill(path, op))
        foreign = _call(client, method, url, other_tenant.headers)
        assert foreign.status_code in (403, 404), (method, path, foreign.status_code)
        if foreign.status_code == 403:
            assert foreign.get_json()["code"] in {"tenant_mismatch", "forbidden"}
        anonymous = _call(client, method, url, {})
        assert anonymous.status_code in (401, 404), (method, path, anonymous.status_code)
        checked += 1
    assert checked >= 3  # the sweep really ran


def _is_worker_op(op) -> bool:
    return op.get("security") == [{"workerToken": []}]


def test_every_worker_operation_refuses_foreign_workers_staff_and_anonymous(
    client, tenant, other_tenant
):
    """Worker-portal operations: another tenant's worker token → 403 tenant_mismatch; a staff
    token (even of this tenant) → 403; no token → 401."""
    make_worker(client, tenant)
    foreign_worker = make_worker(client, other_tenant)
    doc = client.get(tenant.url("/openapi.json")).get_json()
    checked = 0
    for path, method, op in _operations(doc):
        if not _is_worker_op(op):
            continue
        url = tenant.url(_fill(path, op))
        foreign = _call(client, method, url, foreign_worker.headers)
        assert foreign.status_code == 403, (method, path, foreign.status_code)
        assert foreign.get_json()["code"] == "tenant_mismatch", (method, path)
        staff = _call(client, method, url, tenant.headers)
        assert staff.status_code == 403, (method, path, staff.status_code)
        assert _call(client, method, url, {}).status_code == 401, (method, path)
        checked += 1
    assert checked >= 11  # jobs, job, 4 checklist and 5 time operations


def test_every_staff_operation_refuses_worker_tokens(client, tenant):
    worker = make_worker(client, tenant)
    doc = client.get(tenant.url("/openapi.json")).get_json()
    checked = 0
    for path, method, op in _operations(doc):
        if op.get("security") != [{"staffToken": []}]:
            continue
        resp = _call(client, method, tenant.url(_fill(path, op)), worker.headers)
        assert resp.status_code == 403, (method, path, resp.status_code)
        checked += 1
    assert checked >= 20


def test_every_tenant_operation_refuses_operator_credentials(client, tenant, operator_headers):
    doc = client.get(tenant.url("/openapi.json")).get_json()
    for path, method, op in _operations(doc):
        if _is_public(op):
            continue
        resp = _call(client, method, tenant.url(_fill(path, op)), operator_headers)
        assert resp.status_code in (401, 403, 404), (method, path, resp.status_code)


def test_every_operator_operation_refuses_tenant_tokens(client, tenant):
    doc = client.get("/v1/openapi.json").get_json()
    checked = 0
    for path, method, op in _operations(doc):
        if not path.startswith("/v1/ops/"):
            continue
        url = _fill(path, op)
        staff = _call(client, method, url, tenant.headers)
        assert staff.status_code == 403, (method, path, staff.status_code)
        assert _call(client, method, url, {}).status_code == 401
        checked += 1
    assert checked >= 4


def test_control_plane_staff_operations_refuse_anonymous_and_operators(client, operator_headers):
    doc = client.get("/v1/openapi.json").get_json()
    for path, method, op in _operations(doc):
        if _is_public(op) or path.startswith("/v1/ops/"):
            continue
        url = _fill(path, op)
        assert _call(client, method, url, {}).status_code == 401, (method, path)
        assert _call(client, method, url, operator_headers).status_code in (401, 403), (
            method,
            path,
        )


@pytest.mark.parametrize("suffix", ["", "/suspend", "/resume"])
def test_operator_endpoints_unknown_tenant_id_is_404(client, operator_headers, suffix):
    method = client.get if suffix == "" else client.post
    kwargs = {} if suffix == "" else {"json": {"reason": "x"}}
    resp = method(f"/v1/ops/tenants/{uuid.uuid4()}{suffix}", headers=operator_headers, **kwargs)
    assert resp.status_code == 404


def test_wrong_operator_password_is_401(client):
    import base64

    raw = base64.b64encode(b"ops:wrong").decode()
    assert (
        client.get("/v1/ops/tenants", headers={"Authorization": f"Basic {raw}"}).status_code == 401
    )


def test_operator_api_token_works_until_revoked(client, rt):
    from sqlalchemy import update

    from shared import db
    from shared.operator_tokens import OperatorToken, create_operator_token

    with db.transaction() as tx:
        token, row = create_operator_token(tx, "ci-bot", days=1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/ops/tenants", headers=headers).status_code == 200
    with db.transaction() as tx:
        tx.execute(
            update(OperatorToken).where(OperatorToken.id == row.id).values(revoked_at=db_now())
        )
    db.close_session()
    assert client.get("/v1/ops/tenants", headers=headers).status_code == 401


def db_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
