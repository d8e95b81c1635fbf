"""Structured logs redact secrets, e-mails and phones but keep ids, IPs and numbers readable."""

import json
import logging

import pytest

from shared.logs import JsonFormatter, redact, redact_text


@pytest.mark.parametrize(
    "text",
    ["call +1 403 555 0142 now", "call (403) 555-0142", "call 403-555-0142", "+14035550142"],
)
def test_phones_are_redacted(text):
    assert "555" not in redact_text(text) and "[phone]" in redact_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "url=http://127.0.0.1:35979/v1/x",
        "request 5a14f0c3d6b741eaf0089ba0b0",
        "took 12.5 ms",
        "tenant 63babb90-d62b-4b96-959b-9e69f758ec5b",
        "version 2026.11.28",
    ],
)
def test_ids_ips_and_numbers_are_kept(text):
    assert redact_text(text) == text


def test_emails_bearer_tokens_and_secret_fields():
    assert redact_text("mail pat@example.com") == "mail [email]"
    assert redact_text("Authorization: Bearer abc.def.ghi") == "Authorization: Bearer [redacted]"
    assert redact({"password": "x", "nested": {"api_key": "k", "n": 1}}) == {
        "password": "[redacted]",
        "nested": {"api_key": "[redacted]", "n": 1},
    }


def test_formatter_writes_one_json_object_with_extras():
    record = logging.makeLogRecord(
        {"msg": "hello %s", "args": ("pat@example.com",), "levelname": "INFO", "tenant_id": "t1"}
    )
    out = json.loads(JsonFormatter().format(record))
    assert out["msg"] == "hello [email]" and out["tenant_id"] == "t1"
