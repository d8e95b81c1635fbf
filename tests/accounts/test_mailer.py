"""Platform mail is queued in the caller's transaction and renders with the context it gets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from controlplane.accounts.mailer import send_platform_mail
from controlplane.mail.models import PlatformOutboxMessage
from shared import db


def test_enqueued_in_the_callers_transaction_and_deduped(rt):
    ctx = {"email": "a@example.com", "verify_url": "https://x/verify?token=t"}
    with db.transaction() as tx:
        first = send_platform_mail(tx, "verify_email", "a@example.com", ctx, "verify:k2")
        again = send_platform_mail(tx, "verify_email", "a@example.com", ctx, "verify:k2")
    assert first is not None and again is None
    rows = (
        db.session()
        .scalars(
            select(PlatformOutboxMessage).where(PlatformOutboxMessage.dedupe_key == "verify:k2")
        )
        .all()
    )
    assert [(r.topic, r.recipient) for r in rows] == [("verify_email", "a@example.com")]
    db.close_session()


def test_rolled_back_change_sends_nothing(rt):
    ctx = {"email": "b@example.com", "verify_url": "https://x/verify?token=t"}
    with pytest.raises(RuntimeError), db.transaction() as tx:
        send_platform_mail(tx, "verify_email", "b@example.com", ctx, "verify:rolled-back")
        raise RuntimeError("the change failed")
    assert (
        db.session().scalar(
            select(PlatformOutboxMessage.id).where(
                PlatformOutboxMessage.dedupe_key == "verify:rolled-back"
            )
        )
        is None
    )
    db.close_session()


def test_missing_context_fails_the_caller(rt):
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        send_platform_mail(object(), "verify_email", "c@example.com", {}, "verify:x")
