"""Staff replies and SMS delivery through the Twilio stand-in: the 1 600-character limit,
consent (409 ``opted_out``), metering (402 over the plan), the first-text footer, Twilio's
refusals (21610 marks the number opted out; 30003/30005 undeliverable), outages retried."""

from datetime import UTC, datetime, timedelta

from tests import twilio_stub
from tests.sms.conftest import (
    customer_for,
    deliver,
    inbound,
    outbox_rows,
    set_sms_from,
    set_sms_used,
    signed_post,
    sms_rows,
    sms_used,
    texting_customer,
)


def reply(client, tenant, customer_id, body):
    return client.post(
        tenant.url(f"/admin/customers/{customer_id}/messages"),
        json={"body": body},
        headers=tenant.headers,
    )


def test_reply_length_boundary_is_1600_characters(client, rt, tenant):
    number = set_sms_from(client, tenant)
    customer_id, _ = texting_customer(client, tenant, number)
    assert reply(client, tenant, customer_id, "x" * 1600).status_code == 201
    too_long = reply(client, tenant, customer_id, "x" * 1601)
    assert too_long.status_code == 422
    assert too_long.get_json()["errors"][0]["field"] == "body"
    assert reply(client, tenant, customer_id, "   ").status_code == 422


def test_reply_to_a_customer_who_never_opted_in_is_409(client, rt, tenant):
    set_sms_from(client, tenant)
    customer_id = customer_for(client, tenant)
    resp = reply(client, tenant, customer_id, "Hello")
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "opted_out"
    assert outbox_rows(rt, tenant) == []


def test_first_text_to_a_number_ends_with_the_opt_out_line_and_only_the_first(
    client, rt, tenant, twilio
):
    number = set_sms_from(client, tenant)
    customer_id, phone = texting_customer(client, tenant, number)
    reply(client, tenant, customer_id, "First")
    reply(client, tenant, customer_id, "Second")
    deliver(rt, tenant)
    bodies = [s.body for s in twilio.sent]
    assert bodies == ["First\nReply STOP to opt out.", "Second"]


def test_a_staff_reply_is_metered_by_segments_and_refused_over_the_limit(client, rt, tenant):
    number = set_sms_from(client, tenant)
    customer_id, _ = texting_customer(client, tenant, number)
    set_sms_used(rt, tenant, 40)
    # 161 GSM-7 characters (plus the footer) are 2 segments.
    assert reply(client, tenant, customer_id, "a" * 161).status_code == 201
    assert sms_used(rt, tenant) == 42
    set_sms_used(rt, tenant, 50)  # the free plan's 50 are used
    over = reply(client, tenant, customer_id, "one more")
    assert over.status_code == 402
    problem = over.get_json()
    assert (problem["code"], problem["metric"], problem["limit"]) == (
        "limit_reached",
        "sms_segments",
        50,
    )
    assert len(outbox_rows(rt, tenant)) == 1  # the refused reply left nothing behind


