"""Page plumbing of the customers' pages: the session cookie, CSRF tokens, rendering.

- The session cookie ``cp_client`` holds the ``typ=client`` JWT: ``HttpOnly``, ``SameSite=Lax``,
  ``Secure`` in prod, 30 days, scoped to the tenant's path (``/t/<slug>``) so no other
  workspace's pages ever receive it.
- CSRF: every form carries ``csrf`` = HMAC(secret, tenant, anchor). The anchor is the session id
  for a signed-in customer, else a random ``cp_csrf`` cookie (double submit) — so a form works
  before sign-in (the sign-in form, a manage link's actions) and a token never serves another
  session or workspace.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, g, request, url_for

from shared.errors import AppError
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from shared.web.csp import Csp
from shared.web.pages import render_page
from tenantapp.account import signin
from tenantapp.bookingpage import view as booking_view

SESSION_COOKIE = "cp_client"
CSRF_COOKIE = "cp_csrf"
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class CsrfFailed(AppError):
    status, code, title = 403, "forbidden", "Forbidden"


def cookie_path() -> str:
    return request.script_root or "/"


def client() -> signin.Client | None:
    """The signed-in customer of this request (read once per request)."""
    if "account_client" not in g:
        g.account_client = signin.load(request.cookies.get(SESSION_COOKIE))
    return g.account_client


def _anchor() -> str:
    who = client()
    if who is not None:
        return f"s:{who.session_id}"
    nonce = request.cookies.get(CSRF_COOKIE) or g.get("account_csrf_nonce")
    if not nonce or len(nonce) > 100:
        nonce = g.account_csrf_nonce = secrets.token_urlsafe(24)
    return f"n:{nonce}"


def csrf_token() -> str:
    key = current_runtime().settings.secret_key.encode()
    msg = f"account-csrf|{current_tenant().id}|{_anchor()}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def check_csrf() -> None:
    """403 unless the form's ``csrf`` matches this browser's token."""
    sent = request.form.get("csrf", "")
    if not request.cookies.get(CSRF_COOKIE) and client() is None:
        raise CsrfFailed("This form has expired; reload the page and try again.")
    if not hmac.compare_digest(sent.encode(), csrf_token().encode()):
        raise CsrfFailed("This form has expired; reload the page and try again.")


def _secure() -> bool:
    return current_runtime().settings.is_prod


def finish(resp: Response) -> Response:
    """Set the CSRF nonce cookie when this response minted one."""
    nonce = g.get("account_csrf_nonce")
    if nonce:
        resp.set_cookie(
            CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="Lax",
            secure=_secure(),
            path=cookie_path(),
        )
    return resp


def set_session(resp: Response, token: str) -> None:
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(signin.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=_secure(),
        path=cookie_path(),
    )


def clear_session(resp: Response) -> None:
    resp.delete_cookie(
        SESSION_COOKIE, path=cookie_path(), httponly=True, samesite="Lax", secure=_secure()
    )


def page(template: str, status: int = 200, csp: Csp | None = None, **context) -> Response:
    """Render one of the customers' pages (brand bar, no-store, no Referer, CSRF cookie)."""
    brand = booking_view.brand()
    context.setdefault("signed_in", client() is not None)
    resp = render_page(
        template,
        status=status,
        csp=csp or Csp(),
        headers=PRIVATE,
        brand=brand,
        brand_css=url_for("booking_pages.brand_css", v=brand.css_digest),
        csrf=csrf_token(),
        **context,
    )
    return finish(resp)
