"""A local stand-in for Twilio's REST API (``TWILIO_API_BASE`` points at it) plus webhook signing.

It answers ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with the JSON shape of
Twilio's Message resource (``sid``, ``status``, ``num_segments``...), checks HTTP Basic auth
against the account SID and auth token, records every request, and can be told to:

- refuse a number with a Twilio error (``refuse(number, 21610)``: "Attempt to send to
  unsubscribed recipient"; 30003 unreachable handset; 30005 unknown destination) — a 400 with
  Twilio's error body, which the ``twilio`` package turns into ``TwilioRestException``;
- fail the next N requests with a 5xx (an outage).

``signature(url, form)`` and ``signed_post(...)`` sign webhooks exactly like Twilio does
(HMAC-SHA1 of the URL and the sorted form, with the auth token), through the ``twilio``
package's own ``RequestValidator``.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "twilio-test-auth-token-0123456789ab"
MESSAGING_SERVICE_SID = "MG" + "2" * 32
ERRORS = {
    21610: "Attempt to send to unsubscribed recipient",
    21211: "Invalid 'To' Phone Number",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
}


@dataclass
class SentSms:
    to: str
    body: str
    from_: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    sid: str | None = None
    status: int = 201


@dataclass
class TwilioStub:
    server: ThreadingHTTPServer | None = None
    requests: list[SentSms] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    failures_left: int = 0
    failure_status: int = 500
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def sent(self) -> list[SentSms]:
        """The texts Twilio accepted."""
        with self._lock:
            return [r for r in self.requests if r.status == 201]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.refusals.clear()
            self.failures_left = 0

    def refuse(self, number: str, code: int) -> None:
        with self._lock:
            self.refusals[number] = code

    def fail_next(self, n: int, status: int = 500) -> None:
        with self._lock:
            self.failures_left = n
            self.failure_status = status

    def _answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict]:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if handler.headers.get("Authorization") != f"Basic {expected}":
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        path = handler.path.split("?", 1)[0]
        if path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return 404, {"code": 20404, "message": "The requested resource was not found"}
        length = int(handler.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(handler.rfile.read(length).decode()))
        sms = SentSms(
            to=form.get("To", ""),
            body=form.get("Body", ""),
            from_=form.get("From"),
            messaging_service_sid=form.get("MessagingServiceSid"),
            status_callback=form.get("StatusCallback"),
        )
        with self._lock:
            self.requests.append(sms)
            if self.failures_left > 0:
                self.failures_left -= 1
                sms.status = self.failure_status
                return self.failure_status, {"code": 20500, "message": "Internal Server Error"}
            refusal = self.refusals.get(sms.to)
        if not sms.to or not sms.body or not (sms.from_ or sms.messaging_service_sid):
            sms.status = 400
            return 400, {"code": 21604, "message": "A 'To', 'Body' and sender are required"}
        if refusal:
            sms.status = 400
            return 400, {
                "code": refusal,
                "message": ERRORS.get(refusal, "Refused"),
                "more_info": f"https://www.twilio.com/docs/errors/{refusal}",
                "status": 400,
            }
        sms.sid = "SM" + secrets.token_hex(16)
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        return 201, {
            "sid": sms.sid,
            "account_sid": ACCOUNT_SID,
            "messaging_service_sid": sms.messaging_service_sid,
            "from": sms.from_,
            "to": sms.to,
            "body": sms.body,
            "status": "queued" if sms.messaging_service_sid and not sms.from_ else "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "error_code": None,
            "error_message": None,
            "price": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sms.sid}.json",
        }


def start_stub() -> TwilioStub:
    stub = TwilioStub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            status, body = stub._answer(self)
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST

    stub.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=stub.server.serve_forever, daemon=True).start()
    return stub


def stop_stub(stub: TwilioStub) -> None:
    stub.server.shutdown()
    stub.server.server_close()


def signature(url: str, form: dict, token: str = AUTH_TOKEN) -> str:
    """``X-Twilio-Signature`` for a POST of ``form`` to ``url``, as Twilio computes it."""
    return RequestValidator(token).compute_signature(url, form)


def inbound_form(to: str, from_: str, body: str, sid: str | None = None, **extra) -> dict:
    """The form Twilio posts for an inbound text."""
    return {
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "AccountSid": ACCOUNT_SID,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        **extra,
    }
