"""Helpers for the owner pages' tests: forms posted as a browser would (token from the page)."""

from __future__ import annotations

import re
import uuid

from tests.support import PASSWORD, unique_slug


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signup_form(**values) -> dict:
    slug = values.pop("slug") if "slug" in values else unique_slug("pg")
    return {
        "company_name": f"{slug} Cleaning",
        "slug": slug,
        "email": f"owner-{uuid.uuid4().hex[:10]}@example.com",
        "password": PASSWORD,
        "time_zone": "Europe/Paris",
        **values,
    }


def post_signup(client, form: dict, headers: dict | None = None, environ: dict | None = None):
    page = client.get("/signup", environ_base=environ or {})
    assert page.status_code == 200
    return client.post(
        "/signup",
        data={"csrf_token": csrf_of(page.text), **form},
        headers=headers or {},
        environ_base=environ or {},
    )


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error" aria-live="polite">([^<]*)</p>', html)
    return match.group(1) if match else ""


def join(runtime, email: str, other_tenant_id: str, role: str = "admin") -> None:
    """Give the user ``email`` a membership in another workspace (as an accepted invitation)."""
    from sqlalchemy import insert, select

    from shared.models.accounts import Membership, User

    with runtime.owner_engine.begin() as conn:
        user_id = conn.scalar(select(User.id).where(User.email == email))
        conn.execute(
            insert(Membership).values(tenant_id=other_tenant_id, user_id=user_id, role=role)
        )


def enable_totp(client, tenant) -> str:
    import pyotp

    secret = client.post("/v1/auth/2fa/enroll", headers=tenant.headers).get_json()["secret"]
    resp = client.post(
        "/v1/auth/2fa/verify", json={"code": pyotp.TOTP(secret).now()}, headers=tenant.headers
    )
    assert resp.status_code == 200
    return secret


def post_form(client, path: str, **form):
    """GET the page for its token, then POST the form as the browser would."""
    page = client.get(path if "?" in path or path != "/login" else "/login")
    return client.post(path.split("?")[0], data={"csrf_token": csrf_of(page.text), **form})


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)
