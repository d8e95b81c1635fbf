"""Messages in the console (SPEC §5.14, §5.12) against the Twilio stand-in: the conversations
(unread first, pages), a thread (opening it marks it read) with the reply box (the API's 1 600
characters, consent and plan limit as messages beside the box), template previews (the e-mail's
HTML only in a sandboxed frame), and the customer's page (texts panel, card on file). ``view``
reads, ``dispatch`` replies, ``finance`` sends the card-setup link; other workspaces' ids are
404 pages."""

from __future__ import annotations

from tenantapp.console import messages as message_pages
from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in
from tests.sms.conftest import (  # noqa: F401 - the SMS app and its Twilio stand-in
    _fresh,
    client,
    customer_for,
    inbound,
    rt,
    set_sms_from,
    set_sms_used,
    sms_app,
    sms_rows,
    sms_runtime,
    texting_customer,
    twilio,
)
from tests.workforce.helpers import make_booking


def _unread(client, tenant) -> dict[int, int]:
    resp = client.get(tenant.url("/admin/conversations"), headers=tenant.headers).get_json()
    return {c["customer_id"]: c["unread"] for c in resp["items"]}


def _reply(client, tenant, customer_id, body):
    page = client.get(console(tenant, f"/messages/{customer_id}"))
    return post_form(
        client,
        console(tenant, f"/messages/{customer_id}"),
        {"body": body},
        token=csrf_of(page.text),
    )


def _body_error(html: str) -> str:
    return html.split('id="reply-body-error" aria-live="polite">')[1].split("</p>")[0]


def test_conversations_unread_first_with_pages(client, rt, tenant, monkeypatch):
    number = set_sms_from(client, tenant)
    early, early_phone = texting_customer(client, tenant, number)
    late, late_phone = texting_customer(client, tenant, number)
    inbound(client, number, early_phone, "Can you come at 10?")
    inbound(client, number, late_phone, "Thanks, all good")
    signed_in(client, tenant)
    client.get(console(tenant, f"/messages/{late}"))  # read: goes below the unread one
    page = client.get(console(tenant, "/messages"))
    assert page.status_code == 200
    assert page.text.index(f"/messages/{early}") < page.text.index(f"/messages/{late}")
    assert "Can you come at 10?" in page.text and "unread" in page.text
    only = client.get(console(tenant, "/messages?unread=yes"))
    assert f"/messages/{early}" in only.text and f"/messages/{late}" not in only.text
    monkeypatch.setattr(message_pages, "PAGE_SIZE", 1)
    first = client.get(console(tenant, "/messages"))
    assert f"/messages/{early}" in first.text and f"/messages/{late}" not in first.text
    nxt = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(nxt.replace("&amp;", "&"))
    assert f"/messages/{late}" in second.text and "Back to the first page" in second.text


def test_opening_a_conversation_marks_it_read(client, rt, tenant):
    number = set_sms_from(client, tenant)
    customer_id, phone = texting_customer(client, tenant, number)
    inbound(client, number, phone, "Is Tuesday still on?")
    assert _unread(client, tenant)[customer_id] == 1
    signed_in(client, tenant)
    today = client.get(console(tenant, "/"))
    assert "/console/messages?unread=yes" in today.text
    customer_page = client.get(console(tenant, f"/customers/{customer_id}"))
    assert "Is Tuesday still on?" in customer_page.text and "1 unread" in customer_page.text
    assert f"/console/messages/{customer_id}" in customer_page.text
    assert _unread(client, tenant)[customer_id] == 1  # the customer's page only shows them
    thread = client.get(console(tenant, f"/messages/{customer_id}"))
    assert thread.status_code == 200 and "Is Tuesday still on?" in thread.text
    assert _unread(client, tenant)[customer_id] == 0


