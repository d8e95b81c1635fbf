"""Bookings and the schedule board in the console (SPEC §5.14, §5.9)."""

from __future__ import annotations

import re

from tests.bookings.conftest import monday
from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in
from tests.customers.helpers import customer_with_property, staff_book


def _phone_booking(client, tenant, token, customer, prop, day, hhmm="09:00", **extra):
    data = {
        "customer_id": str(customer["id"]),
        "property_id": str(prop["id"]),
        "date": day.isoformat(),
        "time": hhmm,
        **extra,
    }
    return post_form(client, console(tenant, "/bookings/new"), data, token=token)


def _booking_id(resp) -> int:
    return int(re.search(r"/bookings/(\d+)", resp.headers["Location"]).group(1))


def test_a_phone_booking_uses_the_staff_booking_service(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    token = signed_in(client, tenant)
    form = client.get(console(tenant, f"/bookings/new?customer_id={customer['id']}"))
    assert form.status_code == 200 and "10230 Jasper Ave" in form.text
    day = monday()
    resp = _phone_booking(client, tenant, token, customer, prop, day, skip_deposit="1")
    assert resp.status_code == 303, resp.text[:800]
    booking_id = _booking_id(resp)
    api = client.get(tenant.url(f"/admin/bookings/{booking_id}"), headers=tenant.headers)
    body = api.get_json()
    assert body["customer_id"] == customer["id"] and body["property_id"] == prop["id"]
    assert body["starts_at_local"].startswith(f"{day.isoformat()}T09:00")
    page = client.get(resp.headers["Location"])
    assert "Booked." in page.text and customer["name"] in page.text


def test_the_phone_form_finds_customers(client, tenant):
    customer, _ = customer_with_property(client, tenant)
    signed_in(client, tenant)
    page = client.get(console(tenant, "/bookings/new?find=Robin"))
    assert f"/console/bookings/new?customer_id={customer['id']}" in page.text


def test_phone_booking_errors_sit_beside_their_fields(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    token = signed_in(client, tenant)
    day = monday()
    resp = _phone_booking(
        client, tenant, token, customer, prop, day, duration_minutes="45", price_override="20"
    )
    assert resp.status_code == 422
    assert (
        'id="f-duration_minutes-error" aria-live="polite">duration_minutes must be a multiple'
        in resp.text
    )
    # Boundaries of SPEC §5.9: 30..600 in 30-minute steps.
    low = _phone_booking(client, tenant, token, customer, prop, day, duration_minutes="0")
    assert low.status_code == 422 and 'id="f-duration_minutes-error"' in low.text
    high = _phone_booking(client, tenant, token, customer, prop, day, duration_minutes="630")
    assert high.status_code == 422
    edge = _phone_booking(
        client,
        tenant,
        token,
        customer,
        prop,
        day,
        "13:00",
        duration_minutes="600",
        override_availability="1",
        override_reason="long day",
    )
    assert edge.status_code in (303, 409), edge.text[:500]
    no_time = _phone_booking(client, tenant, token, customer, prop, day, "")
    assert (
        no_time.status_code == 422
        and 'id="f-time-error" aria-live="polite">Missing' in no_time.text
    )


def test_a_taken_slot_is_a_409_message(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    day = monday()
    first = staff_book(client, tenant, customer, prop, day, "09:00")
    team = first.get_json()["team_id"]
    token = signed_in(client, tenant)
    resp = _phone_booking(client, tenant, token, customer, prop, day, "09:00", team_id=str(team))
    assert resp.status_code == 409
    assert 'role="alert">' in resp.text and "notice error-box" in resp.text


def test_confirm_complete_and_cancel_from_the_booking_page(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    booked = staff_book(client, tenant, customer, prop, monday(), skip_deposit=True).get_json()
    token = signed_in(client, tenant)
    page = client.get(console(tenant, f"/bookings/{booked['id']}"))
    assert page.status_code == 200 and "Mark done" in page.text
    done = post_form(client, console(tenant, f"/bookings/{booked['id']}/complete"), {}, token=token)
    assert done.status_code == 303
    api = client.get(tenant.url(f"/admin/bookings/{booked['id']}"), headers=tenant.headers)
    assert api.get_json()["status"] == "DONE"
    again = post_form(
        client, console(tenant, f"/bookings/{booked['id']}/complete"), {}, token=token
    )
    assert again.status_code == 409 and "text/html" in again.headers["Content-Type"]
    other = staff_book(client, tenant, customer, prop, monday(), "13:00", skip_deposit=True)
    oid = other.get_json()["id"]
    cancel = post_form(
        client,
        console(tenant, f"/bookings/{oid}/cancel"),
        {"reason": "customer asked"},
        token=token,
    )
    assert cancel.status_code == 303
    assert (
        client.get(tenant.url(f"/admin/bookings/{oid}"), headers=tenant.headers).get_json()[
            "status"
        ]
        == "CANCELLED"
    )


def test_the_list_filters_and_bulk_confirms(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    day = monday()
    ids = [
        staff_book(client, tenant, customer, prop, day, hhmm).get_json()["id"]
        for hhmm in ("09:00", "13:00")
    ]
    token = signed_in(client, tenant)
    listing = client.get(console(tenant, f"/bookings?from={day.isoformat()}"))
    assert listing.status_code == 200
    for booking_id in ids:
        assert f'name="ids" value="{booking_id}"' in listing.text
    bad = client.get(console(tenant, "/bookings?from=yesterday&status=NOPE"))
    assert bad.status_code == 422 and 'id="filter-from-error"' in bad.text
    resp = post_form(
        client,
        console(tenant, "/bookings/bulk"),
        {"action": "cancel", "ids": [str(i) for i in ids], "reason": "storm"},
        token=token,
    )
    assert resp.status_code == 200 and "2 of 2 done." in resp.text
    none = post_form(client, console(tenant, "/bookings/bulk"), {"action": "confirm"}, token=token)
    assert none.status_code == 422


def test_the_board_shows_blocks_at_local_times_with_name_service_start(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    day = monday()
    booked = staff_book(client, tenant, customer, prop, day, "09:00").get_json()
    signed_in(client, tenant)
    page = client.get(console(tenant, f"/schedule?day={day.isoformat()}&view=day"))
    assert page.status_code == 200
    block = re.search(
        rf'<a class="block [a-z]+ at-(\d+) span-(\d+) row-1" href="[^"]+/bookings/{booked["id"]}"'
        r".*?</a>",
        page.text,
        re.S,
    )
    assert block, page.text[-3000:]
    assert block.group(1) == "6"  # 09:00 local is the 7th half hour after 06:00
    assert customer["name"] in block.group(0) and "Standard" in block.group(0)
    assert "9:00 AM" in block.group(0)
    week = client.get(console(tenant, f"/schedule?day={day.isoformat()}&view=week"))
    assert week.status_code == 200 and customer["name"] in week.text
    assert client.get(console(tenant, "/schedule?day=2026-13-45")).status_code == 400
    assert client.get(console(tenant, "/schedule?view=month")).status_code == 400


def test_blackouts_are_shaded_on_the_board(client, tenant):
    day = monday()
    resp = client.post(
        tenant.url("/admin/blackouts"),
        json={
            "starts_at": f"{day.isoformat()}T12:00:00",
            "ends_at": f"{day.isoformat()}T14:00:00",
            "reason": "Team lunch",
        },
        headers=tenant.headers,
    )
    assert resp.status_code == 201, resp.get_json()
    signed_in(client, tenant)
    page = client.get(console(tenant, f"/schedule?day={day.isoformat()}"))
    assert 'class="blackout at-12 span-4" title="Team lunch"' in page.text


def test_move_on_the_board_and_a_409_as_a_message(client, tenant):
    customer, prop = customer_with_property(client, tenant)
    day = monday()
    first = staff_book(client, tenant, customer, prop, day, "09:00").get_json()
    second = staff_book(client, tenant, customer, prop, day, "15:00", team_id=first["team_id"])
    assert second.status_code == 201, second.get_json()
    token = signed_in(client, tenant)
    moved = post_form(
        client,
        console(tenant, "/schedule/move"),
        {
            "booking_id": str(first["id"]),
            "starts_at": f"{day.isoformat()}T09:30",
            "team_id": str(first["team_id"]),
            "day": day.isoformat(),
            "view": "day",
        },
        token=token,
    )
    assert moved.status_code == 303, moved.text[:800]
    api = client.get(tenant.url(f"/admin/bookings/{first['id']}"), headers=tenant.headers)
    assert api.get_json()["starts_at_local"].startswith(f"{day.isoformat()}T09:30")
    clash = post_form(
        client,
        console(tenant, "/schedule/move"),
        {
            "booking_id": str(first["id"]),
            "date": day.isoformat(),
            "time": "13:00",
            "team_id": str(first["team_id"]),
            "day": day.isoformat(),
            "view": "day",
        },
        token=token,
    )
    assert clash.status_code == 409
    assert 'class="notice error-box" role="alert">' in clash.text
    assert re.search(r'role="alert">[^<]+</p>', clash.text)
    unknown = post_form(
        client,
        console(tenant, "/schedule/move"),
        {"booking_id": "999999", "date": day.isoformat(), "time": "10:00", "day": day.isoformat()},
        token=token,
    )
    assert unknown.status_code == 404


def test_a_viewer_cannot_move_bookings(client, runtime, tenant):
    customer, prop = customer_with_property(client, tenant)
    day = monday()
    booked = staff_book(client, tenant, customer, prop, day, "09:00").get_json()
    email = add_member(runtime, tenant, "viewer")
    signed_in(client, tenant, email)
    board = client.get(console(tenant, f"/schedule?day={day.isoformat()}"))
    assert board.status_code == 200
    resp = post_form(
        client,
        console(tenant, "/schedule/move"),
        {"booking_id": str(booked["id"]), "date": day.isoformat(), "time": "11:00"},
        token=csrf_of(board.text),
    )
    assert resp.status_code == 403 and "dispatch permission" in resp.text
    api = client.get(tenant.url(f"/admin/bookings/{booked['id']}"), headers=tenant.headers)
    assert api.get_json()["starts_at_local"].startswith(f"{day.isoformat()}T09:00")


def test_another_workspaces_booking_is_a_404(client, tenant, other_tenant):
    customer, prop = customer_with_property(client, other_tenant)
    theirs = staff_book(client, other_tenant, customer, prop, monday()).get_json()
    token = signed_in(client, tenant)
    mine = client.get(tenant.url("/admin/bookings"), headers=tenant.headers).get_json()["items"]
    assert theirs["id"] not in {b["id"] for b in mine}
    assert client.get(console(tenant, f"/bookings/{theirs['id']}")).status_code == 404
    resp = post_form(client, console(tenant, f"/bookings/{theirs['id']}/complete"), {}, token=token)
    assert resp.status_code == 404
    form = client.get(console(tenant, f"/bookings/new?customer_id={customer['id'] + 100000}"))
    assert form.status_code == 404


def test_today_shows_counts(client, tenant):
    signed_in(client, tenant)
    page = client.get(console(tenant, "/"))
    assert page.status_code == 200
    for heading in (
        "Jobs today",
        "Visits without a crew",
        "Overdue invoices",
        "New leads",
        "Unread texts",
        "Plan visits waiting for a team",
        "Unpaid deposits",
    ):
        assert heading in page.text


def test_names_are_escaped_on_both_boards(client, tenant):
    from tests.customers.helpers import make_customer, make_property

    customer = make_customer(client, tenant, name='<img src=x onerror="alert(1)">')
    prop = make_property(client, tenant, customer["id"], home={"beds": 1, "baths": 1})
    day = monday()
    assert staff_book(client, tenant, customer, prop, day, "10:00").status_code == 201
    signed_in(client, tenant)
    for view in ("day", "week"):
        page = client.get(console(tenant, f"/schedule?day={day.isoformat()}&view={view}"))
        assert "<img src=x" not in page.text
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page.text


def test_set_the_crew_from_the_booking_page(client, tenant):
    from tests.workforce.helpers import make_worker

    customer, prop = customer_with_property(client, tenant)
    booked = staff_book(client, tenant, customer, prop, monday()).get_json()
    worker = make_worker(client, tenant)
    token = signed_in(client, tenant)
    page = client.get(console(tenant, f"/bookings/{booked['id']}"))
    assert f'name="worker_ids" value="{worker.id}"' in page.text
    url = console(tenant, f"/bookings/{booked['id']}/crew")
    empty = post_form(client, url, {}, token=token)
    assert empty.status_code == 422 and 'id="crew-error" aria-live="polite">' in empty.text
    ok = post_form(client, url, {"worker_ids": [str(worker.id)]}, token=token)
    assert ok.status_code == 303
    api = client.get(tenant.url(f"/admin/bookings/{booked['id']}"), headers=tenant.headers)
    assert api.get_json()["worker_ids"] == [worker.id]


def test_settings_links_plan_and_billing_once_it_is_registered(client, tenant, wsgi_app):
    signed_in(client, tenant)
    app = wsgi_app.tenant_app
    if "owner_billing.billing" not in app.view_functions:  # the owner-worker branch not merged
        assert "Plan and billing" not in client.get(console(tenant, "/settings")).text
        # What tenantapp/ownerbilling registers: an endpoint at the console's settings path.
        app.view_functions["owner_billing.billing"] = lambda: "billing"
        app.url_map.add(
            app.url_rule_class("/console/settings/billing", endpoint="owner_billing.billing")
        )
    page = client.get(console(tenant, "/settings"))
    assert '/console/settings/billing">Plan and billing</a>' in page.text
