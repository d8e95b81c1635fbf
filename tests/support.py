"""Test plumbing: a private database and Redis db index per run, clients and tenant factories."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis
from flask import Response
from werkzeug.test import Client

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379")
PASSWORD = "Correct-Horse-9battery"
_counter = itertools.count(1)


def claim_redis_db() -> tuple[int, redis.Redis]:
    """Claim a free Redis db index (1-15) with a lease in db 0, so parallel runs never collide."""
    lease = redis.Redis.from_url(f"{REDIS_BASE}/0")
    for index in range(1, 16):
        key = f"cleanplane:test-db-lease:{index}"
        holder = lease.get(key)
        if holder is not None and _is_dead_local_pid(holder):
            # A run killed before its teardown leaves its lease for 3 h; take it back at once.
            lease.delete(key)
        if lease.set(key, os.getpid(), nx=True, ex=3 * 3600):
            client = redis.Redis.from_url(f"{REDIS_BASE}/{index}")
            client.flushdb()
            return index, client
    raise RuntimeError("no free Redis db index for tests (all 15 leased)")


def _is_dead_local_pid(holder: bytes) -> bool:
    """True when the lease names a process of this machine that no longer runs."""
    try:
        os.kill(int(holder), 0)
    except ProcessLookupError:
        return True
    except (ValueError, PermissionError):
        return False
    return False


def release_redis_db(index: int) -> None:
    redis.Redis.from_url(f"{REDIS_BASE}/{index}").flushdb()
    redis.Redis.from_url(f"{REDIS_BASE}/0").delete(f"cleanplane:test-db-lease:{index}")


def unique_slug(prefix: str = "co") -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


class ApiClient(Client):
    """A werkzeug client over the whole dispatcher. Any 500 fails the test: bad input must get a
    clear 4xx, never a stack trace."""

    def __init__(self, app):
        super().__init__(app, Response)

    def open(self, *args, **kwargs):
        resp = super().open(*args, **kwargs)
        assert resp.status_code != 500, f"500 from the API: {resp.get_data(as_text=True)[:500]}"
        return resp


@dataclass
class TenantHandle:
    id: str
    slug: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}"}

    def url(self, path: str) -> str:
        return f"/t/{self.slug}/v1{path}"


def signup(client: ApiClient, slug: str | None = None, email: str | None = None, **extra):
    slug = slug or unique_slug()
    email = email or f"owner-{uuid.uuid4().hex[:10]}@example.com"
    body = {"company_name": f"{slug} Cleaning", "slug": slug, "email": email, "password": PASSWORD}
    body.update(extra)
    resp = client.post("/v1/signup", json=body)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    data = resp.get_json()
    return TenantHandle(
        id=data["tenant"]["id"],
        slug=slug,
        email=email,
        password=PASSWORD,
        access_token=data["access_token"],
        refresh_token=data["refresh_token"],
    )


class PlatformMails:
    """Platform mail queued since the fixture started, read from the real control-plane outbox
    (a live list: each access re-reads it)."""

    def __init__(self, runtime):
        from sqlalchemy import func, select

        from controlplane.mail.models import PlatformOutboxMessage

        self._rt, self._model = runtime, PlatformOutboxMessage
        with runtime.engine.connect() as conn:
            self._start = conn.scalar(select(func.coalesce(func.max(PlatformOutboxMessage.id), 0)))

    def _rows(self) -> list[dict]:
        from sqlalchemy import select

        m = self._model
        with self._rt.engine.connect() as conn:
            rows = conn.execute(
                select(m.topic, m.recipient, m.payload, m.dedupe_key)
                .where(m.id > self._start)
                .order_by(m.id)
            ).all()
        from shared.crypto import unsealed

        keys = tuple(self._rt.settings.data_encryption_keys)
        return [
            {
                "template": r.topic,
                "to": r.recipient,
                "context": unsealed(r.payload, keys),  # what the sender renders
                "stored": r.payload,  # what sits in the outbox row
                "dedupe_key": r.dedupe_key,
            }
            for r in rows
        ]

    def __iter__(self):
        return iter(self._rows())

    def __len__(self):
        return len(self._rows())

    def __getitem__(self, item):
        return self._rows()[item]


def billing_notices(mails, notice: str) -> list[dict]:
    """The ``billing_notice`` e-mails of one kind (payment_failed, action_required, suspended)."""
    return [
        m for m in mails if m["template"] == "billing_notice" and m["context"]["notice"] == notice
    ]


def invitation_token(runtime, invitation_id) -> str:
    """The token of an invitation's e-mailed link, read from the (sealed) outbox row."""
    from sqlalchemy import select

    from controlplane.mail.models import PlatformOutboxMessage as M
    from shared.crypto import unsealed

    with runtime.engine.connect() as conn:
        payload = conn.scalar(
            select(M.payload).where(M.dedupe_key == f"staff_invite:{invitation_id}")
        )
    url = unsealed(payload, tuple(runtime.settings.data_encryption_keys))["accept_url"]
    return url.rsplit("/", 1)[1]


def runtime_of(client):
    """The runtime behind a test client's dispatcher."""
    return client.application.control_plane.extensions["cleanplane"]


def drop_database_later(name: str) -> None:
    """Drop the test database ``name`` from a detached process (``WITH FORCE``) and return now.

    ``DROP DATABASE`` asks the server for an immediate checkpoint and unlinks every file of the
    database: after a run's writes that took 25-135 s of teardown on this machine. No test reads
    the result, so a run does not wait for it.
    """
    subprocess.Popen(
        [sys.executable, "-c", _DROP_LATER, ADMIN_URL, name],
        cwd=_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


_ROOT = Path(__file__).resolve().parent.parent
_DROP_LATER = "import sys; from shared.dbsetup import drop_database; drop_database(*sys.argv[1:])"
