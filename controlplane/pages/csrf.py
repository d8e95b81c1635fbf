"""CSRF for the owner pages' forms, before anyone is signed in.

A random nonce lives in an HttpOnly ``SameSite=Lax`` cookie (``Secure`` in prod); each form carries
an HMAC of it that only our page can show (a cross-site page can neither read the page nor set our
cookie). A POST whose ``Origin`` (or ``Referer``) names another host is refused before the token
is looked at. Signed-in forms use the console session's own token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import Response, g, request

from shared.errors import Forbidden
from shared.runtime import current_runtime
from shared.web.origin import same_origin

COOKIE = "cp_form"
MAX_AGE = 2 * 3600


def _mac(nonce: str) -> str:
    key = current_runtime().settings.secret_key.encode()
    digest = hmac.new(key, f"owner-form:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _nonce() -> str:
    nonce = request.cookies.get(COOKIE, "")
    if len(nonce) != 32 or not nonce.isalnum():
        nonce = g.get("cp_form_nonce") or secrets.token_hex(16)
    g.cp_form_nonce = nonce
    return nonce


def token() -> str:
    """The token for this browser's forms (sets up the nonce cookie with ``keep``)."""
    return _mac(_nonce())


def keep(resp: Response) -> Response:
    """Send the nonce cookie when the browser does not have it yet."""
    nonce = g.get("cp_form_nonce")
    if nonce and request.cookies.get(COOKIE) != nonce:
        resp.set_cookie(
            COOKIE,
            nonce,
            max_age=MAX_AGE,
            path="/",
            secure=current_runtime().settings.is_prod,
            httponly=True,
            samesite="Lax",
        )
    return resp


def check() -> None:
    """403 unless the POST is same-origin and carries this browser's token."""
    if not same_origin():
        raise Forbidden("Cross-site form posts are refused.", code="forbidden")
    nonce = request.cookies.get(COOKIE, "")
    given = request.form.get("csrf_token", "")
    if not nonce or not given or not hmac.compare_digest(given.encode(), _mac(nonce).encode()):
        raise Forbidden(
            "The form has expired or did not come from this page; reload and try again.",
            code="forbidden",
        )


def nonce() -> str:
    """This browser's form nonce (what a sign-in ticket is bound to)."""
    return _nonce()