def test_staff_replies_go_out_in_quiet_hours(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    customer_id, _ = texting_customer(client, tenant, number)
    reply(client, tenant, customer_id, "Late answer")
    night = datetime(2030, 1, 15, 6, 0, tzinfo=UTC)  # 23:00 in Edmonton
    assert deliver(rt, tenant, now=night)["sent"] == 1
    assert len(twilio.sent) == 1


def test_twilio_21610_marks_the_number_opted_out_and_dead_letters_the_text(
    client, rt, tenant, twilio
):
    number = set_sms_from(client, tenant)
    customer_id, phone = texting_customer(client, tenant, number)
    twilio.refuse(phone, 21610)
    reply(client, tenant, customer_id, "Hello?")
    assert deliver(rt, tenant)["dead"] == 1
    (row,) = outbox_rows(rt, tenant)
    assert row.status == "dead" and row.last_error.startswith("twilio_21610")
    assert [r.status for r in sms_rows(rt, tenant) if r.direction == "out"] == ["failed"]
    again = reply(client, tenant, customer_id, "Still there?")
    assert again.status_code == 409 and again.get_json()["code"] == "opted_out"


def test_undeliverable_numbers_are_permanent_failures(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    for code in (30003, 30005):
        customer_id, phone = texting_customer(client, tenant, number)
        twilio.refuse(phone, code)
        reply(client, tenant, customer_id, "Hello")
    assert deliver(rt, tenant)["dead"] == 2
    errors = sorted(r.last_error.split(":")[0] for r in outbox_rows(rt, tenant))
    assert errors == ["twilio_30003", "twilio_30005"]


def test_an_outage_is_retried_with_backoff_then_sent(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    customer_id, _ = texting_customer(client, tenant, number)
    reply(client, tenant, customer_id, "Retry me")
    twilio.fail_next(1, 503)
    now = datetime.now(UTC)
    deliver(rt, tenant, now=now)
    (row,) = outbox_rows(rt, tenant)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at >= now + timedelta(seconds=29)
    deliver(rt, tenant, now=now + timedelta(seconds=31))
    assert outbox_rows(rt, tenant)[0].status == "sent"
    assert len(twilio.sent) == 1
    assert sms_used(rt, tenant) == 1  # metered once, at the reply


def test_a_delivery_report_updates_the_thread_once(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    customer_id, phone = texting_customer(client, tenant, number)
    reply(client, tenant, customer_id, "Report me")
    deliver(rt, tenant)
    sid = twilio.sent[0].sid
    callback = twilio.sent[0].status_callback
    assert callback.startswith("https://app.cleanplane.test/v1/webhooks/twilio/status?tenant=")
    path = callback.removeprefix("https://app.cleanplane.test")
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003", "To": phone}
    resp = signed_post(client, path, form)
    assert resp.status_code == 200
    # a late "sent" report never overwrites the final state
    signed_post(client, path, {"MessageSid": sid, "MessageStatus": "sent", "To": phone})
    (row,) = [r for r in sms_rows(rt, tenant) if r.direction == "out"]
    assert (row.status, row.reason) == ("undelivered", "twilio_30003")
    bad = client.post(path, data=form, headers={"X-Twilio-Signature": "x"})
    assert bad.status_code == 403


def test_a_stop_drops_the_numbers_queued_texts(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    customer_id, phone = texting_customer(client, tenant, number)
    reply(client, tenant, customer_id, "Queued before the STOP")
    inbound(client, number, phone, "STOP")
    assert deliver(rt, tenant)["sent"] == 0
    (row,) = outbox_rows(rt, tenant)
    assert (row.status, row.last_error) == ("skipped", "opted_out")
    outbound = [r for r in sms_rows(rt, tenant) if r.direction == "out"]
    assert [(r.status, r.reason) for r in outbound] == [("dropped", "opted_out")]
    assert twilio.sent == []


def test_without_an_own_number_texts_go_from_the_platform_messaging_service(
    client, rt, tenant, twilio
):
    number = set_sms_from(client, tenant)
    customer_id, phone = texting_customer(client, tenant, number)
    client.patch(tenant.url("/admin/settings"), json={"sms_from": None}, headers=tenant.headers)
    reply(client, tenant, customer_id, "From the shared service")
    deliver(rt, tenant)
    (sent,) = twilio.sent
    assert (sent.from_, sent.messaging_service_sid) == (None, twilio_stub.MESSAGING_SERVICE_SID)
    # A reply to the shared service is answered with the company's phone, and stored nowhere.
    client.patch(
        tenant.url("/admin/settings"),
        json={"contact_phone": "780-555-0123"},
        headers=tenant.headers,
    )
    form = twilio_stub.inbound_form(
        "+15875550001", phone, "Thanks!", MessagingServiceSid=twilio_stub.MESSAGING_SERVICE_SID
    )
    resp = signed_post(client, "/v1/webhooks/twilio/inbound", form)
    assert "+17805550123" in resp.get_data(as_text=True)
    assert [r.direction for r in sms_rows(rt, tenant)] == ["out"]
    # STOP to the shared service opts the number out of every workspace that uses it.
    stop = twilio_stub.inbound_form(
        "+15875550001", phone, "STOP", MessagingServiceSid=twilio_stub.MESSAGING_SERVICE_SID
    )
    signed_post(client, "/v1/webhooks/twilio/inbound", stop)
    assert reply(client, tenant, customer_id, "After STOP").status_code == 409
    start = {**stop, "Body": "START", "MessageSid": "SM" + "9" * 32}
    signed_post(client, "/v1/webhooks/twilio/inbound", start)
    assert reply(client, tenant, customer_id, "After START").status_code == 201


def test_thread_lists_email_and_sms_newest_first_with_pages(client, rt, tenant):
    number = set_sms_from(client, tenant)
    customer_id, phone = texting_customer(client, tenant, number)
    for i in range(3):
        reply(client, tenant, customer_id, f"reply {i}")
    inbound(client, number, phone, "an answer")
    url = tenant.url(f"/admin/customers/{customer_id}/messages?limit=2")
    first = client.get(url, headers=tenant.headers).get_json()
    assert [m["body"] for m in first["items"]] == ["an answer", "reply 2"]
    seen = [m["id"] for m in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"{url}&cursor={cursor}", headers=tenant.headers).get_json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
    channels = [s.split("-")[0] for s in seen]
    assert channels.count("sms") == 4
    assert "email" in channels  # the lead's thank-you e-mail
    assert len(seen) == len(set(seen))


def test_a_long_outage_opens_the_twilio_circuit_and_waiting_texts_keep_their_attempts(
    client, rt, tenant, twilio
):
    number = set_sms_from(client, tenant)
    customer_id, _ = texting_customer(client, tenant, number)
    for i in range(7):
        assert reply(client, tenant, customer_id, f"text {i}").status_code == 201
    twilio.fail_next(100, 500)
    deliver(rt, tenant)
    rows = outbox_rows(rt, tenant)
    assert len(twilio.requests) == 5  # the fifth failure opened the circuit
    assert sorted(r.attempts for r in rows) == [0, 0, 1, 1, 1, 1, 1]
    assert all(r.status == "pending" for r in rows)
    assert sum((r.last_error or "").startswith("circuit_open") for r in rows) == 1
