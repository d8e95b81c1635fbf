"""Transports behind one interface: SendGrid over HTTP (local server), SMTP URL handling."""

from __future__ import annotations

import json

import pytest

from shared.mail import OutgoingMail, transport_from_settings
from shared.mail.transports import MissingTransport, SendGridTransport, SmtpTransport
from shared.outbox.delivery import Permanent, Retryable

MAIL = OutgoingMail(
    to="ada@example.com",
    subject="Hello",
    text="plain body",
    html="<p>html body</p>",
    from_addr="Sparkle via Cleanplane <no-reply@cleanplane.dev>",
    message_id="<outbox.x.1@cleanplane.dev>",
    headers={"List-Unsubscribe": "<https://x/unsub>"},
    reply_to="owner@sparkle.example",
)


def test_sendgrid_posts_the_message_and_classifies_failures(webhook_target):
    transport = SendGridTransport("SG.key", webhook_target.url(""), timeout=2.0)
    webhook_target.reply(202, headers={"X-Message-Id": "sg-123"})
    assert transport.send(MAIL) == "sg-123"
    request = webhook_target.requests[0]
    assert request["path"] == "/v3/mail/send"
    assert request["headers"]["Authorization"] == "Bearer SG.key"
    body = json.loads(request["body"])
    assert body["personalizations"] == [{"to": [{"email": "ada@example.com"}]}]
    assert body["from"] == {"email": "no-reply@cleanplane.dev", "name": "Sparkle via Cleanplane"}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["headers"]["List-Unsubscribe"] == "<https://x/unsub>"
    assert body["reply_to"] == {"email": "owner@sparkle.example"}

    webhook_target.reply(400)
    with pytest.raises(Permanent):
        transport.send(MAIL)
    for status in (429, 503):
        webhook_target.reply(status)
        with pytest.raises(Retryable):
            transport.send(MAIL)


def test_smtp_urls(smtp_server):
    plain = SmtpTransport("smtp://127.0.0.1:2525")
    assert (plain.host, plain.port, plain.implicit_tls, plain.starttls) == (
        "127.0.0.1",
        2525,
        False,
        False,
    )
    tls = SmtpTransport("smtps://user%40x:p%3Ass@mail.example.com")
    assert (tls.port, tls.implicit_tls, tls.username, tls.password) == (465, True, "user@x", "p:ss")
    assert SmtpTransport("smtp://mail.example.com?starttls=1").starttls is True
    with pytest.raises(ValueError):
        SmtpTransport("http://mail.example.com")
    assert SmtpTransport(smtp_server.url, timeout=2).send(MAIL) == MAIL.message_id
    received = smtp_server.messages[0]["message"]
    assert received["Reply-To"] == "owner@sparkle.example"
    assert received["List-Unsubscribe"] == "<https://x/unsub>"


def test_transport_choice_follows_settings(settings):
    assert isinstance(transport_from_settings(settings.replace(smtp_url="")), MissingTransport)
    assert isinstance(
        transport_from_settings(settings.replace(smtp_url="smtp://localhost:25")), SmtpTransport
    )
    chosen = transport_from_settings(
        settings.replace(smtp_url="smtp://localhost:25", sendgrid_api_key="SG.x")
    )
    assert isinstance(chosen, SendGridTransport)
    with pytest.raises(Retryable):
        MissingTransport().send(MAIL)
