"""Staff-made plans' ``require_deposit`` and referral credits on plan visits (SPEC §5.10: "the
first visit of a staff-made plan takes a deposit only with require_deposit: true"; "referral
credits are redeemed on the earliest visit not yet invoiced")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared import db
from shared.tenancy import tenant_context
from tenantapp.customers.models import ReferralCredit
from tenantapp.plans import horizon, visits
from tests.plans.conftest import create_plan, make_customer, plan_bookings


def _by_date(client, tenant, plan_id) -> list[dict]:
    return sorted(plan_bookings(client, tenant, plan_id), key=lambda b: b["occurrence_date"])


def _credit(rt, tenant, customer_id, referred_id, cents):
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        with db.transaction() as tx:
            tx.add(
                ReferralCredit(
                    customer_id=customer_id, referred_customer_id=referred_id, amount_cents=cents
                )
            )
        db.close_session()


def test_require_deposit_puts_only_the_first_visit_on_a_deposit(client, tenant):
    plan = create_plan(client, tenant, require_deposit=True)
    first, second, *rest = _by_date(client, tenant, plan["id"])
    assert first["status"] == "PENDING"
    deposit = first["deposit"]
    assert deposit["required"] and "plan_first_visit" in deposit["reasons"]
    assert deposit["percent"] >= 25 and deposit["amount_cents"] >= 5000
    assert deposit["downgraded_reason"] == "stripe_unavailable"  # no Connect account here
    assert all(v["status"] == "CONFIRMED" and not v["deposit"]["required"] for v in [second, *rest])
    audit = client.get(tenant.url("/admin/audit?limit=50"), headers=tenant.headers).get_json()
    entry = next(e for e in audit["items"] if e["action"] == "plan.create")
    assert entry["after"]["require_deposit"] is True


def test_without_require_deposit_every_visit_is_confirmed(client, tenant):
    plan = create_plan(client, tenant, require_deposit=False)
    assert {v["status"] for v in _by_date(client, tenant, plan["id"])} == {"CONFIRMED"}
    assert (
        create_plan(client, tenant, require_deposit="yes", expect=422)["errors"][0]["field"]
        == "require_deposit"
    )


def test_credits_go_on_the_earliest_visit_not_yet_invoiced(client, tenant, rt):
    customer = make_customer(client, tenant)
    referred = [make_customer(client, tenant) for _ in range(3)]
    _credit(rt, tenant, customer, referred[0], 2000)
    plan = create_plan(client, tenant, customer_id=customer)
    first, second, *_ = _by_date(client, tenant, plan["id"])
    price = plan["price"]["total_before_tax_cents"]
    assert (first["credit_applied_cents"], first["total_cents"]) == (2000, price - 2000)
    assert (second["credit_applied_cents"], second["total_cents"]) == (0, price)

    # A credit earned later goes on the next materialisation (here the daily run, a day on).
    _credit(rt, tenant, customer, referred[1], 1500)
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        horizon.extend_all(datetime.now(UTC) + timedelta(days=1))
        db.close_session()
    first = _by_date(client, tenant, plan["id"])[0]
    assert (first["credit_applied_cents"], first["total_cents"]) == (3500, price - 3500)

    # Once the first visit is invoiced, the next credit goes on the second visit.
    resp = client.post(
        tenant.url("/admin/invoices"),
        json={"booking_id": first["id"]},
        headers={**tenant.headers, "Idempotency-Key": f"inv-{first['id']}"},
    )
    assert resp.status_code == 201, resp.get_json()
    _credit(rt, tenant, customer, referred[2], 1000)
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        visits.materialise(plan["id"])
        db.close_session()
    first, second, *_ = _by_date(client, tenant, plan["id"])
    assert first["credit_applied_cents"] == 3500
    assert (second["credit_applied_cents"], second["total_cents"]) == (1000, price - 1000)
