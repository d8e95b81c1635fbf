"""The one door for platform e-mail (invites, password resets, e-mail verification, billing).

Messages go through the control-plane outbox (``controlplane.mail.service``), enqueued in the
caller's transaction so a rolled-back change sends nothing and ``dedupe_key`` keeps a retried
request or job from sending twice. The outbox is built on another branch; until it is merged this
adapter refuses loudly instead of pretending to send.
"""

from __future__ import annotations

import importlib
from typing import Any


def send_platform_mail(
    sess, template: str, to: str, context: dict[str, Any], dedupe_key: str
) -> Any:
    """Enqueue ``template`` for ``to`` in ``sess``'s transaction (delivered by the outbox job)."""
    try:
        service = importlib.import_module("controlplane.mail.service")
    except ModuleNotFoundError as exc:
        if exc.name not in {"controlplane.mail", "controlplane.mail.service"}:
            raise
        raise NotImplementedError(
            "platform mail needs controlplane.mail.service.enqueue_platform_mail (outbox)"
        ) from exc
    return service.enqueue_platform_mail(sess, template, to, context, dedupe_key)
