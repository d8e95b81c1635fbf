"""Job processes outlive outages: the worker's and scheduler's main loops start again after a
Redis or Postgres failure instead of exiting (``jobs.resilience``); the drills in
``tests/drills/test_database_outage_make_run.py`` check the real processes."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy.exc import OperationalError

from jobs import resilience


def test_a_loop_that_fails_is_started_again_until_it_reports_a_requested_stop(monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(resilience.time, "sleep", pauses.append)
    outcomes = iter(
        [
            redis.ConnectionError("refused"),
            OperationalError("select 1", {}, Exception("gone")),
            False,  # rq's worker leaves its loop on a Redis timeout and returns
            RuntimeError("anything else"),
            True,
        ]
    )
    calls = []

    def loop() -> bool:
        calls.append(1)
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    resilience.run_resiliently(loop, "worker", first_delay=1, max_delay=4)
    assert len(calls) == 5
    assert pauses == [1, 2, 4, 4]  # doubling, capped


def test_a_stop_request_is_never_retried(monkeypatch):
    monkeypatch.setattr(resilience.time, "sleep", lambda s: None)

    def stopped() -> bool:
        raise SystemExit(0)

    with pytest.raises(SystemExit):
        resilience.run_resiliently(stopped, "scheduler")
