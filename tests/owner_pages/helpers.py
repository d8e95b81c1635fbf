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
