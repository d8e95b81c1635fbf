"""Public booking, slot taking under concurrency, status machine, manage links, credits."""

import threading
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

from sqlalchemy import text

from tests.bookings.conftest import ZONE, at, book, make_lead, monday


def test_new_customer_books_a_free_slot(client, tenant, day):
    lead = make_lead(client, tenant)
    resp = book(client, tenant, lead["lead_id"], at(day, "09:00"))
    assert resp.status_code == 201, resp.get_json()
    b = resp.get_json()
    assert b["status"] == "PENDING"
    assert b["duration_minutes"] == 180 and b["total_cents"] == 10_500
    assert b["starts_at_local"].startswith(f"{day}T09:00:00-0")
    assert b["starts_at"].endswith("Z")
    assert b["risk"] == {"score": 20, "band": "LOW", "reasons": ["new_customer"]}
    assert b["deposit"]["required"] and b["deposit"]["reasons"] == ["first_time_client"]
    assert b["deposit"]["amount_cents"] == 5_000 and b["deposit"]["percent"] == 25
    assert b["deposit"]["downgraded_reason"] == "stripe_unavailable"
    assert b["policy_snapshot"]["cancellation"] == {
        "free_hours": 48,
        "partial_hours": 24,
        "partial_refund_percent": 50,
    }
    assert "/bookings/" in b["manage_url"] and "token=" in b["manage_url"]
    lead_after = client.get(tenant.url(f"/admin/leads/{lead['lead_id']}"), headers=tenant.headers)
    assert lead_after.get_json()["lead"]["status"] == "BOOKED"


def test_deep_clean_worked_example_deposit(client, tenant, day):
    lead = make_lead(
        client,
        tenant,
        estimate={"beds": 2, "baths": 1, "service_type": "deep", "heavy_grease": True},
    )
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    assert b["total_cents"] == 15_750 and b["duration_minutes"] == 270
    assert b["deposit"]["reasons"] == ["first_time_client", "service_type_deep"]
    assert (b["deposit"]["percent"], b["deposit"]["amount_cents"]) == (35, 5_513)
    assert b["policy_snapshot"]["cancellation"]["free_hours"] == 72


def test_taken_slot_is_409_and_buffers_apply(client, tenant, day):
    first = make_lead(client, tenant)
    assert book(client, tenant, first["lead_id"], at(day, "09:00")).status_code == 201
    other = make_lead(client, tenant, email="sam@example.com", phone="+1 403 555 0101")
    taken = book(client, tenant, other["lead_id"], at(day, "09:00"))
    assert taken.status_code == 409 and taken.get_json()["code"] == "slot_unavailable"
    # 09:00–12:00 blocks until 12:30 (30-minute buffer): 12:00 is taken, 12:30 is free
    assert book(client, tenant, other["lead_id"], at(day, "12:00")).status_code == 409
    slots = client.get(tenant.url(f"/slots?date={day}&service_type=standard&time_on_site_hours=3"))
    assert slots.get_json()["suggestions"][0]["starts_at_local"].startswith(f"{day}T12:30")
    assert book(client, tenant, other["lead_id"], at(day, "12:30")).status_code == 201


def test_off_grid_or_out_of_window_start_is_409(client, tenant, day):
    lead = make_lead(client, tenant)
    assert book(client, tenant, lead["lead_id"], at(day, "09:15")).status_code == 409
    assert book(client, tenant, lead["lead_id"], at(day, "16:00")).status_code == 409  # ends 19:00
    assert book(client, tenant, lead["lead_id"], at(day, "15:00")).status_code == 201  # ends 18:00


def test_two_concurrent_requests_for_one_slot_exactly_one_wins(wsgi_app, client, tenant, day):
    from tests.support import ApiClient

    leads = [
        make_lead(client, tenant, email=f"c{i}@example.com", phone=f"+1 403 555 01{i:02d}")
        for i in range(2)
    ]
    barrier = threading.Barrier(2)
    codes = []

    def attempt(lead_id):
        c = ApiClient(wsgi_app)
        barrier.wait()
        codes.append(book(c, tenant, lead_id, at(day, "10:00")).status_code)

    threads = [threading.Thread(target=attempt, args=(lead["lead_id"],)) for lead in leads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201, 409]


def test_lead_time_past_and_nonexistent_local_time_are_422(client, tenant):
    lead = make_lead(client, tenant)
    soon = datetime.now(ZONE) + timedelta(hours=1, minutes=59)
    assert book(client, tenant, lead["lead_id"], soon.isoformat()).status_code == 422
    past = datetime.now(ZONE) - timedelta(days=1)
    assert book(client, tenant, lead["lead_id"], past.isoformat()).status_code == 422
    resp = book(client, tenant, lead["lead_id"], "2027-03-14T02:30:00")  # Edmonton springs forward
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "starts_at"


def test_another_tenants_lead_is_404(client, tenant, other_tenant, day):
    for _ in range(3):
        lead = make_lead(client, other_tenant)
    assert book(client, tenant, lead["lead_id"] + 1000, at(day, "09:00")).status_code == 404