def test_a_reply_is_sent_and_shows_in_the_thread(client, rt, tenant):
    number = set_sms_from(client, tenant)
    customer_id, _ = texting_customer(client, tenant, number)
    signed_in(client, tenant)
    customer_page = client.get(console(tenant, f"/customers/{customer_id}"))
    assert f'action="/t/{tenant.slug}/console/messages/{customer_id}"' in customer_page.text
    assert 'id="text-body"' in customer_page.text  # the reply box on the customer's page
    sent = _reply(client, tenant, customer_id, "See you at 9!")
    assert sent.status_code == 303, sent.text[:500]
    page = client.get(sent.headers["Location"])
    assert "Text sent." in page.text and "See you at 9!" in page.text
    assert [m.body for m in sms_rows(rt, tenant) if m.direction == "out"][-1].startswith(
        "See you at 9!"
    )


def test_reply_length_boundary_and_blank_beside_the_box(client, rt, tenant):
    number = set_sms_from(client, tenant)
    customer_id, _ = texting_customer(client, tenant, number)
    signed_in(client, tenant)
    too_long = _reply(client, tenant, customer_id, "x" * 1601)
    assert too_long.status_code == 422 and "Length must be between 1 and 1600" in _body_error(
        too_long.text
    )
    assert "x" * 1601 in too_long.text  # what was typed is kept
    blank = _reply(client, tenant, customer_id, "   ")
    assert blank.status_code == 422 and "must not be blank" in _body_error(blank.text)
    assert _reply(client, tenant, customer_id, "x" * 1600).status_code == 303


def test_no_consent_and_the_plan_limit_are_messages_beside_the_box(client, rt, tenant):
    number = set_sms_from(client, tenant)
    silent = customer_for(client, tenant)  # never opted in
    signed_in(client, tenant)
    refused = _reply(client, tenant, silent, "Hello")
    assert refused.status_code == 409
    assert "has not agreed to texts" in _body_error(refused.text)
    customer_id, _ = texting_customer(client, tenant, number)
    set_sms_used(rt, tenant, 50)  # the free plan's texts are used
    over = _reply(client, tenant, customer_id, "One more")
    assert over.status_code == 402 and _body_error(over.text)
    assert not [m for m in sms_rows(rt, tenant) if m.direction == "out"]


def test_a_viewer_reads_but_cannot_reply(client, rt, runtime, tenant):
    number = set_sms_from(client, tenant)
    customer_id, phone = texting_customer(client, tenant, number)
    inbound(client, number, phone, "Hello?")
    signed_in(client, tenant, add_member(runtime, tenant, "viewer"))
    assert client.get(console(tenant, "/messages")).status_code == 200
    assert client.get(console(tenant, "/messages/previews")).status_code == 200
    resp = _reply(client, tenant, customer_id, "Hi")
    assert resp.status_code == 403 and "dispatch permission" in resp.text
    page = client.get(console(tenant, f"/customers/{customer_id}"))
    assert "Card on file" not in page.text  # the card is finance's
    card = post_form(
        client,
        console(tenant, f"/customers/{customer_id}/card-link"),
        {},
        token=csrf_of(page.text),
    )
    assert card.status_code == 403 and "finance permission" in card.text


def test_the_card_setup_link_from_the_customers_page(client, rt, tenant):
    customer_id = customer_for(client, tenant)
    token = signed_in(client, tenant)
    page = client.get(console(tenant, f"/customers/{customer_id}"))
    assert "Card on file" in page.text and "No card saved." in page.text
    resp = post_form(
        client, console(tenant, f"/customers/{customer_id}/card-link"), {}, token=token
    )
    assert resp.status_code == 409 and "Connect a Stripe account first" in resp.text


def test_previews_show_the_text_and_frame_the_email(client, rt, tenant):
    booking = make_booking(client, tenant)
    signed_in(client, tenant)
    page = client.get(console(tenant, "/messages/previews"))
    assert page.status_code == 200
    assert "segment" in page.text and "Subject" in page.text
    assert f'<option value="{booking["id"]}" selected>' in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "frame-src 'self'" in csp and "script-src 'self';" in csp
    assert 'sandbox=""' in page.text and "<iframe" in page.text
    frame_url = page.text.split('class="email-frame" src="')[1].split('"')[0].replace("&amp;", "&")
    frame = client.get(frame_url)
    assert frame.status_code == 200 and frame.mimetype == "text/html"
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    assert "default-src 'none'" in frame.headers["Content-Security-Policy"]
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "<html" in frame.get_data(as_text=True).lower()
    no_email = client.get(
        console(tenant, f"/messages/previews?template=on_my_way&booking_id={booking['id']}")
    )
    assert no_email.status_code == 200 and "has no e-mail version yet" in no_email.text
    bad = client.get(console(tenant, "/messages/previews?template=nope"))
    assert (
        bad.status_code == 422 and 'id="preview-template-error" aria-live="polite">Must' in bad.text
    )


