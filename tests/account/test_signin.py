"""Magic-link sign-in (SPEC §5.13): POST /client/login, the link, the cookie, sign out, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.auth.tokens import hash_token
from tenantapp.account import signin
from tenantapp.account.models import ClientLoginLink, ClientSession
from tenantapp.outbox.models import OutboxMessage
from tests.account.conftest import (
    csrf_of,
    deliver,
    magic_link,
    mails_to,
    page_path,
    sign_in,
    unique_email,
)
from tests.bookings.conftest import at, book, make_lead, monday
from tests.invoices.helpers import InTenant
from tests.support import ApiClient


def _booking(client, tenant, email, hhmm="09:00"):
    lead = make_lead(client, tenant, email=email)
    resp = book(client, tenant, lead["lead_id"], at(monday(), hhmm))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _opens_session(resp) -> bool:
    """Does the response set a session cookie (a cleared one, ``cp_client=;``, does not)?"""
    return any(
        c.startswith("cp_client=") and not c.startswith("cp_client=;")
        for c in resp.headers.getlist("Set-Cookie")
    )


def _outbox(runtime, tenant, topic="client_login") -> int:
    with InTenant(runtime, tenant) as sess:
        return sess.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == topic)
        )


def test_unknown_address_gets_202_and_no_mail(client, tenant, runtime):
    resp = client.post(tenant.url("/client/login"), json={"email": "nobody@example.com"})
    assert resp.status_code == 202
    assert _outbox(runtime, tenant) == 0


def test_bad_input_is_a_problem_not_a_500(client, tenant):
    resp = client.post(tenant.url("/client/login"), json={"email": "not-an-address"})
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "email"
    resp = client.post(
        tenant.url("/client/login"), data="{", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.headers["Content-Type"].startswith("application/problem+json")


def test_link_from_the_email_signs_in_with_a_strict_cookie(client, tenant, smtp_server, mail_rt):
    email = unique_email()
    booking = _booking(client, tenant, email)
    link = magic_link(client, tenant, email, smtp_server, mail_rt)
    resp = client.get(link)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/t/{tenant.slug}/account")
    cookie = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("cp_client=")][0]
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags
    assert f"path=/t/{tenant.slug}" in flags
    assert "max-age=2592000" in flags  # 30 days
    assert "secure" not in flags  # only in prod (plain http on a developer's machine)
    page = client.get(page_path(tenant, "/account"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Upcoming visits" in html and "12 Elm" not in html
    start = datetime.fromisoformat(booking["starts_at_local"])
    assert start.strftime("%a %-d %b %Y") in html and "9:00 AM" in html
    assert "Standard" in html
    assert page.headers["Cache-Control"] == "no-store"


def test_a_used_link_opens_nothing(client, tenant, smtp_server, mail_rt):
    email = unique_email()
    _booking(client, tenant, email)
    link = magic_link(client, tenant, email, smtp_server, mail_rt)
    assert client.get(link).status_code == 303
    client = ApiClient(client.application)  # another browser following the same link
    again = client.get(link)
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)
    assert not _opens_session(again)
    assert "Sign in to your account" in client.get(page_path(tenant, "/account")).get_data(
        as_text=True
    )


def test_link_is_valid_for_15_minutes_exactly(client, tenant, runtime):
    email = unique_email()
    _booking(client, tenant, email)
    start = datetime.now(UTC)
    with InTenant(runtime, tenant) as sess:
        signin.request_link(email, "192.0.2.1", now=start)
        signin.request_link(email, "192.0.2.1", now=start)
        links = list(sess.scalars(select(ClientLoginLink).order_by(ClientLoginLink.id)))
        assert [link.expires_at - start for link in links] == [timedelta(minutes=15)] * 2
        # The raw secrets live only in the sealed e-mails: give the rows known ones.
        links[0].token_hash, links[1].token_hash = hash_token("a" * 43), hash_token("b" * 43)
        sess.commit()
        token, _ = signin.consume_link("a" * 43, now=start + timedelta(minutes=15, seconds=-1))
        assert token
        with pytest.raises(signin.LinkRefused) as refused:
            signin.consume_link("b" * 43, now=start + timedelta(minutes=15))
        assert refused.value.reason == "expired"
        assert sess.scalar(select(func.count()).select_from(ClientSession)) == 1


def test_expired_link_page_says_so_and_sets_no_cookie(client, tenant, runtime):
    email = unique_email()
    _booking(client, tenant, email)
    with InTenant(runtime, tenant) as sess:
        signin.request_link(email, "192.0.2.2", now=datetime.now(UTC) - timedelta(minutes=16))
        link = sess.scalar(select(ClientLoginLink))
        link.token_hash = hash_token("c" * 43)
        sess.commit()
    resp = client.get(page_path(tenant, "/account/signin?token=" + "c" * 43))
    assert resp.status_code == 410
    assert "This sign-in link has expired" in resp.get_data(as_text=True)
    assert not _opens_session(resp)
    assert client.get(page_path(tenant, "/account/signin?token=nope")).status_code == 410


def test_five_links_per_address_per_hour_then_429(client, tenant):
    email = unique_email()
    for _ in range(5):
        resp = client.post(tenant.url("/client/login"), json={"email": email})
        assert resp.status_code == 202
    resp = client.post(tenant.url("/client/login"), json={"email": email.upper()})
    assert resp.status_code == 429
    assert resp.get_json()["code"] == "rate_limited"
    assert 0 < int(resp.headers["Retry-After"]) <= 3600


def test_thirty_links_per_ip_per_hour_then_429(client, tenant):
    headers = {"REMOTE_ADDR": "198.51.100.7"}
    for i in range(30):
        resp = client.post(
            tenant.url("/client/login"), json={"email": f"x{i}@example.com"}, environ_base=headers
        )
        assert resp.status_code == 202, i
    resp = client.post(
        tenant.url("/client/login"), json={"email": "y@example.com"}, environ_base=headers
    )
    assert resp.status_code == 429
    other_ip = client.post(
        tenant.url("/client/login"),
        json={"email": "y@example.com"},
        environ_base={"REMOTE_ADDR": "198.51.100.8"},
    )
    assert other_ip.status_code == 202


def test_sign_out_revokes_the_session_at_once(client, tenant, smtp_server, mail_rt):
    email = unique_email()
    _booking(client, tenant, email)
    resp = sign_in(client, tenant, email, smtp_server, mail_rt)
    cookie = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("cp_client=")][0]
    value = cookie.split(";")[0].split("=", 1)[1]
    page = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    out = client.post(page_path(tenant, "/account/logout"), data={"csrf": csrf_of(page)})
    assert out.status_code == 303
    client = ApiClient(client.application)  # a copy of the old cookie, replayed
    client.set_cookie("cp_client", value, path=f"/t/{tenant.slug}")
    html = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    assert "Sign in to your account" in html and "Upcoming visits" not in html


def test_forms_without_the_csrf_token_are_refused(client, tenant, smtp_server, mail_rt):
    client.get(page_path(tenant, "/account"))  # the CSRF cookie
    resp = client.post(page_path(tenant, "/account/login"), data={"email": "a@example.com"})
    assert resp.status_code == 403
    resp = client.post(
        page_path(tenant, "/account/login"), data={"email": "a@example.com", "csrf": "0" * 64}
    )
    assert resp.status_code == 403
    page = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    resp = client.post(
        page_path(tenant, "/account/login"), data={"email": "a@example.com", "csrf": csrf_of(page)}
    )
    assert resp.status_code == 200
    assert "Check your e-mail" in resp.get_data(as_text=True)


def test_sign_in_form_sends_the_same_link(client, tenant, smtp_server, mail_rt):
    email = unique_email()
    _booking(client, tenant, email)
    page = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    resp = client.post(
        page_path(tenant, "/account/login"), data={"email": email, "csrf": csrf_of(page)}
    )
    assert resp.status_code == 200
    deliver(mail_rt, tenant)
    assert len(mails_to(smtp_server, email)) == 1
    bad = client.post(
        page_path(tenant, "/account/login"), data={"email": "nope", "csrf": csrf_of(page)}
    )
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.get_data(as_text=True)


def test_an_erased_customer_session_ends(client, tenant, smtp_server, mail_rt):
    email = unique_email()
    booking = _booking(client, tenant, email)
    sign_in(client, tenant, email, smtp_server, mail_rt)
    resp = client.post(
        tenant.url("/admin/data-deletion/requests"),
        json={"customer_id": booking["customer_id"]},
        headers=tenant.headers,
    )
    assert resp.status_code in (200, 201), resp.get_json()
    html = client.get(page_path(tenant, "/account")).get_data(as_text=True)
    assert "Sign in to your account" in html


def test_client_login_also_answers_beside_the_pages(client, tenant, smtp_server, mail_rt):
    email = unique_email()
    _booking(client, tenant, email)
    resp = client.post(page_path(tenant, "/client/login"), json={"email": email})
    assert resp.status_code == 202
    deliver(mail_rt, tenant)
    assert len(mails_to(smtp_server, email)) == 1
    assert client.post(page_path(tenant, "/client/login"), json={"email": "x"}).status_code == 422
    assert client.post(page_path(tenant, "/client/login"), json=[1]).status_code == 400
    bad = client.post(
        page_path(tenant, "/client/login"), data="{", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400


def test_the_session_cookie_is_secure_in_prod(settings, migrated):
    from flask import Flask, Response

    from shared.runtime import Runtime, use_runtime
    from tenantapp.account import web

    rt = Runtime(settings.replace(app_env="prod"))
    try:
        with Flask(__name__).test_request_context("/account"), use_runtime(rt):
            resp = Response()
            web.set_session(resp, "token")
            cookie = resp.headers["Set-Cookie"].lower()
    finally:
        rt.dispose()
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_a_session_lasts_30_days(client, tenant, runtime):
    email = unique_email()
    _booking(client, tenant, email)
    start = datetime.now(UTC)
    with InTenant(runtime, tenant) as sess:
        signin.request_link(email, "192.0.2.9", now=start)
        sess.scalar(select(ClientLoginLink)).token_hash = hash_token("d" * 43)
        sess.commit()
        token, expires = signin.consume_link("d" * 43, now=start)
        assert expires - start == timedelta(days=30)
        assert signin.load(token, now=start + timedelta(days=30, seconds=-1)) is not None
        assert signin.load(token, now=start + timedelta(days=30)) is None
