"""Signed manage links e-mailed to customers: bound to the tenant and the booking."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.errors import Unauthorized
from shared.runtime import current_runtime
from shared.tenancy import current_tenant

SALT = "cleanplane.booking-manage"
MAX_AGE_SECONDS = 180 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_runtime().settings.secret_key, salt=SALT)


def manage_token(booking_id: int) -> str:
    return _serializer().dumps({"t": str(current_tenant().id), "b": booking_id})


def manage_url(booking_id: int) -> str:
    base = current_runtime().settings.public_base_url.rstrip("/")
    slug = current_tenant().slug
    return f"{base}/t/{slug}/v1/bookings/{booking_id}?token={manage_token(booking_id)}"


def done_url(booking_id: int) -> str:
    """The booking page's confirmation for this booking (Checkout returns the customer here)."""
    base = current_runtime().settings.public_base_url.rstrip("/")
    slug = current_tenant().slug
    return f"{base}/t/{slug}/book/done?booking={booking_id}&token={manage_token(booking_id)}"


def account_url(booking_id: int, token: str | None = None) -> str:
    """Where a customer manages this booking in a browser: their account page (SPEC §5.13),
    signed in by the booking's manage token (docs/pages.md). A page that has just checked a
    ``token`` passes it on, so its link is the one the customer arrived with."""
    base = current_runtime().settings.public_base_url.rstrip("/")
    slug = current_tenant().slug
    token = token or manage_token(booking_id)
    return f"{base}/t/{slug}/account?booking={booking_id}&token={token}"


def check_manage_token(token: str | None, booking_id: int) -> None:
    """401 unless ``token`` was issued for this booking of this tenant."""
    try:
        data = _serializer().loads(token or "", max_age=MAX_AGE_SECONDS)
    except BadSignature as exc:
        raise Unauthorized("This booking link is not valid.") from exc
    if data != {"t": str(current_tenant().id), "b": booking_id}:
        raise Unauthorized("This booking link is not valid.")
