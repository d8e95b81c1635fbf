"""The console's "confirm your e-mail" banner (SPEC §4.5) and its "Send the link again" button:
one e-mail a minute at most, back to the page it was pressed on, CSRF like every console form."""

from __future__ import annotations

from tests.console.helpers import console, csrf_of, post_form, signed_in

SENT = "We sent a new confirmation link"


def _verify_mails(mails) -> list:
    return [m for m in mails if m["template"] == "verify_email"]


def test_the_button_sends_the_link_once_a_minute_and_comes_back(client, runtime, tenant, mails):
    token = signed_in(client, tenant)
    before = len(_verify_mails(mails))
    page = client.get(console(tenant, "/bookings"))
    assert "Please confirm your e-mail address" in page.text
    assert ">Send the link again</button>" in page.text
    assert f'name="next" value="/t/{tenant.slug}/console/bookings"' in page.text

    url = console(tenant, "/verify-email/resend")
    back = post_form(client, url, {"next": console(tenant, "/bookings")}, token=token)
    assert back.status_code == 303
    assert back.headers["Location"] == console(tenant, "/bookings")
    assert len(_verify_mails(mails)) == before + 1
    assert _verify_mails(mails)[-1]["to"] == tenant.email
    shown = client.get(console(tenant, "/bookings")).text
    assert SENT in shown and "Send the link again" not in shown

    # A second press within the minute sends nothing more.
    assert post_form(client, url, {"next": console(tenant, "/")}, token=token).status_code == 303
    assert len(_verify_mails(mails)) == before + 1
    # After the minute (the key's expiry, here cut short), the button is back and works.
    from tenantapp.ownerbilling.banners import resend_key

    user_id = client.get("/v1/auth/me", headers=tenant.headers).get_json()["user"]["id"]
    runtime.redis.delete(resend_key(user_id))
    assert "Send the link again" in client.get(console(tenant, "/")).text
    post_form(client, url, {"next": console(tenant, "/")}, token=token)
    assert len(_verify_mails(mails)) == before + 2


def test_next_only_leads_back_into_this_console(client, runtime, tenant, mails):
    token = signed_in(client, tenant)
    url = console(tenant, "/verify-email/resend")
    for bad in ("https://evil.example/", "//evil.example/x", "/t/other/console/", "/ops/"):
        resp = post_form(client, url, {"next": bad}, token=token)
        assert resp.headers["Location"] == console(tenant, "/"), bad


def test_without_the_token_or_signed_out_nothing_is_sent(client, runtime, tenant, mails):
    url = console(tenant, "/verify-email/resend")
    before = len(_verify_mails(mails))
    signed_out = post_form(client, url, {"next": console(tenant, "/")})
    assert signed_out.status_code == 303  # to the sign-in page
    signed_in(client, tenant)
    refused = post_form(client, url, {"next": console(tenant, "/")}, token="not-the-token")
    assert refused.status_code == 403
    assert len(_verify_mails(mails)) == before


def test_a_confirmed_address_has_no_banner(client, runtime, tenant):
    from sqlalchemy import func, update

    from shared.models.accounts import User

    with runtime.owner_engine.begin() as conn:
        conn.execute(
            update(User).where(User.email == tenant.email).values(email_verified_at=func.now())
        )
    signed_in(client, tenant)
    page = client.get(console(tenant, "/"))
    assert "Please confirm your e-mail address" not in page.text
    assert "Send the link again" not in page.text
    assert csrf_of(page.text)
