"""Lead export webhooks: enqueue in the lead's transaction, sign, deliver through the SSRF guard.

Delivery: the first attempt of a row makes up to 3 quick tries (0.2 s and 0.5 s apart); if they
all fail the row goes back to the outbox schedule (30 s × 2^(n−1), dead after 5 attempts — the
quick tries count as attempt 1). The export is a ``webhook`` channel of the tenant outbox: the
delivery job (every minute) makes that first attempt.

Signature (Stripe-style, so receivers can reuse known code):

    X-Cleanplane-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

Receivers recompute the HMAC over the exact raw body with the tenant's signing secret
(``GET /admin/exports/signing-secret``), compare in constant time, and refuse timestamps more than
5 minutes away from their clock. ``X-Cleanplane-Delivery`` is stable across retries and replays of
one message: receivers dedupe on it (a retried delivery may arrive twice after a crash).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shared import db
from shared.crypto import decrypt
from shared.outbox import dlq, enqueue, replay
from shared.outbox.delivery import (
    Message,
    Permanent,
    Retryable,
    Skip,
    through_breaker,
)
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.exports import client
from tenantapp.exports.guard import UnsafeTarget, check_url
from tenantapp.outbox.models import OutboxMessage
from tenantapp.settings.models import TenantSettings

SIGNATURE_HEADER = "X-Cleanplane-Signature"
DELIVERY_HEADER = "X-Cleanplane-Delivery"
EVENT_HEADER = "X-Cleanplane-Event"
SIGNATURE_TOLERANCE_SECONDS = 300
QUICK_TRIES = 3
QUICK_PAUSES = (0.2, 0.5)
LEAD_EVENT = "lead.created"
# Failures no retry or replay can fix until an admin changes the target.
PERMANENT_REASONS = frozenset(
    {
        "invalid_url",
        "scheme_not_allowed",
        "credentials_in_url",
        "allowlist_required",
        "host_not_allowlisted",
        "loopback_address",
        "private_address",
        "link_local_address",
        "cgnat_address",
        "metadata_address",
        "reserved_address",
        "redirect_refused",
        "target_rejected",
    }
)


def legacy_signing_secret(tenant_id) -> str:
    """The secret every tenant had before it was stored: derived from ``SECRET_KEY``."""
    key = current_runtime().settings.secret_key.encode()
    return "whsec_" + hmac.new(key, f"export-signing:{tenant_id}".encode(), "sha256").hexdigest()


def signing_secret(tenant_id) -> str:
    """The current tenant's webhook signing secret, stored encrypted in its settings row
    (SPEC §8); until ``flask keys rotate`` has stored it, the legacy derived value."""
    stored = db.session().scalar(select(TenantSettings.export_signing_secret))
    return decrypt(stored) if stored else legacy_signing_secret(tenant_id)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Cleanplane-Signature`` value: ``t=<unix time>,v1=<HMAC-SHA256 of "t.body">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """What a receiver does: check the HMAC and that the timestamp is within 5 minutes."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def enqueue_lead_export(sess: Session, lead_id, lead: dict) -> int | None:
    """Queue the export of one lead in ``sess``'s open transaction when exports are on.

    One message per lead, ever (``export:lead:<id>``). Returns the outbox id, or None when the
    tenant's export mode is off or the lead was already queued.
    """
    settings = sess.get(TenantSettings, 1)
    if settings is None or settings.export_mode != "webhook":
        return None
    return enqueue(
        sess,
        OutboxMessage,
        kind="webhook",
        topic=LEAD_EVENT,
        dedupe_key=f"export:lead:{lead_id}",
        payload={"event": LEAD_EVENT, "data": lead},
    )


