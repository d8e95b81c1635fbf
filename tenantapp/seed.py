"""``seed_tenant``: the rows every new tenant starts with, written identically by every path
(warm pool claim, cold provisioning and migration from zero)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from tenantapp.checklists.seed import seed_checklist
from tenantapp.pricing.seed import seed_pricing
from tenantapp.scheduling.seed import seed_working_hours
from tenantapp.settings.seed import TenantSeed, seed_settings
from tenantapp.teams.seed import DEFAULT_TEAM, seed_default_team

__all__ = ["DEFAULT_TEAM", "SEEDERS", "TenantSeed", "seed_tenant"]

# In order: working hours need the default team. A new feature that seeds rows adds its seeder here.
SEEDERS = (
    seed_settings,
    seed_default_team,
    seed_pricing,
    seed_checklist,
    seed_working_hours,
)


def seed_tenant(conn: Connection, seed: TenantSeed) -> None:
    """Run every seeder, in order, in the tenant schema ``conn`` is pointed at.

    ``conn`` has ``search_path`` set to the tenant schema (provisioning) — the statements are
    unqualified Core inserts, so they land in that schema only.
    """
    for seeder in SEEDERS:
        seeder(conn, seed)
