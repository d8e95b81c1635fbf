"""A local stand-in for the Stripe API (``STRIPE_API_BASE`` points at it) plus webhook signing.

It answers the calls the code makes — Checkout Sessions, billing portal sessions, customers and
billing meter events — with realistic JSON, records every request (path, form fields, headers such
as ``Idempotency-Key``), replays the stored answer for a repeated idempotency key like Stripe does,
and can be told to fail the next N requests with a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class StubRequest:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]
    status: int = 0

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def stripe_account(self) -> str | None:
        return self.headers.get("stripe-account")


@dataclass
class StripeStub:
    server: ThreadingHTTPServer | None = None
    requests: list[StubRequest] = field(default_factory=list)
    failures_left: int = 0
    failure_status: int = 500
    delays_left: int = 0
    delay_seconds: float = 0.0
    _idempotent: dict[tuple, tuple[int, dict]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Browser tests: Checkout URLs point at this server, which shows a test payment page.
    hosted_pages: bool = False
    sessions: dict[str, dict] = field(default_factory=dict)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._idempotent.clear()
            self.failures_left = 0
            self.delays_left = 0

    def fail_next(self, n: int, status: int = 500) -> None:
        with self._lock:
            self.failures_left = n
            self.failure_status = status

    def delay_next(self, n: int, seconds: float) -> None:
        """The next ``n`` requests are answered only after ``seconds`` (a client timeout)."""
        with self._lock:
            self.delays_left = n
            self.delay_seconds = seconds

    def _maybe_delay(self) -> None:
        with self._lock:
            if self.delays_left <= 0:
                return
            self.delays_left -= 1
            seconds = self.delay_seconds
        time.sleep(seconds)

    def calls(self, path: str) -> list[StubRequest]:
        return [r for r in self.requests if r.path == path]

    def succeeded(self, path: str) -> list[StubRequest]:
        return [r for r in self.calls(path) if r.status == 200]

    # ------------------------------------------------------------------ answers
    def answer(self, req: StubRequest) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(req)
            if self.failures_left > 0:
                self.failures_left -= 1
                req.status = self.failure_status
                return self.failure_status, {
                    "error": {"type": "api_error", "message": "Stripe stub: injected failure"}
                }
            # Stripe scopes idempotency keys per account (Stripe-Account header).
            key = req.idempotency_key and (req.stripe_account, req.idempotency_key)
            if key and key in self._idempotent:
                status, body = self._idempotent[key]
                req.status = status
                return status, body
            status, body = self._route(req)
            if key and req.method == "POST":
                self._idempotent[key] = (status, body)
            req.status = status
            return status, body

    def _route(self, req: StubRequest) -> tuple[int, dict]:
        f = req.form
        now = int(time.time())
        if req.method == "POST" and req.path == "/v1/checkout/sessions":
            sid = "cs_test_" + secrets.token_hex(12)
            host = self.url if self.hosted_pages else "https://checkout.stripe.test"
            self.sessions[sid] = session = {
                "id": sid,
                "object": "checkout.session",
                "mode": f.get("mode"),
                "status": "open",
                "url": f"{host}/c/pay/{sid}",
                "customer": f.get("customer"),
                "customer_email": f.get("customer_email"),
                "client_reference_id": f.get("client_reference_id"),
                "metadata": _sub(f, "metadata"),
                "success_url": f.get("success_url"),
                "cancel_url": f.get("cancel_url"),
                "expires_at": int(f.get("expires_at", now + 86400)),
                "created": now,
                "livemode": False,
                "amount_total": int(f.get("line_items[0][price_data][unit_amount]", 0) or 0),
            }
            return 200, session
        if req.method == "POST" and req.path == "/v1/billing_portal/sessions":
            sid = "bps_" + secrets.token_hex(12)
            return 200, {
                "id": sid,
                "object": "billing_portal.session",
                "customer": f.get("customer"),
                "return_url": f.get("return_url"),
                "url": f"https://billing.stripe.test/p/session/{sid}",
                "created": now,
                "livemode": False,
            }
        if req.method == "POST" and req.path == "/v1/customers":
            return 200, {
                "id": "cus_" + secrets.token_hex(8),
                "object": "customer",
                "email": f.get("email"),
                "metadata": _sub(f, "metadata"),
                "created": now,
                "livemode": False,
            }
        if req.method == "POST" and req.path == "/v1/billing/meter_events":
            return 200, {
                "object": "billing.meter_event",
                "event_name": f.get("event_name"),
                "identifier": f.get("identifier"),
                "payload": _sub(f, "payload"),
                "timestamp": int(f.get("timestamp", now)),
                "created": now,
                "livemode": False,
            }
        # ---- Connect (deposits on a tenant's connected account)
        if req.method == "POST" and req.path == "/v1/accounts":
            return 200, {
                "id": "acct_" + secrets.token_hex(8),
                "object": "account",
                "type": f.get("type"),
                "email": f.get("email"),
                "charges_enabled": False,
                "payouts_enabled": False,
                "metadata": _sub(f, "metadata"),
                "created": now,
            }
        if req.method == "POST" and req.path == "/v1/account_links":
            return 200, {
                "object": "account_link",
                "url": f"https://connect.stripe.test/setup/{f.get('account')}",
                "expires_at": now + 300,
                "created": now,
            }
        if (
            req.method == "POST"
            and req.path.startswith("/v1/checkout/sessions/")
            and (req.path.endswith("/expire"))
        ):
            sid = req.path.split("/")[4]
            return 200, {"id": sid, "object": "checkout.session", "status": "expired"}
        if req.method == "POST" and req.path == "/v1/payment_intents":
            return self._payment_intent(f, now)
        if req.method == "POST" and req.path == "/v1/refunds":
            return 200, {
                "id": "re_" + secrets.token_hex(8),
                "object": "refund",
                "amount": int(f.get("amount", 0)),
                "payment_intent": f.get("payment_intent"),
                "status": "succeeded",
                "metadata": _sub(f, "metadata"),
                "created": now,
            }
        return 404, {"error": {"type": "invalid_request_error", "message": "unknown path"}}

    # Stripe's test payment methods: how an off-session charge of each one ends.
    DECLINED_CARDS = {"pm_card_chargeDeclined": "card_declined"}
    AUTH_CARDS = {"pm_card_authenticationRequired"}

    def _payment_intent(self, f: dict, now: int) -> tuple[int, dict]:
        pid = "pi_" + secrets.token_hex(12)
        pm = f.get("payment_method")
        intent = {
            "id": pid,
            "object": "payment_intent",
            "amount": int(f.get("amount", 0)),
            "amount_received": 0,
            "currency": f.get("currency"),
            "customer": f.get("customer"),
            "payment_method": pm,
            "metadata": _sub(f, "metadata"),
            "created": now,
            "livemode": False,
        }
        if pm in self.DECLINED_CARDS or pm in self.AUTH_CARDS:
            code = self.DECLINED_CARDS.get(pm, "authentication_required")
            intent["status"] = (
                "requires_action"
                if code == "authentication_required"
                else "requires_payment_method"
            )
            return 402, {
                "error": {
                    "type": "card_error",
                    "code": code,
                    "decline_code": "generic_decline" if code == "card_declined" else None,
                    "message": "Your card was declined."
                    if code == "card_declined"
                    else "This payment requires authentication.",
                    "payment_intent": intent,
                }
            }
        intent.update(status="succeeded", amount_received=intent["amount"])
        intent["latest_charge"] = "ch_" + secrets.token_hex(10)
        return 200, intent


def _sub(form: dict[str, str], name: str) -> dict[str, str]:
    prefix = name + "["
    return {k[len(prefix) : -1]: v for k, v in form.items() if k.startswith(prefix)}


def _handler(stub: StripeStub):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            path, _, query = self.path.partition("?")
            if self.command == "GET" and path.startswith("/c/pay/"):
                return self._checkout_page(path.rsplit("/", 1)[1])
            if self.command == "GET" and path == "/favicon.ico":
                self.send_response(204)
                self.end_headers()
                return
            form = dict(parse_qsl(raw or query, keep_blank_values=True))
            req = StubRequest(
                method=self.command,
                path=path,
                form=form,
                headers={k.lower(): v for k, v in self.headers.items()},
            )
            stub._maybe_delay()
            status, body = stub.answer(req)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_" + secrets.token_hex(6))
            self.end_headers()
            self.wfile.write(data)

        def _checkout_page(self, sid: str):
            """A stand-in for Stripe's hosted Checkout page (browser tests land here)."""
            session = stub.sessions.get(sid)
            if session is None:
                self.send_response(404)
                self.end_headers()
                return
            back = html.escape(session.get("success_url") or "", quote=True)
            amount = session.get("amount_total", 0)
            body = (
                "<!doctype html><title>Stripe test checkout</title><h1>Stripe test checkout</h1>"
                f"<p id=amount>{amount // 100}.{amount % 100:02d}</p>"
                f'<p><a id=return href="{back}">Return to the merchant</a></p>'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, *args):
            pass

    return Handler


