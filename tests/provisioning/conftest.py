from __future__ import annotations

import pytest
from sqlalchemy import select, text

from controlplane.provisioning import service
from controlplane.provisioning.models import PoolSchema


@pytest.fixture()
def cp_app(wsgi_app):
    return wsgi_app.control_plane


@pytest.fixture()
def cli(cp_app):
    runner = cp_app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=list(args))

    return invoke


def tenant_schemas(engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.scalars(text("SELECT nspname FROM pg_namespace WHERE nspname ~ '^t_[0-9a-f]+$'"))
        )


def unclaimed_pool(engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.scalars(select(PoolSchema.schema_name).where(PoolSchema.claimed_at.is_(None)))
        )


class InjectedFailure(RuntimeError):
    pass


@pytest.fixture()
def fail_at(monkeypatch):
    """``fail_at(step)``: make provisioning raise at ``step``; returns the list of steps reached."""

    def install(step: str) -> list[str]:
        reached: list[str] = []

        def checkpoint(name: str) -> None:
            reached.append(name)
            if name == step:
                raise InjectedFailure(f"injected at {step}")

        monkeypatch.setattr(service, "checkpoint", checkpoint)
        return reached

    return install
