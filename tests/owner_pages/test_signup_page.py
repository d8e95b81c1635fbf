"""``/signup`` (SPEC §4.5): the labels, the same service and errors as ``POST /v1/signup``, the
address check, CSRF, and the hand-over to the new workspace's console."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from shared.models.tenants import Tenant
from tests.owner_pages.helpers import csrf_of, field_error, post_signup, signup_form
from tests.support import ApiClient, signup, unique_slug

LABELS = ("Company name", "Workspace address", "Email", "Password", "Time zone")


def test_the_form_has_the_labels_of_the_spec_and_no_inline_script(client):
    page = client.get("/signup")
    assert page.status_code == 200
    html = page.text
    for label in LABELS:
        assert re.search(rf'<label for="\w+">{label}</label>', html), label
    assert ">Create workspace</button>" in html
    assert "<script>" not in html and "style=" not in html
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    cookie = next(c for c in page.headers.getlist("Set-Cookie") if c.startswith("cp_form="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert '<option value="Europe/Paris">' in html


def test_signing_up_creates_the_workspace_and_goes_to_its_console(client, runtime):
    form = signup_form(company_name="Sparkle & Shine")
    resp = post_signup(client, form)
    assert resp.status_code == 303, resp.text
    assert resp.headers["Location"].endswith(f"/t/{form['slug']}/console/")
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("cp_console="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert f"Path=/t/{form['slug']}/console" in cookie
    console = client.get(f"/t/{form['slug']}/console/")
    assert console.status_code == 200  # signed in: the console, not its sign-in page
    assert "Please confirm your e-mail address" in console.text
    with runtime.engine.connect() as conn:
        row = conn.execute(select(Tenant).where(Tenant.slug == form["slug"])).one()
    assert (row.company_name, row.time_zone, row.status) == (
        "Sparkle & Shine",
        "Europe/Paris",
        "active",
    )
    login = client.post(
        "/v1/auth/login", json={"email": form["email"], "password": form["password"]}
    )
    assert login.status_code == 200


def test_an_address_left_empty_is_taken_from_the_company_name(client, runtime):
    name = f"Crème Brûlée {unique_slug('x')}"
    resp = post_signup(client, signup_form(company_name=name, slug=""))
    assert resp.status_code == 303
    slug = resp.headers["Location"].split("/t/")[1].split("/")[0]
    assert slug.startswith("creme-brulee-x-")


def test_errors_sit_beside_their_fields_with_the_apis_status(client):
    taken = signup(client)
    resp = post_signup(client, signup_form(slug=taken.slug))
    assert resp.status_code == 409
    message = field_error(resp.text, "slug")
    assert message.startswith("That workspace address is taken.")
    assert f"“{taken.slug}-2” is free." in message
    weak = post_signup(client, signup_form(password="short"))
    assert weak.status_code == 422
    assert "password" in field_error(weak.text, "password")
    assert 'value="short"' not in weak.text  # a password is never echoed back
    bad_zone = post_signup(client, signup_form(time_zone="Mars/Olympus"))
    assert bad_zone.status_code == 422
    assert field_error(bad_zone.text, "time_zone")
    dup_email = post_signup(client, signup_form(email=taken.email))
    assert dup_email.status_code == 409
    assert "log in instead" in field_error(dup_email.text, "email")


def test_the_address_boundaries_are_the_apis(client):
    assert post_signup(client, signup_form(slug="ab")).status_code == 422  # 3..40
    assert post_signup(client, signup_form(slug="a" * 41)).status_code == 422
    ok = post_signup(client, signup_form(slug=f"a{unique_slug('b')}"[:3] + "c"))
    assert ok.status_code in (303, 409)
    forty = ("z" + unique_slug("q").replace("-", "") * 4)[:40]
    assert post_signup(client, signup_form(slug=forty)).status_code == 303


def test_a_post_without_the_pages_token_or_from_another_site_is_refused(client, runtime):
    form = signup_form()
    client.get("/signup")
    assert client.post("/signup", data=form).status_code == 403
    page = client.get("/signup")
    cross = client.post(
        "/signup",
        data={**form, "csrf_token": csrf_of(page.text)},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    with runtime.engine.connect() as conn:
        assert conn.scalar(select(Tenant.id).where(Tenant.slug == form["slug"])) is None


def test_the_check_says_free_or_taken_and_suggests_the_next_free_address(client):
    taken = signup(client)
    free = client.get(f"/signup/check?slug={taken.slug}-zz")
    assert free.get_json()["available"] is True
    busy = client.get(f"/signup/check?slug={taken.slug}").get_json()
    assert busy["available"] is False
    assert busy["message"] == "That workspace address is taken."
    assert busy["suggestion"] == f"{taken.slug}-2"
    bad = client.get("/signup/check?slug=Bad Slug!").get_json()
    assert bad["available"] is False and bad["suggestion"] == "bad-slug"
    reserved = client.get("/signup/check?slug=admin").get_json()
    assert reserved["message"] == "The address is reserved."
    from_name = client.get("/signup/check?name=Sparkle %26 Shine Cléaning").get_json()
    assert from_name["suggestion"].startswith("sparkle-shine-cleaning")


def test_signup_page_posts_are_rate_limited_like_the_api(runtime):
    from wsgi import create_wsgi

    limited = ApiClient(create_wsgi(runtime.settings.replace(rate_limit_signup="2/minute")))
    env = {"REMOTE_ADDR": f"192.0.2.{uuid.uuid4().int % 200 + 20}"}
    statuses = [
        post_signup(limited, signup_form(password="short"), environ=env).status_code
        for _ in range(3)
    ]
    assert statuses == [422, 422, 429]


def test_the_verify_banner_goes_once_the_address_is_confirmed(client, runtime):
    from datetime import UTC, datetime

    from sqlalchemy import update

    from shared.models.accounts import User

    form = signup_form()
    assert post_signup(client, form).status_code == 303
    with runtime.owner_engine.begin() as conn:
        conn.execute(
            update(User)
            .where(User.email == form["email"])
            .values(email_verified_at=datetime.now(UTC))
        )
    console = client.get(f"/t/{form['slug']}/console/")
    assert console.status_code == 200
    assert "Please confirm your e-mail address" not in console.text


def test_the_address_check_is_limited_per_ip(runtime):
    from wsgi import create_wsgi

    limited = ApiClient(create_wsgi(runtime.settings.replace(rate_limit_public="2/minute")))
    env = {"REMOTE_ADDR": f"198.51.100.{uuid.uuid4().int % 200 + 20}"}
    codes = [
        limited.get("/signup/check?slug=abc-x", environ_base=env).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
