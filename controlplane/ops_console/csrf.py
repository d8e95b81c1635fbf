"""CSRF for the console's forms.

Browsers resend Basic credentials on their own, so a cross-site form could act as the operator.
Two checks stop it: every form carries a token signed with ``SECRET_KEY`` and bound to the
operator's name (a page of another site cannot read it; another operator's token does not fit),
valid 12 hours; and a POST whose ``Origin`` (or ``Referer``) names another host is refused first.
No cookie is involved, so the console sets none.
"""

from __future__ import annotations

from flask import request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.errors import Forbidden
from shared.runtime import current_runtime
from shared.web.origin import same_origin

SALT = "ops-console-csrf"
MAX_AGE = 12 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_runtime().settings.secret_key, salt=SALT)


def token_for(operator: str) -> str:
    return _serializer().dumps(operator)


def check(operator: str) -> None:
    """Refuse (403) a state-changing request without a fresh token for ``operator``."""
    if not same_origin():
        raise Forbidden("Cross-origin form posts to the console are refused.", code="forbidden")
    given = request.form.get("csrf_token", "")
    try:
        who = _serializer().loads(given, max_age=MAX_AGE)
    except BadSignature as exc:  # also SignatureExpired
        raise Forbidden(
            "The form has expired or did not come from the console; reload and try again.",
            code="forbidden",
        ) from exc
    if who != operator:
        raise Forbidden("The form belongs to another operator.", code="forbidden")
