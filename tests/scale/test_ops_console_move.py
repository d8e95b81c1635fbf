"""A move started from the operator console's tenant page: confirmed, audited, run by the job."""

from __future__ import annotations

import uuid

from rq import Queue
from sqlalchemy import select

from controlplane.ops_console.jobs import run_tenant_move
from controlplane.ops_console.models import OpsAuditEntry
from controlplane.shards.models import TenantMove
from jobs import queues
from shared import db
from tests.ops_console.conftest import csrf_from
from tests.scale.conftest import tenant_row
from tests.support import signup


def test_operator_moves_a_tenant_from_its_page(sclient, srt, operator_headers):
    tenant = signup(sclient)  # placed on "east"
    page = sclient.get(f"/ops/tenants/{tenant.id}", headers=operator_headers)
    assert "Move to another shard…" in page.get_data(as_text=True)
    confirm = sclient.get(f"/ops/tenants/{tenant.id}/move", headers=operator_headers)
    html = confirm.get_data(as_text=True)
    assert '<option value="default"' in html and '<option value="east"' not in html
    resp = sclient.post(
        f"/ops/tenants/{tenant.id}/move",
        data={"csrf_token": csrf_from(html), "shard": "default"},
        headers=operator_headers,
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith("done=move-started")
    (move,) = (
        db.session()
        .scalars(select(TenantMove).where(TenantMove.tenant_id == uuid.UUID(tenant.id)))
        .all()
    )
    assert (move.status, move.actor, move.target_shard) == ("running", "operator:ops", "default")
    queued = Queue(queues.MAINTENANCE, connection=srt.redis).jobs
    assert [j.args for j in queued if j.func_name.endswith("run_tenant_move")] == [(str(move.id),)]
    entry = (
        db.session()
        .scalars(select(OpsAuditEntry).where(OpsAuditEntry.tenant_id == uuid.UUID(tenant.id)))
        .one()
    )
    assert (entry.action, entry.detail["to"], entry.detail["source"]) == (
        "tenant.move",
        "default",
        "east",
    )

    result = run_tenant_move(str(move.id))  # what the maintenance worker runs
    assert result["target"] == "default"
    assert tenant_row(srt, tenant.slug).shard == "default"
    assert sclient.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200
    Queue(queues.MAINTENANCE, connection=srt.redis).empty()

    again = sclient.post(
        f"/ops/tenants/{tenant.id}/move",
        data={"csrf_token": csrf_from(html), "shard": "default"},
        headers=operator_headers,
    )
    assert again.status_code == 409 and "already on shard" in again.get_data(as_text=True)
