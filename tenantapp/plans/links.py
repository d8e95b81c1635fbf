"""Signed plan links e-mailed to customers: bound to the tenant and the plan (SPEC §5.10).

The customer's skip of one visit goes through the visit's own booking link
(``tenantapp.bookings.links``); the plan link opens the plan and its pause.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.errors import Unauthorized
from shared.runtime import current_runtime
from shared.tenancy import current_tenant

SALT = "cleanplane.plan-manage"
MAX_AGE_SECONDS = 400 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_runtime().settings.secret_key, salt=SALT)


def manage_token(plan_id: int) -> str:
    return _serializer().dumps({"t": str(current_tenant().id), "p": plan_id})


def manage_url(plan_id: int) -> str:
    base = current_runtime().settings.public_base_url.rstrip("/")
    slug = current_tenant().slug
    return f"{base}/t/{slug}/v1/plans/{plan_id}?token={manage_token(plan_id)}"


def check_manage_token(token: str | None, plan_id: int) -> None:
    """401 unless ``token`` was issued for this plan of this tenant."""
    try:
        data = _serializer().loads(token or "", max_age=MAX_AGE_SECONDS)
    except BadSignature as exc:
        raise Unauthorized("This plan link is not valid.") from exc
    if data != {"t": str(current_tenant().id), "p": plan_id}:
        raise Unauthorized("This plan link is not valid.")