def test_status_machine_and_audit(client, tenant, day):
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    url = tenant.url(f"/admin/bookings/{b['id']}")
    assert client.post(url + "/complete", headers=tenant.headers).status_code == 409
    assert client.post(url + "/confirm", headers=tenant.headers).get_json()["status"] == "CONFIRMED"
    assert client.post(url + "/confirm", headers=tenant.headers).status_code == 409
    assert client.post(url + "/complete", headers=tenant.headers).get_json()["status"] == "DONE"
    assert client.post(url + "/cancel", json={}, headers=tenant.headers).status_code == 409
    audit = client.get(tenant.url("/admin/audit"), headers=tenant.headers).get_json()["items"]
    # (completing also creates and issues the invoice: its entries are tests/invoices')
    audit = [a for a in audit if a["action"].startswith("booking.")]
    assert [a["action"] for a in audit[:2]] == ["booking.complete", "booking.confirm"]
    assert audit[1]["before"]["status"] == "PENDING" and audit[1]["after"]["status"] == "CONFIRMED"


def test_cancelled_booking_frees_its_slot(client, tenant, day):
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    client.post(
        tenant.url(f"/admin/bookings/{b['id']}/cancel"),
        json={"reason": "sick"},
        headers=tenant.headers,
    )
    again = make_lead(client, tenant, email="new@example.com", phone="+1 403 555 0177")
    assert book(client, tenant, again["lead_id"], at(day, "09:00")).status_code == 201


def test_returning_customer_without_reasons_is_confirmed_at_once(client, tenant, day):
    lead = make_lead(client, tenant)
    first = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    client.post(tenant.url(f"/admin/bookings/{first['id']}/confirm"), headers=tenant.headers)
    lead2 = make_lead(client, tenant)  # same customer (same e-mail)
    second = book(client, tenant, lead2["lead_id"], at(monday(3), "09:00")).get_json()
    assert second["deposit"]["required"] is False and second["status"] == "CONFIRMED"
    assert second["risk"]["band"] == "LOW" and second["risk"]["score"] == 0


def test_staff_move_and_patch(client, tenant, day):
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    url = tenant.url(f"/admin/bookings/{b['id']}")
    moved = client.post(url + "/move", json={"starts_at": at(day, "10:00")}, headers=tenant.headers)
    assert moved.status_code == 200 and moved.get_json()["starts_at_local"].startswith(
        f"{day}T10:00"
    )
    patched = client.patch(
        url, json={"notes": "Gate code 1234", "photo_consent": True}, headers=tenant.headers
    ).get_json()
    assert patched["notes"] == "Gate code 1234" and patched["photo_consent"] is True
    assert client.patch(url, json={"team_id": 999999}, headers=tenant.headers).status_code == 409
    listed = client.get(
        tenant.url(f"/admin/bookings?from={day}&to={day + timedelta(days=1)}"),
        headers=tenant.headers,
    ).get_json()["items"]
    assert [x["id"] for x in listed] == [b["id"]]


def _token(manage_url):
    return parse_qs(urlparse(manage_url).query)["token"][0]


def test_manage_link_view_cancel_and_bad_tokens(client, tenant, other_tenant, day):
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    token = _token(b["manage_url"])
    own = client.get(tenant.url(f"/bookings/{b['id']}?token={token}"))
    assert own.status_code == 200 and own.get_json()["id"] == b["id"]
    assert client.get(tenant.url(f"/bookings/{b['id']}?token=forged")).status_code == 401
    assert client.get(tenant.url(f"/bookings/{b['id'] + 1}?token={token}")).status_code == 401
    assert client.get(other_tenant.url(f"/bookings/{b['id']}?token={token}")).status_code == 401
    assert client.get(tenant.url(f"/bookings/{b['id']}")).status_code == 422
    cancelled = client.post(tenant.url(f"/bookings/{b['id']}/cancel?token={token}"))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "CANCELLED"


def test_customer_reschedules_within_policy(client, tenant, day):
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    token = _token(b["manage_url"])
    resp = client.post(
        tenant.url(f"/bookings/{b['id']}/reschedule?token={token}"),
        json={"starts_at": at(day, "13:00")},
    )
    assert resp.status_code == 200 and resp.get_json()["starts_at_local"].startswith(f"{day}T13:00")


def test_customer_cannot_reschedule_inside_the_window(client, tenant, rt):
    tomorrow = datetime.now(ZONE).date() + timedelta(days=2)
    while tomorrow.weekday() == 6:
        tomorrow += timedelta(days=1)
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(tomorrow, "09:00")).get_json()
    # move the booking to 30 hours from now directly, as if days had passed
    ref = rt.tenants.by_slug(tenant.slug)
    with rt.owner_engine.begin() as conn:
        conn.execute(
            text(
                f'UPDATE "{ref.schema_name}".bookings SET starts_at = now() + '
                "interval '30 hours', ends_at = now() + interval '33 hours' "
                "WHERE id = :i"
            ),
            {"i": b["id"]},
        )
    token = _token(b["manage_url"])
    resp = client.post(
        tenant.url(f"/bookings/{b['id']}/reschedule?token={token}"),
        json={"starts_at": at(monday(3), "09:00")},
    )
    assert resp.status_code == 409


