"""``/login`` (SPEC §4.5): one workspace straight in, a chooser for several, the "Code" step with
2FA, the API's messages and limits; and the reset and verification pages the e-mails link to."""

from __future__ import annotations

import re
import time
import uuid

import pyotp

from tests.owner_pages.helpers import csrf_of, enable_totp, hidden, join, post_form
from tests.support import PASSWORD, ApiClient, signup


def test_the_form_has_the_labels_and_one_workspace_goes_straight_to_its_console(client, tenant):
    page = client.get("/login")
    assert page.status_code == 200
    for label in ("Email", "Password"):
        assert re.search(rf'<label for="\w+">{label}</label>', page.text)
    assert ">Sign in</button>" in page.text and 'href="/forgot-password"' in page.text
    resp = post_form(client, "/login", email=tenant.email, password=PASSWORD)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/t/{tenant.slug}/console/")
    assert client.get(f"/t/{tenant.slug}/console/").status_code == 200  # signed in


def test_a_wrong_password_is_the_apis_401_and_the_password_is_not_echoed(client, tenant):
    resp = post_form(client, "/login", email=tenant.email, password="Wrong-Password-1")
    assert resp.status_code == 401
    assert "The e-mail or password is wrong." in resp.text
    assert "Wrong-Password-1" not in resp.text


def test_several_workspaces_get_a_chooser_and_the_choice_opens_that_one(client, runtime, tenant):
    other = signup(client)
    join(runtime, tenant.email, other.id)
    chooser = post_form(client, "/login", email=tenant.email, password=PASSWORD)
    assert chooser.status_code == 200
    assert "Choose a workspace" in chooser.text
    slugs = re.findall(r'name="tenant" value="([^"]+)"', chooser.text)
    assert sorted(slugs) == sorted([tenant.slug, other.slug])
    assert PASSWORD not in chooser.text  # the ticket is encrypted
    chosen = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(chooser.text),
            "ticket": hidden(chooser.text, "ticket"),
            "tenant": other.slug,
        },
    )
    assert chosen.status_code == 303
    assert chosen.headers["Location"].endswith(f"/t/{other.slug}/console/")
    assert client.get(f"/t/{other.slug}/console/").status_code == 200
    assert client.get(f"/t/{tenant.slug}/console/").status_code == 303  # only the chosen one


def test_a_ticket_from_another_browser_is_refused(client, wsgi_app, runtime, tenant):
    other = signup(client)
    join(runtime, tenant.email, other.id)
    chooser = post_form(client, "/login", email=tenant.email, password=PASSWORD)
    thief = ApiClient(wsgi_app)
    page = thief.get("/login")
    stolen = thief.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "ticket": hidden(chooser.text, "ticket"),
            "tenant": other.slug,
        },
    )
    assert stolen.status_code == 400
    assert "sign in again" in stolen.text


def test_with_2fa_the_code_step_comes_and_a_wrong_code_is_refused(client, tenant):
    secret = enable_totp(client, tenant)
    step = post_form(client, "/login", email=tenant.email, password=PASSWORD)
    assert step.status_code == 200
    assert re.search(r'<label for="code">Code</label>', step.text)
    ticket, token = hidden(step.text, "ticket"), csrf_of(step.text)
    totp = pyotp.TOTP(secret)
    code = totp.at(int(time.time()) + totp.interval)  # the enrolment used the current step
    wrong = f"{(int(code) + 500000) % 1000000:06d}"
    bad = client.post("/login", data={"csrf_token": token, "ticket": ticket, "code": wrong})
    assert bad.status_code == 401
    assert "The authenticator code is wrong." in bad.text
    ok = client.post(
        "/login",
        data={"csrf_token": token, "ticket": hidden(bad.text, "ticket"), "code": code},
    )
    assert ok.status_code == 303
    assert ok.headers["Location"].endswith(f"/t/{tenant.slug}/console/")


def test_sign_in_failures_are_limited_per_account_like_the_api(client, runtime, tenant):
    limit = int(runtime.settings.rate_limit_login_account.split("/")[0])
    for _ in range(limit):
        post_form(client, "/login", email=tenant.email, password="Wrong-Password-1")
    locked = post_form(client, "/login", email=tenant.email, password=PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0


def test_login_posts_without_the_token_or_cross_site_are_refused(client, tenant):
    client.get("/login")
    body = {"email": tenant.email, "password": PASSWORD}
    assert client.post("/login", data=body).status_code == 403
    page = client.get("/login")
    cross = client.post(
        "/login",
        data={**body, "csrf_token": csrf_of(page.text)},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    fetched = client.post(
        "/login",
        data={**body, "csrf_token": csrf_of(page.text)},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert fetched.status_code == 403


def test_forgot_password_answers_the_same_for_anyone_and_mails_real_accounts(client, tenant, mails):
    nobody = post_form(client, "/forgot-password", email=f"n-{uuid.uuid4().hex[:6]}@example.com")
    real = post_form(client, "/forgot-password", email=tenant.email)
    assert nobody.status_code == real.status_code == 200
    assert "a reset link is on its way" in nobody.text and "a reset link is on its way" in real.text
    (mail,) = [m for m in mails if m["template"] == "password_reset"]
    assert mail["to"] == tenant.email


def test_the_reset_link_opens_a_page_that_sets_the_password(client, tenant, mails):
    post_form(client, "/forgot-password", email=tenant.email)
    (mail,) = [m for m in mails if m["template"] == "password_reset"]
    url = mail["context"]["reset_url"]
    path = url[url.index("/reset-password") :]
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = hidden(page.text, "token")
    new = "Brand-New-Secret-77"
    form = {"csrf_token": csrf_of(page.text), "token": token}
    mismatch = client.post(
        "/reset-password", data={**form, "new_password": new, "new_password_confirm": "x"}
    )
    assert mismatch.status_code == 422
    weak = client.post(
        "/reset-password", data={**form, "new_password": "weak", "new_password_confirm": "weak"}
    )
    assert weak.status_code == 422
    done = client.post(
        "/reset-password", data={**form, "new_password": new, "new_password_confirm": new}
    )
    assert done.status_code == 200 and "Your password is changed." in done.text
    again = client.post(
        "/reset-password", data={**form, "new_password": new, "new_password_confirm": new}
    )
    assert again.status_code == 400  # single use, like the API
    assert post_form(client, "/login", email=tenant.email, password=new).status_code == 303


def test_the_verification_link_confirms_the_address_with_a_button(client, tenant, mails):
    assert client.post("/v1/auth/verify-email/resend", headers=tenant.headers).status_code == 202
    mail = [m for m in mails if m["template"] == "verify_email"][-1]
    url = mail["context"]["verify_url"]
    page = client.get(url[url.index("/verify-email") :])
    assert page.status_code == 200 and ">Confirm my address</button>" in page.text
    done = client.post(
        "/verify-email",
        data={"csrf_token": csrf_of(page.text), "token": hidden(page.text, "token")},
    )
    assert done.status_code == 200 and "is confirmed" in done.text
    me = client.get("/v1/auth/me", headers=tenant.headers).get_json()
    assert me["user"]["email_verified"] is True
