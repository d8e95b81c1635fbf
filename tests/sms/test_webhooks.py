"""Twilio webhooks on the control plane: signatures, routing by ``To``, STOP/START/HELP, the
inbound thread, retries counted once, and another tenant's number refused (SPEC §5.12)."""

import pytest

from tests import twilio_stub
from tests.sms.conftest import (
    PUBLIC_BASE,
    customer_for,
    inbound,
    new_number,
    set_sms_from,
    signed_post,
    sms_rows,
)

INBOUND = "/v1/webhooks/twilio/inbound"


def test_bad_signatures_are_refused_and_nothing_is_stored(client, rt, tenant):
    number = set_sms_from(client, tenant)
    form = twilio_stub.inbound_form(number, new_number(), "Hello there")
    cases = [
        {},  # no signature
        {"X-Twilio-Signature": "bm9wZQ=="},
        # signed over another URL (the path of the status webhook)
        {
            "X-Twilio-Signature": twilio_stub.signature(
                PUBLIC_BASE + "/v1/webhooks/twilio/status", form
            )
        },
        # signed over another origin
        {"X-Twilio-Signature": twilio_stub.signature("https://evil.test" + INBOUND, form)},
        # signed with another auth token
        {"X-Twilio-Signature": twilio_stub.signature(PUBLIC_BASE + INBOUND, form, "other-token")},
    ]
    for headers in cases:
        resp = client.post(INBOUND, data=form, headers=headers)
        assert resp.status_code == 403, headers
        assert resp.get_json()["code"] == "forbidden"
    # a parameter changed after signing
    signature = twilio_stub.signature(PUBLIC_BASE + INBOUND, form)
    changed = {**form, "Body": "Hello there!"}
    resp = client.post(INBOUND, data=changed, headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 403
    assert sms_rows(rt, tenant) == []


def test_an_inbound_text_lands_on_the_customers_thread_and_notifies_staff(client, rt, tenant):
    number = set_sms_from(client, tenant)
    phone = new_number()
    customer_id = customer_for(client, tenant, phone)
    resp, form = inbound(client, number, phone, "Can you also do the oven?")
    assert resp.status_code == 200
    assert resp.mimetype == "text/xml"
    assert resp.get_data(as_text=True).endswith("<Response />")
    thread = client.get(
        tenant.url(f"/admin/customers/{customer_id}/messages"), headers=tenant.headers
    ).get_json()["items"]
    sms = [m for m in thread if m["channel"] == "sms"]
    assert [(m["direction"], m["body"]) for m in sms] == [("in", "Can you also do the oven?")]
    mails = client.get(tenant.url("/admin/outbox?kind=email"), headers=tenant.headers).get_json()
    assert any(m["topic"] == "sms_received" for m in mails["items"])


def test_a_retried_inbound_webhook_counts_once(client, rt, tenant):
    number = set_sms_from(client, tenant)
    phone = new_number()
    form = twilio_stub.inbound_form(number, phone, "Running late?")
    for _ in range(3):
        assert signed_post(client, INBOUND, form).status_code == 200
    rows = [r for r in sms_rows(rt, tenant) if r.direction == "in"]
    assert len(rows) == 1
    mails = client.get(tenant.url("/admin/outbox?kind=email"), headers=tenant.headers).get_json()
    assert sum(m["topic"] == "sms_received" for m in mails["items"]) == 1


def test_an_unknown_number_becomes_a_new_contact_listed_unread(client, rt, tenant):
    number = set_sms_from(client, tenant)
    phone = new_number()
    inbound(client, number, phone, "Hi, how much for a 3 bedroom?")
    convos = client.get(tenant.url("/admin/conversations?unread"), headers=tenant.headers)
    assert convos.status_code == 200
    items = convos.get_json()["items"]
    assert [(i["phone"], i["unread"]) for i in items] == [(phone, 1)]
    customer_id = items[0]["customer_id"]
    client.get(tenant.url(f"/admin/customers/{customer_id}/messages"), headers=tenant.headers)
    after = client.get(tenant.url("/admin/conversations?unread=true"), headers=tenant.headers)
    assert after.get_json()["items"] == []
    everyone = client.get(tenant.url("/admin/conversations"), headers=tenant.headers).get_json()
    assert [i["unread"] for i in everyone["items"]] == [0]


@pytest.mark.parametrize(
    "word", ["STOP", "stop", "  Stop  ", "STOPALL", "unsubscribe", "Cancel", "END", "quit\n"]
)
def test_every_stop_word_opts_the_number_out(client, rt, tenant, word):
    number = set_sms_from(client, tenant)
    phone = new_number()
    customer_id = customer_for(client, tenant, phone)
    inbound(client, number, phone, "START")
    resp, _ = inbound(client, number, phone, word)
    assert resp.status_code == 200
    reply = client.post(
        tenant.url(f"/admin/customers/{customer_id}/messages"),
        json={"body": "Are you there?"},
        headers=tenant.headers,
    )
    assert reply.status_code == 409
    assert reply.get_json()["code"] == "opted_out"


@pytest.mark.parametrize("word", ["STOP please", "stopp", "don't stop", "S T O P"])
def test_words_that_are_not_exactly_a_stop_word_are_just_text(client, rt, tenant, word):
    number = set_sms_from(client, tenant)
    phone = new_number()
    inbound(client, number, phone, "START")
    inbound(client, number, phone, word)
    assert [r.body for r in sms_rows(rt, tenant) if r.direction == "in"] == [word]


def test_stop_then_start_then_a_staff_reply_is_delivered(client, rt, tenant, twilio):
    number = set_sms_from(client, tenant)
    phone = new_number()
    customer_id = customer_for(client, tenant, phone)
    url = tenant.url(f"/admin/customers/{customer_id}/messages")
    inbound(client, number, phone, "STOP")
    assert client.post(url, json={"body": "Hi"}, headers=tenant.headers).status_code == 409
    inbound(client, number, phone, "unstop")
    sent = client.post(url, json={"body": "Welcome back!"}, headers=tenant.headers)
    assert sent.status_code == 201, sent.get_json()
    from tests.sms.conftest import deliver

    assert deliver(rt, tenant)["sent"] == 1
    assert [(s.to, s.from_) for s in twilio.sent] == [(phone, number)]
    assert twilio.sent[0].body.startswith("Welcome back!")


def test_help_answers_with_the_company_name_and_contact(client, rt, tenant):
    number = set_sms_from(client, tenant)
    client.patch(
        tenant.url("/admin/settings"),
        json={"contact_phone": "+1 780 555 0199"},
        headers=tenant.headers,
    )
    resp, _ = inbound(client, number, new_number(), " help ")
    body = resp.get_data(as_text=True)
    assert "<Message>" in body
    assert f"{tenant.slug} Cleaning" in body
    assert "+17805550199" in body


def test_a_number_is_owned_by_one_tenant_and_inbound_goes_only_there(
    client, rt, tenant, other_tenant
):
    number = set_sms_from(client, tenant)
    taken = client.patch(
        other_tenant.url("/admin/settings"), json={"sms_from": number}, headers=other_tenant.headers
    )
    assert taken.status_code == 409
    other_number = set_sms_from(client, other_tenant)
    phone = new_number()
    inbound(client, number, phone, "for the first company")
    inbound(client, other_number, phone, "for the second company")
    assert [r.body for r in sms_rows(rt, tenant)] == ["for the first company"]
    assert [r.body for r in sms_rows(rt, other_tenant)] == ["for the second company"]
    # The other tenant's staff cannot read the first tenant's conversation.
    convo = client.get(tenant.url("/admin/conversations"), headers=tenant.headers).get_json()
    customer_id = convo["items"][0]["customer_id"]
    assert (
        client.get(
            tenant.url(f"/admin/customers/{customer_id}/messages"), headers=other_tenant.headers
        ).status_code
        == 403
    )
    theirs = client.get(
        other_tenant.url(f"/admin/customers/{customer_id}/messages"), headers=other_tenant.headers
    )
    assert theirs.status_code == 404 or all(
        m["body"] != "for the first company" for m in theirs.get_json()["items"]
    )


def test_a_text_to_a_number_nobody_owns_is_acknowledged_and_stored_nowhere(client, rt, tenant):
    set_sms_from(client, tenant)
    resp, _ = inbound(client, "+15875550000", new_number(), "hello?")
    assert resp.status_code == 200
    assert sms_rows(rt, tenant) == []
