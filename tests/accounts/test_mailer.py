"""The platform-mail adapter delegates to the outbox, or refuses loudly without it."""

from __future__ import annotations

import sys
import types

import pytest

from controlplane.accounts.mailer import send_platform_mail as real_send


def test_without_the_outbox_it_raises_not_implemented(monkeypatch):
    monkeypatch.setitem(sys.modules, "controlplane.mail.service", None)
    with pytest.raises(NotImplementedError):
        real_send(object(), "password_reset", "a@example.com", {}, "k1")


def test_with_the_outbox_it_enqueues_in_the_callers_session(monkeypatch):
    calls = []
    fake = types.ModuleType("controlplane.mail.service")
    fake.enqueue_platform_mail = lambda *args: calls.append(args) or "queued"
    monkeypatch.setitem(sys.modules, "controlplane.mail.service", fake)
    sess = object()
    assert real_send(sess, "verify_email", "a@example.com", {"x": 1}, "k2") == "queued"
    assert calls == [(sess, "verify_email", "a@example.com", {"x": 1}, "k2")]
