"""SMS tests: one Twilio stand-in per session, a runtime and app pointed at it, helpers to make
customers who take texts, to send signed webhooks and to run the outbox."""

from __future__ import annotations

import itertools
import uuid

import pytest
from sqlalchemy import select

from shared import circuit, db
from shared.runtime import Runtime, use_runtime
from shared.tenancy import tenant_context
from tenantapp.outbox.delivery import deliver_due
from tenantapp.outbox.models import OutboxMessage
from tenantapp.sms.models import SmsMessage
from tests import twilio_stub
from tests.bookings.conftest import make_lead
from tests.support import ApiClient

PUBLIC_BASE = "https://app.cleanplane.test"


@pytest.fixture(scope="session")
def twilio():
    stub = twilio_stub.start_stub()
    yield stub
    twilio_stub.stop_stub(stub)


@pytest.fixture(scope="session")
def sms_runtime(settings, migrated, twilio):
    rt = Runtime(
        settings.replace(
            twilio_api_base=twilio.url,
            twilio_account_sid=twilio_stub.ACCOUNT_SID,
            twilio_auth_token=twilio_stub.AUTH_TOKEN,
            twilio_messaging_service_sid=twilio_stub.MESSAGING_SERVICE_SID,
            public_base_url=PUBLIC_BASE,
            sms_timeout_seconds=3.0,
        )
    )
    yield rt
    rt.dispose()


@pytest.fixture(scope="session")
def sms_app(sms_runtime):
    from wsgi import create_wsgi

    return create_wsgi(runtime=sms_runtime)


@pytest.fixture()
def client(sms_app) -> ApiClient:
    return ApiClient(sms_app)


@pytest.fixture()
def rt(sms_runtime):
    with use_runtime(sms_runtime):
        yield sms_runtime


@pytest.fixture(autouse=True)
def _fresh(twilio):
    twilio.reset()
    circuit.reset_all()
    yield
    circuit.reset_all()


# One sequence per process (each xdist worker has its own database): random numbers out of
# 10 000 collided between tenants of one run (a birthday problem) and a sender taken by another
# workspace answers 409. The sequence stays out of 0000-0999, which tests write by hand
# (`"(587) 555-0142"`): a drawn sender equal to one of those made that test's PATCH a 409.
_numbers = itertools.count(uuid.uuid4().int % 9_000)


def _line() -> str:
    return f"{1_000 + next(_numbers) % 9_000:04d}"


def new_number() -> str:
    """A fresh valid Alberta mobile-looking number in E.164."""
    return f"+1403555{_line()}"


def tenant_number() -> str:
    return f"+1587555{_line()}"


def set_sms_from(client, tenant, number: str | None = None) -> str:
    number = number or tenant_number()
    resp = client.patch(
        tenant.url("/admin/settings"), json={"sms_from": number}, headers=tenant.headers
    )
    assert resp.status_code == 200, resp.get_json()
    return number


def signed_post(client, path: str, form: dict, *, token: str = twilio_stub.AUTH_TOKEN, url=None):
    """POST ``form`` to a control-plane webhook, signed over PUBLIC_BASE + path like Twilio."""
    signature = twilio_stub.signature(url or PUBLIC_BASE + path, form, token)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def inbound(client, to: str, from_: str, body: str, sid: str | None = None):
    form = twilio_stub.inbound_form(to, from_, body, sid)
    return signed_post(client, "/v1/webhooks/twilio/inbound", form), form


def customer_for(client, tenant, phone: str | None = None, email: str | None = None) -> int:
    """A customer (through the public lead flow) with ``phone``; returns the customer id."""
    phone = phone or new_number()
    lead = make_lead(
        client, tenant, phone=phone, email=email or f"c-{uuid.uuid4().hex[:8]}@example.com"
    )
    resp = client.get(tenant.url(f"/admin/leads/{lead['lead_id']}"), headers=tenant.headers)
    return resp.get_json()["lead"]["customer_id"]


def opt_in(client, tenant, phone: str, number: str) -> None:
    """The customer's number texts START to the tenant's number (an opt-in by the number)."""
    resp, _ = inbound(client, number, phone, "START")
    assert resp.status_code == 200, resp.get_data(as_text=True)


def deliver(rt, tenant, now=None):
    """Run the tenant's outbox delivery once."""
    with tenant_context(rt.tenants.by_id(tenant.id)):
        return deliver_due(now=now).as_dict()


def sms_rows(rt, tenant) -> list[SmsMessage]:
    with tenant_context(rt.tenants.by_id(tenant.id)):
        sess = db.session()
        rows = list(sess.scalars(select(SmsMessage).order_by(SmsMessage.id)))
        sess.expunge_all()
        sess.rollback()
        return rows


def outbox_rows(rt, tenant, kind: str = "sms") -> list[OutboxMessage]:
    with tenant_context(rt.tenants.by_id(tenant.id)):
        sess = db.session()
        rows = list(
            sess.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            )
        )
        sess.expunge_all()
        sess.rollback()
        return rows


def set_sms_used(rt, tenant, used: int) -> None:
    """This period's ``sms_segments`` counter of ``tenant`` (created when missing)."""
    from sqlalchemy.dialects.postgresql import insert

    from shared.entitlements import period_start
    from shared.models.plans import UsageCounter

    values = {
        "tenant_id": uuid.UUID(tenant.id),
        "metric": "sms_segments",
        "period_start": period_start(),
        "used": used,
    }
    with rt.owner_engine.begin() as conn:
        stmt = insert(UsageCounter).values(**values)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=list(values)[:3], set_={"used": used})
        )


def sms_used(rt, tenant) -> int:
    from shared.entitlements import period_start
    from shared.models.plans import UsageCounter

    with rt.engine.connect() as conn:
        return (
            conn.scalar(
                select(UsageCounter.used).where(
                    UsageCounter.tenant_id == uuid.UUID(tenant.id),
                    UsageCounter.metric == "sms_segments",
                    UsageCounter.period_start == period_start(),
                )
            )
            or 0
        )


def texting_customer(client, tenant, number: str) -> tuple[int, str]:
    """A customer whose number opted in (START); returns (customer id, phone)."""
    phone = new_number()
    customer_id = customer_for(client, tenant, phone)
    opt_in(client, tenant, phone, number)
    return customer_id, phone
