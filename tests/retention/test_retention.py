"""Retention cleanup, its once-per-local-date job, data deletion and export (SPEC §5.8)."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from jobs.decorators import is_skipped
from shared import db
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer
from tenantapp.leads.models import Lead
from tenantapp.photos.models import Photo
from tenantapp.retention.jobs import retention_cleanup
from tenantapp.retention.service import cleanup, due_local_date
from tenantapp.settings.models import TenantSettings
from tests.bookings.conftest import at, book, make_lead, monday
from tests.jobs.helpers import audit_entries
from tests.photos.conftest import png_bytes, upload

EDMONTON = ZoneInfo("America/Edmonton")
PAT = {"email": "pat@example.com", "phone": "+1 403 555 0100"}
SAM = {"email": "sam@example.com", "phone": "+1 403 555 0101"}


@contextmanager
def in_tenant(runtime, tenant):
    with use_runtime(runtime), tenant_context(runtime.tenants.by_id(tenant.id)):
        yield db.session()


def _set_days(runtime, tenant, days):
    with in_tenant(runtime, tenant) as sess:
        sess.execute(update(TenantSettings).values(retention_lead_days=days))
        sess.commit()


def _age_lead(runtime, tenant, lead_id, created_at):
    with in_tenant(runtime, tenant) as sess:
        sess.execute(update(Lead).where(Lead.id == lead_id).values(created_at=created_at))
        sess.commit()


def _lead_ids(runtime, tenant):
    with in_tenant(runtime, tenant) as sess:
        return set(sess.scalars(select(Lead.id)))


# ------------------------------------------------------------------ cleanup
def test_cleanup_deletes_only_old_never_booked_leads(client, runtime, tenant):
    now = datetime.now(UTC)
    old = make_lead(client, tenant, **PAT)["lead_id"]
    edge = make_lead(client, tenant, email="e@example.com", phone="+1 403 555 0109")["lead_id"]
    booked = make_lead(client, tenant, **SAM)["lead_id"]
    assert book(client, tenant, booked, at(monday(), "09:00")).status_code == 201
    fresh = make_lead(client, tenant, email="f@example.com", phone="+1 403 555 0108")["lead_id"]
    _age_lead(runtime, tenant, old, now - timedelta(days=30, seconds=1))
    _age_lead(runtime, tenant, edge, now - timedelta(days=30))  # exactly at the cutoff: kept
    _age_lead(runtime, tenant, booked, now - timedelta(days=400))

    _set_days(runtime, tenant, None)
    with in_tenant(runtime, tenant):
        assert cleanup(now=now) == {
            "enabled": False,
            "retention_lead_days": None,
            "deleted_leads": 0,
        }
    _set_days(runtime, tenant, 30)
    with in_tenant(runtime, tenant):
        assert cleanup(now=now)["deleted_leads"] == 1
    assert _lead_ids(runtime, tenant) == {edge, booked, fresh}
    [entry] = audit_entries(runtime, tenant.id, "retention.cleanup")
    assert entry.after["deleted"] == 1


def test_cleanup_endpoint_is_admin_only(client, runtime, tenant, other_tenant):
    url = tenant.url("/admin/retention/cleanup")
    assert client.post(url).status_code == 401
    assert client.post(url, headers=other_tenant.headers).status_code == 403
    resp = client.post(url, headers=tenant.headers)
    assert resp.status_code == 200 and resp.get_json()["enabled"] is False
    old = make_lead(client, tenant, **PAT)["lead_id"]
    _age_lead(runtime, tenant, old, datetime.now(UTC) - timedelta(days=11))
    _set_days(runtime, tenant, 10)
    assert client.post(url, headers=tenant.headers).get_json()["deleted_leads"] == 1


# ------------------------------------------------------------------ once per local date
def test_due_local_date_boundaries_and_dst():
    def utc(*a):
        return datetime(*a, tzinfo=UTC)

    # 2027-01-10, MST (UTC-7): 01:59 local is not due, 02:00 is
    assert due_local_date(utc(2027, 1, 10, 8, 59), EDMONTON) is None
    assert str(due_local_date(utc(2027, 1, 10, 9, 0), EDMONTON)) == "2027-01-10"
    # spring forward 2027-03-14: 01:59 MST is followed by 03:00 MDT, which is due
    assert due_local_date(utc(2027, 3, 14, 8, 59), EDMONTON) is None
    assert str(due_local_date(utc(2027, 3, 14, 9, 0), EDMONTON)) == "2027-03-14"
    # fall back 2026-11-01: both 01:30s are not due, 02:00 MST (09:00 UTC) is
    assert due_local_date(utc(2026, 11, 1, 7, 30), EDMONTON) is None
    assert due_local_date(utc(2026, 11, 1, 8, 30), EDMONTON) is None
    assert str(due_local_date(utc(2026, 11, 1, 9, 0), EDMONTON)) == "2026-11-01"
    # just before local midnight it is still that date
    assert str(due_local_date(utc(2026, 11, 2, 6, 59), EDMONTON)) == "2026-11-01"


def test_job_runs_once_per_local_date_from_two_am(client, runtime, tenant):
    _set_days(runtime, tenant, 10)
    with use_runtime(runtime):
        # the tenant zone is America/Edmonton (seed default); spring-forward day 2027-03-14
        assert is_skipped(retention_cleanup(tenant.id, now="2027-03-14T08:59:00+00:00"))
        first = retention_cleanup(tenant.id, now="2027-03-14T09:00:00+00:00")
        assert first["local_date"] == "2027-03-14" and first["enabled"] is True
        assert is_skipped(retention_cleanup(tenant.id, now="2027-03-14T10:00:00+00:00"))
        assert is_skipped(retention_cleanup(tenant.id, now="2027-03-15T06:59:00+00:00"))
        nxt = retention_cleanup(tenant.id, now="2027-03-15T08:00:00+00:00")  # 02:00 MDT
        assert nxt["local_date"] == "2027-03-15"


# ------------------------------------------------------------------ data rights
def _pat_with_photo(client, runtime, tenant):
    lead = make_lead(client, tenant, **PAT, notes="gate code 1234")
    booking = book(
        client, tenant, lead["lead_id"], at(monday(), "09:00"), photo_consent=True
    ).get_json()
    assert upload(client, tenant, booking["id"], png_bytes()).status_code == 201
    with in_tenant(runtime, tenant) as sess:
        sess.execute(update(Booking).where(Booking.id == booking["id"]).values(notes="dog"))
        sess.commit()
    return lead, booking


def test_deletion_request_anonymises_and_deletes_photos(client, runtime, tenant):
    lead, booking = _pat_with_photo(client, runtime, tenant)
    sam = make_lead(client, tenant, **SAM)
    resp = client.post(
        tenant.url("/admin/data-deletion/requests"),
        json={"email": "PAT@example.com"},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() | {"customer_ids": None, "outbox_messages": None} == {
        "customer_ids": None,
        "outbox_messages": None,
        "leads": 1,
        "bookings": 1,
        "photos": 1,
        "messages": 0,  # no SMS thread (tests/sms/test_erasure.py has one)
    }
    with in_tenant(runtime, tenant) as sess:
        pat = sess.get(Lead, lead["lead_id"])
        assert (pat.name, pat.email, pat.notes) == ("[deleted]", None, None)
        customer = sess.get(Customer, pat.customer_id)
        assert customer.email is None and customer.anonymized_at is not None
        kept = sess.get(Booking, booking["id"])
        assert (
            kept is not None and kept.notes is None and kept.total_cents == booking["total_cents"]
        )
        assert sess.scalar(select(Photo).where(Photo.booking_id == booking["id"])) is None
        assert sess.get(Lead, sam["lead_id"]).email == SAM["email"]
    assert audit_entries(runtime, tenant.id, "customer.anonymise")
    assert audit_entries(runtime, tenant.id, "photo.delete")


def test_export_bundle_and_lookup_rules(client, runtime, tenant):
    lead, booking = _pat_with_photo(client, runtime, tenant)
    url = tenant.url("/admin/data/export")
    resp = client.post(url, json={"email": "pat@example.com"}, headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    bundle = resp.get_json()
    assert [c["email"] for c in bundle["customers"]] == ["pat@example.com"]
    assert [x["id"] for x in bundle["leads"]] == [lead["lead_id"]]
    assert [b["id"] for b in bundle["bookings"]] == [booking["id"]]
    assert len(bundle["photos"]) == 1 and "storage_key" not in bundle["photos"][0]
    by_id = client.post(
        url, json={"customer_id": bundle["customers"][0]["id"]}, headers=tenant.headers
    )
    assert by_id.get_json()["leads"] == bundle["leads"]
    assert audit_entries(runtime, tenant.id, "customer.export")
    assert client.post(url, json={}, headers=tenant.headers).status_code == 422
    both = {"email": "pat@example.com", "customer_id": 1}
    assert client.post(url, json=both, headers=tenant.headers).status_code == 422
    nobody = {"email": "nobody@example.com"}
    assert client.post(url, json=nobody, headers=tenant.headers).status_code == 404


def test_data_rights_isolation(client, runtime, tenant, other_tenant):
    make_lead(client, other_tenant, **PAT)
    theirs = client.post(
        other_tenant.url("/admin/data/export"),
        json={"email": PAT["email"]},
        headers=other_tenant.headers,
    ).get_json()["customers"][0]["id"]
    mine = make_lead(client, tenant, **SAM)
    for path in ("/admin/data/export", "/admin/data-deletion/requests"):
        # another tenant's token on my slug
        resp = client.post(
            tenant.url(path), json={"email": SAM["email"]}, headers=other_tenant.headers
        )
        assert resp.status_code == 403
        # another tenant's customer (by email) is not found under my slug
        resp = client.post(tenant.url(path), json={"email": PAT["email"]}, headers=tenant.headers)
        assert resp.status_code == 404
    with in_tenant(runtime, tenant) as sess:
        assert (
            sess.get(Customer, theirs) is None or sess.get(Customer, theirs).email != PAT["email"]
        )
        assert sess.get(Lead, mine["lead_id"]).email == SAM["email"]
