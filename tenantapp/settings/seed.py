"""What a new tenant is seeded from, and its settings row (the first seeder)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from tenantapp.settings.models import TenantSettings


@dataclass(frozen=True)
class TenantSeed:
    """The signup answers every seeder may read."""

    company_name: str
    time_zone: str = "America/Edmonton"
    contact_email: str | None = None


def seed_settings(conn: Connection, seed: TenantSeed) -> None:
    """The tenant's single settings row (id 1) from the signup answers."""
    conn.execute(
        insert(TenantSettings).values(
            id=1,
            company_name=seed.company_name,
            time_zone=seed.time_zone,
            contact_email=seed.contact_email,
        )
    )
