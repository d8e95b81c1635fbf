"""Customer-account test plumbing: a real SMTP server, the magic link read from the e-mail, and
customers with bookings made the public way."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest

from shared.runtime import Runtime, use_runtime
from shared.tenancy import tenant_context
from tenantapp.outbox.delivery import deliver_due
from tests.messaging.conftest import SmtpServer

LINK = re.compile(r"https?://\S+/account/signin\?token=[A-Za-z0-9_\-]+")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@pytest.fixture()
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def mail_rt(settings, migrated, smtp_server):
    """A runtime whose mail goes to ``smtp_server`` (delivery runs in the test)."""
    rt = Runtime(settings.replace(smtp_url=smtp_server.url, mail_timeout_seconds=3.0))
    yield rt
    rt.dispose()


def deliver(rt, tenant) -> dict:
    with use_runtime(rt), tenant_context(rt.tenants.by_id(tenant.id)):
        return deliver_due().as_dict()


def page_path(tenant, path: str) -> str:
    return f"/t/{tenant.slug}{path}"


def mails_to(smtp_server, email: str, subject: str = "sign-in link") -> list:
    """Messages to ``email`` whose subject contains ``subject``."""
    return [
        m["message"]
        for m in smtp_server.messages
        if email in m["to"] and subject in str(m["message"]["Subject"])
    ]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def magic_link(client, tenant, email, smtp_server, mail_rt) -> str:
    """Ask for a link through the API, deliver the e-mail over SMTP, return the link's path."""
    resp = client.post(tenant.url("/client/login"), json={"email": email})
    assert resp.status_code == 202, resp.get_json()
    deliver(mail_rt, tenant)
    mails = mails_to(smtp_server, email)
    assert mails, "no sign-in e-mail arrived"
    found = LINK.findall(text_of(mails[-1]))
    assert found, text_of(mails[-1])
    parts = urlsplit(found[-1])
    return f"{parts.path}?{parts.query}"


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def unique_email() -> str:
    return f"cust-{uuid.uuid4().hex[:10]}@example.com"


def sign_in(client, tenant, email, smtp_server, mail_rt):
    """Follow a fresh magic link with ``client`` (its cookie jar keeps the session)."""
    resp = client.get(magic_link(client, tenant, email, smtp_server, mail_rt))
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    return resp
