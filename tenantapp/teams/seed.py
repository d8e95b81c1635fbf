"""Every new tenant starts with one default team."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from tenantapp.settings.seed import TenantSeed
from tenantapp.teams.models import Team

DEFAULT_TEAM = "Team A"


def seed_default_team(conn: Connection, seed: TenantSeed) -> None:  # noqa: ARG001 - seeder signature
    """The default team (later seeders, e.g. working hours, hang off it)."""
    conn.execute(insert(Team).values(name=DEFAULT_TEAM, is_default=True))
