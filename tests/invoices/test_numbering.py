"""Gapless numbering (SPEC §5.11): concurrent issues get consecutive numbers; a rollback leaves no
gap; credit notes count on their own; each tenant has its own series."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from shared import db
from tenantapp.invoices import service, state
from tests.invoices.helpers import InTenant, customer_id, line, manual_invoice, post
from tests.support import ApiClient

YEAR = datetime.now(ZoneInfo("America/Edmonton")).year


def _drafts(client, tenant, n):
    cid = customer_id(client, tenant)
    return [manual_invoice(client, tenant, [line(1000 + i)], cid=cid)["id"] for i in range(n)]


def test_fifty_concurrent_issues_over_http_get_fifty_consecutive_numbers(client, wsgi_app, tenant):
    ids = _drafts(client, tenant, 50)

    start = threading.Barrier(50)

    def issue(invoice_id):
        own = ApiClient(wsgi_app)  # one client per thread, as 50 browsers would be
        start.wait()
        retried = False
        for _ in range(10):
            resp = own.post(
                tenant.url(f"/admin/invoices/{invoice_id}/issue"), headers=tenant.headers
            )
            # On a shared machine Postgres may refuse a connection (503 + Retry-After): a client
            # retries, and the failed attempt must not have used a number (checked below).
            if resp.status_code != 503:
                break
            retried = True
            time.sleep(0.5)
        if resp.status_code == 409 and retried:
            # the 503 came after the issue committed (reading the answer): it is issued
            resp = own.get(tenant.url(f"/admin/invoices/{invoice_id}"), headers=tenant.headers)
        return resp.status_code, resp.get_json().get("number")

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(issue, ids))
    assert {status for status, _ in results} == {200}
    numbers = sorted(number for _, number in results)
    assert numbers == [f"INV-{YEAR}-{n:06d}" for n in range(1, 51)]


def test_a_rolled_back_issue_leaves_no_gap(client, runtime, tenant):
    first, second = _drafts(client, tenant, 2)
    with InTenant(runtime, tenant), pytest.raises(RuntimeError), db.transaction() as tx:
        inv = state.locked(tx, first)
        service.issue_locked(tx, inv)
        assert inv.number == f"INV-{YEAR}-000001"
        raise RuntimeError("the issuing transaction fails after taking its number")
    issued = post(client, tenant, f"/admin/invoices/{second}/issue", key=False)
    assert issued["number"] == f"INV-{YEAR}-000001"
    again = post(client, tenant, f"/admin/invoices/{first}/issue", key=False)
    assert again["number"] == f"INV-{YEAR}-000002"


def test_credit_notes_have_their_own_series_and_tenants_their_own_counters(
    client, tenant, other_tenant
):
    inv = manual_invoice(client, tenant, [line(10000)])
    inv = post(client, tenant, f"/admin/invoices/{inv['id']}/issue", key=False)
    note = post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/credit-notes",
        {"lines": [line(100)], "reason": "x"},
        status=201,
        key=False,
    )
    assert note["number"] == f"CN-{YEAR}-000001"
    theirs = manual_invoice(client, other_tenant, [line(500)])
    theirs = post(client, other_tenant, f"/admin/invoices/{theirs['id']}/issue", key=False)
    assert theirs["number"] == f"INV-{YEAR}-000001"
