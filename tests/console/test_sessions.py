"""Console sign-in, cookie sessions, 2FA, revocation, CSRF and roles (SPEC §5.14, §4.5)."""

from __future__ import annotations

import time

import pyotp

from tests.console.helpers import add_member, console, csrf_of, post_form, sign_in, signed_in
from tests.support import PASSWORD, signup


def _set_cookies(resp) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in resp.headers.getlist("Set-Cookie")}


def test_a_console_url_without_a_session_redirects_to_sign_in(client, tenant):
    resp = client.get(console(tenant, "/customers?q=ann"))
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith(console(tenant, "/login?next="))
    assert "customers" in resp.headers["Location"]
    assert client.get(console(tenant, "/schedule")).status_code == 303
    assert client.get(console(tenant, "/bookings/1")).status_code == 303


def test_the_sign_in_page_has_spec_labels_and_no_code_until_needed(client, tenant):
    page = client.get(console(tenant, "/login"))
    html = page.text
    assert page.status_code == 200
    for label in (">Email</label>", ">Password</label>", ">Sign in</button>"):
        assert label in html
    assert ">Code</label>" not in html
    assert "<script" not in html  # nothing to run on the sign-in page
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["Cache-Control"] == "no-store"


def test_sign_in_sets_an_httponly_lax_cookie_on_the_console_path(client, tenant):
    resp = sign_in(client, tenant)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(console(tenant, "/"))
    cookie = _set_cookies(resp)["cp_console"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert f"Path=/t/{tenant.slug}/console" in cookie
    assert "Secure" not in cookie  # APP_ENV=test; prod adds it (test_cookie_is_secure_in_prod)
    today = client.get(console(tenant, "/"))
    assert today.status_code == 200
    assert ">Today</a>" in today.text
    assert 'for="console-q" class="visually-hidden">Search</label>' in today.text


def test_every_cookie_the_console_sets_is_httponly(client, tenant):
    page = client.get(console(tenant, "/login"))
    for header in page.headers.getlist("Set-Cookie"):
        assert "HttpOnly" in header and "SameSite=Lax" in header
    resp = post_form(
        client,
        console(tenant, "/login"),
        {"email": tenant.email, "password": PASSWORD},
        token=csrf_of(page.text),
    )
    assert resp.headers.getlist("Set-Cookie")
    for header in resp.headers.getlist("Set-Cookie"):
        assert "HttpOnly" in header


def test_cookie_is_secure_in_prod(rt, monkeypatch):
    from dataclasses import replace

    from flask import Flask

    from shared.web import staff_session

    prod = replace(rt.settings, app_env="prod")
    monkeypatch.setattr(type(rt), "settings", property(lambda self: prod), raising=False)
    app = Flask("probe")
    with app.test_request_context("/"):
        resp = app.response_class()
        staff_session.set_console_cookie(
            resp, session_id="s", user_id="u", tenant_id="t", path="/t/x/console"
        )
        assert "Secure" in resp.headers["Set-Cookie"]


def test_the_next_page_is_kept_and_other_sites_are_not_followed(client, tenant):
    page = client.get(console(tenant, "/login?next=" + console(tenant, "/customers")))
    resp = post_form(
        client,
        console(tenant, "/login"),
        {"email": tenant.email, "password": PASSWORD, "next": console(tenant, "/customers")},
        token=csrf_of(page.text),
    )
    assert resp.headers["Location"].endswith(console(tenant, "/customers"))
    client.post(
        console(tenant, "/logout"),
        data={"csrf_token": csrf_of(client.get(console(tenant, "/")).text)},
    )
    page = client.get(console(tenant, "/login"))
    resp = post_form(
        client,
        console(tenant, "/login"),
        {"email": tenant.email, "password": PASSWORD, "next": "https://evil.example/x"},
        token=csrf_of(page.text),
    )
    assert resp.headers["Location"].endswith(console(tenant, "/"))


def test_a_wrong_password_is_401_beside_the_form_and_sets_no_session(client, tenant):
    resp = sign_in(client, tenant, password="Wrong-password-123")
    assert resp.status_code == 401
    assert "The e-mail or password is wrong." in resp.text
    assert "cp_console=" not in " ".join(resp.headers.getlist("Set-Cookie")).replace(
        "cp_console_pre", ""
    )
    assert client.get(console(tenant, "/")).status_code == 303


def test_empty_fields_are_named_beside_them(client, tenant):
    page = client.get(console(tenant, "/login"))
    resp = post_form(
        client, console(tenant, "/login"), {"email": "", "password": ""}, token=csrf_of(page.text)
    )
    assert resp.status_code == 422
    assert 'id="f-email-error" aria-live="polite">Enter your e-mail address.' in resp.text
    assert 'id="f-password-error" aria-live="polite">Enter your password.' in resp.text


def test_a_member_of_another_workspace_cannot_sign_in_here(client, tenant, other_tenant):
    resp = sign_in(client, tenant, email=other_tenant.email)
    assert resp.status_code == 401


def _fresh(totp: pyotp.TOTP, used: set) -> str:
    now = int(time.time())
    for offset in (0, 1, -1):
        step = (now // totp.interval) + offset
        if step not in used:
            used.add(step)
            return totp.generate_otp(step)
    raise AssertionError("no unused step left")


def test_two_factor_asks_for_the_code_and_checks_it(client, tenant):
    secret = client.post("/v1/auth/2fa/enroll", headers=tenant.headers).get_json()["secret"]
    totp, used = pyotp.TOTP(secret), set()
    ok = client.post(
        "/v1/auth/2fa/verify", json={"code": _fresh(totp, used)}, headers=tenant.headers
    )
    assert ok.status_code == 200
    first = sign_in(client, tenant)
    assert first.status_code == 401 and ">Code</label>" in first.text
    assert "cp_console=" not in " ".join(first.headers.getlist("Set-Cookie")).replace(
        "cp_console_pre", ""
    )
    wrong = sign_in(client, tenant, code="000000" if totp.now() != "000000" else "111111")
    assert wrong.status_code == 401
    assert 'id="f-code-error" aria-live="polite">The authenticator code is wrong.' in wrong.text
    right = sign_in(client, tenant, code=_fresh(totp, used))
    assert right.status_code == 303
    assert client.get(console(tenant, "/")).status_code == 200


def test_sign_out_revokes_the_session(client, tenant):
    token = signed_in(client, tenant)
    stolen = client.get_cookie("cp_console", path=f"/t/{tenant.slug}/console").value
    resp = post_form(client, console(tenant, "/logout"), {}, token=token)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/console/login")
    assert client.get(console(tenant, "/")).status_code == 303
    # The old cookie value is dead too: sign-out ended the session, not just the cookie.
    client.set_cookie("cp_console", stolen, path=f"/t/{tenant.slug}/console")
    assert client.get(console(tenant, "/")).status_code == 303


def test_a_revoked_session_is_signed_out_on_its_next_click(client, runtime, tenant):
    email = add_member(runtime, tenant, "dispatcher")
    signed_in(client, tenant, email)
    assert client.get(console(tenant, "/customers")).status_code == 200
    members = client.get("/v1/members", headers=tenant.headers).get_json()["items"]
    mid = next(m["id"] for m in members if m["email"] == email)
    off = client.post(f"/v1/members/{mid}/deactivate", headers=tenant.headers)
    assert off.status_code == 200
    resp = client.get(console(tenant, "/customers"))
    assert resp.status_code == 303 and "/console/login" in resp.headers["Location"]
    assert "cp_console=;" in " ".join(resp.headers.getlist("Set-Cookie"))  # cookie dropped


def test_a_role_change_applies_on_the_next_click(client, runtime, tenant):
    email = add_member(runtime, tenant, "dispatcher")
    signed_in(client, tenant, email)
    assert client.get(console(tenant, "/customers/new")).status_code == 200
    members = client.get("/v1/members", headers=tenant.headers).get_json()["items"]
    mid = next(m["id"] for m in members if m["email"] == email)
    client.post(f"/v1/members/{mid}/role", json={"role": "viewer"}, headers=tenant.headers)
    page = client.get(console(tenant, "/customers/new"))
    assert page.status_code == 403 and "dispatch permission" in page.text


def test_a_post_without_the_csrf_token_is_refused(client, tenant):
    signed_in(client, tenant)
    resp = post_form(
        client, console(tenant, "/customers/new"), {"name": "Ann", "phone": "7805550100"}
    )
    assert resp.status_code == 403
    assert "did not come from the console" in resp.text


def test_a_cross_site_form_post_is_refused_even_with_a_token(client, tenant):
    token = signed_in(client, tenant)
    data = {"name": "Ann", "phone": "7805550100", "csrf_token": token}
    evil = client.post(
        console(tenant, "/customers/new"), data=data, headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403 and "Cross-site" in evil.text
    fetch = client.post(
        console(tenant, "/customers/new"), data=data, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert fetch.status_code == 403
    ok = post_form(client, console(tenant, "/customers/new"), data)
    assert ok.status_code == 303


def test_a_token_of_another_session_does_not_fit(client, wsgi_app, tenant):
    from tests.support import ApiClient

    other = ApiClient(wsgi_app)
    foreign = signed_in(other, tenant)
    signed_in(client, tenant)
    resp = post_form(
        client,
        console(tenant, "/customers/new"),
        {"name": "Ann", "phone": "7805550100"},
        token=foreign,
    )
    assert resp.status_code == 403 and "another session" in resp.text


def test_the_sign_in_form_needs_its_token_too(client, tenant):
    client.get(console(tenant, "/login"))
    resp = post_form(
        client, console(tenant, "/login"), {"email": tenant.email, "password": PASSWORD}
    )
    assert resp.status_code == 403
    assert client.get(console(tenant, "/")).status_code == 303


def test_a_cookie_of_another_workspace_means_nothing_here(client, wsgi_app, tenant):
    other = signup(client)
    signed_in(client, other)
    value = client.get_cookie("cp_console", path=f"/t/{other.slug}/console").value
    client.set_cookie("cp_console", value, path=f"/t/{tenant.slug}/console")
    assert client.get(console(tenant, "/")).status_code == 303


def test_a_forged_cookie_is_ignored(client, tenant):
    client.set_cookie("cp_console", "not-a-signed-value", path=f"/t/{tenant.slug}/console")
    assert client.get(console(tenant, "/")).status_code == 303


def test_the_api_token_still_works_beside_a_console_session(client, tenant):
    signed_in(client, tenant)
    assert client.get(tenant.url("/admin/customers"), headers=tenant.headers).status_code == 200


def test_a_temporary_password_leads_to_the_password_page_only(client, runtime, tenant):
    from sqlalchemy import update

    from shared.models.accounts import User

    email = add_member(runtime, tenant, "dispatcher")
    with runtime.owner_engine.begin() as conn:
        conn.execute(update(User).where(User.email == email).values(must_change_password=True))
    resp = sign_in(client, tenant, email)
    assert resp.status_code == 303
    today = client.get(console(tenant, "/"))
    assert today.status_code == 303 and today.headers["Location"].endswith("/console/password")
    page = client.get(console(tenant, "/password"))
    assert page.status_code == 200 and "temporary password" in page.text
    token = csrf_of(page.text)
    url = console(tenant, "/password")
    wrong = post_form(client, url, {"current_password": "nope", "new_password": "x"}, token=token)
    assert wrong.status_code == 401
    assert 'id="f-current_password-error" aria-live="polite">The current password is wrong.' in (
        wrong.text
    )
    weak = post_form(
        client, url, {"current_password": PASSWORD, "new_password": "short"}, token=token
    )
    assert weak.status_code == 422 and 'id="f-new_password-error"' in weak.text
    ok = post_form(
        client,
        url,
        {"current_password": PASSWORD, "new_password": "Another-Horse-10battery"},
        token=token,
    )
    assert ok.status_code == 303
    assert client.get(console(tenant, "/")).status_code == 200  # same session, now free
    api = client.post(
        "/v1/auth/login", json={"email": email, "password": "Another-Horse-10battery"}
    )
    assert api.status_code == 200 and api.get_json()["must_change_password"] is False
