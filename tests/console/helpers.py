"""Signing in to the console with the werkzeug client (cookies kept by the client), reading the
CSRF token a page carries, posting forms as a browser would (same-origin headers)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import insert

from shared.auth.passwords import Passwords
from shared.models.accounts import Membership, User
from tests.support import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ORIGIN = "http://localhost"


def console(tenant, path: str = "/") -> str:
    return f"/t/{tenant.slug}/console{path}"


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def post_form(client, url: str, data: dict, *, token: str | None = None, **headers):
    """POST ``data`` as a same-origin browser form (with the page's CSRF token when given)."""
    body = dict(data)
    if token is not None:
        body["csrf_token"] = token
    return client.post(url, data=body, headers={"Origin": ORIGIN, **headers})


def sign_in(client, tenant, email: str | None = None, password: str = PASSWORD, code=None):
    """Sign in through the form; returns the response of the POST (a 303 on success)."""
    page = client.get(console(tenant, "/login"))
    assert page.status_code == 200
    data = {"email": email or tenant.email, "password": password}
    if code is not None:
        data["code"] = code
    return post_form(client, console(tenant, "/login"), data, token=csrf_of(page.text))


def signed_in(client, tenant, email: str | None = None) -> str:
    """Sign in and return the CSRF token of the console's pages."""
    resp = sign_in(client, tenant, email)
    assert resp.status_code == 303, resp.text[:500]
    page = client.get(console(tenant, "/"))
    assert page.status_code == 200, page.text[:500]
    return csrf_of(page.text)


def add_member(runtime, tenant, role: str) -> str:
    """A member with ``role`` in ``tenant``; returns the e-mail (password: PASSWORD)."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    pw = Passwords(runtime.settings).hash(PASSWORD)
    with runtime.owner_engine.begin() as conn:
        user_id = conn.scalar(insert(User).values(email=email, password_hash=pw).returning(User.id))
        conn.execute(insert(Membership).values(tenant_id=tenant.id, user_id=user_id, role=role))
    return email
