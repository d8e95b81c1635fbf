"""The worker-invite e-mail links to a page that works (issue 18): a plain HTML form, no script,
that sets the worker's password through the same service as the API (it was a GET on a POST-only
endpoint: 405)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from tests.support import PASSWORD
from tests.workforce.helpers import create_worker, invite_token, login_worker


def _page_path(invite_url: str) -> str:
    parsed = urlparse(invite_url)
    return f"{parsed.path}?{parsed.query}"


def _new_worker(client, tenant):
    resp = create_worker(client, tenant)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_the_invite_link_opens_a_form_that_sets_the_password(client, tenant):
    worker = _new_worker(client, tenant)
    page = client.get(_page_path(worker["invite_url"]))
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "<script" not in html
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"].split("style-src")[0]
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none'
    for field in ("password", "password_confirm"):
        assert re.search(rf'<label for="{field}">', html)
        assert f'id="{field}"' in html
    token = invite_token(worker["invite_url"])
    assert f'value="{token}"' in html

    done = client.post(
        _page_path(worker["invite_url"]),
        data={"token": token, "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert worker["email"] in done.get_data(as_text=True)
    assert login_worker(client, tenant, worker["email"]).status_code == 200

    again = client.post(
        _page_path(worker["invite_url"]),
        data={"token": token, "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert again.status_code == 400  # single use
    assert "not valid" in again.get_data(as_text=True)


def test_the_form_shows_the_same_errors_as_the_api(client, tenant):
    worker = _new_worker(client, tenant)
    path, token = _page_path(worker["invite_url"]), invite_token(worker["invite_url"])
    weak = client.post(
        path, data={"token": token, "password": "short", "password_confirm": "short"}
    )
    assert weak.status_code == 422
    assert "Password must be" in weak.get_data(as_text=True)
    assert f'value="{token}"' in weak.get_data(as_text=True)  # can try again
    mismatch = client.post(
        path, data={"token": token, "password": PASSWORD, "password_confirm": PASSWORD + "x"}
    )
    assert mismatch.status_code == 422
    assert "different" in mismatch.get_data(as_text=True)
    bogus = client.post(
        path, data={"token": "nope", "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert bogus.status_code == 400
    nul = client.post(
        path, data={"token": "a\x00b", "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert nul.status_code == 400
    assert client.get(f"/t/{tenant.slug}/work/accept-invite").status_code == 400  # no token


def test_links_sent_before_the_page_existed_redirect_to_it(client, tenant):
    worker = _new_worker(client, tenant)
    token = invite_token(worker["invite_url"])
    old = client.get(tenant.url(f"/worker/accept-invite?token={token}"))
    assert old.status_code == 302
    assert old.headers["Location"].endswith(f"/t/{tenant.slug}/work/accept-invite?token={token}")
