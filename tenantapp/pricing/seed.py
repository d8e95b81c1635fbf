"""Seeds the default pricing config (version 1) into every new tenant."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from tenantapp.pricing.config import DEFAULT_CONFIG, config_hash
from tenantapp.pricing.models import PricingConfig
from tenantapp.settings.seed import TenantSeed


def seed_pricing(conn: Connection, seed: TenantSeed) -> None:  # noqa: ARG001 - seeder signature
    """Version 1 is the SPEC §5.2 default; identical on every provisioning path."""
    conn.execute(
        insert(PricingConfig).values(
            version=1, config=DEFAULT_CONFIG, config_hash=config_hash(DEFAULT_CONFIG)
        )
    )
