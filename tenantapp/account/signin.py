"""Magic-link sign-in for a tenant's customers and their ``typ=client`` sessions (SPEC §5.13).

- ``request_link(email, ip)``: always the same answer to the caller (202), whether or not the
  address is a customer's, so the form tells nobody who is a customer. Limited per e-mail and per
  client IP within the tenant (429 with ``Retry-After`` once used up). A known, not erased
  customer gets a ``client_login`` e-mail with a link valid 15 minutes, usable once; only the
  link's SHA-256 is stored and the link itself is sealed in the outbox row.
- ``consume_link(raw)``: marks the link used and opens a 30-day session row; returns the
  ``typ=client`` JWT for the cookie. A used, expired or unknown link raises ``LinkRefused`` and
  opens nothing.
- ``load(token)``: the per-request check of the cookie (signature, tenant, session row not
  revoked or expired, customer not erased): revocation applies at once.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from shared import db
from shared.auth import tokens
from shared.errors import AppError, Unauthorized
from shared.limits import FailureLimit, RateLimited
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.account.models import ClientLoginLink, ClientSession
from tenantapp.customers.models import Customer
from tenantapp.customers.service import normalise_email
from tenantapp.messaging.service import EmailKind, enqueue_email

LINK_TTL = timedelta(minutes=15)
SESSION_TTL = tokens.ACCESS_TTL["client"]
CLIENT_LOGIN = EmailKind("client_login")
EMAILS = (CLIENT_LOGIN,)

per_email = FailureLimit("client-login-email", "rate_limit_client_login_email")
per_ip = FailureLimit("client-login-ip", "rate_limit_client_login_ip")


class LinkRefused(AppError):
    """A sign-in link that cannot open a session: ``reason`` is used, expired or invalid."""

    status, code, title = 410, "link_invalid", "Sign-in link not valid"
    TEXT = {"used": "already used", "expired": "expired", "invalid": "not valid"}

    def __init__(self, reason: str):
        super().__init__(f"This sign-in link is {self.TEXT[reason]}.")
        self.reason = reason


@dataclass(frozen=True)
class Client:
    """The signed-in customer of this request."""

    customer_id: int
    session_id: str


def _now() -> datetime:
    return datetime.now(UTC)


def signin_url(raw: str) -> str:
    base = current_runtime().settings.public_base_url.rstrip("/")
    return f"{base}/t/{current_tenant().slug}/account/signin?token={raw}"


def _check_limits(address: str, ip: str) -> None:
    tid = current_tenant().id
    keys = ((per_ip, f"{tid}:{ip}"), (per_email, f"{tid}:{address}"))
    for limit, ident in keys:
        wait = limit.retry_after(ident)
        if wait is not None:
            raise RateLimited(
                "Too many sign-in links were asked for; try again later.",
                headers={"Retry-After": str(wait)},
            )
    for limit, ident in keys:
        limit.failed(ident)  # every request counts, known address or not


def request_link(email: str, ip: str, now: datetime | None = None) -> None:
    """E-mail a sign-in link to the customer with ``email`` (nothing when there is none)."""
    now = now or _now()
    address = normalise_email(email) or ""
    _check_limits(address, ip)
    with db.transaction() as tx:
        customer = tx.scalar(
            select(Customer).where(Customer.email == address, Customer.anonymized_at.is_(None))
        )
        if customer is None:
            return
        raw = secrets.token_urlsafe(32)
        digest = tokens.hash_token(raw)
        tx.add(
            ClientLoginLink(token_hash=digest, customer_id=customer.id, expires_at=now + LINK_TTL)
        )
        enqueue_email(
            tx,
            CLIENT_LOGIN,
            customer.email,
            {"customer_name": customer.name},
            f"client_login:{digest[:24]}",
            secrets={"login_url": signin_url(raw)},  # a credential: sealed at rest
        )


def consume_link(raw: str | None, now: datetime | None = None) -> tuple[str, datetime]:
    """Use the link once and open a session; returns the cookie's token and its expiry."""
    now = now or _now()
    if not raw or len(raw) > 200:
        raise LinkRefused("invalid")
    with db.transaction() as tx:
        link = tx.scalar(
            select(ClientLoginLink)
            .where(ClientLoginLink.token_hash == tokens.hash_token(raw))
            .with_for_update()
        )
        if link is None:
            raise LinkRefused("invalid")
        if link.used_at is not None:
            raise LinkRefused("used")
        if link.expires_at <= now:
            raise LinkRefused("expired")
        customer = tx.get(Customer, link.customer_id)
        if customer is None or customer.anonymized_at is not None:
            raise LinkRefused("invalid")
        link.used_at = now
        session = ClientSession(
            id=uuid.uuid4(), customer_id=customer.id, expires_at=now + SESSION_TTL
        )
        tx.add(session)
        return tokens.issue(
            current_runtime().settings,
            typ="client",
            sub=str(customer.id),
            tid=str(current_tenant().id),
            sid=str(session.id),
            now=now,
        )


def load(token: str | None, now: datetime | None = None) -> Client | None:
    """The live session behind a cookie token of this tenant, or None."""
    if not token or len(token) > 2000:
        return None
    try:
        claims = tokens.decode(current_runtime().settings, token)
        customer_id = int(claims["sub"])
        sid = uuid.UUID(claims["sid"])
    except (Unauthorized, TypeError, ValueError):
        return None
    if claims["typ"] != "client" or claims.get("tid") != str(current_tenant().id):
        return None
    found = db.session().scalar(
        select(ClientSession.id)
        .join(Customer, Customer.id == ClientSession.customer_id)
        .where(
            ClientSession.id == sid,
            ClientSession.customer_id == customer_id,
            ClientSession.revoked_at.is_(None),
            ClientSession.expires_at > (now or _now()),
            Customer.anonymized_at.is_(None),
        )
    )
    return Client(customer_id=customer_id, session_id=str(sid)) if found else None


def sign_out(session_id: str, now: datetime | None = None) -> None:
    """Revoke one session (its cookie stops working at once)."""
    with db.transaction() as tx:
        tx.execute(
            update(ClientSession)
            .where(ClientSession.id == uuid.UUID(session_id), ClientSession.revoked_at.is_(None))
            .values(revoked_at=now or _now())
        )


def revoke_all(tx, customer_id: int, now: datetime | None = None) -> int:
    """Revoke every live session of a customer (in ``tx``); returns how many."""
    result = tx.execute(
        update(ClientSession)
        .where(ClientSession.customer_id == customer_id, ClientSession.revoked_at.is_(None))
        .values(revoked_at=now or _now())
    )
    return result.rowcount
