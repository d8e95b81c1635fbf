"""Helpers for the owner pages in Chromium: people in several workspaces, invitations."""

from __future__ import annotations

import uuid

from tests.owner_pages.helpers import join
from tests.support import invitation_token, signup


def two_workspaces(live):
    """An owner of one workspace who is also an admin of a second one."""
    client = live.client()
    first = signup(client, company_name="Sparkle & Shine Cleaning")
    second = signup(client, company_name="Fresh Start Maids")
    join(live.runtime, first.email, second.id)
    return first, second


def invitation(live, role: str = "dispatcher"):
    """A workspace, an invitation to a new address and the token of its e-mailed link."""
    client = live.client()
    tenant = signup(client, company_name="Sparkle & Shine Cleaning")
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    resp = client.post("/v1/members", json={"email": email, "role": role}, headers=tenant.headers)
    assert resp.status_code == 201, resp.get_json()
    return tenant, email, invitation_token(live.runtime, resp.get_json()["id"])