def set_bookings_used(rt, tenant, day, used: int) -> None:
    """Set ``bookings_created`` of the usage period a booking on ``day`` counts in."""
    period = date(day.year, day.month, 1)  # 09:00 local is the same day (and month) in UTC
    with rt.owner_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO public.usage_counters (tenant_id, metric, period_start, used) "
                "VALUES (:t, 'bookings_created', :p, :n) ON CONFLICT (tenant_id, metric, "
                "period_start) DO UPDATE SET used = EXCLUDED.used"
            ),
            {"t": tenant.id, "p": period, "n": used},
        )


def test_bookings_limit_on_free_plan_is_402(client, tenant, rt, day):
    set_bookings_used(rt, tenant, day, 20)
    lead = make_lead(client, tenant)
    resp = book(client, tenant, lead["lead_id"], at(day, "09:00"))
    assert resp.status_code == 402
    body = resp.get_json()
    assert (body["code"], body["metric"], body["limit"], body["used"]) == (
        "limit_reached",
        "bookings_created",
        20,
        20,
    )
    # nothing half-written: the slot is still free
    slots = client.get(tenant.url(f"/slots?date={day}&service_type=standard&time_on_site_hours=3"))
    assert slots.get_json()["suggestions"][0]["starts_at_local"].startswith(f"{day}T09:00")


def test_booking_at_limit_minus_one_is_accepted(client, tenant, rt, day):
    set_bookings_used(rt, tenant, day, 19)
    lead = make_lead(client, tenant)
    assert book(client, tenant, lead["lead_id"], at(day, "09:00")).status_code == 201


def test_referral_credit_awarded_on_first_confirmation_and_redeemed(client, tenant, day):
    referrer = make_lead(client, tenant, email="ref@example.com", phone="+1 403 555 0190")
    friend = make_lead(
        client,
        tenant,
        email="friend@example.com",
        phone="+1 403 555 0191",
        referral_code=referrer["referral_code"],
    )
    fb = book(client, tenant, friend["lead_id"], at(day, "09:00")).get_json()
    client.post(tenant.url(f"/admin/bookings/{fb['id']}/confirm"), headers=tenant.headers)
    ref_lead = client.get(
        tenant.url(f"/admin/leads/{referrer['lead_id']}"), headers=tenant.headers
    ).get_json()
    assert [c["amount_cents"] for c in ref_lead["credits"]] == [2_000]
    rb = book(client, tenant, referrer["lead_id"], at(day, "13:00")).get_json()
    assert rb["credit_applied_cents"] == 2_000 and rb["total_cents"] == 10_500 - 2_000
    # a second confirmation of the friend's bookings does not credit again
    friend2 = make_lead(client, tenant, email="friend@example.com", phone="+1 403 555 0191")
    fb2 = book(client, tenant, friend2["lead_id"], at(monday(3), "09:00")).get_json()
    client.post(tenant.url(f"/admin/bookings/{fb2['id']}/confirm"), headers=tenant.headers)
    ref_lead = client.get(
        tenant.url(f"/admin/leads/{referrer['lead_id']}"), headers=tenant.headers
    ).get_json()
    assert len(ref_lead["credits"]) == 1


def test_earlier_cancellation_raises_risk(client, tenant, day):
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    client.post(
        tenant.url(f"/admin/bookings/{b['id']}/cancel"),
        json={"reason": "no-show"},
        headers=tenant.headers,
    )
    again = book(client, tenant, lead["lead_id"], at(day, "13:00"))
    assert again.status_code == 201, again.get_json()
    risk = again.get_json()["risk"]
    assert risk["score"] == 65 and risk["band"] == "MEDIUM"
    assert "risk_medium" in again.get_json()["deposit"]["reasons"]


def test_isolation_of_booking_ids(client, tenant, other_tenant, day):
    lead = make_lead(client, tenant)
    b = book(client, tenant, lead["lead_id"], at(day, "09:00")).get_json()
    for path in ("", "/confirm", "/complete", "/move", "/cancel"):
        method = client.get if path == "" else client.post
        kw = (
            {}
            if path == ""
            else {"json": {"starts_at": at(day, "10:00")} if path == "/move" else {}}
        )
        assert (
            method(
                other_tenant.url(f"/admin/bookings/{b['id']}{path}"),
                headers=other_tenant.headers,
                **kw,
            ).status_code
            == 404
        )
        assert (
            method(
                tenant.url(f"/admin/bookings/{b['id']}{path}"), headers=other_tenant.headers, **kw
            ).status_code
            == 403
        )
