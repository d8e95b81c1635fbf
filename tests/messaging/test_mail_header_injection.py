"""CR/LF in names never breaks an e-mail nor opens the mail circuit breaker (issue 18).

A company name or contact e-mail with a line break went into the From/Reply-To headers, which
Python's e-mail package refuses with ``ValueError`` inside the transport call: every such
message failed and, five in a row, tripped the ``mail`` breaker for every tenant."""

from __future__ import annotations

import pytest

from shared import circuit
from shared.mail.message import OutgoingMail
from shared.mail.transports import SendGridTransport, SmtpTransport
from shared.outbox.delivery import Permanent
from shared.tenancy import tenant_context
from tenantapp.outbox.delivery import deliver_due
from tests.messaging.support import BOOKING_CONTEXT, queue_email, ref

EVIL = "Acme\r\nBcc: victim@example.com\r\nX-Injected: yes"


def test_line_breaks_in_names_are_folded_out_of_every_header(client, tenant, mail_rt, smtp_server):
    resp = client.patch(
        tenant.url("/admin/settings"), json={"company_name": EVIL}, headers=tenant.headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    context = {**BOOKING_CONTEXT, "customer_name": "Ada\r\nBcc: victim@example.com"}
    with tenant_context(ref(tenant)):
        for i in range(7):  # more than the breaker's 5 failures
            queue_email("booking_confirmed", key=f"crlf-{i}", context=context)
        report = deliver_due()
    assert report.sent == 7, report
    assert circuit.states().get("mail") == "closed"
    assert len(smtp_server.messages) == 7
    for item in smtp_server.messages:
        assert item["to"] == ["ada@example.com"]  # no injected Bcc recipient
        msg = item["message"]
        assert msg["X-Injected"] is None and msg["Bcc"] is None
        assert "Acme" in msg["From"] and "\n" not in msg["From"] and "\r" not in msg["From"]
        assert "\n" not in msg["Subject"]


def test_outgoing_mail_never_renders_a_header_with_a_line_break():
    mail = OutgoingMail(
        to="ada@example.com",
        subject="Hi\nthere",
        text="t",
        html="<p>h</p>",
        from_addr='"Acme\r\nX: y" <noreply@example.com>',
        message_id="<m@example.com>",
        headers={"List-Unsubscribe": "<https://u>\r\nX-Evil: 1"},
        reply_to="a@example.com\nBcc: y@example.com",
    )
    msg = mail.to_mime()
    head = msg.as_bytes().split(b"\n\n", 1)[0]
    for injected in (b"\nBcc:", b"\nX: y", b"\nX-Evil:"):
        assert injected not in head
    assert msg["Subject"] == "Hi there"
    assert msg["Reply-To"] is None  # a broken reply address is left out, not folded
    assert msg.get_all("To") == ["ada@example.com"]


def test_an_injected_recipient_line_only_ever_reaches_the_real_address(
    tenant, mail_rt, smtp_server
):
    with tenant_context(ref(tenant)):
        for i in range(6):
            queue_email(key=f"bad-to-{i}", to=f"ada{i}@example.com\r\nBcc: victim@example.com")
        report = deliver_due()
    assert report.sent == 6, report
    assert circuit.states().get("mail") == "closed"
    assert sorted(r for item in smtp_server.messages for r in item["to"]) == [
        f"ada{i}@example.com" for i in range(6)
    ]


@pytest.mark.parametrize("kind", ["smtp", "sendgrid"])
def test_a_message_with_a_broken_recipient_is_refused_without_tripping_the_breaker(
    kind, smtp_server, webhook_target
):
    transport = (
        SmtpTransport(smtp_server.url, timeout=2.0)
        if kind == "smtp"
        else SendGridTransport("SG.key", webhook_target.url(""), timeout=2.0)
    )
    bad = OutgoingMail(
        to="ada@example.com\r\nBcc: victim@example.com",
        subject="s",
        text="t",
        html="h",
        from_addr="a@example.com",
        message_id="<m@example.com>",
    )
    for _ in range(7):
        with pytest.raises(Permanent) as refused:
            transport.send(bad)
        assert refused.value.reason == "invalid_message"
    assert circuit.states().get("mail") == "closed"
    assert smtp_server.messages == [] and webhook_target.requests == []
