"""The one door for platform e-mail (invites, password resets, e-mail verification, billing).

Messages go through the control-plane outbox, enqueued in the caller's transaction: a rolled-back
change sends nothing, and ``dedupe_key`` keeps a retried request or job from sending twice. The
template renders once at enqueue time, so a missing context value fails the caller, not the mail.
"""

from __future__ import annotations

from typing import Any

from controlplane.mail.service import enqueue_platform_mail


def send_platform_mail(
    sess,
    template: str,
    to: str,
    context: dict[str, Any],
    dedupe_key: str,
    tenant_id=None,
    secrets: dict[str, Any] | None = None,
) -> int | None:
    """Enqueue ``template`` for ``to`` in ``sess``'s transaction (delivered by the outbox job).
    ``secrets`` (links with tokens) are stored encrypted and opened only at send time."""
    return enqueue_platform_mail(
        sess, template, to, context, dedupe_key, tenant_id=tenant_id, secrets=secrets
    )
