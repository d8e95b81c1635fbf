"""Signed Stripe events whose fields have odd types are refused with 400, never a 500.

A valid signature proves who sent a payload, not its shape. ``check_envelope`` refuses an event
whose envelope (``id``, ``type``, ``created``, ``account``, ``data.object``) is not what Stripe
sends; ``malformed_events_refused`` turns what an odd type inside ``data.object`` makes the
handlers raise (a list where an id was expected, a string where a number was) into the same 400,
after the handler's transaction rolled back. A lost database still answers 503.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from shared import metrics
from shared.errors import BadRequest

log = logging.getLogger("cleanplane.billing.webhooks")

MAX_ID_LENGTH = 255
MAX_CREATED = 253402300799  # 9999-12-31T23:59:59Z: Python datetimes end there
# Object fields Stripe sends as an id string or an expanded object (with an ``id``); handlers
# compare them with text columns, where a number or a boolean would be an SQL type error.
REFERENCE_FIELDS = (
    "id",
    "customer",
    "subscription",
    "payment_intent",
    "client_reference_id",
    "charge",
    "invoice",
)


def _refuse(source: str, why: str) -> BadRequest:
    metrics.webhook_outcome(source, "malformed")
    log.warning("malformed Stripe event refused: %s", why, extra={"source": source})
    return BadRequest(f"The event is malformed: {why}.", code="bad_request")


def check_envelope(event: dict, source: str) -> dict:
    """Return ``event`` if its envelope has Stripe's types, else raise a 400."""
    event_id = event.get("id")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_ID_LENGTH:
        raise _refuse(source, "id must be a non-empty string")
    etype = event.get("type")
    if not isinstance(etype, str) or len(etype) > MAX_ID_LENGTH:
        raise _refuse(source, "type must be a string")
    created = event.get("created")
    if created is not None and (
        isinstance(created, bool) or not isinstance(created, int) or not 0 <= created <= MAX_CREATED
    ):
        raise _refuse(source, "created must be a unix time")
    account = event.get("account")
    if account is not None and (not isinstance(account, str) or len(account) > MAX_ID_LENGTH):
        raise _refuse(source, "account must be a string")
    data = event.get("data")
    if data is None:
        return event  # nothing to apply: the handlers ignore it
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict | None):
        raise _refuse(source, "data.object must be an object")
    obj = data.get("object") or {}
    for name in REFERENCE_FIELDS:
        value = obj.get(name)
        if isinstance(value, dict):
            value = value.get("id")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_ID_LENGTH):
            raise _refuse(source, f"data.object.{name} must be an id")
    if not isinstance(obj.get("metadata"), dict | None):
        raise _refuse(source, "data.object.metadata must be an object")
    return event


def _client_side_sql_error(exc: sa_exc.ProgrammingError) -> bool:
    """psycopg could not send a value (``cannot adapt type 'list'``): no SQLSTATE, unlike a
    real SQL mistake, which must stay a 500."""
    return getattr(exc.orig, "sqlstate", None) is None


@contextmanager
def malformed_events_refused(source: str) -> Iterator[None]:
    """Run an event handler; an odd field type inside the event becomes a 400."""
    try:
        yield
    except sa_exc.ProgrammingError as exc:
        if not _client_side_sql_error(exc):
            raise
        raise _refuse(source, "a field has an unexpected type") from exc
    except sa_exc.DataError as exc:
        raise _refuse(source, "a field has an out-of-range value") from exc
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
        raise _refuse(source, f"a field has an unexpected type ({type(exc).__name__})") from exc
