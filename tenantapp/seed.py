"""``seed_tenant``: the rows every new tenant starts with, written identically by every path
(warm pool claim, cold provisioning and migration from zero)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from tenantapp.settings.models import TenantSettings
from tenantapp.teams.models import Team

DEFAULT_TEAM = "Team A"

# Later features append their own seeders here (pricing config, checklist template, ...).
SEEDERS: list = []


@dataclass(frozen=True)
class TenantSeed:
    company_name: str
    time_zone: str = "America/Edmonton"
    contact_email: str | None = None


def _load_seeders() -> None:
    """Import the feature modules that append to ``SEEDERS`` (idempotent)."""
    import tenantapp.checklists.seed  # noqa: F401
    import tenantapp.scheduling.seed  # noqa: F401


def seed_tenant(conn: Connection, seed: TenantSeed) -> None:
    """Write the default settings and team into the tenant schema ``conn`` is pointed at.

    ``conn`` has ``search_path`` set to the tenant schema (provisioning) — the statements are
    unqualified Core inserts, so they land in that schema only.
    """
    conn.execute(
        insert(TenantSettings).values(
            id=1,
            company_name=seed.company_name,
            time_zone=seed.time_zone,
            contact_email=seed.contact_email,
        )
    )
    conn.execute(insert(Team).values(name=DEFAULT_TEAM, is_default=True))
    _load_seeders()
    for seeder in SEEDERS:
        seeder(conn, seed)


# Feature seeders register themselves on import; importing them here means every caller of
# seed_tenant gets the complete seed. (At the bottom: they import SEEDERS from this module.)
import tenantapp.pricing.seed  # noqa: E402, F401