class WebhookSender:
    """The outbox handler for ``webhook`` rows of the current tenant."""

    def __init__(self, sess: Session, sleep: Callable[[float], None] = time.sleep):
        self.sess = sess
        self.sleep = sleep
        self.settings = current_runtime().settings
        self.tenant = current_tenant()

    def _body(self, message: Message) -> bytes:
        envelope = {
            "id": message.dedupe_key,
            "event": message.payload.get("event", message.topic),
            "created_at": message.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
            if message.created_at
            else None,
            "tenant": {"id": str(self.tenant.id), "slug": self.tenant.slug},
            "data": message.payload.get("data", {}),
        }
        return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()

    def _redirect_reason(self, resp: requests.Response) -> Permanent:
        location = resp.headers.get("Location", "")
        detail = f"HTTP {resp.status_code} to {location[:200]!r}"
        try:
            check_url(location, self.settings)
        except UnsafeTarget as exc:
            detail += f" ({exc.reason})"
        return Permanent("redirect_refused", detail)

    def _try_once(self, target, body: bytes, headers: dict):
        try:
            resp = client.post(target, body, headers, self.settings.export_timeout_seconds)
        except requests.RequestException as exc:
            raise Retryable("target_unreachable", repr(exc)[:200]) from exc
        if 200 <= resp.status_code < 300:
            return f"HTTP {resp.status_code}"
        if 300 <= resp.status_code < 400:
            return self._redirect_reason(resp)
        if resp.status_code in (408, 425, 429) or resp.status_code >= 500:
            raise Retryable("target_failed", f"HTTP {resp.status_code}")
        return Permanent("target_rejected", f"HTTP {resp.status_code}")

    def send(self, message: Message, now: datetime) -> str:
        row = self.sess.get(TenantSettings, 1)
        mode, url = (row.export_mode, row.export_target_url) if row else ("off", None)
        self.sess.rollback()
        if mode != "webhook" or not url:
            raise Skip("export_off: the tenant turned lead exports off")
        if not self.settings.export_webhooks_enabled:
            raise Skip("export_off: export webhooks are disabled on this deployment")
        try:
            target = check_url(url, self.settings)
        except UnsafeTarget as exc:
            raise Permanent(exc.reason, exc.detail) from exc
        body = self._body(message)
        secret = signing_secret(self.tenant.id)
        tries = QUICK_TRIES if message.attempts == 1 else 1
        for number in range(tries):
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Cleanplane-Webhooks/1",
                EVENT_HEADER: message.payload.get("event", message.topic),
                DELIVERY_HEADER: message.dedupe_key,
                SIGNATURE_HEADER: sign(secret, body, int(time.time())),
            }
            try:
                return through_breaker(
                    f"export:{target.host}", self._try_once, target, body, headers
                )
            except Retryable:
                if number + 1 >= tries:
                    raise
                self.sleep(QUICK_PAUSES[min(number, len(QUICK_PAUSES) - 1)])
        raise Retryable("target_failed", "no try was made")  # pragma: no cover - loop returns


def _failure_streak(sess: Session, limit: int) -> int:
    """How many of the latest finished replays of exports died again, in a row."""
    finished = func.coalesce(OutboxMessage.sent_at, OutboxMessage.dead_at)
    rows = sess.scalars(
        select(OutboxMessage.status)
        .where(
            OutboxMessage.kind == "webhook",
            OutboxMessage.replay_count > 0,
            OutboxMessage.status.in_(("sent", "dead")),
        )
        .order_by(finished.desc().nulls_last(), OutboxMessage.id.desc())
        .limit(limit)
    )
    streak = 0
    for status in rows:
        if status != "dead":
            break
        streak += 1
    return streak


def auto_replay_dead_exports(now: datetime | None = None) -> dict:
    """Requeue recent dead export webhooks of the current tenant, within caps (off by default).

    Caps (settings): only rows dead for at most ``EXPORT_AUTO_REPLAY_MAX_AGE_HOURS``, replayed
    fewer than ``EXPORT_AUTO_REPLAY_MAX_REPLAYS`` times, not refused for a permanent reason (unsafe
    target, redirect, 4xx); at most ``EXPORT_AUTO_REPLAY_PER_TENANT`` rows per run; and none while
    the last ``EXPORT_AUTO_REPLAY_FAILURE_STREAK`` replays all died again (the target is still
    down: a person should look).
    """
    settings = current_runtime().settings
    if not settings.export_auto_replay:
        return {"replayed": 0, "reason": "off"}
    now = now or datetime.now(UTC)
    with db.transaction() as tx:
        if _failure_streak(tx, settings.export_auto_replay_failure_streak) >= max(
            settings.export_auto_replay_failure_streak, 1
        ):
            return {"replayed": 0, "reason": "failure_streak"}
        permanent = [OutboxMessage.last_error.like(f"{reason}:%") for reason in PERMANENT_REASONS]
        permanent += [OutboxMessage.last_error.in_(PERMANENT_REASONS)]
        ids = list(
            tx.scalars(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.kind == "webhook",
                    OutboxMessage.status == "dead",
                    OutboxMessage.dead_at
                    >= now - timedelta(hours=settings.export_auto_replay_max_age_hours),
                    OutboxMessage.replay_count < settings.export_auto_replay_max_replays,
                    ~or_(*permanent),
                )
                .order_by(OutboxMessage.dead_at, OutboxMessage.id)
                .limit(settings.export_auto_replay_per_tenant)
            )
        )
        for message_id in ids:
            replay(tx, OutboxMessage, message_id, now, kind="webhook")
        if ids:
            dlq.refresh(tx, OutboxMessage, current_tenant().id)
    return {"replayed": len(ids), "reason": None}
