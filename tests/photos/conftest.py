import io
import struct
import uuid
import zlib

import pytest
from sqlalchemy import insert, update

from shared import circuit
from shared.auth.passwords import Passwords
from shared.models.accounts import Membership, User
from shared.storage import set_storage
from shared.tenancy import tenant_context
from tests.bookings.conftest import at, book, make_lead, monday
from tests.storage.servers import cf, cf_server, moto_endpoint  # noqa: F401 - fixtures
from tests.support import PASSWORD


def png_bytes(size: int | None = None) -> bytes:
    """A real 1×1 PNG, padded with a trailing chunk-free tail up to ``size`` bytes."""
    raw = b"\x00\xff\x00\x00"
    body = b"\x89PNG\r\n\x1a\n"
    for tag, data in (
        (b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)),
        (b"IDAT", zlib.compress(raw)),
        (b"IEND", b""),
    ):
        body += struct.pack(">I", len(data)) + tag + data
        body += struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    if size is not None:
        assert size >= len(body)
        body += b"\x00" * (size - len(body))
    return body


def jpeg_bytes(size: int = 256) -> bytes:
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * size)[:size]


def webp_bytes(size: int = 256) -> bytes:
    return (b"RIFF" + struct.pack("<I", size - 8) + b"WEBPVP8 " + b"\x00" * size)[:size]


def upload(
    client,
    tenant,
    booking_id,
    data,
    *,
    phase="BEFORE",
    filename="photo.png",
    content_type="image/png",
    headers=None,
):
    form = {"file": (io.BytesIO(data), filename, content_type)}
    if phase is not None:
        form["phase"] = phase
    return client.post(
        tenant.url(f"/admin/bookings/{booking_id}/photos"),
        data=form,
        headers=headers or tenant.headers,
        content_type="multipart/form-data",
    )


def make_booking(client, tenant, *, consent=True, hhmm="09:00", weeks=2):
    lead = make_lead(
        client,
        tenant,
        email=f"c{uuid.uuid4().hex[:6]}@example.com",
        phone=f"+1 403 555 {uuid.uuid4().int % 10000:04d}",
    )
    resp = book(client, tenant, lead["lead_id"], at(monday(weeks), hhmm), photo_consent=consent)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


@pytest.fixture(autouse=True)
def fresh_breaker(runtime):
    """Injected storage failures must not leave the shared breaker open for the next test."""
    circuit.reset_all()
    set_storage(runtime, None)
    yield
    circuit.reset_all()
    set_storage(runtime, None)


@pytest.fixture()
def booking_id(client, tenant):
    return make_booking(client, tenant)


def member_headers(client, runtime, tenant, role) -> dict:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    pw = Passwords(runtime.settings).hash(PASSWORD)
    with runtime.owner_engine.begin() as conn:
        user_id = conn.scalar(insert(User).values(email=email, password_hash=pw).returning(User.id))
        conn.execute(insert(Membership).values(tenant_id=tenant.id, user_id=user_id, role=role))
    resp = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def tenant_ref(runtime, tenant):
    return runtime.tenants.by_id(tenant.id)


def in_tenant(runtime, tenant):
    return tenant_context(tenant_ref(runtime, tenant))


def set_storage_used(runtime, tenant, used: int) -> None:
    from shared.models.plans import UsageCounter

    with runtime.owner_engine.begin() as conn:
        conn.execute(
            update(UsageCounter)
            .where(UsageCounter.tenant_id == uuid.UUID(tenant.id))
            .where(UsageCounter.metric == "storage_bytes")
            .values(used=used)
        )


def storage_used(runtime, tenant) -> int:
    from sqlalchemy import select

    from shared.models.plans import UsageCounter

    with runtime.engine.connect() as conn:
        return (
            conn.scalar(
                select(UsageCounter.used)
                .where(UsageCounter.tenant_id == uuid.UUID(tenant.id))
                .where(UsageCounter.metric == "storage_bytes")
            )
            or 0
        )
