"""Helpers for the job tests."""

from __future__ import annotations

from sqlalchemy import select

from shared import db
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.audit.models import AuditEntry


def audit_entries(runtime, tenant_id, action: str) -> list[AuditEntry]:
    """The tenant's audit rows with ``action``, read through its own tenant context."""
    ref = runtime.tenants.by_id(tenant_id)
    with use_runtime(runtime), tenant_context(ref):
        return list(db.session().scalars(select(AuditEntry).where(AuditEntry.action == action)))


def suspend(client, operator_headers, tenant_id) -> None:
    resp = client.post(
        f"/v1/ops/tenants/{tenant_id}/suspend", json={"reason": "x"}, headers=operator_headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
