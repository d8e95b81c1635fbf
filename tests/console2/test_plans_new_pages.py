"""A new plan from the console (SPEC §5.14, §5.10): find the customer, then ``PlanIn`` and
``service.create_plan`` (``POST /admin/plans``) with the API's errors beside the fields; the first
date today is the boundary; one plan for a form posted twice; dispatch only; other workspaces'
customers are 404."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in
from tests.customers.helpers import customer_with_property
from tests.plans.conftest import next_weekday, today


def _plans(client, tenant, customer_id) -> list[dict]:
    resp = client.get(tenant.url(f"/admin/plans?customer_id={customer_id}"), headers=tenant.headers)
    return resp.get_json()["items"]


def _post(client, tenant, customer, data, page=None):
    page = page or client.get(console(tenant, f"/plans/new?customer_id={customer['id']}"))
    assert page.status_code == 200, page.text[:500]
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page.text).group(1)
    body = {"customer_id": str(customer["id"]), "form_key": key, **data}
    return post_form(client, console(tenant, "/plans/new"), body, token=csrf_of(page.text))


def _form(prop, first, **extra) -> dict:
    return {
        "property_id": str(prop["id"]),
        "frequency": "weekly",
        "first_date": first.isoformat(),
        "start_time": "09:00",
        "team_id": "",
        "service_type": "standard",
        **extra,
    }


def test_find_the_customer_then_create_a_plan(client, tenant):
    customer, prop = customer_with_property(client, tenant, home={"beds": 3, "baths": 2})
    signed_in(client, tenant)
    listed = client.get(console(tenant, "/plans"))
    assert f'href="{console(tenant, "/plans/new")}"' in listed.text
    found = client.get(console(tenant, f"/plans/new?find={customer['name'].split()[0]}"))
    assert found.status_code == 200
    assert f"/console/plans/new?customer_id={customer['id']}" in found.text
    first = next_weekday(1)
    resp = _post(client, tenant, customer, _form(prop, first, notes="Side door"))
    assert resp.status_code == 303, resp.text[:800]
    assert resp.headers["Location"].endswith("done=created")
    (plan,) = _plans(client, tenant, customer["id"])
    assert plan["property_id"] == prop["id"] and plan["first_date"] == first.isoformat()
    assert plan["price"]["estimate_request"]["beds"] == 3  # the property's home details
    assert plan["notes"] == "Side door" and plan["upcoming"]
    page = client.get(resp.headers["Location"])
    assert "Plan created." in page.text and 'class="status visit-booked"' in page.text


def test_a_first_date_of_yesterday_is_refused_today_is_taken(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    signed_in(client, tenant)
    past = _post(client, tenant, customer, _form(prop, today() - timedelta(days=1)))
    assert past.status_code == 422
    assert re.search(r'id="f-first_date-error" aria-live="polite">\S', past.text)
    assert not _plans(client, tenant, customer["id"])
    ok = _post(client, tenant, customer, _form(prop, today(), start_time="23:00"))
    assert ok.status_code == 303, ok.text[:800]
    assert len(_plans(client, tenant, customer["id"])) == 1


def test_errors_sit_beside_their_fields_and_what_was_typed_stays(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    signed_in(client, tenant)
    body = _form(prop, next_weekday(1), frequency="daily", beds="lots", max_visits="0")
    body.update(start_time="9 am", notes="Keep me")
    resp = _post(client, tenant, customer, body)
    assert resp.status_code == 422
    for field, message in (
        ("frequency", "Must be one of"),
        ("start_time", "Not a valid time"),
        ("beds", "Not a valid integer"),
        ("max_visits", "Must be greater than or equal to 1"),
    ):
        assert f'id="f-{field}-error" aria-live="polite">{message}' in resp.text, field
    assert "Keep me" in resp.text and 'value="lots"' in resp.text
    assert not _plans(client, tenant, customer["id"])


def test_a_form_posted_twice_makes_one_plan(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    signed_in(client, tenant)
    page = client.get(console(tenant, f"/plans/new?customer_id={customer['id']}"))
    body = _form(prop, next_weekday(2))
    first = _post(client, tenant, customer, body, page=page)
    second = _post(client, tenant, customer, body, page=page)
    assert first.status_code == 303 and second.status_code == 303
    assert second.headers["Location"].endswith(f"/console/customers/{customer['id']}")
    assert len(_plans(client, tenant, customer["id"])) == 1


def test_a_viewer_cannot_make_a_plan(client, runtime, tenant):
    customer, prop = customer_with_property(client, tenant)
    token = signed_in(client, tenant, add_member(runtime, tenant, "viewer"))
    page = client.get(console(tenant, f"/plans/new?customer_id={customer['id']}"))
    assert page.status_code == 403 and "dispatch permission" in page.text
    body = {"customer_id": str(customer["id"]), **_form(prop, next_weekday(1))}
    resp = post_form(client, console(tenant, "/plans/new"), body, token=token)
    assert resp.status_code == 403 and not _plans(client, tenant, customer["id"])


def test_another_workspaces_customer_is_a_404(client, tenant, other_tenant):
    for _ in range(3):
        theirs, their_prop = customer_with_property(client, other_tenant)
    token = signed_in(client, tenant)
    page = client.get(console(tenant, f"/plans/new?customer_id={theirs['id']}"))
    assert page.status_code == 404
    body = {"customer_id": str(theirs["id"]), **_form(their_prop, next_weekday(1))}
    resp = post_form(client, console(tenant, "/plans/new"), body, token=token)
    assert resp.status_code == 404
    assert not _plans(client, other_tenant, theirs["id"])
