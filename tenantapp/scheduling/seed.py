"""Default working hours for the default team: Monday–Saturday 09:00–18:00 tenant time."""

from datetime import time

from sqlalchemy import insert, select

from tenantapp.scheduling.models import WorkingHours
from tenantapp.teams.models import Team

DEFAULT_DAYS = range(0, 6)  # Monday (0) … Saturday (5)
DEFAULT_START, DEFAULT_END = time(9, 0), time(18, 0)


def seed_working_hours(conn, seed) -> None:  # noqa: ARG001 - seeder signature
    """Monday–Saturday 09:00–18:00 for the default team."""
    team_id = conn.scalar(select(Team.id).where(Team.is_default.is_(True)))
    conn.execute(
        insert(WorkingHours),
        [
            {
                "team_id": team_id,
                "day_of_week": d,
                "start_time": DEFAULT_START,
                "end_time": DEFAULT_END,
            }
            for d in DEFAULT_DAYS
        ],
    )
