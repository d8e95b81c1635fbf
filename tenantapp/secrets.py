"""The tenant side of ``flask keys rotate`` (SPEC §8): every secret a tenant schema keeps
encrypted with DATA_ENCRYPTION_KEYS, re-encrypted with the newest key.

Covered: sealed values in queued e-mail (worker invitation links) and the export signing
secret; a tenant that never stored one gets its legacy derived secret stored encrypted, so its
webhook receivers keep verifying. Runs inside ``tenant_context`` in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.crypto import SEALED_KEY, encrypt, rotate
from tenantapp.exports.service import legacy_signing_secret
from tenantapp.outbox.models import OutboxMessage
from tenantapp.settings.models import TenantSettings


def rotate_tenant_secrets(tx: Session, tenant_id) -> int:
    """Re-encrypt the current tenant's secrets in ``tx``; returns how many values changed."""
    changed = 0
    sealed = tx.scalars(
        select(OutboxMessage).where(OutboxMessage.payload.has_key(SEALED_KEY)).with_for_update()
    )
    for message in sealed:
        message.payload = {**message.payload, SEALED_KEY: rotate(message.payload[SEALED_KEY])}
        changed += 1
    row = tx.get(TenantSettings, 1, with_for_update=True)
    if row is not None:
        if row.export_signing_secret:
            row.export_signing_secret = rotate(row.export_signing_secret)
        else:
            row.export_signing_secret = encrypt(legacy_signing_secret(tenant_id))
        changed += 1
    return changed
