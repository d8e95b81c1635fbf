"""Drill: the Postgres backend serving a request is terminated while the request holds its
transaction. The client gets a clean 5xx problem+json, nothing half-written stays behind, and
the next request (on a fresh pooled connection) succeeds."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from werkzeug.test import Client
from werkzeug.wrappers import Response

from shared import db
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.audit.models import AuditEntry
from tenantapp.scheduling import service as scheduling
from tests.support import ADMIN_URL

pytestmark = pytest.mark.slow


@pytest.fixture()
def admin_engine(database_urls):
    # Superuser connection to OUR test database only; used to terminate this run's own backend.
    from sqlalchemy.engine import make_url

    engine = create_engine(make_url(ADMIN_URL).set(database=database_urls["name"]))
    yield engine
    engine.dispose()


def _terminate(admin_engine, pid: int) -> None:
    with admin_engine.begin() as conn:
        killed = conn.execute(
            text(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where pid = :pid and datname = current_database()"
            ),
            {"pid": pid},
        ).scalar()
    assert killed is True


def test_backend_killed_mid_transaction(wsgi_app, runtime, tenant, admin_engine, monkeypatch):
    raw = Client(wsgi_app, Response)  # not ApiClient: a 5xx is what this drill expects
    original = scheduling.record
    killed = []

    def record_then_lose_the_backend(tx, *args, **kwargs):
        if not killed:
            pid = tx.execute(text("select pg_backend_pid()")).scalar()
            _terminate(admin_engine, pid)
            killed.append(pid)
        return original(tx, *args, **kwargs)

    monkeypatch.setattr(scheduling, "record", record_then_lose_the_backend)
    teams = raw.get(tenant.url("/admin/teams"), headers=tenant.headers).get_json()["items"]
    body = {"teams": [{"id": t["id"], "name": t["name"]} for t in teams] + [{"name": "Drill"}]}

    resp = raw.put(tenant.url("/admin/teams"), json=body, headers=tenant.headers)
    assert killed, "the drill never reached the transaction"
    assert 500 <= resp.status_code < 600
    assert resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["status"] == resp.status_code and "Traceback" not in resp.get_data(as_text=True)

    # the next request succeeds, and nothing of the failed one was written
    monkeypatch.setattr(scheduling, "record", original)
    after = raw.get(tenant.url("/admin/teams"), headers=tenant.headers)
    assert after.status_code == 200
    assert "Drill" not in [t["name"] for t in after.get_json()["items"]]
    with use_runtime(runtime), tenant_context(runtime.tenants.by_id(tenant.id)):
        actions = db.session().scalars(select(AuditEntry.action)).all()
    assert "team.create" not in actions

    again = raw.put(tenant.url("/admin/teams"), json=body, headers=tenant.headers)
    assert again.status_code == 200
    assert "Drill" in [t["name"] for t in again.get_json()["items"]]
