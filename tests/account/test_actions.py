"""The account page's actions: cancel (refund shown first), reschedule, skip and pause a plan
visit, the manage-link view, and a client session that reaches only its own customer's rows."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from tenantapp.account import view
from tenantapp.bookings.models import Booking
from tests.account.conftest import csrf_of, page_path, sign_in, unique_email
from tests.bookings.conftest import at, book, make_lead, monday
from tests.invoices.helpers import InTenant, booked
from tests.plans.conftest import create_plan, next_weekday, plan_bookings
from tests.support import ApiClient


def _staff_booking(client, tenant, booking_id) -> dict:
    resp = client.get(tenant.url(f"/admin/bookings/{booking_id}"), headers=tenant.headers)
    assert resp.status_code == 200
    return resp.get_json()


def _move_start(runtime, tenant, booking_id, start: datetime) -> None:
    with InTenant(runtime, tenant) as sess:
        sess.execute(
            update(Booking)
            .where(Booking.id == booking_id)
            .values(starts_at=start, ends_at=start + timedelta(hours=3))
        )
        sess.commit()


def _book_at(client, tenant, hhmm: str, email: str | None = None) -> dict:
    """A CONFIRMED one-off booking at ``hhmm`` on the Monday two weeks out."""
    phone = f"+1 403 555 {uuid.uuid4().int % 10000:04d}"  # customers match by phone too
    lead = make_lead(client, tenant, email=email or unique_email(), phone=phone)
    resp = book(client, tenant, lead["lead_id"], at(monday(), hhmm))
    assert resp.status_code == 201, resp.get_json()
    booking = resp.get_json()
    if booking["status"] == "PENDING":
        confirm = client.post(
            tenant.url(f"/admin/bookings/{booking['id']}/confirm"), headers=tenant.headers
        )
        assert confirm.status_code == 200, confirm.get_json()
    return booking


def _customer_with_booking(client, runtime, tenant, smtp_server, mail_rt, deposit=None):
    email = unique_email()
    booking = booked(client, runtime, tenant, email=email, deposit=deposit)
    sign_in(client, tenant, email, smtp_server, mail_rt)
    return booking


def test_cancel_shows_the_refund_before_confirming(client, runtime, tenant, smtp_server, mail_rt):
    booking = _customer_with_booking(client, runtime, tenant, smtp_server, mail_rt, deposit=5000)
    url = page_path(tenant, f"/account/bookings/{booking['id']}/cancel")
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "You&#39;ll get your deposit of 50.00 back in full." in html
    assert _staff_booking(client, tenant, booking["id"])["status"] == "CONFIRMED"
    # 30 hours before the start: half the deposit (standard service: partial from 24 h).
    _move_start(runtime, tenant, booking["id"], datetime.now(UTC) + timedelta(hours=30))
    html = client.get(url).get_data(as_text=True)
    assert "You&#39;ll get 25.00 of your 50.00 deposit back." in html
    done = client.post(url, data={"csrf": csrf_of(html)})
    assert done.status_code == 303 and "notice=cancelled" in done.headers["Location"]
    after = _staff_booking(client, tenant, booking["id"])
    assert after["status"] == "CANCELLED"
    assert "Your cleaning is cancelled." in client.get(done.headers["Location"]).get_data(
        as_text=True
    )


def test_refund_preview_at_the_policy_boundaries(client, runtime, tenant):
    booking = booked(client, runtime, tenant, email=unique_email(), deposit=6000)
    with InTenant(runtime, tenant) as sess:
        row = sess.get(Booking, booking["id"])
        start = row.starts_at
        assert view.refund_preview(row, start - timedelta(hours=48))["refund_cents"] == 6000
        edge = start - timedelta(hours=48) + timedelta(seconds=1)
        assert view.refund_preview(row, edge)["refund_cents"] == 3000
        assert view.refund_preview(row, start - timedelta(hours=24))["refund_cents"] == 3000
        late = start - timedelta(hours=24) + timedelta(seconds=1)
        assert view.refund_preview(row, late) == {
            "paid_cents": 6000,
            "refund_cents": 0,
            "kind": "none",
            "free_hours": 48,
            "partial_hours": 24,
        }
        sess.rollback()


def test_reschedule_offers_times_from_the_slots_service(
    client, runtime, tenant, smtp_server, mail_rt
):
    booking = _customer_with_booking(client, runtime, tenant, smtp_server, mail_rt)
    day = monday(3)
    url = page_path(tenant, f"/account/bookings/{booking['id']}/reschedule")
    page = client.get(f"{url}?date={day.isoformat()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    starts = re.findall(r'name="starts_at" value="([^"]+)"', html)
    slots = client.get(
        tenant.url(f"/slots?date={day}&service_type=standard&time_on_site_hours=3.0")
    ).get_json()
    offered = [datetime.fromisoformat(s["starts_at"]) for s in slots["suggestions"]]
    assert starts and [datetime.fromisoformat(s) for s in starts] == offered
    resp = client.post(url, data={"csrf": csrf_of(html), "starts_at": starts[0]})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    moved = _staff_booking(client, tenant, booking["id"])
    assert moved["starts_at"].startswith(day.isoformat())
    bad = client.post(url, data={"csrf": csrf_of(html), "starts_at": "yesterday"})
    assert bad.status_code == 422


def test_reschedule_is_refused_inside_the_free_window(
    client, runtime, tenant, smtp_server, mail_rt
):
    booking = _customer_with_booking(client, runtime, tenant, smtp_server, mail_rt)
    _move_start(runtime, tenant, booking["id"], datetime.now(UTC) + timedelta(hours=47))
    url = page_path(tenant, f"/account/bookings/{booking['id']}/reschedule")
    resp = client.get(url)
    assert resp.status_code == 409
    assert "too close to move online" in resp.get_data(as_text=True)


def _plan_customer(client, runtime, tenant, smtp_server, mail_rt):
    email = unique_email()
    lead = make_lead(client, tenant, email=email, phone="+1 403 555 0142")
    customer = client.get(
        tenant.url(f"/admin/leads/{lead['lead_id']}"), headers=tenant.headers
    ).get_json()["lead"]["customer_id"]
    plan = create_plan(client, tenant, customer_id=customer, first_date=next_weekday(1))
    sign_in(client, tenant, email, smtp_server, mail_rt)
    return plan


def test_skip_a_plan_visit_until_48_hours_before(client, runtime, tenant, smtp_server, mail_rt):
    plan = _plan_customer(client, runtime, tenant, smtp_server, mail_rt)
    visits = sorted(plan_bookings(client, tenant, plan["id"]), key=lambda b: b["starts_at"])
    first, second = visits[0], visits[1]
    home = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    assert "Your regular cleaning" in home and "Weekly" in home
    url = page_path(tenant, f"/account/bookings/{first['id']}/skip")
    page = client.get(url).get_data(as_text=True)
    resp = client.post(url, data={"csrf": csrf_of(page)})
    assert resp.status_code == 303
    assert _staff_booking(client, tenant, first["id"])["status"] == "SKIPPED"
    # 47 hours before: no longer offered, and a forced form is refused (SPEC §5.10).
    _move_start(runtime, tenant, second["id"], datetime.now(UTC) + timedelta(hours=47))
    page = client.get(page_path(tenant, f"/account/bookings/{second['id']}/skip"))
    assert page.status_code == 409
    assert "48 hours before at the latest" in page.get_data(as_text=True)
    assert _staff_booking(client, tenant, second["id"])["status"] == "CONFIRMED"


def test_pause_the_plan_for_1_to_8_weeks(client, runtime, tenant, smtp_server, mail_rt):
    plan = _plan_customer(client, runtime, tenant, smtp_server, mail_rt)
    home = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    url = page_path(tenant, f"/account/plans/{plan['id']}/pause")
    for weeks in ("0", "9", "x"):
        resp = client.post(url, data={"csrf": csrf_of(home), "weeks": weeks})
        assert resp.status_code == 422, weeks
    resp = client.post(url, data={"csrf": csrf_of(home), "weeks": "8"})
    assert resp.status_code == 303
    shown = client.get(tenant.url(f"/admin/plans/{plan['id']}"), headers=tenant.headers).get_json()
    assert shown["status"] in ("ACTIVE", "PAUSED")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Your plan is paused." in html and "Paused from" in html


def test_manage_link_opens_that_booking_only(client, runtime, tenant):
    booking = _book_at(client, tenant, "09:00")
    other = _book_at(client, tenant, "13:00")
    token = booking["manage_url"].split("token=")[1]
    page = client.get(page_path(tenant, f"/account?booking={booking['id']}&token={token}"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Your booking" in html and "See all your visits and invoices" in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert f"/account/bookings/{booking['id']}/cancel?token=" in html
    # The token of one booking opens nothing else.
    wrong = client.get(page_path(tenant, f"/account?booking={other['id']}&token={token}"))
    assert wrong.status_code == 404
    forced = client.post(
        page_path(tenant, f"/account/bookings/{other['id']}/cancel"),
        data={"csrf": csrf_of(html), "token": token},
    )
    assert forced.status_code == 404
    assert _staff_booking(client, tenant, other["id"])["status"] == "CONFIRMED"
    # ...and cancels its own booking through the same form.
    cancel_url = page_path(tenant, f"/account/bookings/{booking['id']}/cancel?token={token}")
    form = client.get(cancel_url).get_data(as_text=True)
    done = client.post(cancel_url, data={"csrf": csrf_of(form), "token": token})
    assert done.status_code == 303
    assert _staff_booking(client, tenant, booking["id"])["status"] == "CANCELLED"


def test_a_client_session_reaches_only_its_own_customer(
    client, runtime, tenant, other_tenant, smtp_server, mail_rt
):
    mine = _customer_with_booking(client, runtime, tenant, smtp_server, mail_rt)
    theirs = _book_at(client, tenant, "13:00")
    lead = make_lead(client, tenant, email=unique_email(), phone="+1 403 555 0177")
    theirs_customer = client.get(
        tenant.url(f"/admin/leads/{lead['lead_id']}"), headers=tenant.headers
    ).get_json()["lead"]["customer_id"]
    their_plan = create_plan(client, tenant, customer_id=theirs_customer)
    html = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    csrf = csrf_of(html)
    for action in ("cancel", "skip", "reschedule"):
        url = page_path(tenant, f"/account/bookings/{theirs['id']}/{action}")
        assert client.get(url).status_code == 404, action
        assert client.post(url, data={"csrf": csrf}).status_code == 404, action
    pause = page_path(tenant, f"/account/plans/{their_plan['id']}/pause")
    assert client.post(pause, data={"csrf": csrf, "weeks": "2"}).status_code == 404
    end = page_path(tenant, f"/account/plans/{their_plan['id']}/cancel-request")
    assert client.post(end, data={"csrf": csrf}).status_code == 404
    assert _staff_booking(client, tenant, theirs["id"])["status"] == "CONFIRMED"
    # This customer's cookie means nothing in another workspace (its path and its tid).
    cookie = client.get_cookie("cp_client", path=f"/t/{tenant.slug}")
    stranger = ApiClient(client.application)
    stranger.set_cookie("cp_client", cookie.value, path=f"/t/{other_tenant.slug}")
    other_page = stranger.get(page_path(other_tenant, "/account")).get_data(as_text=True)
    assert "Sign in to your account" in other_page
    url = page_path(other_tenant, f"/account/bookings/{mine['id']}/cancel")
    assert stranger.get(url).status_code == 404
    # Anonymous: the same 404 (never a hint that the id exists).
    anon = ApiClient(client.application)
    url = page_path(tenant, f"/account/bookings/{mine['id']}/cancel")
    assert anon.get(url).status_code == 404


def test_unknown_or_huge_ids_are_404_pages(client, tenant):
    for path in ("/account/bookings/99999999/cancel", "/account?booking=abc&token=x"):
        resp = client.get(page_path(tenant, path))
        assert resp.status_code == 404, path
        assert resp.headers["Content-Type"].startswith("text/html")
    # Beyond bigint the route itself does not match: the app's 404 (problem details).
    assert (
        client.get(page_path(tenant, "/account/bookings/" + "9" * 23 + "/skip")).status_code == 404
    )


def test_booking_made_on_the_booking_page_shows_its_address(client, tenant, smtp_server, mail_rt):
    email = unique_email()
    lead = make_lead(client, tenant, email=email, address="12 Elm Street", postal_code="T2P 1J9")
    assert book(client, tenant, lead["lead_id"], at(monday(), "11:00")).status_code == 201
    sign_in(client, tenant, email, smtp_server, mail_rt)
    html = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    assert "12 Elm Street, T2P 1J9" in html and "11:00 AM" in html


def test_book_again_opens_the_booking_page_prefilled(client, tenant):
    page = client.get(page_path(tenant, "/book?service_type=deep&beds=3&baths=2.5"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="deep" selected' in html
    assert 'id="beds" name="beds"' in html and 'value="3" required' in html
    assert 'value="2.5" required' in html
    expected = client.post(
        tenant.url("/estimate"),
        json={"beds": 3, "baths": 2.5, "service_type": "deep", "add_ons": {}},
    ).get_json()["total_before_tax"]
    assert 'id="price"' in html and expected in html
    # Values the form does not offer keep their defaults.
    odd = client.get(page_path(tenant, "/book?service_type=x&beds=11&baths=0.3&frequency=daily"))
    odd_html = odd.get_data(as_text=True)
    assert 'value="standard" selected' in odd_html and 'value="2" required' in odd_html
    assert 'value="1" required' in odd_html and 'value="one_time" selected' in odd_html


def test_ask_to_end_the_plan(client, runtime, tenant, smtp_server, mail_rt):
    plan = _plan_customer(client, runtime, tenant, smtp_server, mail_rt)
    home = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    url = page_path(tenant, f"/account/plans/{plan['id']}/cancel-request")
    long = client.post(url, data={"csrf": csrf_of(home), "reason": "x" * 501})
    assert long.status_code == 422
    resp = client.post(url, data={"csrf": csrf_of(home), "reason": "Moving away"})
    assert resp.status_code == 303 and "notice=cancel_requested" in resp.headers["Location"]
    shown = client.get(tenant.url(f"/admin/plans/{plan['id']}"), headers=tenant.headers).get_json()
    assert shown["status"] == "ACTIVE"  # a request: staff decide
    assert shown["cancel_requested_at"] and shown["cancel_request_reason"] == "Moving away"
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "You asked to end this plan on" in html and "Ask to end my plan" not in html
