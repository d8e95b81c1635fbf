"""Leads in the console (SPEC §5.14, §5.2): list, status filter, pages of 50, the bulk status
change through the API's bulk service (its status machine and limits), permissions."""

from __future__ import annotations

import re

from tests.bookings.conftest import make_lead
from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in


def _leads(client, tenant, n, prefix="lead"):
    return [
        make_lead(client, tenant, email=f"{prefix}{i}@example.com", name=f"Lee {prefix} {i}")
        for i in range(n)
    ]


def _status(client, tenant, lead_id) -> str:
    resp = client.get(tenant.url(f"/admin/leads/{lead_id}"), headers=tenant.headers)
    return resp.get_json()["lead"]["status"]


def test_the_list_shows_leads_and_filters_by_status(client, tenant):
    first, second = _leads(client, tenant, 2)
    client.post(
        tenant.url(f"/admin/leads/{second['lead_id']}/status"),
        json={"status": "CONTACTED"},
        headers=tenant.headers,
    )
    signed_in(client, tenant)
    page = client.get(console(tenant, "/leads"))
    assert page.status_code == 200
    assert "Lee lead 0" in page.text and "Lee lead 1" in page.text
    assert "lead0@example.com" in page.text
    contacted = client.get(console(tenant, "/leads?status=CONTACTED"))
    assert "Lee lead 1" in contacted.text and "Lee lead 0" not in contacted.text
    bad = client.get(console(tenant, "/leads?status=WON&to=31-12-2026"))
    assert bad.status_code == 422
    assert 'id="filter-status-error" aria-live="polite">Must be one of' in bad.text
    assert 'id="filter-to-error" aria-live="polite">Not a valid date' in bad.text


def test_the_list_paginates_by_fifty(client, tenant):
    _leads(client, tenant, 51)
    signed_in(client, tenant)
    first = client.get(console(tenant, "/leads"))
    assert first.text.count('name="ids"') == 50
    nxt = re.search(r'href="([^"]+cursor=[^"]+)" rel="next"', first.text)
    second = client.get(nxt.group(1).replace("&amp;", "&"))
    assert second.text.count('name="ids"') == 1 and 'rel="next"' not in second.text


def test_bulk_status_change_reports_each_lead(client, tenant):
    a, b, c = _leads(client, tenant, 3)
    client.post(
        tenant.url(f"/admin/leads/{c['lead_id']}/status"),
        json={"status": "CANCELLED"},
        headers=tenant.headers,
    )
    token = signed_in(client, tenant)
    resp = client.post(
        console(tenant, "/leads/bulk"),
        data={
            "csrf_token": token,
            "status": "CONTACTED",
            "ids": [str(a["lead_id"]), str(b["lead_id"]), str(c["lead_id"])],
        },
        headers={"Origin": "http://localhost"},
    )
    assert resp.status_code == 200
    assert "2 of 3 done." in resp.text
    assert f"#{c['lead_id']}: A CANCELLED lead cannot become CONTACTED." in resp.text
    assert _status(client, tenant, a["lead_id"]) == "CONTACTED"
    assert _status(client, tenant, c["lead_id"]) == "CANCELLED"


def test_bulk_needs_ids_and_a_known_status_and_at_most_500(client, tenant):
    (lead,) = _leads(client, tenant, 1)
    token = signed_in(client, tenant)
    none = post_form(client, console(tenant, "/leads/bulk"), {"status": "CONTACTED"}, token=token)
    assert none.status_code == 422 and 'class="error" role="alert"' in none.text
    wrong = post_form(
        client,
        console(tenant, "/leads/bulk"),
        {"status": "WON", "ids": str(lead["lead_id"])},
        token=token,
    )
    assert (
        wrong.status_code == 422
        and 'id="bulk-status-error" aria-live="polite">Must be' in wrong.text
    )
    ids = [str(i) for i in range(1, 502)]
    over = client.post(
        console(tenant, "/leads/bulk"),
        data={"csrf_token": token, "status": "CONTACTED", "ids": ids},
        headers={"Origin": "http://localhost"},
    )
    assert over.status_code == 422
    at_limit = client.post(
        console(tenant, "/leads/bulk"),
        data={"csrf_token": token, "status": "CONTACTED", "ids": ids[:500]},
        headers={"Origin": "http://localhost"},
    )
    assert at_limit.status_code == 200 and "of 500 done." in at_limit.text
    assert _status(client, tenant, lead["lead_id"]) == "CONTACTED"


def test_a_viewer_reads_leads_but_cannot_change_them(client, runtime, tenant):
    (lead,) = _leads(client, tenant, 1)
    signed_in(client, tenant, add_member(runtime, tenant, "viewer"))
    page = client.get(console(tenant, "/leads"))
    assert page.status_code == 200 and "Lee lead 0" in page.text
    resp = post_form(
        client,
        console(tenant, "/leads/bulk"),
        {"status": "CONTACTED", "ids": str(lead["lead_id"])},
        token=csrf_of(page.text),
    )
    assert resp.status_code == 403 and "dispatch permission" in resp.text
    assert _status(client, tenant, lead["lead_id"]) == "NEW"


def test_another_workspaces_leads_are_not_found(client, tenant, other_tenant):
    theirs = _leads(client, other_tenant, 3, prefix="theirs")
    token = signed_in(client, tenant)
    page = client.get(console(tenant, "/leads"))
    assert "Lee theirs" not in page.text
    resp = post_form(
        client,
        console(tenant, "/leads/bulk"),
        {"status": "CONTACTED", "ids": str(theirs[-1]["lead_id"])},
        token=token,
    )
    assert resp.status_code == 200 and "0 of 1 done." in resp.text  # not found, one per id
    assert _status(client, other_tenant, theirs[-1]["lead_id"]) == "NEW"
