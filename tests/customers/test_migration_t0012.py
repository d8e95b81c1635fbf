"""t0012 on a copy of a tenant with leads and bookings: every lead and booking gets a property,
repeat addresses share one, single-worker assignments become crews of one, time entries get
their worker, e-mails are lower-cased; and the models match the migrated tables."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text

from shared.migrations import upgrade_tenant
from shared.tenancy import quoted_schema
from tests.customers.helpers import schema_diffs

ESTIMATE = {"team_size": 2, "time_on_site_hours": "3.0", "total_before_tax_cents": 10500}
REQUEST = {"beds": 2, "baths": 1, "service_type": "standard"}


@pytest.fixture()
def old_schema(rt):
    """A scratch tenant schema at t0011 (the revision before), dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:24]}"
    with rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {quoted_schema(schema)}")
        upgrade_tenant(conn, schema, "t0011_lead_proof")
    yield schema
    with rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {quoted_schema(schema)} CASCADE")


def _sql(conn, schema: str, statement: str, **params):
    conn.exec_driver_sql(f"SET LOCAL search_path TO {quoted_schema(schema)}")
    return conn.execute(text(statement), params)


def _lead(conn, schema, customer_id, code, address, postal, *, access=None, request=REQUEST):
    return _sql(
        conn,
        schema,
        "INSERT INTO leads (customer_id, name, phone, address, postal_code, access_notes,"
        " estimate_request, estimate, pricing_config_id, pricing_config_version, config_hash,"
        " referral_code) VALUES (:c, 'N', '+17805550100', :a, :p, :acc, CAST(:req AS jsonb),"
        " CAST(:est AS jsonb), 1, 1, 'sha256:x', :code) RETURNING id",
        c=customer_id,
        a=address,
        p=postal,
        acc=access,
        req=json.dumps(request),
        est=json.dumps(ESTIMATE),
        code=code,
    ).scalar_one()


def team_and_worker(conn, schema: str) -> tuple[int, int]:
    """A team 'A' and a worker 'W' in a scratch schema → their ids."""
    team = _sql(conn, schema, "INSERT INTO teams (name) VALUES ('A') RETURNING id").scalar_one()
    worker = _sql(
        conn, schema, "INSERT INTO workers (name, email) VALUES ('W', 'w@x.io') RETURNING id"
    ).scalar_one()
    return team, worker


def _booking(conn, schema, lead_id, customer_id, team_id, worker_id, day):
    return _sql(
        conn,
        schema,
        "INSERT INTO bookings (lead_id, customer_id, team_id, worker_id, service_type, starts_at,"
        " ends_at, duration_minutes, estimate_total_cents, total_cents, risk_score, risk_band,"
        " policy_snapshot) VALUES (:l, :c, :t, :w, 'standard',"
        " CAST(:d AS timestamptz), CAST(:d AS timestamptz) + interval '3 hours', 180, 10500,"
        " 10500, 0, 'LOW', '{}') RETURNING id",
        l=lead_id,
        c=customer_id,
        t=team_id,
        w=worker_id,
        d=f"2030-01-{day:02d}T16:00:00Z",
    ).scalar_one()


def test_t0012_links_every_lead_and_booking(rt, old_schema):
    s = old_schema
    with rt.owner_engine.begin() as conn:
        ann = _sql(
            conn,
            s,
            "INSERT INTO customers (name, email, phone) VALUES ('Ann', 'Ann@X.io',"
            " '+17805550100') RETURNING id",
        ).scalar_one()
        bob = _sql(
            conn,
            s,
            "INSERT INTO customers (name, phone) VALUES ('Bob', '+17805550101') RETURNING id",
        ).scalar_one()
        team, worker = team_and_worker(conn, s)
        # Ann: the same home written twice (case, spaces), then a second home; Bob: no address.
        a1 = _lead(conn, s, ann, "AAAAAAA1", "10230 Jasper Ave", "T5J 1A1", access="old")
        a2 = _lead(conn, s, ann, "AAAAAAA2", " 10230 jasper ave ", "t5j1a1", access="buzz 12")
        a3 = _lead(conn, s, ann, "AAAAAAA3", "5 Whyte Ave", "T6E 1Z1")
        b1 = _lead(conn, s, bob, "BBBBBBB1", None, None)
        bk1 = _booking(conn, s, a1, ann, team, worker, 7)
        bk2 = _booking(conn, s, a3, ann, team, None, 8)
        bk3 = _booking(conn, s, b1, bob, team, worker, 9)
        _sql(conn, s, "INSERT INTO time_entries (booking_id) VALUES (:b), (:b2)", b=bk1, b2=bk2)

    with rt.owner_engine.begin() as conn:
        upgrade_tenant(conn, s)

    with rt.owner_engine.begin() as conn:
        props = _sql(
            conn,
            s,
            "SELECT id, customer_id, address, postal_code, access_notes, home"
            " FROM properties ORDER BY id",
        ).all()
        leads = dict(_sql(conn, s, "SELECT id, property_id FROM leads").all())
        bookings = {
            r.id: r
            for r in _sql(
                conn, s, "SELECT id, property_id, estimate, estimate_request FROM bookings"
            ).all()
        }
        crews = _sql(conn, s, "SELECT booking_id, worker_id FROM booking_workers").all()
        entries = dict(_sql(conn, s, "SELECT booking_id, worker_id FROM time_entries").all())
        email = _sql(conn, s, "SELECT email FROM customers WHERE id = :i", i=ann).scalar_one()

    assert len(props) == 3  # Ann's two homes (one written twice) and Bob's address-less one
    by_id = {p.id: p for p in props}
    assert leads[a1] == leads[a2] != leads[a3]
    jasper = by_id[leads[a1]]
    assert jasper.customer_id == ann and jasper.access_notes == "buzz 12"  # the newest lead's
    assert jasper.home == REQUEST
    assert by_id[leads[b1]].customer_id == bob and by_id[leads[b1]].address is None
    assert all(leads.values())
    assert bookings[bk1].property_id == leads[a1]
    assert bookings[bk2].property_id == leads[a3]
    assert bookings[bk3].property_id == leads[b1]
    assert bookings[bk1].estimate == ESTIMATE and bookings[bk1].estimate_request == REQUEST
    assert sorted(crews) == sorted([(bk1, worker), (bk3, worker)])
    assert entries == {bk1: worker, bk2: None}
    assert email == "ann@x.io"


def test_t0012_on_an_empty_tenant_is_a_no_op(rt, old_schema):
    with rt.owner_engine.begin() as conn:
        upgrade_tenant(conn, old_schema)
        assert _sql(conn, old_schema, "SELECT count(*) FROM properties").scalar_one() == 0


TABLES = {
    "settings",
    "customers",
    "properties",
    "booking_workers",
    "bookings",
    "leads",
    "time_entries",
}


def test_models_match_the_migrated_tables(rt, tenant):
    assert schema_diffs(rt, tenant, TABLES) == []
