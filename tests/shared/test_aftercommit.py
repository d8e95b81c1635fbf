"""``on_commit``: after a successful commit only, dropped on rollback, savepoints respected."""

import pytest
from sqlalchemy import select

from shared import db
from shared.aftercommit import on_commit
from shared.tenancy import tenant_context
from tenantapp.settings.models import TenantSettings


@pytest.fixture()
def in_tenant(rt, tenant):
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        yield
        db.close_session()


def test_runs_after_the_commit_and_sees_the_committed_row(in_tenant):
    seen = []

    def read_back():
        # a fresh session: only committed data is visible from here
        with db.isolated_session_scope():
            seen.append(db.session().scalar(select(TenantSettings.company_name)))

    with db.transaction() as tx:
        tx.get(TenantSettings, 1).company_name = "Committed Co"
        on_commit(read_back)
        assert seen == []  # not before the commit
    assert seen == ["Committed Co"]


def test_dropped_when_the_transaction_rolls_back(in_tenant):
    ran = []
    with pytest.raises(RuntimeError), db.transaction():
        on_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("boom")
    with db.transaction():
        on_commit(lambda: ran.append("next"))
    assert ran == ["next"]  # the rolled-back callback never runs, not even on a later commit


def test_registered_before_any_statement_waits_for_the_commit(in_tenant):
    ran = []
    with db.transaction() as tx:
        on_commit(lambda: ran.append(1))
        assert ran == []
        tx.get(TenantSettings, 1)
    assert ran == [1]


def test_savepoints_released_keep_rolled_back_drop_and_both_wait_for_the_outer_commit(in_tenant):
    ran = []
    with db.transaction() as tx:
        on_commit(lambda: ran.append("outer"))
        with tx.begin_nested():
            on_commit(lambda: ran.append("released"))
        assert ran == []  # a released savepoint is not a commit
        savepoint = tx.begin_nested()
        on_commit(lambda: ran.append("rolled back"))
        with tx.begin_nested():
            on_commit(lambda: ran.append("inside the rolled-back one"))
        savepoint.rollback()
    assert ran == ["outer", "released"]


def test_outer_rollback_drops_released_savepoint_callbacks(in_tenant):
    ran = []
    with pytest.raises(RuntimeError), db.transaction() as tx:
        with tx.begin_nested():
            on_commit(lambda: ran.append("released"))
        raise RuntimeError("boom")
    assert ran == []


def test_every_callback_runs_and_the_first_error_surfaces(in_tenant):
    ran = []

    def fail():
        ran.append("fail")
        raise ValueError("first")

    with pytest.raises(ValueError, match="first"), db.transaction():
        on_commit(fail)
        on_commit(lambda: ran.append("second"))
    assert ran == ["fail", "second"]


def test_a_callback_may_open_its_own_transaction(in_tenant):
    with db.transaction() as tx:
        tx.get(TenantSettings, 1).company_name = "One"

        def rename():
            with db.transaction() as inner:
                inner.get(TenantSettings, 1).company_name = "Two"

        on_commit(rename)
    db.close_session()
    assert db.session().scalar(select(TenantSettings.company_name)) == "Two"
