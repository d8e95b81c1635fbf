"""entitlements.consume: the limit at its boundary, idempotency, and a race for the last unit."""

import threading
from datetime import UTC, datetime

import pytest

from shared import db
from shared.entitlements import consume, usage
from shared.errors import LimitReached
from shared.runtime import use_runtime


def test_workers_limit_boundary_on_free_plan(rt, tenant):
    ref = rt.tenants.by_id(tenant.id)
    with db.transaction() as tx:
        assert consume(tx, ref, "active_workers", 3) == 3  # exactly the free limit
    with pytest.raises(LimitReached) as err, db.transaction() as tx:
        consume(tx, ref, "active_workers", 1)
    assert err.value.extra["metric"] == "active_workers"
    assert err.value.extra["limit"] == 3 and err.value.extra["used"] == 3
    with db.transaction() as tx:
        assert consume(tx, ref, "active_workers", -1) == 2
        assert consume(tx, ref, "active_workers", 1) == 3
    db.close_session()


def test_rollback_undoes_consumption(rt, tenant):
    ref = rt.tenants.by_id(tenant.id)
    with pytest.raises(RuntimeError), db.transaction() as tx:
        consume(tx, ref, "bookings_created", 5)
        raise RuntimeError("the booking insert failed")
    assert usage(db.session(), ref.id)["bookings_created"] == 0
    db.close_session()


def test_idempotency_key_counts_once(rt, tenant):
    ref = rt.tenants.by_id(tenant.id)
    for _ in range(3):
        with db.transaction() as tx:
            consume(tx, ref, "bookings_created", 1, idempotency_key=f"booking:{tenant.id}:1")
    assert usage(db.session(), ref.id)["bookings_created"] == 1
    db.close_session()


def test_periodic_metric_resets_in_a_new_month(rt, tenant):
    ref = rt.tenants.by_id(tenant.id)
    with db.transaction() as tx:
        consume(tx, ref, "bookings_created", 20, now=datetime(2030, 1, 15, tzinfo=UTC))
    with pytest.raises(LimitReached), db.transaction() as tx:
        consume(tx, ref, "bookings_created", 1, now=datetime(2030, 1, 31, 23, 59, tzinfo=UTC))
    with db.transaction() as tx:
        assert consume(tx, ref, "bookings_created", 1, now=datetime(2030, 2, 1, tzinfo=UTC)) == 1
    db.close_session()


def test_two_requests_racing_for_the_last_unit_exactly_one_wins(runtime, tenant):
    ref = runtime.tenants.by_id(tenant.id)
    with use_runtime(runtime), db.transaction() as tx:
        consume(tx, ref, "active_workers", 2)
    db.close_session()
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt():
        with use_runtime(runtime):
            try:
                with db.transaction() as tx:
                    barrier.wait()
                    consume(tx, ref, "active_workers", 1)
                outcomes.append("won")
            except LimitReached:
                outcomes.append("402")
            finally:
                db.close_session()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["402", "won"]
