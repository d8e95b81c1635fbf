"""Optional auto-replay of dead export webhooks: off by default, and every cap has a boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import db
from shared.outbox.delivery import utcnow
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.exports.service import auto_replay_dead_exports
from tenantapp.outbox.models import OutboxMessage
from tests.messaging.support import outbox_row, ref

NOW = utcnow()


def _row(
    key: str,
    *,
    status="dead",
    dead_hours=1.0,
    replays=0,
    error="target_failed: HTTP 500",
    sent_hours=None,
    kind="webhook",
) -> int:
    with db.transaction() as tx:
        row = OutboxMessage(
            kind=kind,
            topic="lead.created",
            dedupe_key=key,
            payload={},
            status=status,
            attempts=5 if status == "dead" else 1,
            replay_count=replays,
            last_error=error if status == "dead" else None,
            dead_at=NOW - timedelta(hours=dead_hours) if status == "dead" else None,
            sent_at=NOW - timedelta(hours=sent_hours) if sent_hours is not None else None,
        )
        tx.add(row)
        tx.flush()
        return row.id


@pytest.fixture()
def replay_rt(make_runtime):
    def factory(**caps):
        values = {
            "export_auto_replay": True,
            "export_auto_replay_max_age_hours": 24,
            "export_auto_replay_max_replays": 2,
            "export_auto_replay_per_tenant": 10,
            "export_auto_replay_failure_streak": 3,
        }
        values.update(caps)
        return make_runtime(**values)

    return factory


def test_auto_replay_is_off_by_default(tenant, rt):
    assert rt.settings.export_auto_replay is False
    with tenant_context(ref(tenant)):
        message_id = _row("off-1")
        assert auto_replay_dead_exports(NOW) == {"replayed": 0, "reason": "off"}
        assert outbox_row(message_id).status == "dead"


def test_age_and_replay_count_caps(tenant, replay_rt):
    with use_runtime(replay_rt()), tenant_context(ref(tenant)):
        at_age = _row("age-24h", dead_hours=24)
        too_old = _row("age-24h1s", dead_hours=24 + 1 / 3600)
        replayed_once = _row("replays-1", replays=1)
        replayed_twice = _row("replays-2", replays=2)
        refused = _row("unsafe", error="loopback_address: 127.0.0.1")
        redirect = _row("redirect", error="redirect_refused: HTTP 302 to 'x'")
        email = _row("email", kind="email")
        result = auto_replay_dead_exports(NOW)
        assert result == {"replayed": 2, "reason": None}
        assert outbox_row(at_age).status == "pending"
        assert outbox_row(replayed_once).status == "pending"
        assert outbox_row(replayed_once).replay_count == 2
        for untouched in (too_old, replayed_twice, refused, redirect, email):
            assert outbox_row(untouched).status == "dead"


def test_per_tenant_cap_takes_the_oldest_first(tenant, replay_rt):
    with use_runtime(replay_rt(export_auto_replay_per_tenant=2)), tenant_context(ref(tenant)):
        ids = [_row(f"cap-{n}", dead_hours=5 - n) for n in range(3)]
        assert auto_replay_dead_exports(NOW)["replayed"] == 2
        assert [outbox_row(i).status for i in ids] == ["pending", "pending", "dead"]


def test_a_failure_streak_pauses_auto_replay(tenant, replay_rt):
    with use_runtime(replay_rt(export_auto_replay_failure_streak=3)), tenant_context(ref(tenant)):
        candidate = _row("streak-candidate", dead_hours=0.5)
        _row("streak-ok", status="sent", replays=1, sent_hours=4)
        _row("streak-1", replays=2, dead_hours=3)
        _row("streak-2", replays=2, dead_hours=2)
        # two replays died again in a row: below the cap of three, replay goes on
        assert auto_replay_dead_exports(NOW) == {"replayed": 1, "reason": None}
        assert outbox_row(candidate).status == "pending"
        with db.transaction() as tx:
            tx.get(OutboxMessage, candidate).status = "dead"
            tx.get(OutboxMessage, candidate).dead_at = NOW - timedelta(hours=1)
        _row("streak-3", replays=2, dead_hours=1)
        fresh = _row("streak-fresh", dead_hours=0.1)
        assert auto_replay_dead_exports(NOW) == {"replayed": 0, "reason": "failure_streak"}
        assert outbox_row(fresh).status == "dead"