def start_stub(hosted_pages: bool = False) -> StripeStub:
    stub = StripeStub(hosted_pages=hosted_pages)
    stub.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    threading.Thread(target=stub.server.serve_forever, daemon=True).start()
    return stub


def stop_stub(stub: StripeStub) -> None:
    stub.server.shutdown()
    stub.server.server_close()


# ---------------------------------------------------------------------- webhooks
def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload`` as Stripe computes it."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def event(etype: str, obj: dict, *, created: int | None = None, event_id: str | None = None):
    """A platform event envelope around ``obj``."""
    return {
        "id": event_id or "evt_" + secrets.token_hex(12),
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": int(time.time()) if created is None else created,
        "type": etype,
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": obj},
    }


def subscription(
    sub_id: str,
    customer: str,
    status: str,
    price_id: str,
    *,
    tenant_id: str | None = None,
    plan: str | None = None,
    period_end: int | None = None,
) -> dict:
    end = period_end or int(time.time()) + 30 * 86400
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": False,
        "metadata": {k: v for k, v in (("tenant_id", tenant_id), ("plan", plan)) if v},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_" + secrets.token_hex(6),
                    "object": "subscription_item",
                    "price": {"id": price_id, "object": "price"},
                    "quantity": 1,
                    "current_period_start": end - 30 * 86400,
                    "current_period_end": end,
                }
            ],
        },
    }
