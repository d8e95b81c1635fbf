"""Issue #28 item 4 (built in #27, checked here end to end): on a developer's machine the magic
link arrives in make run's mail catcher, /dev/mail lists it clickable, and it signs in."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from devstack.mailcatcher import MailCatcher
from shared.runtime import Runtime
from tests.account.conftest import deliver, page_path, unique_email
from tests.bookings.conftest import at, book, make_lead, monday
from tests.support import ApiClient


def test_magic_link_reaches_dev_mail_and_signs_in(client, tenant, settings, tmp_path):
    email = unique_email()
    lead = make_lead(client, tenant, email=email)
    assert book(client, tenant, lead["lead_id"], at(monday(), "09:00")).status_code == 201
    said: list[str] = []
    catcher = MailCatcher(tmp_path / "mail", said.append)
    url = catcher.start()
    rt = Runtime(settings.replace(smtp_url=url))
    try:
        assert client.post(tenant.url("/client/login"), json={"email": email}).status_code == 202
        deliver(rt, tenant)
    finally:
        rt.dispose()
        catcher.stop()
    assert f"mail to {email}: Your sign-in link for {tenant.slug} Cleaning" in said
    from wsgi import create_wsgi

    dev = ApiClient(
        create_wsgi(settings.replace(app_env="dev", dev_mail_dir=str(tmp_path / "mail")))
    )
    html = dev.get("/dev/mail").get_data(as_text=True)
    assert "Your sign-in link" in html
    link = re.search(r'<a href="([^"]+/account/signin\?token=[^"]+)"', html).group(1)
    parts = urlsplit(link)
    resp = client.get(f"{parts.path}?{parts.query}")
    assert resp.status_code == 303
    assert "Hello, " in client.get(page_path(tenant, "/account")).get_data(as_text=True)
