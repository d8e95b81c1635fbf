from __future__ import annotations

import uuid

from sqlalchemy.orm import Mapped, mapped_column

from shared.db import CPBase
from shared.outbox.model import OutboxColumns


class PlatformOutboxMessage(OutboxColumns, CPBase):
    """Platform mail (staff invites, password resets, verification, billing notices)."""

    __tablename__ = "platform_outbox"

    # The tenant a message is about, if any (billing notices): for operators, never for routing.
    tenant_id: Mapped[uuid.UUID | None] = mapped_column()