def test_another_workspaces_ids_are_404_pages(client, rt, tenant, other_tenant):
    theirs = customer_for(client, other_tenant)  # this workspace has no customer nor booking
    their_booking = make_booking(client, other_tenant)
    token = signed_in(client, tenant)
    assert client.get(console(tenant, f"/messages/{theirs}")).status_code == 404
    resp = post_form(client, console(tenant, f"/messages/{theirs}"), {"body": "Hi"}, token=token)
    assert resp.status_code == 404
    card = post_form(client, console(tenant, f"/customers/{theirs}/card-link"), {}, token=token)
    assert card.status_code == 404
    preview = f"?template=booking_confirmed&booking_id={their_booking['id']}"
    assert client.get(console(tenant, "/messages/previews" + preview)).status_code == 404
    assert client.get(console(tenant, "/messages/previews/email" + preview)).status_code == 404
    assert not [m for m in sms_rows(rt, other_tenant) if m.template == "staff_reply"]


def test_the_thread_pages_and_the_customer_page_shows_the_last_three(
    client, rt, tenant, monkeypatch
):
    number = set_sms_from(client, tenant)
    customer_id, phone = texting_customer(client, tenant, number)
    for n in range(4):
        inbound(client, number, phone, f"Message number {n}")
    signed_in(client, tenant)
    page = client.get(console(tenant, f"/customers/{customer_id}"))
    shown = [n for n in range(4) if f"Message number {n}" in page.text]
    assert shown == [1, 2, 3] and "4 unread" in page.text
    monkeypatch.setattr(message_pages, "THREAD_PAGE", 3)
    first = client.get(console(tenant, f"/messages/{customer_id}"))
    assert [n for n in range(4) if f"Message number {n}" in first.text] == [1, 2, 3]
    nxt = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(nxt.replace("&amp;", "&"))
    assert "Message number 0" in second.text and "Message number 3" not in second.text
    assert "Back to the first page" in second.text


def test_previews_offer_the_latest_bookings(client, rt, tenant, monkeypatch):
    older, newer = make_booking(client, tenant), make_booking(client, tenant)
    monkeypatch.setattr(message_pages, "PREVIEW_BOOKINGS", 1)
    signed_in(client, tenant)
    page = client.get(console(tenant, "/messages/previews"))
    assert f'<option value="{newer["id"]}" selected>' in page.text
    assert f'<option value="{older["id"]}"' not in page.text
    chosen = client.get(
        console(tenant, f"/messages/previews?template=booking_confirmed&booking_id={older['id']}")
    )
    assert chosen.status_code == 200 and "segment" in chosen.text  # any booking by its id


def _statements(client, url) -> tuple[int, str]:
    """The SQL statements one page ran, and its HTML."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    count = [0]

    def seen(*_args) -> None:
        count[0] += 1

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        page = client.get(url)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert page.status_code == 200
    return count[0], page.text


def test_conversations_show_the_latest_text_without_a_query_a_row(client, rt, tenant):
    number = set_sms_from(client, tenant)
    people = [texting_customer(client, tenant, number) for _ in range(3)]
    for n, (_customer, phone) in enumerate(people[:2]):
        inbound(client, number, phone, f"Older text {n}")
        inbound(client, number, phone, f"Newest text {n}")
    signed_in(client, tenant)
    _reply(client, tenant, people[0][0], "Our answer comes after")  # outbound: not the last text
    two, html = _statements(client, console(tenant, "/messages"))
    assert "Newest text 0" in html and "Newest text 1" in html
    assert "Older text" not in html and "Our answer comes after" not in html
    inbound(client, number, people[2][1], "Newest text 2")
    three, html = _statements(client, console(tenant, "/messages"))
    assert "Newest text 2" in html
    assert three == two  # one more conversation, no more queries
